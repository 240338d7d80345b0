// What a SQL parser reports about a statement string, and the registry that gives QueryEvent its lazy parse.
//
// Core parses nothing itself: a plugin registers a parser for a dialect (the guardrails plugin
// does for every dialect it knows) and every plugin then reads the same cached analysis.

export type StatementKind =
  | 'select'
  | 'insert'
  | 'update'
  | 'delete'
  | 'merge'
  | 'drop'
  | 'truncate'
  | 'alter'
  | 'create'
  | 'grant'
  | 'revoke'
  | 'copy'
  | 'call'
  | 'block'
  | 'set'
  | 'show'
  | 'transaction'
  | 'explain'
  | 'prepare'
  | 'execute'
  | 'other'
  | 'unknown';

export interface TableRef {
  /** Schema-qualified when the SQL qualifies it (`public.customers`), else as written (`customers`). */
  readonly name: string;
  readonly access: 'read' | 'write';
}

export interface ColumnRef {
  /** Table name or alias-resolved table when known. */
  readonly table?: string;
  readonly name: string;
  readonly access: 'read' | 'write';
}

export interface StatementInfo {
  readonly kind: StatementKind;
  /** Every kind inside the statement: a CTE's DELETE, EXPLAIN ANALYZE's inner statement, … */
  readonly kinds: readonly StatementKind[];
  readonly tables: readonly TableRef[];
  readonly columns: readonly ColumnRef[];
  /** Functions called, lowercased and schema-qualified when written so. */
  readonly functions: readonly string[];
  /** For UPDATE/DELETE: whether a WHERE clause restricts it. */
  readonly hasWhere?: boolean;
  readonly hasLimit?: boolean;
  /**
   * Server settings the statement sets or resets, anywhere in it (`SET`, `RESET`, `set_config(...)`,
   * a function's `SET` clause). Names are lowercased; `*` when the name is computed at run time.
   * Absent when the parser does not report settings.
   */
  readonly settings?: readonly SettingChange[];
  /** Start and end offsets of this statement in the SQL string. */
  readonly location?: { readonly start: number; readonly end: number };
}

export interface SettingChange {
  /** `role`, `search_path`, …; `all` for RESET ALL; `*` when only the server knows. */
  readonly name: string;
  readonly action: 'set' | 'reset';
}

export interface SqlAnalysis {
  /** One entry per statement in the string, in order; empty when the SQL could not be parsed. */
  readonly statements: readonly StatementInfo[];
  /** Why the SQL could not be parsed; statements of such SQL count as kind `unknown`. */
  readonly error?: string;
}

export interface SqlParser {
  readonly dialect: string;
  /** Synchronous: called lazily from hooks, results cached by SQL text. Must not throw. */
  parse(sql: string): SqlAnalysis;
  /**
   * The parser caches analyses itself (@sluice/sql's PostgreSQL parser does, by statement shape,
   * which also serves texts that differ only in constants): core then keeps no cache in front of it.
   */
  readonly cachesAnalyses?: boolean;
}

const CACHE_SIZE = 2_000;

/** Parsers by dialect with an LRU cache of analyses by SQL text. */
export class SqlParsers {
  readonly #parsers = new Map<string, SqlParser>();
  readonly #cache = new Map<string, SqlAnalysis>();

  register(parser: SqlParser): void {
    // The first registration wins, so config order decides between two plugins offering one.
    if (!this.#parsers.has(parser.dialect)) this.#parsers.set(parser.dialect, parser);
  }

  has(dialect: string): boolean {
    return this.#parsers.has(dialect);
  }

  /** Undefined when no plugin registered a parser for the dialect. */
  analyze(dialect: string, sql: string): SqlAnalysis | undefined {
    const parser = this.#parsers.get(dialect);
    if (!parser) return undefined;
    if (parser.cachesAnalyses) return parseSafely(parser, sql);
    const key = `${dialect}\u0000${sql}`;
    const cached = this.#cache.get(key);
    if (cached) {
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const analysis = parseSafely(parser, sql);
    this.#cache.set(key, analysis);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    return analysis;
  }
}

function parseSafely(parser: SqlParser, sql: string): SqlAnalysis {
  try {
    return parser.parse(sql);
  } catch (error) {
    return { statements: [], error: error instanceof Error ? error.message : String(error) };
  }
}
