// The bundled plugins in the MySQL dialect, with real clients against the machine's MariaDB: guardrails denials
// (ERR 1142 / 42000, the session goes on), a held statement decided through the admin API, masking in text and binary
// (prepared) results, and the audit records of those statements.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTOR_J_JAR, connectorJAvailability, directMariadb, MYSQL_COMPAT_DIR, pymysqlAvailability, runClient, uniqueDatabasePrefix } from './helpers/mysql-compat.js';
import { SYSTEM_PYTHON } from './helpers/compat.js';
import { startSluice, type RunningSluice } from './helpers/sluice.js';

const DATABASE = `${uniqueDatabasePrefix()}_plugins`;
const dir = mkdtempSync(join(tmpdir(), 'sluice-mysql-plugins-'));
const auditFile = join(dir, 'audit.jsonl');

/** Every clear sensitive value in the customers table: none may leave Sluice for a masked identity. */
const CLEAR_VALUES = ['ann.lee@example.com', 'bob.roe@example.net', 'cy@example.org', '4111 1111 1111 1111', '5555555555554444', '4012888888881881', 'ann@example.org'];

let proxy: RunningSluice;
let adminUrl: string;

const connectorJ = connectorJAvailability();
let compiledPrintRows: Promise<string> | undefined;
/** Compiles test/compat/mysql/PrintRows.java once, into this file's temp dir. */
function printRowsClasses(): Promise<string> {
  compiledPrintRows ??= (async () => {
    const classes = join(dir, 'classes');
    const compiled = await runClient('javac', ['-encoding', 'UTF-8', '-d', classes, '-cp', CONNECTOR_J_JAR, join(MYSQL_COMPAT_DIR, 'PrintRows.java')], { timeoutMs: 60_000 });
    if (compiled.code !== 0) throw new Error(`javac failed:\n${compiled.stderr}`);
    return classes;
  })();
  return compiledPrintRows;
}

beforeAll(async () => {
  await directMariadb((c) =>
    c.query(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4;
      USE \`${DATABASE}\`;
      CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40), email VARCHAR(80), card_number VARCHAR(30), notes TEXT, balance DECIMAL(10,2), created DATETIME(3));
      INSERT INTO customers VALUES
        (1, 'Ann Lee', 'ann.lee@example.com', '4111 1111 1111 1111', 'write to ann@example.org ☃', 12.50, '2024-01-15 10:00:00.125'),
        (2, 'Bob Roe', 'bob.roe@example.net', '5555555555554444', 'no contact details', -3.00, '2024-02-01 08:30:00.000'),
        (3, 'Cy Null', 'cy@example.org', '4012888888881881', NULL, NULL, NULL),
        (4, 'Di Empty', NULL, NULL, 'nothing', 0.00, '2024-03-01 00:00:00.999');
      CREATE TABLE ledger (id INT PRIMARY KEY, amount INT);
      INSERT INTO ledger VALUES (1, 100), (2, 200);
      CREATE TABLE scratch (id INT);
      CREATE TABLE quick (id INT);
      CREATE TABLE profiles (id INT PRIMARY KEY, profile JSON);
      INSERT INTO profiles VALUES (1, '{"email": "ann.lee@example.com", "theme": "dark", "cards": ["4111 1111 1111 1111"]}');
      CREATE PROCEDURE customer_report(IN low INT)
      BEGIN
        SELECT id, name FROM customers WHERE id >= low ORDER BY id;
        SELECT id, email, card_number FROM customers WHERE id >= low ORDER BY id;
      END`),
  );
  proxy = await startSluice(`
listeners:
  - name: mysql-plugins
    dialect: mysql
    listen: 127.0.0.1:0
    environment: test
    upstream: { host: 127.0.0.1, port: 3306, user: root, database: ${DATABASE}, tls: disable }
identity:
  users:
    - { name: alice, password: alice-secret-pw, groups: [developers] }
    - { name: carol, password: carol-secret-pw, groups: [developers, pii-readers] }
    - { name: dana, password: dana-secret-pw, groups: [dba] }
admin:
  listen: 127.0.0.1:0
plugins:
  - use: "@sluice/plugin-audit"
    with: { sinks: [ { type: file, path: ${auditFile} } ] }
  - use: "@sluice/plugin-guardrails"
    with:
      rules:
        - { name: no-drop, match: { statement: [drop, truncate] }, action: deny, reason: DROP is not allowed here }
        - { name: no-unbounded-delete, match: { statement: [delete, update], where: absent }, action: deny }
        - { name: review-ledger-writes, match: { statement: [update], tables: [ledger] }, action: require_approval, approvers: [dba] }
        - { name: quick-review, match: { statement: [insert], tables: [quick] }, action: require_approval, timeout: 1s }
  - use: "@sluice/plugin-masking"
    with: { unmasked_groups: [pii-readers] }
`);
  adminUrl = `http://127.0.0.1:${proxy.sluice.adminAddress()!.port}`;
}, 60_000);

afterAll(async () => {
  await proxy?.stop(200);
  await directMariadb((c) => c.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``));
  rmSync(dir, { recursive: true, force: true });
});

function connect(user = 'alice', extra: mysql.ConnectionOptions = {}) {
  return mysql
    .createConnection({ host: '127.0.0.1', port: proxy.port, user, password: `${user}-secret-pw`, database: DATABASE, timezone: 'Z', dateStrings: true, ...extra })
    .then((connection) => {
      connection.on('error', () => undefined); // the proxy may end the session at teardown
      return connection;
    });
}

async function withConnection<T>(user: string, body: (connection: mysql.Connection) => Promise<T>, extra: mysql.ConnectionOptions = {}): Promise<T> {
  const connection = await connect(user, extra);
  try {
    return await body(connection);
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

const direct = <T>(sql: string, values: unknown[] = [], prepared = false) =>
  directMariadb(async (c) => {
    await c.query(`USE \`${DATABASE}\``);
    const options = { sql, dateStrings: true, timezone: 'Z' } as mysql.QueryOptions;
    const [rows] = prepared ? await c.execute(options, values as (string | number)[]) : await c.query({ ...options, values });
    return rows as T;
  });

const tableExists = async (name: string) => (await direct<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [DATABASE, name]))[0]!.n === 1;

function expectNoClearValue(result: unknown): void {
  const text = JSON.stringify(result);
  for (const clear of CLEAR_VALUES) expect(text, `"${clear}" leaked`).not.toContain(clear);
}

describe('guardrails', () => {
  it('denies DROP with ERR 1142 / 42000 naming the rule, and the connection stays usable (mysql2, text protocol)', async () => {
    await withConnection('alice', async (c) => {
      await expect(c.query('DROP TABLE scratch')).rejects.toMatchObject({ errno: 1142, sqlState: '42000', message: 'sluice: no-drop: DROP is not allowed here' });
      await expect(c.query('  /* cleanup */ drop\n\ttable `scratch`')).rejects.toMatchObject({ errno: 1142 });
      const [rows] = await c.query<RowDataPacket[]>('SELECT 1 + 1 AS two');
      expect(rows).toEqual([{ two: 2 }]);
    });
    expect(await tableExists('scratch')).toBe(true);
  });

  it('denies a PREPARE before it reaches the server, and the connection stays usable (binary protocol)', async () => {
    await withConnection('alice', async (c) => {
      // The upstream session's own counter: only this client's statements move it.
      const prepares = async () => Number((await c.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'"))[0][0]!.Value);
      const before = await prepares();
      await expect(c.execute('DELETE FROM ledger')).rejects.toMatchObject({ errno: 1142, sqlState: '42000', message: expect.stringMatching(/^sluice: no-unbounded-delete: /) });
      expect(await prepares()).toBe(before);
      const [rows] = await c.execute<RowDataPacket[]>('SELECT amount FROM ledger WHERE id = ?', [2]);
      expect(rows).toEqual([{ amount: 200 }]);
      // A prepared DELETE with a WHERE clause is allowed and runs.
      const [deleted] = await c.execute<ResultSetHeader>('DELETE FROM scratch WHERE id = ?', [7]);
      expect(deleted.affectedRows).toBe(0);
      // The counter does see the prepares that were allowed.
      expect(await prepares()).toBe(before + 2);
    });
    expect((await direct<RowDataPacket[]>('SELECT COUNT(*) AS n FROM ledger'))[0]!.n).toBe(2);
  });

  it('denies a DROP hidden behind another statement in a multi-statement query; nothing of it runs', async () => {
    await withConnection(
      'alice',
      async (c) => {
        await expect(c.query('INSERT INTO scratch VALUES (1); DROP TABLE scratch')).rejects.toMatchObject({ errno: 1142, sqlState: '42000' });
        const [rows] = await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM scratch');
        expect(rows).toEqual([{ n: 0 }]);
      },
      { multipleStatements: true },
    );
    expect(await tableExists('scratch')).toBe(true);
  });

  it('the mariadb client prints the denial as a MySQL error and goes on with the script (--force)', async () => {
    const result = await runClient(
      'mariadb',
      ['--no-defaults', '--protocol=TCP', '-h', '127.0.0.1', '-P', String(proxy.port), '-u', 'alice', '--batch', '--skip-column-names', '--force', DATABASE],
      { input: 'SELECT 1;\nDROP TABLE scratch;\nDELETE FROM ledger;\nSELECT COUNT(*) FROM ledger;\n', env: { MYSQL_PWD: 'alice-secret-pw' } },
    );
    expect(result.stdout).toBe('1\n2\n');
    expect(result.stderr).toContain('ERROR 1142 (42000) at line 2: sluice: no-drop: DROP is not allowed here');
    expect(result.stderr).toMatch(/ERROR 1142 \(42000\) at line 3: sluice: no-unbounded-delete: /);
  });

  it('PyMySQL gets OperationalError 1142 and keeps its connection', async () => {
    const script = `
import pymysql
conn = pymysql.connect(host='127.0.0.1', port=${proxy.port}, user='alice', password='alice-secret-pw', database='${DATABASE}')
cur = conn.cursor()
try:
    cur.execute('DROP TABLE scratch')
except pymysql.MySQLError as error:
    print(type(error).__name__, error.args[0], error.args[1])
cur.execute('SELECT 40 + 2')
print(cur.fetchone()[0])
`;
    const result = await runClient(SYSTEM_PYTHON, ['-c', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('OperationalError 1142 sluice: no-drop: DROP is not allowed here\n42\n');
  });

  it.skipIf(!connectorJ.ok)(`Connector/J gets SQLSyntaxErrorException 42000/1142 for a statement and a server-side prepare, and keeps its connection${connectorJ.ok ? '' : ` (skipped: ${connectorJ.reason})`}`, { timeout: 120_000 }, async () => {
    const classes = await printRowsClasses();
    const result = await runClient('java', ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', `${classes}:${CONNECTOR_J_JAR}`, 'PrintRows', '--statement', 'DROP TABLE scratch'], {
      env: { ROWS_HOST: '127.0.0.1', ROWS_PORT: String(proxy.port), ROWS_USER: 'alice', ROWS_PASSWORD: 'alice-secret-pw', ROWS_DATABASE: DATABASE },
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.replace(/\(conn=\d+\) /g, '')).toBe(
      ['statement: SQLSyntaxErrorException 42000/1142 sluice: no-drop: DROP is not allowed here', 'prepared: SQLSyntaxErrorException 42000/1142 sluice: no-drop: DROP is not allowed here', 'after: 42', ''].join('\n'),
    );
    expect(await tableExists('scratch')).toBe(true);
  });
});

describe('approvals', () => {
  const as = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${user}-secret-pw`).toString('base64')}` });

  async function pendingId(): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const response = await fetch(`${adminUrl}/api/approvals`, { headers: as('dana') });
      const { approvals } = (await response.json()) as { approvals: { id: string; sql?: string }[] };
      if (approvals.length > 0) return approvals[0]!.id;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('no pending approval appeared');
  }

  it('holds an UPDATE until an approver approves it through the admin API; the client then gets its OK', { timeout: 60_000 }, async () => {
    await withConnection('alice', async (c) => {
      const held = c.query<ResultSetHeader>('UPDATE ledger SET amount = amount + 1 WHERE id = 1');
      held.catch(() => undefined);
      const id = await pendingId();
      expect((await direct<RowDataPacket[]>('SELECT amount FROM ledger WHERE id = 1'))[0]!.amount).toBe(100);
      const self = await fetch(`${adminUrl}/api/approvals/${id}/approve`, { method: 'POST', headers: as('alice') });
      expect(self.status).toBe(403);
      const approved = await fetch(`${adminUrl}/api/approvals/${id}/approve`, { method: 'POST', headers: { ...as('dana'), 'content-type': 'application/json' }, body: '{}' });
      expect(approved.status).toBe(200);
      const [ok] = await held;
      expect(ok.affectedRows).toBe(1);
      const [rows] = await c.query<RowDataPacket[]>('SELECT amount FROM ledger WHERE id = 1');
      expect(rows).toEqual([{ amount: 101 }]);
    });
  });

  it('a prepared UPDATE is held at PREPARE, and a denial over the API reaches the client as ERR 1142 with the comment', { timeout: 60_000 }, async () => {
    await withConnection('alice', async (c) => {
      const held = c.execute('UPDATE ledger SET amount = ? WHERE id = ?', [0, 2]);
      held.catch(() => undefined);
      const id = await pendingId();
      const denied = await fetch(`${adminUrl}/api/approvals/${id}/deny`, {
        method: 'POST',
        headers: { ...as('dana'), 'content-type': 'application/json' },
        body: JSON.stringify({ comment: 'not during the audit' }),
      });
      expect(denied.status).toBe(200);
      await expect(held).rejects.toMatchObject({ errno: 1142, sqlState: '42000', message: expect.stringContaining('not during the audit') });
      const [rows] = await c.query<RowDataPacket[]>('SELECT amount FROM ledger WHERE id = 2');
      expect(rows).toEqual([{ amount: 200 }]);
    });
  });
  it('a statement nobody decides in time is refused with ERR 1142 and does not run', { timeout: 30_000 }, async () => {
    await withConnection('alice', async (c) => {
      const error = await c.query('INSERT INTO quick VALUES (1)').then(
        () => undefined,
        (caught: { errno: number; sqlState: string; message: string }) => caught,
      );
      expect(error).toMatchObject({ errno: 1142, sqlState: '42000', message: expect.stringMatching(/^sluice: quick-review: approval apr-[0-9a-f]{12} was not decided within 1s; the statement did not run$/) });
      const [rows] = await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM quick');
      expect(rows).toEqual([{ n: 0 }]);
    });
  });
});

describe('masking', () => {
  const SELECT = 'SELECT id, name, email, card_number, notes, balance, created FROM customers ORDER BY id';
  const PREPARED = 'SELECT id, name, email, card_number, notes, balance, created FROM customers WHERE id > ? ORDER BY id';

  it('masks emails and card numbers in text-protocol rows; other columns arrive exactly as directly', async () => {
    const clear = await direct<RowDataPacket[]>(SELECT);
    const masked = await withConnection('alice', async (c) => (await c.query<RowDataPacket[]>(SELECT))[0]);
    expectNoClearValue(masked);
    expect(masked.map(({ id, name, balance, created }) => ({ id, name, balance, created }))).toEqual(clear.map(({ id, name, balance, created }) => ({ id, name, balance, created })));
    expect(masked[0]!.email).toMatch(/@example\.com$|^\*+|[•x#*]/);
    expect(masked[0]!.card_number).toMatch(/1111$/);
    expect(masked[0]!.notes).toContain('☃');
    expect(masked[3]).toMatchObject({ email: null, card_number: null });
  });

  it('masks the same way in binary (prepared) rows; other columns intact', async () => {
    const clear = await direct<RowDataPacket[]>(PREPARED, [0], true);
    const [text, binary] = await withConnection('alice', async (c) => [(await c.query<RowDataPacket[]>(SELECT))[0], (await c.execute<RowDataPacket[]>(PREPARED, [0]))[0]]);
    expectNoClearValue(binary);
    expect(binary.map(({ email, card_number, notes }) => ({ email, card_number, notes }))).toEqual(text.map(({ email, card_number, notes }) => ({ email, card_number, notes })));
    expect(binary.map(({ id, name, balance, created }) => ({ id, name, balance, created }))).toEqual(clear.map(({ id, name, balance, created }) => ({ id, name, balance, created })));
  });

  it('an identity in unmasked_groups sees clear values on the same query', async () => {
    const clear = await direct<RowDataPacket[]>(PREPARED, [0], true);
    const seen = await withConnection('carol', async (c) => (await c.execute<RowDataPacket[]>(PREPARED, [0]))[0]);
    expect(seen).toEqual(clear);
  });

  it('masks values computed from sensitive columns, and what the mariadb client prints', async () => {
    const [computed] = await withConnection('alice', async (c) => c.query<RowDataPacket[]>("SELECT UPPER(email) AS shout, CONCAT(name, ' <', email, '>') AS contact FROM customers WHERE id = 1"));
    expectNoClearValue(computed);
    expect(JSON.stringify(computed)).not.toContain('ANN.LEE@EXAMPLE.COM');
    expect((computed[0] as { contact: string }).contact).toMatch(/^Ann Lee </);
    const result = await runClient(
      'mariadb',
      ['--no-defaults', '--protocol=TCP', '-h', '127.0.0.1', '-P', String(proxy.port), '-u', 'alice', '--batch', '--default-character-set=utf8mb4', DATABASE, '-e', SELECT],
      { env: { MYSQL_PWD: 'alice-secret-pw' } },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')[0]).toBe('id\tname\temail\tcard_number\tnotes\tbalance\tcreated');
    expectNoClearValue(result.stdout);
    expect(result.stdout).toContain('Bob Roe');
  });

  it('masks every result set: a procedure with two results, and several statements in one query', async () => {
    await withConnection(
      'alice',
      async (c) => {
        const [called] = await c.query('CALL customer_report(2)');
        const sets = called as unknown as RowDataPacket[][];
        expect(sets[0]).toEqual([{ id: 2, name: 'Bob Roe' }, { id: 3, name: 'Cy Null' }, { id: 4, name: 'Di Empty' }]);
        expect(sets[1]!.map((row) => row.id)).toEqual([2, 3, 4]);
        expect(sets[1]![0]!.email).toMatch(/@example\.net$/);
        expectNoClearValue(called);
        const [prepared] = await c.execute('CALL customer_report(?)', [1]);
        expectNoClearValue(prepared);
        expect(((prepared as unknown as RowDataPacket[][])[1] ?? []).length).toBe(4);
        const [several] = await c.query("SELECT 'first' AS label; SELECT email FROM customers WHERE id = 1; SELECT card_number FROM customers WHERE id = 2");
        expectNoClearValue(several);
        expect((several as unknown as RowDataPacket[][])[0]).toEqual([{ label: 'first' }]);
      },
      { multipleStatements: true },
    );
  });

  it('masks inside JSON documents and keeps them valid JSON with the other fields', async () => {
    const [rows] = await withConnection('alice', (c) => c.query<RowDataPacket[]>('SELECT profile FROM profiles WHERE id = 1'));
    expectNoClearValue(rows);
    const raw = rows[0]!.profile as unknown;
    const document = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { email: string; theme: string; cards: string[] };
    expect(document.theme).toBe('dark');
    expect(document.email).toMatch(/@example\.com$/);
    expect(document.cards).toHaveLength(1);
  });

  it.skipIf(!connectorJ.ok)(`Connector/J sees masked values in text and binary rows, an unmasked group clear ones${connectorJ.ok ? '' : ` (skipped: ${connectorJ.reason})`}`, { timeout: 120_000 }, async () => {
    const classes = await printRowsClasses();
    const rowsAs = async (port: number, user: string, password: string) => {
      const result = await runClient('java', ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', `${classes}:${CONNECTOR_J_JAR}`, 'PrintRows', `${SELECT.replace(' ORDER BY id', '')} WHERE id > 0`], {
        env: { ROWS_HOST: '127.0.0.1', ROWS_PORT: String(port), ROWS_USER: user, ROWS_PASSWORD: password, ROWS_DATABASE: DATABASE, TZ: 'UTC' },
        timeoutMs: 60_000,
      });
      expect(result.stderr).toBe('');
      return result.stdout;
    };
    const [clear, masked, unmasked] = await Promise.all([rowsAs(3306, 'root', ''), rowsAs(proxy.port, 'alice', 'alice-secret-pw'), rowsAs(proxy.port, 'carol', 'carol-secret-pw')]);
    expect(clear).toContain('ann.lee@example.com');
    expect(unmasked).toBe(clear);
    expectNoClearValue(masked);
    const lines = masked.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('text\t'))).toHaveLength(4);
    expect(lines.filter((line) => line.startsWith('binary\t'))).toEqual(lines.filter((line) => line.startsWith('text\t')).map((line) => line.replace(/^text/, 'binary')));
    // Columns that hold nothing sensitive arrive as they are directly.
    const keep = (text: string) => text.trim().split('\n').map((line) => line.split('\t').filter((_, index) => [0, 1, 2, 6, 7].includes(index)).join('\t'));
    expect(keep(masked)).toEqual(keep(clear));
  });

  const pymysql = pymysqlAvailability();
  it.skipIf(!pymysql.ok)(`PyMySQL sees masked values, an unmasked group clear ones${pymysql.ok ? '' : ` (skipped: ${pymysql.reason})`}`, async () => {
    const script = `
import os, pymysql
conn = pymysql.connect(host='127.0.0.1', port=int(os.environ['PORT']), user=os.environ['USER'], password=os.environ['PASSWORD'], database='${DATABASE}', charset='utf8mb4')
with conn.cursor() as cur:
    cur.execute(${JSON.stringify(SELECT)})
    for row in cur.fetchall():
        print(repr(row))
`;
    const rowsAs = async (port: number, user: string, password: string) => {
      const result = await runClient(SYSTEM_PYTHON, ['-c', script], { env: { PORT: String(port), USER: user, PASSWORD: password } });
      expect(result.stderr).toBe('');
      return result.stdout;
    };
    const [clear, masked, unmasked] = await Promise.all([rowsAs(3306, 'root', ''), rowsAs(proxy.port, 'alice', 'alice-secret-pw'), rowsAs(proxy.port, 'carol', 'carol-secret-pw')]);
    expect(clear).toContain('ann.lee@example.com');
    expect(unmasked).toBe(clear);
    expectNoClearValue(masked);
    expect(masked).toContain("'Bob Roe'");
    expect(masked.split('\n')).toHaveLength(clear.split('\n').length);
  });

  it('masks values the server echoes in an error message (duplicate key)', async () => {
    await withConnection('alice', async (c) => {
      await c.query('CREATE TABLE IF NOT EXISTS contacts (email VARCHAR(80) PRIMARY KEY)');
      await c.query("INSERT IGNORE INTO contacts VALUES ('ann.lee@example.com')");
      const error = await c.query("INSERT INTO contacts VALUES ('ann.lee@example.com')").then(
        () => undefined,
        (caught: { errno: number; message: string }) => caught,
      );
      expect(error?.errno).toBe(1062);
      expect(error?.message).toMatch(/^Duplicate entry '.+' for key 'PRIMARY'$/);
      expect(error?.message).not.toContain('ann.lee@example.com');
    });
    // The audit record of the failed INSERT holds the message as the client saw it: masked.
    const recorded = () => readRecords().find((r) => r.result?.error?.code === '1062')?.result?.error?.message;
    await expect.poll(recorded, { timeout: 5_000 }).toMatch(/^Duplicate entry '.+' for key 'PRIMARY'$/);
    expect(recorded()).not.toContain('ann.lee@example.com');

  });
});

interface AuditRecord {
  event: string;
  session?: string;
  dialect?: string;
  identity?: { name?: string; groups?: string[] };
  database?: string;
  upstream_user?: string;
  statement?: { sql: string; via?: string; params?: unknown[]; kinds?: string[]; tables?: { name: string; access: string }[] };
  decision?: { action: string; rule?: string; reason?: string };
  result?: { rows?: number; affected?: number; error?: { code?: string; message: string } };
  masked?: Record<string, { type: string; count: number }>;
}

const readRecords = (): AuditRecord[] =>
  readFileSync(auditFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as AuditRecord);

describe('audit', () => {
  it('records a MySQL session: connect, statements with tables and masked columns, a denial, disconnect', async () => {
    const marker = `audit-${Date.now()}`;
    await withConnection('alice', async (c) => {
      await c.query(`SELECT id, email FROM customers WHERE id <= 3 AND '${marker}' <> '' ORDER BY id`);
      await c.execute(`SELECT card_number FROM customers WHERE id = ? AND '${marker}' <> ''`, [1]);
      await c.query(`DROP TABLE scratch /* ${marker} */`).catch(() => undefined);
    });
    await expect.poll(() => readRecords().filter((r) => r.event === 'disconnect').length, { timeout: 10_000 }).toBeGreaterThan(0);
    let mine: AuditRecord[] = [];
    await expect
      .poll(() => {
        const records = readRecords();
        const session = records.find((r) => r.statement?.sql.includes(marker))?.session;
        mine = records.filter((r) => r.session === session);
        return mine.map((r) => r.event).at(-1);
      }, { timeout: 10_000 })
      .toBe('disconnect');
    expect(mine[0]).toMatchObject({ event: 'connect', dialect: 'mysql', identity: { name: 'alice', groups: ['developers'] }, upstream_user: 'root', database: DATABASE });
    const statements = mine.filter((r) => r.event === 'query' && r.statement?.sql.includes(marker));
    // A prepared statement is recorded at PREPARE (judged with its SQL) and at EXECUTE (with its parameters and rows).
    expect(statements.map((r) => r.statement?.via)).toEqual(['simple', 'prepare', 'execute', 'simple']);
    const [text, prepare, execute, drop] = statements as [AuditRecord, AuditRecord, AuditRecord, AuditRecord];
    const customers = { name: 'customers', access: 'read' };
    expect(text).toMatchObject({ statement: { kinds: ['select'], tables: [customers] }, decision: { action: 'allow' }, result: { rows: 3 } });
    expect(text.masked).toEqual({ [`${DATABASE}.customers.email`]: { type: 'email', count: 3 } });
    expect(prepare).toMatchObject({ statement: { kinds: ['select'], tables: [customers] }, decision: { action: 'allow' }, result: { rows: 0 } });
    expect(execute).toMatchObject({ statement: { kinds: ['select'], tables: [customers], params: ['1'] }, decision: { action: 'allow' }, result: { rows: 1 } });
    expect(execute.masked).toEqual({ [`${DATABASE}.customers.card_number`]: { type: 'card', count: 1 } });
    expect(drop).toMatchObject({
      statement: { kinds: ['drop'], tables: [{ name: 'scratch', access: 'write' }] },
      decision: { action: 'deny', rule: 'no-drop', reason: 'DROP is not allowed here' },
      result: { rows: 0, error: { code: '1142', message: 'sluice: no-drop: DROP is not allowed here' } },
    });
    expect(mine.at(-1)).toMatchObject({ event: 'disconnect' });
    expect(readFileSync(auditFile, 'utf8')).not.toContain('alice-secret-pw');
    expectNoClearValue(mine);
  });
});
