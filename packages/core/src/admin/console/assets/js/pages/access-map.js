// The data access map (GET /api/audit/access-map): for a time range, which identities touched which tables and columns, per environment.
import { getJson } from '../api.js';
import { badge, field, h, replace } from '../dom.js';
import { formatGroups, formatTime, isoToLocalInput, localInputToIso, plural } from '../format.js';
import { announce, explainAudit, messageArea } from '../components/status.js';
import { envKind } from './sessions.js';

const DAY = 24 * 60 * 60 * 1000;

export function mount(main, { query, navigate }) {
  const messages = messageArea();
  const results = h('div', { class: 'results', 'aria-busy': 'false' });
  const since = query.get('since') ?? new Date(Date.now() - 7 * DAY).toISOString();
  const inputs = {
    since: h('input', { type: 'datetime-local', name: 'since', value: isoToLocalInput(since) }),
    until: h('input', { type: 'datetime-local', name: 'until', value: isoToLocalInput(query.get('until')) }),
    environment: h('input', { type: 'search', name: 'environment', value: query.get('environment') ?? '', autocomplete: 'off' }),
    user: h('input', { type: 'search', name: 'user', value: query.get('user') ?? '', autocomplete: 'off' }),
    group: h('input', { type: 'search', name: 'group', value: query.get('group') ?? '', autocomplete: 'off' }),
  };
  const form = h(
    'form',
    { class: 'filters card', role: 'search', 'aria-label': 'Time range and filters of the map' },
    h(
      'div',
      { class: 'filter-grid' },
      field('From', inputs.since, 'Your local time'),
      field('To', inputs.until, 'Empty: until now'),
      field('Environment', inputs.environment, 'Empty: all of them'),
      field('Person', inputs.user),
      field('Group', inputs.group),
    ),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Show the map')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    const from = localInputToIso(inputs.since.value);
    const to = localInputToIso(inputs.until.value);
    if (from) next.set('since', from);
    if (to) next.set('until', to);
    for (const name of ['environment', 'user', 'group']) if (inputs[name].value.trim()) next.set(name, inputs[name].value.trim());
    const same = next.toString() === query.toString();
    navigate('access', next);
    if (same) void load(next);
  });

  const load = async (filters) => {
    results.setAttribute('aria-busy', 'true');
    messages.clear();
    try {
      const map = await getJson('/api/audit/access-map', Object.fromEntries(filters));
      replace(results, render(map));
      announce(`Access map: ${plural(new Set((map.entries ?? []).map((e) => e.identity)).size, 'identity', 'identities')}`);
    } catch (error) {
      replace(results);
      messages.error(explainAudit(error));
    } finally {
      results.setAttribute('aria-busy', 'false');
    }
  };

  replace(
    main,
    h('h1', {}, 'Data access map'),
    h('p', { class: 'lead' }, 'Which identities read or wrote which tables and columns, and whether the values they got were masked or in clear.'),
    form,
    legend(),
    messages.element,
    results,
  );
  const initial = new URLSearchParams(query);
  if (!initial.has('since')) initial.set('since', since);
  void load(initial);
}

function legend() {
  return h(
    'p',
    { class: 'legend' },
    'Key: ',
    badge('read', 'read'),
    ' statements that read it · ',
    badge('write', 'write'),
    ' statements that wrote it · ',
    badge('masked', 'masked'),
    ' reads where its values were masked · ',
    badge('clear', 'clear'),
    ' reads that returned them in clear',
  );
}

function render(map) {
  const entries = map.entries ?? [];
  const range = `${map.since ? formatTime(map.since) : 'the beginning'} to ${map.until ? formatTime(map.until) : 'now'}`;
  if (entries.length === 0) return h('p', { class: 'empty' }, `Nobody touched any table from ${range}.`);
  const environments = map.environments?.length ? map.environments : [...new Set(entries.map((e) => e.environment ?? ''))];
  const envKey = (environment) => environment ?? '';

  // identity → "table column" → environment → entry
  const byIdentity = new Map();
  for (const entry of entries) {
    let person = byIdentity.get(entry.identity);
    if (!person) byIdentity.set(entry.identity, (person = { groups: entry.groups ?? [], rows: new Map() }));
    const rowKey = `${entry.table}\u0000${entry.column ?? ''}`;
    let row = person.rows.get(rowKey);
    if (!row) person.rows.set(rowKey, (row = { table: entry.table, column: entry.column, cells: new Map() }));
    row.cells.set(envKey(entry.environment), entry);
  }

  const people = byIdentity.size;
  return [
    h('p', { class: 'count' }, `${plural(people, 'identity', 'identities')} touched data from ${range}.`),
    h(
      'div',
      { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Data access map' },
      h(
        'table',
        { class: 'data access-map' },
        h('caption', { class: 'visually-hidden' }, `Data access from ${range}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Table'),
            h('th', { scope: 'col' }, 'Column'),
            environments.map((environment) => h('th', { scope: 'col' }, environment ? badge(environment, envKind(environment)) : 'no environment')),
          ),
        ),
        [...byIdentity].map(([identity, person]) =>
          h(
            'tbody',
            { dataset: { identity } },
            h(
              'tr',
              { class: 'identity-row' },
              h('th', { scope: 'rowgroup', colspan: String(2 + environments.length) }, identity, person.groups.length ? h('span', { class: 'sub' }, ` ${formatGroups(person.groups)}`) : null),
            ),
            [...person.rows.values()].map((row) =>
              h(
                'tr',
                { dataset: { table: row.table, column: row.column ?? '' } },
                h('th', { scope: 'row', class: 'mono' }, row.table),
                h('td', { class: 'mono' }, row.column ?? h('span', { class: 'sub' }, 'whole table')),
                environments.map((environment) =>
                  h('td', { dataset: { environment: environment ?? '' } }, cell(row.cells.get(envKey(environment)), { identity, row, environment, map })),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  ];
}

/** The counts of one identity, column and environment, linked to the audit records behind them. */
function cell(entry, { identity, row, environment, map }) {
  if (!entry) return h('span', { class: 'none', 'aria-label': 'not touched' }, '—');
  const filters = new URLSearchParams({ user: identity, table: row.table, event: 'query', decision: 'allow' });
  if (row.column) filters.set('column', row.column);
  if (environment) filters.set('environment', environment);
  if (map.since) filters.set('since', map.since);
  if (map.until) filters.set('until', map.until);
  const where = `${row.table}${row.column ? `.${row.column}` : ''}${environment ? ` in ${environment}` : ''}`;
  return h(
    'a',
    { class: 'chips', href: `#/audit?${filters}`, title: entry.last ? `last ${formatTime(entry.last)}` : undefined, 'aria-label': `Statements of ${identity} on ${where}: ${summary(entry)}` },
    entry.read ? badge(`read ${entry.read}`, 'read') : null,
    entry.write ? badge(`write ${entry.write}`, 'write') : null,
    entry.masked ? badge(`masked ${entry.masked}`, 'masked') : null,
    entry.clear ? badge(`clear ${entry.clear}`, 'clear') : null,
  );
}

function summary(entry) {
  return [
    entry.read ? `${entry.read} read` : '',
    entry.write ? `${entry.write} wrote` : '',
    entry.masked ? `${entry.masked} masked` : '',
    entry.clear ? `${entry.clear} in clear` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
