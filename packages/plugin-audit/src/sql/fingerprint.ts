// The normalized form of a statement and its fingerprint: the same statement with other values groups together.
import { createHash } from 'node:crypto';
import { significant, tokenize, type Token } from './lexer.js';

/**
 * Comments dropped, literals and placeholders become `?`, unquoted words lowercased, whitespace
 * collapsed, parenthesized lists of `?` collapsed to one (`in (?, ?, ?)` → `in (?)`, `values (?, ?), (?, ?)` → `values (?)`), a trailing `;` dropped.
 */
export function normalizeSql(sql: string, dialect: string): string {
  return normalizeTokens(sql, tokenize(sql, dialect));
}

/** normalizeSql over tokens already made. */
export function normalizeTokens(sql: string, tokens: readonly Token[]): string {
  const parts: string[] = [];
  for (const token of significant(tokens)) {
    const text = sql.slice(token.start, token.end);
    switch (token.type) {
      case 'string':
      case 'number':
      case 'param':
        parts.push('?');
        break;
      case 'word':
        parts.push(text.toLowerCase());
        break;
      default:
        parts.push(text);
    }
  }
  while (parts[parts.length - 1] === ';') parts.pop();
  return collapseLists(joinTokens(parts));
}

/** First 16 hex digits of the SHA-256 of the normalized statement. */
export function fingerprintSql(sql: string, dialect: string): string {
  return fingerprintOf(normalizeSql(sql, dialect));
}

export function fingerprintOf(normalized: string): string {
  return createHash('sha256').update(normalized).digest('hex').slice(0, 16);
}

/** Keywords written with a space before `(`; any other word before `(` is a function call, written tight. */
const SPACED_BEFORE_PARENTHESIS = new Set(['values', 'in', 'as', 'exists', 'using', 'on', 'and', 'or', 'not', 'from', 'join', 'where', 'select', 'any', 'all', 'some', 'lateral', 'table', 'into']);

function joinTokens(parts: readonly string[]): string {
  let out = '';
  for (const [index, part] of parts.entries()) {
    const before = parts[index - 1];
    const call = part === '(' && before !== undefined && /[\w"`\]]$/.test(before) && !SPACED_BEFORE_PARENTHESIS.has(before);
    const tight = before === undefined || before === '(' || before === '.' || part === ')' || part === ',' || part === '.' || part === ';' || call;
    out += tight ? part : ` ${part}`;
  }
  return out;
}

function collapseLists(text: string): string {
  return text.replace(/\(\?(?:, \?)+\)/g, '(?)').replace(/\(\?\)(?:, \(\?\))+/g, '(?)');
}
