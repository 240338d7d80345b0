// Splits MySQL/MariaDB or T-SQL text into tokens the way the server reads it: quotes, comments, executable comments.
//
// It also produces `cleaned`: the same text with comments and executable-comment markers blanked and
// string contents blanked, so that node-sql-parser sees the statement exactly as this lexer does.

export type LexDialect = 'mysql' | 'mssql';

export interface LexOptions {
  readonly dialect: LexDialect;
  /** MySQL's default; off when the server runs with sql_mode NO_BACKSLASH_ESCAPES. */
  readonly backslashEscapes: boolean;
}

export type TokenType = 'word' | 'quoted' | 'string' | 'number' | 'variable' | 'punct';

export interface Token {
  readonly type: TokenType;
  readonly start: number;
  readonly end: number;
  /** The source text of the token. */
  readonly text: string;
  /** word: upper-cased; quoted: the name without quotes; string: the unescaped contents; others: the text. */
  readonly value: string;
  /** Quoted names and double-quoted strings: holds characters that another lexer could read differently. */
  readonly odd?: boolean;
  /** Strings: the introducer before the quote (N, X, B, _utf8mb4) in upper case, or ''. */
  readonly prefix?: string;
}

export interface Lexed {
  readonly tokens: Token[];
  readonly cleaned: string;
  /** Set when a quote or a comment is not closed: statement boundaries are then unknowable. */
  readonly error?: string;
  /** Where the unclosed quote or comment starts; `tokens` holds the tokens before it. */
  readonly errorAt?: number;
}

/** Whether the token is a bare word, and (when words are given) one of them; words are upper case. */
export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token?.type === 'word' && (words.length === 0 || words.includes(token.value));
}

export function isPunct(token: Token | undefined, value: string): boolean {
  return token?.type === 'punct' && token.value === value;
}

const ODD_NAME_CHARS = /['"`[\]\\\u0000-\u001f]/;
const MYSQL_ESCAPES: Record<string, string> = { '0': '\u0000', n: '\n', t: '\t', r: '\r', b: '\b', Z: '\u001a' };

function isSpace(char: string): boolean {
  return /\s/.test(char);
}

function isWordChar(char: string | undefined, dialect: LexDialect): boolean {
  if (char === undefined) return false;
  if (/[A-Za-z0-9_$]/.test(char)) return true;
  if (dialect === 'mssql' && (char === '#' || char === '@')) return true;
  return char >= '\u0080' && !isSpace(char);
}

export function lex(sql: string, options: LexOptions): Lexed {
  const { dialect } = options;
  const mysql = dialect === 'mysql';
  const tokens: Token[] = [];
  const blanks: [number, number, string][] = [];
  const length = sql.length;
  let executableDepth = 0;
  let index = 0;

  const blank = (start: number, end: number, fill = ' '): void => {
    if (end > start) blanks.push([start, end, fill]);
  };
  const push = (type: TokenType, start: number, end: number, value: string, extra: Partial<Token> = {}): void => {
    tokens.push({ type, start, end, text: sql.slice(start, end), value, ...extra });
  };
  const fail = (message: string, at: number): Lexed => ({ tokens, cleaned: sql, error: message, errorAt: at });

  /** Reads a quoted run starting at `start` (the opening quote); returns its end and unescaped contents. */
  const readQuoted = (start: number, close: string, escapes: boolean): { end: number; value: string } | undefined => {
    let value = '';
    let at = start + 1;
    while (at < length) {
      const char = sql[at]!;
      if (escapes && char === '\\' && at + 1 < length) {
        const next = sql[at + 1]!;
        value += MYSQL_ESCAPES[next] ?? (next === '%' || next === '_' ? `\\${next}` : next);
        at += 2;
      } else if (char === close) {
        if (sql[at + 1] === close) {
          value += close;
          at += 2;
        } else {
          return { end: at + 1, value };
        }
      } else {
        value += char;
        at++;
      }
    }
    return undefined;
  };

  const readString = (start: number, quoteAt: number, prefix: string): boolean => {
    const quote = sql[quoteAt]!;
    const read = readQuoted(quoteAt, quote, mysql && options.backslashEscapes);
    if (!read) return false;
    const body = sql.slice(quoteAt + 1, read.end - 1);
    const hexOrBits = prefix === 'X' || prefix === 'B';
    if (quote === "'" && !hexOrBits) blank(quoteAt + 1, read.end - 1);
    const odd = quote === '"' && (ODD_NAME_CHARS.test(body) || body.includes('""'));
    push('string', start, read.end, read.value, { prefix, ...(odd ? { odd } : {}) });
    index = read.end;
    return true;
  };

  while (index < length) {
    const char = sql[index]!;
    const next = sql[index + 1];

    if (isSpace(char)) {
      if (char > '\u007f') blank(index, index + 1);
      index++;
      continue;
    }

    // Comments.
    if (char === '-' && next === '-') {
      const after = sql.charCodeAt(index + 2);
      if (!mysql || index + 2 >= length || after <= 32) {
        const end = sql.indexOf('\n', index);
        const stop = end === -1 ? length : end;
        blank(index, stop);
        index = stop;
        continue;
      }
      // MySQL: `--` not followed by a space is two minus signs; keep others from reading a comment here.
      blank(index, index + 1);
      push('punct', index, index + 1, '-');
      index++;
      continue;
    }
    if (char === '#' && mysql) {
      const end = sql.indexOf('\n', index);
      const stop = end === -1 ? length : end;
      blank(index, stop);
      index = stop;
      continue;
    }
    if (char === '/' && next === '*') {
      const bang = sql[index + 2] === '!' ? index + 2 : sql[index + 2] === 'M' && sql[index + 3] === '!' ? index + 3 : -1;
      if (mysql && bang !== -1) {
        // Executable comment: MySQL (and MariaDB for /*M!) runs its contents, so they are SQL here too.
        let markerEnd = bang + 1;
        const digits = /^\d{5,6}/.exec(sql.slice(markerEnd, markerEnd + 6));
        if (digits) markerEnd += digits[0].length;
        blank(index, markerEnd);
        executableDepth++;
        index = markerEnd;
        continue;
      }
      let depth = 1;
      let at = index + 2;
      while (at < length && depth > 0) {
        if (sql[at] === '*' && sql[at + 1] === '/') {
          depth--;
          at += 2;
        } else if (!mysql && sql[at] === '/' && sql[at + 1] === '*') {
          depth++; // T-SQL block comments nest
          at += 2;
        } else {
          at++;
        }
      }
      if (depth > 0) return fail(`unterminated comment starting at offset ${index}`, index);
      blank(index, at);
      index = at;
      continue;
    }
    if (char === '*' && next === '/' && executableDepth > 0) {
      blank(index, index + 2);
      executableDepth--;
      index += 2;
      continue;
    }

    // Quoted names and strings.
    if (char === "'" || (char === '"' && mysql)) {
      if (!readString(index, index, '')) return fail(`unterminated string starting at offset ${index}`, index);
      continue;
    }
    if (char === '"' || (char === '`' && mysql) || (char === '[' && !mysql)) {
      const close = char === '[' ? ']' : char;
      const read = readQuoted(index, close, false);
      if (!read) return fail(`unterminated quoted name starting at offset ${index}`, index);
      const body = sql.slice(index + 1, read.end - 1);
      const odd = ODD_NAME_CHARS.test(body);
      push('quoted', index, read.end, read.value, odd ? { odd } : {});
      index = read.end;
      continue;
    }

    // Variables: @name, @@system.name, MySQL @'quoted'.
    if (char === '@') {
      let at = index + 1;
      if (sql[at] === '@') at++;
      if (mysql && (sql[at] === "'" || sql[at] === '"' || sql[at] === '`')) {
        const read = readQuoted(at, sql[at]!, options.backslashEscapes && sql[at] !== '`');
        if (!read) return fail(`unterminated quoted variable starting at offset ${index}`, index);
        at = read.end;
      } else {
        while (at < length && (isWordChar(sql[at], dialect) || (sql[at] === '.' && isWordChar(sql[at + 1], dialect)))) at++;
      }
      push('variable', index, at, sql.slice(index, at));
      index = at;
      continue;
    }

    // Numbers and words (MySQL names may start with a digit).
    const previous = sql[index - 1];
    if (/[0-9]/.test(char) || (char === '.' && /[0-9]/.test(next ?? '') && !isWordChar(previous, dialect) && !/["`\]]/.test(previous ?? ''))) {
      const number = /^(0x[0-9a-fA-F]+|0b[01]+|\d*\.?\d+(?:[eE][+-]?\d+)?|\d+\.)/.exec(sql.slice(index, index + 400));
      const end = index + (number?.[0].length ?? 1);
      if (!isWordChar(sql[end], dialect) || !mysql) {
        push('number', index, end, sql.slice(index, end));
        index = end;
        continue;
      }
    }
    if (isWordChar(char, dialect) || (char === '#' && !mysql)) {
      let at = index + 1;
      while (at < length && isWordChar(sql[at], dialect)) at++;
      const word = sql.slice(index, at);
      const upper = word.toUpperCase();
      const introducer = mysql ? /^(N|X|B|_[A-Z0-9]+)$/.test(upper) : upper === 'N';
      if (introducer && sql[at] === "'") {
        if (!readString(index, at, upper)) return fail(`unterminated string starting at offset ${at}`, at);
        continue;
      }
      push('word', index, at, upper);
      index = at;
      continue;
    }

    push('punct', index, index + 1, char);
    index++;
  }
  if (executableDepth > 0) return fail('unterminated executable comment', length);
  return { tokens, cleaned: applyBlanks(sql, blanks) };
}

function applyBlanks(sql: string, blanks: readonly [number, number, string][]): string {
  if (blanks.length === 0) return sql;
  let out = '';
  let at = 0;
  for (const [start, end, fill] of blanks) {
    out += sql.slice(at, start) + fill.repeat(end - start);
    at = end;
  }
  return out + sql.slice(at);
}
