// Canonical JSON: the exact text a hash covers.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('leaves out undefined members and keeps null', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });

  it('sorts by UTF-16 code units, as RFC 8785 does', () => {
    // From RFC 8785 section 3.2.3: "\u20ac" (€) sorts before "\ud83d\ude00" (😀) and after "\u00e9".
    expect(canonicalJson({ '😀': 1, '€': 2, é: 3, a: 4, B: 5 })).toBe('{"B":5,"a":4,"é":3,"€":2,"😀":1}');
  });

  it('writes numbers and strings as JSON.stringify does', () => {
    expect(canonicalJson([1e21, 0.1, -0, 'a"\n\u0001'])).toBe('[1e+21,0.1,0,"a\\"\\n\\u0001"]');
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
  });
});
