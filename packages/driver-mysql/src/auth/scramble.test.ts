import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { StaticUserStore } from '@sluice/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  cachingSha2Proof,
  ed25519PasswordSignature,
  nativePasswordProof,
  rsaDecryptPassword,
  rsaEncryptPassword,
  verifyCachingSha2Proof,
  verifyNativePasswordProof,
} from './scramble.js';

// mysql2's client implementations, as an independent reference.
const require = createRequire(import.meta.url);
const mysql2 = dirname(require.resolve('mysql2'));
const auth41 = require(join(mysql2, 'lib/auth_41.js')) as { calculateToken(password: string, scramble1: Buffer, scramble2: Buffer): Buffer };
const sha2 = require(join(mysql2, 'lib/auth_plugins/caching_sha2_password.js')) as { calculateToken(password: string, scramble: Buffer): Buffer };

const scramble = Buffer.from('0123456789abcdefghij');

describe('mysql_native_password', () => {
  it('matches mysql2 for a password', () => {
    expect(nativePasswordProof('s3cret-pw', scramble)).toEqual(auth41.calculateToken('s3cret-pw', scramble.subarray(0, 8), scramble.subarray(8)));
  });

  it('sends nothing for an empty password', () => {
    expect(nativePasswordProof('', scramble).length).toBe(0);
  });

  it('matches a fixed vector', () => {
    expect(nativePasswordProof('password', Buffer.alloc(20, 1)).toString('hex')).toBe(auth41.calculateToken('password', Buffer.alloc(8, 1), Buffer.alloc(12, 1)).toString('hex'));
  });
});

describe('caching_sha2_password', () => {
  it('matches mysql2 for the fast path', () => {
    expect(cachingSha2Proof('s3cret-pw', scramble)).toEqual(sha2.calculateToken('s3cret-pw', scramble));
    expect(cachingSha2Proof('ünïcode', scramble)).toEqual(sha2.calculateToken('ünïcode', scramble));
  });

  it('round-trips the RSA full-authentication step', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const cipher = rsaEncryptPassword('a long password with spaces', scramble, pem);
    expect(cipher.length).toBe(256);
    expect(rsaDecryptPassword(cipher, scramble, privateKey)).toBe('a long password with spaces');
    expect(rsaDecryptPassword(Buffer.alloc(256, 7), scramble, privateKey)).toBeUndefined();
  });
});

describe('MariaDB client_ed25519', () => {
  it('derives the public key MariaDB documents for ed25519_password("secret")', () => {
    const { publicKey } = ed25519PasswordSignature('secret', Buffer.alloc(32));
    expect(publicKey.toString('base64').replace(/=$/, '')).toBe('ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY');
  });

  it('signs the nonce so that a standard Ed25519 verifier accepts it', () => {
    const nonce = Buffer.from('a 32-byte nonce from the server!');
    const { signature, publicKey } = ed25519PasswordSignature('correct horse battery staple', nonce);
    expect(signature.length).toBe(64);
    expect(ed25519.verify(signature, nonce, publicKey)).toBe(true);
    expect(ed25519.verify(signature, Buffer.from('another nonce from the server!!!'), publicKey)).toBe(false);
  });
});

describe('checking a scramble against stored secrets (the server side)', () => {
  const stored = (algorithm: 'sha1' | 'sha256', password: string) => createHash(algorithm).update(createHash(algorithm).update(password, 'utf8').digest()).digest();

  it('mysql_native_password: accepts mysql2 proofs of the password only', () => {
    const proof = auth41.calculateToken('s3cret-pw', scramble.subarray(0, 8), scramble.subarray(8));
    expect(verifyNativePasswordProof(proof, scramble, stored('sha1', 's3cret-pw'))).toBe(true);
    expect(verifyNativePasswordProof(proof, scramble, stored('sha1', 's3cret-pW'))).toBe(false);
    expect(verifyNativePasswordProof(proof, Buffer.from('another scramble!!!!'), stored('sha1', 's3cret-pw'))).toBe(false);
    expect(verifyNativePasswordProof(proof.subarray(0, 19), scramble, stored('sha1', 's3cret-pw'))).toBe(false);
    expect(verifyNativePasswordProof(Buffer.alloc(0), scramble, stored('sha1', 's3cret-pw'))).toBe(false);
    expect(verifyNativePasswordProof(Buffer.alloc(0), scramble, stored('sha1', ''))).toBe(true);
  });

  it('caching_sha2_password fast path: accepts mysql2 proofs of the password only', () => {
    const proof = sha2.calculateToken('ünïcode pw', scramble);
    expect(verifyCachingSha2Proof(proof, scramble, stored('sha256', 'ünïcode pw'))).toBe(true);
    expect(verifyCachingSha2Proof(proof, scramble, stored('sha256', 'unicode pw'))).toBe(false);
    expect(verifyCachingSha2Proof(proof, Buffer.from('another scramble!!!!'), stored('sha256', 'ünïcode pw'))).toBe(false);
    expect(verifyCachingSha2Proof(auth41.calculateToken('ünïcode pw', scramble.subarray(0, 8), scramble.subarray(8)), scramble, stored('sha256', 'ünïcode pw'))).toBe(false);
    expect(verifyCachingSha2Proof(Buffer.alloc(0), scramble, stored('sha256', ''))).toBe(true);
  });

  it("works with core's secrets, and core's mock secrets take no password", () => {
    const users = new StaticUserStore([{ name: 'alice', password: 'alice-secret-pw', groups: [] }]);
    const secrets = users.find('alice')!.mysqlScrambleSecrets()!;
    expect(verifyNativePasswordProof(nativePasswordProof('alice-secret-pw', scramble), scramble, secrets.nativePassword)).toBe(true);
    expect(verifyCachingSha2Proof(cachingSha2Proof('alice-secret-pw', scramble), scramble, secrets.cachingSha2)).toBe(true);
    const mock = users.mockMysqlScrambleSecrets('alice');
    for (const password of ['', 'alice-secret-pw', 'mallory']) {
      expect(verifyNativePasswordProof(nativePasswordProof(password, scramble), scramble, mock.nativePassword)).toBe(false);
      expect(verifyCachingSha2Proof(cachingSha2Proof(password, scramble), scramble, mock.cachingSha2)).toBe(false);
    }
  });
});
