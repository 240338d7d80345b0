// TLS inside PRELOGIN packets: a real TLS handshake through two bridges, wrapped on the wire, bare afterwards, and dropped after the login.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createSecureContext, TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PreloginTlsBridge } from './tls-bridge.js';

let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tds-bridge-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  key = readFileSync(join(dir, 'key.pem'));
  cert = readFileSync(join(dir, 'cert.pem'));
});

const servers: ReturnType<typeof createServer>[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

const once = <T>(emitter: NodeJS.EventEmitter, event: string) => new Promise<T>((resolve) => emitter.once(event, (value: T) => resolve(value)));

async function pair(): Promise<{ server: TLSSocket; client: TLSSocket; serverBridge: PreloginTlsBridge; clientBridge: PreloginTlsBridge; serverRaw: Socket; clientRaw: Socket; wire: Buffer[] }> {
  const wire: Buffer[] = [];
  const server0 = createServer();
  servers.push(server0);
  server0.listen(0, '127.0.0.1');
  await once(server0, 'listening');
  const accepted = once<Socket>(server0, 'connection');
  const clientRaw = connect((server0.address() as AddressInfo).port, '127.0.0.1');
  const serverRaw = await accepted;
  serverRaw.on('data', (chunk: Buffer) => wire.push(chunk));
  const serverBridge = new PreloginTlsBridge(serverRaw);
  const clientBridge = new PreloginTlsBridge(clientRaw);
  const server = new TLSSocket(serverBridge as unknown as Socket, { isServer: true, secureContext: createSecureContext({ key, cert, maxVersion: 'TLSv1.2' }) });
  const client = tlsConnect({ socket: clientBridge as unknown as Socket, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
  await Promise.all([once(server, 'secure'), once(client, 'secureConnect')]);
  serverBridge.handshakeDone();
  clientBridge.handshakeDone();
  return { server, client, serverBridge, clientBridge, serverRaw, clientRaw, wire };
}

it('carries the handshake in PRELOGIN packets, then application data as bare TLS records', async () => {
  const { server, client, wire, serverRaw, clientRaw } = await pair();
  expect(wire[0]![0]).toBe(0x12); // the ClientHello arrived inside a PRELOGIN packet
  expect(wire[0]![8]).toBe(0x16); // a TLS handshake record after the 8-byte header
  const before = wire.length;
  client.write('LOGIN7 inside TLS');
  const received = await once<Buffer>(server, 'data');
  expect(received.toString()).toBe('LOGIN7 inside TLS');
  expect(wire[before]![0]).toBe(0x17); // application data: a bare TLS record
  server.write('reply');
  expect((await once<Buffer>(client, 'data')).toString()).toBe('reply');
  serverRaw.destroy();
  clientRaw.destroy();
});

it('lets both sides drop TLS after the login (encryption OFF) and go on in plaintext', async () => {
  const { server, client, serverBridge, clientBridge, serverRaw, clientRaw } = await pair();
  await new Promise<void>((resolve) => client.write('LOGIN7', () => resolve()));
  expect((await once<Buffer>(server, 'data')).toString()).toBe('LOGIN7');
  const serverRest = serverBridge.bypass();
  const clientRest = clientBridge.bypass();
  expect(serverRest.length + clientRest.length).toBe(0);
  const plain = once<Buffer>(serverRaw, 'data');
  clientRaw.write('plaintext after login');
  expect((await plain).toString()).toBe('plaintext after login');
  serverRaw.destroy();
  clientRaw.destroy();
});
