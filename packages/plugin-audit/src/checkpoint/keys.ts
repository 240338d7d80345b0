// Ed25519 keys for checkpoints: loading PEM text, the key id recorded in each checkpoint, and key pairs for `sluice audit keygen`.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export function loadPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    // Never echo the text: it is a secret.
    throw new Error('the checkpoint private key is not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the checkpoint private key must be Ed25519, not ${key.asymmetricKeyType}`);
  return key;
}

export function loadPublicKey(pem: string): KeyObject {
  // createPublicKey would derive a public key from a private one; a verifier should never hold that.
  if (/PRIVATE KEY/.test(pem)) throw new Error('this is a private key: give the public key (sluice audit keygen writes both)');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error('not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the public key must be Ed25519, not ${key.asymmetricKeyType}`);
  return key;
}

/** First 16 hex digits of the SHA-256 of the public key's SPKI DER encoding. */
export function keyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function generateKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
