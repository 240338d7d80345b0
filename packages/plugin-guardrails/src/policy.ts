// Turns the options into one ordered list of compiled rules: the config's rules, the presets' rules, the unknown-SQL rule.
import { compileMatch, type CompiledMatch } from './match.js';
import {
  matchSchema,
  UNKNOWN_RULE,
  type GuardrailsOptions,
  type PresetOptions,
  type PresetSettings,
  type RuleAction,
  type UnknownAction,
} from './options.js';
import { PRESETS } from './presets.js';

export interface CompiledRule {
  readonly name: string;
  readonly action: RuleAction;
  /** The config's own wording for the reason; a generated one otherwise. */
  readonly reason?: string;
  /** Every block must match. */
  readonly match: readonly CompiledMatch[];
  /** Any block that matches exempts the statement from the rule. */
  readonly unless: readonly CompiledMatch[];
  /** Groups whose members may decide a held statement; empty: anyone the admin API authenticates, except the requester. */
  readonly approvers: readonly string[];
  readonly timeoutMs: number;
  readonly origin: 'rule' | 'preset' | 'unknown';
}

export interface Policy {
  /** In config order: the `rules:`, then the presets' rules in `presets:` order. */
  readonly rules: readonly CompiledRule[];
  readonly defaultAction: 'allow' | 'deny';
  /** The rule for statements the parser could not understand in this environment. */
  unknownRule(environment: string | undefined): CompiledRule;
  /** True when some rule reads the clock, so a judgement made at prepare may not hold at execute. */
  readonly timeDependent: boolean;
  /** Things in the config that are valid but probably not what its author meant. */
  readonly warnings: readonly string[];
}

const UNKNOWN_MATCH = compileMatch(matchSchema.parse({ statement: ['unknown'] }));

export function compilePolicy(options: GuardrailsOptions): Policy {
  const approvals = options.approvals;
  const rules: CompiledRule[] = options.rules.map((rule) => ({
    name: rule.name,
    action: rule.action,
    ...(rule.reason === undefined ? {} : { reason: rule.reason }),
    match: [compileMatch(rule.match)],
    unless: rule.unless ? [compileMatch(rule.unless)] : [],
    approvers: rule.approvers ?? approvals.approvers,
    timeoutMs: rule.timeout ?? approvals.timeout,
    origin: 'rule',
  }));
  for (const preset of options.presets) rules.push(...presetRules(preset, approvals.approvers, approvals.timeout));

  const unknownRules = new Map<string, CompiledRule>();
  const unknownRuleFor = (action: UnknownAction): CompiledRule => {
    let rule = unknownRules.get(action);
    if (!rule) {
      rule = {
        name: UNKNOWN_RULE,
        action,
        match: [UNKNOWN_MATCH],
        unless: [],
        approvers: approvals.approvers,
        timeoutMs: approvals.timeout,
        origin: 'unknown',
      };
      unknownRules.set(action, rule);
    }
    return rule;
  };
  const unknown = options.unknown;
  const unknownRule = (environment: string | undefined): CompiledRule => {
    if (typeof unknown === 'string') return unknownRuleFor(unknown);
    const action = (environment !== undefined ? unknown[environment] : undefined) ?? unknown['*'] ?? 'log';
    return unknownRuleFor(action);
  };

  return {
    rules,
    defaultAction: options.default,
    unknownRule,
    timeDependent: rules.some((rule) => [...rule.match, ...rule.unless].some((block) => block.timeDependent)),
    warnings: warningsFor(options, rules),
  };
}

function presetRules(entry: PresetOptions, defaultApprovers: readonly string[], defaultTimeoutMs: number): CompiledRule[] {
  const preset = PRESETS[entry.name];
  const settings: PresetSettings = entry;
  const environment = settings.environment ?? preset.environment;
  const scope: CompiledMatch[] = [];
  if (environment) scope.push(compileMatch(matchSchema.parse({ environment })));
  if (settings.match) scope.push(compileMatch(settings.match));
  const exemptions = settings.unless ? [compileMatch(settings.unless)] : [];
  return preset.rules.map((rule) => {
    return {
      name: rule.name,
      action: settings.dry_run ? 'log' : rule.action,
      ...(rule.reason === undefined ? {} : { reason: rule.reason }),
      match: [compileMatch(matchSchema.parse(rule.match)), ...scope],
      unless: [...(rule.unless ? [compileMatch(matchSchema.parse(rule.unless))] : []), ...exemptions],
      approvers: settings.approvers ?? defaultApprovers,
      timeoutMs: settings.timeout ?? defaultTimeoutMs,
      origin: 'preset',
    } satisfies CompiledRule;
  });
}

function warningsFor(options: GuardrailsOptions, rules: readonly CompiledRule[]): string[] {
  const warnings: string[] = [];
  for (const rule of rules) {
    if (rule.action === 'allow' && options.default === 'allow') {
      warnings.push(`rule ${rule.name} allows, which changes nothing while default is allow: rules combine most-restrictive-wins; to exempt statements from a rule, give that rule an unless: block`);
    }
    if (rule.action === 'require_approval' && rule.approvers.length === 0) {
      warnings.push(`rule ${rule.name} names no approver groups: anyone the admin API authenticates may approve (never the requester); set approvers or approvals.approvers`);
    }
  }
  const unknown = options.unknown;
  const unknownActions = typeof unknown === 'string' ? [unknown] : Object.values(unknown);
  if (unknownActions.includes('require_approval') && options.approvals.approvers.length === 0) {
    warnings.push(`unknown SQL may be held for approval but approvals.approvers is empty: anyone the admin API authenticates may approve (never the requester)`);
  }
  return warnings;
}
