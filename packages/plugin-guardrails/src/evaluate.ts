// Judges a statement string against the policy: every statement in it, every rule, most restrictive wins.
import type { SqlAnalysis, StatementInfo, StatementKind } from '@sluice/core';
import { describeFinding } from './reasons.js';
import type { MatchContext, StatementFacts } from './match.js';
import type { MatchMode } from './names.js';
import { DEFAULT_DENY_RULE } from './options.js';
import type { CompiledRule, Policy } from './policy.js';

/** One rule that applies to one statement of the string. */
export interface Finding {
  readonly rule: CompiledRule;
  /** 0-based position of the statement in the string. */
  readonly statement: number;
  readonly reason: string;
}

export type Judgement =
  | { readonly action: 'allow'; readonly wouldDeny: readonly Finding[] }
  | { readonly action: 'deny'; readonly rule: string; readonly reason: string; readonly wouldDeny: readonly Finding[] }
  | {
      readonly action: 'hold';
      /** Every rule that asked for approval, in config order; an approver must satisfy each. */
      readonly rules: readonly CompiledRule[];
      readonly reason: string;
      readonly wouldDeny: readonly Finding[];
    };

/**
 * Every rule is checked against every statement. Per statement: a matching deny rule denies, else
 * a matching require_approval rule holds, else it is allowed (with `default: deny`, only when an
 * allow rule matches it). The string as a whole gets its most restrictive statement's outcome, so
 * one denied statement denies the string. `log` rules never change the outcome; they are reported
 * in `wouldDeny`. The rule named in a deny is the first deny rule, in config order, of the first
 * denied statement.
 */
export function evaluate(policy: Policy, context: MatchContext, sql: string, analysis: SqlAnalysis | undefined): Judgement {
  const statements = statementFacts(sql, analysis);
  const rules = [...policy.rules, policy.unknownRule(context.environment)];
  const wouldDeny: Finding[] = [];
  let denied: Finding | undefined;
  const held: Finding[] = [];
  for (const [index, facts] of statements.entries()) {
    const findings = rules.filter((rule) => applies(rule, context, facts)).map((rule) => finding(rule, index, facts, statements.length));
    wouldDeny.push(...findings.filter((f) => f.rule.action === 'log'));
    const deny = findings.find((f) => f.rule.action === 'deny');
    if (deny) {
      denied ??= deny;
      continue;
    }
    const approvals = findings.filter((f) => f.rule.action === 'require_approval');
    if (approvals.length > 0) {
      held.push(...approvals);
      continue;
    }
    if (policy.defaultAction === 'deny' && !findings.some((f) => f.rule.action === 'allow')) {
      denied ??= defaultDenial(index, facts, statements.length);
    }
  }
  if (denied) return { action: 'deny', rule: denied.rule.name, reason: denied.reason, wouldDeny };
  if (held.length > 0) {
    const holding = [...new Set(held.map((f) => f.rule))].sort((a, b) => rules.indexOf(a) - rules.indexOf(b));
    return { action: 'hold', rules: holding, reason: [...new Set(held.map((f) => f.reason))].join('; '), wouldDeny };
  }
  return { action: 'allow', wouldDeny };
}

/** Whether the rule applies to the statement: its blocks all match and no `unless` block exempts it. */
export function applies(rule: CompiledRule, context: MatchContext, facts: StatementFacts): boolean {
  const mode: MatchMode = rule.action === 'allow' ? 'all' : 'any';
  const exemptionMode: MatchMode = mode === 'any' ? 'all' : 'any';
  return rule.match.every((block) => block.test(context, facts, mode)) && !rule.unless.some((block) => block.test(context, facts, exemptionMode));
}

function finding(rule: CompiledRule, statement: number, facts: StatementFacts & { error?: string }, count: number): Finding {
  const reason = describeFinding(rule, facts);
  return { rule, statement, reason: count > 1 ? `statement ${statement + 1} of ${count}: ${reason}` : reason };
}

function defaultDenial(statement: number, facts: StatementFacts, count: number): Finding {
  const rule: CompiledRule = { name: DEFAULT_DENY_RULE, action: 'deny', match: [], unless: [], approvers: [], timeoutMs: 0, origin: 'rule' };
  const reason = `no rule allows ${facts.unknown ? 'SQL that could not be analyzed' : facts.kind.toUpperCase()} and the default is deny`;
  return { rule, statement, reason: count > 1 ? `statement ${statement + 1} of ${count}: ${reason}` : reason };
}

/** The statements of the string as the matcher reads them; SQL that could not be parsed is one `unknown` statement. */
export function statementFacts(sql: string, analysis: SqlAnalysis | undefined): (StatementFacts & { error?: string })[] {
  if (!analysis) return [unknownStatement('no SQL parser is registered for this dialect')];
  if (analysis.error !== undefined) return [unknownStatement(analysis.error)];
  if (analysis.statements.length === 0) {
    // Only an empty string (or bare semicolons) has no statement; anything else the parser skipped is unknown.
    return /^[\s;]*$/.test(sql) ? [] : [unknownStatement('the parser found no statement in it')];
  }
  return analysis.statements.map(factsOf);
}

function factsOf(statement: StatementInfo): StatementFacts {
  const kinds = new Set<StatementKind>([statement.kind, ...statement.kinds]);
  return {
    kind: statement.kind,
    kinds,
    unknown: kinds.has('unknown'),
    tables: statement.tables,
    columns: statement.columns,
    functions: statement.functions,
    ...(statement.hasWhere === undefined ? {} : { hasWhere: statement.hasWhere }),
  };
}

function unknownStatement(error: string): StatementFacts & { error: string } {
  return { kind: 'unknown', kinds: new Set(['unknown']), unknown: true, tables: [], columns: [], functions: [], error };
}
