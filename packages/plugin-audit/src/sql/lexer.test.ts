// The tokenizer against the regular-expression version it replaced: the same tokens for any text.
import { describe, expect, it } from 'vitest';
import { DIALECT_RULES, GENERIC_RULES, tokenize, type DialectRules, type Token, type TokenType } from './lexer.js';

describe('tokenize', () => {
  const samples = [
    "SELECT abalance FROM pgbench_accounts WHERE aid = 42;",
    "select $$it's$$, E'a\\'b', $tag$x$tag$, count(*) from t -- note\nwhere x = $1",
    'select "a\\"b", `col` from t where x = ? # note\n and y = 0x1F',
    "select N'x', [my col] from t where y = 0x1F /* a /* b */ c */",
    "insert into t values (1.5e10, .5, 12abc, 1e, 0xZZ, U&'d!0061t', B'101', X'ff')",
    "a\u00a0b\u2028c\ufeffd\u3000e \u00e9t\u00e9 \ud83d\ude00 x<>=y||z::int @> '[]' ?| ?& #>> $",
  ];
  const alphabet = ['a', 'Z', '_', '$', '1', '0', 'x', 'e', 'E', 'N', 'u', 'U', '&', "'", '"', '`', '[', ']', '-', '/', '*', '#', '?', ':', '.', ',', ';', '(', ')', ' ', '\n', '\t', '\\', '+', '=', '<', '\u00a0', '\u2028', '\u00e9', '\ud83d', '@', '%', '!'];

  it.each(['postgres', 'mysql', 'mssql', 'other'])('splits text as the regular-expression version did (%s)', (dialect) => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const texts = [...samples];
    for (let n = 0; n < 3000; n++) {
      let text = '';
      const length = Math.floor(random() * 40);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      texts.push(text);
    }
    for (const text of texts) expect(tokenize(text, dialect), JSON.stringify(text)).toEqual(referenceTokenize(text, dialect));
  });
});

type ReferenceToken = Token;
type ReferenceTokenType = TokenType;


const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;
const OPERATOR = /[+\-*/<>=~!@#%^&|`?:]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

function referenceTokenize(sql: string, dialect: string): ReferenceToken[] {
  const rules = DIALECT_RULES[dialect] ?? GENERIC_RULES;
  const tokens: ReferenceToken[] = [];
  let i = 0;
  const push = (type: ReferenceTokenType, end: number) => {
    tokens.push({ type, start: i, end });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let end = i + 1;
      while (end < sql.length && /\s/.test(sql[end]!)) end++;
      push('space', end);
    } else if ((c === '-' && next === '-') || (c === '#' && rules.hashComments)) {
      const newline = sql.indexOf('\n', i);
      push('comment', newline === -1 ? sql.length : newline);
    } else if (c === '/' && next === '*') {
      push('comment', blockCommentEnd(sql, i, rules.nestedComments));
    } else if (c === "'") {
      push('string', quotedEnd(sql, i, "'", rules.backslashEscapes));
    } else if (c === '"') {
      push(rules.doubleQuotedStrings ? 'string' : 'quoted', quotedEnd(sql, i, '"', rules.backslashEscapes && rules.doubleQuotedStrings));
    } else if (c === '`' && rules.backtickIdentifiers) {
      push('quoted', quotedEnd(sql, i, '`', false));
    } else if (c === '[' && rules.bracketIdentifiers) {
      push('quoted', quotedEnd(sql, i, ']', false));
    } else if (c === '$' && rules.dollarParams && next !== undefined && DIGIT.test(next)) {
      let end = i + 1;
      while (end < sql.length && DIGIT.test(sql[end]!)) end++;
      push('param', end);
    } else if (c === '$' && rules.dollarQuotes && DOLLAR_TAG.test(sql.slice(i, i + 64))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 64))![0];
      const close = sql.indexOf(tag, i + tag.length);
      push('string', close === -1 ? sql.length : close + tag.length);
    } else if (c === '?' && rules.questionMarkParams) {
      push('param', i + 1);
    } else if (prefixedString(sql, i, rules)) {
      // E'…', N'…', X'…', B'…', U&'…': one string token including its prefix.
      const quote = sql.indexOf("'", i);
      const escapes = rules.backslashEscapes || /^[eE]$/.test(sql.slice(i, quote));
      tokens.push({ type: 'string', start: i, end: quotedEnd(sql, quote, "'", escapes) });
      i = tokens[tokens.length - 1]!.end;
    } else if (DIGIT.test(c) || (c === '.' && next !== undefined && DIGIT.test(next))) {
      push('number', numberEnd(sql, i));
    } else if (WORD_START.test(c)) {
      let end = i + 1;
      while (end < sql.length && WORD_PART.test(sql[end]!)) end++;
      push('word', end);
    } else if (OPERATOR.test(c) && !(c === '#' && rules.hashComments) && !(c === '?' && rules.questionMarkParams)) {
      let end = i + 1;
      while (end < sql.length && OPERATOR.test(sql[end]!) && !startsComment(sql, end, rules) && !(sql[end] === '?' && rules.questionMarkParams)) end++;
      push('op', end);
    } else {
      push('op', i + 1);
    }
  }
  return tokens;
}

function startsComment(sql: string, i: number, rules: DialectRules): boolean {
  const c = sql[i];
  const next = sql[i + 1];
  return (c === '-' && next === '-') || (c === '/' && next === '*') || (c === '#' && rules.hashComments);
}

function prefixedString(sql: string, i: number, rules: DialectRules): boolean {
  const head = sql.slice(i, i + 3);
  if (/^[eEnNxXbB]'/.test(head)) return rules.dollarQuotes || !/^[eE]/.test(head);
  return /^[uU]&'/.test(head);
}

function quotedEnd(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
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
    if (sql[i] === '/' && sql[i + 1] === '*' && (nested || depth === 0)) {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
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
  const hex = /^0[xX][0-9a-fA-F]+/.exec(sql.slice(start, start + 200));
  if (hex) return start + hex[0].length;
  const match = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(start, start + 400))!;
  let end = start + match[0].length;
  // `1e` or `12abc` is not a number followed by a word in any dialect we care about; keep it one token.
  while (end < sql.length && WORD_PART.test(sql[end]!)) end++;
  return end;
}

