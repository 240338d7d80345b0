// PostgreSQL protocol corners through Sluice: direct TLS, GSSENC refusal, cancel routing, protocol negotiation.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresListener, startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-proto-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });

let proxy: RunningSluice;
beforeAll(async () => {
  proxy = await startSluice(postgresListener(USERS).replace('    environment: test', `    environment: test\n    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }`));
});
afterAll(async () => {
  await proxy?.stop();
});

function startupMessage(parameters: Record<string, string>, version = 196608): Buffer {
  const pairs = Object.entries(parameters).flatMap(([k, v]) => [Buffer.from(`${k}\0${v}\0`)]);
  const body = Buffer.concat([Buffer.alloc(4), ...pairs, Buffer.from([0])]);
  body.writeInt32BE(version, 0);
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4, 0);
  return Buffer.concat([length, body]);
}

/** Sends bytes and collects what comes back until `done` says so or the peer closes. */
function exchange(socket: Socket, send: Buffer, done: (received: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (done(received)) resolve(received);
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(send);
  });
}

describe('direct TLS (sslnegotiation=direct)', () => {
  it('accepts a TLS handshake with ALPN postgresql and then the startup message', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, ALPNProtocols: ['postgresql'], rejectUnauthorized: false });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    expect(socket.alpnProtocol).toBe('postgresql');
    const reply = await exchange(socket, startupMessage({ user: 'alice', database: 'postgres' }), (r) => r.length >= 1);
    expect(String.fromCharCode(reply[0]!)).toBe('R'); // AuthenticationSASL
    expect(reply.toString('latin1')).toContain('SCRAM-SHA-256-PLUS');
    socket.destroy();
  });

  it('refuses direct TLS without the postgresql ALPN protocol', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, rejectUnauthorized: false });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const reply = await exchange(socket, Buffer.alloc(0), () => false);
    expect(reply.toString('latin1')).toContain('08P01');
    expect(reply.toString('latin1')).toContain('ALPN');
  });
});

describe('startup requests', () => {
  it('answers GSSENCRequest with N and goes on with the startup', async () => {
    const socket = netConnect(proxy.port, '127.0.0.1');
    const gssenc = Buffer.alloc(8);
    gssenc.writeInt32BE(8, 0);
    gssenc.writeInt32BE(80877104, 4);
    const answer = await exchange(socket, gssenc, (r) => r.length >= 1);
    expect(answer.toString()).toBe('N');
    socket.removeAllListeners('data');
    const reply = await exchange(socket, startupMessage({ user: 'alice' }), (r) => r.length >= 1);
    expect(String.fromCharCode(reply[0]!)).toBe('R');
    socket.destroy();
  });

  it('negotiates the protocol version down for a client asking 3.2 with _pq_ options', async () => {
    const socket = netConnect(proxy.port, '127.0.0.1');
    const reply = await exchange(socket, startupMessage({ user: 'alice', '_pq_.experimental': 'on' }, (3 << 16) | 2), (r) => r.length > 30);
    expect(String.fromCharCode(reply[0]!)).toBe('v'); // NegotiateProtocolVersion
    expect(reply.readInt32BE(5)).toBe(3 << 16); // newest supported: 3.0
    expect(reply.readInt32BE(9)).toBe(1);
    expect(reply.toString('latin1', 13)).toContain('_pq_.experimental');
    socket.destroy();
  });

  it('refuses an unsupported major protocol version', async () => {
    const socket = netConnect(proxy.port, '127.0.0.1');
    const reply = await exchange(socket, startupMessage({ user: 'alice' }, 2 << 16), () => false);
    expect(reply.toString('latin1')).toContain('unsupported frontend protocol 2.0');
  });
});

describe('CancelRequest', () => {
  it('cancels the running statement of the right session', async () => {
    const victim = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
    const bystander = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'bob', password: 'bob-secret-pw', database: 'postgres' });
    await Promise.all([victim.connect(), bystander.connect()]);
    const keys = victim as unknown as { processID: number; secretKey: number };
    const started = Date.now();
    const sleeping = victim.query('select pg_sleep(20)');
    const bystanderSleep = bystander.query('select pg_sleep(1) as slept');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancel = Buffer.alloc(16);
    cancel.writeInt32BE(16, 0);
    cancel.writeInt32BE(80877102, 4);
    cancel.writeInt32BE(keys.processID, 8);
    cancel.writeInt32BE(keys.secretKey, 12);
    await exchange(netConnect(proxy.port, '127.0.0.1'), cancel, () => false);
    await expect(sleeping).rejects.toMatchObject({ code: '57014' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await bystanderSleep).rows).toEqual([{ slept: '' }]);
    await Promise.all([victim.end(), bystander.end()]);
  });

  it('ignores a cancel with a wrong key', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
    await client.connect();
    const keys = client as unknown as { processID: number; secretKey: number };
    const running = client.query('select pg_sleep(0.5) as done');
    const cancel = Buffer.alloc(16);
    cancel.writeInt32BE(16, 0);
    cancel.writeInt32BE(80877102, 4);
    cancel.writeInt32BE(keys.processID, 8);
    cancel.writeInt32BE(keys.secretKey ^ 1, 12);
    await exchange(netConnect(proxy.port, '127.0.0.1'), cancel, () => false);
    await expect(running).resolves.toMatchObject({ rows: [{ done: '' }] });
    await client.end();
  });
});
