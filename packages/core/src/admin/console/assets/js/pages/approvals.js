// The approvals queue (GET /api/approvals): held statements with requester, SQL and rule; approve and deny where the caller may decide.
import { getJson, postJson, segment } from '../api.js';
import { badge, code, details, h, replace } from '../dom.js';
import { formatGroups, formatTime, formatWhen, plural } from '../format.js';
import { confirmDialog } from '../components/dialog.js';
import { autoRefresh } from '../components/refresher.js';
import { announce, explain, messageArea } from '../components/status.js';
import { envKind } from './sessions.js';

export function mount(main, { me, query }) {
  // `#/approvals?id=ap-…`: the link in approval notifications; that request comes first, marked.
  const wanted = query?.get('id') ?? undefined;
  const messages = messageArea();
  const notice = h('p', { class: 'sub', role: 'status' });
  const list = h('div', { class: 'approvals', 'aria-busy': 'true' });
  const count = h('p', { class: 'count' });
  let shown = '';

  const isMine = (approval) => approval.requester.subject === me.subject || approval.requester.name === me.name || (me.email && approval.requester.email === me.email);

  const load = async () => {
    let approvals;
    try {
      ({ approvals } = await getJson('/api/approvals'));
    } catch (error) {
      list.setAttribute('aria-busy', 'false');
      messages.error(error.status === 404 ? 'Approvals need the guardrails plugin (@sluice/plugin-guardrails) in the config.' : explain(error));
      if (error.status === 404) refresher.pause(); // the plugin appears only with a reload of the config
      throw error;
    }
    list.setAttribute('aria-busy', 'false');
    messages.clearError();
    const snapshot = JSON.stringify(approvals);
    if (snapshot === shown) return;
    shown = snapshot;
    const focusedId = document.activeElement?.dataset?.approvalId;
    const focusedAction = document.activeElement?.dataset?.action;
    count.textContent = plural(approvals.length, 'statement') + ' waiting for a decision';
    const linked = wanted === undefined ? undefined : approvals.find((approval) => approval.id === wanted);
    notice.textContent = wanted === undefined || linked ? '' : `${wanted} is no longer waiting: it was decided, expired or withdrawn (the audit explorer has its outcome).`;
    const ordered = linked ? [linked, ...approvals.filter((approval) => approval !== linked)] : approvals;
    replace(list, approvals.length === 0 ? h('p', { class: 'empty' }, 'No statement is waiting for approval.') : ordered.map(card));
    if (focusedId) list.querySelector(`[data-approval-id="${CSS.escape(focusedId)}"][data-action="${CSS.escape(focusedAction ?? '')}"]`)?.focus();
  };

  const decide = async (approval, verdict) => {
    const approving = verdict === 'approve';
    const answer = await confirmDialog({
      title: `${approving ? 'Approve' : 'Deny'} ${approval.id}?`,
      message: approving
        ? `The statement of ${approval.requester.name} runs once, as it is, as soon as you approve it.`
        : `The statement of ${approval.requester.name} does not run; they get your comment with the refusal.`,
      details: code(approval.sql, 'Held statement'),
      confirmLabel: approving ? 'Approve and run' : 'Deny',
      danger: !approving,
      comment: approving ? undefined : 'Comment for the requester (optional)',
    });
    if (answer === false) return;
    try {
      await postJson(`/api/approvals/${segment(approval.id)}/${verdict}`, typeof answer === 'string' && answer ? { comment: answer } : undefined);
      const done = `${approval.id} ${approving ? 'approved' : 'denied'}.`;
      messages.success(done);
      announce(done);
    } catch (error) {
      messages.error(explain(error));
    }
    await refresher.refresh();
  };

  const card = (approval) => {
    const mine = isMine(approval);
    const titleId = `approval-${approval.id}`;
    const rules = approval.rules?.length ? approval.rules : [approval.rule];
    let actions;
    if (mine) actions = h('p', { class: 'sub' }, 'Your own request: another approver decides it.');
    else if (approval.can_approve)
      actions = [
        h('button', { type: 'button', class: 'button primary', dataset: { approvalId: approval.id, action: 'approve' }, 'aria-describedby': titleId, onclick: () => void decide(approval, 'approve') }, 'Approve'),
        h('button', { type: 'button', class: 'button danger', dataset: { approvalId: approval.id, action: 'deny' }, 'aria-describedby': titleId, onclick: () => void decide(approval, 'deny') }, 'Deny'),
      ];
    else actions = h('p', { class: 'sub' }, `Needs a member of ${approverGroups(approval) || 'the approver groups'}.`);
    const isLinked = approval.id === wanted;
    return h(
      'article',
      { class: isLinked ? 'card approval linked' : 'card approval', 'aria-labelledby': titleId, 'aria-current': isLinked ? 'true' : undefined, dataset: { approval: approval.id } },
      h('h2', { id: titleId }, h('span', { class: 'mono' }, approval.id), ' · ', rules.join(', '), mine ? badge('yours', 'neutral') : null, isLinked ? badge('from your link', 'read') : null),
      details([
        ['Requested by', `${approval.requester.name}${approval.requester.groups.length ? ` (${formatGroups(approval.requester.groups)})` : ''}`],
        ['Rule', rules.join(', ')],
        ['Why', approval.reason],
        ['Where', [approval.environment ? badge(approval.environment, envKind(approval.environment)) : null, ` ${approval.listener}`, approval.database ? ` · ${approval.database}` : '']],
        ['Requested', h('time', { datetime: approval.createdAt, title: formatTime(approval.createdAt) }, formatWhen(approval.createdAt))],
        ['Expires', h('time', { datetime: approval.expiresAt, title: formatTime(approval.expiresAt) }, formatWhen(approval.expiresAt))],
      ]),
      code(approval.sql, `SQL of ${approval.id}`),
      approval.params?.length ? h('p', { class: 'sub' }, 'Parameters: ', approval.params.map((p, i) => `$${i + 1} = ${p === null ? 'NULL' : p}`).join(', ')) : null,
      h('div', { class: 'actions' }, actions),
    );
  };

  const refresher = autoRefresh(load, { everyMs: 3000 });
  replace(
    main,
    h('h1', {}, 'Approvals'),
    h('p', { class: 'lead' }, 'Statements a guardrails rule held until someone approves them. Nobody approves their own.'),
    refresher.toolbar,
    messages.element,
    notice,
    count,
    list,
  );
  return () => refresher.stop();
}

function approverGroups(approval) {
  const groups = new Set(Object.values(approval.approvers ?? {}).flat());
  return [...groups].join(', ');
}
