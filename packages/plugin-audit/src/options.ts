// The plugin's `with:` options: their schema, and every default in one place.
import { parseDuration } from '@sluice/core';
import { z } from 'zod';

/** Every default, in one literal. */
export const DEFAULTS = {
  redactLiterals: false,
  maxSqlLength: 65_536,
  retry: { initialMs: 250, maxMs: 30_000 },
  file: { fsync: 'record', fsyncIntervalMs: 1_000, maxPending: 10_000, onFailure: 'block' },
  postgres: { port: 5432, schema: 'sluice_audit', table: 'records', batchSize: 200, flushIntervalMs: 1_000, maxPending: 10_000, onFailure: 'buffer' },
  webhook: { batchSize: 100, flushIntervalMs: 1_000, timeoutMs: 10_000, spoolMaxBytes: 100 * 1024 * 1024, spoolRoot: 'audit-spool', onFailure: 'buffer' },
  stdout: { level: 'info', onFailure: 'buffer' },
  checkpoints: { everyRecords: 1_000, everyMs: 60_000 },
  api: { maxExportRecords: 100_000 },
} as const;

const DURATION_HINT = 'expected a duration such as 250ms, 30s, 5m, 1h or a number of milliseconds';
const SIZE_HINT = 'expected a size such as 512kb, 100mb, 1gb or a number of bytes';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const duration = () =>
  z.union([z.number(), z.string()], { error: DURATION_HINT }).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: DURATION_HINT });
      return z.NEVER;
    }
    return ms;
  });

const positiveDuration = () => duration().refine((ms) => ms > 0, { message: 'must be more than 0' });

const size = () =>
  z.union([z.number(), z.string()], { error: SIZE_HINT }).transform((value, ctx) => {
    const bytes = parseSize(value);
    if (bytes === undefined || bytes <= 0) {
      ctx.addIssue({ code: 'custom', message: SIZE_HINT });
      return z.NEVER;
    }
    return bytes;
  });

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** `100mb` → bytes (units are powers of 1024); a plain number is bytes. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  if (!match) return undefined;
  const unit = SIZE_UNITS[(match[2] || 'b').toLowerCase()];
  return unit === undefined ? undefined : Number(match[1]) * unit;
}

const count = (fallback: number) => z.number().int().positive().default(fallback);

const retry = () =>
  z
    .strictObject({ initial: positiveDuration().default(DEFAULTS.retry.initialMs), max: positiveDuration().default(DEFAULTS.retry.maxMs) })
    .default({ initial: DEFAULTS.retry.initialMs, max: DEFAULTS.retry.maxMs });

const onFailure = (fallback: 'block' | 'buffer') => z.enum(['block', 'buffer']).default(fallback);

const fileSink = z.strictObject({
  type: z.literal('file'),
  path: z.string().min(1),
  fsync: z.enum(['record', 'interval']).default(DEFAULTS.file.fsync),
  fsync_interval: positiveDuration().default(DEFAULTS.file.fsyncIntervalMs),
  rotate: z.strictObject({ max_size: size().optional(), max_age: positiveDuration().optional() }).optional(),
  max_pending: count(DEFAULTS.file.maxPending),
  on_failure: onFailure(DEFAULTS.file.onFailure),
  retry: retry(),
});

const postgresConnection = z.union([
  z.string().regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// URL or { host, port, user, password, database }' }),
  z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).default(DEFAULTS.postgres.port),
    user: z.string().min(1),
    password: z.string().optional(),
    database: z.string().min(1),
    ssl: z.boolean().default(false),
  }),
]);

const identifier = (fallback: string) =>
  z.string().regex(IDENTIFIER, { error: 'expected a plain identifier: letters, digits and _' }).default(fallback);

const postgresSink = z.strictObject({
  type: z.literal('postgres'),
  connection: postgresConnection,
  schema: identifier(DEFAULTS.postgres.schema),
  table: identifier(DEFAULTS.postgres.table),
  batch_size: count(DEFAULTS.postgres.batchSize),
  flush_interval: positiveDuration().default(DEFAULTS.postgres.flushIntervalMs),
  max_pending: count(DEFAULTS.postgres.maxPending),
  on_failure: onFailure(DEFAULTS.postgres.onFailure),
  retry: retry(),
});

const webhookSink = z.strictObject({
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  headers: z.record(z.string(), z.string()).default({}),
  batch_size: count(DEFAULTS.webhook.batchSize),
  flush_interval: positiveDuration().default(DEFAULTS.webhook.flushIntervalMs),
  timeout: positiveDuration().default(DEFAULTS.webhook.timeoutMs),
  spool: z
    .strictObject({ dir: z.string().min(1).optional(), max_size: size().default(DEFAULTS.webhook.spoolMaxBytes) })
    .default({ max_size: DEFAULTS.webhook.spoolMaxBytes }),
  on_failure: onFailure(DEFAULTS.webhook.onFailure),
  retry: retry(),
});

const stdoutSink = z.strictObject({
  type: z.literal('stdout'),
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default(DEFAULTS.stdout.level),
  on_failure: onFailure(DEFAULTS.stdout.onFailure),
});

const sink = z.discriminatedUnion('type', [fileSink, postgresSink, webhookSink, stdoutSink], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected a sink of type file, postgres, webhook or stdout' : undefined),
});

const checkpoints = z
  .strictObject({
    /** PEM text, usually `${file:./keys/audit-ed25519.pem}`. */
    private_key: z.string().min(1).optional(),
    /** A path to the PEM file, relative to the config file. */
    private_key_file: z.string().min(1).optional(),
    every_records: count(DEFAULTS.checkpoints.everyRecords),
    every: positiveDuration().default(DEFAULTS.checkpoints.everyMs),
  })
  .refine((value) => (value.private_key === undefined) !== (value.private_key_file === undefined), {
    message: 'give exactly one of private_key and private_key_file',
  });

export const optionsSchema = z.strictObject({
  sinks: z.array(sink).min(1, { error: 'configure at least one sink, e.g. [ { type: file, path: ./audit/audit.jsonl } ]' }),
  redact_literals: z.boolean().default(DEFAULTS.redactLiterals),
  max_sql_length: z.number().int().min(64).default(DEFAULTS.maxSqlLength),
  checkpoints: checkpoints.optional(),
  /** The admin API's audit routes: who besides admin.groups may read them, and how much one export may hold. */
  api: z
    .strictObject({
      groups: z.array(z.string().min(1)).default([]),
      max_export_records: count(DEFAULTS.api.maxExportRecords),
    })
    .default({ groups: [], max_export_records: DEFAULTS.api.maxExportRecords }),
});

export type AuditOptions = z.output<typeof optionsSchema>;
export type SinkOptions = AuditOptions['sinks'][number];
export type FileSinkConfig = z.output<typeof fileSink>;
export type PostgresSinkConfig = z.output<typeof postgresSink>;
export type WebhookSinkConfig = z.output<typeof webhookSink>;
