// protect-prod against bypass tricks of the MySQL and SQL Server dialects, end to end: a real client sends them through
// Sluice, each is denied with the dialect's native error, nothing of it reaches the server, and the session goes on.
// mysql2 against the machine's MariaDB; tedious against the TDS test server (backed by PostgreSQL).
import mysql from 'mysql2/promise';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import pg from 'pg';
import type { Connection } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directMariadb, uniqueDatabasePrefix } from './helpers/mysql-compat.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';
import { TdsTestServer } from './helpers/tds-test-server/index.js';
import { batch, closeTedious, connectTedious } from './helpers/tedious-client.js';

const GUARDRAILS = `
  - use: "@sluice/plugin-guardrails"
    with:
      presets: [protect-prod]
      approvals: { approvers: [dba] }
`;

describe('MySQL/MariaDB: bypass tricks through mysql2 are denied and never reach the server', () => {
  const database = `${uniqueDatabasePrefix()}_guardrails_dialects`;
  let proxy: RunningSluice;
  let client: mysql.Connection;

  beforeAll(async () => {
    await directMariadb((c) =>
      c.query(`CREATE DATABASE \`${database}\`; USE \`${database}\`;
        CREATE TABLE orders (id INT PRIMARY KEY, total INT); INSERT INTO orders VALUES (1, 10), (2, 20), (3, 30);`),
    );
    proxy = await startSluice(`
listeners:
  - name: mysql-prod
    dialect: mysql
    listen: 127.0.0.1:0
    environment: prod
    upstream: { host: 127.0.0.1, port: 3306, user: root, database: ${database}, tls: disable }
identity:
  users:
    - { name: app, password: app-secret-pw, groups: [services] }
plugins:${GUARDRAILS}`);
    client = await mysql.createConnection({ host: '127.0.0.1', port: proxy.port, user: 'app', password: 'app-secret-pw', database, multipleStatements: true });
    client.on('error', () => undefined);
  }, 60_000);

  afterAll(async () => {
    await client?.end().catch(() => client.destroy());
    await proxy?.stop(200);
    await directMariadb((c) => c.query(`DROP DATABASE IF EXISTS \`${database}\``));
  });

  /** Statements the upstream session has received (the server's own counter for this session). */
  const questions = async (): Promise<number> => Number((await client.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Questions'"))[0][0]!.Value);

  it.each([
    ['a DROP inside a versioned comment', 'SELECT 1 /*!50000 ; DROP TABLE orders */', 'protect-prod/no-drop'],
    ['-- without a space is no comment', 'SELECT 1 --1; DROP TABLE orders', 'protect-prod/no-drop'],
    ["MariaDB's ANALYZE runs the DELETE", 'ANALYZE DELETE FROM orders', 'protect-prod/no-unbounded-write'],
    ['PREPARE ... FROM a literal, then EXECUTE', "PREPARE s FROM 'TRUNCATE TABLE orders'; EXECUTE s", 'protect-prod/no-drop'],
    ['a DELETE after a CTE, with a tautology', 'WITH x AS (SELECT 1) DELETE FROM orders WHERE 1 = 1', 'protect-prod/no-unbounded-write'],
    ['BEGIN; ... COMMIT in one string', 'BEGIN; DELETE FROM orders; COMMIT', 'protect-prod/no-unbounded-write'],
    ['reading a server file', "SELECT LOAD_FILE('/etc/passwd')", 'protect-prod/dangerous-functions'],
  ])('%s', async (_trick, sql, rule) => {
    const first = await questions();
    const before = await questions();
    const asking = before - first; // what the SHOW STATUS itself adds
    await expect(client.query(sql)).rejects.toMatchObject({ errno: 1142, sqlState: '42000', message: expect.stringMatching(new RegExp(`^sluice: ${rule}: `)) });
    expect((await questions()) - before).toBe(asking);
    const [rows] = await client.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM orders');
    expect(rows).toEqual([{ n: 3 }]);
  });

  it('lets ordinary application SQL through in prod', async () => {
    const [updated] = await client.query<ResultSetHeader>('UPDATE `orders` SET `total` = `total` + 1 WHERE `id` = ?', [1]);
    expect(updated.affectedRows).toBe(1);
    const [rows] = await client.execute<RowDataPacket[]>('SELECT o1_0.id, o1_0.total FROM orders o1_0 WHERE o1_0.id = ?', [1]);
    expect(rows).toEqual([{ id: 1, total: 11 }]);
  });
});

describe('SQL Server: bypass tricks through tedious are denied and never reach the server', () => {
  const schema = 'guardrails_dialects_mssql';
  const upstream = { user: 'guardrails_upstream', password: 'Guardrails-Upstream-Pw-1' };
  let server: TdsTestServer;
  let proxy: RunningSluice;
  let connection: Connection;

  beforeAll(async () => {
    const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade; create schema ${schema};
      create table ${schema}.orders (id int primary key, total int); insert into ${schema}.orders values (1, 10), (2, 20), (3, 30)`);
    await admin.end();
    server = await TdsTestServer.start({ database: schema, users: { [upstream.user]: upstream.password } });
    proxy = await startSluice(
      `
listeners:
  - name: mssql-prod
    dialect: mssql
    listen: 127.0.0.1:0
    environment: prod
    upstream:
      host: 127.0.0.1
      port: ${server.port}
      user: ${upstream.user}
      password: \${env:UPSTREAM_PASSWORD}
      database: ${schema}
      tls: disable
identity:
  users:
    - { name: app, password: app-secret-pw, groups: [services] }
plugins:${GUARDRAILS}`,
      { UPSTREAM_PASSWORD: upstream.password },
    );
    connection = await connectTedious({ port: proxy.port, user: 'app', password: 'app-secret-pw', appName: 'guardrails-dialects-e2e' });
  }, 60_000);

  afterAll(async () => {
    if (connection) await closeTedious(connection).catch(() => undefined);
    await proxy?.stop(200);
    await server?.stop();
    const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  it.each([
    ["sp_executesql N'...'", "EXEC sp_executesql N'DROP TABLE orders'", 'protect-prod/no-drop'],
    ['a DELETE after SET ... ON, without a semicolon', 'SET NOCOUNT ON DELETE FROM orders', 'protect-prod/no-unbounded-write'],
    ['sp_prepexec of a DELETE', "DECLARE @h int; EXEC sp_prepexec @h OUTPUT, NULL, N'DELETE FROM orders'", 'protect-prod/no-unbounded-write'],
    ['a DROP after nested comments', '/* a /* b */ c */ DROP TABLE orders', 'protect-prod/no-drop'],
    ["EXEC('...') of concatenated literals", "EXEC('TRUNC' + 'ATE TABLE orders')", 'protect-prod/no-drop'],
    ['a file read through OPENROWSET(BULK ...)', "SELECT BulkColumn FROM OPENROWSET(BULK N'C:\\Windows\\win.ini', SINGLE_CLOB) AS f", 'protect-prod/dangerous-functions'],
  ])('%s', async (_trick, sql, rule) => {
    await expect(batch(connection, sql)).rejects.toMatchObject({ number: 229, message: expect.stringMatching(new RegExp(`^sluice: ${rule}: `)) });
    expect(server.seen('batch').map((b) => b.sql)).not.toContain(sql);
    expect((await batch(connection, 'select count(*) as n from orders')).rows).toEqual([{ n: '3' }]);
  });

  it('lets ordinary application SQL through in prod, and the server sees it', async () => {
    const sql = 'SELECT o.id, o.total FROM orders AS o WHERE o.id = 2';
    expect((await batch(connection, sql)).rows).toEqual([{ id: 2, total: 20 }]);
    expect(server.seen('batch').map((b) => b.sql)).toContain(sql);
  });
});
