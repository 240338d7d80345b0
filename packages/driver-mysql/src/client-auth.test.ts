// The server side of the login exchanges, played against a scripted client whose proofs come from
// the same code mysql2 uses (checked in auth/scramble.test.ts): which packets Sluice sends, which
// path a login takes, and that unknown names look like wrong passwords.
import { generateKeyPairSync } from 'node:crypto';
import { deriveScramSha256Verifier, formatScramSha256Verifier, StaticUserStore } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { cachingSha2Proof, nativePasswordProof, rsaEncryptPassword } from './auth/scramble.js';
import { authenticateClient, CACHING_SHA2, CLEAR_PASSWORD, NATIVE_PASSWORD, type ClientAuthResult } from './client-auth.js';
import { Capability } from './constants.js';
import { decodeAuthSwitch, type HandshakeResponse } from './handshake.js';
import type { SocketReader } from './socket-reader.js';

const SCRAMBLE = Buffer.from('Zq3#x!9@Lp0&Kd7*Wm2%');
const users = new StaticUserStore([
  { name: 'alice', password: 'alice-secret-pw', groups: ['dba'] },
  { name: 'carol', password: formatScramSha256Verifier(deriveScramSha256Verifier('carol-secret-pw')), groups: [] },
]);
const rsa = (() => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
})();

/** What the client does with each packet Sluice sends: the answer, or nothing when it only reads. */
type ClientStep = (sent: Buffer) => Buffer | undefined;

/** Runs a login: `steps` answer Sluice's packets in order; returns the result and every packet Sluice sent. */
async function login(
  response: Partial<HandshakeResponse> & { user: string },
  steps: ClientStep[] = [],
  options: { tls?: boolean; clientAddress?: string } = {},
): Promise<{ result: ClientAuthResult; sent: Buffer[] }> {
  const sent: Buffer[] = [];
  const answers: Buffer[] = [];
  const channel = {
    reader: { framer: { setMaxPayload: () => undefined } } as unknown as SocketReader,
    send(payload: Buffer) {
      sent.push(payload);
      const step = steps.shift();
      if (!step) throw new Error(`the client has no answer for ${payload.toString('hex')}`);
      const answer = step(payload);
      if (answer) answers.push(answer);
    },
    async read() {
      const answer = answers.shift();
      return answer ?? { error: 'the client sent nothing' };
    },
  };
  const result = await authenticateClient(
    { channel, tls: options.tls ?? false, scramble: SCRAMBLE, clientAddress: options.clientAddress ?? '192.0.2.7', rsaKey: async () => rsa },
    { users },
    { capabilities: Capability.PROTOCOL_41 | Capability.PLUGIN_AUTH | Capability.SECURE_CONNECTION, maxPacket: 0, charset: 45, authResponse: Buffer.alloc(0), attributes: [], ...response },
  );
  expect(steps, 'every scripted client step was used').toHaveLength(0);
  return { result, sent };
}

const expectSwitch = (plugin: string, answer: (data: Buffer) => Buffer): ClientStep => (sent) => {
  expect(sent[0]).toBe(0xfe);
  const request = decodeAuthSwitch(sent)!;
  expect(request.plugin).toBe(plugin);
  expect(request.data).toEqual(SCRAMBLE);
  return answer(request.data);
};
const expectBytes = (bytes: number[], answer?: Buffer): ClientStep => (sent) => {
  expect([...sent]).toEqual(bytes);
  return answer;
};

describe('a user whose password is in the config', () => {
  it('mysql_native_password: checks the scramble as sent, with no further exchange', async () => {
    const { result, sent } = await login({ user: 'alice', authPlugin: NATIVE_PASSWORD, authResponse: nativePasswordProof('alice-secret-pw', SCRAMBLE) });
    expect(result).toMatchObject({ ok: true, method: 'mysql_native_password', identity: { name: 'alice', groups: ['dba'] } });
    expect(sent).toEqual([]);
  });

  it('a client without plugin auth answers with mysql_native_password', async () => {
    const { result } = await login({ user: 'alice', capabilities: Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION, authResponse: nativePasswordProof('alice-secret-pw', SCRAMBLE) });
    expect(result).toMatchObject({ ok: true, method: 'mysql_native_password' });
  });

  it('caching_sha2_password: the fast path, fast_auth_success (0x03) and no password on the wire', async () => {
    const { result, sent } = await login({ user: 'alice', authPlugin: CACHING_SHA2, authResponse: cachingSha2Proof('alice-secret-pw', SCRAMBLE) }, [expectBytes([0x01, 0x03])]);
    expect(result).toMatchObject({ ok: true, method: 'caching_sha2_password fast path' });
    expect(sent).toHaveLength(1);
  });

  it('an empty mysql_native_password answer (libmariadb when the greeting named another plugin) gets a switch to mysql_native_password', async () => {
    const { result } = await login({ user: 'alice', authPlugin: NATIVE_PASSWORD }, [expectSwitch(NATIVE_PASSWORD, (data) => nativePasswordProof('alice-secret-pw', data))]);
    expect(result).toMatchObject({ ok: true, method: 'mysql_native_password' });
  });

  it('another plugin (client_ed25519) gets a switch to caching_sha2_password, then the fast path', async () => {
    const { result } = await login({ user: 'alice', authPlugin: 'client_ed25519', authResponse: Buffer.alloc(64, 1) }, [
      expectSwitch(CACHING_SHA2, (data) => cachingSha2Proof('alice-secret-pw', data)),
      expectBytes([0x01, 0x03]),
    ]);
    expect(result).toMatchObject({ ok: true, method: 'caching_sha2_password fast path' });
  });

  it('mysql_clear_password chosen by the client over TLS is checked as before', async () => {
    const { result } = await login({ user: 'alice', authPlugin: CLEAR_PASSWORD, authResponse: Buffer.from('alice-secret-pw\0') }, [], { tls: true });
    expect(result).toMatchObject({ ok: true, method: 'mysql_clear_password' });
  });

  it('a wrong scramble is refused at once (no full authentication: the password is not asked for)', async () => {
    for (const [authPlugin, authResponse] of [
      [NATIVE_PASSWORD, nativePasswordProof('wrong-pw', SCRAMBLE)],
      [CACHING_SHA2, cachingSha2Proof('wrong-pw', SCRAMBLE)],
      [CACHING_SHA2, nativePasswordProof('alice-secret-pw', SCRAMBLE)],
      [NATIVE_PASSWORD, nativePasswordProof('alice-secret-pw', Buffer.from('another scramble!!!!'))],
    ] as const) {
      const { result, sent } = await login({ user: 'alice', authPlugin, authResponse });
      expect(result).toMatchObject({ ok: false, error: { code: 1045, state: '28000', message: "Access denied for user 'alice'@'192.0.2.7' (using password: YES)" } });
      expect(result.ok || result.reason).toMatch(/^wrong password for user "alice"/);
      expect(sent).toEqual([]);
    }
  });

  it('an empty password is refused with "using password: NO"', async () => {
    const { result } = await login({ user: 'alice', authPlugin: CACHING_SHA2 });
    expect(result).toMatchObject({ ok: false, error: { message: "Access denied for user 'alice'@'192.0.2.7' (using password: NO)" } });
  });
});

describe('an unknown user name', () => {
  it('takes the same exchanges as a wrong password and gets the same answer', async () => {
    const cases: [Partial<HandshakeResponse>, ClientStep[]][] = [
      [{ authPlugin: NATIVE_PASSWORD, authResponse: nativePasswordProof('some-pw', SCRAMBLE) }, []],
      [{ authPlugin: CACHING_SHA2, authResponse: cachingSha2Proof('some-pw', SCRAMBLE) }, []],
      [{ authPlugin: NATIVE_PASSWORD }, [expectSwitch(NATIVE_PASSWORD, (data) => nativePasswordProof('some-pw', data))]],
    ];
    for (const [response, steps] of cases) {
      const known = await login({ user: 'alice', ...response }, [...steps]);
      const unknown = await login({ user: 'mallory', ...response }, [...steps]);
      expect(unknown.sent).toEqual(known.sent);
      expect(known.result).toMatchObject({ ok: false, error: { code: 1045, message: "Access denied for user 'alice'@'192.0.2.7' (using password: YES)" } });
      expect(unknown.result).toMatchObject({ ok: false, error: { code: 1045, message: "Access denied for user 'mallory'@'192.0.2.7' (using password: YES)" }, reason: 'unknown user "mallory"' });
    }
  });
});

describe('a user configured with a SCRAM verifier (no scramble secrets)', () => {
  it('caching_sha2_password: perform_full_authentication (0x04), then the password inside TLS', async () => {
    const { result } = await login({ user: 'carol', authPlugin: CACHING_SHA2, authResponse: cachingSha2Proof('carol-secret-pw', SCRAMBLE) }, [expectBytes([0x01, 0x04], Buffer.from('carol-secret-pw\0'))], { tls: true });
    expect(result).toMatchObject({ ok: true, method: 'caching_sha2_password full authentication over TLS' });
  });

  it('without TLS: the RSA public-key exchange', async () => {
    const { result } = await login({ user: 'carol', authPlugin: CACHING_SHA2, authResponse: cachingSha2Proof('carol-secret-pw', SCRAMBLE) }, [
      expectBytes([0x01, 0x04], Buffer.from([0x02])),
      (sent) => {
        expect(sent.subarray(1).toString('latin1')).toBe(rsa.publicKeyPem);
        return rsaEncryptPassword('carol-secret-pw', SCRAMBLE, rsa.publicKeyPem);
      },
    ]);
    expect(result).toMatchObject({ ok: true, method: 'caching_sha2_password full authentication with RSA' });
  });

  it('mysql_native_password gets a switch to caching_sha2_password and full authentication', async () => {
    const { result } = await login({ user: 'carol', authPlugin: NATIVE_PASSWORD, authResponse: nativePasswordProof('carol-secret-pw', SCRAMBLE) }, [
      expectSwitch(CACHING_SHA2, (data) => cachingSha2Proof('carol-secret-pw', data)),
      expectBytes([0x01, 0x04], Buffer.from('carol-secret-pw\0')),
    ], { tls: true });
    expect(result).toMatchObject({ ok: true, method: 'caching_sha2_password full authentication over TLS' });
  });

  it('a password in clear without TLS is accepted from loopback only', async () => {
    const clear = (clientAddress: string) =>
      login({ user: 'carol', authPlugin: CACHING_SHA2, authResponse: cachingSha2Proof('carol-secret-pw', SCRAMBLE) }, [expectBytes([0x01, 0x04], Buffer.from('carol-secret-pw\0'))], { clientAddress });
    expect((await clear('127.0.0.1')).result).toMatchObject({ ok: true, method: 'caching_sha2_password full authentication in clear from loopback' });
    expect((await clear('192.0.2.7')).result).toMatchObject({ ok: false, error: { code: 1045 }, reason: expect.stringMatching(/use TLS/) });
  });
});
