// Who is calling the admin API: HTTP Basic against the static users; bearer tokens once OIDC is configured.
import type { IncomingMessage } from 'node:http';
import type { StaticUserStore } from '../identity/static-users.js';
import type { Identity } from '../plugin.js';

export type AdminCaller = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly reason: string };

export function authenticateAdmin(request: IncomingMessage, users: StaticUserStore): AdminCaller {
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
  if (scheme?.toLowerCase() === 'bearer') return { ok: false, reason: 'bearer tokens need identity.oidc, which this version does not support yet' };
  return { ok: false, reason: `unsupported authorization scheme ${scheme ?? ''}` };
}
