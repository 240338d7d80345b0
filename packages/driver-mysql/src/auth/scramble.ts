// Password proofs of the MySQL/MariaDB auth plugins, client side, and the RSA step of caching_sha2_password.
import { constants, createHash, privateDecrypt, publicEncrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';

function sha1(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i % b.length]!;
  return out;
}

/** mysql_native_password: SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))); empty for an empty password. */
export function nativePasswordProof(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  const stage2 = sha1(stage1);
  return xor(stage1, sha1(scramble.subarray(0, 20), stage2));
}

/** caching_sha2_password fast path: SHA256(password) XOR SHA256(SHA256(SHA256(password)) + scramble). */
export function cachingSha2Proof(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha256(Buffer.from(password, 'utf8'));
  const stage2 = sha256(stage1);
  return xor(stage1, sha256(stage2, scramble.subarray(0, 20)));
}

/**
 * The server side of mysql_native_password: whether `proof` was made from the password whose
 * SHA1(SHA1(password)) is `stored`. An empty proof stands for the empty password.
 */
export function verifyNativePasswordProof(proof: Buffer, scramble: Buffer, stored: Buffer): boolean {
  if (proof.length === 0) return sameBytes(stored, sha1(sha1(Buffer.alloc(0))));
  if (proof.length !== 20) return false;
  const stage1 = xor(proof, sha1(scramble.subarray(0, 20), stored));
  return sameBytes(sha1(stage1), stored);
}

/**
 * The server side of caching_sha2_password's fast path: whether `proof` was made from the password
 * whose SHA256(SHA256(password)) is `stored`. An empty proof stands for the empty password.
 */
export function verifyCachingSha2Proof(proof: Buffer, scramble: Buffer, stored: Buffer): boolean {
  if (proof.length === 0) return sameBytes(stored, sha256(sha256(Buffer.alloc(0))));
  if (proof.length !== 32) return false;
  const stage1 = xor(proof, sha256(stored, scramble.subarray(0, 20)));
  return sameBytes(sha256(stage1), stored);
}

/** Constant time for equal lengths; lengths are never secret here. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The password as caching_sha2_password full authentication sends it over RSA: (password NUL) XOR scramble, OAEP-encrypted. */
export function rsaEncryptPassword(password: string, scramble: Buffer, publicKeyPem: string | Buffer): Buffer {
  const plain = xor(Buffer.concat([Buffer.from(password, 'utf8'), Buffer.from([0])]), scramble.subarray(0, 20));
  return publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING }, plain);
}

/** The server side of the RSA step: the password, or undefined when it does not decrypt. */
export function rsaDecryptPassword(cipher: Buffer, scramble: Buffer, privateKey: KeyObject): string | undefined {
  let plain: Buffer;
  try {
    plain = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, cipher);
  } catch {
    return undefined;
  }
  const clear = xor(plain, scramble.subarray(0, 20));
  const end = clear.indexOf(0);
  return clear.subarray(0, end === -1 ? clear.length : end).toString('utf8');
}

const Point = ed25519.Point;
const order = Point.Fn.ORDER;

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function bigIntTo32LittleEndian(value: bigint): Buffer {
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

function sha512(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/**
 * MariaDB client_ed25519: an Ed25519 signature of the server's nonce, where the expanded secret key
 * is SHA-512 of the whole password (not of a 32-byte seed, which is why a stock Ed25519 signer
 * cannot produce it). Returns the 64-byte signature and the public key it verifies with.
 */
export function ed25519PasswordSignature(password: string, message: Buffer): { signature: Buffer; publicKey: Buffer } {
  const expanded = sha512(Buffer.from(password, 'utf8'));
  const head = Buffer.from(expanded.subarray(0, 32));
  head[0]! &= 248;
  head[31]! &= 127;
  head[31]! |= 64;
  const scalar = littleEndianToBigInt(head) % order;
  const publicKey = Buffer.from(Point.BASE.multiply(scalar).toBytes());
  const r = littleEndianToBigInt(sha512(expanded.subarray(32), message)) % order;
  const R = Buffer.from(Point.BASE.multiply(r).toBytes());
  const k = littleEndianToBigInt(sha512(R, publicKey, message)) % order;
  const S = (r + k * scalar) % order;
  return { signature: Buffer.concat([R, bigIntTo32LittleEndian(S)]), publicKey };
}
