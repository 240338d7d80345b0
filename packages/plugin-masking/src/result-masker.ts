// Masks the rows of one result set by its column plans and counts what it masked into the query's annotations.
import type { QueryAnnotations, RowPatch } from '@sluice/core';
import type { ColumnPlan, ScanPlan } from './column-plan.js';
import type { SensitiveType } from './sensitive-types.js';
import { maskMaybeSecret, maskWholeValue, newFound, resetFound, scanValue, type MaskResult } from './value-masker.js';

/** Consecutive values that were, each in full, one value of the same type before a scanned column counts as of that type. */
const PROMOTE_AFTER = 3;

/** A value the driver could not decode (a binary-format column) is withheld, and counted under this type. */
export const UNREADABLE = 'unreadable';

interface ColumnState {
  plan: ColumnPlan;
  entry: { type: string; count: number } | undefined;
  streakType: SensitiveType | undefined;
  streak: number;
}

export class ResultMasker {
  readonly #columns: ColumnState[];
  readonly #annotations: QueryAnnotations;
  readonly #found = newFound();

  constructor(plans: readonly ColumnPlan[], annotations: QueryAnnotations) {
    this.#columns = plans.map((plan) => ({ plan, entry: undefined, streakType: undefined, streak: 0 }));
    this.#annotations = annotations;
  }

  get columns(): number[] {
    return this.#columns.map((column) => column.plan.index);
  }

  maskRow(values: readonly (string | null | undefined)[]): RowPatch | undefined {
    let patch: (string | null | undefined)[] | undefined;
    for (const column of this.#columns) {
      const index = column.plan.index;
      const value = values[index];
      if (value === null) continue;
      let masked: MaskResult;
      if (value === undefined) {
        // Asked for but not decoded: the driver could not give it as text. Fail closed.
        masked = null;
        this.#count(column, UNREADABLE);
      } else {
        masked = this.#maskValue(column, value);
        if (masked === undefined) continue;
      }
      patch ??= new Array<string | null | undefined>(values.length);
      patch[index] = masked;
    }
    return patch;
  }

  #maskValue(column: ColumnState, value: string): MaskResult {
    const plan = column.plan;
    if (plan.mode === 'whole') {
      const masked = maskWholeValue(value, plan.type, plan.strategy, plan.typeClass, plan.policy);
      if (masked !== undefined) this.#count(column, plan.type);
      return masked;
    }
    const found = this.#found;
    resetFound(found);
    const masked = plan.maybeSecret ? maskMaybeSecret(value, plan.typeClass, plan.policy, found) : scanValue(value, plan.typeClass, plan.policy, found);
    if (masked === undefined) {
      column.streak = 0;
      return undefined;
    }
    for (let i = 0; i < found.types.length; i++) this.#count(column, found.types[i]!, i > 0);
    this.#promote(column, plan);
    return masked;
  }

  /**
   * A scanned text column whose values are, one after another, entirely one email (say) is an email column:
   * later values are masked whole even when they do not look like one (`upper(email)` with a typo in it).
   */
  #promote(column: ColumnState, plan: ScanPlan): void {
    const found = this.#found;
    const type = found.wholeValue && found.types.length === 1 ? found.types[0]! : undefined;
    if (type === undefined || plan.typeClass !== 'text') {
      column.streakType = undefined;
      column.streak = 0;
      return;
    }
    column.streak = column.streakType === type ? column.streak + 1 : 1;
    column.streakType = type;
    const strategy = plan.policy.strategies[type];
    if (column.streak >= PROMOTE_AFTER && strategy !== 'none') {
      column.plan = { index: plan.index, key: plan.key, typeClass: plan.typeClass, policy: plan.policy, mode: 'whole', type, strategy };
    }
  }

  #count(column: ColumnState, type: string, sameValue = false): void {
    let entry = column.entry;
    if (entry === undefined) {
      const masked = (this.#annotations.masked ??= {});
      entry = masked[column.plan.key] ??= { type, count: 0 };
      column.entry = entry;
    }
    // A value with two types (an email and a phone number in one JSON document) counts once.
    if (!sameValue) entry.count++;
    if (entry.type !== type && !entry.type.split(',').includes(type)) entry.type += `,${type}`;
  }
}
