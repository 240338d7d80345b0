import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { cachingSha2Proof, ed25519PasswordSignature, nativePasswordProof, rsaDecryptPassword, rsaEncryptPassword } from './scramble.js';

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
