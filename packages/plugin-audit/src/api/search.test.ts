// Newest-first pages over a trail split across rotated files, and finding one record.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords } from '../cli/read-records.js';
import { readRecordsBackward } from './read-backward.js';
import { decodeCursor, encodeCursor, findRecord, searchPage } from './search.js';
import { trailFiles } from './trail-files.js';

let dir: string;
const active = () => join(dir, 'audit.jsonl');
const line = (seq: number, user: string) => JSON.stringify({ v: 1, ts: new Date(Date.UTC(2026, 10, 23, 8, 0, seq)).toISOString(), seq, prev: '', hash: `h${seq}`, event: 'query', identity: { name: user } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-audit-search-'));
  // seq 1-4, 5-8 rotated; 9-10 active, then a torn line as a crash leaves it.
  const users = (seq: number) => (seq % 3 === 0 ? 'bob' : 'alice');
  const file = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i, users(from + i))).join('\n') + '\n';
  await writeFile(join(dir, 'audit.20261123T080001Z.1.jsonl'), file(1, 4));
  await writeFile(join(dir, 'audit.20261123T080005Z.5.jsonl'), file(5, 8));
  await writeFile(active(), `${file(9, 10)}{"v":1,"seq":11,`);
  await writeFile(join(dir, 'other.jsonl'), file(1, 2));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('trail pages', () => {
  it('lists the active file first, then rotated files newest first, and no other file', async () => {
    expect((await trailFiles(active())).map((file) => [file.path.slice(dir.length + 1), file.firstSeq])).toEqual([
      ['audit.jsonl', undefined],
      ['audit.20261123T080005Z.5.jsonl', 5],
      ['audit.20261123T080001Z.1.jsonl', 1],
    ]);
    expect(await trailFiles(join(dir, 'missing', 'audit.jsonl'))).toEqual([]);
  });

  it('pages newest first across files, reading only the files a page needs', async () => {
    const files = await trailFiles(active());
    const first = await searchPage(files, {}, 3);
    expect(first.records.map((r) => r.seq)).toEqual([10, 9, 8]);
    expect(first.scannedFiles).toBe(2);
    expect(decodeCursor(first.nextCursor!)).toBe(8);
    const second = await searchPage(files, {}, 3, decodeCursor(first.nextCursor!));
    expect(second.records.map((r) => r.seq)).toEqual([7, 6, 5]);
    const third = await searchPage(files, {}, 3, 5);
    expect(third.records.map((r) => r.seq)).toEqual([4, 3, 2]);
    expect(third.scannedFiles).toBe(2); // the active file is read (no first seq in its name), the 5.. file is skipped
    const last = await searchPage(files, {}, 3, 2);
    expect(last.records.map((r) => r.seq)).toEqual([1]);
    expect(last.nextCursor).toBeUndefined();
  });

  it('filters before paging', async () => {
    const page = await searchPage(await trailFiles(active()), { user: 'bob' }, 2);
    expect(page.records.map((r) => r.seq)).toEqual([9, 6]);
    const rest = await searchPage(await trailFiles(active()), { user: 'bob' }, 2, decodeCursor(page.nextCursor!));
    expect(rest.records.map((r) => r.seq)).toEqual([3]);
    expect(rest.nextCursor).toBeUndefined();
  });

  it('refuses a cursor it did not make', () => {
    expect(decodeCursor('not-a-cursor')).toBeUndefined();
    expect(decodeCursor(encodeCursor(42))).toBe(42);
  });

  it('finds a record by seq or hash with its file and line', async () => {
    const files = await trailFiles(active());
    expect(await findRecord(files, '6')).toMatchObject({ record: { seq: 6 }, file: 'audit.20261123T080005Z.5.jsonl', line: 2 });
    expect(await findRecord(files, '10')).toMatchObject({ file: 'audit.jsonl', line: 2 });
    expect(await findRecord(files, '11')).toBeUndefined();
    expect(await findRecord(files, 'h3')).toBeUndefined(); // not 64 hex digits
  });
});

describe('reading a file backward', () => {
  it('gives the records of a file of many chunks newest first, multi-byte text split at any chunk edge intact', async () => {
    const path = join(dir, 'big.jsonl');
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ seq: i + 1, hash: `h${i}`, statement: { sql: `select '${'ü€😀'.repeat(i % 17)}' -- ${i}` } }));
    await writeFile(path, `${lines.join('\n')}\n{"torn":`);
    const forward = [];
    for await (const { record } of readRecords(path)) forward.push(record);
    const backward = [];
    for await (const record of readRecordsBackward(path)) backward.push(record);
    expect(forward).toHaveLength(3000);
    expect(backward).toEqual(forward.reverse());
  });
});
