// Redaction of SQL text: secrets always (PASSWORD '…', IDENTIFIED BY '…', a password column's value), every literal on request.
import { tokenize, type Token } from './lexer.js';
import { isSecretName, redactSecretsInText } from './secret-words.js';

export const REDACTED = '[redacted]';

export interface SecretPositions {
  /** Indexes into the token array of literals that hold a secret. */
  readonly literals: ReadonlySet<number>;
  /** Zero-based positions of bound parameters that hold a secret. */
  readonly params: ReadonlySet<number>;
}

export interface RedactedSql {
  readonly sql: string;
  readonly secretParams: ReadonlySet<number>;
}

/** The SQL as it may be recorded, and which parameters must not be. */
export function redactSql(sql: string, dialect: string, options: { literals: boolean }): RedactedSql {
  const tokens = tokenize(sql, dialect);
  const secrets = findSecrets(sql, tokens);
  return { sql: redactTokens(sql, tokens, secrets.literals, options.literals), secretParams: secrets.params };
}

/**
 * The text with secrets replaced (the literals at `secretLiterals`, `password=…` inside strings)
 * and, with `literals`, every literal and comment; the text itself when nothing changes.
 */
export function redactTokens(sql: string, tokens: readonly Token[], secretLiterals: ReadonlySet<number>, literals: boolean): string {
  let out = '';
  let copied = 0;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    let replacement: string | undefined;
    if (token.type === 'string') {
      const text = sql.slice(token.start, token.end);
      if (literals) replacement = '?';
      else if (secretLiterals.has(index)) replacement = `'${REDACTED}'`;
      else {
        const cleaned = redactSecretsInText(text);
        if (cleaned !== text) replacement = cleaned;
      }
    } else if (token.type === 'number' && literals) {
      replacement = '?';
    } else if (token.type === 'comment' && literals) {
      replacement = sql.startsWith('/*', token.start) ? '/* */' : '--';
    }
    if (replacement === undefined) continue;
    out += sql.slice(copied, token.start) + replacement;
    copied = token.end;
  }
  return copied === 0 ? sql : out + sql.slice(copied);
}

const SKIPPABLE_OPERATORS = new Set(['=', ':=', '=>', ':', '(']);

/** Finds literals and placeholders in a secret position. */
export function findSecrets(sql: string, tokens: readonly Token[]): SecretPositions {
  const meaningful: number[] = [];
  for (const [index, token] of tokens.entries()) if (token.type !== 'space' && token.type !== 'comment') meaningful.push(index);
  const token = (k: number): Token | undefined => (k >= 0 && k < meaningful.length ? tokens[meaningful[k]!] : undefined);
  const text = (k: number) => {
    const found = token(k);
    return found === undefined ? '' : sql.slice(found.start, found.end);
  };
  const type = (k: number) => token(k)?.type ?? 'space';

  const secretValueAt = (k: number): boolean => {
    let j = k - 1;
    let skippedCall = false;
    while (j >= 0) {
      const t = text(j);
      if (type(j) === 'op' && SKIPPABLE_OPERATORS.has(t)) {
        j--;
      } else if (!skippedCall && type(j) === 'word' && text(j + 1) === '(' && j + 1 < k) {
        // `password = crypt('…', …)`: look past one function call.
        skippedCall = true;
        j--;
      } else {
        break;
      }
    }
    if (j < 0) return false;
    if ((type(j) === 'word' || type(j) === 'quoted') && isSecretName(text(j))) return true;
    if (type(j) === 'word' && /^by$/i.test(text(j))) {
      for (let back = j - 1; back >= Math.max(0, j - 3); back--) if (/^identified$/i.test(text(back))) return true;
    }
    return false;
  };

  const literals = new Set<number>();
  const params = new Set<number>();
  const paramOrdinal = new Map<number, number>();
  let questionMarks = 0;
  for (let k = 0; k < meaningful.length; k++) {
    if (type(k) !== 'param') continue;
    const t = text(k);
    paramOrdinal.set(k, t.startsWith('$') ? Number(t.slice(1)) - 1 : questionMarks++);
  }
  const mark = (k: number) => {
    if (type(k) === 'string') literals.add(meaningful[k]!);
    if (type(k) === 'param') params.add(paramOrdinal.get(k)!);
  };
  for (let k = 0; k < meaningful.length; k++) {
    if ((type(k) === 'string' || type(k) === 'param') && secretValueAt(k)) mark(k);
  }
  for (const [from, to] of insertValueRanges(text, type, meaningful.length)) for (let k = from; k < to; k++) mark(k);
  return { literals, params };
}

/**
 * `INSERT … (name, password) VALUES ('a', 'b'), ('c', $1)`: the ranges of meaningful-token indexes
 * holding the values of secret-named columns.
 */
function insertValueRanges(text: (k: number) => string, type: (k: number) => string, count: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let k = 0; k < count; k++) {
    if (type(k) !== 'word' || !/^values$/i.test(text(k)) || text(k - 1) !== ')') continue;
    const open = matchingOpen(text, k - 1);
    if (open === undefined) continue;
    const columns = topLevelItems(text, open, k - 1).map(([from, to]) => (to - from === 1 ? text(from) : ''));
    const secretColumns = new Set(columns.flatMap((name, index) => (name && isSecretName(name) ? [index] : [])));
    if (secretColumns.size === 0) continue;
    let j = k + 1;
    while (j < count && text(j) === '(') {
      const close = matchingClose(text, j, count);
      if (close === undefined) break;
      topLevelItems(text, j, close).forEach((range, index) => {
        if (secretColumns.has(index)) ranges.push(range);
      });
      j = close + 1;
      if (text(j) !== ',') break;
      j++;
    }
  }
  return ranges;
}

function matchingOpen(text: (k: number) => string, close: number): number | undefined {
  let depth = 0;
  for (let k = close; k >= 0; k--) {
    if (text(k) === ')') depth++;
    else if (text(k) === '(' && --depth === 0) return k;
  }
  return undefined;
}

function matchingClose(text: (k: number) => string, open: number, count: number): number | undefined {
  let depth = 0;
  for (let k = open; k < count; k++) {
    if (text(k) === '(') depth++;
    else if (text(k) === ')' && --depth === 0) return k;
  }
  return undefined;
}

/** [from, to) ranges of the comma-separated items between an open and its close parenthesis. */
function topLevelItems(text: (k: number) => string, open: number, close: number): [number, number][] {
  const items: [number, number][] = [];
  let depth = 0;
  let from = open + 1;
  for (let k = open + 1; k < close; k++) {
    const t = text(k);
    if (t === '(') depth++;
    else if (t === ')') depth--;
    else if (t === ',' && depth === 0) {
      items.push([from, k]);
      from = k + 1;
    }
  }
  items.push([from, close]);
  return items;
}
