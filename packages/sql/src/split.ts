// Cuts a MySQL or T-SQL token stream into statements the way the server does.
//
// Semicolons end statements, except inside a compound body (MySQL CREATE PROCEDURE ... BEGIN ... END,
// MariaDB BEGIN NOT ATOMIC, T-SQL BEGIN ... END), and except after a T-SQL CREATE PROCEDURE/FUNCTION/
// TRIGGER/VIEW, whose body runs to the end of the batch. T-SQL statements need no semicolon at all:
// a piece may then hold several statements, which the analysis reports as one (see fallback.ts).
import { isWord, type LexDialect, type Token } from './lexer.js';

export interface Piece {
  readonly tokens: readonly Token[];
  readonly start: number;
  readonly end: number;
}

const MYSQL_ROUTINES = new Set(['PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT']);
const MSSQL_ROUTINES = new Set(['PROC', 'PROCEDURE', 'FUNCTION', 'TRIGGER', 'VIEW', 'DEFAULT', 'RULE']);
const MYSQL_UNCOUNTED_ENDS = new Set(['IF', 'LOOP', 'WHILE', 'REPEAT']);
const MSSQL_NOT_BLOCKS = new Set(['TRAN', 'TRANSACTION', 'DISTRIBUTED', 'DIALOG', 'CONVERSATION']);

/** MySQL: whether a statement starting at `tokens[0]` has a compound body in which semicolons do not end it. */
function mysqlCompound(tokens: readonly Token[], from: number): boolean {
  const first = tokens[from];
  if (isWord(first, 'BEGIN')) return isWord(tokens[from + 1], 'NOT') && isWord(tokens[from + 2], 'ATOMIC');
  if (!isWord(first, 'CREATE')) return false;
  for (let at = from + 1; at < tokens.length && at < from + 16; at++) {
    const token = tokens[at]!;
    if (token.type === 'punct' && (token.value === '(' || token.value === ';')) return false;
    if (isWord(token) && MYSQL_ROUTINES.has(token.value)) return true;
  }
  return false;
}

/** T-SQL: whether a statement is a routine definition whose body runs to the end of the batch. */
function mssqlRoutine(tokens: readonly Token[], from: number): boolean {
  if (!isWord(tokens[from], 'CREATE', 'ALTER')) return false;
  let at = from + 1;
  if (isWord(tokens[at], 'OR') && isWord(tokens[at + 1], 'ALTER')) at += 2;
  return isWord(tokens[at]) && MSSQL_ROUTINES.has(tokens[at]!.value);
}

export function splitStatements(tokens: readonly Token[], dialect: LexDialect): Piece[] {
  const pieces: Piece[] = [];
  let first = 0;
  let depth = 0;
  let compound = false;
  let toEnd = false;

  const finish = (end: number): void => {
    if (end > first) {
      const slice = tokens.slice(first, end);
      pieces.push({ tokens: slice, start: slice[0]!.start, end: slice[slice.length - 1]!.end });
    }
    first = end + 1;
    depth = 0;
  };

  for (let at = 0; at < tokens.length; at++) {
    const token = tokens[at]!;
    if (at === first) {
      compound = dialect === 'mysql' ? mysqlCompound(tokens, at) : true;
      toEnd = dialect === 'mssql' && mssqlRoutine(tokens, at);
    }
    if (token.type === 'punct' && token.value === ';') {
      if (depth === 0 && !toEnd) finish(at);
      continue;
    }
    if (!compound || token.type !== 'word') continue;
    const next = tokens[at + 1];
    if (token.value === 'CASE') depth++;
    else if (token.value === 'BEGIN') {
      if (dialect === 'mysql' || !(isWord(next) && MSSQL_NOT_BLOCKS.has(next!.value))) depth++;
    } else if (token.value === 'END' && depth > 0) {
      if (!(dialect === 'mysql' && isWord(next) && MYSQL_UNCOUNTED_ENDS.has(next!.value))) depth--;
    }
  }
  finish(tokens.length);
  return pieces;
}
