// The webhook sink against a real local HTTP server that is up, down, then up again.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PluginLogger } from '@sluice/core';
import { Chain } from '../../record/chain.js';
import type { AuditRecord } from '../../record/types.js';
import { WebhookSink, type WebhookSinkOptions } from './webhook-sink.js';

const log: PluginLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-audit-webhook-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A real HTTP endpoint that records every batch it accepts. */
function endpoint(port: number, answer: (request: IncomingMessage) => number = () => 200) {
  const received: AuditRecord[][] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const status = answer(request);
      if (status === 200) {
        received.push(JSON.parse(body) as AuditRecord[]);
        headers.push(request.headers);
      }
      response.writeHead(status).end();
    });
  });
  const listening = new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { received, headers, listening, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function options(port: number, extra: Partial<WebhookSinkOptions> = {}): WebhookSinkOptions {
  return {
    url: `http://127.0.0.1:${port}/ingest?token=in-the-query`,
    headers: { authorization: 'Bearer siem-token' },
    batchSize: 5,
    flushIntervalMs: 20,
    timeoutMs: 2_000,
    retry: { initialMs: 20, maxMs: 100 },
    spoolDir: join(dir, 'spool'),
    spoolMaxBytes: 1 << 20,
    log,
    ...extra,
  };
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('WebhookSink', () => {
  it('delivers batches in order with its headers, and describes itself without the query string', async () => {
    const port = await freePort();
    const server = endpoint(port);
    await server.listening;
    const sink = await WebhookSink.open(options(port));
    expect(sink.description).toBe(`webhook http://127.0.0.1:${port}/ingest`);
    const chain = new Chain();
    for (let i = 0; i < 12; i++) sink.accept(chain.append({ event: 'query' }));
    await until(() => server.received.flat().length === 12);
    expect(server.received.flat().map((record) => record.seq)).toEqual([...Array(12).keys()].map((i) => i + 1));
    expect(Math.max(...server.received.map((batch) => batch.length))).toBeLessThanOrEqual(5);
    expect(server.headers[0]).toMatchObject({ authorization: 'Bearer siem-token', 'content-type': 'application/json' });
    await sink.close(1_000);
    await server.close();
  });

  it('spools while the endpoint is down, across a restart, then delivers everything once, in order', async () => {
    const port = await freePort();
    let sink = await WebhookSink.open(options(port));
    const chain = new Chain();
    for (let i = 0; i < 7; i++) sink.accept(chain.append({ event: 'query' }));
    await until(() => sink.failure() !== undefined);
    expect(sink.failure()).toMatch(/ECONNREFUSED/);
    await sink.close(100);

    sink = await WebhookSink.open(options(port));
    expect(sink.stats().pending).toBe(7);
    for (let i = 0; i < 6; i++) sink.accept(chain.append({ event: 'query' }));
    const server = endpoint(port);
    await server.listening;
    await until(() => server.received.flat().length >= 13);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.received.flat().map((record) => record.seq)).toEqual([...Array(13).keys()].map((i) => i + 1));
    await until(() => sink.failure() === undefined);
    await sink.close(1_000);
    await server.close();
    expect((await readdir(join(dir, 'spool'))).filter((name) => name.endsWith('.jsonl'))).toHaveLength(1);
  });

  it('starts delivering records spooled before a restart on its own, without waiting for a new one', async () => {
    const port = await freePort();
    let sink = await WebhookSink.open(options(port));
    const chain = new Chain();
    for (let i = 0; i < 3; i++) sink.accept(chain.append({ event: 'query' }));
    await until(() => sink.failure() !== undefined);
    await sink.close(50);
    const server = endpoint(port);
    await server.listening;
    sink = await WebhookSink.open(options(port));
    await until(() => server.received.flat().length === 3);
    expect(server.received.flat().map((record) => record.seq)).toEqual([1, 2, 3]);
    await sink.close(1_000);
    await server.close();
  });

  it('retries server errors and sets aside a batch the endpoint refuses for good', async () => {
    const port = await freePort();
    let calls = 0;
    const server = endpoint(port, () => {
      calls++;
      if (calls === 1) return 503;
      if (calls === 2) return 400;
      return 200;
    });
    await server.listening;
    const sink = await WebhookSink.open(options(port, { batchSize: 2 }));
    const chain = new Chain();
    for (let i = 0; i < 4; i++) sink.accept(chain.append({ event: 'query' }));
    await until(() => server.received.flat().length === 2);
    expect(server.received.flat().map((record) => record.seq)).toEqual([3, 4]);
    expect((await readdir(join(dir, 'spool'))).filter((name) => name.startsWith('rejected-'))).toEqual(['rejected-1.jsonl']);
    await sink.close(1_000);
    await server.close();
  });

  it('drops records once the spool is full and reports itself failing', async () => {
    const port = await freePort();
    const sink = await WebhookSink.open(options(port, { spoolMaxBytes: 600 }));
    const chain = new Chain();
    for (let i = 0; i < 10; i++) sink.accept(chain.append({ event: 'query' }));
    expect(sink.stats().dropped).toBeGreaterThan(0);
    expect(sink.failure()).toBeDefined();
    await sink.close(50);
  });
});
