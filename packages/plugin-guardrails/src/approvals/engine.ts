// The approval engine: pending held statements, who may decide them, their timeout, and their one-time outcome.
import { randomBytes } from 'node:crypto';
import type { Identity, QueryEvent, Session } from '@sluice/core';
import { formatDuration } from '../duration.js';
import { redactSecrets } from './redact.js';
import type { ApprovalEvent, ApprovalsApi, DecideResult, PendingApproval, Verdict } from './types.js';

/** How a held statement ended. Exactly one outcome per approval. */
export type ApprovalOutcome =
  | { readonly verdict: 'approved'; readonly approver: Identity }
  | { readonly verdict: 'denied'; readonly reason: string; readonly approver: Identity }
  | { readonly verdict: 'expired'; readonly reason: string }
  | { readonly verdict: 'cancelled'; readonly reason: string };

/** A rule that held the statement, with the groups allowed to decide it. */
export interface HoldingRule {
  readonly name: string;
  readonly approvers: readonly string[];
  readonly timeoutMs: number;
}

export interface ApprovalInput {
  readonly session: Session;
  readonly sql: string;
  readonly params?: QueryEvent['params'];
  /** In config order; the first names the approval. */
  readonly rules: readonly [HoldingRule, ...HoldingRule[]];
  readonly reason: string;
}

export interface HeldStatement {
  readonly id: string;
  readonly pending: PendingApproval;
  /** Settles once, with the decision, the timeout or the cancellation. */
  readonly outcome: Promise<ApprovalOutcome>;
}

interface Entry {
  readonly pending: PendingApproval;
  readonly requester: Identity;
  readonly rules: readonly HoldingRule[];
  readonly settle: (outcome: ApprovalOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

export interface ApprovalEngineOptions {
  /** Told of every request and outcome, after the engine's own subscribers. */
  readonly onEvent?: (event: ApprovalEvent) => void;
  readonly now?: () => Date;
}

const ENDINGS: Record<ApprovalOutcome['verdict'], string> = {
  approved: 'it was approved',
  denied: 'it was denied',
  expired: 'it expired',
  cancelled: 'it was cancelled',
};

/** How many decided approvals are remembered, so deciding one again says why it cannot be. */
const REMEMBERED_OUTCOMES = 1_000;

export class ApprovalEngine implements ApprovalsApi {
  readonly #pending = new Map<string, Entry>();
  readonly #finished = new Map<string, ApprovalOutcome['verdict']>();
  readonly #listeners = new Set<(event: ApprovalEvent) => void>();
  readonly #onEvent: ((event: ApprovalEvent) => void) | undefined;
  readonly #now: () => Date;
  #closed = false;

  constructor(options: ApprovalEngineOptions = {}) {
    this.#onEvent = options.onEvent;
    this.#now = options.now ?? (() => new Date());
  }

  /** Holds a statement: records it, starts its timeout (the shortest of its rules'), and announces it. */
  hold(input: ApprovalInput): HeldStatement {
    const id = `apr-${randomBytes(6).toString('hex')}`;
    const created = this.#now();
    const timeoutMs = Math.min(...input.rules.map((rule) => rule.timeoutMs));
    const { session } = input;
    const identity = session.identity;
    const pending: PendingApproval = {
      id,
      rule: input.rules[0].name,
      rules: input.rules.map((rule) => rule.name),
      reason: input.reason,
      approvers: Object.fromEntries(input.rules.map((rule) => [rule.name, [...rule.approvers]])),
      requester: {
        subject: identity.subject,
        name: identity.name,
        ...(identity.email === undefined ? {} : { email: identity.email }),
        groups: [...identity.groups],
      },
      session: session.id,
      listener: session.listener,
      ...(session.environment === undefined ? {} : { environment: session.environment }),
      dialect: session.dialect,
      ...(session.database === undefined ? {} : { database: session.database }),
      sql: redactSecrets(input.sql),
      ...(input.params === undefined ? {} : { params: input.params.map(showParam) }),
      createdAt: created.toISOString(),
      expiresAt: new Date(created.getTime() + timeoutMs).toISOString(),
    };
    let settle!: (outcome: ApprovalOutcome) => void;
    const outcome = new Promise<ApprovalOutcome>((resolve) => {
      settle = resolve;
    });
    if (this.#closed) {
      settle({ verdict: 'cancelled', reason: `approval ${id} cannot be requested: the guardrails plugin is stopping` });
      return { id, pending, outcome };
    }
    const timer = setTimeout(() => {
      this.#finish(id, { verdict: 'expired', reason: `approval ${id} was not decided within ${formatDuration(timeoutMs)}; the statement did not run` });
    }, timeoutMs);
    timer.unref();
    this.#pending.set(id, { pending, requester: identity, rules: input.rules, settle, timer });
    this.#emit({ type: 'requested', approval: pending, at: pending.createdAt });
    return { id, pending, outcome };
  }

  list(): PendingApproval[] {
    return [...this.#pending.values()].map((entry) => entry.pending);
  }

  get(id: string): PendingApproval | undefined {
    return this.#pending.get(id)?.pending;
  }

  decide(id: string, approver: Identity, verdict: Verdict, comment?: string): DecideResult {
    const entry = this.#pending.get(id);
    if (!entry) {
      const finished = this.#finished.get(id);
      return finished
        ? { ok: false, code: 'not_pending', message: `approval ${id} is no longer pending: ${ENDINGS[finished]}` }
        : { ok: false, code: 'not_found', message: `approval ${id} does not exist` };
    }
    const refusal = this.#refusal(entry, approver, verdict);
    if (refusal) return { ok: false, ...refusal, message: refusal.message.replace('{id}', id) };
    const outcome: ApprovalOutcome =
      verdict === 'approve'
        ? { verdict: 'approved', approver }
        : { verdict: 'denied', approver, reason: `approval ${id} was denied by ${approver.name}${comment ? `: ${comment}` : ''}` };
    this.#finish(id, outcome, comment);
    return { ok: true, verdict, approval: entry.pending };
  }

  /** Whether `identity` may approve the pending statement `id` (the console shows buttons only then). */
  mayApprove(id: string, identity: Identity): boolean {
    const entry = this.#pending.get(id);
    return entry !== undefined && this.#refusal(entry, identity, 'approve') === undefined;
  }

  #refusal(entry: Entry, approver: Identity, verdict: Verdict): { code: 'self_approval' | 'not_approver'; message: string } | undefined {
    const own = isSameIdentity(entry.requester, approver);
    if (own && verdict === 'approve') {
      return { code: 'self_approval', message: `${approver.name} requested approval {id} and cannot approve it` };
    }
    // The requester may always withdraw their own statement; anyone else must be an approver of every holding rule.
    if (own) return undefined;
    const refusing = entry.rules.find((rule) => rule.approvers.length > 0 && !rule.approvers.some((group) => approver.groups.includes(group)));
    return refusing
      ? { code: 'not_approver', message: `${approver.name} may not decide approval {id}: rule ${refusing.name} needs a member of ${refusing.approvers.join(', ')}` }
      : undefined;
  }

  /** Ends a pending approval nobody will wait for (the client went away). */
  cancel(id: string, why: string): void {
    this.#finish(id, { verdict: 'cancelled', reason: `approval ${id} was cancelled: ${why}` });
  }

  subscribe(listener: (event: ApprovalEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Cancels every pending approval: the plugin is being reloaded or Sluice is stopping. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.cancel(id, 'the guardrails policy was reloaded or Sluice is stopping; run the statement again');
  }

  #finish(id: string, outcome: ApprovalOutcome, comment?: string): void {
    const entry = this.#pending.get(id);
    if (!entry) return;
    this.#pending.delete(id);
    clearTimeout(entry.timer);
    this.#finished.set(id, outcome.verdict);
    if (this.#finished.size > REMEMBERED_OUTCOMES) this.#finished.delete(this.#finished.keys().next().value!);
    entry.settle(outcome);
    const at = this.#now().toISOString();
    const approval = entry.pending;
    switch (outcome.verdict) {
      case 'approved':
        this.#emit({ type: 'approved', approval, by: who(outcome.approver), at });
        break;
      case 'denied':
        this.#emit({ type: 'denied', approval, by: who(outcome.approver), ...(comment ? { reason: comment } : {}), at });
        break;
      default:
        this.#emit({ type: outcome.verdict, approval, reason: outcome.reason, at });
    }
  }

  #emit(event: ApprovalEvent): void {
    for (const listener of [...this.#listeners, ...(this.#onEvent ? [this.#onEvent] : [])]) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not change an approval's outcome.
      }
    }
  }
}

/** The same person: same subject, or the same name or email under another way of signing in. */
function isSameIdentity(a: Identity, b: Identity): boolean {
  if (a.subject === b.subject || a.name === b.name) return true;
  return a.email !== undefined && b.email !== undefined && a.email.toLowerCase() === b.email.toLowerCase();
}

function who(identity: Identity): { subject: string; name: string } {
  return { subject: identity.subject, name: identity.name };
}

function showParam(param: string | Uint8Array | null): string | null {
  return param instanceof Uint8Array ? `<${param.byteLength} bytes>` : param;
}
