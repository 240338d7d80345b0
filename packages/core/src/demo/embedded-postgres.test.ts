// Tests the demo's embedded PostgreSQL: sample data, trust auth, how concurrent clients share its single session, clean shutdown.
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { SAMPLE_ROW_COUNTS } from './sample-data.js';

const MAX_CONNECTIONS = 4;
let server: EmbeddedPostgres;

function client(overrides: pg.ClientConfig = {}): pg.Client {
  return new pg.Client({ host: server.host, port: server.port, user: server.user, database: server.database, ...overrides });
}

async function connected(overrides: pg.ClientConfig = {}): Promise<pg.Client> {
  const c = client(overrides);
  await c.connect();
  return c;
}

async function withClients<T>(count: number, fn: (clients: pg.Client[]) => Promise<T>): Promise<T> {
  const clients = await Promise.all(Array.from({ length: count }, () => connected()));
  try {
    return await fn(clients);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

beforeAll(async () => {
  server = await startEmbeddedPostgres({ port: 0, maxConnections: MAX_CONNECTIONS });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('sample data', () => {
  it('is loaded before start resolves', async () => {
    await withClients(1, async ([c]) => {
      for (const [table, count] of Object.entries(SAMPLE_ROW_COUNTS)) {
        const { rows } = await c!.query<{ n: number }>(`select count(*)::int as n from ${table}`);
        expect(rows[0]?.n, table).toBe(count);
      }
    });
  });

  it('is fake but valid: example domains, Luhn card numbers, mod-97 IBANs', async () => {
    await withClients(1, async ([c]) => {
      const { rows } = await c!.query<{ email: string; card_number: string; iban: string | null }>(
        'select email, card_number, iban from customers',
      );
      for (const row of rows) {
        expect(row.email).toMatch(/@example\.(com|org|net)$/);
        expect(luhnValid(row.card_number), row.card_number).toBe(true);
        if (row.iban !== null) expect(ibanValid(row.iban), row.iban).toBe(true);
      }
    });
  });
});

describe('authentication', () => {
  it('trusts any user, database and password, and always gives the postgres session', async () => {
    const c = await connected({ user: 'mallory', database: 'no_such_db', password: 'anything' });
    const { rows } = await c.query('select current_user as u, current_database() as d');
    await c.end();
    expect(rows[0]).toEqual({ u: 'postgres', d: 'postgres' });
  });
});

describe('three concurrent clients', () => {
  it('are all served, their queries serialized onto one session without mixing results', async () => {
    await withClients(3, async (clients) => {
      const pids = await Promise.all(clients.map(async (c) => (await c.query('select pg_backend_pid() as pid')).rows[0].pid));
      expect(new Set(pids).size).toBe(1);

      const mismatches = await Promise.all(
        clients.map(async (c, i) => {
          let wrong = 0;
          for (let k = 0; k < 40; k++) {
            const extended = await c.query('select $1::int as i, $2::int as k, count(*)::int as n from orders', [i, k]);
            const simple = await c.query(`select ${i} as i, ${k} as k`);
            for (const row of [extended.rows[0], simple.rows[0]]) if (row.i !== i || row.k !== k) wrong++;
          }
          return wrong;
        }),
      );
      expect(mismatches).toEqual([0, 0, 0]);
    });
  });

  it('share session state such as SET', async () => {
    await withClients(2, async ([a, b]) => {
      await a!.query("set application_name = 'set-by-a'");
      const { rows } = await b!.query('show application_name');
      expect(rows[0].application_name).toBe('set-by-a');
      await a!.query('reset application_name');
    });
  });

  it('wait while another client holds an open transaction', async () => {
    await withClients(3, async ([a, b, c]) => {
      await a!.query('begin');
      await a!.query("update customers set country = 'ZZ' where id = 1");
      let bDone = false;
      const bQuery = b!.query('select country from customers where id = 1').then((r) => {
        bDone = true;
        return r.rows[0].country;
      });
      const cQuery = c!.query('select 1 as one');
      await sleep(300);
      expect(bDone).toBe(false);
      await a!.query('rollback');
      expect(await bQuery).toBe('GB');
      expect((await cQuery).rows[0].one).toBe(1);
    });
  });

  it('keep an extended-protocol batch split over several TCP writes whole', async () => {
    const a = await rawConnection(server);
    const b = await rawConnection(server);
    try {
      a.socket.write(parse("select 'from-a' as v"));
      await sleep(50);
      b.socket.write(Buffer.concat([parse("select 'from-b' as v"), bind(), execute(), sync()]));
      await sleep(50);
      a.socket.write(Buffer.concat([bind(), execute(), sync()]));
      await Promise.all([a.readyForQuery(), b.readyForQuery()]);
      expect(a.received()).toContain('from-a');
      expect(a.received()).not.toContain('from-b');
      expect(b.received()).toContain('from-b');
    } finally {
      a.socket.destroy();
      b.socket.destroy();
    }
  });

  it('recover when a client disconnects in the middle of a failed batch', async () => {
    const a = await rawConnection(server);
    a.socket.write(parse('selec broken'));
    await sleep(50);
    a.socket.destroy();
    await sleep(50);
    await withClients(1, async ([c]) => {
      expect((await c!.query('select $1::text as ok', ['yes'])).rows[0].ok).toBe('yes');
    });
  });

  it(`refuse connections beyond maxConnections (${MAX_CONNECTIONS})`, async () => {
    const held = await holdConnections(MAX_CONNECTIONS);
    try {
      await expect(connected()).rejects.toThrow();
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
  });
});

describe('close', () => {
  it('stops listening and is idempotent', async () => {
    const { host, port } = server;
    await server.close();
    await server.close();
    await expect(connected({ host, port, connectionTimeoutMillis: 2000 })).rejects.toThrow(/ECONNREFUSED/);
  });
});

// Connections closed a moment ago may still count on the server side, so retry until `count` are held.
async function holdConnections(count: number): Promise<pg.Client[]> {
  const held: pg.Client[] = [];
  const deadline = Date.now() + 5000;
  while (held.length < count) {
    try {
      held.push(await connected());
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
  return held;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function luhnValid(value: string): boolean {
  const digits = value.replace(/[ -]/g, '');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return /^\d{13,19}$/.test(digits) && sum % 10 === 0;
}

function ibanValid(value: string): boolean {
  const iban = value.replace(/ /g, '');
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  const numeric = [...rearranged].map((ch) => parseInt(ch, 36).toString()).join('');
  return /^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban) && BigInt(numeric) % 97n === 1n;
}

// Just enough of the wire protocol to control how a client's messages are split into TCP writes.
interface RawConnection {
  socket: net.Socket;
  received(): string;
  readyForQuery(): Promise<void>;
}

async function rawConnection(target: EmbeddedPostgres): Promise<RawConnection> {
  const socket = net.connect(target.port, target.host);
  let data = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
    if (endsWithReadyForQuery(data)) waiter?.();
  });
  const connection: RawConnection = {
    socket,
    received: () => data.toString('latin1'),
    readyForQuery: () =>
      new Promise<void>((resolve) => {
        if (endsWithReadyForQuery(data)) resolve();
        else waiter = resolve;
      }),
  };
  socket.write(startup());
  await connection.readyForQuery();
  data = Buffer.alloc(0);
  return connection;
}

function endsWithReadyForQuery(data: Buffer): boolean {
  return data.length >= 6 && data[data.length - 6] === 0x5a && data.readInt32BE(data.length - 5) === 5;
}

const cstring = (s: string) => Buffer.from(`${s}\0`);

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

function startup(): Buffer {
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), cstring('user'), cstring('postgres'), Buffer.from([0])]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(4 + body.length);
  return Buffer.concat([length, body]);
}

const parse = (sql: string) => message('P', Buffer.concat([cstring(''), cstring(sql), Buffer.from([0, 0])]));
const bind = () => message('B', Buffer.concat([cstring(''), cstring(''), Buffer.from([0, 0, 0, 0, 0, 0])]));
const execute = () => message('E', Buffer.concat([cstring(''), Buffer.from([0, 0, 0, 0])]));
const sync = () => message('S', Buffer.alloc(0));
