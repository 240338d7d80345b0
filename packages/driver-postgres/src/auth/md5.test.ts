// Tests for PostgreSQL's MD5 password response.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { md5PasswordHash } from './md5.js';

const pgUtils = createRequire(import.meta.url)('pg/lib/crypto/utils.js') as {
  postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string>;
};

describe('md5PasswordHash', () => {
  it('salts the hash PostgreSQL stores in pg_authid', () => {
    // PostgreSQL 18 with password_encryption = 'md5' stored these for the two roles.
    const cases = [
      { user: 'postgres', password: 'secret', stored: 'md553f48b7c4b76a86ce72276c5755f217d' },
      { user: 'sluice', password: 'p\u00e4ssw\u00f6rd', stored: 'md54046619cd16aacac5582f60577d9ef01' },
    ];
    const salt = Buffer.from([0x9a, 0x7f, 0x3c, 0x2e]);
    for (const { user, password, stored } of cases) {
      const expected = 'md5' + createHash('md5').update(Buffer.concat([Buffer.from(stored.slice(3)), salt])).digest('hex');
      expect(md5PasswordHash(user, password, salt)).toBe(expected);
    }
  });

  it('matches a fixed vector', () => {
    expect(md5PasswordHash('postgres', 'secret', Buffer.from([1, 2, 3, 4]))).toBe('md5bb41a296aab6baccb36ff243a562abff');
  });

  it('agrees with node-postgres', async () => {
    for (const [user, password] of [['postgres', 'secret'], ['sluice', 'p\u00e4ssw\u00f6rd'], ['', ''], ['a', ',=\u{1f600}']] as const) {
      const salt = Buffer.from([0, 0xff, 0x10, 0x80]);
      expect(md5PasswordHash(user, password, salt)).toBe(await pgUtils.postgresMd5PasswordHash(user, password, salt));
    }
  });

  it.each([0, 3, 5])('rejects a %i-byte salt without mentioning the password', (length) => {
    expect(() => md5PasswordHash('postgres', 'secret', Buffer.alloc(length))).toThrow(
      new RangeError(`MD5 password salt must be 4 bytes, got ${length}`),
    );
  });
});
