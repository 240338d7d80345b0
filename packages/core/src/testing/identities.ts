// Identities for synthetic sessions: a name and groups are enough, the rest has defaults.
import type { AuthMethod, Identity } from '../plugin.js';

export interface IdentityInput {
  /** The person's or service's name; default `alice`. */
  readonly user?: string;
  readonly groups?: readonly string[];
  readonly email?: string;
  /** Default: the user name. */
  readonly subject?: string;
  /** Default: `password` (a static user). */
  readonly auth?: AuthMethod;
}

export function identityOf(input: IdentityInput): Identity {
  const name = input.user ?? 'alice';
  return {
    subject: input.subject ?? name,
    name,
    ...(input.email === undefined ? {} : { email: input.email }),
    groups: [...(input.groups ?? [])],
    auth: input.auth ?? 'password',
  };
}
