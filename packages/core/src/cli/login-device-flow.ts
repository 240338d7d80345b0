// The OAuth device authorization flow (RFC 8628) for `sluice login`: show a code, wait for the person, get a token.
import * as client from 'openid-client';
import { isLoopbackHost } from '../identity/loopback.js';

export interface DeviceFlowOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string;
  /** RFC 8707 resource indicator, for issuers that mint access tokens per API. */
  readonly resource?: string;
  /** Tells the person where to go and which code to enter. */
  announce(prompt: { verificationUri: string; verificationUriComplete?: string; userCode: string }): void;
}

export interface DeviceFlowResult {
  readonly accessToken: string;
  /** Seconds until the access token expires, when the issuer says. */
  readonly expiresIn?: number;
}

export async function deviceFlowToken(options: DeviceFlowOptions): Promise<DeviceFlowResult> {
  const issuer = new URL(options.issuer);
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname))) {
    throw new Error(`the issuer ${options.issuer} must use https (http only on a loopback address)`);
  }
  const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
  const configuration = await client.discovery(issuer, options.clientId, undefined, client.None(), { execute, timeout: 10 });
  const resource: Record<string, string> = options.resource === undefined ? {} : { resource: options.resource };
  const authorization = await client.initiateDeviceAuthorization(configuration, { scope: options.scope, ...resource });
  options.announce({
    verificationUri: authorization.verification_uri,
    ...(authorization.verification_uri_complete === undefined ? {} : { verificationUriComplete: authorization.verification_uri_complete }),
    userCode: authorization.user_code,
  });
  const tokens = await client.pollDeviceAuthorizationGrant(configuration, authorization, resource);
  return { accessToken: tokens.access_token, ...(tokens.expires_in === undefined ? {} : { expiresIn: tokens.expires_in }) };
}
