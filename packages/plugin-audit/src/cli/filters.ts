// Record filters of `sluice audit tail` and `search` (and the admin API's audit routes): user, group, environment, table, column, decision, kind, event, session, time range, text.
import { parseDuration } from '@sluice/core';
import type { AuditRecord } from '../record/types.js';

export interface RecordFilters {
  readonly user?: string;
  readonly group?: string;
  readonly environment?: string;
  readonly table?: string;
  readonly column?: string;
  readonly decision?: 'allow' | 'deny';
  /** A statement kind: select, insert, delete… */
  readonly kind?: string;
  /** Only records with (true) or without (false) masked values. */
  readonly masked?: boolean;
  readonly event?: string;
  readonly session?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly text?: string;
}

export const FILTER_OPTIONS = {
  user: { type: 'string' },
  group: { type: 'string' },
  environment: { type: 'string' },
  table: { type: 'string' },
  column: { type: 'string' },
  decision: { type: 'string' },
  kind: { type: 'string' },
  event: { type: 'string' },
  session: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  text: { type: 'string' },
} as const;

export class UsageError extends Error {}

/** Builds the filters from parsed options; `now` anchors relative times such as `--since 2h`. */
export function filtersFrom(values: Partial<Record<keyof typeof FILTER_OPTIONS, string>>, now = new Date()): RecordFilters {
  const decision = values.decision?.toLowerCase();
  if (decision !== undefined && decision !== 'allow' && decision !== 'deny') throw new UsageError('--decision must be allow or deny');
  return {
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(values.group === undefined ? {} : { group: values.group }),
    ...(values.environment === undefined ? {} : { environment: values.environment }),
    ...(values.table === undefined ? {} : { table: values.table }),
    ...(values.column === undefined ? {} : { column: values.column }),
    ...(decision === undefined ? {} : { decision }),
    ...(values.kind === undefined ? {} : { kind: values.kind.toLowerCase() }),
    ...(values.event === undefined ? {} : { event: values.event.toLowerCase() }),
    ...(values.session === undefined ? {} : { session: values.session }),
    ...(values.since === undefined ? {} : { since: parseTime(values.since, now, '--since') }),
    ...(values.until === undefined ? {} : { until: parseTime(values.until, now, '--until') }),
    ...(values.text === undefined ? {} : { text: values.text }),
  };
}

/** An ISO date or time (`2025-11-23`, `2025-11-23T05:00:00Z`), or an age: `30m`, `2h`, `7d` ago. */
export function parseTime(text: string, now: Date, option: string): Date {
  const days = /^(\d+)d$/.exec(text.trim());
  const ago = days ? Number(days[1]) * 86_400_000 : /^\d+(ms|s|m|h)$/.test(text.trim()) ? parseDuration(text) : undefined;
  if (ago !== undefined) return new Date(now.getTime() - ago);
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${option}: expected an ISO time (2025-11-23T05:00:00Z) or an age (30m, 2h, 7d), not "${text}"`);
  return date;
}

export function matches(record: AuditRecord, filters: RecordFilters): boolean {
  if (filters.event !== undefined ? record.event !== filters.event : record.event === 'checkpoint') return false;
  if (filters.session !== undefined && record.session !== filters.session) return false;
  if (filters.decision !== undefined && record.decision?.action !== filters.decision) return false;
  if (filters.user !== undefined) {
    const identity = record.identity ?? {};
    if (![identity.name, identity.sub, identity.email, identity.claimed].some((value) => same(value, filters.user!))) return false;
  }
  if (filters.group !== undefined && !(record.identity?.groups ?? []).some((group) => same(group, filters.group!))) return false;
  if (filters.environment !== undefined && !same(record.environment, filters.environment)) return false;
  if (filters.kind !== undefined && !(record.statement?.kinds ?? []).some((kind) => same(kind, filters.kind!))) return false;
  if (filters.masked !== undefined && (Object.keys(record.masked ?? {}).length > 0) !== filters.masked) return false;
  if (filters.table !== undefined && !(record.statement?.tables ?? []).some((table) => sameTable(table.name, filters.table!))) return false;
  if (filters.column !== undefined && !touchesColumn(record, filters.column)) return false;
  const ts = new Date(record.ts).getTime();
  if (filters.since !== undefined && !(ts >= filters.since.getTime())) return false;
  if (filters.until !== undefined && !(ts <= filters.until.getTime())) return false;
  if (filters.text !== undefined) {
    const needle = filters.text.toLowerCase();
    const haystack = [record.statement?.sql, record.decision?.reason, record.result?.error?.message, record.identity?.name, record.identity?.claimed];
    if (!haystack.some((value) => value?.toLowerCase().includes(needle))) return false;
  }
  return true;
}

function same(value: string | undefined, wanted: string): boolean {
  return value !== undefined && value.toLowerCase() === wanted.toLowerCase();
}

/** `customers` matches `public.customers`; `public.customers` matches only itself. Quotes are ignored. */
function sameTable(name: string, wanted: string): boolean {
  const plain = (text: string) => text.replace(/["`[\]]/g, '').toLowerCase();
  const have = plain(name);
  const want = plain(wanted);
  return have === want || (!want.includes('.') && have.split('.').pop() === want);
}

/** `email` or `customers.email`, among the columns the statement read or wrote and the columns masked in its result. */
function touchesColumn(record: AuditRecord, wanted: string): boolean {
  const want = wanted.toLowerCase();
  const [wantTable, wantColumn] = want.includes('.') ? [want.slice(0, want.lastIndexOf('.')), want.slice(want.lastIndexOf('.') + 1)] : [undefined, want];
  const candidates: { table?: string; name: string }[] = [
    ...(record.statement?.columns ?? []),
    ...Object.keys(record.masked ?? {}).map((key) => (key.includes('.') ? { table: key.slice(0, key.lastIndexOf('.')), name: key.slice(key.lastIndexOf('.') + 1) } : { name: key })),
  ];
  return candidates.some((column) => {
    if (column.name.toLowerCase() !== wantColumn) return false;
    return wantTable === undefined || (column.table !== undefined && sameTable(column.table, wantTable));
  });
}
