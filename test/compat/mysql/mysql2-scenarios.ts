// The mysql2 compatibility scenarios: text protocol, prepared statements (binary rows), multiple statements, streams,
// procedures with several result sets, LOAD DATA LOCAL; each writes what the driver returned into a transcript.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { Connection as CallbackConnection, FieldPacket, QueryResult } from 'mysql2';
import { show, type Transcript } from '../../helpers/compat.js';
import { MYSQL_TYPES_STATEMENTS, type MysqlRun } from '../../helpers/mysql-compat.js';

export interface MysqlInProcessScenario {
  readonly name: string;
  /** Text the direct run must show, so that two equally broken runs cannot pass. */
  readonly expect: readonly string[];
  run(target: MysqlRun, out: Transcript, dataDirectory: string): Promise<void>;
}

type Options = Omit<mysql.ConnectionOptions, 'host' | 'port' | 'user' | 'password' | 'database'>;

/** Connects, runs the body, and always closes the connection. */
async function withConnection(target: MysqlRun, options: Options, body: (c: mysql.Connection) => Promise<void>): Promise<void> {
  const c = await mysql.createConnection({
    // Over TLS the chain is verified against the target's certificate.
    ...(target.tlsCa ? { ssl: { ca: readFileSync(target.tlsCa) } } : {}),
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.schema,
    charset: 'utf8mb4_general_ci',
    timezone: 'Z',
    supportBigNumbers: true,
    ...options,
  });
  c.on('error', () => undefined);
  try {
    await c.query("SET time_zone = '+00:00'");
    await body(c);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

/** The column metadata a client sees, minus the database name (it differs per run and is normalized anyway). */
function fields(out: Transcript, list: readonly FieldPacket[] | undefined): void {
  for (const f of list ?? []) {
    out.line('field:', `${f.name} org=${f.orgName} table=${f.table}/${f.orgTable} type=${f.columnType ?? f.type} length=${f.columnLength ?? f.length} flags=${show(f.flags)} decimals=${f.decimals} charset=${f.characterSet}`);
  }
}

/** A `query`/`execute` result: rows with their fields, or the OK packet's counters. */
function result(out: Transcript, rows: QueryResult, list?: readonly FieldPacket[]): void {
  if (Array.isArray(rows)) {
    fields(out, list);
    // One line per value, so a long value is folded on its own and the others stay readable.
    for (const row of rows as unknown[]) {
      out.line('row:');
      for (const [name, value] of Object.entries(row as Record<string, unknown>)) out.line(`  ${name} = ${show(value)}`);
    }
    out.line('rows:', rows.length);
  } else {
    const ok = rows as mysql.ResultSetHeader;
    out.line('ok:', `affected=${ok.affectedRows} insertId=${ok.insertId} warnings=${ok.warningStatus} changed=${ok.changedRows} info=${JSON.stringify(ok.info)}`);
  }
}

/** The server's error fields as mysql2 reports them, or the client error's class and message. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `thrown ${show(error)}`;
  const e = error as Error & { code?: string; errno?: number; sqlState?: string; sqlMessage?: string; fatal?: boolean };
  return `${e.constructor.name} code=${e.code} errno=${e.errno} sqlState=${e.sqlState} fatal=${e.fatal ?? false} message=${JSON.stringify(e.sqlMessage ?? e.message)}`;
}

async function attempt(out: Transcript, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    out.line('error:', describeError(error));
  }
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex').slice(0, 32);
const LARGE = Buffer.alloc(17 * 1024 * 1024, 'ab☃cd€');

export const MYSQL2_SCENARIOS: readonly MysqlInProcessScenario[] = [
  {
    name: 'types-text',
    expect: ['vc = "héllo wörld ☃ 日本語 🎉"', 'ubi = "18446744073709551615"', 'Buffer(\\xdeadbeef00ff)', 'dc = "12345678901234567890.1234567890"', 'type=246', 'js = {"a": [1, 2.5, "☃"]'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        for (const statement of MYSQL_TYPES_STATEMENTS) await c.query(statement);
        const [rows, list] = await c.query('SELECT * FROM compat_types ORDER BY id');
        result(out, rows, list);
        // The raw bytes of every value, as the text protocol carried them.
        const [raw] = await c.query({ sql: 'SELECT * FROM compat_types ORDER BY id', rowsAsArray: true, typeCast: (field) => field.buffer() });
        result(out, raw);
      }),
  },
  {
    name: 'types-binary',
    expect: ['vc = "héllo wörld ☃ 日本語 🎉"', 'Buffer(\\xdeadbeef00ff)', 'tm = "838:59:59.999999"', 'd = 1.7976931348623157e+308', 'bt = Buffer(\\x02aa)', 'rows: 3'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        for (const statement of MYSQL_TYPES_STATEMENTS) await c.query(statement);
        const [rows, list] = await c.execute('SELECT * FROM compat_types WHERE id > ? ORDER BY id', [0]);
        result(out, rows, list);
        const [strings, stringFields] = await c.execute({ sql: 'SELECT * FROM compat_types WHERE id >= ? ORDER BY id', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true }, [2]);
        result(out, strings, stringFields);
      }),
  },
  {
    name: 'parameters',
    expect: ['t = "héllo ☃ 日本語 🎉 \'quote\' \\\\ %s ?"', 'Buffer(\\xdead00ff)', 'n = NULL', 'Date(2024-02-29T13:14:15.123Z)', 'ok: affected=1'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        const values = [42, -9007199254740991, 1.5, 'héllo ☃ 日本語 🎉 \'quote\' \\ %s ?', Buffer.from([0xde, 0xad, 0, 0xff]), null, new Date('2024-02-29T13:14:15.123Z'), true, '12345678901234567890.123'];
        const sql = 'SELECT ? AS i, ? AS big, ? AS dbl, ? AS t, ? AS b, ? AS n, ? AS d, ? AS yes, CAST(? AS DECIMAL(30,3)) AS num';
        const [prepared, preparedFields] = await c.execute(sql, values);
        result(out, prepared, preparedFields);
        const [escaped, escapedFields] = await c.query(sql, values);
        result(out, escaped, escapedFields);
        await c.query('CREATE TABLE p_items (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(50), data VARBINARY(20), at DATETIME(3), price DECIMAL(10,2))');
        const [inserted] = await c.execute('INSERT INTO p_items (label, data, at, price) VALUES (?, ?, ?, ?)', ['émoji 🎉', Buffer.from('00ff', 'hex'), new Date('2001-02-03T04:05:06.789Z'), '9.99']);
        result(out, inserted);
        const [read, readFields] = await c.execute('SELECT * FROM p_items WHERE label = ?', ['émoji 🎉']);
        result(out, read, readFields);
        await attempt(out, () => c.execute('SELECT * FROM p_items WHERE id = ? AND label = ?', [1]));
        await attempt(out, () => c.execute('SELECT nope FROM p_items WHERE id = ?', [1]));
        const [after] = await c.execute('SELECT ? AS after', ['after the errors']);
        result(out, after);
      }),
  },
  {
    name: 'prepared-reuse-and-close',
    expect: ['doubled = 10', 'square = 25', 'errno=1365'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        await c.query("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO'");
        for (let i = 1; i <= 5; i++) {
          const [doubled] = await c.execute('SELECT ? * 2 AS doubled, ? AS label', [i, `run ${i}`]);
          result(out, doubled);
          const [squares] = await c.execute('SELECT seq, seq * seq AS square FROM seq_1_to_100 WHERE seq <= ?', [i]);
          result(out, squares);
        }
        const prepared = await c.prepare('SELECT ? + 1 AS next');
        for (const n of [1, 2, 3]) {
          const [next] = await prepared.execute([n]);
          result(out, next);
        }
        await prepared.close();
        await c.query('CREATE TABLE d_items (q INT)');
        for (const divisor of [5, 0, 2]) {
          await attempt(out, async () => result(out, (await c.execute('INSERT INTO d_items VALUES (10 / ?)', [divisor]))[0]));
        }
        c.unprepare('SELECT ? + 1 AS next');
        const [count] = await c.execute('SELECT COUNT(*) AS n FROM d_items');
        result(out, count);
      }),
  },
  {
    name: 'multiple-statements',
    expect: ['a = 1', 'b = "two"', 'ok: affected=2', 'errno=1146', 'after = "still usable"'],
    run: (target, out) =>
      withConnection(target, { multipleStatements: true }, async (c) => {
        const [results, list] = await c.query("SELECT 1 AS a; SELECT 'two' AS b, NULL AS c; CREATE TABLE m_items (id INT); INSERT INTO m_items VALUES (1), (2); SELECT COUNT(*) AS n FROM m_items");
        const sets = results as QueryResult[];
        out.line('result sets:', sets.length);
        sets.forEach((set, index) => result(out, set, (list as unknown as (FieldPacket[] | undefined)[])[index]));
        await attempt(out, () => c.query('SELECT 1 AS first; SELECT * FROM no_such_table; SELECT 3 AS never'));
        const [after] = await c.query("SELECT 'still usable' AS after");
        result(out, after);
      }),
  },
  {
    name: 'procedure-result-sets',
    expect: ['result sets: 3', 'label = "three"', 'which = "second ☃"', 'ok: affected=2'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        await c.query('CREATE TABLE pr_items (id INT PRIMARY KEY, label VARCHAR(20))');
        await c.query("INSERT INTO pr_items VALUES (1, 'one'), (2, 'two'), (3, 'three')");
        await c.query(`CREATE PROCEDURE two_results(IN low INT)
BEGIN
  SELECT id, label FROM pr_items WHERE id >= low ORDER BY id;
  SELECT COUNT(*) AS total, 'second ☃' AS which FROM pr_items;
  UPDATE pr_items SET label = CONCAT(label, '!') WHERE id >= low;
END`);
        for (const call of [() => c.query('CALL two_results(2)'), () => c.execute('CALL two_results(?)', [2])]) {
          const [results] = await call();
          const sets = results as unknown as QueryResult[];
          out.line('result sets:', sets.length);
          for (const set of sets) result(out, set);
        }
        const [rows] = await c.query('SELECT * FROM pr_items ORDER BY id');
        result(out, rows);
      }),
  },
  {
    name: 'streams',
    expect: ['streamed 100000 rows', 'sum 5000050000', 'prepared stream 20000 rows'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        // Streams are on the callback API's connection underneath the promise wrapper.
        const raw = (c as unknown as { connection: CallbackConnection }).connection;
        const consume = (stream: NodeJS.ReadableStream, slow: boolean) =>
          new Promise<{ rows: number; sum: bigint; hash: string }>((resolve, reject) => {
            const hash = createHash('sha256');
            let rows = 0;
            let sum = 0n;
            stream.on('data', (row: { seq: number; label: string; digest: string }) => {
              rows++;
              sum += BigInt(row.seq);
              hash.update(`${row.seq}|${row.label}|${row.digest}\n`);
              // A slow reader every few thousand rows: the stream pauses, so the server must wait.
              if (slow && rows % 5000 === 0) {
                (stream as NodeJS.ReadableStream & { pause(): void; resume(): void }).pause();
                setTimeout(() => (stream as NodeJS.ReadableStream & { resume(): void }).resume(), 20);
              }
            });
            stream.on('end', () => resolve({ rows, sum, hash: hash.digest('hex').slice(0, 32) }));
            stream.on('error', reject);
          });
        const text = await consume(raw.query("SELECT seq, CONCAT('row ', seq, ' ☃') AS label, MD5(seq) AS digest FROM seq_1_to_100000").stream({ highWaterMark: 100 }), true);
        out.line(`streamed ${text.rows} rows, sum ${text.sum}, sha256 ${text.hash}`);
        const binary = await consume(raw.execute('SELECT seq, CONCAT(?, seq) AS label, SHA1(seq) AS digest FROM seq_1_to_20000', ['p ']).stream({ highWaterMark: 50 }), true);
        out.line(`prepared stream ${binary.rows} rows, sum ${binary.sum}, sha256 ${binary.hash}`);
        const [after] = await c.query('SELECT 1 AS after');
        result(out, after);
      }),
  },
  {
    name: 'errors',
    expect: ['errno=1064 sqlState=42000', 'errno=1062 sqlState=23000', 'errno=1644 sqlState=45000', 'custom ☃ failure', 'after = "usable"'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        await c.query('CREATE TABLE e_items (id INT PRIMARY KEY, email VARCHAR(50) UNIQUE)');
        await c.query("INSERT INTO e_items VALUES (1, 'a@example.com')");
        const steps: [string, () => Promise<unknown>][] = [
          ['syntax', () => c.query('SELEC 1')],
          ['duplicate', () => c.query("INSERT INTO e_items VALUES (2, 'a@example.com')")],
          ['duplicate prepared', () => c.execute('INSERT INTO e_items VALUES (?, ?)', [1, 'b@example.com'])],
          ['signal', () => c.query("SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'custom ☃ failure', MYSQL_ERRNO = 1644")],
          ['unknown column', () => c.query('SELECT nope FROM e_items')],
          ['prepare error', () => c.execute('SELECT * FROM no_such_table WHERE id = ?', [1])],
        ];
        for (const [label, step] of steps) {
          out.line('--', label);
          await attempt(out, step);
        }
        const [warned] = await c.query("INSERT IGNORE INTO e_items VALUES (3, REPEAT('x', 60))");
        result(out, warned);
        const [warnings] = await c.query('SHOW WARNINGS');
        result(out, warnings);
        const [after] = await c.query("SELECT 'usable' AS after");
        result(out, after);
      }),
  },
  {
    name: 'transactions',
    expect: ['ids = "1,2,5"'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        await c.query('CREATE TABLE t_items (id INT PRIMARY KEY) ENGINE=InnoDB');
        await c.beginTransaction();
        await c.execute('INSERT INTO t_items VALUES (?), (?)', [1, 2]);
        await c.query('SAVEPOINT s1');
        await c.query('INSERT INTO t_items VALUES (3)');
        await c.query('ROLLBACK TO SAVEPOINT s1');
        await c.commit();
        await c.beginTransaction();
        await c.query('INSERT INTO t_items VALUES (4)');
        await c.rollback();
        await c.query('SET autocommit = 0');
        await c.query('INSERT INTO t_items VALUES (5)');
        await c.query('COMMIT');
        await c.query('SET autocommit = 1');
        const [ids] = await c.query('SELECT GROUP_CONCAT(id ORDER BY id) AS ids FROM t_items');
        result(out, ids);
      }),
  },
  {
    name: 'large-values',
    expect: ['text row 1 bytes 7340032', 'binary row 3 bytes 3145728', 'three values in one row: 17825792', 'row over 16 MB: 18000000 end'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        await c.query('CREATE TABLE big_items (id INT PRIMARY KEY, data LONGBLOB)');
        // The server's max_allowed_packet (16 MB) bounds each statement; rows larger than a packet are split by the server.
        await c.execute('INSERT INTO big_items VALUES (?, ?)', [1, LARGE.subarray(0, 7 * 1024 * 1024)]);
        await c.execute('INSERT INTO big_items VALUES (?, ?)', [2, LARGE.subarray(1, 7 * 1024 * 1024 + 1)]);
        await c.query('INSERT INTO big_items VALUES (3, ?)', [LARGE.subarray(2, 3 * 1024 * 1024 + 2)]);
        const [sizes] = await c.query('SELECT id, LENGTH(data) AS bytes, SHA2(data, 256) AS digest FROM big_items ORDER BY id');
        result(out, sizes);
        const [text] = await c.query<mysql.RowDataPacket[]>('SELECT id, data FROM big_items ORDER BY id');
        for (const row of text) out.line('text row', row.id, 'bytes', (row.data as Buffer).length, 'sha256', sha256(row.data as Buffer));
        const [binary] = await c.execute<mysql.RowDataPacket[]>('SELECT id, data FROM big_items WHERE id > ? ORDER BY id', [0]);
        for (const row of binary) out.line('binary row', row.id, 'bytes', (row.data as Buffer).length, 'sha256', sha256(row.data as Buffer));
        const threeSql = 'SELECT a.data AS a, b.data AS b, c.data AS c FROM big_items a, big_items b, big_items c WHERE a.id = 1 AND b.id = 2 AND c.id = 3';
        for (const [label, rows] of [['text', (await c.query<mysql.RowDataPacket[]>(threeSql))[0]], ['binary', (await c.execute<mysql.RowDataPacket[]>(`${threeSql} AND 1 = ?`, [1]))[0]]] as const) {
          const row = rows[0]!;
          const values = [row.a, row.b, row.c] as Buffer[];
          out.line(label, 'three values in one row:', values.reduce((sum, value) => sum + value.length, 0), values.map(sha256).join(' '));
        }
        const [wide] = await c.query<mysql.RowDataPacket[]>("SELECT REPEAT('a', 9000000) AS a, REPEAT('b', 9000000) AS b, 'end' AS c");
        out.line('row over 16 MB:', (wide[0]!.a as string).length + (wide[0]!.b as string).length, wide[0]!.c);
        const [wideBinary] = await c.execute<mysql.RowDataPacket[]>('SELECT REPEAT(?, 9000000) AS a, REPEAT(?, 9000000) AS b, ? AS c', ['a', 'b', 'end']);
        out.line('binary row over 16 MB:', (wideBinary[0]!.a as string).length + (wideBinary[0]!.b as string).length, wideBinary[0]!.c);
        const [after] = await c.query('SELECT 1 AS after');
        result(out, after);
      }),
  },
  {
    name: 'load-data-local',
    expect: ['n = 5000', 'label = "label 1 ☃"', 'ok: affected=5000'],
    run: (target, out, dataDirectory) =>
      withConnection(target, { infileStreamFactory: (path: string) => createReadStream(path) }, async (c) => {
        await c.query('CREATE TABLE l_items (id INT PRIMARY KEY, label VARCHAR(40), amount DECIMAL(10,2))');
        const [loaded] = await c.query(`LOAD DATA LOCAL INFILE '${join(dataDirectory, 'items.tsv')}' INTO TABLE l_items CHARACTER SET utf8mb4 (id, label, amount)`);
        result(out, loaded);
        const [count] = await c.query('SELECT COUNT(*) AS n, SUM(amount) AS total FROM l_items');
        result(out, count);
        const [some] = await c.query('SELECT * FROM l_items WHERE id IN (1, 5000) ORDER BY id');
        result(out, some);
      }),
  },
  {
    name: 'odd-metadata',
    expect: ['field: ünïcödé ☃ column', 'long alias ', 'columns: 300', 'empty text result', 'rows: 0'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        // A 250-character alias of 3-byte characters: its length no longer fits a one-byte lenenc.
        const longAlias = `long alias ${'☃'.repeat(239)}`;
        const [odd, oddFields] = await c.query(`SELECT 1 AS \`ünïcödé ☃ column\`, 'x' AS \`${longAlias}\`, NULL AS \`\`\`quoted\`\`\``);
        result(out, odd, oddFields);
        const wide = Array.from({ length: 300 }, (_, i) => `${i} * seq AS c${i}`).join(', ');
        const [rows, wideFields] = await c.query<mysql.RowDataPacket[]>(`SELECT ${wide} FROM seq_1_to_3`);
        out.line('columns:', wideFields.length, 'last row sum:', Object.values(rows[2]!).reduce((sum: number, value) => sum + Number(value), 0));
        const [wideBinary] = await c.execute<mysql.RowDataPacket[]>(`SELECT ${wide} FROM seq_1_to_3 WHERE seq > ?`, [1]);
        out.line('binary rows:', wideBinary.length, 'c299:', wideBinary.map((row) => row.c299).join(','));
        const [empty, emptyFields] = await c.query("SELECT 'never' AS label FROM seq_1_to_3 WHERE seq > 10");
        out.line('empty text result');
        result(out, empty, emptyFields);
        const [emptyBinary, emptyBinaryFields] = await c.execute("SELECT 'never' AS label FROM seq_1_to_3 WHERE seq > ?", [10]);
        result(out, emptyBinary, emptyBinaryFields);
        const [none] = await c.execute('DO ?', [1]);
        result(out, none);
      }),
  },
  {
    name: 'ping-and-session-state',
    expect: ['pinged', 'db = "<schema>"', 'tz = "+00:00"', 'sql_mode = "ANSI_QUOTES"'],
    run: (target, out) =>
      withConnection(target, {}, async (c) => {
        await c.ping();
        out.line('pinged');
        await c.query("SET SESSION sql_mode = 'ANSI_QUOTES', @custom = 'kept ☃'");
        await c.ping();
        const [state] = await c.query('SELECT DATABASE() AS db, @@session.time_zone AS tz, @@session.sql_mode AS sql_mode, @custom AS custom');
        result(out, state);
        await c.query('USE information_schema');
        const [moved] = await c.query('SELECT DATABASE() AS db');
        result(out, moved);
      }),
  },
];
