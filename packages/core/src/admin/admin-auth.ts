// Who is calling the admin API: HTTP Basic against the static users, or an OIDC access token as a bearer token.
import type { IncomingMessage } from 'node:http';
import type { StaticUserStore } from '../identity/static-users.js';
import type { Identity } from '../plugin.js';

export type AdminCaller = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly reason: string };

/** Checks a bearer token against identity.oidc; absent when the config has none. */
export type BearerVerifier = (token: string) => Promise<{ readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly reason: string }>;

export async function authenticateAdmin(request: IncomingMessage, users: StaticUserStore, verifyBearer?: BearerVerifier): Promise<AdminCaller> {
  const header = request.headers.authorization;
  if (!header) return { ok: false, reason: 'authentication required' };
  const [scheme, credentials = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, reason: 'malformed basic credentials' };
    const user = users.checkPassword(decoded.slice(0, colon), decoded.slice(colon + 1));
    return user ? { ok: true, identity: user.identity } : { ok: false, reason: 'invalid credentials' };
  }
  if (scheme?.toLowerCase() === 'bearer') {
    if (!verifyBearer) return { ok: false, reason: 'bearer tokens need identity.oidc in the config' };
    const verdict = await verifyBearer(credentials);
    return verdict.ok ? { ok: true, identity: verdict.identity } : { ok: false, reason: `invalid token: ${verdict.reason}` };
  }
  return { ok: false, reason: `unsupported authorization scheme ${scheme ?? ''}` };
}
