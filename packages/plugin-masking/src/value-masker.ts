// Masks one value: scanned for sensitive substrings (in text, JSON or an array literal), or masked whole.
import { classifyColumnName, namesAVersion, type NameClass } from './column-names.js';
import type { TypeClass } from './column-types.js';
import type { HashKey } from './masks/keyed-hash.js';
import { maskTextValue, maskTypedValue, type MaskingStrategy } from './masks/whole-value.js';
import { isHighEntropySecret } from './recognizers/entropy.js';
import { findSensitive, type RecognizerOptions } from './recognizers/index.js';
import type { SensitiveType, Strategy } from './sensitive-types.js';
import { rewriteJsonLeaves, type JsonLeaf } from './text/json-text.js';
import { rewriteArrayElements } from './text/pg-array.js';

/** What masking needs to know for one column: the strategy for each type, the hash key, the phone regions. */
export interface MaskPolicy {
  readonly strategies: Readonly<Record<SensitiveType, Strategy>>;
  readonly hashKey: HashKey | undefined;
  readonly recognizers: RecognizerOptions;
}

/**
 * What the scan of one value found. The caller resets it before each value; one object reused across
 * values keeps the hot path free of allocations.
 */
export interface Found {
  /** Types masked in the value, in the order found (repeats possible). */
  readonly types: SensitiveType[];
  /** True when the value was, as a whole, a single match (`ann@example.com`, not `mail ann@example.com`). */
  wholeValue: boolean;
}

export function newFound(): Found {
  return { types: [], wholeValue: false };
}

export function resetFound(found: Found): void {
  found.types.length = 0;
  found.wholeValue = false;
}

/** Masked value, `null` for SQL NULL, or undefined when the value holds nothing to mask. */
export type MaskResult = string | null | undefined;

const keyClassCache = new Map<string, NameClass | null>();

/** JSON keys are column names too: `{"ssn": …}` in `row_to_json(c)`. Cached, since the same keys repeat. */
export function classifyKey(key: string): NameClass | undefined {
  let cached = keyClassCache.get(key);
  if (cached === undefined) {
    cached = classifyColumnName(key) ?? null;
    if (keyClassCache.size >= 5_000) keyClassCache.clear();
    keyClassCache.set(key, cached);
  }
  return cached ?? undefined;
}

/** Finds sensitive values inside `value` and masks each match, keeping the text around it. */
export function scanValue(value: string, typeClass: TypeClass, policy: MaskPolicy, found: Found): MaskResult {
  if (typeClass === 'json' || (typeClass === 'text' && looksLikeJson(value))) {
    const rewritten = scanJson(value, policy, found);
    if (rewritten !== false) return rewritten;
    // A json column the walker cannot read (nested past its depth limit): masking in place could break
    // the document, so a value with anything sensitive in it is withheld.
    if (typeClass === 'json') return scanPlainText(value, policy, found) === undefined ? undefined : null;
  }
  if (typeClass === 'array') {
    // NULL from a strategy withholds just that element.
    const rewritten = rewriteArrayElements(value, (element) => scanValue(element, looksLikeJson(element) ? 'json' : 'text', policy, found));
    if (rewritten !== undefined) return rewritten === value ? undefined : rewritten;
  }
  return scanPlainText(value, policy, found, true);
}

function looksLikeJson(value: string): boolean {
  const first = value.charCodeAt(0);
  return first === 0x7b || first === 0x5b || first === 0x22; // { [ "
}

function scanPlainText(value: string, policy: MaskPolicy, found: Found, topLevel = false): MaskResult {
  const findings = findSensitive(value, policy.recognizers);
  if (findings.length === 0) return undefined;
  if (topLevel && findings.length === 1 && findings[0]!.start === 0 && findings[0]!.end === value.length) found.wholeValue = true;
  let out = '';
  let copied = 0;
  for (const finding of findings) {
    const strategy = policy.strategies[finding.type];
    if (strategy === 'none') continue;
    found.types.push(finding.type);
    // NULL cannot replace part of a text: the whole value goes.
    if (strategy === 'null') return null;
    out += value.slice(copied, finding.start) + maskTextValue(value.slice(finding.start, finding.end), finding.type, strategy, policy.hashKey);
    copied = finding.end;
  }
  return copied === 0 ? undefined : out + value.slice(copied);
}

const versionKeyCache = new Map<string, boolean>();

function isVersionKey(key: string): boolean {
  let cached = versionKeyCache.get(key);
  if (cached === undefined) {
    cached = namesAVersion(key);
    if (versionKeyCache.size >= 5_000) versionKeyCache.clear();
    versionKeyCache.set(key, cached);
  }
  return cached;
}

const withoutIpCache = new WeakMap<MaskPolicy, MaskPolicy>();

/** The policy for a column or key named like a version: dotted numbers there are not IP addresses. */
export function withoutIp(policy: MaskPolicy): MaskPolicy {
  let derived = withoutIpCache.get(policy);
  if (!derived) {
    derived = { ...policy, strategies: { ...policy.strategies, ip: 'none' } };
    withoutIpCache.set(policy, derived);
  }
  return derived;
}

/** JSON-aware scan: false when the value is not JSON after all. */
function scanJson(value: string, policy: MaskPolicy, found: Found): MaskResult | false {
  const visit = (leaf: JsonLeaf, keyClass: NameClass | undefined, key: string | undefined): string | undefined => {
    if (keyClass && leaf.text !== '' && (keyClass.whole || isHighEntropySecret(leaf.text))) {
      const strategy = policy.strategies[keyClass.type];
      if (strategy !== 'none') {
        found.types.push(keyClass.type);
        const masked = maskTextValue(leaf.text, keyClass.type, strategy, policy.hashKey);
        return masked === null ? 'null' : JSON.stringify(masked);
      }
    }
    if (leaf.kind === 'number' && leaf.text.length < 7) return undefined;
    const masked = scanPlainText(leaf.text, key !== undefined && isVersionKey(key) ? withoutIp(policy) : policy, found);
    if (masked === undefined) return undefined;
    // Inside JSON, NULL applies to the one leaf: the document stays.
    return masked === null ? 'null' : JSON.stringify(masked);
  };
  const rewritten = rewriteJsonLeaves(value, classifyKey, visit);
  if (rewritten === undefined) return false;
  return rewritten === value ? undefined : rewritten;
}

const NOT_BLANK = /\S/;

/**
 * Masks a value known to be of `type` (from its column's name, a rule, or the values seen so far), whatever
 * it looks like. JSON and arrays keep their structure: each leaf or element is masked.
 */
export function maskWholeValue(
  value: string,
  type: SensitiveType,
  strategy: MaskingStrategy,
  typeClass: TypeClass,
  policy: MaskPolicy,
): MaskResult {
  if (!NOT_BLANK.test(value)) return undefined;
  if (strategy === 'null') return null;
  const key = policy.hashKey;
  // The common case first: a plain text value.
  if (typeClass === 'text' && !looksLikeJson(value)) return maskTextValue(value, type, strategy, key);
  const maskLeaf = (text: string) => maskTextValue(text, type, strategy, key);
  if (typeClass === 'json' || (typeClass === 'text' && looksLikeJson(value) && value.length > 1)) {
    const rewritten = rewriteJsonLeaves(value, () => undefined, (leaf) => (leaf.text === '' ? undefined : JSON.stringify(maskLeaf(leaf.text))));
    if (rewritten !== undefined) return rewritten === value ? undefined : rewritten;
  }
  if (typeClass === 'array') {
    const rewritten = rewriteArrayElements(value, (element) => (element === '' ? undefined : maskLeaf(element)));
    if (rewritten !== undefined) return rewritten === value ? undefined : rewritten;
  }
  if (typeClass === 'text' || typeClass === 'json' || typeClass === 'array') return maskLeaf(value);
  return maskTypedValue(value, type, strategy, typeClass, key);
}

/** A `token` or `*_key` column: values that look machine-generated are secrets, the rest are scanned. */
export function maskMaybeSecret(value: string, typeClass: TypeClass, policy: MaskPolicy, found: Found): MaskResult {
  const strategy = policy.strategies.secret;
  if (strategy !== 'none' && typeClass !== 'json' && isHighEntropySecret(value)) {
    found.types.push('secret');
    return maskWholeValue(value, 'secret', strategy, typeClass, policy);
  }
  return scanValue(value, typeClass, policy, found);
}
