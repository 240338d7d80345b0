// Tests for the SCRAM-SHA-256 client: RFC 7677 vector, mechanism choice, hostile server messages, channel binding.
import { createHash, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ScramClientExchange } from './scram-client.js';
import { tlsServerEndPointHash } from './tls-server-end-point.js';
import { ScramServerExchange } from './scram-server.js';
import type { ScramSha256Verifier } from './scram-types.js';

const PASSWORD = 'correct horse battery staple';

// RFC 7677 section 3.
const rfc7677 = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

// Self-signed test certificates, one per signature algorithm (openssl req -x509 ...).
const certificates = {
  'ecdsa-with-SHA1': `
MIIBgjCCASigAwIBAgIUMlKJ634c2H3/firBEkEZkopC8LswCQYHKoZIzj0EATAW
MRQwEgYDVQQDDAtzbHVpY2UtdGVzdDAgFw0yNjExMjMwNTQyNTdaGA8yMTI2MTAz
MDA1NDI1N1owFjEUMBIGA1UEAwwLc2x1aWNlLXRlc3QwWTATBgcqhkjOPQIBBggq
hkjOPQMBBwNCAATXup1ou5yR06ywCFm/lGYt7fZDcaVWCBlHNzL0W+YAE8ynLtfF
gVUqfAsATHqKelgncsfmvQ1v+Y+5rty2CClLo1MwUTAdBgNVHQ4EFgQUTRVtZlB5
3ava387kAQDbbr6Jv+gwHwYDVR0jBBgwFoAUTRVtZlB53ava387kAQDbbr6Jv+gw
DwYDVR0TAQH/BAUwAwEB/zAJBgcqhkjOPQQBA0kAMEYCIQDjzkhTrJhkn0OTYEbE
74SOMM2gt6L37Smuiclj2b3W5wIhAKMxXCqMqeCrAL3koGAsMRAwClJog7C0vnag
BWUk8oUc`,
  'ecdsa-with-SHA256': `
MIIBgjCCASmgAwIBAgIUA4B/FAVBnxZJKgkimbQvJ5063CQwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLc2x1aWNlLXRlc3QwIBcNMjYxMTIzMDU0MjU3WhgPMjEyNjEw
MzAwNTQyNTdaMBYxFDASBgNVBAMMC3NsdWljZS10ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAE17qdaLuckdOssAhZv5RmLe32Q3GlVggZRzcy9FvmABPMpy7X
xYFVKnwLAEx6inpYJ3LH5r0Nb/mPua7ctggpS6NTMFEwHQYDVR0OBBYEFE0VbWZQ
ed2r2t/O5AEA226+ib/oMB8GA1UdIwQYMBaAFE0VbWZQed2r2t/O5AEA226+ib/o
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgU+p/fT4RFtVl/Dh6
eOyZapb4hoAp7gpRTD/yl3YxIsUCIElpdPZJfGXyR4VqkQ5GBghJfrLmbC3DN6ls
tuZDpLpG`,
  'ecdsa-with-SHA384': `
MIIBgzCCASmgAwIBAgIUak23Rel/woXyqF4I4IG0kVfL5MswCgYIKoZIzj0EAwMw
FjEUMBIGA1UEAwwLc2x1aWNlLXRlc3QwIBcNMjYxMTIzMDU0MjU3WhgPMjEyNjEw
MzAwNTQyNTdaMBYxFDASBgNVBAMMC3NsdWljZS10ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAE17qdaLuckdOssAhZv5RmLe32Q3GlVggZRzcy9FvmABPMpy7X
xYFVKnwLAEx6inpYJ3LH5r0Nb/mPua7ctggpS6NTMFEwHQYDVR0OBBYEFE0VbWZQ
ed2r2t/O5AEA226+ib/oMB8GA1UdIwQYMBaAFE0VbWZQed2r2t/O5AEA226+ib/o
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwMDSAAwRQIhAJDofplV2LweBeIL
W9SxMFcm375AII22n5Yl1V9ykjgpAiApSsPdkwAG2Th67dRNNPM4JOER/k7zXZyU
XdpjClvqCA==`,
  'RSASSA-PSS with SHA-384': `
MIICcDCCAaWgAwIBAgIULtCoUXqqf9I/xEP5yyqH557DKQkwQQYJKoZIhvcNAQEK
MDSgDzANBglghkgBZQMEAgIFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgIF
AKIDAgFOMBYxFDASBgNVBAMMC3NsdWljZS10ZXN0MCAXDTI2MTEyMzA1NDI1N1oY
DzIxMjYxMDMwMDU0MjU3WjAWMRQwEgYDVQQDDAtzbHVpY2UtdGVzdDCBnTALBgkq
hkiG9w0BAQoDgY0AMIGJAoGBANq9IOdFhnans1uGL3VdEns6lwOlD8NXoNzKPWW/
A4VWGxEfKrOI3aWP/r8OKDs4j6Is9xB7MM0/10dyQWNZ7V/FUDWShQLEXK2ifbQG
yfZ8/wa4Ei2k9m90sQP1mdoe0egsFmVLNUcVo8lmqX1kGhXoiL+2H+hJs5V/vj6R
gb6xAgMBAAGjUzBRMB0GA1UdDgQWBBRv0D+iB2cCSsWKIshxwg/yirGM2zAfBgNV
HSMEGDAWgBRv0D+iB2cCSsWKIshxwg/yirGM2zAPBgNVHRMBAf8EBTADAQH/MEEG
CSqGSIb3DQEBCjA0oA8wDQYJYIZIAWUDBAICBQChHDAaBgkqhkiG9w0BAQgwDQYJ
YIZIAWUDBAICBQCiAwIBTgOBgQAhv8QiL9myQ2RvIwqDOFwjA10KnvPf/clNzgzG
YCuWyJ1d/qTUqEgPO84EMdesHBRwNXRnPcvPG0+snjtK+1hWO1MkLgXKTK/CvLju
eE46jvLmshRYye2/ohrD/x++v+jC0o3VXckA1fZ0eC8hmwZ0QoB1YjUwQwUOPsOL
HtEVog==`,
  Ed25519: `
MIIBQjCB9aADAgECAhRury5rn//V6h1hzA+3lrAcB0Fh5TAFBgMrZXAwFjEUMBIG
A1UEAwwLc2x1aWNlLXRlc3QwIBcNMjYxMTIzMDU0MjU3WhgPMjEyNjEwMzAwNTQy
NTdaMBYxFDASBgNVBAMMC3NsdWljZS10ZXN0MCowBQYDK2VwAyEAbUa3u/F2lVaS
azz89pwv9eu+EWpiruUJL9cZVZ8RhmijUzBRMB0GA1UdDgQWBBTAY+39CZ3Lcutb
c+aXrMZr4u+TwDAfBgNVHSMEGDAWgBTAY+39CZ3Lcutbc+aXrMZr4u+TwDAPBgNV
HRMBAf8EBTADAQH/MAUGAytlcANBAGRpuHiajZgGBB5fWhviJS8hSLawsF5XvVZj
eV535wBOQBDjo5u4/MJmOuNKPtdrNt/4saD7EesiI40K+4gWXgw=`,
};

function certificateDer(name: keyof typeof certificates): Buffer {
  return Buffer.from(certificates[name].replace(/\s/g, ''), 'base64');
}

function verifierFromPostgres(text: string): ScramSha256Verifier {
  const [, iterations, salt, storedKey, serverKey] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(text)!;
  return {
    iterations: Number(iterations),
    salt: Buffer.from(salt!, 'base64'),
    storedKey: Buffer.from(storedKey!, 'base64'),
    serverKey: Buffer.from(serverKey!, 'base64'),
  };
}

/** A client that has sent client-first and is waiting for server-first. */
function startedClient(password = PASSWORD): ScramClientExchange {
  const client = new ScramClientExchange({ password, mechanisms: ['SCRAM-SHA-256'], clientNonce: 'clientnonce' });
  client.clientFirst();
  return client;
}

describe('ScramClientExchange', () => {
  it('reproduces the RFC 7677 test vector', () => {
    const client = new ScramClientExchange({
      password: 'pencil',
      mechanisms: ['SCRAM-SHA-256'],
      username: 'user',
      clientNonce: rfc7677.clientNonce,
    });
    expect(client.mechanism).toBe('SCRAM-SHA-256');
    expect(client.clientFirst().toString()).toBe(rfc7677.clientFirst);
    expect(client.serverFirst(Buffer.from(rfc7677.serverFirst)).toString()).toBe(rfc7677.clientFinal);
    expect(() => client.serverFinal(Buffer.from(rfc7677.serverFinal))).not.toThrow();
  });

  it('sends an empty user name and an 18-byte random nonce by default, like libpq', () => {
    const first = new ScramClientExchange({ password: PASSWORD, mechanisms: ['SCRAM-SHA-256'] }).clientFirst().toString();
    const second = new ScramClientExchange({ password: PASSWORD, mechanisms: ['SCRAM-SHA-256'] }).clientFirst().toString();
    expect(first).toMatch(/^n,,n=,r=[A-Za-z0-9+/]{24}$/);
    expect(first).not.toBe(second);
  });

  it('escapes = and , in the user name', () => {
    const client = new ScramClientExchange({
      password: PASSWORD,
      mechanisms: ['SCRAM-SHA-256'],
      username: 'a=b,c',
      clientNonce: 'x',
    });
    expect(client.clientFirst().toString()).toBe('n,,n=a=3Db=2Cc,r=x');
  });

  it.each([
    [['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'], true, 'SCRAM-SHA-256-PLUS', 'p=tls-server-end-point,,'],
    [['SCRAM-SHA-256-PLUS'], true, 'SCRAM-SHA-256-PLUS', 'p=tls-server-end-point,,'],
    [['SCRAM-SHA-256'], true, 'SCRAM-SHA-256', 'y,,'],
    [['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'], false, 'SCRAM-SHA-256', 'n,,'],
    [['SCRAM-SHA-256'], false, 'SCRAM-SHA-256', 'n,,'],
  ])('offered %j, TLS %s: picks %s with GS2 header %s', (mechanisms, tls, mechanism, gs2Header) => {
    const client = new ScramClientExchange({
      password: PASSWORD,
      mechanisms,
      ...(tls ? { serverCertificateDer: certificateDer('ecdsa-with-SHA256') } : {}),
    });
    expect(client.mechanism).toBe(mechanism);
    expect(client.clientFirst().toString()).toMatch(new RegExp(`^${gs2Header.replace(/[.,=-]/g, '\\$&')}n=,r=`));
  });

  it.each([[[]], [['SCRAM-SHA-1']], [['SCRAM-SHA-256-PLUS']]])('refuses the offer %j without TLS', (mechanisms) => {
    expect(() => new ScramClientExchange({ password: PASSWORD, mechanisms })).toThrow(
      /SCRAM: the server offers no SASL mechanism Sluice supports/,
    );
  });

  it('uses the password after SASLprep, matching verifiers stored by PostgreSQL 18', () => {
    const cases: Array<[password: string, stored: string]> = [
      ['I\u00adX', 'SCRAM-SHA-256$4096:nQspZnORA/HJrzPGHbh3hw==$LpjgTc/0kD73m6pDGfrRmtFn35JUMJMFgy/1MSCL/Pc=:/m8Ml0CqsEDzWGSrxhuXYcQYIGceN3rCLaOgs3nmtCg='],
      ['cafe\u0301', 'SCRAM-SHA-256$4096:d8SE+bL2K1uT1oOhvk+8Kg==$0+Chr1Aysj1K5i/c2+BuWYKG89bfL8xGGWyFQ6ExzK4=:LfhnnKowzN6AihagHUKOoIf9hy1irorme0k/+lQEsEI='],
      ['\u{1f600}e\u0301', 'SCRAM-SHA-256$4096:iJHLaASQQo7uMzh4CjuxcQ==$9ui8B4lFrRWSbGNttI5V5EGT/z11HGT0l1REJAuT6PU=:Vzk/kNYLYdA9apoF85KPkYcfCDN9vkYB3gwjsBEG20E='],
      ['\u05d0\ufb01\u05d1', 'SCRAM-SHA-256$4096:jr/g1PyL0xDKhhAjkWsodQ==$mEC+ASRkAY8AwItOtAuyPgIZ2uO95ApyO2wAFoc1pno=:1dzC1ifXxquIDkka1jPrT3GqmnqRXXsllI1UTeCE2ec='],
      ['\u05d0\u2100\u05d1', 'SCRAM-SHA-256$4096:GJlYsQAdEzVF9qKDjCCYHg==$JKJI01modZ1JqLTpUhGYLMHFtBGeX9dCHbbtgUpHOvU=:SZaXSx2YWZkYFAZh/auVfuOZUA47Wp0a1XJfcyjW5TM='],
    ];
    for (const [password, stored] of cases) {
      const server = new ScramServerExchange(verifierFromPostgres(stored));
      const client = new ScramClientExchange({ password, mechanisms: ['SCRAM-SHA-256'] });
      const serverFirst = server.clientFirst(client.mechanism, client.clientFirst());
      if (!serverFirst.ok) throw new Error(serverFirst.reason);
      const serverFinal = server.clientFinal(client.serverFirst(serverFirst.serverFirst));
      expect(serverFinal, JSON.stringify(password)).toEqual({ ok: true, serverFinal: expect.any(Buffer) });
      if (serverFinal.ok) client.serverFinal(serverFinal.serverFinal);
    }
  });

  describe('rejects a malformed server-first-message without revealing the password', () => {
    const salt = 'W22ZaJ0SNY7soEsUEjb6gQ==';
    it.each([
      ['nonce that does not extend ours', `r=someoneelse123,s=${salt},i=4096`, /nonce does not extend the client nonce/],
      ['nonce equal to ours', `r=clientnonce,s=${salt},i=4096`, /nonce does not extend the client nonce/],
      ['nonce with a non-printable character', `r=clientnonce\u0001x,s=${salt},i=4096`, /not printable/],
      ['no nonce', `s=${salt},i=4096`, /no nonce/],
      ['no salt', 'r=clientnonceXYZ,i=4096', /no salt/],
      ['empty salt', 'r=clientnonceXYZ,s=,i=4096', /salt that is not valid base64/],
      ['salt not base64', 'r=clientnonceXYZ,s=W22Z*J0S,i=4096', /salt that is not valid base64/],
      ['salt badly padded', 'r=clientnonceXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096', /salt that is not valid base64/],
      ['no iteration count', `r=clientnonceXYZ,s=${salt}`, /no iteration count/],
      ['empty iteration count', `r=clientnonceXYZ,s=${salt},i=`, /invalid iteration count/],
      ['zero iterations', `r=clientnonceXYZ,s=${salt},i=0`, /invalid iteration count "0"/],
      ['negative iterations', `r=clientnonceXYZ,s=${salt},i=-1`, /invalid iteration count "-1"/],
      ['non-decimal iterations', `r=clientnonceXYZ,s=${salt},i=0x10`, /invalid iteration count/],
      ['too many iterations', `r=clientnonceXYZ,s=${salt},i=99999999999`, /invalid iteration count/],
      ['mandatory extension', `m=ext,r=clientnonceXYZ,s=${salt},i=4096`, /unsupported SCRAM extension/],
      ['malformed extension', `r=clientnonceXYZ,s=${salt},i=4096,garbage`, /malformed attribute/],
      ['NUL byte', `r=clientnonceXYZ,s=${salt},i=4096\0`, /NUL byte/],
      ['empty message', '', /no nonce/],
    ])('%s', (_description, serverFirst, expected) => {
      const client = startedClient();
      let error: unknown;
      try {
        client.serverFirst(Buffer.from(serverFirst, 'latin1'));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^SCRAM: /);
      expect((error as Error).message).toMatch(expected);
      expect((error as Error).message).not.toContain(PASSWORD);
      // A failed exchange cannot be resumed.
      expect(() => client.serverFirst(Buffer.from(`r=clientnonceXYZ,s=${salt},i=4096`))).toThrow(/out of order/);
    });
  });

  describe('server-final-message', () => {
    function clientAwaitingServerFinal(): ScramClientExchange {
      const client = new ScramClientExchange({
        password: 'pencil',
        mechanisms: ['SCRAM-SHA-256'],
        username: 'user',
        clientNonce: rfc7677.clientNonce,
      });
      client.clientFirst();
      client.serverFirst(Buffer.from(rfc7677.serverFirst));
      return client;
    }

    it('accepts extensions after the signature', () => {
      expect(() => clientAwaitingServerFinal().serverFinal(Buffer.from(`${rfc7677.serverFinal},x=1`))).not.toThrow();
    });

    it.each([
      ['a wrong signature', 'v=' + Buffer.alloc(32, 1).toString('base64'), /server signature is wrong/],
      ['a truncated signature', rfc7677.serverFinal.slice(0, -4), /malformed server signature/],
      ['a signature that is not base64', 'v=!!!!', /malformed server signature/],
      ['a server error', 'e=invalid-proof', /the server rejected the exchange: "invalid-proof"/],
      ['no signature', 'x=1', /no server signature/],
      ['a malformed extension', `${rfc7677.serverFinal},junk`, /malformed attribute/],
      ['a NUL byte', `${rfc7677.serverFinal}\0`, /NUL byte/],
    ])('rejects %s', (_description, serverFinal, expected) => {
      const client = clientAwaitingServerFinal();
      expect(() => client.serverFinal(Buffer.from(serverFinal))).toThrow(expected);
    });
  });

  it('enforces the order of the exchange', () => {
    const client = new ScramClientExchange({ password: PASSWORD, mechanisms: ['SCRAM-SHA-256'] });
    expect(() => client.serverFirst(Buffer.from('r=x,s=AAAA,i=1'))).toThrow(/serverFirst\(\) called out of order/);
    expect(() => client.serverFinal(Buffer.from('v=AAAA'))).toThrow(/serverFinal\(\) called out of order/);
    client.clientFirst();
    expect(() => client.clientFirst()).toThrow(/clientFirst\(\) called out of order/);
  });

  it('does not expose the password as a property', () => {
    const client = new ScramClientExchange({ password: PASSWORD, mechanisms: ['SCRAM-SHA-256'] });
    expect(JSON.stringify(client)).not.toContain(PASSWORD);
    expect(Object.values(client)).not.toContain(PASSWORD);
  });
});

describe('tlsServerEndPointHash', () => {
  const { signatureAlgorithmHashFromCertificate } = createRequire(import.meta.url)(
    'pg/lib/crypto/cert-signatures.js',
  ) as { signatureAlgorithmHashFromCertificate(der: Buffer): string };

  it.each([
    ['ecdsa-with-SHA1', 'sha256'], // RFC 5929: SHA-1 is replaced by SHA-256
    ['ecdsa-with-SHA256', 'sha256'],
    ['ecdsa-with-SHA384', 'sha384'],
    ['RSASSA-PSS with SHA-384', 'sha384'],
    ['Ed25519', 'sha512'],
  ] as const)('hashes a %s certificate with %s', (name, hash) => {
    const der = certificateDer(name);
    expect(new X509Certificate(der).raw).toEqual(der);
    expect(tlsServerEndPointHash(der)).toEqual(createHash(hash).update(der).digest());
  });

  it('agrees with node-postgres on the signature hash', () => {
    for (const name of Object.keys(certificates) as Array<keyof typeof certificates>) {
      const der = certificateDer(name);
      const pgHash = signatureAlgorithmHashFromCertificate(der).replace('-', '').toLowerCase();
      const expected = pgHash === 'md5' || pgHash === 'sha1' ? 'sha256' : pgHash;
      expect(tlsServerEndPointHash(der), name).toEqual(createHash(expected).update(der).digest());
    }
  });

  it.each([
    ['empty input', Buffer.alloc(0)],
    ['not DER', Buffer.from('-----BEGIN CERTIFICATE-----')],
    ['a truncated certificate', certificateDer('ecdsa-with-SHA256').subarray(0, 200)],
  ])('throws a clear error for %s', (_description, der) => {
    expect(() => tlsServerEndPointHash(der)).toThrow(/SCRAM channel binding: the server certificate is not valid DER/);
  });

  it('throws a clear error for an unknown signature algorithm', () => {
    const der = Buffer.from(certificateDer('ecdsa-with-SHA256'));
    // Turn the outer ecdsa-with-SHA256 OID (1.2.840.10045.4.3.2) into 1.2.840.10045.4.3.9.
    const oid = Buffer.from('06082a8648ce3d040302', 'hex');
    const at = der.lastIndexOf(oid);
    der[at + oid.length - 1] = 9;
    expect(() => tlsServerEndPointHash(der)).toThrow(
      'SCRAM channel binding: unsupported certificate signature algorithm 1.2.840.10045.4.3.9',
    );
  });
});
