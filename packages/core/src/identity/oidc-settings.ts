// identity.oidc with every default filled in: the one place the defaults of the optional keys live.
import type { OidcConfig } from '../config/index.js';
import { TOKEN_ALGORITHMS, type TokenAlgorithm } from './token-algorithms.js';

export const OIDC_DEFAULTS = {
  name_claim: 'preferred_username',
  email_claim: 'email',
  scope: 'openid',
  algorithms: TOKEN_ALGORITHMS,
  clock_tolerance: 30_000,
  on_expiry: 'end_session',
  allow_plaintext_loopback: false,
  sasl_oauthbearer: false,
} as const satisfies Partial<Record<keyof OidcConfig, unknown>>;

export interface OidcSettings extends Omit<OidcConfig, keyof typeof OIDC_DEFAULTS> {
  readonly name_claim: string;
  readonly email_claim: string;
  readonly scope: string;
  readonly algorithms: readonly TokenAlgorithm[];
  /** Milliseconds. */
  readonly clock_tolerance: number;
  readonly on_expiry: 'end_session' | 'keep';
  readonly allow_plaintext_loopback: boolean;
  readonly sasl_oauthbearer: boolean;
}

export function oidcSettings(config: OidcConfig): OidcSettings {
  return {
    ...config,
    name_claim: config.name_claim ?? OIDC_DEFAULTS.name_claim,
    email_claim: config.email_claim ?? OIDC_DEFAULTS.email_claim,
    scope: config.scope ?? OIDC_DEFAULTS.scope,
    algorithms: config.algorithms ?? OIDC_DEFAULTS.algorithms,
    clock_tolerance: config.clock_tolerance ?? OIDC_DEFAULTS.clock_tolerance,
    on_expiry: config.on_expiry ?? OIDC_DEFAULTS.on_expiry,
    allow_plaintext_loopback: config.allow_plaintext_loopback ?? OIDC_DEFAULTS.allow_plaintext_loopback,
    sasl_oauthbearer: config.sasl_oauthbearer ?? OIDC_DEFAULTS.sasl_oauthbearer,
  };
}
