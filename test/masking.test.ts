// Masking end to end: real clients (pg, psql) -> Sluice with @sluice/plugin-masking -> the real PostgreSQL server.
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { psql } from './helpers/processes.js';
import { postgresListener, startSluice, type RunningSluice } from './helpers/sluice.js';

const DIRECT = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const TABLE = 'plugin_masking.customers';
const HASH_KEY = 'masking-e2e-hash-key-0123456789';

const IDENTITIES = `
identity:
  users:
    - { name: bob, password: bob-secret-pw, groups: [analyst] }
    - { name: carol, password: carol-secret-pw, groups: [pii-readers] }
`;

/** Fake credentials built at run time, so no credential-shaped literal sits in the repository. */
const fake = (prefix: string, length: number, seed: number) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = prefix;
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += alphabet[state % alphabet.length];
  }
  return out;
};
const STRIPE_KEY = fake('sk_live_', 24, 7);
const GITHUB_TOKEN = fake('ghp_', 36, 11);

/** Every clear sensitive value in the table: none may appear in a masked result. */
const CLEAR_VALUES = [
  'ann.lee@example.com',
  'ann@example.org',
  'bob.roe@example.net',
  'BOB.ROE@EXAMPLE.NET',
  '555-2671',
  '14155552671',
  '212-555-0199',
  '7946 0958',
  '123-45-6789',
  '536-22-8726',
  '4111 1111 1111 1111',
  '4111111111111111',
  '5555555555554444',
  'DE89 3704 0044 0532 0130 00',
  'GB82 WEST 1234 5698 7654 32',
  '$2b$12$R9h/cIPz0gi',
  '$argon2id$',
  STRIPE_KEY,
  GITHUB_TOKEN,
  '203.0.113.7',
  '8a2e:370:7334',
  '1987-06-15',
];

let open: RunningSluice; // zero config
let configured: RunningSluice; // unmasked_groups, hash for emails
const recorded = () => (globalThis as unknown as { maskingE2E: { user: string; sql: string; rows: number; error?: { code?: string; message: string }; masked: Record<string, { type: string; count: number }> }[] }).maskingE2E;

beforeAll(async () => {
  const direct = new pg.Client(DIRECT);
  await direct.connect();
  await direct.query(`
    drop schema if exists plugin_masking cascade;
    create schema plugin_masking;
    create table ${TABLE} (
      id int primary key, name text, email text, phone text, ssn text, card_number text, iban text,
      password_hash text, api_key text, notes text, profile jsonb, tags text[], date_of_birth date,
      last_ip inet, request_id text, app_version text, created_at timestamptz
    );
    insert into ${TABLE} values
      (1, 'Ann Lee', 'ann.lee@example.com', '+1 (415) 555-2671', '123-45-6789', '4111 1111 1111 1111',
       'DE89 3704 0044 0532 0130 00', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW', '${STRIPE_KEY}',
       'Call me at 212-555-0199 or write to ann@example.org',
       '{"email":"ann.lee@example.com","phone":"+14155552671","prefs":{"theme":"dark"}}', '{vip,ann.lee@example.com}',
       '1987-06-15', '203.0.113.7', '507f1f77bcf86cd799439011', '1.2.3.4', '2024-01-15 10:00:00+00'),
      (2, 'Bob Roe', 'BOB.ROE@EXAMPLE.NET', '020 7946 0958', '536-22-8726', '5555555555554444',
       'GB82 WEST 1234 5698 7654 32', '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG', '${GITHUB_TOKEN}',
       'no contact details', '{"email":"bob.roe@example.net","note":"paid with 4111111111111111"}', '{bob.roe@example.net,"x y"}',
       '1990-02-03', '2001:db8:85a3::8a2e:370:7334', '3f786850e387550fdab836ed7e6dc881de23001b', '10.0.19041.1', '2024-02-01 08:30:00+00'),
      (3, 'Cy Null', null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    insert into ${TABLE} (id, name, email, phone, notes)
      select g, 'user ' || g, 'user' || g || '@example.com', '(212) 555-01' || lpad((g % 100)::text, 2, '0'), 'order ' || g
      from generate_series(4, 53) g;
  `);
  await direct.end();

  (globalThis as Record<string, unknown>).maskingE2E = [];
  open = await startSluice(`${postgresListener()}${IDENTITIES}
plugins:
  - use: "@sluice/plugin-masking"
  - use: ./plugins/masking-annotations.js
    with: { key: maskingE2E }
`);
  configured = await startSluice(
    `${postgresListener()}${IDENTITIES}
plugins:
  - use: "@sluice/plugin-masking"
    with:
      unmasked_groups: [pii-readers]
      strategies: { email: hash }
      hash_key: \${env:MASKING_HASH_KEY}
`,
    { MASKING_HASH_KEY: HASH_KEY },
  );
});

afterAll(async () => {
  await Promise.all([open?.stop(), configured?.stop()]);
  const direct = new pg.Client(DIRECT);
  await direct.connect();
  await direct.query('drop schema if exists plugin_masking cascade');
  await direct.end();
});

async function withClient<T>(proxy: RunningSluice | typeof DIRECT, user: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client =
    'sluice' in proxy
      ? new pg.Client({ host: '127.0.0.1', port: proxy.port, user, password: `${user}-secret-pw`, database: 'postgres' })
      : new pg.Client(proxy);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const rowsOf = async (proxy: RunningSluice | typeof DIRECT, user: string, sql: string) => withClient(proxy, user, async (c) => (await c.query(sql)).rows as Record<string, unknown>[]);

function expectNoClearValue(result: unknown) {
  const text = JSON.stringify(result);
  for (const clear of CLEAR_VALUES) expect(text, `"${clear}" leaked`).not.toContain(JSON.stringify(clear).slice(1, -1));
}

describe('zero config, pg client', () => {
  it('masks every sensitive column of select * and forwards the rest unchanged', async () => {
    const sql = `select * from ${TABLE} order by id`;
    const [masked, clear] = await Promise.all([rowsOf(open, 'bob', sql), rowsOf(DIRECT, 'postgres', sql)]);
    expect(masked).toHaveLength(53);
    expect(masked[0]).toEqual({
      id: 1,
      name: 'Ann Lee',
      email: '****@example.com',
      phone: '+* (***) ***-2671',
      ssn: '***-**-6789',
      card_number: '**** **** **** 1111',
      iban: 'DE** **** **** **** **30 00',
      password_hash: '********',
      api_key: '********',
      notes: 'Call me at ***-***-0199 or write to ****@example.org',
      profile: { email: '****@example.com', phone: '+*******2671', prefs: { theme: 'dark' } },
      tags: ['vip', '****@example.com'],
      date_of_birth: clear[0]!.date_of_birth instanceof Date ? new Date(1987, 0, 1) : '1987-01-01',
      last_ip: '203.0.113.0',
      request_id: '507f1f77bcf86cd799439011',
      app_version: '1.2.3.4',
      created_at: clear[0]!.created_at,
    });
    expect(masked[1]).toMatchObject({
      email: '****@EXAMPLE.NET',
      phone: '*** **** 0958',
      card_number: '************4444',
      password_hash: '********',
      api_key: '********',
      notes: 'no contact details',
      profile: { email: '****@example.net', note: 'paid with ************1111' },
      tags: ['****@example.net', 'x y'],
      last_ip: '2001:db8:85a3::',
      request_id: '3f786850e387550fdab836ed7e6dc881de23001b',
      app_version: '10.0.19041.1',
    });
    // NULLs stay NULL; columns with nothing sensitive are what the server sent.
    expect(masked[2]).toEqual(clear[2]);
    for (const [i, row] of masked.entries()) {
      for (const column of ['id', 'name', 'created_at', 'request_id', 'app_version']) expect(row[column]).toEqual(clear[i]![column]);
    }
    expect(masked[10]).toMatchObject({ id: 11, email: '****@example.com', phone: '(***) ***-0111', notes: 'order 11' });
    expectNoClearValue(masked);
  });

  it('masks PII inside expressions: upper, concatenation, row_to_json, JSON and array aggregates, composite text', async () => {
    const rows = await rowsOf(
      open,
      'bob',
      `select upper(email) as shout, email || '' as plain, concat(name, ' <', email, '>') as display,
              row_to_json(c) as doc, c::text as tuple, format('%s / %s', ssn, card_number) as formatted,
              (select json_agg(email order by id) from ${TABLE} where id <= 2) as emails,
              (select array_agg(phone order by id) from ${TABLE} where id <= 2) as phones
       from ${TABLE} c where id <= 2 order by id`,
    );
    expect(rows[0]).toMatchObject({
      shout: '****@EXAMPLE.COM',
      plain: '****@example.com',
      display: 'Ann Lee <****@example.com>',
      formatted: '***-**-6789 / **** **** **** 1111',
      emails: ['****@example.com', '****@EXAMPLE.NET'],
      phones: ['+* (***) ***-2671', '*** **** 0958'],
    });
    const doc = rows[0]!.doc as Record<string, unknown>;
    // row_to_json keys are column names: each value is masked as its key says, and the JSON stays valid.
    expect(doc).toMatchObject({
      id: 1,
      name: 'Ann Lee',
      email: '****@example.com',
      ssn: '***-**-6789',
      password_hash: '********',
      api_key: '********',
      request_id: '507f1f77bcf86cd799439011',
      app_version: '1.2.3.4',
    });
    expect(doc.profile).toEqual({ email: '****@example.com', phone: '+*******2671', prefs: { theme: 'dark' } });
    expectNoClearValue(rows.map(({ tuple, ...rest }) => rest));
  });

  it('scans composite row text by value alone: what only a column name identifies is not masked there', async () => {
    const rows = await rowsOf(open, 'bob', `select c::text as tuple from ${TABLE} c where id <= 2 order by id`);
    const [ann, bob] = rows.map((r) => r.tuple as string);
    expect(ann).toContain('****@example.com');
    expect(ann).toContain('***-**-6789');
    expect(ann).toContain('**** **** **** 1111');
    expect(ann).not.toContain(STRIPE_KEY);
    expect(bob).not.toContain(GITHUB_TOKEN);
    expect(bob).not.toContain('$argon2id$');
    // Known limits, documented in the README: a national phone number outside phone_regions, a date of
    // birth, and a version string that looks like an IP address are told apart only by their column name.
    expect(bob).toContain('020 7946 0958');
    expect(ann).toContain('1987-06-15');
  });

  it('masks every result of a multi-statement query', async () => {
    const results = (await withClient(open, 'bob', (c) => c.query(`select email from ${TABLE} where id = 1; select phone, ssn from ${TABLE} where id = 1`))) as unknown as pg.QueryResult[];
    expect(results.map((r) => r.rows)).toEqual([[{ email: '****@example.com' }], [{ phone: '+* (***) ***-2671', ssn: '***-**-6789' }]]);
  });

  it('reports what it masked in the query annotations, per column, for the audit record', async () => {
    const sql = `select id, email, phone, notes, profile, upper(email) as shout, created_at from ${TABLE} order by id`;
    await rowsOf(open, 'bob', sql);
    const record = recorded().find((r) => r.sql === sql);
    expect(record?.rows).toBe(53);
    const byColumn = Object.fromEntries(Object.entries(record!.masked).map(([key, value]) => [key.split('.').pop(), { key, ...value }]));
    // Columns of a table carry its schema-qualified name (the driver looks table OIDs up); expressions have none.
    for (const column of ['email', 'phone', 'notes', 'profile']) expect(byColumn[column]!.key).toBe(`${TABLE}.${column}`);
    expect(byColumn.shout!.key).toBe('shout');
    expect(record!.masked).toEqual({
      [byColumn.email!.key]: { type: 'email', count: 52 },
      [byColumn.phone!.key]: { type: 'phone', count: 52 },
      [byColumn.notes!.key]: { type: 'phone,email', count: 1 },
      [byColumn.profile!.key]: { type: 'email,phone,card', count: 2 },
      shout: { type: 'email', count: 52 },
    });
  });

  it('reports nothing for a statement with nothing sensitive', async () => {
    const sql = `select id, name, created_at from ${TABLE} order by id`;
    await rowsOf(open, 'bob', sql);
    expect(recorded().find((r) => r.sql === sql)?.masked).toEqual({});
  });
});

describe('COPY … TO', () => {
  it('masks COPY … TO STDOUT for a masked identity: the same values as his SELECT, in COPY text format', async () => {
    const copy = await psql(open.port, 'bob', 'bob-secret-pw', `copy (select * from ${TABLE} order by id) to stdout`, [], { PG_COLOR: 'never' });
    const select = await psql(open.port, 'bob', 'bob-secret-pw', `select * from ${TABLE} order by id`, ['-F', '\t', '-P', 'null=\\N']);
    expect(copy.stderr).toBe('');
    expect(copy.stdout).not.toContain('ann.lee@example.com');
    expect(copy.stdout).toContain('****@example.com');
    expect(copy.stdout).toBe(select.stdout);
  });

  it('refuses COPY … TO a server file or program for a masked identity with 42501', async () => {
    for (const sql of [`copy ${TABLE} to '/tmp/sluice-masking-copy-refused.csv'`, `copy ${TABLE} to program 'cat > /dev/null'`]) {
      const result = await psql(open.port, 'bob', 'bob-secret-pw', sql, [], { PG_COLOR: 'never' });
      expect(result.code, sql).not.toBe(0);
      expect(result.stderr, sql).toContain('sluice: masking-copy-out: COPY … TO a server file or program cannot be masked');
    }
  });

  it('is clear for an identity in unmasked_groups', async () => {
    const result = await psql(configured.port, 'carol', 'carol-secret-pw', `copy (select email from ${TABLE} where id = 1) to stdout`);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('ann.lee@example.com\n');
  });
});

describe('zero config, psql', () => {
  it('prints masked values where a direct connection prints clear ones', async () => {
    const sql = `select id, email, phone, card_number, ssn, profile, tags, date_of_birth, last_ip from ${TABLE} where id <= 2 order by id`;
    const [through, direct] = await Promise.all([psql(open.port, 'bob', 'bob-secret-pw', sql), psql(5432, 'postgres', '', sql)]);
    expect(through.stderr).toBe('');
    expect(through.stdout.trim().split('\n')).toEqual([
      '1|****@example.com|+* (***) ***-2671|**** **** **** 1111|***-**-6789|{"email": "****@example.com", "phone": "+*******2671", "prefs": {"theme": "dark"}}|{vip,****@example.com}|1987-01-01|203.0.113.0',
      '2|****@EXAMPLE.NET|*** **** 0958|************4444|***-**-8726|{"note": "paid with ************1111", "email": "****@example.net"}|{****@example.net,"x y"}|1990-01-01|2001:db8:85a3::',
    ]);
    expect(direct.stdout).toContain('ann.lee@example.com');
    expectNoClearValue(through.stdout);
  });
});

describe('unmasked_groups and the hash strategy', () => {
  const sql = `select id, email, phone, ssn, profile, notes from ${TABLE} where id <= 3 order by id`;

  it('an identity in unmasked_groups sees clear values; another sees masked ones, on the same query', async () => {
    const [carol, bob, clear] = await Promise.all([rowsOf(configured, 'carol', sql), rowsOf(configured, 'bob', sql), rowsOf(DIRECT, 'postgres', sql)]);
    expect(carol).toEqual(clear);
    expect(bob[0]).toMatchObject({ phone: '+* (***) ***-2671', ssn: '***-**-6789' });
    expect(bob[0]!.email).toMatch(/^[0-9a-f]{16}@hashed\.invalid$/);
    expectNoClearValue(bob);
  });

  it('psql as the unmasked identity prints the clear values', async () => {
    const [carol, direct] = await Promise.all([psql(configured.port, 'carol', 'carol-secret-pw', sql), psql(5432, 'postgres', '', sql)]);
    expect(carol.stderr).toBe('');
    expect(carol.stdout).toBe(direct.stdout);
  });

  it('hashes emails to the same token across rows, queries and sessions, so GROUP BY and joins still work', async () => {
    const tokens = await rowsOf(configured, 'bob', `select id, email from ${TABLE} where id in (1, 2) order by id`);
    const again = await rowsOf(configured, 'bob', `select id, email from ${TABLE} where id in (1, 2) order by id`);
    expect(again).toEqual(tokens);
    // ann.lee@example.com is in row 1's email column and in its profile JSON: one token for both.
    const profile = await rowsOf(configured, 'bob', `select profile->>'email' as email from ${TABLE} where id = 1`);
    expect(profile[0]!.email).toBe(tokens[0]!.email);
    // BOB.ROE@EXAMPLE.NET (column) and bob.roe@example.net (JSON) differ only by case: emails hash case-blind.
    const bobJson = await rowsOf(configured, 'bob', `select profile->>'email' as email from ${TABLE} where id = 2`);
    expect(bobJson[0]!.email).toBe(tokens[1]!.email);
    const grouped = await rowsOf(configured, 'bob', `select lower(email) as email, count(*)::int as n from ${TABLE} where id <= 2 group by 1 order by 1`);
    expect(grouped.map((r) => r.n)).toEqual([1, 1]);
    expect(new Set(grouped.map((r) => r.email))).toEqual(new Set(tokens.map((r) => r.email)));
  });
});

describe('extended query protocol', () => {
  it('masks the rows of parameterized and re-executed named statements', async () => {
    await withClient(open, 'bob', async (c) => {
      const { rows } = await c.query(`select email, phone, date_of_birth::text as dob, profile from ${TABLE} where id = $1`, [1]);
      expect(rows).toEqual([{ email: '****@example.com', phone: '+* (***) ***-2671', dob: '1987-01-01', profile: { email: '****@example.com', phone: '+*******2671', prefs: { theme: 'dark' } } }]);
      for (const id of [1, 2]) {
        const named = await c.query({ name: 'masking-by-id', text: `select ssn from ${TABLE} where id = $1`, values: [id] });
        expect(named.rows).toEqual([{ ssn: id === 1 ? '***-**-6789' : '***-**-8726' }]);
      }
    });
  });

  it('masks binary-format values of every built-in type, written back in binary as the server would', async () => {
    const sql = `select id, email, profile, date_of_birth, last_ip from ${TABLE} where id = $1`;
    const binary = (text: string, values: unknown[]) => ({ text, values, binary: true }) as pg.QueryConfig;
    const rows = await withClient(open, 'bob', async (c) => (await c.query(binary(sql, [1]))).rows);
    const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString() : value);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(1);
    expect(text(rows[0].email)).toBe('****@example.com');
    expect(JSON.stringify(rows[0].profile)).not.toContain('ann.lee@example.com');
    // The masks of the text-format test, as the server itself sends those values in binary.
    const expected = await withClient(DIRECT, 'postgres', async (c) =>
      (await c.query(binary(`select $1::date as date_of_birth, $2::inet as last_ip`, ['1987-01-01', '203.0.113.0']))).rows[0],
    );
    expect(rows[0].date_of_birth).toEqual(expected.date_of_birth);
    expect(rows[0].last_ip).toEqual(expected.last_ip);
    // Parse and Execute are two statements for the plugins; the rows and the counts belong to the Execute.
    const record = recorded().findLast((r) => r.sql === sql && r.rows === 1);
    expect(Object.entries(record!.masked).filter(([key]) => key.endsWith('.date_of_birth') || key.endsWith('.last_ip')).map(([, v]) => v)).toEqual([
      { type: 'dob', count: 1 },
      { type: 'ip', count: 1 },
    ]);
  });

  it('masks what postgres.js reads through pipelined prepared statements', async () => {
    const sql = postgres({ host: '127.0.0.1', port: open.port, user: 'bob', password: 'bob-secret-pw', database: 'postgres', max: 1, onnotice: () => undefined });
    try {
      const [a, b] = await Promise.all([
        sql`select email, notes from plugin_masking.customers where id = ${1}`,
        sql`select card_number, iban from plugin_masking.customers where id = ${2}`,
      ]);
      expect([...a]).toEqual([{ email: '****@example.com', notes: 'Call me at ***-***-0199 or write to ****@example.org' }]);
      expect([...b]).toEqual([{ card_number: '************4444', iban: 'GB** **** **** **** **54 32' }]);
    } finally {
      await sql.end();
    }
  });
});

describe('errors and notices', () => {
  const unique = `create unique index if not exists customers_email_unique on ${TABLE} (email)`;

  it('masks values the server echoes in an error detail and in a notice', async () => {
    await withClient(DIRECT, 'postgres', (client) => client.query(unique));
    await withClient(open, 'bob', async (client) => {
      const error = await client.query(`insert into ${TABLE} (id, email) values (999, 'ann.lee@example.com')`).then(
        () => undefined,
        (e: { code?: string; detail?: string; message: string }) => e,
      );
      expect(error).toMatchObject({ code: '23505' });
      expect(error!.detail).toContain('Key (email)=(');
      expect(error!.detail).not.toContain('ann.lee@example.com');
      expect(error!.detail).toContain('example.com');

      const notices: string[] = [];
      client.on('notice', (notice) => notices.push(notice.message ?? ''));
      await client.query(`do $$ begin raise notice 'customer % exists', (select email from ${TABLE} where id = 1); end $$`);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/^customer .+ exists$/);
      expect(notices[0]).not.toContain('ann.lee@example.com');
    });
  });

  it('reports the masked error text in the statement summary, as the client saw it', async () => {
    const sql = "select 'ann.lee@example.com'::int";
    const message = await withClient(open, 'bob', (client) => client.query(sql).then(() => '', (e: Error) => e.message));
    expect(message).toMatch(/^invalid input syntax for type integer: ".+"$/);
    expect(message).not.toContain('ann.lee@example.com');
    await expect.poll(() => recorded().find((r) => r.sql === sql)?.error).toEqual({ code: '22P02', message });
  });

  it('shows an unmasked group the message as the server wrote it', async () => {
    await withClient(configured, 'carol', async (client) => {
      const error = await client.query(`insert into ${TABLE} (id, email) values (998, 'ann.lee@example.com')`).then(
        () => undefined,
        (e: { detail?: string }) => e,
      );
      expect(error!.detail).toContain('ann.lee@example.com');
    });
  });
});
