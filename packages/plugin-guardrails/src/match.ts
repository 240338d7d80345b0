// Compiles a rule's `match:` block into a test of one statement in its session's context.
import type { ColumnRef, Identity, StatementKind, TableRef } from '@sluice/core';
import { BOUNDED_BY_WHERE, expandKinds } from './kinds.js';
import { compileGlob, compileNamePattern, nameMatches, splitName, type MatchMode, type NamePattern } from './names.js';
import type { MatchOptions } from './options.js';
import { inWindow, type TimeWindow } from './time-window.js';

/** Who runs the statement, where and when. */
export interface MatchContext {
  readonly listener: string;
  readonly environment?: string;
  readonly dialect: string;
  readonly identity: Identity;
  readonly now: Date;
}

/** What the parse says about one statement, in the form the matcher reads. */
export interface StatementFacts {
  readonly kind: StatementKind;
  /** The statement's kind and every kind inside it. */
  readonly kinds: ReadonlySet<StatementKind>;
  /** True when the parser could not understand all of it (kind `unknown`). */
  readonly unknown: boolean;
  readonly tables: readonly TableRef[];
  readonly columns: readonly ColumnRef[];
  readonly functions: readonly string[];
  readonly hasWhere?: boolean;
}

/**
 * A compiled match block. Every key present must hold (AND); a list matches when any entry does.
 *
 * `mode` says which way uncertainty falls. A tightening rule (deny, require_approval, log) reads
 * the statement generously: `statement` matches when any kind inside it is listed, `tables` when
 * any table matches. A loosening one (allow, and every `unless`) reads it strictly: every kind must
 * be listed, every table must match, and a statement the parser did not understand matches nothing
 * but `statement: [unknown]`. Either way, a mistake errs toward the safe side.
 */
export interface CompiledMatch {
  test(context: MatchContext, statement: StatementFacts, mode: MatchMode): boolean;
  /** True when the block reads only the session (listener, user, time…), not the SQL. */
  readonly contextOnly: boolean;
  /** True when the result depends on the clock. */
  readonly timeDependent: boolean;
  /** The kinds `statement:` names, groups expanded; undefined when the key is absent. */
  readonly kinds?: ReadonlySet<StatementKind>;
  readonly options: MatchOptions;
}

type Condition = (context: MatchContext, statement: StatementFacts, mode: MatchMode) => boolean;

export function compileMatch(options: MatchOptions): CompiledMatch {
  const conditions: Condition[] = [];
  if (options.listener) {
    const globs = options.listener.map((p) => compileGlob(p));
    conditions.push((c) => globs.some((g) => g.test(c.listener)));
  }
  if (options.environment) {
    const globs = options.environment.map((p) => compileGlob(p));
    conditions.push((c) => globs.some((g) => g.test(c.environment ?? '')));
  }
  if (options.dialect) {
    const globs = options.dialect.map((p) => compileGlob(p));
    conditions.push((c) => globs.some((g) => g.test(c.dialect)));
  }
  if (options.user) {
    // Identities are exact: `alice` is not `Alice`.
    const globs = options.user.map((p) => compileGlob(p, true));
    conditions.push((c) => globs.some((g) => g.test(c.identity.subject) || g.test(c.identity.name)));
  }
  if (options.groups) {
    const globs = options.groups.map((p) => compileGlob(p, true));
    conditions.push((c) => c.identity.groups.some((group) => globs.some((g) => g.test(group))));
  }
  if (options.time) {
    const windows: readonly TimeWindow[] = options.time;
    conditions.push((c) => windows.some((window) => inWindow(window, c.now)));
  }
  const kinds = options.statement ? expandKinds(options.statement) : undefined;
  if (kinds) conditions.push((_, s, mode) => kindsMatch(kinds, s.kinds, mode));
  if (options.where) {
    const where = options.where;
    conditions.push((_, s, mode) => strictAboutUnknown(s, mode) && whereMatches(where, s, mode));
  }
  if (options.tables) {
    const patterns = options.tables.map(compileNamePattern);
    conditions.push((_, s, mode) => strictAboutUnknown(s, mode) && every(s.tables, mode, (t) => patterns.some((p) => nameMatches(p, t.name, mode))));
  }
  if (options.columns) {
    const patterns = options.columns.map(compileColumnPattern);
    conditions.push((_, s, mode) => strictAboutUnknown(s, mode) && every(s.columns, mode, (col) => patterns.some((p) => columnMatches(p, col, mode))));
  }
  if (options.functions) {
    const patterns = options.functions.map(compileNamePattern);
    conditions.push((_, s, mode) => strictAboutUnknown(s, mode) && every(s.functions, mode, (f) => patterns.some((p) => nameMatches(p, f, mode))));
  }
  const sqlKeys = ['statement', 'where', 'tables', 'columns', 'functions'] as const;
  return {
    test: (context, statement, mode) => conditions.every((condition) => condition(context, statement, mode)),
    contextOnly: sqlKeys.every((key) => options[key] === undefined),
    timeDependent: options.time !== undefined,
    ...(kinds ? { kinds } : {}),
    options,
  };
}

/** In strict mode a statement the parser did not understand satisfies no SQL condition. */
function strictAboutUnknown(statement: StatementFacts, mode: MatchMode): boolean {
  return mode === 'any' || !statement.unknown;
}

/** `any`: some item satisfies; `all`: every item does (vacuously true for none). */
function every<T>(items: readonly T[], mode: MatchMode, test: (item: T) => boolean): boolean {
  return mode === 'any' ? items.some(test) : items.every(test);
}

function kindsMatch(listed: ReadonlySet<StatementKind>, kinds: ReadonlySet<StatementKind>, mode: MatchMode): boolean {
  const inside = [...kinds];
  return mode === 'any' ? inside.some((kind) => listed.has(kind)) : inside.length > 0 && inside.every((kind) => listed.has(kind));
}

/**
 * Whether the statement updates or deletes without a WHERE. When the parser does not say
 * (`hasWhere` undefined), a tightening rule assumes there is none and a loosening one does not.
 */
export function unbounded(statement: StatementFacts, mode: MatchMode): boolean {
  if (![...statement.kinds].some((kind) => BOUNDED_BY_WHERE.has(kind))) return false;
  return mode === 'any' ? statement.hasWhere !== true : statement.hasWhere === false;
}

function whereMatches(where: 'absent' | 'present', statement: StatementFacts, mode: MatchMode): boolean {
  if (where === 'absent') return unbounded(statement, mode);
  // `present` holds for statements with nothing to bound, and reads uncertainty the other way round.
  return !unbounded(statement, mode === 'any' ? 'all' : 'any');
}

interface ColumnPattern {
  readonly column: RegExp;
  /** The table part of `table.column` or `schema.table.column`. */
  readonly table?: NamePattern;
}

function compileColumnPattern(pattern: string): ColumnPattern {
  const parts = splitName(pattern);
  const column = compileGlob(parts.pop()!);
  return parts.length === 0 ? { column } : { column, table: { text: pattern, segments: parts.map((part) => compileGlob(part)) } };
}

function columnMatches(pattern: ColumnPattern, column: ColumnRef, mode: MatchMode): boolean {
  // `SELECT *` reads every column: to a tightening rule it reads the one it names.
  const named = pattern.column.test(column.name) || (column.name === '*' && mode === 'any');
  if (!named) return false;
  if (!pattern.table) return true;
  // A column whose table the parser could not tell may be from that table: tightening rules say yes.
  if (column.table === undefined) return mode === 'any';
  return nameMatches(pattern.table, column.table, mode);
}
