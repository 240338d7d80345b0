// Turns the claims of a verified token (or an introspection response) into a Sluice identity.
import type { Identity } from '../plugin.js';

/** Which claims carry the name, email and groups (the identity.oidc *_claim settings). */
export interface ClaimNames {
  readonly name: string;
  readonly email: string;
  readonly groups: string;
}

export type ClaimsResult = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly reason: string };

export function identityFromClaims(claims: Readonly<Record<string, unknown>>, names: ClaimNames): ClaimsResult {
  // A client-credentials token names the client as its subject; some issuers only say client_id.
  const subject = text(claims.sub) ?? text(claims.client_id);
  if (subject === undefined) return { ok: false, reason: 'the token names no subject (no "sub" or "client_id" claim)' };
  // `username` is the name claim of an introspection response (RFC 7662).
  const name = text(claimAt(claims, names.name)) ?? text(claims.username) ?? subject;
  const email = text(claimAt(claims, names.email));
  const identity: Identity = {
    subject,
    name,
    ...(email === undefined ? {} : { email }),
    groups: groupsOf(claimAt(claims, names.groups)),
    auth: 'oidc',
  };
  return { ok: true, identity };
}

/**
 * A claim by name, or by a dotted path into nested objects (`realm_access.roles`). An exact key
 * wins, so namespaced claims whose names contain dots (`https://example.com/groups`) work too.
 */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A list of strings as is; one string as a one-group list; anything else as no groups. */
function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((group): group is string => typeof group === 'string' && group !== ''))];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
