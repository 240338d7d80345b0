// Words for why a rule applies to a statement: "DELETE without WHERE is not allowed".
import type { StatementKind } from '@sluice/core';
import { unbounded, type StatementFacts } from './match.js';
import { compileNamePattern, nameMatches } from './names.js';
import type { CompiledRule } from './policy.js';

const VERBS: Record<CompiledRule['action'], string> = {
  deny: 'is not allowed',
  require_approval: 'needs approval',
  log: 'would be denied',
  allow: 'is allowed',
};

const MAX_ERROR_LENGTH = 200;

/** The reason a client, an approver or the audit trail reads for a finding. */
export function describeFinding(rule: CompiledRule, facts: StatementFacts & { error?: string }): string {
  if (rule.reason !== undefined) return rule.reason;
  return `${subject(rule, facts)} ${VERBS[rule.action]}`;
}

function subject(rule: CompiledRule, facts: StatementFacts & { error?: string }): string {
  if (rule.origin === 'unknown') {
    const why = facts.error ?? 'it has parts the parser could not understand';
    return `SQL that could not be analyzed (${truncate(why)})`;
  }
  const parts = [kindsText(rule, facts)];
  const options = rule.match.map((block) => block.options);
  if (options.some((o) => o.where === 'absent') && unbounded(facts, 'any')) parts.push('without WHERE');
  const tables = matched(options.flatMap((o) => o.tables ?? []), facts.tables.map((t) => t.name));
  if (tables.length > 0) parts.push(`on ${tables.join(', ')}`);
  const columns = options.flatMap((o) => o.columns ?? []);
  if (columns.length > 0) parts.push(`touching ${columns.join(', ')}`);
  const functions = matched(options.flatMap((o) => o.functions ?? []), facts.functions);
  if (functions.length > 0) parts.push(`calling ${functions.map((f) => `${f}()`).join(', ')}`);
  return parts.join(' ');
}

/** The kinds the rule is about: those it names, those its `unless` does not allow, or the statement's own. */
function kindsText(rule: CompiledRule, facts: StatementFacts): string {
  const inside = [...facts.kinds];
  const named = rule.match.flatMap((block) => (block.kinds ? inside.filter((kind) => block.kinds!.has(kind)) : []));
  if (named.length > 0) return label(named);
  const exempt = rule.unless.flatMap((block) => (block.kinds ? [block.kinds] : []));
  if (exempt.length > 0) {
    const outside = inside.filter((kind) => !exempt.some((kinds) => kinds.has(kind)));
    if (outside.length > 0) return label(outside);
  }
  return facts.kind === 'other' ? 'this statement' : label([facts.kind]);
}

function label(kinds: readonly StatementKind[]): string {
  return [...new Set(kinds)].map((kind) => (kind === 'other' ? 'this statement' : kind.toUpperCase())).join('/');
}

function matched(patterns: readonly string[], names: readonly string[]): string[] {
  if (patterns.length === 0) return [];
  const compiled = patterns.map(compileNamePattern);
  return [...new Set(names.filter((name) => compiled.some((pattern) => nameMatches(pattern, name, 'any'))))];
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}
