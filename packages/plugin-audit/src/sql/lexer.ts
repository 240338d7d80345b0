// A small SQL tokenizer: just enough to find literals, comments, placeholders and words in any dialect.
//
// It never fails: text it does not understand becomes `op` tokens. Dialect differences that matter:
// PostgreSQL has E'…' escapes, $tag$…$tag$ strings, nested block comments and $1 placeholders;
// MySQL has "…" strings, `…` identifiers, # comments, backslash escapes and ? placeholders;
// SQL Server has N'…' strings and […] identifiers.

export type TokenType = 'space' | 'comment' | 'string' | 'number' | 'param' | 'word' | 'quoted' | 'op';

export interface Token {
  readonly type: TokenType;
  readonly start: number;
  readonly end: number;
}

export interface DialectRules {
  readonly doubleQuotedStrings: boolean;
  readonly backslashEscapes: boolean;
  readonly dollarQuotes: boolean;
  readonly hashComments: boolean;
  readonly backtickIdentifiers: boolean;
  readonly bracketIdentifiers: boolean;
  readonly nestedComments: boolean;
  readonly questionMarkParams: boolean;
  readonly dollarParams: boolean;
}

/** What each dialect's lexer recognizes (also the reference lexer of the tests reads these). */
export const DIALECT_RULES: Readonly<Record<string, DialectRules>> = {
  postgres: {
    doubleQuotedStrings: false,
    backslashEscapes: false,
    dollarQuotes: true,
    hashComments: false,
    backtickIdentifiers: false,
    bracketIdentifiers: false,
    nestedComments: true,
    questionMarkParams: false,
    dollarParams: true,
  },
  mysql: {
    doubleQuotedStrings: true,
    backslashEscapes: true,
    dollarQuotes: false,
    hashComments: true,
    backtickIdentifiers: true,
    bracketIdentifiers: false,
    nestedComments: false,
    questionMarkParams: true,
    dollarParams: false,
  },
  mssql: {
    doubleQuotedStrings: false,
    backslashEscapes: false,
    dollarQuotes: false,
    hashComments: false,
    backtickIdentifiers: false,
    bracketIdentifiers: true,
    nestedComments: true,
    questionMarkParams: true,
    dollarParams: false,
  },
};

export const GENERIC_RULES: DialectRules = { ...DIALECT_RULES.postgres!, dollarQuotes: false, questionMarkParams: true };

// Character classes by code unit (this runs for every audited statement): the same sets as the
// regular expressions /\s/, /[A-Za-z_\u0080-\uffff]/, /[A-Za-z0-9_$\u0080-\uffff]/, /[0-9]/ and
// /[+\-*/<>=~!@#%^&|`?:]/ would test.
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isWordStart(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f || code >= 0x80;
}

function isWordPart(code: number): boolean {
  return isWordStart(code) || isDigit(code) || code === 0x24;
}

const OPERATOR_CODES = new Set([...'+-*/<>=~!@#%^&|`?:'].map((c) => c.charCodeAt(0)));

function isOperator(code: number): boolean {
  return OPERATOR_CODES.has(code);
}

function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 0x61 && code <= 0x66) || (code >= 0x41 && code <= 0x46);
}

const DOLLAR = 0x24;
const QUOTE = 0x27;

export function tokenize(sql: string, dialect: string): Token[] {
  const rules = DIALECT_RULES[dialect] ?? GENERIC_RULES;
  const tokens: Token[] = [];
  const length = sql.length;
  let i = 0;
  const push = (type: TokenType, end: number) => {
    tokens.push({ type, start: i, end });
    i = end;
  };
  while (i < length) {
    const c = sql.charCodeAt(i);
    const next = i + 1 < length ? sql.charCodeAt(i + 1) : -1;
    if (isSpace(c)) {
      let end = i + 1;
      while (end < length && isSpace(sql.charCodeAt(end))) end++;
      push('space', end);
    } else if ((c === 0x2d && next === 0x2d) || (c === 0x23 && rules.hashComments)) {
      const newline = sql.indexOf('\n', i);
      push('comment', newline === -1 ? length : newline);
    } else if (c === 0x2f && next === 0x2a) {
      push('comment', blockCommentEnd(sql, i, rules.nestedComments));
    } else if (c === QUOTE) {
      push('string', quotedEnd(sql, i, "'", rules.backslashEscapes));
    } else if (c === 0x22) {
      push(rules.doubleQuotedStrings ? 'string' : 'quoted', quotedEnd(sql, i, '"', rules.backslashEscapes && rules.doubleQuotedStrings));
    } else if (c === 0x60 && rules.backtickIdentifiers) {
      push('quoted', quotedEnd(sql, i, '`', false));
    } else if (c === 0x5b && rules.bracketIdentifiers) {
      push('quoted', quotedEnd(sql, i, ']', false));
    } else if (c === DOLLAR && rules.dollarParams && isDigit(next)) {
      let end = i + 1;
      while (end < length && isDigit(sql.charCodeAt(end))) end++;
      push('param', end);
    } else if (c === DOLLAR && rules.dollarQuotes && dollarTagEnd(sql, i) !== -1) {
      const tag = sql.slice(i, dollarTagEnd(sql, i));
      const close = sql.indexOf(tag, i + tag.length);
      push('string', close === -1 ? length : close + tag.length);
    } else if (c === 0x3f && rules.questionMarkParams) {
      push('param', i + 1);
    } else if (prefixedString(sql, i, c, next, rules)) {
      // E'…', N'…', X'…', B'…', U&'…': one string token including its prefix.
      const quote = sql.indexOf("'", i);
      const escapes = rules.backslashEscapes || (quote === i + 1 && (c === 0x65 || c === 0x45));
      tokens.push({ type: 'string', start: i, end: quotedEnd(sql, quote, "'", escapes) });
      i = tokens[tokens.length - 1]!.end;
    } else if (isDigit(c) || (c === 0x2e && isDigit(next))) {
      push('number', numberEnd(sql, i));
    } else if (isWordStart(c)) {
      let end = i + 1;
      while (end < length && isWordPart(sql.charCodeAt(end))) end++;
      push('word', end);
    } else if (isOperator(c) && !(c === 0x23 && rules.hashComments) && !(c === 0x3f && rules.questionMarkParams)) {
      let end = i + 1;
      while (end < length && isOperator(sql.charCodeAt(end)) && !startsComment(sql, end, rules) && !(sql.charCodeAt(end) === 0x3f && rules.questionMarkParams)) end++;
      push('op', end);
    } else {
      push('op', i + 1);
    }
  }
  return tokens;
}

/** End of a `$tag$` or `$$` opening at `i` (the tag within 64 characters), or -1. */
function dollarTagEnd(sql: string, i: number): number {
  const limit = Math.min(sql.length, i + 64);
  let j = i + 1;
  if (j < limit && isWordStart(sql.charCodeAt(j))) {
    j++;
    while (j < limit && (isWordStart(sql.charCodeAt(j)) || isDigit(sql.charCodeAt(j)))) j++;
  }
  return j < limit && sql.charCodeAt(j) === DOLLAR ? j + 1 : -1;
}

function startsComment(sql: string, i: number, rules: DialectRules): boolean {
  const c = sql.charCodeAt(i);
  const next = sql.charCodeAt(i + 1);
  return (c === 0x2d && next === 0x2d) || (c === 0x2f && next === 0x2a) || (c === 0x23 && rules.hashComments);
}

function prefixedString(sql: string, i: number, c: number, next: number, rules: DialectRules): boolean {
  if (next === QUOTE) {
    const lower = c | 0x20;
    if (lower === 0x65) return rules.dollarQuotes; // e
    return lower === 0x6e || lower === 0x78 || lower === 0x62; // n x b
  }
  return (c === 0x75 || c === 0x55) && next === 0x26 && sql.charCodeAt(i + 2) === QUOTE; // u&'
}

function quotedEnd(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  const close = quote.charCodeAt(0);
  let i = start + 1;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (backslashEscapes && c === 0x5c) {
      i += 2;
    } else if (c === close) {
      if (sql.charCodeAt(i + 1) === close) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}

function blockCommentEnd(sql: string, start: number, nested: boolean): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    const next = sql.charCodeAt(i + 1);
    if (c === 0x2f && next === 0x2a && (nested || depth === 0)) {
      depth++;
      i += 2;
    } else if (c === 0x2a && next === 0x2f) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

function numberEnd(sql: string, start: number): number {
  const length = sql.length;
  // 0x1F (within 200 characters, as the hexadecimal form was read before)
  if (sql.charCodeAt(start) === 0x30 && (sql.charCodeAt(start + 1) | 0x20) === 0x78 && isHexDigit(sql.charCodeAt(start + 2))) {
    const limit = Math.min(length, start + 200);
    let end = start + 2;
    while (end < limit && isHexDigit(sql.charCodeAt(end))) end++;
    return end;
  }
  // \d+(\.\d*)? or \.\d+, then an exponent; within 400 characters, as the pattern was applied before.
  const limit = Math.min(length, start + 400);
  let end = start;
  while (end < limit && isDigit(sql.charCodeAt(end))) end++;
  if (end === start) {
    end++; // the dot of .5
    while (end < limit && isDigit(sql.charCodeAt(end))) end++;
  } else if (end < limit && sql.charCodeAt(end) === 0x2e) {
    end++;
    while (end < limit && isDigit(sql.charCodeAt(end))) end++;
  }
  if (end < limit && (sql.charCodeAt(end) | 0x20) === 0x65) {
    let exponent = end + 1;
    if (exponent < limit && (sql.charCodeAt(exponent) === 0x2b || sql.charCodeAt(exponent) === 0x2d)) exponent++;
    if (exponent < limit && isDigit(sql.charCodeAt(exponent))) {
      end = exponent;
      while (end < limit && isDigit(sql.charCodeAt(end))) end++;
    }
  }
  // `1e` or `12abc` is not a number followed by a word in any dialect we care about; keep it one token.
  while (end < length && isWordPart(sql.charCodeAt(end))) end++;
  return end;
}

/** The tokens that carry meaning: no spaces, no comments. */
export function significant(tokens: readonly Token[]): Token[] {
  return tokens.filter((token) => token.type !== 'space' && token.type !== 'comment');
}
