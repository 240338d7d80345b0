// COPY … TO: rows that leave as COPY data never pass onRow, so they cannot be masked and are refused instead.
import type { QueryEvent } from '@sluice/core';

/** String literals, quoted identifiers and comments, which may mention COPY without being one. */
const NOT_CODE = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g;
const PARENTHESIZED = /\([^()]*\)/g;
const HAS_PARENTHESIZED = /\([^()]*\)/;
const MAX_DEPTH = 64;
/**
 * COPY table or (query) TO anything: STDOUT, a program, or a server file however its name is quoted (`'…'`, `E'…'`,
 * `$$…$$`). TO is a reserved word, so outside literals and parentheses it is the direction. COPY … FROM brings data
 * in and is fine.
 */
const COPY_TO = /^\s*copy\b[^;]*?\bto\b/i;

/** True when the statement sends table data out as COPY data (or to a file) rather than as rows. */
export function copiesOut(query: QueryEvent): boolean {
  if (!/copy/i.test(query.sql)) return false;
  // With a parser registered, a statement that is no COPY at all needs no closer look.
  const analysis = query.analysis();
  if (analysis && !analysis.error && !analysis.statements.some((statement) => statement.kinds.includes('copy'))) return false;
  let code = query.sql.replace(NOT_CODE, (text) => (text.startsWith("'") ? "'" : ' '));
  // `COPY (SELECT …) TO`: drop parenthesized parts, innermost first, so only the statement's own words remain.
  for (let depth = 0; HAS_PARENTHESIZED.test(code); depth++) {
    // Nested deeper than any real query: refuse rather than spend the proxy's time unwrapping it.
    if (depth === MAX_DEPTH) return /(?:^|;)\s*copy\b/i.test(code);
    code = code.replace(PARENTHESIZED, ' ');
  }
  return code.split(';').some((statement) => COPY_TO.test(statement));
}
