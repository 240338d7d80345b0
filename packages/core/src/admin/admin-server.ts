// The admin HTTP API: health, live sessions, reload, and the routes plugins add (approvals…), all but health authenticated.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from '../logger.js';
import type { StaticUserStore } from '../identity/static-users.js';
import type { AdminResponse, AdminRoute } from '../plugin.js';
import { authenticateAdmin, type BearerVerifier } from './admin-auth.js';
import { consoleRoutes } from './console/serve-console.js';
import { matchRoute } from './route-match.js';

const MAX_BODY = 1 << 20;

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: SecureContext;
  readonly log: Logger;
  /** Read per request, so a reload's new users, groups and plugin routes apply at once. */
  current(): {
    readonly users: StaticUserStore;
    readonly verifyBearer?: BearerVerifier;
    readonly adminGroups: readonly string[];
    readonly routes: readonly AdminRoute[];
  };
  /** Served without authentication. */
  readonly health: readonly AdminRoute[];
}

export class AdminServer {
  readonly #server: Server;
  readonly #options: AdminServerOptions;

  constructor(options: AdminServerOptions) {
    // The web console's static files are public like health; its data comes from the authenticated API.
    this.#options = { ...options, health: [...options.health, ...consoleRoutes()] };
    const handler = (request: IncomingMessage, response: ServerResponse) => {
      this.#handle(request, response).catch((error: unknown) => {
        options.log.error({ error: (error as Error).message, path: request.url }, 'admin request failed');
        send(response, { status: 500, body: { error: 'internal error' } });
      });
    };
    this.#server = options.tls ? createHttpsServer({ secureContext: options.tls }, handler) : createServer(handler);
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://admin');
    const method = request.method ?? 'GET';
    const { users, verifyBearer, adminGroups, routes } = this.#options.current();
    const open = matchRoute([...this.#options.health, ...routes.filter((route) => route.access === 'public')], method, url.pathname);
    if (open && open !== 'method-not-allowed') {
      return send(response, await open.route.handle({ identity: ANONYMOUS, isAdmin: false, params: open.params, query: url.searchParams, body: undefined }));
    }
    const caller = await authenticateAdmin(request, users, verifyBearer);
    if (!caller.ok) {
      this.#options.log.info({ path: url.pathname, reason: caller.reason }, 'admin request refused');
      response.setHeader('WWW-Authenticate', verifyBearer ? 'Basic realm="sluice", charset="UTF-8", Bearer realm="sluice"' : 'Basic realm="sluice", charset="UTF-8"');
      return send(response, { status: 401, body: { error: caller.reason } });
    }
    const matched = matchRoute(routes, method, url.pathname);
    if (matched === undefined) return send(response, { status: 404, body: { error: 'not found' } });
    if (matched === 'method-not-allowed') return send(response, { status: 405, body: { error: 'method not allowed' } });
    const isAdmin = caller.identity.groups.some((group) => adminGroups.includes(group));
    if ((matched.route.access ?? 'admin') === 'admin' && !isAdmin) {
      return send(response, { status: 403, body: { error: `only members of ${adminGroups.join(', ')} may do this` } });
    }
    const body = await readJson(request);
    if (body === INVALID) return send(response, { status: 400, body: { error: 'the body is not valid JSON (at most 1 MB)' } });
    const result = await matched.route.handle({ identity: caller.identity, isAdmin, params: matched.params, query: url.searchParams, body });
    this.#options.log.info({ method, path: url.pathname, user: caller.identity.name, status: result.status }, 'admin request');
    send(response, result);
  }
}

const ANONYMOUS = { subject: 'anonymous', name: 'anonymous', groups: [], auth: 'trust' } as const;
const INVALID = Symbol('invalid body');

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return INVALID;
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return INVALID;
  }
}

function send(response: ServerResponse, result: AdminResponse): void {
  const headers = { ...result.headers };
  if (result.status === 204 || result.body === undefined) {
    response.writeHead(result.status, headers).end();
    return;
  }
  if (result.contentType !== undefined) {
    const bytes = typeof result.body === 'string' ? Buffer.from(result.body, 'utf8') : Buffer.from(result.body as Uint8Array);
    response.writeHead(result.status, { ...headers, 'content-type': result.contentType, 'content-length': bytes.length }).end(bytes);
    return;
  }
  const text = JSON.stringify(result.body);
  response.writeHead(result.status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}
