// Fuzz test through a running Sluice: malformed client bytes (before and after login) and malformed server responses close only their own session.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, parseConfigText, Sluice } from '@sluice/core';
import { createDriver } from './index.js';
import { loginPacket, preloginPacket, ScriptedServer, sqlBatchPacket, textResult, WireClient } from './testing/wire.js';

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 0x7d5_2027);
const ROUNDS = 60;

function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let scripted: ScriptedServer;
let sluice: Sluice;
let port: number;
let garbage: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  // SQL "garbage" is answered with whatever bytes the current round put there; anything else gets a real result.
  scripted = await ScriptedServer.start((sql) => (sql === 'garbage' ? garbage : textResult('v', [sql])));
  const yaml = `
listeners:
  - name: tds-fuzz
    dialect: mssql
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: ${scripted.port}, user: sa, password: upstream-pw, tls: disable }
identity:
  users:
    - { name: alice, password: alice-pw, groups: [] }
`;
  const loaded = parseConfigText(yaml, { file: '/tmp/sluice-mssql-fuzz.yaml', env: {} });
  const destination = new Writable({ write: (_chunk, _encoding, done) => done() });
  sluice = await Sluice.create(loaded, { log: createLogger({ level: 'error', format: 'json', destination }), drivers: { mssql: createDriver() } });
  await sluice.start();
  port = sluice.addresses()[0]!.port;
});

afterAll(async () => {
  await sluice?.shutdown(500);
  await scripted?.stop();
});

function closed(client: WireClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.socket.destroyed) return resolve();
    client.socket.once('close', () => resolve());
    setTimeout(() => {
      client.close();
      resolve();
    }, 250).unref();
  });
}

describe('session fuzz', () => {
  it('a healthy session keeps working while others send malformed bytes or get malformed responses', async () => {
    const healthy = await WireClient.connect(port);
    const login = await healthy.login('alice', 'alice-pw');
    expect(login.some((t) => t.kind === 'loginack')).toBe(true);

    const random = prng(SEED);
    const valid = [preloginPacket(), loginPacket('alice', 'alice-pw'), sqlBatchPacket('select 1')];
    for (let round = 0; round < ROUNDS; round++) {
      const client = await WireClient.connect(port);
      if (round % 3 === 2) {
        // After login: the server answers with mutated tokens.
        await client.login('alice', 'alice-pw');
        const good = textResult('email', ['a@example.com', 'b@example.com']);
        garbage = Buffer.from(good);
        for (let i = 0; i < 3; i++) garbage[Math.floor(random() * garbage.length)] = Math.floor(random() * 256);
        client.socket.write(sqlBatchPacket('garbage'));
      } else {
        // Before or after login: the client sends mutated packets.
        if (round % 3 === 1) await client.login('alice', 'alice-pw');
        const bytes = Buffer.from(valid[Math.floor(random() * valid.length)]!);
        for (let i = 0; i < 4; i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        client.socket.write(bytes);
        client.socket.end();
      }
      await closed(client);
      const answer = await healthy.batch(`round ${round}`);
      expect(answer.find((t) => t.kind === 'done')).toBeDefined();
      expect(answer.filter((t) => t.kind === 'row')).toHaveLength(1);
    }
    healthy.close();
  }, 60_000);

  it('answers a malformed request with a TDS error before closing', async () => {
    const client = await WireClient.connect(port);
    await client.login('alice', 'alice-pw');
    client.socket.write(Buffer.from('0301000c0000010000000000', 'hex')); // RPC whose ALL_HEADERS length points past the end
    const message = await client.message();
    const { tokensOf } = await import('./testing/wire.js');
    const tokens = tokensOf(message);
    expect(tokens[0]).toMatchObject({ kind: 'error', severity: 20 });
    await closed(client);
  });

  it('refuses a wrong password with error 18456', async () => {
    const client = await WireClient.connect(port);
    const tokens = await client.login('alice', 'wrong');
    expect(tokens[0]).toMatchObject({ kind: 'error', number: 18456, message: "Login failed for user 'alice'." });
    await closed(client);
  });
});
