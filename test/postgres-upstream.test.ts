// Sluice's login to the upstream PostgreSQL: every auth method, TLS mode and channel binding, against a private server.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, TLSSocket } from 'node:tls';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScramClientExchange } from '../packages/driver-postgres/src/auth/scram-client.js';
import { startPrivatePostgres, type PrivatePostgres, type PrivateRole } from './helpers/private-postgres.js';
import { startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

const ROLES = {
  trust: { name: 'sluice_up_trust', method: 'trust' },
  cleartext: { name: 'sluice_up_cleartext', method: 'password', passwordPrefix: `it's "quoted" ` },
  md5: { name: 'sluice_up_md5', method: 'md5', storage: 'md5', passwordPrefix: 'grüße-' },
  // NO-BREAK SPACE becomes a space under SASLprep, on the server when it stores the verifier and in Sluice.
  scram: { name: 'sluice_up_scram', method: 'scram-sha-256', passwordPrefix: 'naïve\u00a0' },
  sslOnly: { name: 'sluice_up_ssl_only', method: 'scram-sha-256', connection: 'hostssl' },
  noSsl: { name: 'sluice_up_no_ssl', method: 'scram-sha-256', connection: 'hostnossl' },
} as const satisfies Record<string, PrivateRole>;

let server: PrivatePostgres;
let interceptor: TlsInterceptor;
let silent: { port: number; close(): Promise<void> };
let proxy: RunningSluice;

interface Upstream {
  readonly role: keyof typeof ROLES;
  readonly tls: 'disable' | 'prefer' | 'require' | 'verify-full';
  readonly password?: string;
  readonly host?: string;
  readonly port?: number;
  readonly ca?: string;
  /** The listener's timeouts.connect. */
  readonly connectTimeout?: string;
}

/** One Sluice listener per upstream login scenario. */
function scenarios(): Record<string, Upstream> {
  return {
    'trust': { role: 'trust', tls: 'disable' },
    'cleartext': { role: 'cleartext', tls: 'disable' },
    'md5': { role: 'md5', tls: 'disable' },
    'scram': { role: 'scram', tls: 'disable' },
    'cleartext-wrong': { role: 'cleartext', tls: 'disable', password: 'cleartext-wrong-pw' },
    'md5-wrong': { role: 'md5', tls: 'disable', password: 'md5-wrong-pw' },
    'scram-wrong': { role: 'scram', tls: 'disable', password: 'scram-wrong-pw' },
    'scram-prefer': { role: 'scram', tls: 'prefer' },
    'md5-require': { role: 'md5', tls: 'require' },
    'ssl-only-disable': { role: 'sslOnly', tls: 'disable' },
    'ssl-only-require': { role: 'sslOnly', tls: 'require' },
    'no-ssl-require': { role: 'noSsl', tls: 'require' },
    'no-ssl-prefer': { role: 'noSsl', tls: 'prefer' },
    'verify-full': { role: 'sslOnly', tls: 'verify-full', host: 'localhost', ca: server.tls.caFile },
    'verify-full-wrong-ca': { role: 'sslOnly', tls: 'verify-full', host: 'localhost', ca: server.tls.otherCaFile },
    // The certificate names only localhost: 127.0.0.1 is the wrong name for it.
    'verify-full-wrong-host': { role: 'sslOnly', tls: 'verify-full', host: '127.0.0.1', ca: server.tls.caFile },
    'intercepted-scram': { role: 'sslOnly', tls: 'require', port: interceptor.port },
    'intercepted-md5': { role: 'md5', tls: 'require', port: interceptor.port },
    'silent-disable': { role: 'scram', tls: 'disable', port: silent.port, connectTimeout: '300ms' },
    'silent-require': { role: 'scram', tls: 'require', port: silent.port, connectTimeout: '300ms' },
  };
}

beforeAll(async () => {
  server = await startPrivatePostgres(Object.values(ROLES));
  interceptor = await startTlsInterceptor(server.port, server.tls.impostorCertFile, server.tls.impostorKeyFile);
  silent = await startSilentServer();
  const listeners = Object.entries(scenarios()).map(([name, upstream]) => {
    const role = ROLES[upstream.role];
    const fields = {
      host: upstream.host ?? '127.0.0.1',
      port: upstream.port ?? server.port,
      user: role.name,
      ...(role.method === 'trust' ? {} : { password: upstream.password ?? server.passwords[role.name] }),
      database: 'postgres',
      tls: upstream.tls,
      ...(upstream.ca ? { ca: upstream.ca } : {}),
    };
    // JSON is YAML: the passwords' quotes, spaces and non-ASCII letters need no special care.
    const timeouts = upstream.connectTimeout ? `, timeouts: { connect: ${upstream.connectTimeout} }` : '';
    return `  - { name: ${name}, dialect: postgres, listen: 127.0.0.1:0, upstream: ${JSON.stringify(fields)}${timeouts} }`;
  });
  proxy = await startSluice(`listeners:\n${listeners.join('\n')}\n${USERS}`);
});

afterAll(async () => {
  await proxy?.stop();
  await interceptor?.close();
  await silent?.close();
  await server?.stop();
});

function portOf(listener: string): number {
  const address = proxy.sluice.addresses().find((a) => a.name === listener);
  if (!address) throw new Error(`no listener ${listener}`);
  return address.port;
}

function client(listener: string) {
  return new pg.Client({ host: '127.0.0.1', port: portOf(listener), user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
}

/** Logs in through a listener and reports who the server says we are and whether its side of the connection is TLS. */
async function loginThrough(listener: string): Promise<{ user: string; ssl: boolean; answer: number }> {
  const c = client(listener);
  await c.connect();
  try {
    const { rows } = await c.query('select current_user as "user", (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl, 6 * 7 as answer');
    return rows[0] as { user: string; ssl: boolean; answer: number };
  } finally {
    await c.end();
  }
}

/** The error a login through the listener fails with; the client must see a FATAL ErrorResponse, not a dropped socket. */
async function refusalThrough(listener: string): Promise<pg.DatabaseError> {
  const c = client(listener);
  c.on('error', () => undefined);
  const error = await c.connect().then(
    () => {
      void c.end();
      throw new Error(`the login through ${listener} succeeded`);
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(pg.DatabaseError);
  const refusal = error as pg.DatabaseError;
  expect(refusal.severity).toBe('FATAL');
  for (const password of [...Object.values(server.passwords), 'wrong-pw', 'alice-secret-pw']) {
    expect(refusal.message).not.toContain(password);
    expect(refusal.detail ?? '').not.toContain(password);
  }
  return refusal;
}

describe('upstream authentication methods', () => {
  it.each([
    ['trust', ROLES.trust.name],
    ['cleartext', ROLES.cleartext.name],
    ['md5', ROLES.md5.name],
    ['scram', ROLES.scram.name],
  ])('logs in with %s and runs queries', async (listener, upstreamUser) => {
    expect(await loginThrough(listener)).toEqual({ user: upstreamUser, ssl: false, answer: 42 });
  });

  it.each([
    ['cleartext-wrong', ROLES.cleartext.name],
    ['md5-wrong', ROLES.md5.name],
    ['scram-wrong', ROLES.scram.name],
  ])('gives the client a FATAL with the server SQLSTATE 28P01 when the %s password is wrong', async (listener, upstreamUser) => {
    const refusal = await refusalThrough(listener);
    expect(refusal.code).toBe('28P01');
    expect(refusal.message).toBe(`sluice: the database server refused the login: password authentication failed for user "${upstreamUser}"`);
    expect(server.logText()).toContain(`password authentication failed for user "${upstreamUser}"`);
  });

  it('leaves the listener working after a refused upstream login', async () => {
    await refusalThrough('scram-wrong');
    expect((await loginThrough('scram')).answer).toBe(42);
  });
});

describe('upstream TLS modes', () => {
  it('disable: a hostssl-only role is refused by the server with 28000', async () => {
    const refusal = await refusalThrough('ssl-only-disable');
    expect(refusal.code).toBe('28000');
    expect(refusal.message).toMatch(/^sluice: the database server refused the login: no pg_hba\.conf entry for .*"sluice_up_ssl_only".*no encryption/);
  });

  it('prefer: uses TLS when the server offers it', async () => {
    expect(await loginThrough('scram-prefer')).toEqual({ user: ROLES.scram.name, ssl: true, answer: 42 });
  });

  it('prefer: retries without TLS when the server refuses the TLS login, like libpq (hostnossl role)', async () => {
    expect(await loginThrough('no-ssl-prefer')).toEqual({ user: ROLES.noSsl.name, ssl: false, answer: 42 });
  });

  it('require: logs in over TLS, with md5 and with SCRAM on a hostssl-only role', async () => {
    expect(await loginThrough('md5-require')).toEqual({ user: ROLES.md5.name, ssl: true, answer: 42 });
    expect(await loginThrough('ssl-only-require')).toEqual({ user: ROLES.sslOnly.name, ssl: true, answer: 42 });
  });

  it('require: a hostnossl role is refused by the server with 28000', async () => {
    const refusal = await refusalThrough('no-ssl-require');
    expect(refusal.code).toBe('28000');
    expect(refusal.message).toMatch(/no pg_hba\.conf entry for .*"sluice_up_no_ssl".*SSL encryption/);
  });

  it('verify-full: succeeds with the CA that signed the server certificate and its host name', async () => {
    expect(server.tls.serverNames).toEqual(['localhost']);
    expect(await loginThrough('verify-full')).toEqual({ user: ROLES.sslOnly.name, ssl: true, answer: 42 });
  });

  it('verify-full: fails cleanly with another CA', async () => {
    const refusal = await refusalThrough('verify-full-wrong-ca');
    expect(refusal.code).toBe('08006');
    expect(refusal.message).toMatch(/^sluice: TLS with the database server failed: .*(certificate|issuer)/i);
  });

  it('verify-full: fails cleanly when the host name is not in the certificate', async () => {
    const refusal = await refusalThrough('verify-full-wrong-host');
    expect(refusal.code).toBe('08006');
    expect(refusal.message).toMatch(/^sluice: TLS with the database server failed: .*127\.0\.0\.1.*(altnames|not in the cert)/i);
  });
});

describe('a server that accepts the connection and never answers', () => {
  it.each(['silent-disable', 'silent-require'])('%s: the login gives up after timeouts.connect with a clean FATAL', async (listener) => {
    const begun = Date.now();
    const refusal = await refusalThrough(listener);
    expect(Date.now() - begun).toBeLessThan(3_000);
    expect(refusal.code).toBe('08006');
    expect(refusal.message).toBe(`sluice: the database server at 127.0.0.1:${silent.port} did not complete the login within 300 ms`);
  });
});

describe('SCRAM channel binding (SCRAM-SHA-256-PLUS) over TLS', () => {
  it('chooses SCRAM-SHA-256-PLUS with tls-server-end-point when the server offers it over TLS', () => {
    const serverCertificate = derOf(readFileSync(server.tls.impostorCertFile, 'utf8'));
    const plus = new ScramClientExchange({ password: 'x', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'], serverCertificateDer: serverCertificate });
    expect(plus.mechanism).toBe('SCRAM-SHA-256-PLUS');
    expect(plus.clientFirst().toString().startsWith('p=tls-server-end-point,,n=,r=')).toBe(true);
    const plain = new ScramClientExchange({ password: 'x', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] });
    expect(plain.mechanism).toBe('SCRAM-SHA-256');
    expect(plain.clientFirst().toString().startsWith('n,,n=,r=')).toBe(true);
  });

  it('an md5 login passes through a TLS-terminating interceptor: nothing binds it to the server certificate', async () => {
    const before = interceptor.connections;
    expect(await loginThrough('intercepted-md5')).toEqual({ user: ROLES.md5.name, ssl: true, answer: 42 });
    expect(interceptor.connections).toBe(before + 1);
  });

  it('a SCRAM login through the same interceptor fails: the server sees the binding to a certificate it does not have', async () => {
    const before = interceptor.connections;
    const refusal = await refusalThrough('intercepted-scram');
    expect(interceptor.connections).toBe(before + 1);
    expect(refusal.code).toBe('28000');
    expect(refusal.message).toBe('sluice: the database server refused the login: SCRAM channel binding check failed');
    expect(server.logText()).toMatch(/ 28000 sluice_up_ssl_only@postgres FATAL: {2}SCRAM channel binding check failed/);
  });
});

describe('NegotiateProtocolVersion', () => {
  it('answers _pq_ options with NegotiateProtocolVersion, and the raw client goes on to log in and query', async () => {
    const session = await rawLogin(portOf('scram'), 3 << 16, { '_pq_.sluice_test_option': 'on' });
    expect(session.negotiation).toEqual({ newestMinor: 0, unsupported: ['_pq_.sluice_test_option'] });
    expect(await session.query('select current_user')).toEqual([ROLES.scram.name]);
    session.end();
  });

  it('answers protocol 3.2 with NegotiateProtocolVersion for 3.0', async () => {
    const session = await rawLogin(portOf('md5'), (3 << 16) | 2, {});
    expect(session.negotiation).toEqual({ newestMinor: 0, unsupported: [] });
    expect(await session.query("select 'ok'")).toEqual(['ok']);
    session.end();
  });
});

describe('when the server turns TLS off', () => {
  beforeAll(async () => {
    await server.reconfigure('ssl', 'off');
  });

  it('require fails cleanly', async () => {
    const refusal = await refusalThrough('ssl-only-require');
    expect(refusal.code).toBe('08006');
    expect(refusal.message).toBe('sluice: the database server does not accept TLS, and upstream.tls is require');
  });

  it('verify-full fails cleanly', async () => {
    const refusal = await refusalThrough('verify-full');
    expect(refusal.message).toBe('sluice: the database server does not accept TLS, and upstream.tls is verify-full');
  });

  it('prefer goes on without TLS', async () => {
    expect(await loginThrough('scram-prefer')).toEqual({ user: ROLES.scram.name, ssl: false, answer: 42 });
  });
});

describe('secrets', () => {
  it('no password reaches the Sluice log', () => {
    const text = proxy.logText();
    expect(text).toContain('upstream login failed');
    for (const password of [...Object.values(server.passwords), 'cleartext-wrong-pw', 'md5-wrong-pw', 'scram-wrong-pw', 'alice-secret-pw']) {
      expect(text).not.toContain(password);
      // The random part alone, in case a password were logged escaped or cut.
      const random = /pw-[0-9a-f]+$/.exec(password)?.[0];
      if (random) expect(text).not.toContain(random);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A TLS-terminating interceptor: accepts Sluice's SSLRequest and TLS with its own certificate,
// and relays everything over its own TLS connection to the real server.

interface TlsInterceptor {
  readonly port: number;
  /** Connections relayed so far. */
  readonly connections: number;
  close(): Promise<void>;
}

async function startTlsInterceptor(serverPort: number, certFile: string, keyFile: string): Promise<TlsInterceptor> {
  const secureContext = createSecureContext({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
  const sockets = new Set<Socket>();
  let connections = 0;
  const relay: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    void (async () => {
      const request = await readExactly(client, 8);
      if (request.readInt32BE(4) !== 80877103) throw new Error('the interceptor expected an SSLRequest');
      client.write('S');
      const clientTls = new TLSSocket(client, { isServer: true, secureContext });
      clientTls.on('error', () => undefined);
      const upstream = netConnect({ host: '127.0.0.1', port: serverPort });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => undefined);
      await once(upstream, 'connect');
      upstream.write(request);
      const answer = await readExactly(upstream, 1);
      if (answer.toString() !== 'S') throw new Error('the server refused TLS to the interceptor');
      const upstreamTls = tlsConnect({ socket: upstream, rejectUnauthorized: false });
      upstreamTls.on('error', () => undefined);
      await once(upstreamTls, 'secureConnect');
      connections++;
      clientTls.pipe(upstreamTls).pipe(clientTls);
      clientTls.on('close', () => upstreamTls.destroy());
      upstreamTls.on('close', () => clientTls.destroy());
    })().catch(() => client.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  return {
    port: (relay.address() as { port: number }).port,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}

/** Reads exactly `length` bytes and leaves the socket paused, with anything beyond them put back. */
function readExactly(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < length) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (buffered.length > length) socket.unshift(buffered.subarray(length));
      resolve(buffered.subarray(0, length));
    };
    const onClose = () => reject(new Error('closed before enough bytes arrived'));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** Accepts connections and never sends a byte: a hung server, or something that is not PostgreSQL. */
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const silentServer = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  silentServer.listen(0, '127.0.0.1');
  await once(silentServer, 'listening');
  return {
    port: (silentServer.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silentServer.close(resolve));
    },
  };
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

// ---------------------------------------------------------------------------------------------
// A raw protocol client, for what pg cannot send: _pq_ startup options and protocol 3.2.

interface RawSession {
  readonly negotiation: { newestMinor: number; unsupported: string[] } | undefined;
  query(sql: string): Promise<(string | null)[]>;
  end(): void;
}

async function rawLogin(port: number, version: number, options: Record<string, string>): Promise<RawSession> {
  const socket = netConnect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const messages = messageQueue(socket);
  const parameters = { user: 'alice', database: 'postgres', ...options };
  const body = Buffer.concat([int32(version), ...Object.entries(parameters).flatMap(([key, value]) => [cstring(key), cstring(value)]), Buffer.from([0])]);
  socket.write(Buffer.concat([int32(body.length + 4), body]));

  let negotiation: RawSession['negotiation'];
  let scram: ScramClientExchange | undefined;
  for (;;) {
    const message = await messages.next();
    if (message.type === 'v') {
      const count = message.body.readInt32BE(4);
      const unsupported = message.body.subarray(8).toString('utf8').split('\0').slice(0, count);
      negotiation = { newestMinor: message.body.readInt32BE(0) & 0xffff, unsupported };
    } else if (message.type === 'R') {
      const code = message.body.readInt32BE(0);
      if (code === 10) {
        const mechanisms = message.body.subarray(4).toString('utf8').split('\0').filter(Boolean);
        scram = new ScramClientExchange({ password: 'alice-secret-pw', mechanisms });
        const first = scram.clientFirst();
        socket.write(frame('p', Buffer.concat([cstring(scram.mechanism), int32(first.length), first])));
      } else if (code === 11) {
        socket.write(frame('p', scram!.serverFirst(message.body.subarray(4))));
      } else if (code === 12) {
        scram!.serverFinal(message.body.subarray(4));
      } else if (code !== 0) {
        throw new Error(`unexpected authentication request ${code}`);
      }
    } else if (message.type === 'E') {
      throw new Error(`login failed: ${message.body.toString('utf8')}`);
    } else if (message.type === 'Z') {
      break;
    }
  }
  return {
    negotiation,
    query: async (sql) => {
      socket.write(frame('Q', cstring(sql)));
      const values: (string | null)[] = [];
      for (;;) {
        const message = await messages.next();
        if (message.type === 'E') throw new Error(`query failed: ${message.body.toString('utf8')}`);
        if (message.type === 'D') {
          const length = message.body.readInt32BE(2);
          values.push(length < 0 ? null : message.body.subarray(6, 6 + length).toString('utf8'));
        }
        if (message.type === 'Z') return values;
      }
    },
    end: () => socket.end(frame('X', Buffer.alloc(0))),
  };
}

function messageQueue(socket: Socket) {
  let buffered = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake?.();
  });
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  return {
    async next(): Promise<{ type: string; body: Buffer }> {
      for (;;) {
        if (buffered.length >= 5) {
          const length = buffered.readInt32BE(1);
          if (buffered.length >= length + 1) {
            const message = { type: String.fromCharCode(buffered[0]!), body: buffered.subarray(5, length + 1) };
            buffered = buffered.subarray(length + 1);
            return message;
          }
        }
        if (closed) throw new Error('the connection closed');
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

function frame(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(body.length + 4), body]);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function cstring(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
}
