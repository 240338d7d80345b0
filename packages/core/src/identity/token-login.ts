// Token login as one connection sees it: may this transport carry a token, and is this token good.
import type { TokenAuthentication, TokenLogin } from '../driver.js';
import { isLoopbackAddress } from './loopback.js';
import type { OidcVerifier } from './oidc-verifier.js';

/**
 * The `context.oidc` of one connection. `onAccepted` hears when the accepted token stops being
 * honoured, so core can end the session then (identity.oidc.on_expiry).
 */
export function tokenLoginFor(verifier: OidcVerifier, clientAddress: string, onAccepted: (expiresAt: Date | undefined) => void): TokenLogin {
  const { config } = verifier;
  return {
    issuer: config.issuer,
    discoveryUrl: verifier.discoveryUrl,
    scope: config.scope,
    saslOAuthBearer: config.sasl_oauthbearer,
    allowed(clientIsTls) {
      if (clientIsTls) return { ok: true };
      const loopback = isLoopbackAddress(clientAddress);
      if (loopback && config.allow_plaintext_loopback) return { ok: true };
      return {
        ok: false,
        reason: loopback
          ? 'token login needs a TLS connection (identity.oidc.allow_plaintext_loopback would allow plaintext from this machine)'
          : 'token login needs a TLS connection',
      };
    },
    async authenticate(token): Promise<TokenAuthentication> {
      const verdict = await verifier.verify(token);
      if (verdict.ok) onAccepted(verdict.expiresAt);
      return verdict;
    },
  };
}
