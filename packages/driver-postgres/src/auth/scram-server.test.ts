// Tests for the SCRAM-SHA-256 server: RFC 7677 vector, exchanges with our client and node-postgres, hostile clients.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ScramClientExchange } from './scram-client.js';
import { tlsServerEndPointHash } from './tls-server-end-point.js';
import { mechanismsFor, ScramServerExchange, type ScramServerOptions } from './scram-server.js';
import type { ScramSha256Verifier, TlsServerEndPointBinding } from './scram-types.js';

const PASSWORD = 'correct horse battery staple';

// RFC 7677 section 3.
const rfc7677 = {
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

// Self-signed ecdsa-with-SHA256 test certificate.
const certificateDer = Buffer.from(
  `MIIBgjCCASmgAwIBAgIUA4B/FAVBnxZJKgkimbQvJ5063CQwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLc2x1aWNlLXRlc3QwIBcNMjYxMTIzMDU0MjU3WhgPMjEyNjEw
MzAwNTQyNTdaMBYxFDASBgNVBAMMC3NsdWljZS10ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAE17qdaLuckdOssAhZv5RmLe32Q3GlVggZRzcy9FvmABPMpy7X
xYFVKnwLAEx6inpYJ3LH5r0Nb/mPua7ctggpS6NTMFEwHQYDVR0OBBYEFE0VbWZQ
ed2r2t/O5AEA226+ib/oMB8GA1UdIwQYMBaAFE0VbWZQed2r2t/O5AEA226+ib/o
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgU+p/fT4RFtVl/Dh6
eOyZapb4hoAp7gpRTD/yl3YxIsUCIElpdPZJfGXyR4VqkQ5GBghJfrLmbC3DN6ls
tuZDpLpG`.replace(/\s/g, ''),
  'base64',
);
const binding: TlsServerEndPointBinding = { type: 'tls-server-end-point', data: tlsServerEndPointHash(certificateDer) };

/** RFC 5802 verifier for an ASCII password (so SASLprep leaves it alone). */
function verifierFor(password: string, salt = randomBytes(16), iterations = 4096): ScramSha256Verifier {
  const saltedPassword = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  return {
    iterations,
    salt,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', saltedPassword).update('Server Key').digest(),
  };
}

const verifier = verifierFor(PASSWORD);

type Outcome = { ok: true } | { ok: false; reason: string };

/** Runs a whole exchange between our client and our server. */
function exchange(options: {
  password?: string;
  serverOptions?: ScramServerOptions;
  clientCertificate?: Buffer;
  tamperClientFinal?: (clientFinal: string) => string;
}): Outcome {
  const server = new ScramServerExchange(verifier, options.serverOptions);
  const client = new ScramClientExchange({
    password: options.password ?? PASSWORD,
    mechanisms: mechanismsFor(options.serverOptions?.channelBinding !== undefined),
    ...(options.clientCertificate ? { serverCertificateDer: options.clientCertificate } : {}),
  });
  const serverFirst = server.clientFirst(client.mechanism, client.clientFirst());
  if (!serverFirst.ok) return serverFirst;
  let clientFinal = client.serverFirst(serverFirst.serverFirst).toString('latin1');
  if (options.tamperClientFinal) clientFinal = options.tamperClientFinal(clientFinal);
  const serverFinal = server.clientFinal(Buffer.from(clientFinal, 'latin1'));
  if (!serverFinal.ok) return serverFinal;
  client.serverFinal(serverFinal.serverFinal);
  return { ok: true };
}

/** A server that has accepted `clientFirst` and waits for the client-final-message. */
function serverAwaitingFinal(clientFirst = 'n,,n=,r=clientnonce', options: ScramServerOptions = {}) {
  const server = new ScramServerExchange(verifier, { serverNonce: 'servernonce', ...options });
  const mechanism = clientFirst.startsWith('p=') ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256';
  const result = server.clientFirst(mechanism, Buffer.from(clientFirst));
  if (!result.ok) throw new Error(result.reason);
  return server;
}

function expectRejected(result: { ok: boolean }, reason: RegExp): void {
  expect(result).toEqual({ ok: false, reason: expect.stringMatching(reason) });
}

describe('mechanismsFor', () => {
  it('offers SCRAM-SHA-256-PLUS first only with channel binding', () => {
    expect(mechanismsFor(true)).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    expect(mechanismsFor(false)).toEqual(['SCRAM-SHA-256']);
  });
});

describe('ScramServerExchange', () => {
  it('reproduces the RFC 7677 test vector', () => {
    const rfcVerifier = verifierFor('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    const server = new ScramServerExchange(rfcVerifier, { serverNonce: rfc7677.serverNonce });
    const first = server.clientFirst('SCRAM-SHA-256', Buffer.from(rfc7677.clientFirst));
    expect(first.ok && first.serverFirst.toString()).toBe(rfc7677.serverFirst);
    const final = server.clientFinal(Buffer.from(rfc7677.clientFinal));
    expect(final.ok && final.serverFinal.toString()).toBe(rfc7677.serverFinal);
  });

  it('generates an 18-byte random server nonce, like PostgreSQL', () => {
    const server = new ScramServerExchange(verifier);
    const first = server.clientFirst('SCRAM-SHA-256', Buffer.from('n,,n=,r=abc'));
    expect(first.ok && first.serverFirst.toString()).toMatch(/^r=abc[A-Za-z0-9+/]{24},s=[A-Za-z0-9+/=]+,i=4096$/);
  });

  describe('with our client', () => {
    it('authenticates without channel binding', () => {
      expect(exchange({})).toEqual({ ok: true });
    });

    it('authenticates with tls-server-end-point channel binding', () => {
      expect(exchange({ serverOptions: { channelBinding: binding }, clientCertificate: certificateDer })).toEqual({
        ok: true,
      });
    });

    it('accepts a TLS client when the server does not offer channel binding (GS2 flag y)', () => {
      expect(exchange({ clientCertificate: certificateDer })).toEqual({ ok: true });
    });

    it('rejects a wrong password', () => {
      expectRejected(exchange({ password: 'Tr0ub4dor&3' }), /password authentication failed/);
    });

    it('rejects channel binding to a different certificate (a man in the middle)', () => {
      const otherCertificate = Buffer.from(certificateDer);
      otherCertificate[otherCertificate.length - 1]! ^= 1;
      expectRejected(
        exchange({ serverOptions: { channelBinding: binding }, clientCertificate: otherCertificate }),
        /channel-binding data in client-final-message does not match/,
      );
    });

    it.each([
      ['a flipped proof bit', (final: string) => final.replace(/p=(.)/, (_, c: string) => `p=${c === 'A' ? 'B' : 'A'}`), /wrong SCRAM proof/],
      ['a truncated proof', (final: string) => final.slice(0, -4), /malformed proof/],
      ['a proof that is not base64', (final: string) => final.replace(/p=.*/, 'p=****'), /malformed proof/],
      ['a missing proof', (final: string) => final.replace(/,p=.*/, ''), /malformed client-final-message|no proof/],
      ['data after the proof', (final: string) => `${final},x=1`, /unexpected data after the proof/],
      ['an extended nonce', (final: string) => final.replace(/,r=([^,]*)/, ',r=$1x'), /nonce .* does not match/],
      ['a truncated nonce', (final: string) => final.replace(/,r=([^,]*)[^,],/, ',r=$1,'), /nonce .* does not match/],
      ['channel-binding flag changed to y', (final: string) => final.replace('c=biws', 'c=eSws'), /channel-binding data .* does not match/],
      ['channel-binding attribute not base64', (final: string) => final.replace('c=biws', 'c=b*ws'), /not valid base64/],
      ['a NUL byte', (final: string) => `${final}\0`, /NUL byte/],
    ])('rejects a client-final-message with %s', (_description, tamper, reason) => {
      expectRejected(exchange({ tamperClientFinal: tamper }), reason);
    });

    it('parses extension attributes before the proof, as PostgreSQL does, but they are signed', () => {
      // Injecting one changes the AuthMessage the client signed, so only the proof check fails.
      expectRejected(exchange({ tamperClientFinal: (final) => final.replace(',p=', ',x=ext,p=') }), /wrong SCRAM proof/);
    });
  });

  it('rejects a client-final-message replayed into another exchange', () => {
    const clientFirst = Buffer.from('n,,n=,r=fixedclientnonce');
    const firstServer = new ScramServerExchange(verifier);
    const client = new ScramClientExchange({
      password: PASSWORD,
      mechanisms: ['SCRAM-SHA-256'],
      clientNonce: 'fixedclientnonce',
    });
    client.clientFirst();
    const serverFirst = firstServer.clientFirst('SCRAM-SHA-256', clientFirst);
    if (!serverFirst.ok) throw new Error(serverFirst.reason);
    const recordedClientFinal = client.serverFirst(serverFirst.serverFirst);
    expect(firstServer.clientFinal(recordedClientFinal).ok).toBe(true);

    const secondServer = new ScramServerExchange(verifier);
    expect(secondServer.clientFirst('SCRAM-SHA-256', clientFirst).ok).toBe(true);
    expectRejected(secondServer.clientFinal(recordedClientFinal), /nonce in client-final-message does not match/);
    // And it cannot be replayed into the exchange that already finished.
    expectRejected(firstServer.clientFinal(recordedClientFinal), /out of order/);
  });

  describe('GS2 header and mechanism', () => {
    it.each([
      // [server offers PLUS, mechanism, client-first, accepted or reason]
      [false, 'SCRAM-SHA-256', 'n,,n=,r=abc', undefined],
      [false, 'SCRAM-SHA-256', 'y,,n=,r=abc', undefined],
      [false, 'SCRAM-SHA-256', 'p=tls-server-end-point,,n=,r=abc', /selected SCRAM-SHA-256 without channel binding/],
      [false, 'SCRAM-SHA-256-PLUS', 'p=tls-server-end-point,,n=,r=abc', /unsupported SASL mechanism "SCRAM-SHA-256-PLUS"/],
      [false, 'SCRAM-SHA-1', 'n,,n=,r=abc', /unsupported SASL mechanism "SCRAM-SHA-1"/],
      [true, 'SCRAM-SHA-256-PLUS', 'p=tls-server-end-point,,n=,r=abc', undefined],
      [true, 'SCRAM-SHA-256', 'n,,n=,r=abc', undefined],
      [true, 'SCRAM-SHA-256', 'y,,n=,r=abc', /thinks the server does not/],
      [true, 'SCRAM-SHA-256', 'p=tls-server-end-point,,n=,r=abc', /selected SCRAM-SHA-256 without channel binding/],
      [true, 'SCRAM-SHA-256-PLUS', 'n,,n=,r=abc', /selected SCRAM-SHA-256-PLUS but .* does not use channel binding/],
      [true, 'SCRAM-SHA-256-PLUS', 'y,,n=,r=abc', /selected SCRAM-SHA-256-PLUS but .* does not use channel binding/],
      [true, 'SCRAM-SHA-256-PLUS', 'p=tls-unique,,n=,r=abc', /unsupported channel-binding type "tls-unique"/],
      [true, 'SCRAM-SHA-256-PLUS', 'p=,,n=,r=abc', /malformed GS2 header/],
      [false, 'SCRAM-SHA-256', 'n,a=admin,n=,r=abc', /authorization identity/],
      [false, 'SCRAM-SHA-256', 'n,x,n=,r=abc', /malformed GS2 header/],
      [false, 'SCRAM-SHA-256', 'x,,n=,r=abc', /malformed GS2 header/],
      [false, 'SCRAM-SHA-256', 'N,,n=,r=abc', /malformed GS2 header/],
      [false, 'SCRAM-SHA-256', 'n,,m=ext,n=,r=abc', /unsupported SCRAM extension/],
    ] as const)('PLUS offered %s, %s, %j', (offersPlus, mechanism, clientFirst, reason) => {
      const server = new ScramServerExchange(verifier, offersPlus ? { channelBinding: binding } : {});
      const result = server.clientFirst(mechanism, Buffer.from(clientFirst));
      if (reason) expectRejected(result, reason);
      else expect(result.ok).toBe(true);
    });

    it('checks c= against the GS2 header and the binding data', () => {
      const gs2Header = 'p=tls-server-end-point,,';
      const clientFinal = (bindingData: Buffer) =>
        Buffer.from(`c=${Buffer.concat([Buffer.from(gs2Header), bindingData]).toString('base64')},r=abcservernonce,p=${'A'.repeat(43)}=`);
      const plus = () => serverAwaitingFinal(`${gs2Header}n=,r=abc`, { channelBinding: binding });
      // Correct binding data gets as far as the proof check.
      expectRejected(plus().clientFinal(clientFinal(binding.data)), /wrong SCRAM proof/);
      expectRejected(plus().clientFinal(clientFinal(Buffer.alloc(0))), /channel-binding data .* does not match/);
      expectRejected(plus().clientFinal(clientFinal(randomBytes(32))), /channel-binding data .* does not match/);
      expectRejected(
        plus().clientFinal(Buffer.from(`c=biws,r=abcservernonce,p=${'A'.repeat(43)}=`)),
        /channel-binding data .* does not match/,
      );
    });
  });

  describe('never throws on malformed input', () => {
    const garbage = [
      '',
      ',',
      ',,',
      'n',
      'n,',
      'n,,',
      'n,,n=',
      'n,,r=abc',
      'n,,n=,r=',
      'n,,n=,r=a b',
      'n,,n=,r=abc,garbage',
      'n,,n=,\0r=abc',
      'p',
      'p=',
      '\u00ff\u00fe',
      'y,,n=,r=\u00e9',
    ];
    it.each(garbage)('client-first %j', (message) => {
      const server = new ScramServerExchange(verifier);
      const result = server.clientFirst('SCRAM-SHA-256', Buffer.from(message, 'latin1'));
      expect(result).toEqual({ ok: false, reason: expect.any(String) });
    });

    it.each([
      '',
      ',',
      ',,',
      'c=biws',
      'c=biws,r=clientnonceservernonce',
      'r=clientnonceservernonce,c=biws,p=AAAA',
      'c=biws,p=AAAA,r=clientnonceservernonce',
      'c=,r=clientnonceservernonce,p=',
      'c=biws,r=clientnonceservernonce,p=',
      'p=AAAA',
      'c=biws,r=clientnonceservernonce,p=AAAA,p=AAAA',
      '\u00ff\u00fe',
    ])('client-final %j', (message) => {
      const result = serverAwaitingFinal().clientFinal(Buffer.from(message, 'latin1'));
      expect(result).toEqual({ ok: false, reason: expect.any(String) });
    });

    it('random bytes', () => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const bytes = randomBytes(attempt % 64);
        expect(new ScramServerExchange(verifier).clientFirst('SCRAM-SHA-256', bytes).ok).toBe(false);
        expect(serverAwaitingFinal().clientFinal(bytes).ok).toBe(false);
      }
    });
  });

  it('enforces the order of the exchange and stays failed after a rejection', () => {
    const early = new ScramServerExchange(verifier);
    expectRejected(early.clientFinal(Buffer.from('c=biws,r=x,p=AAAA')), /out of order/);
    expectRejected(early.clientFirst('SCRAM-SHA-256', Buffer.from('n,,n=,r=abc')), /out of order/);

    const twice = serverAwaitingFinal();
    expectRejected(twice.clientFirst('SCRAM-SHA-256', Buffer.from('n,,n=,r=abc')), /out of order/);
    expectRejected(twice.clientFinal(Buffer.from('c=biws,r=clientnonceservernonce,p=AAAA')), /out of order/);
  });

  it('refuses an unusable verifier or option at construction', () => {
    expect(() => new ScramServerExchange({ ...verifier, storedKey: Buffer.alloc(16) })).toThrow(TypeError);
    expect(() => new ScramServerExchange({ ...verifier, iterations: 0 })).toThrow(TypeError);
    expect(() => new ScramServerExchange({ ...verifier, salt: Buffer.alloc(0) })).toThrow(TypeError);
    expect(() => new ScramServerExchange(verifier, { serverNonce: 'a,b' })).toThrow(TypeError);
    expect(
      () => new ScramServerExchange(verifier, { channelBinding: { type: 'tls-server-end-point', data: Buffer.alloc(0) } }),
    ).toThrow(TypeError);
  });
});

describe('ScramServerExchange against the node-postgres client (pg/lib/crypto/sasl.js)', () => {
  interface PgSaslSession {
    mechanism: string;
    response: string;
  }
  interface PgSasl {
    startSession(mechanisms: string[], stream?: unknown): PgSaslSession;
    continueSession(session: PgSaslSession, password: string, serverData: string, stream?: unknown): Promise<void>;
    finalizeSession(session: PgSaslSession, serverData: string): void;
  }
  const pgSasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as PgSasl;
  /** What pg needs from a TLS socket: the peer certificate. */
  const tlsStream = { getPeerCertificate: () => ({ raw: certificateDer }) };

  async function pgExchange(options: {
    password?: string;
    verifier?: ScramSha256Verifier;
    serverOptions?: ScramServerOptions;
    stream?: unknown;
    offeredToClient?: string[];
  }): Promise<Outcome> {
    const server = new ScramServerExchange(options.verifier ?? verifier, options.serverOptions);
    const offered = options.offeredToClient ?? mechanismsFor(options.serverOptions?.channelBinding !== undefined);
    const session = pgSasl.startSession(offered, options.stream);
    const serverFirst = server.clientFirst(session.mechanism, Buffer.from(session.response, 'utf8'));
    if (!serverFirst.ok) return serverFirst;
    await pgSasl.continueSession(session, options.password ?? PASSWORD, serverFirst.serverFirst.toString('utf8'), options.stream);
    const serverFinal = server.clientFinal(Buffer.from(session.response, 'utf8'));
    if (!serverFinal.ok) return serverFinal;
    pgSasl.finalizeSession(session, serverFinal.serverFinal.toString('utf8'));
    return { ok: true };
  }

  it('authenticates pg without channel binding', async () => {
    expect(await pgExchange({})).toEqual({ ok: true });
  });

  it('authenticates pg with SCRAM-SHA-256-PLUS over TLS', async () => {
    expect(await pgExchange({ serverOptions: { channelBinding: binding }, stream: tlsStream })).toEqual({ ok: true });
  });

  it('authenticates pg over TLS when the server does not offer channel binding (flag y)', async () => {
    expect(await pgExchange({ stream: tlsStream })).toEqual({ ok: true });
  });

  it('refuses pg when SCRAM-SHA-256-PLUS was stripped from the offer on the way (downgrade)', async () => {
    expectRejected(
      await pgExchange({ serverOptions: { channelBinding: binding }, stream: tlsStream, offeredToClient: ['SCRAM-SHA-256'] }),
      /thinks the server does not/,
    );
  });

  it('rejects pg with a wrong password', async () => {
    expectRejected(await pgExchange({ password: 'Tr0ub4dor&3' }), /password authentication failed/);
  });

  it('authenticates pg against a verifier PostgreSQL stored for a non-ASCII password', async () => {
    // CREATE ROLE ... PASSWORD 'cafe\u0301' on PostgreSQL 18 (NFKC turns it into "café").
    const stored = {
      iterations: 4096,
      salt: Buffer.from('d8SE+bL2K1uT1oOhvk+8Kg==', 'base64'),
      storedKey: Buffer.from('0+Chr1Aysj1K5i/c2+BuWYKG89bfL8xGGWyFQ6ExzK4=', 'base64'),
      serverKey: Buffer.from('LfhnnKowzN6AihagHUKOoIf9hy1irorme0k/+lQEsEI=', 'base64'),
    };
    expect(await pgExchange({ verifier: stored, password: 'cafe\u0301' })).toEqual({ ok: true });
  });
});
