// Static identities from the config's identity.users block, and how their passwords are checked.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Identity } from '../plugin.js';
import {
  deriveScramSha256Verifier,
  parseScramSha256Verifier,
  type ScramSha256Verifier,
} from './scram-verifier.js';

export interface StaticUser {
  readonly name: string;
  /** Cleartext, or a PostgreSQL-style SCRAM-SHA-256 verifier (`SCRAM-SHA-256$4096:...`). */
  readonly password: string;
  readonly groups: readonly string[];
}

/** A user Sluice can authenticate, without exposing how the password is stored. */
export interface StaticCredential {
  readonly identity: Identity;
  /** Constant-time check of a password the client sent in clear (inside TLS). */
  verifyPassword(password: string): boolean;
  /** The SCRAM-SHA-256 secret for challenge-response login (derived once, then cached). */
  scramSha256(): ScramSha256Verifier;
  /**
   * What a MySQL server stores to check its scrambles, for a password configured in clear
   * (undefined for a SCRAM verifier, which cannot give them).
   */
  mysqlScrambleSecrets(): MysqlScrambleSecrets | undefined;
}

/** The secrets behind MySQL's challenge-response logins; each checks a scramble, neither gives the password. */
export interface MysqlScrambleSecrets {
  /** SHA1(SHA1(password)): mysql_native_password. */
  readonly nativePassword: Buffer;
  /** SHA256(SHA256(password)): caching_sha2_password's fast path. */
  readonly cachingSha2: Buffer;
}

export class StaticUserStore {
  readonly #users = new Map<string, StaticCredential>();
  // Lets unknown users go through the same SCRAM exchange as known ones, so a login attempt
  // cannot tell which user names exist (PostgreSQL does the same "mock authentication").
  readonly #mockKey = randomBytes(32);

  constructor(users: readonly StaticUser[]) {
    for (const user of users) this.#users.set(user.name, credentialFor(user));
  }

  get size(): number {
    return this.#users.size;
  }

  find(name: string): StaticCredential | undefined {
    return this.#users.get(name);
  }

  /**
   * The credential when `password` is right for `name`; an unknown name costs the same work, so
   * the time taken does not tell which names exist.
   */
  checkPassword(name: string, password: string): StaticCredential | undefined {
    const credential = this.#users.get(name);
    if (credential) return credential.verifyPassword(password) ? credential : undefined;
    deriveScramSha256Verifier(password, this.mockScramSha256(name).salt);
    return undefined;
  }

  /** MySQL scramble secrets no password matches, so unknown names take the same path as known ones. */
  mockMysqlScrambleSecrets(name: string): MysqlScrambleSecrets {
    const seed = createHmac('sha256', this.#mockKey).update(`mysql\u0000${name}`).digest();
    return { nativePassword: seed.subarray(0, 20), cachingSha2: createHash('sha256').update(seed).digest() };
  }

  /** A verifier no password matches, stable per user name. */
  mockScramSha256(name: string): ScramSha256Verifier {
    const salt = createHmac('sha256', this.#mockKey).update(name).digest().subarray(0, 16);
    return { iterations: 4096, salt, storedKey: randomBytes(32), serverKey: randomBytes(32) };
  }
}

function credentialFor(user: StaticUser): StaticCredential {
  const identity: Identity = { subject: user.name, name: user.name, groups: [...user.groups], auth: 'password' };
  const stored = parseScramSha256Verifier(user.password);
  let verifier = stored;
  return {
    identity,
    verifyPassword(password) {
      const expected = this.scramSha256();
      const derived = deriveScramSha256Verifier(password, expected.salt, expected.iterations);
      return timingSafeEqual(derived.storedKey, expected.storedKey);
    },
    scramSha256() {
      verifier ??= deriveScramSha256Verifier(user.password);
      return verifier;
    },
    mysqlScrambleSecrets() {
      if (stored) return undefined;
      const twice = (algorithm: string) => createHash(algorithm).update(createHash(algorithm).update(user.password, 'utf8').digest()).digest();
      return { nativePassword: twice('sha1'), cachingSha2: twice('sha256') };
    },
  };
}
