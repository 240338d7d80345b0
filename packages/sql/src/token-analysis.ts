// Analyses MySQL or T-SQL text: lex, split into statements, read each with node-sql-parser, check the tree, else fall back.
import type { SqlAnalysis, StatementInfo } from '@sluice/core';
import { markAmbiguous, StatementFacts, summarize } from './facts.js';
import { addTokenMarkers, fallbackFacts } from './fallback.js';
import { statementHits } from './keywords.js';
import { lex, type LexDialect, type Lexed, type Token } from './lexer.js';
import { analyzeNodeSqlAst } from './node-sql-ast.js';
import { splitStatements } from './split.js';

/** Reads one statement's text with node-sql-parser; undefined when it cannot. */
export type TreeReader = (sql: string) => unknown[] | undefined;

export interface DialectRules {
  readonly dialect: LexDialect;
  /** Tried in order until one gives a tree the walker understands (MySQL, then MariaDB). */
  readonly readers: readonly TreeReader[];
  /** Statements read by the tokens alone (T-SQL EXEC, MySQL PREPARE): the tree would hide what matters. */
  readonly tokensOnly: (tokens: readonly Token[]) => boolean;
  /**
   * Rewrites of the statement text before node-sql-parser reads it, for syntax it cannot read but that
   * changes nothing it reports (T-SQL OUTPUT clauses, TOP (@p)). Each edit keeps the text's length.
   */
  readonly treeEdits?: (tokens: readonly Token[]) => TreeEdits;
  /** A statement that wraps another (EXPLAIN): analysed here, or undefined to go on as usual. */
  readonly wrapper?: (tokens: readonly Token[], inner: (tokens: readonly Token[]) => StatementFacts) => StatementFacts | undefined;
}

export interface TreeEdits {
  /** Absolute ranges of the SQL and the text (of the same length) node-sql-parser reads there instead. */
  readonly edits: readonly { start: number; end: number; text: string }[];
  /** Tables the edited-out text writes (T-SQL OUTPUT ... INTO t). */
  readonly writes: readonly string[];
}

/** Statements longer than this skip node-sql-parser (a PEG parser is slow on megabyte INSERTs). */
const MAX_TREE_TEXT = 64 * 1024;
/** How deep SQL inside string literals (EXEC('...')) is followed. */
const MAX_DYNAMIC_DEPTH = 2;

export function analyzeText(sql: string, rules: DialectRules, depth = 0): SqlAnalysis {
  const lexed = lex(sql, { dialect: rules.dialect, backslashEscapes: true });
  if (lexed.error) return { statements: [], error: `${rules.dialect}: ${lexed.error}` };
  const statements = analyzeLexed(lexed, rules, depth);
  if (rules.dialect !== 'mysql' || !sql.includes('\\')) return { statements };
  // Under sql_mode NO_BACKSLASH_ESCAPES a backslash does not escape a quote: compare that reading.
  const other = lex(sql, { dialect: rules.dialect, backslashEscapes: false });
  // Most backslashes (`'C:\\dir'`, `'\\d+'`) cut the text the same way in both modes: nothing to compare.
  if (!other.error && sameCuts(lexed.tokens, other.tokens)) return { statements };
  let alternative = analyzeLexed(other, rules, depth);
  if (other.error) {
    // The server runs the statements before the one that fails to lex; only those count.
    const last = other.tokens[other.tokens.length - 1];
    if (!(last?.type === 'punct' && last.value === ';')) alternative = alternative.slice(0, -1);
    if (alternative.length === 0) return { statements };
    if (summarize(alternative) === summarize(statements.slice(0, alternative.length))) return { statements };
  } else if (summarize(alternative) === summarize(statements)) {
    return { statements };
  }
  return { statements: markAmbiguous(statements, alternative) };
}

function sameCuts(a: readonly Token[], b: readonly Token[]): boolean {
  return a.length === b.length && a.every((token, index) => token.start === b[index]!.start && token.end === b[index]!.end);
}

function analyzeLexed(lexed: Lexed, rules: DialectRules, depth: number): StatementInfo[] {
  const dynamic = (literal: string): readonly StatementInfo[] =>
    depth < MAX_DYNAMIC_DEPTH ? analyzeText(literal, rules, depth + 1).statements : [];
  const analyzePiece = (tokens: readonly Token[]): StatementFacts => {
    const wrapped = rules.wrapper?.(tokens, analyzePiece);
    if (wrapped) return wrapped;
    const facts = readTree(tokens, lexed.cleaned, rules);
    if (!facts) return fallbackFacts(tokens, rules.dialect, dynamic);
    addTokenMarkers(tokens, facts);
    // A statement word the tree does not account for means the tree misread the text.
    const missed = statementHits(tokens, rules.dialect).some((hit) => hit.kind !== facts.kind && !facts.kinds.has(hit.kind));
    if (missed) {
      facts.absorb(fallbackFacts(tokens, rules.dialect, dynamic));
      facts.addKind('unknown');
    }
    return facts;
  };
  return splitStatements(lexed.tokens, rules.dialect).map((piece) =>
    analyzePiece(piece.tokens).toInfo({ start: piece.start, end: piece.end }),
  );
}

/** The statement read from node-sql-parser's tree, or undefined when the tokens must do. */
export function readTree(tokens: readonly Token[], cleaned: string, rules: DialectRules): StatementFacts | undefined {
  if (tokens.some((token) => token.odd) || rules.tokensOnly(tokens)) return undefined;
  const start = tokens[0]!.start;
  const end = tokens[tokens.length - 1]!.end;
  if (end - start > MAX_TREE_TEXT) return undefined;
  let text = cleaned.slice(start, end);
  const edited = rules.treeEdits?.(tokens);
  for (const edit of edited?.edits ?? []) {
    text = text.slice(0, edit.start - start) + edit.text + text.slice(edit.end - start);
  }
  for (const read of rules.readers) {
    const trees = read(text);
    if (trees?.length !== 1) continue;
    const facts = analyzeNodeSqlAst(trees[0]);
    if (!facts) continue;
    for (const table of edited?.writes ?? []) facts.addTable(table, 'write');
    return facts;
  }
  return undefined;
}
