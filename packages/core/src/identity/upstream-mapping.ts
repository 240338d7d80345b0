// Maps an identity to the database login of a listener: upstream.by_group, the default user, or nothing.
import type { UpstreamConfig } from '../config/index.js';
import type { Identity } from '../plugin.js';

/** As whom a session logs in to the database, and the role it then takes (upstream.set_role). */
export interface UpstreamLogin {
  readonly user?: string;
  readonly password?: string;
  readonly role?: string;
}

export type UpstreamLoginResult = { readonly ok: true; readonly login: UpstreamLogin } | { readonly ok: false; readonly reason: string };

type MappingConfig = Pick<UpstreamConfig, 'user' | 'password' | 'by_group' | 'set_role'>;

/**
 * The first `by_group` entry whose group the identity has picks the login (or, with `set_role`, the
 * role the listener's own login switches to); otherwise the listener's `user`. A static user on a
 * listener with neither `user` nor `by_group` logs in under its own name, as before identity mapping
 * existed. Anything else maps to nothing and is refused.
 */
export function upstreamLoginFor(upstream: MappingConfig, identity: Identity): UpstreamLoginResult {
  const byGroup = upstream.by_group ?? [];
  const entry = byGroup.find((candidate) => identity.groups.includes(candidate.group));
  const password = (value: string | undefined) => (value === undefined ? {} : { password: value });
  if (upstream.set_role) {
    if (!entry) return { ok: false, reason: unmapped(identity, 'matches no upstream.by_group entry to SET ROLE to') };
    return { ok: true, login: { user: upstream.user!, ...password(upstream.password), role: entry.user } };
  }
  if (entry) return { ok: true, login: { user: entry.user, ...password(entry.password) } };
  if (upstream.user) return { ok: true, login: { user: upstream.user, ...password(upstream.password) } };
  if (byGroup.length === 0 && identity.auth !== 'oidc') {
    return { ok: true, login: { user: identity.name, ...password(upstream.password) } };
  }
  return { ok: false, reason: unmapped(identity, 'matches no upstream.by_group entry and the listener has no upstream.user') };
}

function unmapped(identity: Identity, why: string): string {
  const groups = identity.groups.length === 0 ? 'no groups' : `groups ${identity.groups.join(', ')}`;
  return `identity "${identity.name}" (${groups}) ${why}`;
}
