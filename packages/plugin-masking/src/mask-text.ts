// maskText: masks the sensitive values in free text such as a server's error or notice message.
import { classifyColumnName, nameTokens } from './column-names.js';
import { createHashKey } from './masks/keyed-hash.js';
import { maskWholeValue, newFound, scanValue, type MaskPolicy } from './value-masker.js';
import { DEFAULT_STRATEGIES, type SensitiveType, type Strategy } from './sensitive-types.js';

export interface MaskTextOptions {
  /** Strategy per type; the defaults of zero-config masking otherwise. `null` masks like `redact` in free text. */
  readonly strategies?: Partial<Record<SensitiveType, Strategy>>;
  /** Key for the `hash` strategy; without one, `hash` masks like `redact`. */
  readonly hashKey?: string;
  /** Regions whose national phone formats are recognized (default `['US']`). */
  readonly phoneRegions?: readonly string[];
}

/** `Key (email)=(a@b.com)`, `Key (tenant, email)=(5, a@b.com)`: PostgreSQL's constraint details name the columns. */
const KEY_DETAIL = /\(([^()]+)\)=\(((?:[^()]|\([^()]*\))*)\)/g;
/**
 * MySQL/MariaDB ERR 1062 `Duplicate entry 'v' for key 'k'` (MySQL 8: `'table.k'`): the key is often named after its
 * column. Parts are bounded (servers cut the value to 192 characters) so that text built to stall the scan cannot.
 */
const DUPLICATE_ENTRY = /(Duplicate entry ')(.{0,1024})(' for key '([^'\n]{1,256})')/g;
/** SQL Server 2627 `… constraint 'UQ_people_email'. … The duplicate key value is (v).` and 2601 (`… unique index 'k'. …`). */
const DUPLICATE_KEY_VALUE =
  /((?:constraint|unique index) '([^'\n]{1,256})'\.(?: Cannot insert duplicate key in object '[^'\n]{1,256}'\.)? The duplicate key value is \()(.{0,1024})(\)\.)/g;
/** Words that make a key or constraint name a name of an index rather than of its column: `uq_phone`, `people_email_key`. */
const KEY_NAME_PREFIXES = new Set(['uq', 'uk', 'ux', 'ak', 'ix', 'idx', 'pk', 'unique', 'uniq', 'key', 'index']);
const KEY_NAME_SUFFIXES = new Set(['uq', 'uk', 'ux', 'ak', 'idx', 'key', 'pkey', 'ukey', 'unique', 'uniq', 'index', 'constraint']);
/** `password=hunter2`, `api_key: "abc"`: a name that says what the value after it is. */
const NAME_THEN_SEPARATOR = /\b([A-Za-z][\w.-]*)\s*[=:]\s*/g;
const VALUE_AT = /"[^"]*"|'[^']*'|[^\s,;)]+/y;

/**
 * Masks sensitive values in a message: every value a recognizer finds, and the value next to a name that
 * says it is sensitive (`Key (email)=(…)`, `password=…`). Pure: no I/O, no state; the same text and options
 * always give the same result.
 */
export function maskText(text: string, options: MaskTextOptions = {}): string {
  const strategies = { ...DEFAULT_STRATEGIES, ...options.strategies };
  // NULL cannot replace part of a message.
  for (const type of Object.keys(strategies) as SensitiveType[]) if (strategies[type] === 'null') strategies[type] = 'redact';
  return maskTextWithPolicy(text, {
    strategies,
    hashKey: options.hashKey ? createHashKey(options.hashKey) : undefined,
    recognizers: { phoneRegions: options.phoneRegions ?? ['US'] },
  });
}

/** maskText with a policy already built (the plugin's own, per environment). */
export function maskTextWithPolicy(text: string, policy: MaskPolicy): string {
  const masked = text.replace(KEY_DETAIL, (whole, names: string, values: string) => {
    const columns = names.split(',').map((name) => name.trim());
    const parts = splitValues(values, columns.length);
    if (!parts) return whole;
    const maskedParts = parts.map((part, i) => maskNamed(columns[i]!, part, policy) ?? part);
    return `(${names})=(${maskedParts.join(', ')})`;
  });
  const duplicates = masked
    .replace(DUPLICATE_ENTRY, (whole, before: string, value: string, after: string, key: string) => {
      const replaced = maskNamed(columnOfKey(key), value, policy);
      return replaced === undefined ? whole : before + replaced + after;
    })
    .replace(DUPLICATE_KEY_VALUE, (whole, before: string, key: string, value: string, after: string) => {
      const replaced = maskNamed(columnOfKey(key), value, policy);
      return replaced === undefined ? whole : before + replaced + after;
    });
  const named = maskNamedValues(duplicates, policy);
  return scanValue(named, 'text', policy, newFound()) ?? named;
}

/** Masks each value that follows a sensitive name and `=` or `:`; the value may itself be the next name. */
function maskNamedValues(text: string, policy: MaskPolicy): string {
  let out = '';
  let copied = 0;
  NAME_THEN_SEPARATOR.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = NAME_THEN_SEPARATOR.exec(text)) !== null) {
    VALUE_AT.lastIndex = NAME_THEN_SEPARATOR.lastIndex;
    const value = VALUE_AT.exec(text)?.[0];
    if (value === undefined) continue;
    const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
    const replaced = maskNamed(match[1]!, quote ? value.slice(1, -1) : value, policy);
    if (replaced === undefined) continue;
    out += text.slice(copied, VALUE_AT.lastIndex - value.length) + quote + replaced + quote;
    copied = VALUE_AT.lastIndex;
    NAME_THEN_SEPARATOR.lastIndex = copied;
  }
  return out + text.slice(copied);
}

/** The masked value when `name` says it is sensitive, undefined otherwise. */
function maskNamed(name: string, value: string, policy: MaskPolicy): string | undefined {
  const nameClass = classifyColumnName(name.replace(/^.*\./, ''));
  if (!nameClass || !nameClass.whole || value.includes('*')) return undefined;
  const strategy = policy.strategies[nameClass.type];
  if (strategy === 'none' || strategy === 'null') return undefined;
  return maskWholeValue(value, nameClass.type, strategy, 'text', policy) ?? undefined;
}

/** The column a key or constraint is named after, as far as its name says: `db.people.uq_phone` → `phone`. */
function columnOfKey(key: string): string {
  const tokens = nameTokens(key.replace(/^.*\./, ''));
  if (tokens.length > 1 && KEY_NAME_PREFIXES.has(tokens[0]!)) tokens.shift();
  if (tokens.length > 1 && KEY_NAME_SUFFIXES.has(tokens.at(-1)!)) tokens.pop();
  return tokens.join('_');
}

/** Splits `5, a@b.com` into as many parts as there are columns, or undefined when they do not line up. */
function splitValues(values: string, count: number): string[] | undefined {
  if (count === 1) return [values];
  const parts = values.split(', ');
  return parts.length === count ? parts : undefined;
}
