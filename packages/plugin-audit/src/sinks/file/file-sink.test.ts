// The file sink on a real filesystem: durability, restart, rotation, failure and recovery, the lock.
import { mkdtemp, readdir, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PluginLogger } from '@sluice/core';
import { Chain } from '../../record/chain.js';
import { verifyTrail } from '../../verify/verify-trail.js';
import { FileSink, type FileSinkOptions } from './file-sink.js';

let dir: string;
let logs: { level: string; msg?: string; obj: object }[];
const log: PluginLogger = {
  debug: (obj, msg) => void logs.push({ level: 'debug', obj, ...(msg ? { msg } : {}) }),
  info: (obj, msg) => void logs.push({ level: 'info', obj, ...(msg ? { msg } : {}) }),
  warn: (obj, msg) => void logs.push({ level: 'warn', obj, ...(msg ? { msg } : {}) }),
  error: (obj, msg) => void logs.push({ level: 'error', obj, ...(msg ? { msg } : {}) }),
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-audit-file-'));
  logs = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(extra: Partial<FileSinkOptions> = {}): FileSinkOptions {
  return { path: join(dir, 'audit.jsonl'), fsync: 'record', fsyncIntervalMs: 1000, maxPending: 1000, retry: { initialMs: 20, maxMs: 100 }, log, ...extra };
}

async function trailFiles(): Promise<{ name: string; text: string }[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.jsonl'));
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

describe('FileSink', () => {
  it('appends records, confirms them durable after fsync, and says so in the debug log', async () => {
    const { sink, head } = await FileSink.open(options());
    expect(head).toBeUndefined();
    const chain = new Chain();
    for (let i = 0; i < 5; i++) sink.accept(chain.append({ event: 'query', session: 's-1' }));
    expect(await sink.whenDurable(5)).toBe(true);
    expect(sink.durableSeq).toBe(5);
    expect(logs.some((entry) => entry.msg === 'audit records durable' && (entry.obj as { seq: number }).seq === 5)).toBe(true);
    await sink.close(1000);
    const report = verifyTrail(await trailFiles());
    expect(report).toMatchObject({ ok: true, records: 5, lastSeq: 5 });
  });

  it('continues the chain of an existing file after a restart and cuts off a torn last line', async () => {
    const first = await FileSink.open(options());
    const chain = new Chain();
    for (let i = 0; i < 3; i++) first.sink.accept(chain.append({ event: 'query' }));
    await first.sink.close(1000);
    await appendFile(join(dir, 'audit.jsonl'), '{"v":1,"ts":"2025-11-23T05:48:00.000Z","seq":4,"ev');

    const second = await FileSink.open(options());
    expect(second.head).toEqual(chain.head);
    const resumed = new Chain(second.head);
    second.sink.accept(resumed.append({ event: 'query' }));
    await second.sink.close(1000);
    expect(logs.some((entry) => entry.level === 'warn' && /incomplete record/.test(entry.msg ?? ''))).toBe(true);
    expect(verifyTrail(await trailFiles())).toMatchObject({ ok: true, records: 4 });
  });

  it('rotates by size, keeps the chain going across files, and finds the head in the newest rotated file', async () => {
    const { sink } = await FileSink.open(options({ rotateBytes: 600 }));
    const chain = new Chain();
    for (let i = 0; i < 12; i++) {
      sink.accept(chain.append({ event: 'query', statement: { sql: `select ${i}`, fingerprint: 'f'.repeat(16) } }));
      await sink.whenDurable(i + 1);
    }
    await sink.close(1000);
    const files = await trailFiles();
    expect(files.length).toBeGreaterThan(2);
    expect(files.map((file) => file.name).filter((name) => name !== 'audit.jsonl')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^audit\.\d{8}T\d{6}Z\.1\.jsonl$/)]),
    );
    expect(verifyTrail(files.reverse())).toMatchObject({ ok: true, records: 12 });

    await rm(join(dir, 'audit.jsonl'));
    const reopened = await FileSink.open(options({ rotateBytes: 600 }));
    expect(reopened.head?.seq).toBeLessThan(12);
    expect(reopened.head?.seq).toBeGreaterThan(1);
    await reopened.sink.close(1000);
  });

  it('rotates by age at the next record', async () => {
    const { sink } = await FileSink.open(options({ rotateAgeMs: 50 }));
    const chain = new Chain();
    sink.accept(chain.append({ event: 'connect' }));
    await sink.whenDurable(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    sink.accept(chain.append({ event: 'disconnect' }));
    await sink.close(1000);
    const files = await trailFiles();
    expect(files).toHaveLength(2);
    expect(verifyTrail(files)).toMatchObject({ ok: true, records: 2 });
  });

  it('fails while the file cannot be created, keeps the records, and writes them once it can', async () => {
    // A regular file where the directory should be: mkdir and open fail until it is removed.
    await writeFile(join(dir, 'blocked'), 'not a directory');
    const { sink } = await FileSink.open(options({ path: join(dir, 'blocked', 'audit.jsonl') }));
    expect(sink.failure()).toBeUndefined();
    const chain = new Chain();
    sink.accept(chain.append({ event: 'connect' }));
    sink.accept(chain.append({ event: 'disconnect' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sink.failure()).toMatch(/EEXIST|ENOTDIR/);
    expect(sink.stats()).toMatchObject({ written: 0, pending: 2 });

    await rm(join(dir, 'blocked'));
    expect(await sink.whenDurable(2)).toBe(true);
    expect(sink.failure()).toBeUndefined();
    await sink.close(1000);
    const text = await readFile(join(dir, 'blocked', 'audit.jsonl'), 'utf8');
    expect(verifyTrail([{ name: 'audit.jsonl', text }])).toMatchObject({ ok: true, records: 2 });
    expect(logs.some((entry) => entry.msg === 'audit sink writing again')).toBe(true);
  });

  it('holds at most max_pending records, drops the rest with an alert, and reports itself failing', async () => {
    await writeFile(join(dir, 'blocked'), 'x');
    const { sink } = await FileSink.open(options({ path: join(dir, 'blocked', 'audit.jsonl'), maxPending: 3 }));
    const chain = new Chain();
    for (let i = 0; i < 5; i++) sink.accept(chain.append({ event: 'query' }));
    expect(sink.stats()).toMatchObject({ pending: 3, dropped: 2 });
    expect(logs.some((entry) => entry.level === 'error' && /records dropped/.test(entry.msg ?? ''))).toBe(true);
    await sink.close(50);
  });

  it('confirms durability on the fsync interval in interval mode', async () => {
    const { sink } = await FileSink.open(options({ fsync: 'interval', fsyncIntervalMs: 30 }));
    const chain = new Chain();
    sink.accept(chain.append({ event: 'query' }));
    const started = Date.now();
    expect(await sink.whenDurable(1)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    await sink.close(1000);
  });

  it('writes nothing until the first record: no file, no lock', async () => {
    const { sink } = await FileSink.open(options({ path: join(dir, 'later', 'audit.jsonl') }));
    await sink.close(100);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses to write a file another live process writes, and says which', async () => {
    await writeFile(join(dir, 'audit.jsonl.lock'), `${process.ppid}\n`);
    const { sink } = await FileSink.open(options());
    sink.accept(new Chain().append({ event: 'connect' }));
    for (let i = 0; i < 50 && sink.failure() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sink.failure()).toMatch(new RegExp(`being written by another process \\(pid ${process.ppid}`));
    await sink.close(50);
  });

  it('takes over the lock of a writer that died, and releases it on close', async () => {
    await writeFile(join(dir, 'audit.jsonl.lock'), '999999999\n');
    const { sink } = await FileSink.open(options());
    sink.accept(new Chain().append({ event: 'connect' }));
    expect(await sink.whenDurable(1)).toBe(true);
    expect(await readFile(join(dir, 'audit.jsonl.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await sink.close(100);
    expect(await readdir(dir)).toEqual(['audit.jsonl']);
  });
});
