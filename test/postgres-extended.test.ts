// The extended query protocol through Sluice: parameters, prepared statements, pipelining, cursors, binary results, denials mid-batch.
import pg from 'pg';
import Cursor from 'pg-cursor';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresListener, startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

type Recorded = Record<string, unknown> & { hook: string };
const recorded = () => ((globalThis as Record<string, unknown>).extendedEvents ??= []) as Recorded[];

let plain: RunningSluice;
let upper: RunningSluice;

beforeAll(async () => {
  const direct = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await direct.connect();
  await direct.query(`drop table if exists sluice_ext; create table sluice_ext (id int primary key, name text, doc jsonb, tags text[]);
    insert into sluice_ext select g, 'name ' || g, jsonb_build_object('email', 'u' || g || '@example.com'), array['a', 'b'] from generate_series(1, 100) g`);
  await direct.end();
  plain = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: ./plugins/recorder.js
    with: { key: extendedEvents }
  - use: ./plugins/deny-drop.js
`);
  upper = await startSluice(`${postgresListener()}${USERS}
plugins:
  - use: ./plugins/recorder.js
    with: { key: extendedEvents, upper: true, name: upper }
`);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), upper?.stop()]);
});
beforeEach(() => {
  recorded().length = 0;
});

const connect = async (proxy: RunningSluice) => {
  const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres' });
  await client.connect();
  return client;
};

describe('pg with parameters', () => {
  it('runs parameterized queries, and plugins see the SQL at prepare and the parameters at execute', async () => {
    const c = await connect(plain);
    const { rows } = await c.query('select id, name from sluice_ext where id = $1 or name = $2 order by id', [7, 'name 9']);
    expect(rows).toEqual([{ id: 7, name: 'name 7' }, { id: 9, name: 'name 9' }]);
    const queries = recorded().filter((e) => e.hook === 'onQuery');
    expect(queries.map((e) => e.via)).toEqual(['prepare', 'execute']);
    expect(queries[1]).toMatchObject({ sql: 'select id, name from sluice_ext where id = $1 or name = $2 order by id', params: ['7', 'name 9'] });
    expect(recorded().find((e) => e.hook === 'onResult' && e.rows === 2)).toBeDefined();
    await c.end();
  });

  it('reuses named prepared statements', async () => {
    const c = await connect(plain);
    for (const id of [1, 2, 3]) {
      const { rows } = await c.query({ name: 'by-id', text: 'select name from sluice_ext where id = $1', values: [id] });
      expect(rows).toEqual([{ name: `name ${id}` }]);
    }
    const vias = recorded().filter((e) => e.hook === 'onQuery').map((e) => e.via);
    expect(vias).toEqual(['prepare', 'execute', 'execute', 'execute']);
    await c.end();
  });

  it('denies a prepared DROP with 42501, and the connection stays in step', async () => {
    const c = await connect(plain);
    await expect(c.query({ name: 'bad', text: 'drop table sluice_ext' })).rejects.toMatchObject({ code: '42501', message: 'sluice: no-drop: DROP is not allowed here' });
    expect((await c.query('select count(*)::int as n from sluice_ext where id > $1', [0])).rows).toEqual([{ n: 100 }]);
    await c.end();
  });

  it('aborts the transaction a denied statement was in, as the server does for an error', async () => {
    const c = await connect(plain);
    await c.query('begin');
    await c.query('insert into sluice_ext values ($1, $2)', [1000, 'in tx']);
    await expect(c.query('drop table sluice_ext')).rejects.toMatchObject({ code: '42501' });
    await expect(c.query('select 1')).rejects.toMatchObject({ code: '25P02' });
    await c.query('rollback');
    expect((await c.query('select count(*)::int as n from sluice_ext where id = 1000')).rows).toEqual([{ n: 0 }]);
    await c.end();
  });

  it('relays server errors in the middle of a batch and stays in step', async () => {
    const c = await connect(plain);
    await expect(c.query('select 1 / $1::int', [0])).rejects.toMatchObject({ code: '22012' });
    await expect(c.query({ name: 'dup', text: 'select 1' })).resolves.toBeDefined();
    expect((await c.query('select $1::text as t', ['after'])).rows).toEqual([{ t: 'after' }]);
    await c.end();
  });

  it('reads a cursor in pages (Execute with a row limit, PortalSuspended)', async () => {
    const c = await connect(plain);
    const cursor = c.query(new Cursor('select id from sluice_ext order by id'));
    const pages: number[][] = [];
    for (;;) {
      const rows = await cursor.read(30);
      if (rows.length === 0) break;
      pages.push(rows.map((r: { id: number }) => r.id));
    }
    await cursor.close();
    expect(pages.map((p) => p.length)).toEqual([30, 30, 30, 10]);
    expect(pages.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await c.end();
  });
});

describe('row hooks on extended-protocol results', () => {
  it('replace text-format values', async () => {
    const c = await connect(upper);
    const { rows } = await c.query('select name, doc, tags from sluice_ext where id = $1', [5]);
    expect(rows).toEqual([{ name: 'NAME 5', doc: { EMAIL: 'U5@EXAMPLE.COM' }, tags: ['A', 'B'] }]);
    await c.end();
  });

  it('replace binary-format text and jsonb values and leave other binary values alone', async () => {
    const c = await connect(upper);
    const { rows } = await c.query({ text: 'select id, name, doc from sluice_ext where id = $1', values: [6], binary: true } as pg.QueryConfig);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(6);
    expect(Buffer.isBuffer(rows[0].name) ? rows[0].name.toString() : rows[0].name).toBe('NAME 6');
    await c.end();
  });

  it('see the columns of a re-executed named statement without a new Describe from the client', async () => {
    const c = await connect(upper);
    for (const id of [1, 2]) {
      const { rows } = await c.query({ name: 'upper-by-id', text: 'select name from sluice_ext where id = $1', values: [id] });
      expect(rows).toEqual([{ name: `NAME ${id}` }]);
    }
    await c.end();
  });
});

describe('postgres.js (pipelining, binary parameters)', () => {
  it('runs pipelined queries with the same results as directly', async () => {
    const through = postgres({ host: '127.0.0.1', port: plain.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres', max: 1, onnotice: () => undefined });
    const direct = postgres({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres', max: 1, onnotice: () => undefined });
    const batch = (sql: postgres.Sql) =>
      Promise.all([
        sql`select id, name from sluice_ext where id = ${3}`,
        sql`select count(*)::int as n from sluice_ext where id < ${50}`,
        sql`select ${'text'}::text as t, ${42}::int as i, ${true}::bool as b`,
        sql`select doc from sluice_ext where id = ${4}`,
      ]);
    const [a, b] = await Promise.all([batch(through), batch(direct)]);
    expect(a.map((r) => [...r])).toEqual(b.map((r) => [...r]));
    await expect(through`drop table sluice_ext`).rejects.toMatchObject({ code: '42501' });
    const again = await through`select ${1}::int as one`;
    expect([...again]).toEqual([{ one: 1 }]);
    await Promise.all([through.end(), direct.end()]);
  });

  it('keeps a transaction with pipelined statements intact', async () => {
    const sql = postgres({ host: '127.0.0.1', port: plain.port, user: 'alice', password: 'alice-secret-pw', database: 'postgres', max: 1 });
    const result = await sql.begin(async (tx) => {
      await tx`insert into sluice_ext values (${2000}, ${'tx'})`;
      const [row] = await tx`select name from sluice_ext where id = ${2000}`;
      await tx`delete from sluice_ext where id = ${2000}`;
      return row!.name;
    });
    expect(result).toBe('tx');
    await sql.end();
  });
});
