// A statement's text as the record holds it (secrets redacted) and its fingerprint, tokenized once, and
// worked out once per shape: `… WHERE aid = 42` and `… WHERE aid = 7` share the secret positions and
// the fingerprint, which depend only on the tokens around the literals.
import { fingerprintOf, normalizeTokens } from './fingerprint.js';
import { tokenize, type Token } from './lexer.js';
import { findSecrets, redactTokens } from './redact.js';
import { isSecretName } from './secret-words.js';

export interface AuditedText {
  /** The text to record: secrets replaced, and every literal when `redactLiterals`. */
  readonly sql: string;
  readonly fingerprint: string;
  /** Zero-based positions of bound parameters that hold a secret. */
  readonly secretParams: ReadonlySet<number>;
}

interface Template {
  readonly fingerprint: string;
  /** Token indexes of literals in a secret position. */
  readonly secretLiterals: ReadonlySet<number>;
  readonly secretParams: ReadonlySet<number>;
}

const TEMPLATES = 1_000;
const templates = new Map<string, Template>();

export function auditedText(sql: string, dialect: string, redactLiterals: boolean): AuditedText {
  const tokens = tokenize(sql, dialect);
  const key = shapeKey(sql, dialect, tokens);
  let template = key === undefined ? undefined : templates.get(key);
  if (template === undefined) {
    const secrets = findSecrets(sql, tokens);
    template = { fingerprint: fingerprintOf(normalizeTokens(sql, tokens)), secretLiterals: secrets.literals, secretParams: secrets.params };
    if (key !== undefined) {
      templates.set(key, template);
      if (templates.size > TEMPLATES) templates.delete(templates.keys().next().value!);
    }
  }
  return { sql: redactTokens(sql, tokens, template.secretLiterals, redactLiterals), fingerprint: template.fingerprint, secretParams: template.secretParams };
}

/**
 * The text with each literal replaced by a marker of its kind, and of whether its text reads as a
 * secret's name (findSecrets reads that of a one-token column name). Everything findSecrets and the
 * normalization read besides is kept as written. No key (no sharing) for text with a backslash,
 * where a dialect's escapes could make the literals' contents decide where they end.
 */
function shapeKey(sql: string, dialect: string, tokens: readonly Token[]): string | undefined {
  if (sql.includes('\\') || sql.includes('\u0000')) return undefined;
  let key = `${dialect}\u0000`;
  let copied = 0;
  for (const token of tokens) {
    if (token.type !== 'string' && token.type !== 'number') continue;
    const secret = isSecretName(sql.slice(token.start, token.end)) ? '1' : '0';
    key += `${sql.slice(copied, token.start)}\u0000${token.type === 'string' ? 'S' : 'N'}${secret}`;
    copied = token.end;
  }
  return key + sql.slice(copied);
}
