// The approvals endpoints of the admin API: list pending statements, approve or deny one.
import type { AdminResponse, AdminRoute, Identity } from '@sluice/core';
import type { ApprovalsApi, DecideFailure, PendingApproval, Verdict } from './types.js';

const STATUS: Record<DecideFailure, number> = { not_found: 404, not_pending: 409, self_approval: 403, not_approver: 403 };

/**
 * Any authenticated identity may call these: the engine decides who may approve what. A caller
 * sees the statements they requested or may decide, each with `can_approve` so a console shows
 * the button only where it works.
 */
export function approvalRoutes(engine: ApprovalsApi): AdminRoute[] {
  const view = (approval: PendingApproval, caller: Identity) => ({ ...approval, can_approve: engine.mayApprove(approval.id, caller) });
  const visible = (approval: PendingApproval, caller: Identity) => approval.requester.subject === caller.subject || engine.mayApprove(approval.id, caller);
  const decide = (verdict: Verdict): AdminRoute['handle'] => ({ identity, params, body }) => {
    const comment = typeof (body as { comment?: unknown } | undefined)?.comment === 'string' ? (body as { comment: string }).comment : undefined;
    const result = engine.decide(params.id!, identity, verdict, comment);
    if (!result.ok) return { status: STATUS[result.code], body: { error: result.message, code: result.code } };
    return { status: 200, body: { id: result.approval.id, verdict: result.verdict } } satisfies AdminResponse;
  };
  return [
    {
      method: 'GET',
      path: '/api/approvals',
      access: 'authenticated',
      handle: ({ identity }) => ({ status: 200, body: { approvals: engine.list().filter((a) => visible(a, identity)).map((a) => view(a, identity)) } }),
    },
    {
      method: 'GET',
      path: '/api/approvals/:id',
      access: 'authenticated',
      handle: ({ identity, params }) => {
        const approval = engine.get(params.id!);
        return approval && visible(approval, identity)
          ? { status: 200, body: view(approval, identity) }
          : { status: 404, body: { error: `approval ${params.id} does not exist or is not yours to see` } };
      },
    },
    { method: 'POST', path: '/api/approvals/:id/approve', access: 'authenticated', handle: decide('approve') },
    { method: 'POST', path: '/api/approvals/:id/deny', access: 'authenticated', handle: decide('deny') },
  ];
}
