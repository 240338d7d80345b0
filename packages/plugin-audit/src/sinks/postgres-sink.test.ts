// The PostgreSQL sink against the machine's server, in a schema of its own.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { PluginLogger } from '@sluice/core';
import { Chain } from '../record/chain.js';
import { PostgresSink, type PostgresSinkOptions } from './postgres-sink.js';

const log: PluginLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const schema = `audit_unit_${process.pid}`;
const server = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };

function options(extra: Partial<PostgresSinkOptions> = {}): PostgresSinkOptions {
  return { connection: server, schema, table: 'records', batchSize: 3, flushIntervalMs: 20, maxPending: 100, retry: { initialMs: 20, maxMs: 100 }, log, ...extra };
}

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client(server);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await query(`drop schema if exists ${schema} cascade`);
});

describe('PostgresSink', () => {
  it('creates its schema and table on first use and inserts records in order, in batches', async () => {
    const sink = new PostgresSink(options());
    const chain = new Chain();
    for (let i = 1; i <= 7; i++) {
      sink.accept(chain.append({ event: 'query', session: 's-1', identity: { sub: 'alice', name: 'alice', groups: ['dba'], auth: 'password' }, decision: { action: 'allow' }, statement: { sql: `select ${i}`, fingerprint: 'abcd', tables: [{ name: 'public.customers', access: 'read' }] } }));
    }
    await sink.flush(5_000);
    expect(sink.stats()).toMatchObject({ written: 7, pending: 0 });
    const rows = await query<{ seq: string; event: string; subject: string; decision: string; tables: string[]; sql: string }>(
      `select seq, event, subject, decision, tables, record#>>'{statement,sql}' as sql from ${schema}.records order by id`,
    );
    expect(rows.map((row) => Number(row.seq))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(rows[0]).toMatchObject({ event: 'query', subject: 'alice', decision: 'allow', tables: ['public.customers'], sql: 'select 1' });
    await sink.close(1_000);
  });

  it('does not insert a record twice when a batch is sent again', async () => {
    const sink = new PostgresSink(options({ table: 'again' }));
    const chain = new Chain();
    const sealed = chain.append({ event: 'connect' });
    sink.accept(sealed);
    sink.accept(sealed);
    await sink.flush(5_000);
    expect(await query(`select seq from ${schema}.again`)).toHaveLength(1);
    await sink.close(1_000);
  });

  it('reports itself failing while the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sink = new PostgresSink(options({ connection: { ...server, port, password: 'never-logged' } }));
    sink.accept(new Chain().append({ event: 'connect' }));
    for (let i = 0; i < 100 && sink.failure() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sink.failure()).toMatch(/ECONNREFUSED/);
    expect(sink.description).not.toContain('never-logged');
    await sink.close(50);
  });
});
