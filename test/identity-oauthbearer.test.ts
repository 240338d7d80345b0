// SASL OAUTHBEARER (RFC 7628) as PostgreSQL 18's libpq speaks it, driven by a raw protocol client over TLS.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOAuthBearerResponse } from '../packages/driver-postgres/src/client-auth.js';
import { cstring, int32, typed, untyped } from '../packages/driver-postgres/src/testing/messages.js';
import { startIssuer, type TestIssuer } from './helpers/oidc-provider.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-identity-oauthbearer-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });

let issuer: TestIssuer;
let proxy: RunningSluice;

beforeAll(async () => {
  issuer = await startIssuer();
  proxy = await startSluice(`
listeners:
  - name: pg-oauth
    dialect: postgres
    listen: 127.0.0.1:0
    tls: { cert: ${join(dir, 'cert.pem')}, key: ${join(dir, 'key.pem')} }
    upstream: { host: 127.0.0.1, port: 5432, user: postgres, database: postgres, tls: disable }
identity:
  users:
    - { name: alice, password: alice-secret-pw }
  oidc:
    issuer: ${issuer.issuer}
    audience: sluice
    scope: openid db
    sasl_oauthbearer: true
`);
});

afterAll(async () => {
  await proxy?.stop(200);
  await issuer?.close();
});

interface Message {
  readonly code: string;
  readonly body: Buffer;
}

/** A PostgreSQL client at the message level: TLS after an SSLRequest, then typed messages. */
class WireClient {
  #received = Buffer.alloc(0);
  #waiting: (() => void) | undefined;
  #closed = false;

  private constructor(readonly socket: Socket | TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#waiting?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number, tls: boolean): Promise<WireClient> {
    const plain = netConnect({ host: '127.0.0.1', port });
    await new Promise((resolve) => plain.once('connect', resolve));
    if (!tls) return new WireClient(plain);
    plain.write(untyped(int32(80877103)));
    const answer = await new Promise<Buffer>((resolve) => plain.once('data', resolve));
    expect(answer.toString()).toBe('S');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    return new WireClient(secure);
  }

  startup(user: string): void {
    this.socket.write(untyped(int32(196608), cstring('user'), cstring(user), cstring('database'), cstring('postgres'), Buffer.from([0])));
  }

  send(message: Buffer): void {
    this.socket.write(message);
  }

  async next(): Promise<Message> {
    for (;;) {
      if (this.#received.length >= 5) {
        const length = this.#received.readInt32BE(1);
        if (this.#received.length >= length + 1) {
          const message = { code: String.fromCharCode(this.#received[0]!), body: this.#received.subarray(5, length + 1) };
          this.#received = this.#received.subarray(length + 1);
          return message;
        }
      }
      if (this.#closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

const saslInitialResponse = (mechanism: string, data: Buffer) => typed('p', cstring(mechanism), int32(data.length), data);
const bearer = (auth: string) => Buffer.from(`n,,\x01auth=${auth}\x01\x01`, 'latin1');

function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let offset = 0;
  while (body[offset] !== 0 && offset < body.length) {
    const end = body.indexOf(0, offset + 1);
    fields[String.fromCharCode(body[offset]!)] = body.subarray(offset + 1, end).toString();
    offset = end + 1;
  }
  return fields;
}

/** Starts a login and returns the mechanisms the AuthenticationSASL message offers. */
async function mechanismsOffered(client: WireClient, user: string): Promise<string[]> {
  client.startup(user);
  const request = await client.next();
  expect(request.code).toBe('R');
  expect(request.body.readInt32BE(0)).toBe(10); // AuthenticationSASL
  return request.body.subarray(4).toString().split('\0').filter(Boolean);
}

describe('OAUTHBEARER', () => {
  it('is offered to token users over TLS, and a valid bearer token logs in', async () => {
    const client = await WireClient.open(proxy.port, true);
    expect(await mechanismsOffered(client, 'svc-dba')).toEqual(['OAUTHBEARER']);
    client.send(saslInitialResponse('OAUTHBEARER', bearer(`Bearer ${await issuer.serviceToken('svc-dba')}`)));
    const ok = await client.next();
    expect([ok.code, ok.body.readInt32BE(0)]).toEqual(['R', 0]); // AuthenticationOk, with no SASLFinal before it
    let message = await client.next();
    while (message.code !== 'Z') message = await client.next();
    client.send(typed('Q', cstring('select current_user')));
    const rows: string[] = [];
    for (message = await client.next(); message.code !== 'Z'; message = await client.next()) {
      if (message.code === 'D') rows.push(message.body.subarray(6).toString());
    }
    expect(rows).toEqual(['postgres']);
    client.close();
  });

  it('answers a discovery request with the issuer’s discovery document and scope, then fails as libpq expects', async () => {
    const client = await WireClient.open(proxy.port, true);
    await mechanismsOffered(client, 'svc-dba');
    client.send(saslInitialResponse('OAUTHBEARER', bearer('')));
    const challenge = await client.next();
    expect([challenge.code, challenge.body.readInt32BE(0)]).toEqual(['R', 11]); // AuthenticationSASLContinue
    const error = JSON.parse(challenge.body.subarray(4).toString()) as Record<string, string>;
    expect(error).toEqual({ status: 'invalid_token', 'openid-configuration': `${issuer.issuer}/.well-known/openid-configuration`, scope: 'openid db' });
    const document = (await (await fetch(error['openid-configuration']!)).json()) as { issuer: string; device_authorization_endpoint: string };
    expect(document.issuer).toBe(issuer.issuer);
    expect(document.device_authorization_endpoint).toBeDefined();
    client.send(typed('p', Buffer.from([0x01])));
    const fatal = await client.next();
    expect(fatal.code).toBe('E');
    expect(errorFields(fatal.body)).toMatchObject({ S: 'FATAL', C: '28000', M: 'OAuth bearer authentication failed for user "svc-dba"' });
    client.close();
  });

  it('refuses a bad token with the same error response, and says why in the log', async () => {
    const client = await WireClient.open(proxy.port, true);
    await mechanismsOffered(client, 'svc-dba');
    const token = await issuer.serviceToken('svc-dba', { resource: 'urn:test:other-api' });
    client.send(saslInitialResponse('OAUTHBEARER', bearer(`Bearer ${token}`)));
    const challenge = await client.next();
    expect(JSON.parse(challenge.body.subarray(4).toString())).toMatchObject({ status: 'invalid_token' });
    client.send(typed('p', Buffer.from([0x01])));
    expect(errorFields((await client.next()).body)).toMatchObject({ C: '28000' });
    client.close();
    const logged = proxy.logs.filter((line) => line.msg === 'client authentication failed').at(-1);
    expect(logged).toMatchObject({ user: 'svc-dba', reason: 'token refused: the token is meant for audience "other-api", not for sluice' });
    expect(proxy.logText()).not.toContain(token);
  });

  it('asks for the response with an empty challenge when the client sends none with its choice', async () => {
    const client = await WireClient.open(proxy.port, true);
    await mechanismsOffered(client, 'svc-analyst');
    client.send(typed('p', cstring('OAUTHBEARER'), int32(-1)));
    const empty = await client.next();
    expect([empty.code, empty.body.readInt32BE(0), empty.body.length]).toEqual(['R', 11, 4]);
    client.send(typed('p', bearer(`Bearer ${await issuer.serviceToken('svc-analyst')}`)));
    const ok = await client.next();
    expect([ok.code, ok.body.readInt32BE(0)]).toEqual(['R', 0]);
    client.close();
  });

  it('refuses a malformed initial response as a protocol violation', async () => {
    const client = await WireClient.open(proxy.port, true);
    await mechanismsOffered(client, 'svc-dba');
    client.send(saslInitialResponse('OAUTHBEARER', Buffer.from('p=tls-server-end-point,,\x01auth=Bearer x\x01\x01')));
    expect(errorFields((await client.next()).body)).toMatchObject({ C: '08P01', M: expect.stringContaining('no channel binding') });
    client.close();
  });

  it('keeps SCRAM for static users and refuses token login on a plaintext connection before any token is sent', async () => {
    const secure = await WireClient.open(proxy.port, true);
    expect(await mechanismsOffered(secure, 'alice')).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    secure.close();
    const plain = await WireClient.open(proxy.port, false);
    plain.startup('svc-dba');
    const refusal = await plain.next();
    expect(refusal.code).toBe('E');
    expect(errorFields(refusal.body)).toMatchObject({ C: '28000', M: expect.stringContaining('token login needs a TLS connection') });
    plain.close();
  });
});

describe('parseOAuthBearerResponse', () => {
  const parse = (text: string) => parseOAuthBearerResponse(Buffer.from(text, 'latin1'));

  it('finds the auth value among other key/value pairs', () => {
    expect(parse('n,,\x01host=db\x01auth=Bearer abc.def\x01port=5432\x01\x01')).toEqual({ ok: true, auth: 'Bearer abc.def' });
    expect(parse('y,,\x01auth=\x01\x01')).toEqual({ ok: true, auth: '' });
  });

  it('rejects what PostgreSQL rejects', () => {
    const cases: [string, string][] = [
      ['p=tls-unique,,\x01auth=x\x01\x01', 'OAUTHBEARER has no channel binding, but the client sent channel binding data'],
      ['x,,\x01auth=x\x01\x01', 'unexpected channel-binding flag'],
      ['n,a=alice,\x01auth=x\x01\x01', 'authorization identities (a=) are not supported'],
      ['n,,auth=x\x01\x01', 'key-value separator expected after the GS2 header'],
      ['n,,\x01auth=x\x01', 'unterminated key/value pair'],
      ['n,,\x01auth=x\x01\x01extra', 'additional data after the final terminator'],
      ['n,,\x01host=db\x01\x01', 'no auth value'],
      ['n,,\x01auth=a\x01auth=b\x01\x01', 'multiple auth values'],
      ['n,,\x01au th=x\x01\x01', 'invalid key name'],
      ['n,,\x01auth=\x7f\x01\x01', 'invalid value'],
      ['n,,\x01auth\x01\x01', 'key without a value'],
    ];
    for (const [text, error] of cases) expect(parse(text), text).toEqual({ ok: false, error });
  });
});
