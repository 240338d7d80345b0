// The OIDC token verifier on its own, against a real provider: claims, tolerance, and the issuer going away.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, parseConfigText, type OidcConfig } from '@sluice/core';
import { OidcVerifier } from '../packages/core/src/identity/oidc-verifier.js';
import { claimsOf, forgeToken, INTROSPECTION_CLIENT, startIssuer, type TestIssuer } from './helpers/oidc-provider.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

const log = createLogger({ level: 'fatal', format: 'json' });

function oidcConfig(settings: Record<string, unknown>): OidcConfig {
  const yaml = `
listeners: [ { name: pg, dialect: postgres, listen: 127.0.0.1:0, upstream: { host: 127.0.0.1, port: 5432 } } ]
identity:
  oidc: ${JSON.stringify({ issuer: issuer.issuer, audience: 'sluice', ...settings })}
`;
  return parseConfigText(yaml, { file: '/tmp/verifier.yaml' }).config.identity.oidc!;
}

const verifier = (settings: Record<string, unknown> = {}) => new OidcVerifier(oidcConfig(settings), log);
const now = () => Math.floor(Date.now() / 1000);

describe('OidcVerifier', () => {
  it('maps configured claims to the identity and reports when the token stops being honoured', async () => {
    const token = forgeToken({ iss: issuer.issuer, aud: 'sluice', sub: 'u-42', exp: now() + 60, person: { login: 'carol', teams: ['ops'] }, mail: 'c@example.com' }, issuer.key);
    const verdict = await verifier({ name_claim: 'person.login', groups_claim: 'person.teams', email_claim: 'mail', clock_tolerance: '5s' }).verify(token);
    expect(verdict).toMatchObject({ ok: true, identity: { subject: 'u-42', name: 'carol', email: 'c@example.com', groups: ['ops'], auth: 'oidc' } });
    expect(verdict.ok && verdict.expiresAt?.getTime()).toBe((claimsOf(token).exp as number) * 1000 + 5_000);
  });

  it('accepts a token just past its expiry within the clock tolerance, not beyond', async () => {
    const token = forgeToken({ iss: issuer.issuer, aud: 'sluice', sub: 's', exp: now() - 10 }, issuer.key);
    expect(await verifier({ clock_tolerance: '30s' }).verify(token)).toMatchObject({ ok: true });
    expect(await verifier({ clock_tolerance: '5s' }).verify(token)).toMatchObject({ ok: false, reason: expect.stringMatching(/^the token expired at /) });
  });

  it('refuses tokens without exp, not yet valid, or signed with a shared secret', async () => {
    const v = verifier({ clock_tolerance: 0 });
    const base = { iss: issuer.issuer, aud: 'sluice', sub: 's' };
    expect(await v.verify(forgeToken(base, issuer.key))).toEqual({ ok: false, reason: 'the token has no expiry time ("exp" claim)' });
    expect(await v.verify(forgeToken({ ...base, exp: now() + 600, nbf: now() + 300 }, issuer.key))).toMatchObject({ reason: expect.stringMatching(/^the token is not valid before /) });
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid: issuer.key.privateJwk.kid })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ ...base, exp: now() + 600 })).toString('base64url');
    const hs256 = `${header}.${payload}.${createHmac('sha256', 'guess').update(`${header}.${payload}`).digest('base64url')}`;
    expect(await v.verify(hs256)).toEqual({ ok: false, reason: 'the token is signed with an algorithm that is not accepted' });
  });

  it('refuses opaque tokens when there are no introspection credentials, and encrypted tokens always', async () => {
    const v = verifier();
    expect(await v.verify(await issuer.serviceToken('svc-opaque'))).toMatchObject({ ok: false, reason: expect.stringContaining('identity.oidc.introspection has no credentials') });
    expect(await v.verify('a.b.c.d.e')).toEqual({ ok: false, reason: 'encrypted (JWE) tokens are not supported' });
    expect(await v.verify('')).toEqual({ ok: false, reason: 'no token was sent' });
  });

  it('refuses an introspected token meant for another audience', async () => {
    const v = verifier({ introspection: { client_id: INTROSPECTION_CLIENT.id, client_secret: INTROSPECTION_CLIENT.secret } });
    const good = await issuer.serviceToken('svc-opaque');
    expect(await v.verify(good)).toMatchObject({ ok: true, identity: { subject: 'svc-opaque', groups: ['analyst'] } });
    const other = await issuer.serviceToken('svc-opaque', { resource: 'urn:test:other-api' });
    expect(await v.verify(other)).toEqual({ ok: false, reason: 'the token is meant for audience "other-api", not for sluice' });
  });

  it('says so when the issuer cannot be reached, and recovers once it is back', async () => {
    const gone = await startIssuer({ key: issuer.key });
    const address = new URL(gone.issuer);
    await gone.close();
    const v = new OidcVerifier({ ...oidcConfig({}), issuer: address.origin }, log);
    const early = await issuer.serviceToken('svc-dba');
    expect(await v.verify(early)).toMatchObject({ ok: false, reason: expect.stringMatching(/^the issuer's discovery document could not be fetched: /) });
    const back = await startIssuer({ key: issuer.key, port: Number(address.port) });
    try {
      const token = await back.serviceToken('svc-dba');
      const verdict = await v.verify(token);
      expect(verdict).toMatchObject({ ok: true, identity: { subject: 'svc-dba' } });
      expect(JSON.stringify(verdict)).not.toContain(token);
    } finally {
      await back.close();
    }
  });
});
