// COPY … TO a server file or program: the rows never come through Sluice, so they cannot be masked and are refused.
// COPY … TO STDOUT is masked like a SELECT: the driver runs its rows through onResultSet and onRow.
import type { QueryEvent } from '@sluice/core';

/** String literals, quoted identifiers and comments, which may mention COPY without being one. */
const NOT_CODE = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g;
const PARENTHESIZED = /\([^()]*\)/g;
const HAS_PARENTHESIZED = /\([^()]*\)/;
const MAX_DEPTH = 64;
/**
 * COPY table or (query) TO anything but STDOUT: a program, or a server file however its name is quoted (`'…'`,
 * `E'…'`, `$$…$$`). TO is a reserved word, so outside literals and parentheses it is the direction. COPY … FROM
 * brings data in and is fine.
 */
const COPY_TO_SERVER = /^\s*copy\b[^;]*?\bto\s+(?!\s|stdout\b)/i;

/** True when the statement writes table data to a file or program on the server, past Sluice. */
export function copiesToServer(query: QueryEvent): boolean {
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
  return code.split(';').some((statement) => COPY_TO_SERVER.test(statement));
}
