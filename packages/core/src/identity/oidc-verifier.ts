// Verifies OIDC access tokens: JWTs with the issuer's published keys, opaque tokens by introspection.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as client from 'openid-client';
import type { OidcConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import type { Identity } from '../plugin.js';
import { identityFromClaims, type ClaimNames } from './token-claims.js';
import { oidcSettings, type OidcSettings } from './oidc-settings.js';
import { jwtRefusalReason, messageOf, withoutToken } from './token-reasons.js';
import { keyOf, TokenCache } from './token-cache.js';

export type TokenVerdict =
  | { readonly ok: true; readonly identity: Identity; /** When Sluice stops honouring the token (exp plus clock tolerance). */ readonly expiresAt?: Date }
  | { readonly ok: false; readonly reason: string };

/** How long one HTTP call to the issuer may take. */
const ISSUER_TIMEOUT_SECONDS = 5;

interface Discovered {
  readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  /** Present when identity.oidc.introspection has credentials. */
  readonly introspection: client.Configuration | undefined;
}

export class OidcVerifier {
  /** identity.oidc with its defaults filled in. */
  readonly config: OidcSettings;
  /** The issuer's discovery document, as PostgreSQL's OAUTHBEARER error response points to it. */
  readonly discoveryUrl: string;
  readonly #log: Logger;
  readonly #claims: ClaimNames;
  readonly #introspected = new TokenCache<{ readonly identity: Identity; readonly expiresAt: Date }>();
  readonly #inFlight = new Map<string, Promise<TokenVerdict>>();
  #discovered: Promise<Discovered> | undefined;

  constructor(config: OidcConfig, log: Logger) {
    this.config = oidcSettings(config);
    this.#log = log;
    this.#claims = { name: this.config.name_claim, email: this.config.email_claim, groups: this.config.groups_claim };
    // Built as PostgreSQL builds it from its hba `issuer`, because libpq compares the two byte for byte.
    this.discoveryUrl = config.issuer.includes('/.well-known/') ? config.issuer : `${config.issuer}/.well-known/openid-configuration`;
  }

  /** Fetches the discovery document ahead of the first login; a failure is logged and retried at that login. */
  async warmUp(): Promise<void> {
    try {
      await this.#discover();
      this.#log.info({ issuer: this.config.issuer }, 'OIDC issuer discovered');
    } catch (error) {
      this.#log.warn({ issuer: this.config.issuer, error: messageOf(error) }, 'OIDC issuer discovery failed; retrying at the next token login');
    }
  }

  /** Checks a bearer token; never throws, and the reason never contains the token. */
  async verify(token: string): Promise<TokenVerdict> {
    try {
      const verdict = await this.#verify(token);
      return verdict.ok ? verdict : { ok: false, reason: withoutToken(verdict.reason, token) };
    } catch (error) {
      return { ok: false, reason: withoutToken(`the token could not be checked: ${messageOf(error)}`, token) };
    }
  }

  async #verify(token: string): Promise<TokenVerdict> {
    if (token === '') return { ok: false, reason: 'no token was sent' };
    const parts = token.split('.').length;
    if (parts === 5) return { ok: false, reason: 'encrypted (JWE) tokens are not supported' };
    const discovered = await this.#discoverOrReason();
    if (typeof discovered === 'string') return { ok: false, reason: discovered };
    return parts === 3 ? this.#verifyJwt(token, discovered) : this.#introspect(token, discovered);
  }

  async #verifyJwt(token: string, discovered: Discovered): Promise<TokenVerdict> {
    if (!discovered.jwks) return { ok: false, reason: 'the issuer publishes no signing keys (no jwks_uri), so JWT tokens cannot be checked' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, discovered.jwks, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: [...this.config.algorithms],
        clockTolerance: this.config.clock_tolerance / 1000,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return { ok: false, reason: jwtRefusalReason(error, this.config) };
    }
    return this.#accepted(payload, payload.exp);
  }

  /** Opaque tokens: ask the issuer (RFC 7662), and remember a yes until the token expires. */
  async #introspect(token: string, discovered: Discovered): Promise<TokenVerdict> {
    if (!discovered.introspection) {
      return { ok: false, reason: 'the token is not a JWT, and identity.oidc.introspection has no credentials to ask the issuer about it' };
    }
    const cached = this.#introspected.get(token);
    if (cached) return { ok: true, ...cached };
    const key = keyOf(token);
    const running = this.#inFlight.get(key);
    if (running) return running;
    const asked = this.#askIssuer(token, discovered.introspection).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, asked);
    return asked;
  }

  async #askIssuer(token: string, configuration: client.Configuration): Promise<TokenVerdict> {
    let response: client.IntrospectionResponse;
    try {
      response = await client.tokenIntrospection(configuration, token, { token_type_hint: 'access_token' });
    } catch (error) {
      return { ok: false, reason: `token introspection failed: ${messageOf(error)}` };
    }
    if (response.active !== true) return { ok: false, reason: 'the issuer says the token is not active (expired, revoked or unknown)' };
    if (response.iss !== undefined && response.iss !== this.config.issuer) {
      return { ok: false, reason: `the token was issued by ${JSON.stringify(response.iss)}, not by ${this.config.issuer}` };
    }
    const audiences = response.aud === undefined ? [] : Array.isArray(response.aud) ? response.aud : [response.aud];
    if (!audiences.includes(this.config.audience)) {
      const named = audiences.length === 0 ? 'no audience' : `audience ${audiences.map((a) => JSON.stringify(a)).join(', ')}`;
      return { ok: false, reason: `the token is meant for ${named}, not for ${this.config.audience}` };
    }
    const now = Date.now();
    const tolerance = this.config.clock_tolerance;
    if (typeof response.exp === 'number' && response.exp * 1000 + tolerance <= now) {
      return { ok: false, reason: `the token expired at ${new Date(response.exp * 1000).toISOString()}` };
    }
    if (typeof response.nbf === 'number' && response.nbf * 1000 - tolerance > now) {
      return { ok: false, reason: `the token is not valid before ${new Date(response.nbf * 1000).toISOString()}` };
    }
    const verdict = this.#accepted(response, response.exp);
    // Without an expiry there is nothing to bound the cache by: such tokens are asked about every time.
    if (verdict.ok && verdict.expiresAt) {
      this.#introspected.set(token, { identity: verdict.identity, expiresAt: verdict.expiresAt }, verdict.expiresAt.getTime() - this.config.clock_tolerance);
    }
    return verdict;
  }

  #accepted(claims: Readonly<Record<string, unknown>>, exp: number | undefined): TokenVerdict {
    const result = identityFromClaims(claims, this.#claims);
    if (!result.ok) return result;
    return {
      ok: true,
      identity: result.identity,
      ...(typeof exp === 'number' ? { expiresAt: new Date(exp * 1000 + this.config.clock_tolerance) } : {}),
    };
  }

  async #discoverOrReason(): Promise<Discovered | string> {
    try {
      return await this.#discover();
    } catch (error) {
      return `the issuer's discovery document could not be fetched: ${messageOf(error)}`;
    }
  }

  /** Discovery once per generation; a failed attempt is forgotten so the next login tries again. */
  #discover(): Promise<Discovered> {
    this.#discovered ??= this.#fetchDiscovery().catch((error: unknown) => {
      this.#discovered = undefined;
      throw error;
    });
    return this.#discovered;
  }

  async #fetchDiscovery(): Promise<Discovered> {
    const issuer = new URL(this.config.issuer);
    const insecure = issuer.protocol === 'http:'; // only loopback issuers get here (the schema checks)
    const options: client.DiscoveryRequestOptions = { timeout: ISSUER_TIMEOUT_SECONDS, ...(insecure ? { execute: [client.allowInsecureRequests] } : {}) };
    const credentials = this.config.introspection;
    const configuration = credentials
      ? await client.discovery(issuer, credentials.client_id, credentials.client_secret, client.ClientSecretBasic(credentials.client_secret), options)
      : await client.discovery(issuer, this.config.login?.client_id ?? 'sluice', undefined, client.None(), options);
    const metadata = configuration.serverMetadata();
    const jwks = metadata.jwks_uri
      ? createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: ISSUER_TIMEOUT_SECONDS * 1000 })
      : undefined;
    if (credentials && !metadata.introspection_endpoint) {
      this.#log.warn({ issuer: this.config.issuer }, 'the issuer has no introspection endpoint: opaque tokens will be refused');
    }
    return { jwks, introspection: credentials && metadata.introspection_endpoint ? configuration : undefined };
  }
}
