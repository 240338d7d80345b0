// Authenticates a LOGIN7: a static user's password, or an OIDC access token (FEDAUTH security token, or the password of a name that is no static user).
import type { ConnectionContext, Identity, StaticUserStore } from '@sluice/core';
import { decodeFedAuth, FeatureId, FedAuthLibrary, type Login7 } from './login7.js';

type TokenLogin = NonNullable<ConnectionContext['oidc']>;

/** The longest password SQL Server clients put in LOGIN7. */
const MAX_PASSWORD_CHARS = 128;

export type LoginAuthResult =
  | { readonly ok: true; readonly identity: Identity; readonly fedAuth: boolean }
  /** `reason` is for Sluice's log and the refusal report; `message` for the client. Neither holds a secret. */
  | { readonly ok: false; readonly reason: string; readonly message: string };

export interface LoginIdentities {
  readonly users: StaticUserStore;
  readonly oidc?: TokenLogin;
}

export async function authenticateLogin(login: Login7, identities: LoginIdentities, encrypted: boolean): Promise<LoginAuthResult> {
  const loginFailed = (user: string) => `Login failed for user '${user}'.`;
  const fedAuthFeature = login.features.find((feature) => feature.id === FeatureId.FedAuth);
  if (fedAuthFeature) {
    const fedAuth = decodeFedAuth(fedAuthFeature);
    if (!fedAuth || fedAuth.library !== FedAuthLibrary.SecurityToken || fedAuth.token === undefined) {
      const reason = 'only the FEDAUTH security-token workflow is supported (send an access token)';
      return { ok: false, reason, message: `sluice: ${reason}` };
    }
    return authenticateToken(identities.oidc, fedAuth.token, encrypted, '<token-identified principal>', true);
  }
  if (login.sspi.length > 0) {
    const reason = 'integrated (SSPI) authentication is not supported: use a SQL login or an access token';
    return { ok: false, reason, message: `sluice: ${reason}` };
  }
  const user = login.userName;
  if (!identities.users.find(user) && identities.oidc) {
    // Some clients cut LOGIN7 passwords at 128 characters (FreeTDS does): a JWT cut there never verifies.
    // Longer passwords arrived whole, so the hint is only for one of exactly that length.
    const cut = login.password.length === MAX_PASSWORD_CHARS;
    const hint = cut ? ` (a LOGIN7 password holds at most ${MAX_PASSWORD_CHARS} characters: send a longer token as a FEDAUTH token, or use an opaque token)` : '';
    return authenticateToken(identities.oidc, login.password, encrypted, user, false, hint);
  }
  const credential = identities.users.checkPassword(user, login.password);
  if (!credential) return { ok: false, reason: `password authentication failed for user "${user}"`, message: loginFailed(user) };
  return { ok: true, identity: credential.identity, fedAuth: false };
}

/** `refusalHint` follows the reason when the token itself is refused (not when the transport is). */
async function authenticateToken(oidc: TokenLogin | undefined, token: string, encrypted: boolean, user: string, fedAuth: boolean, refusalHint = ''): Promise<LoginAuthResult> {
  if (!oidc) {
    const reason = 'token login is not configured (no identity.oidc)';
    return { ok: false, reason, message: `sluice: ${reason}` };
  }
  const allowed = oidc.allowed(encrypted);
  if (!allowed.ok) return { ok: false, reason: allowed.reason, message: `sluice: ${allowed.reason}` };
  const result = await oidc.authenticate(token);
  if (!result.ok) return { ok: false, reason: `token refused: ${result.reason}${refusalHint}`, message: `Login failed for user '${user}'.` };
  return { ok: true, identity: result.identity, fedAuth };
}
