// Canonical JSON (RFC 8785, JCS): the exact bytes a record's hash and a checkpoint's signature cover.
//
// Objects: members sorted by key in UTF-16 code unit order (JavaScript's default sort), members whose
// value is `undefined` left out. Arrays in order. Strings and numbers exactly as JSON.stringify writes
// them. No whitespace anywhere. NaN, Infinity, functions, bigints and symbols are refused.

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no form for ${value}`);
      return JSON.stringify(value);
    case 'object': {
      const known = remembered.get(value);
      if (known !== undefined) return known;
      // Written by concatenation: this runs for every member of every audit record.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (i > 0) out += ',';
          out += item === undefined ? 'null' : canonicalJson(item);
        }
        return `${out}]`;
      }
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object);
      if (!isSorted(keys)) keys.sort();
      let out = '{';
      for (const key of keys) {
        const member = object[key];
        if (member === undefined) continue;
        if (out.length > 1) out += ',';
        out += quotedKey(key) + canonicalJson(member);
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
  }
}

const remembered = new WeakMap<object, string>();

/**
 * Freezes a value for good (every depth) and remembers its canonical JSON: for a part many records
 * share (a session's identity, the tables of a statement shape), serialized once.
 */
export function frozenJson<T extends object>(value: T): T {
  deepFreeze(value);
  remembered.set(value, canonicalJson(value));
  return value;
}

function deepFreeze(value: object): void {
  if (Object.isFrozen(value)) return;
  for (const member of Object.values(value)) if (typeof member === 'object' && member !== null) deepFreeze(member as object);
  Object.freeze(value);
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/** `"key":` for the keys records use again and again; others are quoted each time. */
const QUOTED_KEYS = new Map<string, string>();
const MAX_QUOTED_KEYS = 1_000;

function quotedKey(key: string): string {
  let quoted = QUOTED_KEYS.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (QUOTED_KEYS.size < MAX_QUOTED_KEYS) QUOTED_KEYS.set(key, quoted);
  }
  return quoted;
}
