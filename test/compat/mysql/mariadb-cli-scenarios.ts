// The `mariadb` command-line client scenarios: a script on stdin (batch mode) or statements in -e, and mariadb-admin.
import { MYSQL_TYPES_SQL } from '../../helpers/mysql-compat.js';

export interface CliScenario {
  readonly name: string;
  /** `mariadb` (default) or `mariadb-admin`. */
  readonly tool?: 'mariadb' | 'mariadb-admin';
  /** Arguments after the connection options; `{data}` is replaced by the run's data directory. */
  readonly args?: readonly string[];
  /** What the client reads on stdin; `{data}` is replaced by the run's data directory. */
  readonly script?: string;
  /** Text the direct run must show, so that two equally broken runs cannot pass. */
  readonly expect: readonly string[];
  /** The output is long: compare its line count, hash, first and last lines. */
  readonly summarize?: boolean;
  /** Numbers that legitimately differ between runs (uptime, counters) are replaced by `#`. */
  readonly maskNumbers?: boolean;
}

const UTC = "SET time_zone = '+00:00';\n";

export const MARIADB_CLI_SCENARIOS: readonly CliScenario[] = [
  {
    name: 'types',
    args: ['--column-type-info', '--table'],
    script: `${UTC}${MYSQL_TYPES_SQL}
SELECT id, ti, usi, mi, i, bi, ubi, dc, f, d, dt, tm, dtm, ts, yr, vc, ch, tx, vb, bl, js, en, st, bt FROM compat_types ORDER BY id;
SELECT id, big FROM compat_types ORDER BY id;
SELECT id, HEX(vb), HEX(bl), BIN(bt), JSON_EXTRACT(js, '$.a[2]') AS snowman, CHAR_LENGTH(big), MD5(big) FROM compat_types ORDER BY id;
`,
    expect: ['héllo wörld ☃ 日本語 🎉', '12345678901234567890.1234567890', '-838:59:59.000000', '9999-12-31 23:59:59.999999', 'Type:       NEWDECIMAL', 'Flags:      UNSIGNED', 'DEADBEEF00FF', '"☃"', 'NULL', '280000 | 6cf6ce44248a2aed3084608514741155'],
  },
  {
    name: 'statements-in-e',
    args: ['-e', "SELECT 1 AS a; SELECT 'two' AS b, NULL AS c; CREATE TABLE e_items (id INT PRIMARY KEY, label VARCHAR(20)); INSERT INTO e_items VALUES (1, 'one'), (2, 'two'); UPDATE e_items SET label = UPPER(label); SELECT ROW_COUNT(); SELECT * FROM e_items ORDER BY id DESC"],
    expect: ['a\n1\n', 'b\tc\ntwo\tNULL', 'ROW_COUNT()\n2', '2\tTWO\n1\tONE'],
  },
  {
    name: 'errors-and-warnings',
    args: ['--force', '--show-warnings'],
    script: `SELECT * FROM no_such_table;
SELECT 1 +;
CREATE TABLE w_items (id INT PRIMARY KEY, n TINYINT, label VARCHAR(3));
INSERT INTO w_items VALUES (1, 1, 'a');
INSERT INTO w_items VALUES (1, 2, 'b');
INSERT IGNORE INTO w_items VALUES (2, 300, 'abcdef');
SELECT 1 / 0 AS div_zero;
SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'custom ☃ failure', MYSQL_ERRNO = 1644;
SELECT 'still here' AS status, COUNT(*) FROM w_items;
`,
    expect: ['ERROR 1146 (42S02) at line 1', 'ERROR 1064 (42000) at line 2', 'ERROR 1062 (23000) at line 5', 'Warning (Code 1264)', 'Warning (Code 1365)', 'ERROR 1644 (45000) at line 8: custom ☃ failure', 'still here\t2'],
  },
  {
    name: 'procedure-result-sets',
    script: `CREATE TABLE p_items (id INT PRIMARY KEY, label VARCHAR(20));
INSERT INTO p_items VALUES (1, 'one'), (2, 'two'), (3, 'three');
DELIMITER //
CREATE PROCEDURE two_results(IN low INT)
BEGIN
  SELECT id, label FROM p_items WHERE id >= low ORDER BY id;
  SELECT COUNT(*) AS total, 'second ☃' AS which FROM p_items;
  UPDATE p_items SET label = CONCAT(label, '!') WHERE id >= low;
END //
DELIMITER ;
CALL two_results(2);
SELECT * FROM p_items ORDER BY id;
`,
    expect: ['2\ttwo\n3\tthree', 'total\twhich\n3\tsecond ☃', '3\tthree!'],
  },
  {
    name: 'large-result',
    args: ['--quick'],
    script: `SELECT seq, CONCAT('row ', seq, ' ☃') AS label, MD5(seq) AS digest, IF(seq % 7 = 0, NULL, seq * 1.5) AS maybe FROM seq_1_to_200000;\n`,
    summarize: true,
    expect: ['seq\tlabel\tdigest\tmaybe\n1\trow 1 ☃\tc4ca4238a0b923820dcc509a6f75849b\t1.5', '200000\trow 200000 ☃', '<199992 more lines'],
  },
  {
    name: 'row-over-16mb',
    args: ['--max-allowed-packet=64M'],
    script: `SELECT REPEAT('a', 9000000) AS a, REPEAT('☃', 3000000) AS b, 'end' AS c;
SELECT 'after' AS next;
`,
    expect: ['chars, sha256', 'starts "aaaaaaaa', 'next\nafter'],
  },
  {
    name: 'load-data-local',
    args: ['--local-infile=1'],
    script: `CREATE TABLE l_items (id INT PRIMARY KEY, label VARCHAR(40), amount DECIMAL(10,2));
LOAD DATA LOCAL INFILE '{data}/items.tsv' INTO TABLE l_items CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' (id, label, amount);
SELECT COUNT(*), SUM(amount), MAX(label) FROM l_items;
SELECT * FROM l_items WHERE id IN (1, 2, 5000) ORDER BY id;
`,
    expect: ['5000\t6251250.00', '1\tlabel 1 ☃\t0.50', '5000\tlabel 5000 ☃'],
  },
  {
    name: 'use-and-transactions',
    script: `CREATE TABLE t_items (id INT PRIMARY KEY) ENGINE=InnoDB;
SELECT DATABASE() = 'information_schema' AS is_info;
use information_schema
SELECT DATABASE() AS now_in;
SELECT COUNT(*) > 10 AS has_tables FROM TABLES;
use {database}
START TRANSACTION;
INSERT INTO t_items VALUES (1), (2);
SAVEPOINT s1;
INSERT INTO t_items VALUES (3);
ROLLBACK TO SAVEPOINT s1;
COMMIT;
BEGIN;
INSERT INTO t_items VALUES (4);
ROLLBACK;
SELECT GROUP_CONCAT(id ORDER BY id) AS ids FROM t_items;
SELECT @@autocommit, @@in_transaction;
`,
    expect: ['now_in\ninformation_schema', 'has_tables\n1', 'ids\n1,2'],
  },
  {
    name: 'admin-ping-status',
    tool: 'mariadb-admin',
    args: ['ping', 'status'],
    maskNumbers: true,
    expect: ['mysqld is alive', 'Uptime: #'],
  },
];
