import { describe, expect, it } from 'vitest';
import { claimAt, identityFromClaims } from './token-claims.js';

const names = { name: 'preferred_username', email: 'email', groups: 'groups' };

describe('identityFromClaims', () => {
  it('takes subject, name, email and groups from the configured claims', () => {
    const result = identityFromClaims({ sub: 'u-1', preferred_username: 'alice', email: 'a@example.com', groups: ['dba', 'dba', 7, 'ops'] }, names);
    expect(result).toEqual({ ok: true, identity: { subject: 'u-1', name: 'alice', email: 'a@example.com', groups: ['dba', 'ops'], auth: 'oidc' } });
  });

  it('falls back to the introspection username, then the subject, for the name', () => {
    expect(identityFromClaims({ sub: 'u-2', username: 'bob' }, names)).toMatchObject({ identity: { name: 'bob' } });
    expect(identityFromClaims({ sub: 'u-3' }, names)).toMatchObject({ identity: { name: 'u-3', groups: [] } });
  });

  it('names a client-credentials token after its client when it has no sub', () => {
    expect(identityFromClaims({ client_id: 'svc-report', groups: 'reporting' }, names)).toMatchObject({
      identity: { subject: 'svc-report', name: 'svc-report', groups: ['reporting'] },
    });
  });

  it('refuses a token without any subject', () => {
    expect(identityFromClaims({ groups: ['dba'] }, names)).toEqual({ ok: false, reason: expect.stringContaining('no subject') });
  });

  it('reads nested and namespaced group claims', () => {
    const keycloak = { sub: 's', realm_access: { roles: ['analyst'] } };
    expect(identityFromClaims(keycloak, { ...names, groups: 'realm_access.roles' })).toMatchObject({ identity: { groups: ['analyst'] } });
    const auth0 = { sub: 's', 'https://example.com/groups': ['dba'] };
    expect(identityFromClaims(auth0, { ...names, groups: 'https://example.com/groups' })).toMatchObject({ identity: { groups: ['dba'] } });
  });
});

describe('claimAt', () => {
  it('does not walk into arrays, primitives or inherited keys', () => {
    expect(claimAt({ a: [{ b: 1 }] }, 'a.0.b')).toBeUndefined();
    expect(claimAt({ a: 'text' }, 'a.length')).toBeUndefined();
    expect(claimAt({}, 'constructor')).toBeUndefined();
  });
});
