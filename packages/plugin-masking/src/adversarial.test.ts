// Values a table can hold to stall a proxy: long runs, many matches, deep nesting. Each must scan in linear time.
import { describe, expect, it } from 'vitest';
import { maskText } from './mask-text.js';
import { findSensitive } from './recognizers/index.js';
import { newFound, scanValue, type MaskPolicy } from './value-masker.js';
import { DEFAULT_STRATEGIES } from './sensitive-types.js';

const policy: MaskPolicy = { strategies: DEFAULT_STRATEGIES, hashKey: undefined, recognizers: { phoneRegions: ['US'] } };

function timed<T>(run: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = run();
  return { result, ms: performance.now() - start };
}

// Generous bounds for a loaded CI machine; a quadratic scan of these inputs takes minutes.
const BUDGET_MS = 2_000;

describe('linear-time scanning', () => {
  it('a long run of local-part characters before an @', () => {
    const { ms } = timed(() => findSensitive(`${'a'.repeat(200_000)} @`));
    expect(ms).toBeLessThan(BUDGET_MS);
  });

  it('a long run of digits and spaces', () => {
    const { result, ms } = timed(() => findSensitive(`${'1 '.repeat(100_000)}4111 1111 1111 1111`));
    expect(ms).toBeLessThan(BUDGET_MS);
    expect(result.some((f) => f.type === 'card')).toBe(true);
  });

  it('a message repeating the start of a duplicate-key error without its end', () => {
    for (const start of ["Duplicate entry '", "constraint 'UQ_people_phone'. The duplicate key value is (", "Duplicate entry 'x' for key '"]) {
      const { ms } = timed(() => maskText(start.repeat(200_000 / start.length)));
      expect(ms, start).toBeLessThan(BUDGET_MS);
    }
  });

  it('thousands of matches in one text', () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `user${i}@example.com`).join(' ');
    const { result, ms } = timed(() => findSensitive(text));
    expect(ms).toBeLessThan(BUDGET_MS);
    expect(result).toHaveLength(20_000);
  });

  it('JSON nested past the walker’s depth limit is withheld when it holds anything sensitive', () => {
    const deep = `${'['.repeat(1_000)}"ann@example.com"${']'.repeat(1_000)}`;
    expect(scanValue(deep, 'json', policy, newFound())).toBeNull();
    const harmless = `${'['.repeat(1_000)}1${']'.repeat(1_000)}`;
    expect(scanValue(harmless, 'json', policy, newFound())).toBeUndefined();
  });
});
