import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveScramSha256Verifier, formatScramSha256Verifier } from './scram-verifier.js';
import { StaticUserStore } from './static-users.js';

const sha = (algorithm: string, ...parts: Buffer[]) => parts.reduce((hash, part) => hash.update(part), createHash(algorithm)).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, i) => byte ^ b[i]!));

describe('StaticUserStore', () => {
  it('checks a password given in clear, for known names only', () => {
    const store = new StaticUserStore([{ name: 'alice', password: 'alice-secret-pw', groups: ['dba'] }]);
    expect(store.checkPassword('alice', 'alice-secret-pw')?.identity).toEqual({ subject: 'alice', name: 'alice', groups: ['dba'], auth: 'password' });
    expect(store.checkPassword('alice', 'wrong')).toBeUndefined();
    expect(store.checkPassword('mallory', 'alice-secret-pw')).toBeUndefined();
  });

  it("gives the secrets a MySQL server keeps, which check a client's scrambles without the password", () => {
    const store = new StaticUserStore([{ name: 'alice', password: 'alice-secret-pw', groups: [] }]);
    const secrets = store.find('alice')!.mysqlScrambleSecrets()!;
    const password = Buffer.from('alice-secret-pw');
    const scramble = Buffer.from('0123456789abcdefghij');
    // mysql_native_password: the client sends SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))).
    const native = xor(sha('sha1', password), sha('sha1', scramble, sha('sha1', sha('sha1', password))));
    const candidate = xor(native, sha('sha1', scramble, secrets.nativePassword));
    expect(sha('sha1', candidate).equals(secrets.nativePassword)).toBe(true);
    // caching_sha2_password fast path: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble).
    const fast = xor(sha('sha256', password), sha('sha256', sha('sha256', sha('sha256', password)), scramble));
    const candidate2 = xor(fast, sha('sha256', secrets.cachingSha2, scramble));
    expect(sha('sha256', candidate2).equals(secrets.cachingSha2)).toBe(true);
  });

  it('has no MySQL secrets for a password configured as a SCRAM verifier, and mock ones for unknown names', () => {
    const verifier = formatScramSha256Verifier(deriveScramSha256Verifier('bob-secret-pw'));
    const store = new StaticUserStore([{ name: 'bob', password: verifier, groups: [] }]);
    expect(store.find('bob')!.mysqlScrambleSecrets()).toBeUndefined();
    const mock = store.mockMysqlScrambleSecrets('nobody');
    expect(mock.nativePassword).toHaveLength(20);
    expect(mock.cachingSha2).toHaveLength(32);
    expect(store.mockMysqlScrambleSecrets('nobody')).toEqual(mock);
  });
});
