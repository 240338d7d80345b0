// Readable reasons for a refused token, for Sluice's log and audit; none of them quotes the token.
import { errors } from 'jose';

/** Why jose refused a JWT, in words an operator can act on. */
export function jwtRefusalReason(error: unknown, expected: { issuer: string; audience: string }): string {
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    return typeof exp === 'number' ? `the token expired at ${new Date(exp * 1000).toISOString()}` : 'the token expired';
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, payload } = error;
    switch (claim) {
      case 'iss':
        return `the token was issued by ${describeClaim(payload.iss)}, not by ${expected.issuer}`;
      case 'aud':
        return `the token is meant for audience ${describeClaim(payload.aud)}, not for ${expected.audience}`;
      case 'nbf':
        return typeof payload.nbf === 'number' ? `the token is not valid before ${new Date(payload.nbf * 1000).toISOString()}` : 'the token is not valid yet';
      case 'exp':
        return 'the token has no expiry time ("exp" claim)';
      default:
        return `the token's "${claim}" claim is invalid (${error.reason})`;
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify: it was altered or signed by another key';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token was signed by a key the issuer does not publish';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not accepted';
  if (error instanceof errors.JWKSTimeout) return 'the issuer did not answer in time for its signing keys';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'the token is not a well-formed JWT';
  if (error instanceof errors.JOSENotSupported) return 'the token uses an unsupported key or algorithm';
  return `the token could not be verified (${messageOf(error)})`;
}

/** An error's message, for errors that come from HTTP calls to the issuer. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** Makes sure a reason never carries the token, whatever a library put in its message. */
export function withoutToken(reason: string, token: string): string {
  return token.length >= 8 && reason.includes(token) ? reason.split(token).join('[token]') : reason;
}

function describeClaim(value: unknown): string {
  if (value === undefined) return 'nobody (no claim)';
  if (Array.isArray(value)) return value.map((item) => JSON.stringify(item)).join(', ');
  return JSON.stringify(value);
}
