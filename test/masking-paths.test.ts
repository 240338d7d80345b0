// Every path a value can leave Sluice by, masked end to end in each dialect, with an identity in unmasked_groups
// (carol) seeing the clear values of the same statements: RETURNING, cursors, errors that echo values and COPY … TO.
// PostgreSQL through psql and pg; MariaDB through mysql2 and MariaDB Connector/C; SQL Server through tedious to
// the TDS test server (which runs PostgreSQL SQL: OUTPUT and API cursors are not available there, see the tests).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { TYPES, type Connection as TediousConnection } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directMariadb, runClient, uniqueDatabasePrefix } from './helpers/mysql-compat.js';
import { psql, run } from './helpers/processes.js';
import { postgresListener, startSluice, type RunningSluice } from './helpers/sluice.js';
import { TdsTestServer } from './helpers/tds-test-server/index.js';
import { batch, closeTedious, connectTedious, execSql } from './helpers/tedious-client.js';

const IDENTITIES = `
identity:
  users:
    - { name: bob, password: bob-paths-pw, groups: [analyst] }
    - { name: carol, password: carol-paths-pw, groups: [pii-readers] }
`;
const MASKING = `
plugins:
  - use: "@sluice/plugin-masking"
    with: { unmasked_groups: [pii-readers] }
`;
const PASSWORDS = { bob: 'bob-paths-pw', carol: 'carol-paths-pw' } as const;
type User = keyof typeof PASSWORDS;

/**
 * The people every dialect's table holds. Bob Roe's phone is a UK national number, which no recognizer finds
 * outside the `phone` column: only the column name can mask it, so it shows whether a path keeps column names.
 */
const PEOPLE = [
  { id: 1, name: 'Ann Lee', email: 'ann.lee@example.com', phone: '+1 (415) 555-2671', notes: 'call 212-555-0199' },
  { id: 2, name: 'Bob Roe', email: 'bob.roe@example.net', phone: '020 7946 0958', notes: 'no contact details' },
  { id: 3, name: 'Cy Null', email: 'cy@example.org', phone: '020 7946 0000', notes: null },
];
/** What bob must see for the same people: the masks of the zero-config strategies. */
const MASKED = [
  { id: 1, email: '****@example.com', phone: '+* (***) ***-2671' },
  { id: 2, email: '****@example.net', phone: '*** **** 0958' },
  { id: 3, email: '****@example.org', phone: '*** **** 0000' },
];
/** Clear values that must never reach bob, whatever the path. */
const CLEAR_VALUES = ['ann.lee@example.com', 'bob.roe@example.net', 'cy@example.org', '555-2671', '7946 0958', '7946 0000', '212-555-0199'];

/** The tuples of a binary COPY file: each field's bytes (null for NULL). */
function readBinaryCopy(bytes: Buffer): (Buffer | null)[][] {
  expect(bytes.subarray(0, 11).equals(Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'))).toBe(true);
  let offset = 19 + bytes.readInt32BE(15);
  const tuples: (Buffer | null)[][] = [];
  for (;;) {
    const count = bytes.readInt16BE(offset);
    offset += 2;
    if (count === -1) break;
    const fields: (Buffer | null)[] = [];
    for (let i = 0; i < count; i++) {
      const length = bytes.readInt32BE(offset);
      offset += 4;
      fields.push(length === -1 ? null : bytes.subarray(offset, offset + length));
      if (length > 0) offset += length;
    }
    tuples.push(fields);
  }
  expect(offset).toBe(bytes.length);
  return tuples;
}

function expectNoClearValue(result: unknown): void {
  const text = typeof result === 'string' ? result : JSON.stringify(result);
  for (const clear of CLEAR_VALUES) expect(text, `"${clear}" leaked`).not.toContain(clear);
  // The people the tests add or name in failing statements.
  expect(text).not.toMatch(/dee\d+@|zed@/);
}

const valuesSql = PEOPLE.map((p) => `(${p.id}, '${p.name}', '${p.email}', '${p.phone}', ${p.notes === null ? 'null' : `'${p.notes}'`})`).join(', ');

/** A person added by a statement under test; `n` keeps bob's and carol's rows apart. */
const newPerson = (n: number) => ({ id: 100 + n, name: `Dee ${n}`, email: `dee${n}@example.com`, phone: `020 7946 ${1000 + n}` });

describe('PostgreSQL', () => {
  const SCHEMA = 'masking_paths_pg';
  const T = `${SCHEMA}.people`;
  const DIRECT = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
  let proxy: RunningSluice;

  beforeAll(async () => {
    const direct = new pg.Client(DIRECT);
    await direct.connect();
    await direct.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA};
      create table ${T} (id int primary key, name text check (length(name) < 20), email text unique, phone text unique, notes text);
      insert into ${T} values ${valuesSql};
      create table ${SCHEMA}.orders (id int primary key, customer_email text references ${T} (email))`);
    await direct.end();
    proxy = await startSluice(`${postgresListener()}${IDENTITIES}${MASKING}`);
  });

  afterAll(async () => {
    await proxy?.stop();
    const direct = new pg.Client(DIRECT);
    await direct.connect();
    await direct.query(`drop schema if exists ${SCHEMA} cascade`);
    await direct.end();
  });

  async function withClient<T>(user: User | 'direct', body: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(user === 'direct' ? DIRECT : { host: '127.0.0.1', port: proxy.port, user, password: PASSWORDS[user], database: 'postgres' });
    await client.connect();
    try {
      return await body(client);
    } finally {
      await client.end();
    }
  }

  /** psql reading a script from stdin: one simple-protocol Query per statement, tuples only, no command tags. */
  const psqlScript = (user: User | 'direct', script: string) =>
    run('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(user === 'direct' ? 5432 : proxy.port), '-U', user === 'direct' ? 'postgres' : user, '-d', 'postgres', '-f', '-'], {
      input: script,
      env: { PGPASSWORD: user === 'direct' ? '' : PASSWORDS[user], PGCONNECT_TIMEOUT: '10', PG_COLOR: 'never' },
    });

  describe('RETURNING', () => {
    const script = (n: number) => {
      const p = newPerson(n);
      return `insert into ${T} (id, name, email, phone) values (${p.id}, '${p.name}', '${p.email}', '${p.phone}') returning id, email, phone;
update ${T} set notes = 'write to ${p.email}' where id = ${p.id} returning email, notes;
delete from ${T} where id = ${p.id} returning id, email, phone;
`;
    };

    it('INSERT, UPDATE and DELETE … RETURNING through psql (simple protocol): masked for bob, clear for carol', async () => {
      const [bob, carol] = [await psqlScript('bob', script(1)), await psqlScript('carol', script(2))];
      expect(bob.stderr).toBe('');
      expect(bob.stdout.trim().split('\n')).toEqual(['101|****@example.com|*** **** 1001', '****@example.com|write to ****@example.com', '101|****@example.com|*** **** 1001']);
      expectNoClearValue(bob.stdout);
      expect(carol.stderr).toBe('');
      expect(carol.stdout.trim().split('\n')).toEqual(['102|dee2@example.com|020 7946 1002', 'dee2@example.com|write to dee2@example.com', '102|dee2@example.com|020 7946 1002']);
    });

    it('INSERT, UPDATE and DELETE … RETURNING through pg (extended protocol, parameters; text and binary results)', async () => {
      const statements = async (user: User, n: number) =>
        withClient(user, async (c) => {
          const p = newPerson(n);
          const inserted = await c.query(`insert into ${T} (id, name, email, phone) values ($1, $2, $3, $4) returning *`, [p.id, p.name, p.email, p.phone]);
          const updated = await c.query(`update ${T} set notes = 'write to ' || email where id = $1 returning email, notes`, [p.id]);
          const deleted = await c.query({ text: `delete from ${T} where id = $1 returning id, email, phone`, values: [p.id], binary: true } as pg.QueryConfig);
          const text = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString() : v]));
          return [inserted.rows, updated.rows, deleted.rows.map(text)];
        });
      const [bob, carol] = [await statements('bob', 3), await statements('carol', 4)];
      expect(bob).toEqual([
        [{ id: 103, name: 'Dee 3', email: '****@example.com', phone: '*** **** 1003', notes: null }],
        [{ email: '****@example.com', notes: 'write to ****@example.com' }],
        [{ id: 103, email: '****@example.com', phone: '*** **** 1003' }],
      ]);
      expectNoClearValue(bob);
      expect(carol).toEqual([
        [{ id: 104, name: 'Dee 4', email: 'dee4@example.com', phone: '020 7946 1004', notes: null }],
        [{ email: 'dee4@example.com', notes: 'write to dee4@example.com' }],
        [{ id: 104, email: 'dee4@example.com', phone: '020 7946 1004' }],
      ]);
    });
  });

  describe('cursors', () => {
    const SELECT = `select id, email, phone from ${T} order by id`;
    const lines = (rows: typeof MASKED) => rows.map((r) => `${r.id}|${r.email}|${r.phone}`);

    it('DECLARE … CURSOR and FETCH 2 through psql (simple protocol), and psql reading a SELECT through its own cursor (FETCH_COUNT)', async () => {
      const script = `begin;
declare c cursor for ${SELECT};
fetch 2 from c;
fetch 2 from c;
commit;
\\set FETCH_COUNT 2
${SELECT};
`;
      const [bob, carol, direct] = await Promise.all([psqlScript('bob', script), psqlScript('carol', script), psqlScript('direct', script)]);
      expect(bob.stderr).toBe('');
      expect(bob.stdout.trim().split('\n')).toEqual([...lines(MASKED), ...lines(MASKED)]);
      expectNoClearValue(bob.stdout);
      expect(carol.stderr).toBe('');
      expect(carol.stdout).toBe(direct.stdout);
      expect(carol.stdout).toContain('2|bob.roe@example.net|020 7946 0958');
    });

    it('cursors through pg: FETCH over the extended protocol in text and binary, a BINARY cursor, and a portal read 2 rows at a time (pg-cursor)', async () => {
      const read = (user: User | 'direct') =>
        withClient(user, async (c) => {
          const asText = (rows: Record<string, unknown>[]) => rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString() : v])));
          await c.query('begin');
          await c.query({ text: `declare c cursor for ${SELECT}`, queryMode: 'extended' } as pg.QueryConfig);
          const extended = [
            ...(await c.query({ text: 'fetch 2 from c', queryMode: 'extended' } as pg.QueryConfig)).rows,
            ...asText((await c.query({ text: 'fetch 2 from c', queryMode: 'extended', binary: true } as pg.QueryConfig)).rows),
          ];
          // A BINARY cursor sends binary DataRows even through the simple protocol.
          await c.query(`declare b binary cursor for ${SELECT}`);
          const binaryCursor = asText((await c.query('fetch all from b')).rows);
          await c.query('commit');
          const cursor = c.query(new Cursor(`${SELECT.replace(' order by', ' where id > $1 order by')}`, [0]));
          const portal: Record<string, unknown>[] = [];
          for (let batch = await cursor.read(2); batch.length > 0; batch = await cursor.read(2)) portal.push(...batch);
          await cursor.close();
          return { extended, binaryCursor, portal };
        });
      const [bob, carol, direct] = await Promise.all([read('bob'), read('carol'), read('direct')]);
      expect(bob).toEqual({ extended: MASKED, binaryCursor: MASKED, portal: MASKED });
      expectNoClearValue(bob);
      expect(carol).toEqual(direct);
      expect(carol.portal[1]).toEqual({ id: 2, email: 'bob.roe@example.net', phone: '020 7946 0958' });
    });
  });

  describe('errors and notices that echo values', () => {
    /** Statements whose errors quote the row: a duplicate email and phone, a missing foreign key, a failed check, a notice. */
    async function failures(user: User) {
      return withClient(user, async (c) => {
        const notices: string[] = [];
        c.on('notice', (notice) => notices.push(notice.message ?? ''));
        const error = (sql: string, values?: unknown[]) =>
          c.query(sql, values).then(
            () => undefined,
            (e: { code?: string; message: string; detail?: string }) => ({ code: e.code, message: e.message, detail: e.detail }),
          );
        const found = {
          duplicateEmail: await error(`insert into ${T} (id, email) values (900, 'ann.lee@example.com')`),
          duplicatePhone: await error(`insert into ${T} (id, phone) values ($1, $2)`, [901, '020 7946 0958']),
          missingKey: await error(`insert into ${SCHEMA}.orders values (1, 'zed@example.org')`),
          failedCheck: await error(`insert into ${T} (id, name, email) values (902, 'a name far too long to pass', 'zed@example.org')`),
          notices,
        };
        await c.query(`do $$ begin raise notice 'customer % exists', (select email from ${T} where id = 1); end $$`);
        return found;
      });
    }

    it('masks unique, foreign key and check violation details and notices for bob; carol reads them as the server wrote them', async () => {
      const [bob, carol] = await Promise.all([failures('bob'), failures('carol')]);
      expect(bob).toEqual({
        duplicateEmail: { code: '23505', message: 'duplicate key value violates unique constraint "people_email_key"', detail: 'Key (email)=(****@example.com) already exists.' },
        duplicatePhone: { code: '23505', message: 'duplicate key value violates unique constraint "people_phone_key"', detail: 'Key (phone)=(*** **** 0958) already exists.' },
        missingKey: { code: '23503', message: expect.stringContaining('violates foreign key constraint'), detail: 'Key (customer_email)=(****@example.org) is not present in table "people".' },
        failedCheck: { code: '23514', message: expect.stringContaining('violates check constraint'), detail: expect.stringMatching(/^Failing row contains \(902, a name far too long to pass, \*\*\*\*@example\.org, null, null\)\.$/) },
        notices: ['customer ****@example.com exists'],
      });
      expectNoClearValue(bob);
      expect(carol).toMatchObject({
        duplicateEmail: { detail: 'Key (email)=(ann.lee@example.com) already exists.' },
        duplicatePhone: { detail: 'Key (phone)=(020 7946 0958) already exists.' },
        missingKey: { detail: 'Key (customer_email)=(zed@example.org) is not present in table "people".' },
        failedCheck: { detail: 'Failing row contains (902, a name far too long to pass, zed@example.org, null, null).' },
        notices: ['customer ann.lee@example.com exists'],
      });
    });
  });

  describe('COPY … TO', () => {
    const COPIES = [
      `copy ${T} to stdout`,
      `copy ${T} to stdout with (format csv, header)`,
      `copy (select id, email from ${T} order by id) to stdout with csv`,
      `copy ${T} to stdout with (format binary)`,
      `copy binary ${T} to stdout`,
      `\\copy ${T} to stdout with csv`,
      `copy ${T} (email, phone) to stdout with (format text, header, delimiter '|', null 'NULL')`,
    ];

    /**
     * What PostgreSQL itself writes for bob's masked values: his SELECT of the table, stored as postgres in a
     * table of the same columns, and copied directly with the same statement.
     */
    async function expectedForBob(): Promise<string> {
      const rows = await withClient('bob', async (c) => (await c.query(`select * from ${T} order by id`)).rows);
      expectNoClearValue(rows);
      await withClient('direct', async (c) => {
        await c.query(`drop table if exists ${EXPECTED}; create table ${EXPECTED} (like ${T})`);
        for (const row of rows) await c.query(`insert into ${EXPECTED} values ($1, $2, $3, $4, $5)`, [row.id, row.name, row.email, row.phone, row.notes]);
      });
      return EXPECTED;
    }
    const EXPECTED = `${SCHEMA}.people_masked_copy`;
    const binaryFile = (name: string) => join(workDir, `${name}.bin`);
    const workDir = mkdtempSync(join(tmpdir(), 'sluice-masking-copy-'));
    afterAll(() => rmSync(workDir, { recursive: true, force: true }));

    it('masks text and CSV COPY … TO STDOUT (and psql \\copy) for bob: the bytes PostgreSQL writes for the masked values', async () => {
      const expected = await expectedForBob();
      for (const sql of COPIES.filter((copy) => !/binary/.test(copy))) {
        const [bob, direct] = await Promise.all([psql(proxy.port, 'bob', PASSWORDS.bob, sql, [], { PG_COLOR: 'never' }), psql(5432, 'postgres', '', sql.replace(T, expected))]);
        expect(bob.stderr, sql).toBe('');
        expect(bob.code, sql).toBe(0);
        expectNoClearValue(bob.stdout);
        expect(bob.stdout, sql).toContain('****@example.com');
        expect(bob.stdout, sql).toBe(direct.stdout);
      }
      // Escapes, quotes, embedded delimiters, newlines and NULLs around the masked values stay as PostgreSQL writes them.
      const tricky = `copy (select email, E'a\\tb\\\\c\\nd' as t, 'x,"y"' as q, null::text as n, '' as e from ${T} order by id) to stdout`;
      for (const sql of [tricky, `${tricky} with (format csv, header, delimiter ';', null 'NULL', force_quote (t))`, `${tricky} with csv quote '''' escape '\\'`]) {
        const [bob, direct] = await Promise.all([psql(proxy.port, 'bob', PASSWORDS.bob, sql, [], { PG_COLOR: 'never' }), psql(5432, 'postgres', '', sql.replace(T, expected))]);
        expect(bob.stderr, sql).toBe('');
        expectNoClearValue(bob.stdout);
        expect(bob.stdout, sql).toBe(direct.stdout);
      }
    });

    it('masks binary COPY … TO STDOUT for bob (psql \\copy into a file): tuples carry the masked values in binary form', async () => {
      const expected = await expectedForBob();
      for (const [name, sql] of [
        ['options', `\\copy ${T} to '${binaryFile('bob-options')}' with (format binary)`],
        ['legacy', `\\copy binary ${T} to '${binaryFile('bob-legacy')}'`],
      ] as const) {
        const bob = await psql(proxy.port, 'bob', PASSWORDS.bob, sql, [], { PG_COLOR: 'never' });
        expect(bob.stderr, sql).toBe('');
        const direct = await psql(5432, 'postgres', '', `\\copy ${expected} to '${binaryFile(`direct-${name}`)}' with (format binary)`);
        expect(direct.stderr).toBe('');
        const bytes = readFileSync(binaryFile(`bob-${name}`));
        expectNoClearValue(bytes.toString('latin1'));
        expect(bytes.equals(readFileSync(binaryFile(`direct-${name}`))), sql).toBe(true);
        // The file reads as binary COPY: header, five fields per tuple (id int4, four text), trailer.
        const tuples = readBinaryCopy(bytes);
        expect(tuples.map((fields) => [fields[0]!.readInt32BE(0), fields[2]!.toString()])).toEqual(MASKED.map((m) => [m.id, m.email]));
      }
    });

    it('copies a temporary table (no side-connection description) with column1…n, still masking values the recognizers find', async () => {
      const script = `create temp table tmp_people as select * from ${T} order by id;\ncopy tmp_people (email) to stdout;\n\\copy tmp_people to '${binaryFile('bob-temp')}' with (format binary)\n`;
      const bob = await psqlScript('bob', script);
      expect(bob.stderr).toBe('');
      expect(bob.stdout.trim().split('\n')).toEqual(MASKED.map((m) => m.email));
      // In binary, values of no known type cannot be read: they are withheld (NULL), never sent clear.
      const bytes = readFileSync(binaryFile('bob-temp'));
      expectNoClearValue(bytes.toString('latin1'));
      expect(readBinaryCopy(bytes)).toEqual(PEOPLE.map(() => [null, null, null, null, null]));
    });

    it('lets carol copy out in every format, byte for byte what a direct connection gets', async () => {
      for (const sql of COPIES) {
        const [carol, direct] = await Promise.all([psql(proxy.port, 'carol', PASSWORDS.carol, sql), psql(5432, 'postgres', '', sql)]);
        expect(carol.stderr, sql).toBe('');
        expect(carol.stdout, sql).toBe(direct.stdout);
        expect(carol.stdout, sql).toContain('ann.lee@example.com');
      }
    });
  });
});

describe('MariaDB', () => {
  const DATABASE = `${uniqueDatabasePrefix()}_masking_paths`;
  let proxy: RunningSluice;
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-masking-paths-'));

  beforeAll(async () => {
    await directMariadb((c) =>
      c.query(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4; USE \`${DATABASE}\`;
        CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40), email VARCHAR(80) UNIQUE, phone VARCHAR(40) UNIQUE, notes TEXT);
        INSERT INTO people VALUES ${valuesSql}`),
    );
    proxy = await startSluice(`
listeners:
  - name: mysql-paths
    dialect: mysql
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 3306, user: root, database: ${DATABASE}, tls: disable }
${IDENTITIES}${MASKING}`);
  });

  afterAll(async () => {
    await proxy?.stop(200);
    await directMariadb((c) => c.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``));
    rmSync(workDir, { recursive: true, force: true });
  });

  async function withConnection<T>(user: User, body: (c: mysql.Connection) => Promise<T>): Promise<T> {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: proxy.port, user, password: PASSWORDS[user], database: DATABASE });
    c.on('error', () => undefined);
    try {
      return await body(c);
    } finally {
      await c.end().catch(() => c.destroy());
    }
  }

  it('INSERT … RETURNING and DELETE … RETURNING through mysql2, text and prepared (binary rows): masked for bob, clear for carol', async () => {
    const statements = (user: User, n: number) =>
      withConnection(user, async (c) => {
        const [text, prepared] = [newPerson(n), newPerson(n + 1)];
        const insert = 'INSERT INTO people (id, name, email, phone) VALUES (?, ?, ?, ?) RETURNING id, email, phone';
        const remove = 'DELETE FROM people WHERE id = ? RETURNING id, email, phone';
        return [
          (await c.query<RowDataPacket[]>(insert, [text.id, text.name, text.email, text.phone]))[0],
          (await c.query<RowDataPacket[]>(remove, [text.id]))[0],
          (await c.execute<RowDataPacket[]>(insert, [prepared.id, prepared.name, prepared.email, prepared.phone]))[0],
          (await c.execute<RowDataPacket[]>(remove, [prepared.id]))[0],
        ];
      });
    const [bob, carol] = [await statements('bob', 11), await statements('carol', 21)];
    const bobSees = [{ id: 111, email: '****@example.com', phone: '*** **** 1011' }];
    const bobSeesPrepared = [{ id: 112, email: '****@example.com', phone: '*** **** 1012' }];
    expect(bob).toEqual([bobSees, bobSees, bobSeesPrepared, bobSeesPrepared]);
    expectNoClearValue(bob);
    const carolSees = [{ id: 121, email: 'dee21@example.com', phone: '020 7946 1021' }];
    const carolSeesPrepared = [{ id: 122, email: 'dee22@example.com', phone: '020 7946 1022' }];
    expect(carol).toEqual([carolSees, carolSees, carolSeesPrepared, carolSeesPrepared]);
  });

  /** MariaDB Connector/C (libmariadb.so.3) and a C compiler: the client whose prepared statements can open server-side cursors. */
  const CONNECTOR_C = '/usr/lib/x86_64-linux-gnu/libmariadb.so.3';
  const connectorC = existsSync(CONNECTOR_C) && spawnSync('cc', ['--version']).status === 0;

  it.skipIf(!connectorC)(
    `a server-side cursor: COM_STMT_EXECUTE with the cursor flag, then COM_STMT_FETCH 2 rows at a time (MariaDB Connector/C)${connectorC ? '' : ` (skipped: needs ${CONNECTOR_C} and cc)`}`,
    { timeout: 60_000 },
    async () => {
      const program = join(workDir, 'cursor-fetch');
      writeFileSync(`${program}.c`, CURSOR_FETCH_C);
      const compiled = await run('cc', ['-O0', '-o', program, `${program}.c`, CONNECTOR_C], { timeoutMs: 60_000 });
      expect(compiled.stderr).toBe('');
      const fetchAs = async (port: number, user: string, password: string) => {
        const result = await runClient(program, [], { env: { FETCH_PORT: String(port), FETCH_USER: user, FETCH_PASSWORD: password, FETCH_DATABASE: DATABASE, FETCH_SQL: 'SELECT id, email, phone FROM people ORDER BY id' } });
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        const lines = result.stdout.trim().split('\n');
        // Counted by the server for this session: the rows really came through COM_STMT_FETCH.
        expect(Number(lines.find((line) => line.startsWith('Com_stmt_fetch'))?.split('\t')[1])).toBeGreaterThanOrEqual(2);
        return lines.filter((line) => line.startsWith('row'));
      };
      const [bob, carol, direct] = await Promise.all([fetchAs(proxy.port, 'bob', PASSWORDS.bob), fetchAs(proxy.port, 'carol', PASSWORDS.carol), fetchAs(3306, 'root', '')]);
      expect(bob).toEqual(MASKED.map((r) => `row\t${r.id}\t${r.email}\t${r.phone}`));
      expectNoClearValue(bob);
      expect(carol).toEqual(direct);
      expect(carol).toEqual(PEOPLE.map((p) => `row\t${p.id}\t${p.email}\t${p.phone}`));
    },
  );

  it('masks the value a duplicate-entry ERR 1062 echoes, text and prepared, by value and by key name; carol reads it clear', async () => {
    const failures = (user: User) =>
      withConnection(user, async (c) => {
        const error = (run: Promise<unknown>) => run.then(() => undefined, (e: { errno: number; message: string }) => ({ errno: e.errno, message: e.message }));
        return [
          await error(c.query("INSERT INTO people (id, email) VALUES (900, 'ann.lee@example.com')")),
          await error(c.execute('INSERT INTO people (id, phone) VALUES (?, ?)', [901, '020 7946 0958'])),
        ];
      });
    const [bob, carol] = await Promise.all([failures('bob'), failures('carol')]);
    expect(bob).toEqual([
      { errno: 1062, message: "Duplicate entry '****@example.com' for key 'email'" },
      { errno: 1062, message: "Duplicate entry '*** **** 0958' for key 'phone'" },
    ]);
    expect(carol).toEqual([
      { errno: 1062, message: "Duplicate entry 'ann.lee@example.com' for key 'email'" },
      { errno: 1062, message: "Duplicate entry '020 7946 0958' for key 'phone'" },
    ]);
  });
});

describe('SQL Server (TDS test server)', () => {
  const SCHEMA = 'masking_paths_tds';
  const UPSTREAM = { user: 'paths_upstream', password: 'Paths-Upstream-Pw-1' };
  let server: TdsTestServer;
  let proxy: RunningSluice;
  const connections: TediousConnection[] = [];

  beforeAll(async () => {
    const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA};
      create table ${SCHEMA}.people (id int primary key, name varchar(40), email varchar(80) unique, phone varchar(40), notes text);
      insert into ${SCHEMA}.people values ${valuesSql}`);
    await admin.end();
    server = await TdsTestServer.start({ database: SCHEMA, users: { [UPSTREAM.user]: UPSTREAM.password } });
    proxy = await startSluice(
      `
listeners:
  - name: mssql-paths
    dialect: mssql
    listen: 127.0.0.1:0
    upstream:
      host: 127.0.0.1
      port: ${server.port}
      user: ${UPSTREAM.user}
      password: \${env:UPSTREAM_PASSWORD}
      database: ${SCHEMA}
      tls: disable
${IDENTITIES}${MASKING}`,
      { UPSTREAM_PASSWORD: UPSTREAM.password },
    );
  });

  afterAll(async () => {
    await Promise.all(connections.map((c) => closeTedious(c).catch(() => undefined)));
    await proxy?.stop();
    await server?.stop();
    const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`drop schema if exists ${SCHEMA} cascade`);
    await admin.end();
  });

  async function as(user: User): Promise<TediousConnection> {
    const connection = await connectTedious({ port: proxy.port, user, password: PASSWORDS[user], appName: 'masking-paths-e2e' });
    connections.push(connection);
    return connection;
  }

  // The TDS test server runs PostgreSQL SQL and does not translate OUTPUT: PostgreSQL's RETURNING stands in for it.
  // On the wire it is the same thing, a result set (COLMETADATA, ROWs) answering an INSERT, UPDATE or DELETE.
  it('rows an INSERT, UPDATE or DELETE sends back (RETURNING in place of OUTPUT), in a batch and through sp_executesql: masked for bob, clear for carol', async () => {
    const statements = async (user: User, n: number) => {
      const connection = await as(user);
      const p = newPerson(n);
      const inserted = await batch(connection, `insert into people (id, name, email, phone) values (${p.id}, '${p.name}', '${p.email}', '${p.phone}') returning id, email, phone`);
      const updated = await execSql(connection, "update people set notes = 'write to ' || email where id = @id returning email, notes", [['id', TYPES.Int, p.id]]);
      const deleted = await execSql(connection, 'delete from people where id = @id returning id, email, phone', [['id', TYPES.Int, p.id]]);
      return [inserted.rows, updated.rows, deleted.rows];
    };
    const [bob, carol] = [await statements('bob', 31), await statements('carol', 32)];
    expect(bob).toEqual([
      [{ id: 131, email: '****@example.com', phone: '*** **** 1031' }],
      [{ email: '****@example.com', notes: 'write to ****@example.com' }],
      [{ id: 131, email: '****@example.com', phone: '*** **** 1031' }],
    ]);
    expectNoClearValue(bob);
    expect(carol).toEqual([
      [{ id: 132, email: 'dee32@example.com', phone: '020 7946 1032' }],
      [{ email: 'dee32@example.com', notes: 'write to dee32@example.com' }],
      [{ id: 132, email: 'dee32@example.com', phone: '020 7946 1032' }],
    ]);
  });

  // The TDS test server has no API cursors (sp_cursoropen/sp_cursorfetch); a server cursor fetched in a batch is the
  // cursor path it offers: each FETCH answers with a result set of its own.
  it('a server cursor read with FETCH 2 in a batch: every result set masked for bob, clear for carol', async () => {
    const read = async (user: User) =>
      (await batch(await as(user), 'begin tran; declare c cursor for select id, email, phone from people where id <= 3 order by id; fetch 2 from c; fetch 2 from c; commit')).resultSets.map(
        (set) => set.rows,
      );
    const [bob, carol] = await Promise.all([read('bob'), read('carol')]);
    const asArrays = (rows: { id: number; email: string; phone: string }[]) => rows.map((r) => [r.id, r.email, r.phone]);
    expect(bob).toEqual([asArrays(MASKED.slice(0, 2)), asArrays(MASKED.slice(2))]);
    expectNoClearValue(bob);
    expect(carol).toEqual([asArrays(PEOPLE.slice(0, 2)), asArrays(PEOPLE.slice(2))]);
  });

  it('masks the value an error 2627 "The duplicate key value is (…)" echoes, by value and by the constraint\'s column; carol reads it clear', async () => {
    // PostgreSQL's own unique violation names no value in its message; this raises SQL Server's wording with
    // SQLSTATE 23505, which the TDS test server sends as error 2627.
    const violation = (column: 'email' | 'phone') => `do $$ begin raise exception using errcode = '23505', message = format(
      'Violation of UNIQUE KEY constraint ''UQ_people_${column}''. Cannot insert duplicate key in object ''dbo.people''. The duplicate key value is (%s).',
      (select ${column} from people where id = 2)); end $$`;
    const message = (column: string, value: string) =>
      `Violation of UNIQUE KEY constraint 'UQ_people_${column}'. Cannot insert duplicate key in object 'dbo.people'. The duplicate key value is (${value}).`;
    const failures = async (user: User) => {
      const connection = await as(user);
      const failure = (sql: string) => batch(connection, sql).then(() => undefined, (e: { number?: number; message: string }) => ({ number: e.number, message: e.message }));
      return [await failure(violation('email')), await failure(violation('phone'))];
    };
    const [bob, carol] = await Promise.all([failures('bob'), failures('carol')]);
    expect(bob).toEqual([
      { number: 2627, message: message('email', '****@example.net') },
      { number: 2627, message: message('phone', '*** **** 0958') },
    ]);
    expect(carol).toEqual([
      { number: 2627, message: message('email', 'bob.roe@example.net') },
      { number: 2627, message: message('phone', '020 7946 0958') },
    ]);
  });
});

/**
 * A MariaDB Connector/C client that reads a prepared SELECT through a server-side cursor, 2 rows per COM_STMT_FETCH,
 * then asks the server how many COM_STMT_FETCH it got on this session. The declarations are those of Connector/C 3
 * (mysql.h, mariadb_stmt.h), written out so that no -dev package is needed.
 */
const CURSOR_FETCH_C = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef char my_bool;
typedef struct st_mysql MYSQL;
typedef struct st_mysql_stmt MYSQL_STMT;
typedef struct st_mysql_res MYSQL_RES;
typedef char **MYSQL_ROW;
typedef struct st_mysql_bind {
  unsigned long *length; my_bool *is_null; void *buffer; my_bool *error; void *u; void *store_param_func;
  void *fetch_result; void *skip_result; unsigned long buffer_length; unsigned long offset; unsigned long length_value;
  unsigned int flags; unsigned int pack_length; int buffer_type; my_bool error_value; my_bool is_unsigned;
  my_bool long_data_used; my_bool is_null_value; void *extension;
} MYSQL_BIND;
enum { STMT_ATTR_CURSOR_TYPE = 1, STMT_ATTR_PREFETCH_ROWS = 2, CURSOR_TYPE_READ_ONLY = 1, MYSQL_TYPE_STRING = 254, MYSQL_NO_DATA = 100 };

MYSQL *mysql_init(MYSQL *);
MYSQL *mysql_real_connect(MYSQL *, const char *, const char *, const char *, const char *, unsigned int, const char *, unsigned long);
const char *mysql_error(MYSQL *);
int mysql_query(MYSQL *, const char *);
MYSQL_RES *mysql_store_result(MYSQL *);
MYSQL_ROW mysql_fetch_row(MYSQL_RES *);
void mysql_free_result(MYSQL_RES *);
void mysql_close(MYSQL *);
MYSQL_STMT *mysql_stmt_init(MYSQL *);
int mysql_stmt_prepare(MYSQL_STMT *, const char *, unsigned long);
my_bool mysql_stmt_attr_set(MYSQL_STMT *, int, const void *);
int mysql_stmt_execute(MYSQL_STMT *);
my_bool mysql_stmt_bind_result(MYSQL_STMT *, MYSQL_BIND *);
int mysql_stmt_fetch(MYSQL_STMT *);
const char *mysql_stmt_error(MYSQL_STMT *);
unsigned int mysql_stmt_field_count(MYSQL_STMT *);
my_bool mysql_stmt_close(MYSQL_STMT *);

static int fail(const char *what, const char *error) { fprintf(stderr, "%s: %s\n", what, error); return 1; }

int main(void) {
  MYSQL *db = mysql_init(NULL);
  if (!mysql_real_connect(db, "127.0.0.1", getenv("FETCH_USER"), getenv("FETCH_PASSWORD"), getenv("FETCH_DATABASE"), atoi(getenv("FETCH_PORT")), NULL, 0))
    return fail("connect", mysql_error(db));
  MYSQL_STMT *stmt = mysql_stmt_init(db);
  const char *sql = getenv("FETCH_SQL");
  if (mysql_stmt_prepare(stmt, sql, strlen(sql))) return fail("prepare", mysql_stmt_error(stmt));
  unsigned long cursor = CURSOR_TYPE_READ_ONLY, prefetch = 2;
  if (mysql_stmt_attr_set(stmt, STMT_ATTR_CURSOR_TYPE, &cursor) || mysql_stmt_attr_set(stmt, STMT_ATTR_PREFETCH_ROWS, &prefetch))
    return fail("attr_set", mysql_stmt_error(stmt));
  if (mysql_stmt_execute(stmt)) return fail("execute", mysql_stmt_error(stmt));
  unsigned int columns = mysql_stmt_field_count(stmt);
  MYSQL_BIND *bind = calloc(columns, sizeof(MYSQL_BIND));
  char (*values)[256] = calloc(columns, 256);
  unsigned long *lengths = calloc(columns, sizeof(unsigned long));
  my_bool *nulls = calloc(columns, sizeof(my_bool));
  for (unsigned int i = 0; i < columns; i++) {
    bind[i].buffer_type = MYSQL_TYPE_STRING;
    bind[i].buffer = values[i];
    bind[i].buffer_length = 255;
    bind[i].length = &lengths[i];
    bind[i].is_null = &nulls[i];
  }
  if (mysql_stmt_bind_result(stmt, bind)) return fail("bind_result", mysql_stmt_error(stmt));
  int status;
  while ((status = mysql_stmt_fetch(stmt)) == 0) {
    printf("row");
    for (unsigned int i = 0; i < columns; i++) {
      if (nulls[i]) printf("\t\\N");
      else printf("\t%.*s", (int)lengths[i], values[i]);
    }
    printf("\n");
  }
  if (status != MYSQL_NO_DATA) return fail("fetch", mysql_stmt_error(stmt));
  mysql_stmt_close(stmt);
  if (mysql_query(db, "SHOW SESSION STATUS LIKE 'Com_stmt_fetch'")) return fail("status", mysql_error(db));
  MYSQL_RES *result = mysql_store_result(db);
  MYSQL_ROW row = mysql_fetch_row(result);
  printf("%s\t%s\n", row[0], row[1]);
  mysql_free_result(result);
  mysql_close(db);
  return 0;
}
`;
