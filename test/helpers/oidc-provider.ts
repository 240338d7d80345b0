// A real OpenID provider (oidc-provider 8) in the test process: service clients, the device flow, introspection.
import { createSign, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/** The audience of tokens for Sluice, and the resource indicator (RFC 8707) a client asks for them with. */
export const SLUICE_AUDIENCE = 'sluice';
export const SLUICE_RESOURCE = 'urn:sluice:db';
/** Another API: its tokens carry the wrong audience for Sluice. */
export const OTHER_RESOURCE = 'urn:test:other-api';
const AUDIENCES: Record<string, string> = { [SLUICE_RESOURCE]: SLUICE_AUDIENCE, [OTHER_RESOURCE]: 'other-api' };

/** People who sign in through the device flow, with the claims their tokens carry. */
export const ACCOUNTS: Record<string, { email: string; groups: string[] }> = {
  alice: { email: 'alice@example.com', groups: ['dba'] },
  bob: { email: 'bob@example.com', groups: ['analyst'] },
};

/** Services using client credentials: their secret is `${id}-secret`. */
export const SERVICES: Record<string, { groups: string[]; opaque?: boolean }> = {
  'svc-dba': { groups: ['dba'] },
  'svc-analyst': { groups: ['analyst', 'reporting'] },
  'svc-nobody': { groups: [] },
  'svc-opaque': { groups: ['analyst'], opaque: true },
  'svc-pii': { groups: ['analyst', 'pii-readers'] },
};

/** Sluice's own confidential client for token introspection. */
export const INTROSPECTION_CLIENT = { id: 'sluice-proxy', secret: 'sluice-proxy-secret' };
/** The public client `sluice login` runs the device flow with. */
export const LOGIN_CLIENT = 'sluice-cli';

export interface SigningKey {
  readonly privateJwk: JsonWebKey & { kid: string };
}

export function newSigningKey(kid: string): SigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } as JsonWebKey & { kid: string } };
}

export interface TestIssuer {
  readonly issuer: string;
  readonly provider: Provider;
  readonly key: SigningKey;
  /** How many introspection requests reached the provider. */
  introspections(): number;
  /** An access token for a service from SERVICES, for `resource` (default Sluice), living `ttlSeconds`. */
  serviceToken(clientId: string, options?: { resource?: string; ttlSeconds?: number }): Promise<string>;
  /** Plays the person at the browser: opens the verification page, signs in as `login`, consents. */
  approveDevice(verificationUriComplete: string, login: string): Promise<void>;
  close(): Promise<void>;
}

export interface IssuerOptions {
  /** Sign with this key (default: a fresh one); two issuers sharing a key differ only in `iss`. */
  readonly key?: SigningKey;
  /** Listen on this port (default: any free one), e.g. to bring an issuer back where it was. */
  readonly port?: number;
}

export async function startIssuer(options: IssuerOptions = {}): Promise<TestIssuer> {
  const key = options.key ?? newSigningKey('test-key-1');
  let handler: RequestListener | undefined;
  let introspections = 0;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/token/introspection')) introspections++;
    handler!(req, res);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Per-request TTL override for serviceToken(): the provider reads it while issuing.
  const ttlByClient = new Map<string, number>();

  const clients: ClientMetadata[] = [
    ...Object.keys(SERVICES).map((id) => ({
      client_id: id,
      client_secret: `${id}-secret`,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    })),
    { client_id: INTROSPECTION_CLIENT.id, client_secret: INTROSPECTION_CLIENT.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
    {
      client_id: LOGIN_CLIENT,
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    },
  ];

  const configuration: Configuration = {
    clients,
    jwks: { keys: [key.privateJwk as never] },
    cookies: { keys: ['sluice-test-cookie-key'] },
    ttl: {
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
      DeviceCode: 600,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    async findAccount(_ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: account.email, preferred_username: id }) };
    },
    claims: { openid: ['sub'], email: ['email'], profile: ['preferred_username'] },
    async extraTokenClaims(_ctx, token) {
      const accountId = 'accountId' in token ? token.accountId : undefined;
      const account = accountId ? ACCOUNTS[accountId] : undefined;
      if (account) return { preferred_username: accountId, email: account.email, groups: account.groups };
      const service = SERVICES[token.clientId ?? ''];
      return service ? { groups: service.groups } : undefined;
    },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? SLUICE_RESOURCE,
        useGrantedResource: async () => true,
        async getResourceServerInfo(_ctx, resource, client) {
          const audience = AUDIENCES[resource];
          if (audience === undefined) throw new Error(`unknown resource ${resource}`);
          const opaque = SERVICES[client.clientId]?.opaque === true;
          const ttl = ttlByClient.get(client.clientId);
          return {
            scope: 'db',
            audience,
            accessTokenFormat: opaque ? 'opaque' : 'jwt',
            ...(ttl === undefined ? {} : { accessTokenTTL: ttl }),
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  };
  const provider = new Provider(issuer, configuration);
  // RFC 8628 lets the server name the polling interval; 1 s keeps the device-flow test short.
  provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next();
    if (ctx.path === '/device/auth' && ctx.body && typeof ctx.body === 'object') (ctx.body as Record<string, unknown>).interval = 1;
  });
  handler = provider.callback();

  return {
    issuer,
    provider,
    key,
    introspections: () => introspections,
    async serviceToken(clientId, tokenOptions = {}) {
      if (tokenOptions.ttlSeconds === undefined) ttlByClient.delete(clientId);
      else ttlByClient.set(clientId, tokenOptions.ttlSeconds);
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'db', resource: tokenOptions.resource ?? SLUICE_RESOURCE }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`token request for ${clientId} failed: ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
    approveDevice: (uri, login) => approveDevice(uri, login),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JWT like the issuer's, signed with `key` instead (same `kid` unless the key has its own). */
export function forgeToken(claims: Record<string, unknown>, key: SigningKey): string {
  const header = { alg: 'RS256', typ: 'at+jwt', kid: key.privateJwk.kid };
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode(header)}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign({ key: key.privateJwk, format: 'jwk' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** The claims of a JWT, unverified (to build look-alike tokens in tests). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

/** The same JWT with some claims changed and the original signature kept. */
export function tamper(jwt: string, changes: Record<string, unknown>): string {
  const [header, , signature] = jwt.split('.');
  const payload = Buffer.from(JSON.stringify({ ...claimsOf(jwt), ...changes })).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * Walks the provider's own pages like a browser: follows redirects with a cookie jar and submits
 * each form it meets (confirm the user code, sign in, consent) until the success page.
 */
async function approveDevice(start: string, login: string): Promise<void> {
  const cookies = new Map<string, string>();
  const origin = new URL(start).origin;
  const request = async (url: string, form?: Record<string, string>) => {
    const response = await fetch(new URL(url, origin), {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form) } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1).trim());
    }
    return { status: response.status, location: response.headers.get('location'), body: await response.text() };
  };

  let page = await request(start);
  for (let step = 0; step < 20; step++) {
    if (page.location) {
      page = await request(page.location);
      continue;
    }
    if (page.body.includes('Sign-in Success')) return;
    const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
    if (!action || page.status >= 400) throw new Error(`unexpected page (${page.status}): ${page.body.slice(0, 500)}`);
    const hidden = Object.fromEntries([...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/?>/g)].map((m) => [m[1]!, m[2]!]));
    if (hidden.prompt === 'login') page = await request(action, { ...hidden, login, password: 'any' });
    else page = await request(action, hidden);
  }
  throw new Error('the device flow did not finish');
}
