// T-SQL control flow (IF/ELSE, WHILE, BEGIN ... END, TRY/CATCH): analyses each statement inside the block.
//
// Entity Framework's idempotent migration scripts wrap every statement in
// `IF NOT EXISTS (SELECT ... FROM [__EFMigrationsHistory] ...) BEGIN ... END`. Read as a whole, such a
// block is beyond node-sql-parser; read statement by statement, each part is an ordinary statement.
// The block is complete only if its condition hides no statement and every statement inside is complete.
import { StatementFacts } from './facts.js';
import { fallbackFacts } from './fallback.js';
import { isPunct, isWord, type Token } from './lexer.js';
import { splitStatements } from './split.js';

type Inner = (tokens: readonly Token[]) => StatementFacts;

const NOT_BLOCKS = new Set(['TRAN', 'TRANSACTION', 'DISTRIBUTED', 'DIALOG', 'CONVERSATION']);

/** Index of the END closing the BEGIN at `at`, counting nested BEGIN/CASE; -1 when it is not closed. */
function matchingEnd(tokens: readonly Token[], at: number): number {
  let depth = 0;
  for (let index = at; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (isWord(token, 'CASE') || (isWord(token, 'BEGIN') && !(isWord(tokens[index + 1]) && NOT_BLOCKS.has(tokens[index + 1]!.value)))) depth++;
    else if (isWord(token, 'END') && --depth === 0) return index;
  }
  return -1;
}

/** Reads `BEGIN [TRY|CATCH] ... END [TRY|CATCH]` at `at`; returns the body and the index after it. */
function readBlock(tokens: readonly Token[], at: number): { body: readonly Token[]; next: number } | undefined {
  if (!isWord(tokens[at], 'BEGIN') || (isWord(tokens[at + 1]) && NOT_BLOCKS.has(tokens[at + 1]!.value))) return undefined;
  const end = matchingEnd(tokens, at);
  if (end === -1) return undefined;
  const label = isWord(tokens[at + 1], 'TRY', 'CATCH') ? tokens[at + 1]!.value : undefined;
  if (label && !isWord(tokens[end + 1], label)) return undefined;
  return { body: tokens.slice(label ? at + 2 : at + 1, end), next: label ? end + 2 : end + 1 };
}

/** The first BEGIN at parenthesis depth 0 from `at`, where a condition ends. */
function conditionEnd(tokens: readonly Token[], at: number): number {
  let depth = 0;
  for (let index = at; index < tokens.length; index++) {
    if (isPunct(tokens[index], '(')) depth++;
    else if (isPunct(tokens[index], ')')) depth--;
    else if (depth === 0 && isWord(tokens[index], 'BEGIN')) return index;
  }
  return -1;
}

export function tsqlBlock(tokens: readonly Token[], inner: Inner): StatementFacts | undefined {
  const facts = new StatementFacts('block');
  let complete = true;
  const addBody = (body: readonly Token[]): void => {
    for (const piece of splitStatements(body, 'mssql')) {
      const part = inner(piece.tokens);
      facts.absorb(part);
      if (part.kind === 'unknown' || part.kinds.has('unknown')) complete = false;
    }
  };
  const addCondition = (condition: readonly Token[]): void => {
    // The condition is an expression: the token fallback gives its tables and functions; a statement hiding in it spoils it.
    const read = fallbackFacts(condition, 'mssql');
    for (const table of read.tables) facts.addTable(table.name, 'read');
    for (const name of read.functions) facts.addFunction(name);
    for (const kind of read.kinds) {
      if (kind === 'unknown') continue;
      facts.addKind(kind);
      complete = false;
    }
  };

  let at = 0;
  if (isWord(tokens[0], 'IF', 'WHILE')) {
    const begin = conditionEnd(tokens, 1);
    if (begin <= 1) return undefined;
    addCondition(tokens.slice(1, begin));
    const block = readBlock(tokens, begin);
    if (!block) return undefined;
    addBody(block.body);
    at = block.next;
    if (isWord(tokens[0], 'IF') && isWord(tokens[at], 'ELSE')) {
      const otherwise = readBlock(tokens, at + 1);
      if (!otherwise) return undefined;
      addBody(otherwise.body);
      at = otherwise.next;
    }
  } else {
    // BEGIN ... END, or BEGIN TRY ... END TRY BEGIN CATCH ... END CATCH.
    while (at < tokens.length) {
      const block = readBlock(tokens, at);
      if (!block) return undefined;
      addBody(block.body);
      at = block.next;
    }
  }
  if (at !== tokens.length) return undefined;
  if (!complete) facts.addKind('unknown');
  return facts;
}
