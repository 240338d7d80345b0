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
      if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
      const object = value as Record<string, unknown>;
      const members: string[] = [];
      for (const key of Object.keys(object).sort()) {
        const member = object[key];
        if (member === undefined) continue;
        members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
  }
}
