// Prints records as a readable table: time, seq, event, user, decision, tables, and what happened.
import type { AuditRecord } from '../record/types.js';

const HEADERS = ['TIME', 'SEQ', 'EVENT', 'USER', 'DECISION', 'TABLES', 'DETAIL'] as const;
const FIXED_WIDTHS = [19, 7, 10, 14, 8, 24];

export function tableHeader(width: number): string {
  return formatRow([...HEADERS], width);
}

export function tableRow(record: AuditRecord, width: number): string {
  return formatRow(
    [
      record.ts.replace('T', ' ').slice(0, 19),
      String(record.seq),
      record.event,
      record.identity?.name ?? (record.identity?.claimed === undefined ? '' : `${record.identity.claimed}?`),
      decisionText(record),
      (record.statement?.tables ?? []).map((table) => table.name).filter((name, index, all) => all.indexOf(name) === index).join(','),
      detail(record),
    ],
    width,
  );
}

function decisionText(record: AuditRecord): string {
  if (!record.decision) return record.result?.error ? 'error' : '';
  if (record.decision.action === 'deny') return 'DENY';
  if (record.result?.error) return 'error';
  return record.decision.approver ? 'approved' : 'allow';
}

function detail(record: AuditRecord): string {
  switch (record.event) {
    case 'query': {
      const parts = [oneLine(record.statement?.sql ?? '')];
      if (record.decision?.action === 'deny') parts.push(`— ${record.decision.rule ?? record.decision.plugin ?? ''}: ${record.decision.reason ?? ''}`);
      else if (record.result?.error) parts.push(`— ${record.result.error.code ?? ''} ${record.result.error.message}`);
      else parts.push(`— ${record.result?.affected ?? record.result?.rows ?? 0} rows`);
      const masked = Object.entries(record.masked ?? {});
      if (masked.length > 0) parts.push(`(masked ${masked.map(([column, { count }]) => `${column}×${count}`).join(', ')})`);
      return parts.join(' ');
    }
    case 'connect':
      return [record.client?.addr, record.client?.application, record.database && `db ${record.database}`, record.decision?.action === 'deny' ? `— ${record.decision.reason ?? ''}` : '']
        .filter(Boolean)
        .join(' ');
    case 'disconnect':
      return `${record.result?.reason ?? ''} after ${record.result?.statements ?? 0} statements${record.result?.error ? ` — ${record.result.error.message}` : ''}`;
    case 'approval':
      return `${record.decision?.approver ?? ''} ${record.decision?.action === 'deny' ? 'refused' : 'approved'} ${record.decision?.rule ?? ''}: ${oneLine(record.statement?.sql ?? '')}`;
    case 'checkpoint':
      return `${record.checkpoint?.reason ?? ''} checkpoint, key ${record.checkpoint?.key_id ?? ''}`;
    default:
      return '';
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function formatRow(cells: string[], width: number): string {
  const fixed = FIXED_WIDTHS.map((cellWidth, index) => fit(cells[index] ?? '', cellWidth));
  const used = FIXED_WIDTHS.reduce((sum, cellWidth) => sum + cellWidth + 2, 0);
  const last = cells[cells.length - 1] ?? '';
  return `${fixed.join('  ')}  ${truncate(last, Math.max(20, width - used))}`.trimEnd();
}

function fit(text: string, width: number): string {
  return truncate(text, width).padEnd(width);
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
