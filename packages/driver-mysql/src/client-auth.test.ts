// The server side of the login exchanges, played against a scripted client whose proofs come from
// the same code mysql2 uses (checked in auth/scramble.test.ts): which packets Sluice sends, which
// path a login takes, and that the exchange never tells which names exist or how they are configured.
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

  it('an empty mysql_native_password answer (libmariadb when the greeting named another plugin) gets a switch to caching_sha2_password, then the fast path', async () => {
    const { result } = await login({ user: 'alice', authPlugin: NATIVE_PASSWORD }, [expectSwitch(CACHING_SHA2, (data) => cachingSha2Proof('alice-secret-pw', data)), expectBytes([0x01, 0x03])]);
    expect(result).toMatchObject({ ok: true, method: 'caching_sha2_password fast path' });
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

  it('a scramble that does not verify falls back to full authentication, as MySQL 8 does on a cache miss; the right password then signs in', async () => {
    // The last case: a native proof made with another scramble (a stale one) is not the password's.
    for (const [authPlugin, authResponse, steps] of [
      [CACHING_SHA2, cachingSha2Proof('wrong-pw', SCRAMBLE), [expectBytes([0x01, 0x04], Buffer.from('alice-secret-pw\0'))]],
      [CACHING_SHA2, nativePasswordProof('alice-secret-pw', SCRAMBLE), [expectBytes([0x01, 0x04], Buffer.from('alice-secret-pw\0'))]],
      [NATIVE_PASSWORD, nativePasswordProof('wrong-pw', SCRAMBLE), [expectSwitch(CACHING_SHA2, (data) => cachingSha2Proof('wrong-pw', data)), expectBytes([0x01, 0x04], Buffer.from('alice-secret-pw\0'))]],
      [NATIVE_PASSWORD, nativePasswordProof('alice-secret-pw', Buffer.from('another scramble!!!!')), [expectSwitch(CACHING_SHA2, (data) => cachingSha2Proof('alice-secret-pw', data)), expectBytes([0x01, 0x04], Buffer.from('alice-secret-pw\0'))]],
    ] as const) {
      const { result } = await login({ user: 'alice', authPlugin, authResponse }, [...steps], { tls: true });
      expect(result).toMatchObject({ ok: true, method: 'caching_sha2_password full authentication over TLS' });
    }
  });

  it('a wrong password is refused with 1045 after full authentication, and the log names the method', async () => {
    const { result } = await login({ user: 'alice', authPlugin: CACHING_SHA2, authResponse: cachingSha2Proof('wrong-pw', SCRAMBLE) }, [
      expectBytes([0x01, 0x04], Buffer.from([0x02])),
      () => rsaEncryptPassword('wrong-pw', SCRAMBLE, rsa.publicKeyPem),
    ]);
    expect(result).toMatchObject({
      ok: false,
      error: { code: 1045, state: '28000', message: "Access denied for user 'alice'@'192.0.2.7' (using password: YES)" },
      reason: 'wrong password for user "alice" (caching_sha2_password full authentication with RSA)',
    });
  });

  it('a client without plugin auth cannot be asked again: a wrong native scramble is refused at once', async () => {
    const { result, sent } = await login({ user: 'alice', capabilities: Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION, authResponse: nativePasswordProof('wrong-pw', SCRAMBLE) });
    expect(result).toMatchObject({ ok: false, error: { code: 1045, message: "Access denied for user 'alice'@'192.0.2.7' (using password: YES)" } });
    expect(sent).toEqual([]);
  });

  it('an empty password is refused with "using password: NO"', async () => {
    const { result } = await login({ user: 'alice', authPlugin: CACHING_SHA2 });
    expect(result).toMatchObject({ ok: false, error: { message: "Access denied for user 'alice'@'192.0.2.7' (using password: NO)" } });
  });
});

describe('the exchange does not tell which names exist or how they are configured', () => {
  // A clear-password user with a wrong password, a verifier user with a wrong password, an unknown name.
  const names = ['alice', 'carol', 'mallory'];
  const guess = 'guessed-pw';
  const cases: [string, Partial<HandshakeResponse>, ClientStep[], { tls?: boolean; clientAddress?: string }][] = [
    ['caching_sha2 over TLS', { authPlugin: CACHING_SHA2, authResponse: cachingSha2Proof(guess, SCRAMBLE) }, [expectBytes([0x01, 0x04], Buffer.from(`${guess}\0`))], { tls: true }],
    ['caching_sha2 with RSA', { authPlugin: CACHING_SHA2, authResponse: cachingSha2Proof(guess, SCRAMBLE) }, [expectBytes([0x01, 0x04], Buffer.from([0x02])), () => rsaEncryptPassword(guess, SCRAMBLE, rsa.publicKeyPem)], {}],
    ['caching_sha2 in clear from loopback', { authPlugin: CACHING_SHA2, authResponse: cachingSha2Proof(guess, SCRAMBLE) }, [expectBytes([0x01, 0x04], Buffer.from(`${guess}\0`))], { clientAddress: '127.0.0.1' }],
    ['mysql_native_password', { authPlugin: NATIVE_PASSWORD, authResponse: nativePasswordProof(guess, SCRAMBLE) }, [expectSwitch(CACHING_SHA2, (data) => cachingSha2Proof(guess, data)), expectBytes([0x01, 0x04], Buffer.from(`${guess}\0`))], { tls: true }],
    ['libmariadb: an empty native answer', { authPlugin: NATIVE_PASSWORD }, [expectSwitch(CACHING_SHA2, (data) => cachingSha2Proof(guess, data)), expectBytes([0x01, 0x04], Buffer.from([0x02])), () => rsaEncryptPassword(guess, SCRAMBLE, rsa.publicKeyPem)], {}],
    ['an empty caching_sha2 answer (the empty password)', { authPlugin: CACHING_SHA2 }, [], {}],
    ['native, then an empty answer to the switch', { authPlugin: NATIVE_PASSWORD, authResponse: nativePasswordProof(guess, SCRAMBLE) }, [expectSwitch(CACHING_SHA2, () => Buffer.alloc(0))], {}],
    ['another plugin', { authPlugin: 'client_ed25519', authResponse: Buffer.alloc(64, 1) }, [expectSwitch(CACHING_SHA2, (data) => cachingSha2Proof(guess, data)), expectBytes([0x01, 0x04], Buffer.from(`${guess}\0`))], { tls: true }],
    ['no plugin auth', { capabilities: Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION, authResponse: nativePasswordProof(guess, SCRAMBLE) }, [], {}],
  ];

  it.each(cases)('%s: the same packets and the same ERR for every name', async (_what, response, steps, options) => {
    const runs = [];
    for (const user of names) runs.push({ user, ...(await login({ user, ...response }, [...steps], options)) });
    const [first, ...others] = runs;
    for (const run of others) expect(run.sent, `${run.user} sees what ${first!.user} sees`).toEqual(first!.sent);
    const finals = runs.map(({ user, result }) => {
      expect(result.ok).toBe(false);
      const error = result.ok ? undefined : result.error;
      return { ...error, message: error?.message.replace(`'${user}'@`, "'…'@") };
    });
    expect(finals[0]).toMatchObject({ code: 1045, state: '28000' });
    expect(finals[1]).toEqual(finals[0]);
    expect(finals[2]).toEqual(finals[0]);
    const mallory = runs[2]!.result;
    expect(mallory.ok || mallory.reason).toBe('unknown user "mallory"');
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
