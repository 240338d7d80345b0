// Parameter redaction: credential-shaped values and secret positions.
import { describe, expect, it } from 'vitest';
import { looksLikeSecret, recordParams } from './params.js';

describe('looksLikeSecret', () => {
  it('recognizes tokens, keys and password hashes', () => {
    for (const secret of [
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl',
      'Bearer abc.def',
      'ghp_0123456789abcdefghijABCDEFGHIJ012345',
      'AKIAIOSFODNN7EXAMPLE',
      'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vydg==',
      'postgres://app:secret@db/prod',
      'q8Zr3xT0vLm9Kp2Wd7Yb5Nc1',
      '-----BEGIN PRIVATE KEY-----\nabc',
    ]) {
      expect(looksLikeSecret(secret), secret).toBe(true);
    }
  });

  it('leaves ordinary values alone', () => {
    for (const value of ['alice', 'ann@example.com', '42', '2025-11-23', 'Hello world, how are you', '123e4567-e89b-12d3-a456-426614174000', 'customer_account_report']) {
      expect(looksLikeSecret(value), value).toBe(false);
    }
  });
});

describe('recordParams', () => {
  it('redacts secrets and secret positions, sizes binary values, keeps the rest', () => {
    expect(recordParams(['ann', 'hunter2', null, new Uint8Array(4), 'eyJa.eyJb.c'], new Set([1]), false)).toEqual([
      'ann',
      '[redacted]',
      null,
      '[4 bytes]',
      '[redacted]',
    ]);
  });

  it('redacts every value when literals are redacted', () => {
    expect(recordParams(['ann', null], new Set(), true)).toEqual(['[redacted]', null]);
  });
});
