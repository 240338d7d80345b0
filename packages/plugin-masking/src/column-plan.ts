// Decides, once per result set, which columns need masking and how: whole values, or a scan of each value.
import type { ColumnInfo } from '@sluice/core';
import { classifyColumnName, namesAVersion } from './column-names.js';
import { classifyColumnType, type TypeClass } from './column-types.js';
import { knownTableName } from './glob.js';
import type { MaskingStrategy } from './masks/whole-value.js';
import type { Policy } from './policy.js';
import type { SensitiveType } from './sensitive-types.js';
import { withoutIp, type MaskPolicy } from './value-masker.js';

interface PlanBase {
  readonly index: number;
  /** Where the audit record counts this column: `table.column`, or the column name when the table is unknown. */
  readonly key: string;
  readonly typeClass: TypeClass;
  readonly policy: MaskPolicy;
}

/** Every non-empty value is masked as `type`: from the column's name, a rule, or the values seen. */
export interface WholePlan extends PlanBase {
  readonly mode: 'whole';
  readonly type: SensitiveType;
  readonly strategy: MaskingStrategy;
}

/** Each value is scanned; `maybeSecret` (a `token` or `*_key` column) also masks values that look random. */
export interface ScanPlan extends PlanBase {
  readonly mode: 'scan';
  readonly maybeSecret: boolean;
}

export type ColumnPlan = WholePlan | ScanPlan;

/** Where a whole-value type makes sense for a non-text column: `card_number bigint`, `date_of_birth date`. */
const TYPES_FOR_CLASS: Partial<Record<TypeClass, ReadonlySet<SensitiveType>>> = {
  number: new Set(['card', 'phone', 'ssn', 'iban', 'secret', 'password']),
  date: new Set(['dob']),
  timestamp: new Set(['dob']),
};

const PLAN_CACHE_SIZE = 10_000;
/** Plans by policy and column (position, name, type, table): the same queries return the same columns. */
const planCache = new WeakMap<Policy, Map<string, ColumnPlan | null>>();

/** The plans of the columns to mask, in column order; plans are immutable and shared between result sets. */
export function planColumns(columns: readonly ColumnInfo[], dialect: string, policy: Policy): ColumnPlan[] {
  let cache = planCache.get(policy);
  if (!cache) planCache.set(policy, (cache = new Map()));
  const plans: ColumnPlan[] = [];
  for (let index = 0; index < columns.length; index++) {
    const column = columns[index]!;
    const key = `${index}\u0000${column.name}\u0000${column.type}\u0000${column.table ?? ''}\u0000${dialect}`;
    let plan = cache.get(key);
    if (plan === undefined) {
      plan = planColumn(column, index, dialect, policy) ?? null;
      if (cache.size >= PLAN_CACHE_SIZE) cache.clear();
      cache.set(key, plan);
    }
    if (plan) plans.push(plan);
  }
  return plans;
}

function planColumn(column: ColumnInfo, index: number, dialect: string, policy: Policy): ColumnPlan | undefined {
  const typeClass = classifyColumnType(column.type, dialect);
  const table = knownTableName(column.table);
  const key = column.table === undefined ? column.name : `${column.table}.${column.name}`;
  const strategies = policy.strategiesFor(column.name, table);
  const basePolicy: MaskPolicy = { strategies, hashKey: policy.hashKey, recognizers: policy.recognizers };
  // `app_version = 1.2.3.4` is a version, not an address.
  const maskPolicy = typeClass !== 'inet' && namesAVersion(column.name) ? withoutIp(basePolicy) : basePolicy;
  const base = { index, key, typeClass, policy: maskPolicy };
  const whole = (type: SensitiveType, strategy: MaskingStrategy): WholePlan => ({ ...base, mode: 'whole', type, strategy });

  const rule = policy.columnRule(column.name, table);
  if (rule) {
    if (rule.strategy === 'none') return undefined;
    if (rule.as !== undefined) {
      const strategy = rule.strategy ?? strategies[rule.as];
      return strategy === 'none' ? undefined : whole(rule.as, strategy);
    }
    return whole('custom', rule.strategy!);
  }
  if (!policy.detect || typeClass === 'opaque') return undefined;

  if (typeClass === 'inet') return strategies.ip === 'none' ? undefined : whole('ip', strategies.ip);
  const named = classifyColumnName(column.name);
  if (named?.whole) {
    const strategy = strategies[named.type];
    const allowed = TYPES_FOR_CLASS[typeClass];
    if (strategy !== 'none' && (allowed === undefined || allowed.has(named.type))) return whole(named.type, strategy);
  }
  // Numbers and dates with an innocent name hold nothing a recognizer looks for.
  if (typeClass === 'number' || typeClass === 'date' || typeClass === 'timestamp') return undefined;
  return { ...base, mode: 'scan', maybeSecret: named !== undefined && !named.whole };
}
