// Analyses shared by statements of one shape: `… WHERE aid = 42` is parsed once, `… WHERE aid = 7` reuses it.
//
// Core caches analyses by exact text, which never hits for clients that inline their values (pgbench's
// simple protocol, most ORMs without server-side prepare). Here an analysis is reused for another
// text of the same shape (see postgres-shape.ts) only when:
// - the analyzer says it read no constant's value (`readsConstants` false): EXPLAIN (ANALYZE 0) and
//   (ANALYZE 1), set_config('role', …) and set_config('x', …), DO blocks are parsed every time;
// - the text parsed: an error is not shared (constants can make or break a parse, e.g. `float(54)`).
// Statement locations are moved by the difference in the constants' lengths, so they point into the
// text asked about.
import type { SqlAnalysis, StatementInfo } from '@sluice/core';
import type { SqlShape } from './postgres-shape.js';

export interface ShapedAnalysis {
  readonly analysis: SqlAnalysis;
  /** Some fact of the analysis depends on a constant's value: it holds for this exact text only. */
  readonly readsConstants: boolean;
}

interface Entry {
  readonly analysis: SqlAnalysis;
  /** The constants' offsets in the text that was parsed. */
  readonly constants: readonly number[];
  /**
   * The analysis moved for other offsets, by offsets: texts whose constants have the same lengths
   * share one analysis object, so what plugins derive from it can be kept by identity.
   */
  readonly moved: Map<string, SqlAnalysis>;
}

/** Moved analyses kept per shape (pgbench's aids have 1 to 7 digits). */
const MOVED_PER_SHAPE = 16;

const DEFAULT_SIZE = 2_000;

export class ShapeCache {
  readonly #shapeOf: (sql: string) => SqlShape | undefined;
  readonly #analyze: (sql: string) => ShapedAnalysis;
  readonly #size: number;
  readonly #entries = new Map<string, Entry>();

  constructor(shapeOf: (sql: string) => SqlShape | undefined, analyze: (sql: string) => ShapedAnalysis, size = DEFAULT_SIZE) {
    this.#shapeOf = shapeOf;
    this.#analyze = analyze;
    this.#size = size;
  }

  analyze(sql: string): SqlAnalysis {
    const shape = this.#shapeOf(sql);
    if (shape === undefined) return this.#analyze(sql).analysis;
    const entry = this.#entries.get(shape.key);
    if (entry !== undefined) {
      const moved = relocate(entry, shape.constants);
      if (moved !== undefined) {
        this.#entries.delete(shape.key);
        this.#entries.set(shape.key, entry);
        return moved;
      }
    }
    const result = this.#analyze(sql);
    if (!result.readsConstants && result.analysis.error === undefined) {
      this.#entries.set(shape.key, { analysis: result.analysis, constants: shape.constants, moved: new Map() });
      if (this.#entries.size > this.#size) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return result.analysis;
  }
}

/** The entry's analysis with its locations moved into a text whose constants are at `constants`; undefined if one cannot be. */
function relocate(entry: Entry, constants: readonly number[]): SqlAnalysis | undefined {
  const from = entry.constants;
  if (from.length !== constants.length) return undefined;
  let same = true;
  for (let i = 0; i < from.length; i++) {
    if (from[i] !== constants[i]) {
      same = false;
      break;
    }
  }
  if (same) return entry.analysis;
  const signature = constants.join(',');
  const known = entry.moved.get(signature);
  if (known !== undefined) return known;
  const statements: StatementInfo[] = [];
  for (const statement of entry.analysis.statements) {
    const location = statement.location;
    if (location === undefined) {
      statements.push(statement);
      continue;
    }
    const start = moveOffset(location.start, from, constants);
    const end = moveOffset(location.end, from, constants);
    if (start === undefined || end === undefined) return undefined;
    statements.push({ ...statement, location: { start, end } });
  }
  const moved = { ...entry.analysis, statements };
  if (entry.moved.size < MOVED_PER_SHAPE) entry.moved.set(signature, moved);
  return moved;
}

/** An offset of the parsed text in the new one: shifted by the growth of every constant that ends at or before it. */
function moveOffset(offset: number, from: readonly number[], to: readonly number[]): number | undefined {
  let shift = 0;
  for (let i = 0; i < from.length; i += 2) {
    const start = from[i]!;
    const end = from[i + 1]!;
    if (end <= offset) shift += to[i + 1]! - to[i]! - (end - start);
    else if (start < offset) return undefined; // inside a constant: no statement boundary is
    else break;
  }
  return offset + shift;
}
