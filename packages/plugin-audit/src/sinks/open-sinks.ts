// Opens the configured sinks, sharing each with the plugin instance of the previous reload when it names the same file, table or spool.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { PluginLogger } from '@sluice/core';
import { DEFAULTS, type PostgresSinkConfig, type SinkOptions } from '../options.js';
import type { ChainHead } from '../record/chain.js';
import { SharedResources } from '../trail/shared.js';
import type { TrailSink } from '../trail/trail.js';
import { FileSink } from './file/file-sink.js';
import { PostgresSink, type PostgresConnection } from './postgres-sink.js';
import type { Sink } from './sink.js';
import { StdoutSink } from './stdout-sink.js';
import { WebhookSink } from './webhook/webhook-sink.js';

/** How long closing a sink may take to write what it still holds. */
const CLOSE_TIMEOUT_MS = 5_000;

const sinks = new SharedResources<Sink>((sink) => sink.close(CLOSE_TIMEOUT_MS));

export interface OpenedSinks {
  readonly sinks: TrailSink[];
  /** Paths of the file sinks, in config order. */
  readonly files: string[];
  /** The chain head found in each file sink opened now (not in one already open). */
  readonly heads: Map<string, ChainHead>;
}

export async function openSinks(configs: readonly SinkOptions[], configDir: string, log: PluginLogger): Promise<OpenedSinks> {
  const opened: TrailSink[] = [];
  const files: string[] = [];
  const heads = new Map<string, ChainHead>();
  const keys = new Set<string>();
  try {
    for (const [index, config] of configs.entries()) {
      const { key, open } = describeSink(config, configDir, log, heads);
      if (keys.has(key)) throw new Error(`sinks[${index}] writes to the same place as an earlier sink (${key})`);
      keys.add(key);
      if (config.type === 'file') files.push(resolve(configDir, config.path));
      const { on_failure: _policy, ...rest } = config;
      const lease = await sinks.acquire(key, JSON.stringify(rest), open, () =>
        log.warn({ sink: key }, 'audit: this sink is already open with other options; they take effect at the next restart'),
      );
      opened.push({ lease, policy: config.on_failure });
    }
  } catch (error) {
    await Promise.all(opened.map(({ lease }) => lease.release()));
    throw error;
  }
  return { sinks: opened, files, heads };
}

function describeSink(config: SinkOptions, configDir: string, log: PluginLogger, heads: Map<string, ChainHead>): { key: string; open: () => Promise<Sink> } {
  const retry = { initialMs: config.type === 'stdout' ? 0 : config.retry.initial, maxMs: config.type === 'stdout' ? 0 : config.retry.max };
  switch (config.type) {
    case 'file': {
      const path = resolve(configDir, config.path);
      return {
        key: `file:${path}`,
        open: async () => {
          const { sink, head } = await FileSink.open({
            path,
            fsync: config.fsync,
            fsyncIntervalMs: config.fsync_interval,
            ...(config.rotate?.max_size === undefined ? {} : { rotateBytes: config.rotate.max_size }),
            ...(config.rotate?.max_age === undefined ? {} : { rotateAgeMs: config.rotate.max_age }),
            maxPending: config.max_pending,
            retry,
            log,
          });
          if (head) heads.set(path, head);
          return sink;
        },
      };
    }
    case 'postgres': {
      const connection = postgresConnection(config.connection);
      return {
        key: `postgres:${connection.host}:${connection.port}/${connection.database}/${config.schema}.${config.table}`,
        open: async () =>
          new PostgresSink({
            connection,
            schema: config.schema,
            table: config.table,
            batchSize: config.batch_size,
            flushIntervalMs: config.flush_interval,
            maxPending: config.max_pending,
            retry,
            log,
          }),
      };
    }
    case 'webhook': {
      const spoolDir = resolve(
        configDir,
        config.spool.dir ?? `${DEFAULTS.webhook.spoolRoot}/webhook-${createHash('sha256').update(config.url).digest('hex').slice(0, 12)}`,
      );
      return {
        key: `webhook:${spoolDir}`,
        open: () =>
          WebhookSink.open({
            url: config.url,
            headers: config.headers,
            batchSize: config.batch_size,
            flushIntervalMs: config.flush_interval,
            timeoutMs: config.timeout,
            retry,
            spoolDir,
            spoolMaxBytes: config.spool.max_size,
            log,
          }),
      };
    }
    case 'stdout':
      return { key: 'stdout', open: async () => new StdoutSink({ level: config.level }) };
  }
}

function postgresConnection(connection: PostgresSinkConfig['connection']): PostgresConnection {
  if (typeof connection !== 'string') {
    return { ...connection, ...(connection.password === undefined ? {} : { password: connection.password }) };
  }
  const url = new URL(connection);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port === '' ? DEFAULTS.postgres.port : Number(url.port),
    user: decodeURIComponent(url.username) || 'postgres',
    ...(password === undefined ? {} : { password }),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
    ssl: ['require', 'verify-full', 'verify-ca'].includes(url.searchParams.get('sslmode') ?? ''),
  };
}
