// MySQL/MariaDB through Sluice with real clients: the mariadb CLI and mysql2 against the machine's MariaDB.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { Connection, RowDataPacket, ResultSetHeader } from 'mysql2/promise';
import type { Identity, SluicePlugin } from '@sluice/core';
import { approvalsOf, type ApprovalsApi, type PendingApproval } from '@sluice/plugin-guardrails';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './helpers/processes.js';
import { directConnection, mysqlListener } from './helpers/mysql.js';
import { startSluice, USERS, type RunningSluice } from './helpers/sluice.js';

/** This file's own tables in the shared `test` database. */
const TABLE = 'sluice_my_basics';
const PEOPLE = 'sluice_my_basics_people';

let proxy: RunningSluice;
let masking: RunningSluice;
let identity: RunningSluice;

/** A plugin that reads every value and hands each back as it got it: nothing may change. */
const pluginDir = mkdtempSync(join(tmpdir(), 'sluice-my-basics-'));
const identityPlugin = join(pluginDir, 'identity-rows.js');
writeFileSync(
  identityPlugin,
  `export default function createPlugin() {
  return { name: 'identity-rows', onResultSet: () => ({ columns: 'all' }), onRow: (_session, row) => [...row.values] };
}
`,
);

beforeAll(async () => {
  const direct = await directConnection();
  await direct.query(`drop table if exists ${TABLE}, ${PEOPLE};
    create table ${TABLE} (id int primary key, name varchar(50), amount decimal(10,2), born date, seen datetime(3), ratio double, flag tinyint, big bigint unsigned, note text, raw varbinary(16));
    create table ${PEOPLE} (id int primary key, email varchar(100), nickname varchar(50), born date, visits bigint)`);
  const rows: string[] = [];
  for (let i = 1; i <= 300; i++) {
    rows.push(`(${i}, 'name ${i}', ${i}.25, '2000-01-${String((i % 28) + 1).padStart(2, '0')}', '2024-05-06 07:08:09.${String(i % 1000).padStart(3, '0')}', ${i / 8}, ${i % 2}, ${18446744073709551615n - BigInt(i)}, ${i % 10 === 0 ? 'NULL' : `'note ${i}'`}, x'00ff${i.toString(16).padStart(4, '0')}')`);
  }
  await direct.query(`insert into ${TABLE} values ${rows.join(',')}`);
  await direct.query(`insert into ${PEOPLE} values (1, 'ann.lee@example.com', 'ann', '1990-04-01', 7), (2, 'bob.stone@example.org', 'bob', '1985-12-24', 3), (3, NULL, 'nobody', NULL, NULL)`);
  await direct.end();
  proxy = await startSluice(`${mysqlListener()}${USERS}
plugins:
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: no-drop-in-test, match: { statement: [drop, truncate] }, action: deny }
        - { name: review-alter, match: { statement: [alter] }, action: require_approval }
`);
  masking = await startSluice(`${mysqlListener()}${USERS}
plugins:
  - use: "@sluice/plugin-masking"
`);
  identity = await startSluice(`${mysqlListener()}${USERS}
plugins:
  - use: ${identityPlugin}
`);
});

afterAll(async () => {
  await proxy?.stop();
  await masking?.stop();
  await identity?.stop();
  const direct = await directConnection();
  await direct.query(`drop table if exists ${TABLE}, ${PEOPLE}`);
  await direct.end();
});

function through(port = proxy.port, extra: mysql.ConnectionOptions = {}): Promise<Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port, user: 'alice', password: 'alice-secret-pw', database: 'test', multipleStatements: true, ...extra });
}

function mariadb(port: number, args: string[], options: { user?: string; password?: string; input?: string } = {}) {
  return run('mariadb', ['-h', '127.0.0.1', '-P', String(port), '-u', options.user ?? 'alice', `-p${options.password ?? 'alice-secret-pw'}`, ...args], {
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

describe('the mariadb command-line client through Sluice', () => {
  it('prints the same rows as a direct connection', async () => {
    const sql = `select * from ${TABLE} order by id`;
    const viaSluice = await mariadb(proxy.port, ['test', '-e', sql]);
    const direct = await run('mariadb', ['-h', '127.0.0.1', '-P', '3306', '-u', 'root', 'test', '-e', sql]);
    expect(viaSluice.stderr).toBe('');
    expect(viaSluice.code).toBe(0);
    expect(viaSluice.stdout).toBe(direct.stdout);
    expect(viaSluice.stdout.trim().split('\n')).toHaveLength(301);
  });

  it('refuses a wrong password with 1045', async () => {
    const result = await mariadb(proxy.port, ['test', '-e', 'select 1'], { password: 'wrong' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("ERROR 1045 (28000): Access denied for user 'alice'");
  });

  it('denies DROP with 1142 and runs the rest of a script (--force)', async () => {
    const script = `select 1;\ndrop table ${TABLE};\nselect count(*) from ${TABLE};\n`;
    const result = await mariadb(proxy.port, ['--force', '-N', 'test'], { input: script });
    expect(result.stderr).toContain('ERROR 1142 (42000)');
    expect(result.stderr).toContain('sluice: no-drop-in-test:');
    expect(result.stdout.trim().split('\n')).toEqual(['1', '300']);
  });

  it('switches databases with COM_INIT_DB (use)', async () => {
    const result = await mariadb(proxy.port, ['-N', '-e', 'use test; select database()'], {});
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('test\n');
  });

  it('answers mariadb-admin ping and status (COM_PING, COM_STATISTICS)', async () => {
    const args = ['-h', '127.0.0.1', '-P', String(proxy.port), '-u', 'alice', '-palice-secret-pw'];
    const ping = await run('mariadb-admin', [...args, 'ping']);
    expect(ping.stdout).toContain('mysqld is alive');
    const status = await run('mariadb-admin', [...args, 'status']);
    expect(status.stderr).toBe('');
    expect(status.stdout).toMatch(/^Uptime: \d+\s+Threads: \d+/);
  });

  it('loads a local file with LOAD DATA LOCAL INFILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-my-infile-'));
    const file = join(dir, 'rows.tsv');
    writeFileSync(file, Array.from({ length: 1000 }, (_, i) => `${i + 1}\tinfile ${i + 1}`).join('\n') + '\n');
    const table = `${TABLE}_infile`;
    const sql = `drop table if exists ${table}; create table ${table} (id int, name varchar(40)); load data local infile '${file}' into table ${table}; select count(*), max(name) from ${table}; drop table ${table}`;
    // DROP is denied by the guardrails of `proxy`: load through the masking listener, which has no rules.
    const result = await mariadb(masking.port, ['--local-infile=1', '-N', 'test', '-e', sql]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('1000\tinfile 999');
  });
});

describe('mysql2 through Sluice', () => {
  it('returns the same rows and fields as directly, text protocol', async () => {
    const sql = `select * from ${TABLE} order by id`;
    const conn = await through();
    const direct = await directConnection();
    const [viaRows, viaFields] = await conn.query<RowDataPacket[]>(sql);
    const [directRows, directFields] = await direct.query<RowDataPacket[]>(sql);
    expect(viaRows).toEqual(directRows);
    expect(viaFields.map((f) => [f.name, f.type, f.flags, f.table, f.orgTable, f.db])).toEqual(directFields.map((f) => [f.name, f.type, f.flags, f.table, f.orgTable, f.db]));
    await conn.end();
    await direct.end();
  });

  it('returns the same rows as directly with prepared statements (binary protocol)', async () => {
    const sql = `select * from ${TABLE} where id between ? and ? and name like ? order by id`;
    const params = [5, 250, 'name%'];
    const conn = await through();
    const direct = await directConnection();
    const [viaRows] = await conn.execute<RowDataPacket[]>(sql, params);
    const [directRows] = await direct.execute<RowDataPacket[]>(sql, params);
    expect(viaRows).toHaveLength(246);
    expect(viaRows).toEqual(directRows);
    // The same statement again: mysql2 reuses it (COM_STMT_EXECUTE without the types).
    const [again] = await conn.execute<RowDataPacket[]>(sql, [1, 1, 'name 1']);
    expect(again).toEqual([directRows[0] ? { ...(await direct.execute<RowDataPacket[]>(sql, [1, 1, 'name 1']))[0][0] } : undefined]);
    await conn.unprepare(sql);
    await conn.end();
    await direct.end();
  });

  it('runs several statements in one query and returns every result set', async () => {
    const conn = await through();
    const [results] = await conn.query(`select 1 as one; select name from ${TABLE} where id = 7; update ${TABLE} set flag = flag where id <= 3; select 'last' as l`);
    const sets = results as unknown as [RowDataPacket[], RowDataPacket[], ResultSetHeader, RowDataPacket[]];
    expect(sets[0]).toEqual([{ one: 1 }]);
    expect(sets[1]).toEqual([{ name: 'name 7' }]);
    expect(sets[2].affectedRows).toBe(3);
    expect(sets[3]).toEqual([{ l: 'last' }]);
    await conn.end();
  });

  it('streams a large result row by row', async () => {
    const conn = await through();
    const raw = (conn as unknown as { connection: { query(sql: string): { stream(): NodeJS.ReadableStream } } }).connection;
    let count = 0;
    let last: unknown;
    const stream = raw.query('select seq, repeat(\'x\', 100) as pad from seq_1_to_200000').stream();
    for await (const row of stream) {
      count++;
      last = row;
    }
    expect(count).toBe(200_000);
    expect(last).toMatchObject({ seq: 200_000 });
    await conn.end();
  });

  it('denies DROP with 1142 / 42000 and the connection stays usable', async () => {
    const conn = await through();
    await expect(conn.query(`drop table ${TABLE}`)).rejects.toMatchObject({ errno: 1142, sqlState: '42000', sqlMessage: expect.stringMatching(/^sluice: no-drop-in-test: /) });
    const [rows] = await conn.query<RowDataPacket[]>(`select count(*) as n from ${TABLE}`);
    expect(rows[0]!.n).toBe(300);
    await conn.end();
  });

  it('denies a whole multi-statement string when one statement in it is denied, and runs none of it', async () => {
    const conn = await through();
    await conn.query('create temporary table t_multi (n int)');
    await expect(conn.query(`insert into t_multi values (1); drop table ${TABLE}; insert into t_multi values (2)`)).rejects.toMatchObject({ errno: 1142 });
    const [rows] = await conn.query<RowDataPacket[]>('select count(*) as n from t_multi');
    expect(rows[0]!.n).toBe(0);
    await conn.end();
  });

  it('denies a PREPARE before it reaches the server', async () => {
    const conn = await through();
    const count = async () => Number((await conn.query<RowDataPacket[]>("show session status like 'Com_stmt_prepare'"))[0][0]!.Value);
    const before = await count();
    await expect(conn.prepare(`drop table ${TABLE}`)).rejects.toMatchObject({ errno: 1142, sqlState: '42000' });
    expect(await count()).toBe(before);
    const [rows] = await conn.execute<RowDataPacket[]>(`select count(*) as n from ${TABLE} where id > ?`, [0]);
    expect(rows[0]!.n).toBe(300);
    await conn.end();
  });

  it('passes MariaDB extended metadata on: JSON columns arrive as JSON, in text and binary results', async () => {
    const sql = `select json_object('id', id, 'name', name) as js from ${TABLE} where id <= ? order by id`;
    const conn = await through(masking.port);
    const direct = await directConnection();
    const [text] = await conn.query<RowDataPacket[]>(sql, [2]);
    expect(text).toEqual((await direct.query<RowDataPacket[]>(sql, [2]))[0]);
    expect(text[0]!.js).toEqual({ id: 1, name: 'name 1' });
    const [binary] = await conn.execute<RowDataPacket[]>(sql, [2]);
    expect(binary).toEqual((await direct.execute<RowDataPacket[]>(sql, [2]))[0]);
    await conn.end();
    await direct.end();
    const info = ['--column-type-info', '-t', 'test', '-e', `select json_object('a', 1) as js`];
    const viaSluice = await mariadb(proxy.port, info);
    expect(viaSluice.stdout).toContain('(format=json)');
    expect(viaSluice.stdout).toBe((await run('mariadb', ['-h', '127.0.0.1', '-P', '3306', '-u', 'root', ...info])).stdout);
  });

  it('lets the server refuse an execute with too few parameters, and goes on', async () => {
    const conn = await through();
    await expect(conn.execute('select ? as a, ? as b', [1])).rejects.toMatchObject({ errno: 1210 });
    const [rows] = await conn.execute<RowDataPacket[]>('select ? as a, ? as b', [1, 2]);
    expect(rows).toEqual([{ a: 1, b: 2 }]);
    await conn.end();
  });

  it('keeps every byte of values a plugin reads and hands back unchanged (binary, bit, temporal, text)', async () => {
    const sql = `select raw, unhex('DEADBEEF00FF') as blobby, b'1010101010' as bits, seen, born, note, amount, big, ratio from ${TABLE} where id <= ? order by id`;
    const conn = await through(identity.port);
    const direct = await directConnection();
    for (const [via, run] of [
      ['text', (c: Connection) => c.query<RowDataPacket[]>(sql, [30])],
      ['binary', (c: Connection) => c.execute<RowDataPacket[]>(sql, [30])],
      ['binary, dates as strings', (c: Connection) => c.execute<RowDataPacket[]>({ sql, dateStrings: true }, [30])],
    ] as const) {
      const [mine] = await run(conn);
      const [theirs] = await run(direct);
      expect({ via, rows: mine }).toEqual({ via, rows: theirs });
    }
    await conn.end();
    await direct.end();
  });

  it('answers ping and COM_RESET_CONNECTION', async () => {
    const conn = await through();
    await conn.ping();
    await conn.query('set @x = 5');
    await conn.reset(); // COM_RESET_CONNECTION
    const [rows] = await conn.query<RowDataPacket[]>('select @x as x');
    expect(rows).toEqual([{ x: null }]);
    await conn.end();
  });

  it('COM_CHANGE_USER signs in again through Sluice: the same identity resets the session, another is refused', async () => {
    const conn = await through();
    await conn.query('set @x = 5');
    await conn.changeUser({ user: 'alice', password: 'alice-secret-pw', database: 'mysql' });
    const [rows] = await conn.query<RowDataPacket[]>('select @x as x, database() as db');
    expect(rows).toEqual([{ x: null, db: 'mysql' }]);
    await conn.changeUser({ user: 'alice', password: 'alice-secret-pw' });
    await expect(conn.changeUser({ user: 'alice', password: 'wrong' })).rejects.toMatchObject({ errno: 1045 });
    const conn2 = await through();
    await expect(conn2.changeUser({ user: 'bob', password: 'bob-secret-pw' })).rejects.toMatchObject({ errno: 1235, message: expect.stringContaining('another identity') });
    const [still] = await conn2.query<RowDataPacket[]>('select current_user() as who');
    expect(still[0]!.who).toMatch(/^root@/);
    await conn2.end();
    conn.destroy();
  });
});

describe('statements held for approval', () => {
  const approver: Identity = { subject: 'dana', name: 'dana', groups: ['dba'], auth: 'password' };

  function approvals(): ApprovalsApi {
    const plugin = proxy.sluice.current.plugins.find((p: SluicePlugin) => p.name === 'guardrails');
    const api = plugin && approvalsOf(plugin);
    if (!api) throw new Error('the guardrails plugin has no approval engine');
    return api;
  }

  async function pendingFor(sql: string): Promise<PendingApproval> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = approvals().list().find((approval) => approval.sql === sql);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no pending approval for ${sql}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('waits for the decision: approved, the statement runs; refused, the client gets 1142', async () => {
    const conn = await through();
    const approved = `alter table ${TABLE} comment = 'approved'`;
    const running = conn.query(approved);
    approvals().decide((await pendingFor(approved)).id, approver, 'approve');
    await running;
    const [rows] = await conn.query<RowDataPacket[]>(`select table_comment as c from information_schema.tables where table_schema = 'test' and table_name = '${TABLE}'`);
    expect(rows[0]!.c).toBe('approved');

    const refused = `alter table ${TABLE} comment = 'refused'`;
    const held = conn.query(refused);
    approvals().decide((await pendingFor(refused)).id, approver, 'deny');
    await expect(held).rejects.toMatchObject({ errno: 1142, sqlState: '42000', sqlMessage: expect.stringMatching(/^sluice: review-alter: /) });
    const [again] = await conn.query<RowDataPacket[]>(`select table_comment as c from information_schema.tables where table_schema = 'test' and table_name = '${TABLE}'`);
    expect(again[0]!.c).toBe('approved');
    await conn.end();
  });
});

describe('masking through Sluice', () => {
  const sql = `select id, email, nickname, born, visits from ${PEOPLE} order by id`;

  it('masks emails in text-protocol rows', async () => {
    const conn = await through(masking.port);
    const [rows] = await conn.query<RowDataPacket[]>(sql);
    expect(rows[0]).toMatchObject({ id: 1, nickname: 'ann' });
    expect(rows[0]!.email).not.toContain('ann.lee');
    expect(rows[0]!.email).toMatch(/@example\.com$/);
    expect(rows[1]!.email).toMatch(/@example\.org$/);
    expect(rows[2]!.email).toBeNull();
    await conn.end();
  });

  it('masks emails in binary-protocol rows and keeps every other value intact', async () => {
    const conn = await through(masking.port);
    const direct = await directConnection();
    const [rows] = await conn.execute<RowDataPacket[]>(`${sql.replace('order by', 'where id > ? order by')}`, [0]);
    const [clear] = await direct.execute<RowDataPacket[]>(`${sql.replace('order by', 'where id > ? order by')}`, [0]);
    expect(rows).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect({ ...rows[i], email: undefined, born: undefined }).toEqual({ ...clear[i], email: undefined, born: undefined });
    }
    expect(rows[0]!.email).not.toContain('ann.lee');
    expect(rows[0]!.email).toMatch(/@example\.com$/);
    expect(rows[2]!.email).toBeNull();
    await conn.end();
    await direct.end();
  });

  it('masks values the server echoes in an error, for the client and in the result summary', async () => {
    const recorder = await startSluice(`${mysqlListener()}${USERS}
plugins:
  - use: "@sluice/plugin-masking"
  - use: ./plugins/recorder.js
    with: { key: mysqlBasicsErrors }
`);
    try {
      const conn = await through(recorder.port);
      await conn.query('create temporary table t_dup (email varchar(100) primary key)');
      await conn.query("insert into t_dup values ('ann.lee@example.com')");
      const error = await conn.query("insert into t_dup values ('ann.lee@example.com')").catch((e: { errno: number; sqlMessage: string }) => e);
      expect(error).toMatchObject({ errno: 1062 });
      expect((error as { sqlMessage: string }).sqlMessage).not.toContain('ann.lee');
      await conn.end();
      const events = (globalThis as Record<string, unknown>).mysqlBasicsErrors as Record<string, { message?: string } | string>[];
      const summary = events.filter((e) => e.hook === 'onResult').at(-1) as { error?: { message: string } };
      expect(summary.error?.message).toBe((error as { sqlMessage: string }).sqlMessage);
    } finally {
      await recorder.stop();
    }
  });

  it('masks the same way for the mariadb command-line client', async () => {
    const result = await mariadb(masking.port, ['-N', 'test', '-e', sql]);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toContain('ann.lee');
    expect(result.stdout).toContain('@example.com');
  });
});
