// The bodies webhooks receive for an approval event: a generic JSON document, or a Slack incoming-webhook message.
import type { ApprovalEvent, ApprovalEventType, PendingApproval } from './types.js';

export interface ApprovalLinks {
  /** A page to open in a browser: the console's approvals queue with this request, its approve and deny buttons. */
  readonly review: string;
  /** `POST` to approve; core's admin API serves it (for scripts; a browser opening it sends GET). */
  readonly approve: string;
  readonly deny: string;
  /** `GET` the pending approvals. */
  readonly list: string;
}

/** Links into the admin API for an approval, when its public address is configured. */
export function linksFor(baseUrl: string | undefined, id: string): ApprovalLinks | undefined {
  if (baseUrl === undefined) return undefined;
  const base = baseUrl.replace(/\/+$/, '');
  const approval = `${base}/api/approvals/${encodeURIComponent(id)}`;
  return {
    review: `${base}/console/#/approvals?id=${encodeURIComponent(id)}`,
    approve: `${approval}/approve`,
    deny: `${approval}/deny`,
    list: `${base}/api/approvals`,
  };
}

/** The generic body: the event, the approval (without parameters) and the links. */
export function jsonPayload(event: ApprovalEvent, links: ApprovalLinks | undefined): Record<string, unknown> {
  const { params: _params, ...approval } = event.approval;
  return {
    event: `approval.${event.type}`,
    at: event.at,
    approval,
    ...(event.by ? { by: event.by } : {}),
    ...(event.reason ? { reason: event.reason } : {}),
    ...(links ? { links } : {}),
  };
}

const HEADLINES: Record<ApprovalEventType, (a: PendingApproval, by?: string) => string> = {
  requested: (a) => `*${a.requester.name}*'s statement on *${a.listener}* awaits approval (${a.rule})`,
  approved: (a, by) => `Approval ${a.id} for *${a.requester.name}* was approved by *${by ?? 'someone'}*`,
  denied: (a, by) => `Approval ${a.id} for *${a.requester.name}* was denied by *${by ?? 'someone'}*`,
  expired: (a) => `Approval ${a.id} for *${a.requester.name}* expired without a decision`,
  cancelled: (a) => `Approval ${a.id} for *${a.requester.name}* was cancelled`,
};

// Slack section text is limited to 3000 characters.
const MAX_SQL_IN_SLACK = 2_500;

/** A Slack incoming-webhook message (`text` for notifications, `blocks` for the layout). */
export function slackPayload(event: ApprovalEvent, links: ApprovalLinks | undefined): Record<string, unknown> {
  const approval = event.approval;
  const headline = HEADLINES[event.type](mrkdwn(approval), event.by ? escape(event.by.name) : undefined);
  const sql = approval.sql.length > MAX_SQL_IN_SLACK ? `${approval.sql.slice(0, MAX_SQL_IN_SLACK)}…` : approval.sql;
  const fields = [
    `*Requester*\n${escape(approval.requester.name)}${approval.requester.email ? ` (${escape(approval.requester.email)})` : ''}`,
    `*Rule*\n${escape(approval.rules.join(', '))}`,
    `*Where*\n${escape([approval.listener, approval.environment, approval.database].filter(Boolean).join(' / '))}`,
    `*Expires*\n${approval.expiresAt}`,
  ];
  const blocks: Record<string, unknown>[] = [
    { type: 'section', text: { type: 'mrkdwn', text: headline } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
    { type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${escape(sql)}\`\`\`` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: escape(event.reason ?? approval.reason) }] },
  ];
  // A Slack link button opens its URL with GET in the approver's browser: it leads to the console,
  // where the approver signs in and decides (a POST route opened with GET would only fail).
  if (event.type === 'requested' && links) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Review in Sluice' }, style: 'primary', url: links.review, action_id: 'review' }],
    });
  }
  const plain = `${headline.replace(/\*/g, '')} — ${approval.id}${links && event.type === 'requested' ? ` — review: ${links.review}` : ''}`;
  return { text: plain, blocks };
}

function mrkdwn(approval: PendingApproval): PendingApproval {
  return {
    ...approval,
    requester: { ...approval.requester, name: escape(approval.requester.name) },
    listener: escape(approval.listener),
    rule: escape(approval.rule),
  };
}

/** Slack's three control characters in mrkdwn. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
