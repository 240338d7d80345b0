// What a `COPY … TO STDOUT` statement copies and how it writes it, read from its SQL: CopyOutResponse
// names neither the columns nor the CSV delimiter, quote, escape, NULL string or header.
import { copyFormat, type CopyFormat } from './copy-rows.js';

export interface CopyOut {
  /** A statement whose result columns are the COPY's columns: `select <columns> from <table>`, or the COPY's query. */
  readonly describeSql: string;
  readonly format: CopyFormat;
}

interface Token {
  readonly kind: 'word' | 'identifier' | 'string' | 'symbol' | 'number';
  /** Lowercased for words; the value for strings and quoted identifiers. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** The COPY … TO STDOUT this SQL is (one statement, trailing `;` allowed); undefined when it is anything else or not understood. */
export function parseCopyOut(sql: string): CopyOut | undefined {
  const tokens = tokenize(sql);
  if (!tokens) return undefined;
  let at = 0;
  const peek = (offset = 0) => tokens[at + offset];
  const isWord = (word: string, offset = 0) => peek(offset)?.kind === 'word' && peek(offset)!.value === word;
  const isSymbol = (symbol: string) => peek()?.kind === 'symbol' && peek()!.value === symbol;
  /** Index of the token after the parenthesized group that starts at `at`. */
  const skipGroup = (): number | undefined => {
    let depth = 0;
    for (let i = at; i < tokens.length; i++) {
      if (tokens[i]!.kind !== 'symbol') continue;
      if (tokens[i]!.value === '(') depth++;
      else if (tokens[i]!.value === ')' && --depth === 0) return i + 1;
    }
    return undefined;
  };

  if (!isWord('copy')) return undefined;
  at++;
  let kind: CopyFormat['kind'] = 'text';
  if (isWord('binary')) {
    kind = 'binary';
    at++;
  }
  let describeSql: string;
  if (isSymbol('(')) {
    const after = skipGroup();
    if (after === undefined) return undefined;
    describeSql = sql.slice(tokens[at]!.end, tokens[after - 1]!.start);
    at = after;
  } else {
    const first = at;
    while (peek()?.kind === 'word' || peek()?.kind === 'identifier') {
      at++;
      if (!isSymbol('.')) break;
      at++;
    }
    if (at === first || isWord('to', -1)) return undefined;
    const table = sql.slice(tokens[first]!.start, tokens[at - 1]!.end);
    let columns = '*';
    if (isSymbol('(')) {
      const after = skipGroup();
      if (after === undefined) return undefined;
      columns = sql.slice(tokens[at]!.end, tokens[after - 1]!.start);
      at = after;
    }
    describeSql = `select ${columns} from ${table}`;
  }
  if (!isWord('to') || !isWord('stdout', 1)) return undefined;
  at += 2;

  const options: { -readonly [K in keyof CopyFormat]?: CopyFormat[K] } = {};
  /** A string option's value: a one-character string for delimiter, quote and escape. */
  const stringValue = (): string | undefined => {
    if (isWord('as')) at++;
    const token = peek();
    if (token?.kind !== 'string') return undefined;
    at++;
    return token.value;
  };
  const setOption = (name: string, value: string | undefined): boolean => {
    switch (name) {
      case 'format':
        if (value !== 'text' && value !== 'csv' && value !== 'binary') return false;
        kind = value;
        return true;
      case 'delimiter':
      case 'quote':
      case 'escape':
        if (value === undefined || Buffer.byteLength(value) !== 1) return false;
        options[name] = value;
        return true;
      case 'null':
        if (value === undefined) return false;
        options.null = value;
        return true;
      case 'header':
        options.header = value === undefined || ['true', 'on', '1'].includes(value.toLowerCase());
        return value === undefined || ['true', 'on', '1', 'false', 'off', '0'].includes(value.toLowerCase());
      case 'encoding':
        // Data in another encoding than the session's UTF-8 is not read by plugins.
        return value !== undefined && /^utf-?8$/i.test(value);
      case 'oids':
        return value !== undefined && ['false', 'off', '0'].includes(value.toLowerCase());
      default:
        // force_quote shows in the data itself (quoted fields); the rest concern COPY FROM.
        return ['force_quote', 'force_not_null', 'force_null', 'freeze', 'default', 'on_error', 'log_verbosity', 'reject_limit'].includes(name);
    }
  };

  if (isWord('with')) at++;
  if (isSymbol('(')) {
    at++;
    for (;;) {
      const name = peek();
      if (name?.kind !== 'word') return undefined;
      at++;
      let value: string | undefined;
      if (isSymbol('(')) {
        const after = skipGroup();
        if (after === undefined) return undefined;
        at = after;
      } else if (peek()?.kind === 'word' || peek()?.kind === 'string' || peek()?.kind === 'number' || peek()?.kind === 'identifier' || isSymbol('*')) {
        value = peek()!.value;
        at++;
      }
      if (!setOption(name.value, value)) return undefined;
      if (isSymbol(',')) {
        at++;
        continue;
      }
      if (!isSymbol(')')) return undefined;
      at++;
      break;
    }
  } else {
    // The syntax before PostgreSQL 9.0, which psql and many scripts still write.
    while (peek()?.kind === 'word') {
      const word = peek()!.value;
      at++;
      if (word === 'binary' || word === 'csv') kind = word;
      else if (word === 'header') options.header = true;
      else if (word === 'delimiter' || word === 'null' || word === 'quote' || word === 'escape' || word === 'encoding') {
        if (!setOption(word, stringValue())) return undefined;
      } else if (word === 'force') {
        if (!isWord('quote') && !isWord('not')) return undefined;
        if (isWord('not')) at++;
        at++;
        if (isSymbol('*')) at++;
        else {
          while (peek()?.kind === 'word' || peek()?.kind === 'identifier') {
            at++;
            if (!isSymbol(',')) break;
            at++;
          }
        }
      } else return undefined;
    }
  }
  if (isSymbol(';')) at++;
  if (at !== tokens.length) return undefined;
  return { describeSql, format: copyFormat(kind, options) };
}

/** Words, quoted identifiers, string constants (plain, E'…', dollar-quoted), numbers and symbols; comments skipped. */
function tokenize(sql: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      let depth = 0;
      let j = i;
      for (; j < sql.length; j++) {
        if (sql.startsWith('/*', j)) {
          depth++;
          j++;
        } else if (sql.startsWith('*/', j)) {
          depth--;
          j++;
          if (depth === 0) break;
        }
      }
      if (depth !== 0) return undefined;
      i = j + 1;
    } else if (char === "'" || ((char === 'e' || char === 'E') && sql[i + 1] === "'")) {
      const escapes = char !== "'";
      let j = escapes ? i + 2 : i + 1;
      let value = '';
      for (;;) {
        if (j >= sql.length) return undefined;
        const c = sql[j]!;
        if (c === "'" && sql[j + 1] === "'") {
          value += "'";
          j += 2;
        } else if (c === "'") {
          j++;
          break;
        } else if (escapes && c === '\\') {
          const next = sql[j + 1] ?? '';
          value += ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[next] ?? next;
          j += 2;
        } else {
          value += c;
          j++;
        }
      }
      tokens.push({ kind: 'string', value, start: i, end: j });
      i = j;
    } else if (char === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= sql.length) return undefined;
        if (sql[j] === '"' && sql[j + 1] === '"') {
          value += '"';
          j += 2;
        } else if (sql[j] === '"') {
          j++;
          break;
        } else value += sql[j++];
      }
      tokens.push({ kind: 'identifier', value, start: i, end: j });
      i = j;
    } else if (char === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end === -1) return undefined;
      tokens.push({ kind: 'string', value: sql.slice(i + tag.length, end), start: i, end: end + tag.length });
      i = end + tag.length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(char)) {
      const match = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i))!;
      if (sql[i + match[0].length] === "'" || sql[i + match[0].length] === '&') {
        // U&'…', B'…', X'…' and friends are no option values Sluice needs to read.
        if (!/^[eE]$/.test(match[0])) return undefined;
      }
      tokens.push({ kind: 'word', value: match[0].toLowerCase(), start: i, end: i + match[0].length });
      i += match[0].length;
    } else if (/[0-9]/.test(char)) {
      const match = /^[0-9][0-9.]*/.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', value: match[0], start: i, end: i + match[0].length });
      i += match[0].length;
    } else {
      tokens.push({ kind: 'symbol', value: char, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}
