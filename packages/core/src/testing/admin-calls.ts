// Calls the admin routes plugins registered, with the matching and access rules of the admin HTTP API.
import { matchRoute } from '../admin/route-match.js';
import type { AdminResponse, AdminRoute, Identity } from '../plugin.js';
import { identityOf, type IdentityInput } from './identities.js';

export interface AdminCall {
  /** The authenticated caller; default: a member of the first admin group. */
  readonly as?: IdentityInput;
  /** JSON body; it goes through JSON text as over HTTP. */
  readonly body?: unknown;
  readonly query?: Record<string, string> | URLSearchParams;
}

export async function callAdminRoute(
  routes: readonly AdminRoute[],
  adminGroups: readonly string[],
  method: string,
  url: string,
  call: AdminCall,
): Promise<AdminResponse> {
  const parsed = new URL(url, 'http://admin');
  const query = new URLSearchParams(parsed.search);
  for (const [key, value] of new URLSearchParams(call.query ?? {})) query.append(key, value);
  const open = matchRoute(routes.filter((route) => route.access === 'public'), method, parsed.pathname);
  if (open && open !== 'method-not-allowed') {
    // Public routes ask for no credentials and get no body, whoever calls.
    return asJson(await open.route.handle({ identity: ANONYMOUS, isAdmin: false, params: open.params, query, body: undefined }));
  }
  const caller: Identity = identityOf(call.as ?? { user: 'admin', groups: [adminGroups[0] ?? 'sluice-admins'] });
  const matched = matchRoute(routes, method, parsed.pathname);
  if (matched === undefined) return { status: 404, body: { error: 'not found' } };
  if (matched === 'method-not-allowed') return { status: 405, body: { error: 'method not allowed' } };
  const isAdmin = caller.groups.some((group) => adminGroups.includes(group));
  if ((matched.route.access ?? 'admin') === 'admin' && !isAdmin) {
    return { status: 403, body: { error: `only members of ${adminGroups.join(', ')} may do this` } };
  }
  const body = call.body === undefined ? undefined : (JSON.parse(JSON.stringify(call.body)) as unknown);
  return asJson(await matched.route.handle({ identity: caller, isAdmin, params: matched.params, query, body }));
}

const ANONYMOUS: Identity = { subject: 'anonymous', name: 'anonymous', groups: [], auth: 'trust' };

/** A JSON response travels as JSON text: what cannot be serialized fails here as it would over HTTP. Other content types pass as they are. */
function asJson(response: AdminResponse): AdminResponse {
  if (response.body === undefined || response.contentType !== undefined) return response;
  return { ...response, body: JSON.parse(JSON.stringify(response.body)) as unknown };
}
