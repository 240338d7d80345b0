// Table-driven expectations for SQL analyses, shared by the per-dialect tests.
import type { SqlAnalysis, StatementInfo, StatementKind } from '@sluice/core';
import { expect } from 'vitest';

/** What one statement must report; fields left out are not checked. */
export interface Expected {
  readonly kind: StatementKind;
  /** Compared as a set; `kind` is always first in the actual list. */
  readonly kinds?: readonly StatementKind[];
  /** `read:name` / `write:name`, compared as a set. */
  readonly tables?: readonly string[];
  /** `read:table.column` / `write:column`, each must be present. */
  readonly columns?: readonly string[];
  /** Compared as a set. */
  readonly functions?: readonly string[];
  /** Each must be present (for fallback readings, which may list more). */
  readonly functionsInclude?: readonly string[];
  /** `null`: the field must be absent. */
  readonly hasWhere?: boolean | null;
  readonly hasLimit?: boolean | null;
  /** The statement's text as cut by `location`. */
  readonly text?: string;
}

export interface Case {
  readonly name: string;
  readonly sql: string;
  /** One entry per statement; a single object for a one-statement string. */
  readonly expect: Expected | readonly Expected[] | { readonly error: RegExp };
}

export function c(name: string, sql: string, expected: Case['expect']): Case {
  return { name, sql, expect: expected };
}

const sorted = (items: readonly string[]): string[] => [...items].sort();

function checkStatement(sql: string, actual: StatementInfo, expected: Expected): void {
  expect(actual.kind).toBe(expected.kind);
  expect(actual.kinds[0]).toBe(actual.kind);
  if (expected.kinds) expect(sorted(actual.kinds)).toEqual(sorted(expected.kinds));
  if (expected.tables) expect(sorted(actual.tables.map((t) => `${t.access}:${t.name}`))).toEqual(sorted(expected.tables));
  if (expected.columns) {
    const columns = actual.columns.map((col) => `${col.access}:${col.table ? `${col.table}.` : ''}${col.name}`);
    for (const column of expected.columns) expect(columns).toContain(column);
  }
  if (expected.functions) expect(sorted(actual.functions)).toEqual(sorted(expected.functions));
  for (const name of expected.functionsInclude ?? []) expect(actual.functions).toContain(name);
  if (expected.hasWhere !== undefined) expect(actual.hasWhere).toBe(expected.hasWhere ?? undefined);
  if (expected.hasLimit !== undefined) expect(actual.hasLimit).toBe(expected.hasLimit ?? undefined);
  if (expected.text !== undefined) expect(sql.slice(actual.location!.start, actual.location!.end)).toBe(expected.text);
}

export function checkCase(analysis: SqlAnalysis, testCase: Case): void {
  const expected = testCase.expect;
  if ('error' in expected) {
    expect(analysis.statements).toEqual([]);
    expect(analysis.error).toMatch(expected.error);
    return;
  }
  expect(analysis.error).toBeUndefined();
  const statements: readonly Expected[] = Array.isArray(expected) ? expected : [expected as Expected];
  expect(analysis.statements.map((s) => s.kind)).toEqual(statements.map((s) => s.kind));
  statements.forEach((statement, index) => checkStatement(testCase.sql, analysis.statements[index]!, statement));
}
