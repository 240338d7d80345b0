// T-SQL syntax node-sql-parser cannot read but that changes nothing it reports, rewritten before it reads the text.
//
// Entity Framework Core sends `OUTPUT INSERTED.[Id]` on every write and `TOP(@p)` / `OFFSET @p ROWS` on
// paged reads; without these edits every such statement would fall back to the token reading.
import { isPunct, isWord, type Token } from './lexer.js';
import type { TreeEdits } from './token-analysis.js';

/** Words that end an OUTPUT column list at depth 0. */
const AFTER_OUTPUT = new Set(['INTO', 'VALUES', 'SELECT', 'DEFAULT', 'FROM', 'WHERE', 'EXEC', 'EXECUTE', 'OPTION', 'OUTPUT']);


export function tsqlTreeEdits(tokens: readonly Token[]): TreeEdits {
  const edits: { start: number; end: number; text: string }[] = [];
  const writes: string[] = [];
  const blank = (from: Token, to: Token): void => {
    edits.push({ start: from.start, end: to.end, text: ' '.repeat(to.end - from.start) });
  };
  // A variable where node-sql-parser wants a number: same length, a number instead.
  const number = (token: Token | undefined): void => {
    if (token?.type === 'variable') edits.push({ start: token.start, end: token.end, text: '0'.padEnd(token.end - token.start) });
  };
  let depth = 0;
  for (let at = 0; at < tokens.length; at++) {
    const token = tokens[at]!;
    if (isPunct(token, '(')) depth++;
    else if (isPunct(token, ')')) depth--;
    // node-sql-parser misreads @@ROWCOUNT (and fails on `@@ROWCOUNT AS n`); a number reads the same for what is reported.
    if (token.type === 'variable' && token.text.startsWith('@@')) number(token);
    if (token.type !== 'word') continue;
    if (token.value === 'TOP' && isPunct(tokens[at + 1], '(') && isPunct(tokens[at + 3], ')')) number(tokens[at + 2]);
    if (token.value === 'OFFSET' && isWord(tokens[at + 2], 'ROW', 'ROWS')) number(tokens[at + 1]);
    if (token.value === 'FETCH' && isWord(tokens[at + 1], 'NEXT', 'FIRST') && isWord(tokens[at + 3], 'ROW', 'ROWS')) {
      number(tokens[at + 2]);
      // Hibernate writes FETCH FIRST, node-sql-parser reads only FETCH NEXT; they mean the same.
      if (tokens[at + 1]!.value === 'FIRST') edits.push({ start: tokens[at + 1]!.start, end: tokens[at + 1]!.end, text: 'NEXT'.padEnd(tokens[at + 1]!.end - tokens[at + 1]!.start) });
    }
    // NEXT VALUE FOR seq is a value (the marker `next value for` reports it); node-sql-parser cannot read it.
    if (token.value === 'NEXT' && isWord(tokens[at + 1], 'VALUE') && isWord(tokens[at + 2], 'FOR')) {
      let end = at + 3;
      while (tokens[end + 1] && isPunct(tokens[end + 1], '.') && tokens[end + 2] && tokens[end + 2]!.type !== 'punct') end += 2;
      if (tokens[end]?.type === 'word' || tokens[end]?.type === 'quoted') {
        edits.push({ start: token.start, end: tokens[end]!.end, text: '0'.padEnd(tokens[end]!.end - token.start) });
        at = end;
        continue;
      }
    }
    // EF Core's ExecuteDelete writes `DELETE FROM [b] FROM [Blogs] AS [b]`: the first FROM is optional, and node-sql-parser reads only the form without it.
    if (token.value === 'DELETE' && isWord(tokens[at + 1], 'FROM') && tokens[at + 2]?.type !== 'punct' && isWord(tokens[at + 3], 'FROM')) {
      edits.push({ start: tokens[at + 1]!.start, end: tokens[at + 1]!.end, text: '    ' });
    }
    if (token.value !== 'OUTPUT' || depth !== 0) continue;
    let end = at + 1;
    let level = 0;
    while (end < tokens.length) {
      const next = tokens[end]!;
      if (isPunct(next, '(')) level++;
      else if (isPunct(next, ')')) level--;
      else if (level === 0 && (isPunct(next, ';') || (next.type === 'word' && AFTER_OUTPUT.has(next.value)))) break;
      end++;
    }
    if (isWord(tokens[end], 'INTO')) {
      // OUTPUT ... INTO target [(columns)]: a table target is written.
      end++;
      const parts: string[] = [];
      while (tokens[end] && (tokens[end]!.type === 'word' || tokens[end]!.type === 'quoted' || isPunct(tokens[end], '.'))) {
        if (!isPunct(tokens[end], '.')) parts.push(tokens[end]!.type === 'word' ? tokens[end]!.text : tokens[end]!.value);
        end++;
      }
      if (parts.length > 0) writes.push(parts.join('.'));
      if (tokens[end]?.type === 'variable') end++;
      if (isPunct(tokens[end], '(')) {
        let inner = 0;
        do {
          if (isPunct(tokens[end], '(')) inner++;
          else if (isPunct(tokens[end], ')')) inner--;
          end++;
        } while (end < tokens.length && inner > 0);
      }
    }
    blank(token, tokens[end - 1]!);
    at = end - 1;
  }
  return { edits, writes };
}
