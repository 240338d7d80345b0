// JSON and PostgreSQL array rewriting: leaves change, structure and everything else stay byte for byte.
import { describe, expect, it } from 'vitest';
import { rewriteJsonLeaves } from './json-text.js';
import { rewriteArrayElements } from './pg-array.js';

const upperLeaves = (text: string) =>
  rewriteJsonLeaves(text, () => undefined, (leaf) => (leaf.kind === 'string' ? JSON.stringify(leaf.text.toUpperCase()) : undefined));

describe('rewriteJsonLeaves', () => {
  it('replaces string leaves and keeps whitespace, keys and numbers as written', () => {
    const text = '{"a": "x", "b" : [1, 2.50, "y", {"c":"z"}], "d": null, "e": true}';
    expect(upperLeaves(text)).toBe('{"a": "X", "b" : [1, 2.50, "Y", {"c":"Z"}], "d": null, "e": true}');
  });

  it('decodes escapes before visiting and re-encodes the replacement', () => {
    const out = upperLeaves('{"q":"say \\"hi\\" \\u00e9"}');
    expect(JSON.parse(out!)).toEqual({ q: 'SAY "HI" É' });
  });

  it('returns the same string when nothing changes, undefined when the text is not JSON', () => {
    const text = '{"n":1}';
    expect(rewriteJsonLeaves(text, () => undefined, () => undefined)).toBe(text);
    for (const bad of ['{"a":1', '{a:1}', '[1,]', '{"a":1} x', '(1,ann)', '{alice,bob}']) {
      expect(rewriteJsonLeaves(bad, () => undefined, () => undefined)).toBeUndefined();
    }
  });

  it('tells the visitor about the nearest key with a sensitive name, through nesting', () => {
    const seen: [string, string | undefined][] = [];
    rewriteJsonLeaves(
      '{"address":{"street":"Main St 1","city":"X"},"note":"n"}',
      (key) => (key === 'address' ? { type: 'address', whole: true } : undefined),
      (leaf, keyClass) => {
        seen.push([leaf.text, keyClass?.type]);
        return undefined;
      },
    );
    expect(seen).toEqual([
      ['Main St 1', 'address'],
      ['X', 'address'],
      ['n', undefined],
    ]);
  });
});

describe('rewriteArrayElements', () => {
  const upper = (text: string) => rewriteArrayElements(text, (element) => element.toUpperCase());

  it('rewrites plain and quoted elements, keeps NULL, quotes where needed', () => {
    expect(upper('{a,"b c",NULL,"d\\"e"}')).toBe('{A,"B C",NULL,"D\\"E"}');
  });

  it('handles nested arrays and dimension decoration', () => {
    expect(upper('{{a,b},{c,d}}')).toBe('{{A,B},{C,D}}');
    expect(upper('[1:2]={a,b}')).toBe('[1:2]={A,B}');
  });

  it('turns a null replacement into a NULL element', () => {
    expect(rewriteArrayElements('{a,b}', (element) => (element === 'a' ? null : undefined))).toBe('{NULL,b}');
  });

  it('rejects what is not an array literal', () => {
    expect(upper('{"a":1}')).toBeUndefined();
    expect(upper('plain')).toBeUndefined();
  });
});
