// The guardrails plugin object: judges each statement in onQuery, holds it for approval, flags dry-run findings.
import type { Decision, PluginContext, PluginLogger, QueryEvent, Session, SluicePlugin, SqlAnalysis } from '@sluice/core';
import { approvalRoutes } from './approvals/admin-routes.js';
import { ApprovalEngine, type HoldingRule } from './approvals/engine.js';
import { WebhookNotifier } from './approvals/notifier.js';
import { attachApprovals } from './approvals/registry.js';
import type { ApprovalEvent } from './approvals/types.js';
import { formatDuration } from './duration.js';
import { PLUGIN_NAME } from './errors.js';
import { evaluate, type Judgement } from './evaluate.js';
import type { MatchContext } from './match.js';
import type { GuardrailsOptions } from './options.js';
import { compilePolicy, type CompiledRule, type Policy } from './policy.js';

export interface GuardrailsDependencies {
  readonly log: PluginLogger;
  /** Mounts the approvals endpoints on the admin API. */
  readonly registerAdminRoute?: PluginContext['registerAdminRoute'];
  /** The clock for time windows and approvals (tests). */
  readonly now?: () => Date;
}

/** What the plugin keeps per session in `session.state`. */
interface SessionState {
  /** Judgements made at prepare, by SQL text, reused at execute. */
  prepared?: Map<string, Judgement>;
  /** Approvals this session is waiting for, cancelled if it disconnects. */
  waiting?: Set<string>;
  /** Judgements by analysis (when no rule reads the clock). */
  judged?: WeakMap<SqlAnalysis, Judgement>;
  /** The rules `prepared` and `judged` were judged by. */
  policy?: Policy;
}

const MAX_PREPARED_PER_SESSION = 256;

/** `query.annotations.approvalOutcome`: how a held statement's approval ended, whichever way. */
export interface ApprovalOutcomeAnnotation {
  readonly id: string;
  readonly rule: string;
  readonly rules: readonly string[];
  readonly outcome: 'approved' | 'denied' | 'expired' | 'cancelled';
  /** Who approved or denied. */
  readonly by?: string;
  readonly requestedAt: string;
  readonly decidedAt: string;
}

/** Builds the plugin from validated options; the engine is reachable with `approvalsOf(plugin)`. */
export function createGuardrails(options: GuardrailsOptions, deps: GuardrailsDependencies): SluicePlugin {
  const { log } = deps;
  const now = deps.now ?? (() => new Date());
  const policy = compilePolicy(options);
  for (const warning of policy.warnings) log.warn({ plugin: PLUGIN_NAME }, `${PLUGIN_NAME}: ${warning}`);
  const notifier = new WebhookNotifier(options.approvals.webhooks, options.approvals.base_url, log);
  const engine = new ApprovalEngine({
    now,
    onEvent: (event) => {
      logApprovalEvent(log, event);
      notifier.notify(event);
    },
  });

  for (const route of approvalRoutes(engine)) deps.registerAdminRoute?.(route);

  const plugin: SluicePlugin = {
    name: PLUGIN_NAME,

    onQuery(session, query) {
      const judgement = judge(policy, session, query, now());
      recordWouldDeny(log, session, query, judgement);
      switch (judgement.action) {
        case 'allow':
          return undefined;
        case 'deny':
          log.info({ plugin: PLUGIN_NAME, session: session.id, user: session.identity.name, rule: judgement.rule }, `${PLUGIN_NAME}: statement denied by ${judgement.rule}`);
          return { action: 'deny', reason: judgement.reason, rule: judgement.rule };
        case 'hold':
          // Preparing runs nothing: the approval is asked at execute, when the parameters are known.
          if (query.via === 'prepare') return undefined;
          return hold(engine, session, query, judgement);
      }
    },

    onDisconnect(session) {
      const state = session.state as SessionState;
      for (const id of state.waiting ?? []) engine.cancel(id, 'the client disconnected');
    },

    async close() {
      engine.close();
      await notifier.flush();
    },
  };
  return attachApprovals(plugin, engine);
}

/**
 * A statement is judged once: at prepare for a prepared statement, whose judgement its executes
 * reuse. Rules with time windows are judged again at execute, since it may come hours later.
 */
function judge(policy: Policy, session: Session, query: QueryEvent, at: Date): Judgement {
  const state = session.state as SessionState;
  if (state.policy !== policy) {
    // A reload hands the session's state to the new plugin instance: judgements of the old rules do not carry over.
    state.policy = policy;
    state.prepared = undefined;
    state.judged = undefined;
  }
  if (query.via === 'execute' && !policy.timeDependent) {
    const prepared = state.prepared?.get(query.sql);
    if (prepared) return prepared;
  }
  const analysis = query.analysis();
  // The same analysis (statements of one shape share it) in the same session gets the same judgement,
  // unless a rule reads the clock. Without statements the SQL text itself is read: not kept.
  const reusable = !policy.timeDependent && analysis !== undefined && analysis.statements.length > 0;
  if (reusable) {
    const known = state.judged?.get(analysis);
    if (known) return known;
  }
  const context: MatchContext = {
    listener: session.listener,
    ...(session.environment === undefined ? {} : { environment: session.environment }),
    dialect: query.dialect,
    identity: session.identity,
    now: at,
  };
  const judgement = evaluate(policy, context, query.sql, analysis);
  if (reusable) (state.judged ??= new WeakMap()).set(analysis, judgement);
  if (query.via === 'prepare') {
    const prepared = (state.prepared ??= new Map());
    prepared.delete(query.sql);
    prepared.set(query.sql, judgement);
    if (prepared.size > MAX_PREPARED_PER_SESSION) prepared.delete(prepared.keys().next().value!);
  }
  return judgement;
}

function hold(engine: ApprovalEngine, session: Session, query: QueryEvent, judgement: Extract<Judgement, { action: 'hold' }>): Decision {
  const rules = judgement.rules.map(holdingRule) as [HoldingRule, ...HoldingRule[]];
  const timeoutMs = Math.min(...rules.map((rule) => rule.timeoutMs));
  const approvers = [...new Set(rules.flatMap((rule) => rule.approvers))];
  const reason = `${judgement.reason} (rule ${rules.map((r) => r.name).join(', ')}; ${
    approvers.length > 0 ? `approvers: ${approvers.join(', ')}` : 'any approver'
  }; waits up to ${formatDuration(timeoutMs)})`;
  const held = engine.hold({ session, sql: query.sql, ...(query.params ? { params: query.params } : {}), rules, reason });
  const state = session.state as SessionState;
  (state.waiting ??= new Set()).add(held.id);
  const rule = rules[0].name;
  return {
    action: 'hold',
    approval: {
      id: held.id,
      rule,
      reason,
      wait: async () => {
        const outcome = await held.outcome;
        state.waiting?.delete(held.id);
        // Every outcome, not only an approval, for the audit trail (`approval` is only for a statement that ran).
        const outcomeAnnotation: ApprovalOutcomeAnnotation = {
          id: held.id,
          rule,
          rules: rules.map((r) => r.name),
          outcome: outcome.verdict,
          ...('approver' in outcome ? { by: outcome.approver.name } : {}),
          requestedAt: held.pending.createdAt,
          decidedAt: new Date().toISOString(),
        };
        query.annotations.approvalOutcome = outcomeAnnotation;
        if (outcome.verdict === 'approved') {
          query.annotations.approval = { id: held.id, approver: outcome.approver.name, rule };
          return { action: 'allow' };
        }
        return { action: 'deny', reason: outcome.reason, rule };
      },
    },
  };
}

function holdingRule(rule: CompiledRule): HoldingRule {
  return { name: rule.name, approvers: rule.approvers, timeoutMs: rule.timeoutMs };
}

/** Dry-run findings go on the statement for the audit plugin, and into the log. */
function recordWouldDeny(log: PluginLogger, session: Session, query: QueryEvent, judgement: Judgement): void {
  if (judgement.wouldDeny.length === 0) return;
  const findings = judgement.wouldDeny.map((finding) => ({ rule: finding.rule.name, reason: finding.reason }));
  query.annotations.wouldDeny = [...(query.annotations.wouldDeny ?? []), ...findings];
  for (const finding of findings) {
    // The reason may quote a parse error, and so the SQL: it goes to the audit trail, not the log.
    log.info({ plugin: PLUGIN_NAME, session: session.id, user: session.identity.name, rule: finding.rule }, `${PLUGIN_NAME}: ${finding.rule} would deny`);
  }
}

function logApprovalEvent(log: PluginLogger, event: ApprovalEvent): void {
  const { approval } = event;
  log.info(
    {
      plugin: PLUGIN_NAME,
      approval: approval.id,
      event: event.type,
      rule: approval.rule,
      session: approval.session,
      requester: approval.requester.name,
      ...(event.by ? { by: event.by.name } : {}),
    },
    `${PLUGIN_NAME}: approval ${approval.id} ${event.type}`,
  );
}
