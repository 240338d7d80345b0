// Random and mutated client byte streams: each bad session ends alone; the proxy and a healthy session carry on.
import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postgresListener, startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

let proxy: RunningSluice;
beforeAll(async () => {
  proxy = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: ./plugins/deny-drop.js
`);
});
afterAll(async () => {
  await proxy?.stop(500);
});

/** A small seeded PRNG, so a failing run can be replayed with SLUICE_FUZZ_SEED. */
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

const seed = Number(process.env.SLUICE_FUZZ_SEED ?? Date.now() % 100000);
const random = prng(seed);
const int = (n: number) => Math.floor(random() * n);

function message(code: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = code.charCodeAt(0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** Valid-looking client messages, then mutated: flipped bytes, wrong lengths, truncation, junk. */
function mutatedStream(): Buffer {
  const parts = [
    message('Q', Buffer.from('select 1\0')),
    message('P', Buffer.from('\0select $1\0\0\0')),
    message('B', Buffer.from('\0\0\0\0\0\x01\0\0\0\x011\0\0')),
    message('D', Buffer.from('P\0')),
    message('E', Buffer.from('\0\0\0\0\0')),
    message('S', Buffer.alloc(0)),
    message('C', Buffer.from('S\0')),
    message('H', Buffer.alloc(0)),
  ];
  const stream = Buffer.concat(Array.from({ length: 1 + int(6) }, () => parts[int(parts.length)]!));
  const mutations = 1 + int(4);
  for (let i = 0; i < mutations; i++) {
    switch (int(4)) {
      case 0:
        stream[int(stream.length)] = int(256);
        break;
      case 1:
        stream.writeInt32BE(int(2) === 0 ? -int(100) : int(0x7fffffff), Math.min(int(stream.length), stream.length - 4));
        break;
      case 2:
        return stream.subarray(0, int(stream.length));
      default:
        return Buffer.concat([stream, Buffer.from(Array.from({ length: int(64) }, () => int(256)))]);
    }
  }
  return stream;
}

/** Logs in for real, then writes `bytes` on the authenticated connection and waits for it to end or go quiet. */
async function afterLogin(bytes: Buffer): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'bob', password: 'bob-secret-pw', database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  const stream = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  stream.write(bytes);
  await new Promise((resolve) => {
    stream.once('close', resolve);
    setTimeout(resolve, 150);
  });
  stream.destroy();
}

async function beforeLogin(bytes: Buffer): Promise<void> {
  const socket = connect(proxy.port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(bytes);
  await new Promise((resolve) => {
    socket.once('close', resolve);
    setTimeout(resolve, 100);
  });
  socket.destroy();
}

it(`survives random and mutated client streams (seed ${seed})`, async () => {
  const healthy = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
  await healthy.connect();
  for (let round = 0; round < 40; round++) {
    const random = Buffer.from(Array.from({ length: 1 + int(200) }, () => int(256)));
    await Promise.all([beforeLogin(random), afterLogin(mutatedStream()), afterLogin(random)]);
    if (round % 10 === 0) expect((await healthy.query('select $1::int as round', [round])).rows).toEqual([{ round }]);
  }
  expect((await healthy.query('select 42 as alive')).rows).toEqual([{ alive: 42 }]);
  await expect(healthy.query('drop table if exists nothing_here')).rejects.toMatchObject({ code: '42501' });
  await healthy.end();
  const fresh = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
  await fresh.connect();
  expect((await fresh.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  await fresh.end();
}, 60_000);
