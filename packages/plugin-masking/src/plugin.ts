// The masking plugin's hooks: plan the columns of each result set, then mask its rows.
import type { Decision, MessageText, QueryEvent, ResultSetInfo, Row, RowInterest, RowPatch, ServerMessage, Session, SluicePlugin } from '@sluice/core';
import { maskTextWithPolicy } from './mask-text.js';
import { copiesToServer } from './copy-out.js';
import { planColumns } from './column-plan.js';
import type { ParsedOptions } from './options.js';
import { Policies, type Policy } from './policy.js';
import { ResultMasker } from './result-masker.js';

export const PLUGIN_NAME = 'masking';

/** What the plugin keeps in `session.state` between hooks. */
interface MaskingState {
  /**
   * The policy for the session's environment, or null when the identity sees clear values; set at the
   * first result. `policies` says which plugin instance set it: after a reload the state object may be
   * handed to the new instance, whose options may differ.
   */
  policy?: Policy | null;
  policies?: Policies;
  /** The result set being read and its masker: onRow gets the result set but not the query. */
  current?: { resultSet: ResultSetInfo; masker: ResultMasker };
  /** Earlier result sets still open (a driver that interleaves them), newest last. */
  open?: Map<ResultSetInfo, ResultMasker>;
}

/** Result sets of one session read in turn are the rule; a few interleaved ones are remembered. */
const OPEN_RESULT_SETS = 16;

/** The rule name a refused COPY … TO a server file or program carries in the client's error and the audit record. */
export const COPY_OUT_RULE = 'masking-copy-out';

export function createMaskingPlugin(options: ParsedOptions): SluicePlugin {
  const policies = new Policies(options);

  /** The session's policy, or null when its identity sees clear values; resolved once per session. */
  const policyOf = (session: Session): Policy | null => {
    const state = session.state as MaskingState;
    if (state.policy === undefined || state.policies !== policies) {
      const candidate = policies.for(session.environment);
      state.policy = candidate.unmasks(session.identity.groups) ? null : candidate;
      state.policies = policies;
    }
    return state.policy;
  };

  return {
    name: PLUGIN_NAME,

    onQuery(session: Session, query: QueryEvent): Decision | undefined {
      const policy = policyOf(session);
      // COPY … TO STDOUT is masked in onRow like any result; a file or program on the server is out of reach.
      if (!policy?.refusesCopyOut || !copiesToServer(query)) return undefined;
      return { action: 'deny', rule: COPY_OUT_RULE, reason: 'COPY … TO a server file or program cannot be masked; use COPY … TO STDOUT or SELECT, or ask for an unmasked group' };
    },

    onResultSet(session: Session, query: QueryEvent, resultSet: ResultSetInfo): RowInterest | undefined {
      const state = session.state as MaskingState;
      const policy = policyOf(session);
      if (policy === null) return undefined;
      const plans = planColumns(resultSet.columns, query.dialect, policy);
      if (plans.length === 0) return undefined;
      const masker = new ResultMasker(plans, query.annotations);
      if (state.current) {
        const open = (state.open ??= new Map());
        open.set(state.current.resultSet, state.current.masker);
        if (open.size > OPEN_RESULT_SETS) open.delete(open.keys().next().value!);
      }
      state.current = { resultSet, masker };
      return { columns: masker.columns };
    },

    onMessage(session: Session, message: ServerMessage): Partial<MessageText> | undefined {
      const policy = policyOf(session);
      if (policy === null || !policy.detect) return undefined;
      const patch: { -readonly [K in keyof MessageText]?: string } = {};
      for (const part of ['message', 'detail', 'hint', 'context'] as const) {
        const text = message.text[part];
        if (text === undefined) continue;
        const masked = maskTextWithPolicy(text, policy);
        if (masked !== text) patch[part] = masked;
      }
      return Object.keys(patch).length > 0 ? patch : undefined;
    },

    onRow(session: Session, row: Row, resultSet: ResultSetInfo): RowPatch | undefined {
      const state = session.state as MaskingState;
      const masker = state.current?.resultSet === resultSet ? state.current.masker : state.open?.get(resultSet);
      // Only result sets this plugin asked about reach here; anything else is a bug, and rows must not leak.
      if (!masker) throw new Error(`${PLUGIN_NAME}: a row arrived for a result set the plugin did not plan`);
      return masker.maskRow(row.values);
    },
  };
}
