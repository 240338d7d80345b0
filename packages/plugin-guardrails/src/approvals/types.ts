// The approval engine's public shapes: what the admin API lists, decides and hears about.
import type { Identity } from '@sluice/core';

export type Verdict = 'approve' | 'deny';

/** A held statement as approvers see it (admin API, CLI, notifications). */
export interface PendingApproval {
  readonly id: string;
  /** The first rule, in config order, that held the statement. */
  readonly rule: string;
  /** Every rule that held it; an approver must be allowed by each. */
  readonly rules: readonly string[];
  readonly reason: string;
  /** Per rule, the groups whose members may decide; an empty list means any authenticated approver. */
  readonly approvers: Readonly<Record<string, readonly string[]>>;
  readonly requester: { readonly subject: string; readonly name: string; readonly email?: string; readonly groups: readonly string[] };
  readonly session: string;
  readonly listener: string;
  readonly environment?: string;
  readonly dialect: string;
  readonly database?: string;
  /** The statement, with literal passwords and secrets replaced by `***`. */
  readonly sql: string;
  /** Bound parameters as text; binary ones as `<N bytes>`. */
  readonly params?: readonly (string | null)[];
  readonly createdAt: string;
  readonly expiresAt: string;
}

export type DecideFailure = 'not_found' | 'not_pending' | 'self_approval' | 'not_approver';

export type DecideResult =
  | { readonly ok: true; readonly verdict: Verdict; readonly approval: PendingApproval }
  | { readonly ok: false; readonly code: DecideFailure; readonly message: string };

export type ApprovalEventType = 'requested' | 'approved' | 'denied' | 'expired' | 'cancelled';

/** What happened to an approval; every request and every outcome produces one. */
export interface ApprovalEvent {
  readonly type: ApprovalEventType;
  readonly approval: PendingApproval;
  /** Who decided, for `approved` and `denied`. */
  readonly by?: { readonly subject: string; readonly name: string };
  /** The denier's comment, or why it expired or was cancelled. */
  readonly reason?: string;
  readonly at: string;
}

/**
 * What the admin API (`GET /api/approvals`, `POST /api/approvals/{id}/approve|deny`) and the CLI
 * (`sluice approvals list|approve|deny`) call. The caller authenticates the approver; the engine
 * enforces who may decide.
 */
export interface ApprovalsApi {
  /** Pending approvals, oldest first. */
  list(): PendingApproval[];
  get(id: string): PendingApproval | undefined;
  /** Whether `identity` may approve it: not the requester, and in the approver groups of every holding rule. */
  mayApprove(id: string, identity: Identity): boolean;
  /**
   * Approves or denies a pending statement. Refused when the approver is the requester (for an
   * approval) or is not in the approver groups of every rule that held it.
   */
  decide(id: string, approver: Identity, verdict: Verdict, comment?: string): DecideResult;
  /** Hears every request and outcome (for the audit trail); returns the unsubscribe function. */
  subscribe(listener: (event: ApprovalEvent) => void): () => void;
}
