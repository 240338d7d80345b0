// Rewrites SQL as PostgreSQL reads it with standard_conforming_strings off, so both readings can be compared.
//
// With the setting off (a client may turn it off for its session), a backslash in '...' escapes the next
// character, so `'\'` no longer ends the literal and text that looked quoted becomes SQL. libpg-query
// always reads with the setting on; prefixing such literals with E gives the other reading.
import { byteToCharOffsets } from './byte-offsets.js';
import type { PgQuery } from './pg-query.js';

const MAX_ROUNDS = 100;

/** The escape-string reading of `sql`, or undefined when it reads the same (no backslash in a plain literal) or does not lex. */
export function escapeStringReading(pg: PgQuery, sql: string): string | undefined {
  if (!sql.includes('\\')) return undefined;
  let text = sql;
  let from = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let tokens;
    try {
      tokens = pg.scanSync(text).tokens;
    } catch {
      // The other reading does not even lex: the server would reject the string, so nothing would run.
      return undefined;
    }
    const toChar = byteToCharOffsets(text);
    const literal = tokens.find((token) => {
      if (token.tokenName !== 'SCONST' || !token.text.includes('\\')) return false;
      const at = toChar(token.start);
      return at >= from && text[at] === "'";
    });
    if (!literal) break;
    const at = toChar(literal.start);
    // Each rewrite changes how the rest lexes, so scan again after it.
    text = `${text.slice(0, at)} E${text.slice(at)}`;
    from = at + 2;
  }
  return text === sql ? undefined : text;
}
