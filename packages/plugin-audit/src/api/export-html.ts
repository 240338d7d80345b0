// The evidence export as a self-contained HTML report: the range, the filters, the chain verification and the records.
import type { AuditRecord } from '../record/types.js';

export interface Verification {
  readonly status: 'intact' | 'tampered';
  /** The line `sluice audit verify` prints first: `OK …` or `TAMPERED <file>:<line> …`. */
  readonly summary: string;
  /** Records the verification checked (before the first problem when tampered). */
  readonly checked: number;
}

export interface ReportInput {
  readonly generatedAt: Date;
  readonly generatedBy: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly filters: Readonly<Record<string, string>>;
  readonly verification: Verification;
  readonly records: readonly AuditRecord[];
}

export function htmlReport(input: ReportInput): string {
  const { verification, records } = input;
  const range = `${input.since?.toISOString() ?? 'the first record'} to ${input.until?.toISOString() ?? 'the last record'}`;
  const filters = Object.entries(input.filters);
  const verdict = verification.status === 'intact'
    ? `Chain verification: INTACT — ${verification.checked} records checked`
    : `Chain verification: TAMPERED — ${verification.summary}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sluice audit evidence: ${escape(range)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #111; }
h1 { font-size: 1.4rem; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { font-weight: 600; }
#verification { padding: .6rem 1rem; border-radius: 4px; font-weight: 600; }
#verification[data-status="intact"] { background: #e6f4ea; color: #0b5b1e; }
#verification[data-status="tampered"] { background: #fde7e9; color: #8a0010; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: .25rem .4rem; text-align: left; vertical-align: top; }
td.sql { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-word; }
@media print { body { margin: 0; } }
</style>
</head>
<body>
<h1>Sluice audit evidence</h1>
<dl>
<dt>Range</dt><dd id="range">${escape(range)}</dd>
<dt>Filters</dt><dd id="filters">${filters.length === 0 ? 'none' : filters.map(([name, value]) => `${escape(name)}=${escape(value)}`).join(', ')}</dd>
<dt>Records</dt><dd id="record-count">${records.length}</dd>
<dt>Generated</dt><dd>${escape(input.generatedAt.toISOString())} by ${escape(input.generatedBy)}</dd>
</dl>
<p id="verification" data-status="${verification.status}">${escape(verdict)}</p>
<pre id="verify-output">${escape(verification.summary)}</pre>
<table>
<thead><tr><th>seq</th><th>time</th><th>event</th><th>user</th><th>environment</th><th>decision</th><th>tables</th><th>masked</th><th>result</th><th>SQL</th><th>hash</th></tr></thead>
<tbody>
${records.map(row).join('\n')}
</tbody>
</table>
</body>
</html>
`;
}

function row(record: AuditRecord): string {
  const cells = [
    String(record.seq),
    record.ts,
    record.event,
    record.identity?.name ?? record.identity?.claimed ?? '',
    record.environment ?? '',
    [record.decision?.outcome ?? record.decision?.action, record.decision?.rule].filter(Boolean).join(' '),
    (record.statement?.tables ?? []).map((table) => `${table.name} (${table.access})`).join(', '),
    Object.entries(record.masked ?? {}).map(([column, { type, count }]) => `${column}: ${type} ×${count}`).join(', '),
    record.result?.error?.message ?? (record.result?.rows === undefined ? '' : `${record.result.rows} rows`),
  ];
  return `<tr>${cells.map((cell) => `<td>${escape(cell)}</td>`).join('')}<td class="sql">${escape(record.statement?.sql ?? '')}</td><td>${escape(record.hash.slice(0, 16))}</td></tr>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}
