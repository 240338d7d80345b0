// The settings in force for one environment, compiled: rules with their globs, strategies, hash key, groups.
import { compileGlob, globMatches, type ColumnGlob } from './glob.js';
import { createHashKey, type HashKey } from './masks/keyed-hash.js';
import type { EnvironmentSettings, ParsedOptions, RuleOptions } from './options.js';
import { DEFAULT_OPTIONS } from './options.js';
import type { RecognizerOptions } from './recognizers/index.js';
import { DEFAULT_STRATEGIES, SENSITIVE_TYPES, type SensitiveType, type Strategy } from './sensitive-types.js';

export interface CompiledRule {
  readonly glob: ColumnGlob | undefined;
  readonly type: SensitiveType | undefined;
  readonly as: SensitiveType | undefined;
  readonly strategy: Strategy | undefined;
}

export class Policy {
  readonly detect: boolean;
  readonly unmaskedGroups: ReadonlySet<string>;
  readonly rules: readonly CompiledRule[];
  /** Defaults with the `strategies:` option applied; rules with a `type` come on top, per column. */
  readonly strategies: Readonly<Record<SensitiveType, Strategy>>;
  readonly hashKey: HashKey | undefined;
  readonly recognizers: RecognizerOptions;
  /** True when COPY … TO a file or program is refused: something would be masked and the option does not allow it. */
  readonly refusesCopyOut: boolean;

  constructor(settings: EnvironmentSettings) {
    this.detect = (settings.detect ?? DEFAULT_OPTIONS.detect) === 'auto';
    this.unmaskedGroups = new Set(settings.unmasked_groups ?? DEFAULT_OPTIONS.unmasked_groups);
    this.rules = (settings.rules ?? []).map(compileRule);
    this.strategies = { ...DEFAULT_STRATEGIES, ...settings.strategies };
    this.hashKey = settings.hash_key === undefined ? undefined : createHashKey(settings.hash_key);
    this.recognizers = { phoneRegions: settings.phone_regions ?? DEFAULT_OPTIONS.phone_regions };
    const masksSomething = this.detect || this.rules.some((rule) => rule.glob !== undefined && rule.type === undefined && rule.strategy !== 'none');
    this.refusesCopyOut = masksSomething && (settings.copy_out ?? DEFAULT_OPTIONS.copy_out) === 'deny';
  }

  /** True when the identity sees clear values. */
  unmasks(groups: readonly string[]): boolean {
    return groups.some((group) => this.unmaskedGroups.has(group));
  }

  /** The first rule about the column as a whole (one with `column` and no `type`). */
  columnRule(column: string, table: string | undefined): CompiledRule | undefined {
    return this.rules.find((rule) => rule.glob !== undefined && rule.type === undefined && ruleMatchesColumn(rule, column, table));
  }

  /** Strategy per type for values of one column: the first rule with that `type` (and a matching `column`), else the defaults. */
  strategiesFor(column: string, table: string | undefined): Readonly<Record<SensitiveType, Strategy>> {
    const typeRules = this.rules.filter((rule) => rule.type !== undefined && (rule.glob === undefined || ruleMatchesColumn(rule, column, table)));
    if (typeRules.length === 0) return this.strategies;
    const result = { ...this.strategies };
    for (const type of SENSITIVE_TYPES) {
      const rule = typeRules.find((r) => r.type === type);
      if (rule?.strategy !== undefined) result[type] = rule.strategy;
    }
    return result;
  }
}

/**
 * With the table unknown (no name from the driver yet), a rule naming a table still applies by its column
 * part when it masks, and never when it exempts (`strategy: none`): an unknown table fails safe.
 */
function ruleMatchesColumn(rule: CompiledRule, column: string, table: string | undefined): boolean {
  return globMatches(rule.glob!, column, table, rule.strategy !== 'none');
}

function compileRule(rule: RuleOptions): CompiledRule {
  return {
    glob: rule.column === undefined ? undefined : compileGlob(rule.column),
    type: rule.type,
    as: rule.as,
    strategy: rule.strategy,
  };
}

/** The base settings with an environment's settings over them: scalars replace, rules come first, strategies merge. */
export function mergeSettings(base: EnvironmentSettings, over: EnvironmentSettings | undefined): EnvironmentSettings {
  if (!over) return base;
  return {
    detect: over.detect ?? base.detect,
    rules: [...(over.rules ?? []), ...(base.rules ?? [])],
    strategies: { ...base.strategies, ...over.strategies },
    unmasked_groups: over.unmasked_groups ?? base.unmasked_groups,
    phone_regions: over.phone_regions ?? base.phone_regions,
    copy_out: over.copy_out ?? base.copy_out,
    hash_key: over.hash_key ?? base.hash_key,
  };
}

/** One compiled Policy per environment named in the options, and the base one for every other. */
export class Policies {
  readonly #base: Policy;
  readonly #byEnvironment = new Map<string, Policy>();

  constructor(options: ParsedOptions) {
    const { environments = {}, ...base } = options;
    this.#base = new Policy(base);
    for (const [name, settings] of Object.entries(environments)) this.#byEnvironment.set(name, new Policy(mergeSettings(base, settings)));
  }

  for(environment: string | undefined): Policy {
    return (environment === undefined ? undefined : this.#byEnvironment.get(environment)) ?? this.#base;
  }
}
