// The audit explorer: filters kept in the URL hash, GET /api/audit newest first, page by page; each row opens its full record.
import { getJson, segment } from '../api.js';
import { badge, field, h, replace, table } from '../dom.js';
import { formatIdentity, formatTime, isoToLocalInput, localInputToIso, plural, shorten } from '../format.js';
import { announce, explainAudit, messageArea } from '../components/status.js';
import { envKind } from './sessions.js';

/** Text filters: query parameter, label, hint. */
const TEXT_FILTERS = [
  ['user', 'Person', 'Name, subject or email'],
  ['group', 'Group', ''],
  ['environment', 'Environment', 'e.g. prod'],
  ['table', 'Table', '"customers" matches public.customers'],
  ['column', 'Column', '"email" or "customers.email"'],
  ['text', 'Text', 'In the SQL, the reason or the error'],
  ['kind', 'Statement kind', 'e.g. select, update, delete'],
  ['session', 'Session', 'A session id, s-…'],
];
const PAGE_SIZE = 50;

export function mount(main, { query, navigate }) {
  const messages = messageArea();
  const results = h('div', { class: 'results', 'aria-busy': 'false' });
  const inputs = {};
  for (const [name] of TEXT_FILTERS) inputs[name] = h('input', { type: 'search', name, value: query.get(name) ?? '', autocomplete: 'off', spellcheck: 'false' });
  inputs.decision = select('decision', query.get('decision'), [['', 'Any'], ['allow', 'Allowed'], ['deny', 'Denied']]);
  inputs.event = select('event', query.get('event'), [['', 'Any'], ['query', 'Statements'], ['connect', 'Connections'], ['disconnect', 'Disconnections'], ['approval', 'Approvals']]);
  inputs.since = h('input', { type: 'datetime-local', name: 'since', value: isoToLocalInput(query.get('since')) });
  inputs.until = h('input', { type: 'datetime-local', name: 'until', value: isoToLocalInput(query.get('until')) });
  inputs.masked = h('input', { type: 'checkbox', name: 'masked', checked: query.get('masked') === 'true' });

  const form = h(
    'form',
    { class: 'filters card', role: 'search', 'aria-label': 'Filter the audit trail' },
    h(
      'div',
      { class: 'filter-grid' },
      TEXT_FILTERS.map(([name, label, hint]) => field(label, inputs[name], hint || undefined)),
      field('Decision', inputs.decision),
      field('Event', inputs.event),
      field('From', inputs.since, 'Your local time'),
      field('To', inputs.until, 'Your local time'),
    ),
    h('label', { class: 'checkbox' }, inputs.masked, ' Only statements with masked values'),
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'button primary' }, 'Search'),
      h('button', { type: 'button', class: 'button secondary', onclick: () => clearFilters() }, 'Clear filters'),
    ),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name] of TEXT_FILTERS) if (inputs[name].value.trim()) next.set(name, inputs[name].value.trim());
    if (inputs.decision.value) next.set('decision', inputs.decision.value);
    if (inputs.event.value) next.set('event', inputs.event.value);
    const since = localInputToIso(inputs.since.value);
    const until = localInputToIso(inputs.until.value);
    if (since) next.set('since', since);
    if (until) next.set('until', until);
    if (inputs.masked.checked) next.set('masked', 'true');
    const sameSearch = next.toString() === query.toString();
    navigate('audit', next);
    if (sameSearch) restart(query); // the hash did not change, so no route change reloads it
  });

  const clearFilters = () => {
    if ([...query].length > 0) return navigate('audit');
    form.reset();
    restart(query);
  };

  /** A new search starts again at the newest page. */
  const restart = (filters) => {
    previous.length = 0;
    void search(filters);
  };

  /** Cursors of the pages before this one, to go back. */
  const previous = [];

  const search = async (filters, cursor) => {
    results.setAttribute('aria-busy', 'true');
    messages.clear();
    try {
      const parameters = Object.fromEntries(filters);
      // A `limit` in the address (#/audit?limit=10) overrides the page size.
      const page = await getJson('/api/audit', { limit: PAGE_SIZE, ...parameters, cursor });
      replace(results, renderPage(page, filters, cursor));
      announce(`${plural(page.records?.length ?? 0, 'record')} found${page.next_cursor ? ', more on older pages' : ''}`);
    } catch (error) {
      replace(results);
      messages.error(explainAudit(error));
    } finally {
      results.setAttribute('aria-busy', 'false');
    }
  };

  const renderPage = (page, filters, cursor) => {
    const records = page.records ?? [];
    const pager = h(
      'nav',
      { class: 'pager', 'aria-label': 'Result pages' },
      h('button', { type: 'button', class: 'button secondary', disabled: previous.length === 0, onclick: () => void search(filters, previous.pop() ?? undefined) }, '← Newer'),
      h('span', {}, `Page ${previous.length + 1}`),
      h(
        'button',
        {
          type: 'button',
          class: 'button secondary',
          disabled: !page.next_cursor,
          onclick: () => {
            previous.push(cursor ?? null);
            void search(filters, page.next_cursor);
          },
        },
        'Older →',
      ),
    );
    return [
      h('p', { class: 'count' }, `${plural(records.length, 'record')} on this page${page.next_cursor ? ', more are older' : ''}`),
      table({
        caption: 'Audit records, newest first',
        empty: 'No record matches these filters.',
        rows: records.map((record) => ({ item: record, attributes: { dataset: { seq: String(record.seq) } } })),
        columns: [
          { label: 'Time', cell: (r) => h('time', { datetime: r.ts }, formatTime(r.ts)) },
          { label: 'Event', cell: (r) => r.event },
          { label: 'Person', cell: (r) => [formatIdentity(r.identity), r.identity?.groups?.length ? h('div', { class: 'sub' }, r.identity.groups.join(', ')) : null] },
          { label: 'Environment', cell: (r) => (r.environment ? badge(r.environment, envKind(r.environment)) : r.listener ?? '') },
          { label: 'Statement', className: 'sql-cell', cell: (r) => (r.statement ? h('code', { class: 'inline-sql' }, shorten(r.statement.sql, 140)) : summaryOf(r)) },
          { label: 'Tables', cell: (r) => (r.statement?.tables ?? []).map((t) => t.name).join(', ') },
          { label: 'Decision', cell: (r) => decisionBadge(r) },
          { label: 'Masked', cell: (r) => maskedBadge(r) },
          {
            label: 'Record',
            cell: (r) => h('a', { href: `#/audit/records/${segment(r.seq)}`, class: 'button secondary small', 'aria-label': `Open record ${r.seq}` }, `#${r.seq}`),
          },
        ],
      }),
      records.length > 0 ? pager : null,
    ];
  };

  replace(
    main,
    h('h1', {}, 'Audit explorer'),
    h('p', { class: 'lead' }, 'Who connected, what they ran, what policy decided and which values were masked. Newest first.'),
    form,
    messages.element,
    results,
  );
  void search(query);
}

function select(name, current, options) {
  return h('select', { name }, options.map(([value, label]) => h('option', { value, selected: (current ?? '') === value }, label)));
}

export function decisionBadge(record) {
  const action = record.decision?.action;
  if (!action) return record.decision?.outcome ? badge(record.decision.outcome, 'neutral') : '';
  return badge(action === 'deny' ? 'denied' : 'allowed', action === 'deny' ? 'deny' : 'allow', record.decision.rule ? `rule ${record.decision.rule}` : undefined);
}

export function maskedBadge(record) {
  const masked = Object.entries(record.masked ?? {});
  if (masked.length === 0) return '';
  const values = masked.reduce((sum, [, m]) => sum + (m.count ?? 0), 0);
  return badge(`${plural(values, 'value')} masked`, 'masked', masked.map(([column, m]) => `${column}: ${m.type}`).join(', '));
}

function summaryOf(record) {
  if (record.event === 'disconnect' && record.result?.reason) return h('span', { class: 'sub' }, record.result.reason);
  if (record.event === 'approval') return h('span', { class: 'sub' }, `${record.decision?.approval_id ?? ''} ${record.decision?.outcome ?? ''}`);
  if (record.event === 'connect') return h('span', { class: 'sub' }, record.client?.application ?? 'connected');
  return '';
}
