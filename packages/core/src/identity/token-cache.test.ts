import { describe, expect, it } from 'vitest';
import { TokenCache } from './token-cache.js';

describe('TokenCache', () => {
  it('answers until the entry expires, then forgets it', () => {
    let now = 1_000;
    const cache = new TokenCache<string>({ now: () => now });
    cache.set('token-a', 'alice', 2_000);
    expect(cache.get('token-a')).toBe('alice');
    now = 2_000;
    expect(cache.get('token-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store what has already expired', () => {
    const cache = new TokenCache<string>({ now: () => 5_000 });
    cache.set('token-a', 'alice', 5_000);
    expect(cache.size).toBe(0);
  });

  it('drops expired entries first, then the oldest, when full', () => {
    let now = 0;
    const cache = new TokenCache<string>({ maxEntries: 2, now: () => now });
    cache.set('a', '1', 100);
    cache.set('b', '2', 1_000);
    now = 200;
    cache.set('c', '3', 1_000);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, '2', '3']);
    cache.set('d', '4', 1_000);
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([undefined, '3', '4']);
  });
});
