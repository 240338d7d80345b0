// The admin API with OIDC access tokens: a token in an admin group manages sessions; others are refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startIssuer, type TestIssuer } from './helpers/oidc-provider.js';
import { postgresListener, startSluice, type RunningSluice } from './helpers/sluice.js';

let issuer: TestIssuer;
let proxy: RunningSluice;
let base: string;

beforeAll(async () => {
  issuer = await startIssuer();
  proxy = await startSluice(`${postgresListener()}
identity:
  oidc: { issuer: ${issuer.issuer}, audience: sluice }
admin:
  listen: 127.0.0.1:0
  groups: [dba]
`);
  base = `http://127.0.0.1:${proxy.sluice.adminAddress()!.port}`;
});
afterAll(async () => {
  await proxy?.stop();
  await issuer?.close();
});

const get = (path: string, token: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

it('accepts a valid token whose groups include an admin group', async () => {
  const token = await issuer.serviceToken('svc-dba');
  const response = await get('/api/sessions', token);
  expect(response.status).toBe(200);
  const whoami = (await (await get('/api/whoami', token)).json()) as { identity: { auth: string; groups: string[] } };
  expect(whoami.identity).toMatchObject({ auth: 'oidc', groups: ['dba'] });
});

it('refuses a valid token outside the admin groups with 403, and a bad token with 401', async () => {
  expect((await get('/api/sessions', await issuer.serviceToken('svc-analyst'))).status).toBe(403);
  const tampered = `${(await issuer.serviceToken('svc-dba')).slice(0, -4)}AAAA`;
  const refused = await get('/api/sessions', tampered);
  expect(refused.status).toBe(401);
  expect(refused.headers.get('www-authenticate')).toContain('Bearer');
});

it('never logs a token', async () => {
  const token = await issuer.serviceToken('svc-dba');
  await get('/api/sessions', token);
  expect(proxy.logText()).not.toContain(token);
});
