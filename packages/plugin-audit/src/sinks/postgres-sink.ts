// The PostgreSQL sink: batched inserts over its own connection into a table it creates on first use.
import pg from 'pg';
import type { PluginLogger } from '@sluice/core';
import type { SealedRecord } from '../record/types.js';
import { BatchLoop } from './batch-loop.js';
import type { Sink, SinkStats } from './sink.js';

export interface PostgresSinkOptions {
  readonly connection: PostgresConnection;
  readonly schema: string;
  readonly table: string;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxPending: number;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly log: PluginLogger;
}

export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  readonly ssl?: boolean;
}

const CONNECT_TIMEOUT_MS = 10_000;

export class PostgresSink implements Sink {
  readonly kind = 'postgres';
  readonly description: string;
  readonly #options: PostgresSinkOptions;
  readonly #queue: SealedRecord[] = [];
  readonly #loop: BatchLoop<SealedRecord[]>;
  readonly #target: string;
  #client: pg.Client | undefined;
  #tableReady = false;
  #dropped = 0;

  constructor(options: PostgresSinkOptions) {
    this.#options = options;
    const { host, port, database } = options.connection;
    this.#target = `${quoteIdent(options.schema)}.${quoteIdent(options.table)}`;
    this.description = `postgres ${host}:${port}/${database} ${options.schema}.${options.table}`;
    this.#loop = new BatchLoop({
      description: this.description,
      batchSize: options.batchSize,
      flushIntervalMs: options.flushIntervalMs,
      retry: options.retry,
      log: options.log,
      source: {
        peek: async (max) => (this.#queue.length === 0 ? undefined : this.#queue.slice(0, max)),
        count: (batch) => batch.length,
        remove: async (batch) => void this.#queue.splice(0, batch.length),
        waiting: () => this.#queue.length,
      },
      send: (batch) => this.#insert(batch),
      reset: () => this.#disconnect(),
    });
  }

  accept(sealed: SealedRecord): void {
    if (this.#queue.length >= this.#options.maxPending) {
      this.#dropped++;
      if (this.#dropped === 1 || this.#dropped % 1000 === 0) {
        this.#options.log.error({ sink: this.description, dropped: this.#dropped, seq: sealed.record.seq }, 'audit sink buffer full: records dropped');
      }
      return;
    }
    this.#queue.push(sealed);
    this.#loop.poke();
  }

  failure(): string | undefined {
    if (this.#loop.failure !== undefined) return this.#loop.failure;
    if (this.#queue.length >= this.#options.maxPending) return `its buffer of ${this.#options.maxPending} records is full`;
    return undefined;
  }

  stats(): SinkStats {
    return { written: this.#loop.delivered, pending: this.#queue.length, dropped: this.#dropped };
  }

  flush(timeoutMs: number): Promise<void> {
    return this.#loop.flush(timeoutMs);
  }

  async close(timeoutMs: number): Promise<void> {
    await this.#loop.close(timeoutMs);
    if (this.#queue.length > 0) {
      this.#options.log.error({ sink: this.description, lost: this.#queue.length, error: this.#loop.failure }, 'audit records could not be written before the sink closed');
    }
    await this.#disconnect();
  }

  async #insert(batch: readonly SealedRecord[]): Promise<void> {
    const client = await this.#connect();
    if (!this.#tableReady) {
      await createTable(client, this.#options.schema, this.#options.table);
      this.#tableReady = true;
    }
    const json = `[${batch.map((sealed) => sealed.line.trimEnd()).join(',')}]`;
    await client.query(
      `insert into ${this.#target} (seq, ts, event, session, subject, user_name, decision, fingerprint, tables, record, prev, hash)
       select (r->>'seq')::bigint, (r->>'ts')::timestamptz, r->>'event', r->>'session', r#>>'{identity,sub}',
              coalesce(r#>>'{identity,name}', r#>>'{identity,claimed}'), r#>>'{decision,action}', r#>>'{statement,fingerprint}',
              array(select t->>'name' from jsonb_array_elements(coalesce(r#>'{statement,tables}', '[]'::jsonb)) t),
              r, r->>'prev', r->>'hash'
         from jsonb_array_elements($1::jsonb) with ordinality as e(r, n)
        order by n
       on conflict (hash) do nothing`,
      [json],
    );
  }

  async #connect(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const { host, port, user, password, database, ssl } = this.#options.connection;
    const client = new pg.Client({
      host,
      port,
      user,
      database,
      ...(password === undefined ? {} : { password }),
      ...(ssl ? { ssl: true } : {}),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'sluice-audit',
    });
    // A connection the server drops later must not crash the process; the next batch reconnects.
    client.on('error', () => {
      if (this.#client === client) this.#client = undefined;
    });
    await client.connect().catch(async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw error;
    });
    this.#client = client;
    return client;
  }

  async #disconnect(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/** Creates the schema and table when missing; two processes racing to create them is not an error. */
async function createTable(client: pg.Client, schema: string, table: string): Promise<void> {
  const target = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const statements = [
    `create schema if not exists ${quoteIdent(schema)}`,
    `create table if not exists ${target} (
       id bigserial primary key,
       seq bigint not null,
       ts timestamptz not null,
       event text not null,
       session text,
       subject text,
       user_name text,
       decision text,
       fingerprint text,
       tables text[] not null default '{}',
       record jsonb not null,
       prev text not null,
       hash text not null unique
     )`,
    `create index if not exists ${quoteIdent(`${table}_ts_idx`)} on ${target} (ts)`,
  ];
  for (const sql of statements) {
    try {
      await client.query(sql);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // unique_violation on the catalog, duplicate_table/schema/object: someone else created it first.
      if (code !== '23505' && code !== '42P07' && code !== '42P06' && code !== '42710') throw error;
    }
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
