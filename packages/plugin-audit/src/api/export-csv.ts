// The evidence export as CSV: one row per record, the columns an auditor filters on, the SQL and the hash last.
import type { AuditRecord } from '../record/types.js';

export const CSV_COLUMNS = [
  'seq', 'ts', 'event', 'session', 'user', 'groups', 'auth', 'client', 'listener', 'environment', 'database', 'kinds', 'tables', 'columns',
  'decision', 'rule', 'reason', 'approver', 'rows', 'affected', 'duration_ms', 'error', 'masked', 'sql', 'hash',
] as const;

export function csvDocument(records: Iterable<AuditRecord>): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const record of records) lines.push(csvRow(record).map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function csvRow(record: AuditRecord): (string | number | undefined)[] {
  const { identity, client, statement, decision, result } = record;
  return [
    record.seq,
    record.ts,
    record.event,
    record.session,
    identity?.name ?? (identity?.claimed === undefined ? undefined : `${identity.claimed} (claimed)`),
    identity?.groups?.join(' '),
    identity?.auth,
    client?.addr === undefined ? undefined : `${client.addr}${client.port === undefined ? '' : `:${client.port}`}`,
    record.listener,
    record.environment,
    record.database,
    statement?.kinds?.join(' '),
    statement?.tables?.map((table) => `${table.name}:${table.access}`).join(' '),
    statement?.columns?.map((column) => `${column.table === undefined ? '' : `${column.table}.`}${column.name}:${column.access}`).join(' '),
    decision?.outcome ?? decision?.action,
    decision?.rule,
    decision?.reason,
    decision?.approver,
    result?.rows,
    result?.affected,
    result?.duration_ms,
    result?.error?.message,
    record.masked === undefined ? undefined : Object.entries(record.masked).map(([column, { type, count }]) => `${column}:${type}:${count}`).join(' '),
    statement?.sql,
    record.hash,
  ];
}

/**
 * RFC 4180 quoting; a field a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a
 * leading `'` so that opening the export never executes what a client typed.
 */
function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
