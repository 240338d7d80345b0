import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['0', 0],
    ['1500', 1_500],
    [1500, 1_500],
    [0, 0],
  ] as const)('%s is %i ms', (text, milliseconds) => {
    expect(parseDuration(text)).toBe(milliseconds);
  });

  it.each(['', 'ms', '1.5s', '-1s', '10 s', '3d', '5S', 'soon', '1e3'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('rejects negative, fractional and unsafe numbers', () => {
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(1.5)).toBeUndefined();
    expect(parseDuration(Number.MAX_SAFE_INTEGER + 1)).toBeUndefined();
    expect(parseDuration('9007199254740993h')).toBeUndefined();
  });
});
