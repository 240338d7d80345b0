// One audit record in full (GET /api/audit/records/:id): who, where, the statement, the tables and columns, masked values, decision, result, chain links.
import { getJson, segment } from '../api.js';
import { badge, code, details, h, replace, table } from '../dom.js';
import { formatGroups, formatIdentity, formatTime } from '../format.js';
import { explainAudit, messageArea } from '../components/status.js';
import { decisionBadge } from './audit.js';
import { envKind } from './sessions.js';

export function mount(main, { params }) {
  const messages = messageArea();
  const body = h('div', { 'aria-busy': 'true' });
  replace(
    main,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/audit' }, '← Audit explorer')),
    h('h1', {}, `Audit record ${params.id}`),
    messages.element,
    body,
  );
  getJson(`/api/audit/records/${segment(params.id)}`)
    .then(({ record, file, line }) => replace(body, render(record, file, line)))
    .catch((error) => messages.error(explainAudit(error)))
    .finally(() => body.setAttribute('aria-busy', 'false'));
}

function render(record, file, line) {
  const identity = record.identity ?? {};
  const statement = record.statement;
  const masked = Object.entries(record.masked ?? {});
  return [
    section(
      'Summary',
      details([
        ['Event', record.event],
        ['Time', h('time', { datetime: record.ts }, formatTime(record.ts))],
        ['Person', formatIdentity(identity)],
        ['Email', identity.email],
        ['Groups', formatGroups(identity.groups)],
        ['Signed in with', identity.auth],
        ['Subject', identity.sub],
        ['Session', record.session ? h('a', { href: `#/audit?session=${encodeURIComponent(record.session)}`, 'aria-label': `Every record of session ${record.session}` }, record.session) : undefined],
        ['Client', record.client ? `${record.client.addr ?? ''}${record.client.port ? `:${record.client.port}` : ''}${record.client.application ? ` · ${record.client.application}` : ''}` : undefined],
        ['Listener', record.listener],
        ['Environment', record.environment ? badge(record.environment, envKind(record.environment)) : undefined],
        ['Dialect', record.dialect],
        ['Database', record.database],
        ['Upstream user', record.upstream_user],
      ]),
    ),
    statement
      ? section(
          'Statement',
          code(statement.sql, 'SQL of this statement'),
          statement.sql_length ? h('p', { class: 'sub' }, `Cut at ${statement.sql.length} of ${statement.sql_length} characters.`) : null,
          details([
            ['Kinds', (statement.kinds ?? []).join(', ')],
            ['Sent as', statement.via],
            ['Fingerprint', statement.fingerprint ? h('span', { class: 'mono' }, statement.fingerprint) : undefined],
            ['Parse error', statement.parse_error],
            ['Parameters', statement.params?.length ? statement.params.map((p, i) => `$${i + 1} = ${p === null ? 'NULL' : p}`).join(', ') : undefined],
          ]),
        )
      : null,
    statement ? section('Data touched', dataTouched(statement, record.masked ?? {})) : null,
    section(
      'Masked columns',
      masked.length === 0
        ? h('p', { class: 'empty' }, 'No value was masked in this result.')
        : table({
            caption: 'Masked values by column',
            className: 'data masked-columns',
            rows: masked.map(([column, m]) => ({ item: { column, ...m } })),
            columns: [
              { label: 'Column', cell: (m) => h('span', { class: 'mono' }, m.column) },
              { label: 'Detected as', cell: (m) => badge(m.type, 'masked') },
              { label: 'Values masked', className: 'number', cell: (m) => String(m.count) },
            ],
          }),
    ),
    record.decision
      ? section(
          'Decision',
          details([
            ['Outcome', decisionBadge(record)],
            ['Rule', record.decision.rule],
            ['Reason', record.decision.reason],
            ['Decided by plugin', record.decision.plugin],
            ['Approval', record.decision.approval_id],
            ['Approver', record.decision.approver],
            ['Approval outcome', record.decision.outcome],
            ['Dry-run rules that would deny', record.decision.would_deny?.map((w) => `${w.rule}: ${w.reason}`).join('; ')],
          ]),
        )
      : null,
    record.result
      ? section(
          'Result',
          details([
            ['Rows', record.result.rows],
            ['Rows affected', record.result.affected],
            ['Bytes', record.result.bytes],
            ['Duration', record.result.duration_ms !== undefined ? `${record.result.duration_ms} ms` : undefined],
            ['Error', record.result.error ? `${record.result.error.code ? `${record.result.error.code}: ` : ''}${record.result.error.message}` : undefined],
            ['Session ended because', record.result.reason],
            ['Statements in the session', record.result.statements],
          ]),
        )
      : null,
    section(
      'Integrity',
      details([
        ['Sequence', record.seq],
        ['Hash', h('span', { class: 'mono wrap' }, record.hash)],
        ['Previous hash', h('span', { class: 'mono wrap' }, record.prev)],
        ['Stored in', file ? `${file}${line ? `, line ${line}` : ''}` : undefined],
      ]),
    ),
    h('details', { class: 'raw' }, h('summary', {}, 'The record as written (JSON)'), code(JSON.stringify(record, null, 2), 'Raw audit record')),
  ];
}

/** Tables and columns the statement read or wrote, each marked masked or clear. */
function dataTouched(statement, masked) {
  // Masked keys are "table.column" with the table as the driver reports it (a PostgreSQL table id
  // today, a name later), or a bare column name for an expression.
  const parts = (name) => name.toLowerCase().split('.');
  const isMasked = (table, column) =>
    Object.keys(masked).find((key) => {
      const [keyColumn, keyTable] = parts(key).reverse();
      if (keyColumn !== column.toLowerCase()) return false;
      return !keyTable || /^\d+$/.test(keyTable) || !table || keyTable === parts(table).at(-1);
    });
  const rows = [];
  for (const column of statement.columns ?? []) rows.push({ table: column.table ?? '', column: column.name, access: column.access });
  for (const t of statement.tables ?? []) if (!rows.some((r) => r.table === t.name || r.table.endsWith(`.${t.name}`) || t.name.endsWith(`.${r.table}`))) rows.push({ table: t.name, column: '(whole table)', access: t.access });
  return table({
    caption: 'Tables and columns this statement touched',
    empty: 'The statement named no table.',
    rows: rows.map((row) => ({ item: row })),
    columns: [
      { label: 'Table', cell: (r) => h('span', { class: 'mono' }, r.table) },
      { label: 'Column', cell: (r) => h('span', { class: 'mono' }, r.column) },
      { label: 'Access', cell: (r) => badge(r.access, r.access === 'write' ? 'write' : 'read') },
      {
        label: 'Values returned',
        cell: (r) => {
          if (r.access !== 'read' || r.column === '(whole table)') return '';
          const key = isMasked(r.table, r.column);
          return key ? badge(`masked (${masked[key].type})`, 'masked') : badge('clear', 'clear');
        },
      },
    ],
  });
}

let sections = 0;

/** A card headed by its title, which also names it as a landmark region. */
function section(title, ...children) {
  const id = `record-section-${++sections}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), children);
}
