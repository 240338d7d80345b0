// Live sessions (GET /api/sessions), refreshed every few seconds, each with a terminate button (DELETE /api/sessions/:id).
import { del, getJson, segment } from '../api.js';
import { badge, code, details, h, replace, table } from '../dom.js';
import { formatGroups, formatTime, formatWhen, plural, shorten } from '../format.js';
import { confirmDialog } from '../components/dialog.js';
import { autoRefresh } from '../components/refresher.js';
import { announce, explain, messageArea } from '../components/status.js';

export function mount(main) {
  const messages = messageArea();
  const list = h('div', { class: 'list', 'aria-busy': 'true' });
  const count = h('p', { class: 'count' });
  let shown = '';

  const load = async () => {
    let sessions;
    try {
      ({ sessions } = await getJson('/api/sessions'));
    } catch (error) {
      messages.error(explain(error));
      list.setAttribute('aria-busy', 'false');
      if (error.status === 403) refresher.pause(); // asking again every few seconds will not change the answer
      throw error;
    }
    const snapshot = JSON.stringify(sessions);
    list.setAttribute('aria-busy', 'false');
    messages.clearError();
    if (snapshot === shown) return; // unchanged: leave the table (and keyboard focus) alone
    shown = snapshot;
    const focusedId = document.activeElement?.dataset?.sessionId;
    count.textContent = plural(sessions.length, 'live session');
    replace(list, render(sessions));
    if (focusedId) list.querySelector(`[data-session-id="${CSS.escape(focusedId)}"]`)?.focus();
  };

  const terminate = async (session) => {
    const confirmed = await confirmDialog({
      title: `Terminate session ${session.id}?`,
      message: 'The client is disconnected at once; a statement that is running is cancelled. This cannot be undone.',
      details: details([
        ['Who', `${session.identity.name}${session.identity.groups.length ? ` (${formatGroups(session.identity.groups)})` : ''}`],
        ['Client', clientText(session)],
        ['Listener', session.listener],
      ]),
      confirmLabel: 'Terminate session',
      danger: true,
    });
    if (!confirmed) return;
    try {
      await del(`/api/sessions/${segment(session.id)}`);
      messages.success(`Session ${session.id} of ${session.identity.name} was terminated.`);
      announce(`Session ${session.id} terminated`);
    } catch (error) {
      messages.error(explain(error));
    }
    await refresher.refresh();
  };

  const render = (sessions) =>
    table({
      caption: 'Live sessions',
      empty: 'No client is connected right now.',
      rows: sessions.map((session) => ({ item: session, attributes: { dataset: { session: session.id } } })),
      columns: [
        { label: 'Session', cell: (s) => h('span', { class: 'mono' }, s.id) },
        {
          label: 'Who',
          cell: (s) => [h('strong', {}, s.identity.name), s.identity.groups.length ? h('div', { class: 'sub' }, formatGroups(s.identity.groups)) : null, h('div', { class: 'sub' }, s.identity.auth)],
        },
        { label: 'Client', cell: (s) => clientText(s) },
        { label: 'Where', cell: (s) => [s.environment ? badge(s.environment, envKind(s.environment)) : null, ' ', s.listener, s.database ? h('div', { class: 'sub' }, `database ${s.database}`) : null] },
        { label: 'Since', cell: (s) => h('time', { datetime: s.since, title: formatTime(s.since) }, formatWhen(s.since)) },
        { label: 'Statements', className: 'number', cell: (s) => String(s.statements) },
        { label: 'Running now', className: 'sql-cell', cell: (s) => (s.current ? code(shorten(s.current, 300), 'Statement running now') : h('span', { class: 'sub' }, 'idle')) },
        {
          label: 'Actions',
          cell: (s) =>
            h(
              'button',
              { type: 'button', class: 'button danger small', dataset: { sessionId: s.id }, 'aria-label': `Terminate session ${s.id} of ${s.identity.name}`, onclick: () => void terminate(s) },
              'Terminate',
            ),
        },
      ],
    });

  const refresher = autoRefresh(load, { everyMs: 3000 });
  replace(
    main,
    h('h1', {}, 'Live sessions'),
    h('p', { class: 'lead' }, 'Everyone connected through Sluice right now, and what they are running.'),
    refresher.toolbar,
    messages.element,
    count,
    list,
  );
  return () => refresher.stop();
}

function clientText(session) {
  const { address, port, application } = session.client;
  return `${address}:${port}${application ? ` · ${application}` : ''}`;
}

export function envKind(environment) {
  const name = String(environment).toLowerCase();
  if (name.startsWith('prod')) return 'prod';
  if (name.startsWith('stag')) return 'staging';
  if (name.startsWith('dev')) return 'dev';
  return 'neutral';
}
