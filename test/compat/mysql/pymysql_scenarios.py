# The PyMySQL compatibility scenarios: runs each against one server (from COMPAT_* variables) and prints its results as stable text.
import hashlib
import io
import os
import re
import ssl
import sys

import pymysql
import pymysql.cursors

HOST = os.environ["COMPAT_HOST"]
PORT = int(os.environ["COMPAT_PORT"])
USER = os.environ["COMPAT_USER"]
PASSWORD = os.environ.get("COMPAT_PASSWORD", "")
DATABASE = os.environ["COMPAT_DATABASE"]
DATA_DIR = os.environ["COMPAT_DATA_DIR"]
TLS_CA = os.environ.get("COMPAT_TLS_CA")
with open(os.environ["COMPAT_TYPES_SQL"], encoding="utf-8") as types_file:
    TYPES_STATEMENTS = [s.strip() for s in re.split(r";\s*\n", types_file.read()) if s.strip()]

out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)


def emit(*parts):
    out.write(" ".join(str(part) for part in parts) + "\n")


def connect(**extra):
    options = dict(host=HOST, port=PORT, user=USER, password=PASSWORD, database=DATABASE, charset="utf8mb4", init_command="SET time_zone = '+00:00'")
    if TLS_CA:
        options["ssl"] = {"ca": TLS_CA}
    options.update(extra)
    conn = pymysql.connect(**options)
    # PyMySQL falls back to plaintext silently when the server offers no TLS: a TLS target must really be TLS.
    if TLS_CA and not isinstance(conn._sock, ssl.SSLSocket):
        raise RuntimeError("the connection is not TLS although the target asks for it")
    return conn


def sha(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:32]


def show(value):
    if isinstance(value, (bytes, bytearray)):
        if len(value) > 256:
            return f"bytes[{len(value)}] sha256 {sha(value)}"
        return "bytes(\\x" + bytes(value).hex() + ")"
    if isinstance(value, str) and len(value) > 256:
        return f"str[{len(value)}] sha256 {sha(value)}"
    return f"{type(value).__name__}({value!r})"


def print_result(cur):
    if cur.description is None:
        emit("no result; rowcount:", cur.rowcount, "lastrowid:", cur.lastrowid)
        return
    emit("columns:", " ".join(f"{d[0]}:{d[1]}:{d[2]}:{d[4]}:{d[5]}:{d[6]}" for d in cur.description))
    rows = cur.fetchall()
    for row in rows:
        emit("row:")
        for d, v in zip(cur.description, row):
            emit(f"  {d[0]}={show(v)}")
    emit("rows:", len(rows))


def describe(error):
    args = getattr(error, "args", ())
    return f"{type(error).__name__} {args!r}"


def types_text():
    with connect() as conn, conn.cursor() as cur:
        for statement in TYPES_STATEMENTS:
            cur.execute(statement)
        conn.commit()
        cur.execute("SELECT * FROM compat_types ORDER BY id")
        print_result(cur)
    with connect(binary_prefix=True) as conn, conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SELECT id, vb, bl, bt, js, en, st FROM compat_types WHERE id = %s", (1,))
        emit("dict:", {k: show(v) for k, v in cur.fetchone().items()})


def parameters():
    import datetime
    import decimal

    with connect() as conn, conn.cursor() as cur:
        values = (42, -9223372036854775808, decimal.Decimal("12345678901234567890.123456789"), 1.5e300, "héllo ☃ 日本語 🎉 'quote' \\ %s ?",
                  b"\xde\xad\x00\xff", None, datetime.datetime(2024, 2, 29, 13, 14, 15, 123456), datetime.date(2024, 2, 29), True, "100%")
        cur.execute("SELECT %s AS i, %s AS l, %s AS num, %s AS dbl, %s AS t, _binary %s AS b, %s AS n, %s AS ts, %s AS d, %s AS yes, %s AS pct", values)
        print_result(cur)
        cur.execute("SELECT %(a)s AS a, %(b)s AS b", {"a": "named ☃", "b": 7})
        print_result(cur)


def executemany():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE em_items (id INT PRIMARY KEY, label VARCHAR(40), amount DECIMAL(10,2))")
        rows = [(i, None if i % 10 == 0 else f"label {i} ☃", i / 4) for i in range(1, 1001)]
        emit("executemany rowcount:", cur.executemany("INSERT INTO em_items (id, label, amount) VALUES (%s, %s, %s)", rows))
        conn.commit()
        try:
            cur.executemany("INSERT INTO em_items VALUES (%s, %s, %s)", [(2000, "x", 1), (5, "duplicate", 1)])
        except pymysql.MySQLError as error:
            emit("error:", describe(error))
        conn.rollback()
        cur.execute("SELECT COUNT(*), COUNT(label), SUM(amount) FROM em_items")
        print_result(cur)


def multiple_statements():
    with connect(client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE ms_items (id INT)")
        cur.execute("SELECT 1 AS a; INSERT INTO ms_items VALUES (1), (2), (3); SELECT 'two' AS b, NULL AS c; UPDATE ms_items SET id = id + 10 WHERE id > 1; SELECT SUM(id) AS x FROM ms_items")
        while True:
            print_result(cur)
            if not cur.nextset():
                break
        try:
            cur.execute("SELECT 1 AS first; SELECT * FROM no_such_table; SELECT 3 AS never")
            print_result(cur)
            while cur.nextset():
                print_result(cur)
        except pymysql.MySQLError as error:
            emit("error:", describe(error))
        cur.execute("SELECT 'still usable' AS after")
        print_result(cur)


def callproc():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE cp_items (id INT PRIMARY KEY, label VARCHAR(20))")
        cur.execute("INSERT INTO cp_items VALUES (1, 'one'), (2, 'two'), (3, 'three')")
        cur.execute("""CREATE PROCEDURE two_results(IN low INT, INOUT note VARCHAR(40))
BEGIN
  SELECT id, label FROM cp_items WHERE id >= low ORDER BY id;
  SELECT COUNT(*) AS n, 'second ☃' AS which FROM cp_items;
  SET note = CONCAT(note, ' → done');
END""")
        emit("callproc returned:", cur.callproc("two_results", (2, "start ☃")))
        while True:
            print_result(cur)
            if not cur.nextset():
                break
        cur.execute("SELECT @_two_results_1 AS note")
        print_result(cur)


def unbuffered():
    with connect() as conn:
        for label, cursor_class in (("SSCursor", pymysql.cursors.SSCursor), ("SSDictCursor", pymysql.cursors.SSDictCursor)):
            with conn.cursor(cursor_class) as cur:
                cur.execute("SELECT seq, CONCAT('row ', seq, ' ☃') AS label, MD5(seq) AS digest FROM seq_1_to_200000")
                digest = hashlib.sha256()
                rows = 0
                total = 0
                for row in cur.fetchall_unbuffered():
                    values = list(row.values()) if isinstance(row, dict) else list(row)
                    rows += 1
                    total += values[0]
                    digest.update(f"{values[0]}|{values[1]}|{values[2]}\n".encode())
                emit(label, "streamed", rows, "rows, sum", total, "sha256", digest.hexdigest()[:32])
        # Leave an unbuffered result early: closing the cursor must drain it before the next statement.
        with conn.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute("SELECT seq FROM seq_1_to_100000")
            emit("first rows:", cur.fetchmany(5))
        with conn.cursor() as cur:
            cur.execute("SELECT 'after the abandoned stream' AS next")
            print_result(cur)


def errors():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE e_items (id INT PRIMARY KEY, email VARCHAR(50) UNIQUE)")
        cur.execute("INSERT INTO e_items VALUES (1, 'a@example.com')")
        for sql in ["SELEC 1", "INSERT INTO e_items VALUES (2, 'a@example.com')", "SELECT nope FROM e_items",
                    "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'custom ☃ failure', MYSQL_ERRNO = 1644", "SELECT * FROM no_such_table"]:
            try:
                cur.execute(sql)
                emit("no error for", sql)
            except pymysql.MySQLError as error:
                emit("error:", describe(error))
        cur.execute("INSERT IGNORE INTO e_items VALUES (3, REPEAT('x', 60))")
        cur.execute("SHOW WARNINGS")
        print_result(cur)
        cur.execute("SELECT 'usable' AS after")
        print_result(cur)


def transactions():
    with connect() as conn:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE t_items (id INT PRIMARY KEY) ENGINE=InnoDB")
        conn.begin()
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t_items VALUES (1), (2)")
            cur.execute("SAVEPOINT s1")
            cur.execute("INSERT INTO t_items VALUES (3)")
            cur.execute("ROLLBACK TO SAVEPOINT s1")
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t_items VALUES (4)")
        conn.rollback()
        conn.autocommit(True)
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t_items VALUES (5)")
            cur.execute("SELECT GROUP_CONCAT(id ORDER BY id) AS ids, @@autocommit AS ac FROM t_items")
            print_result(cur)


def large_value():
    blob = bytes((i * 13 + 1) % 256 for i in range(7 * 1024 * 1024 + 5))
    with connect(max_allowed_packet=64 * 1024 * 1024) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE big_items (id INT PRIMARY KEY, data LONGBLOB)")
        cur.execute("INSERT INTO big_items VALUES (1, _binary %s)", (blob[:3 * 1024 * 1024],))
        cur.execute("INSERT INTO big_items VALUES (2, _binary %s)", (blob[1:3 * 1024 * 1024 + 1],))
        cur.execute("INSERT INTO big_items SELECT 3, CONCAT(a.data, b.data, a.data) FROM big_items a, big_items b WHERE a.id = 1 AND b.id = 2")
        cur.execute("SELECT id, LENGTH(data), SHA2(data, 256) FROM big_items ORDER BY id")
        print_result(cur)
        cur.execute("SELECT a.data, b.data, c.data FROM big_items a, big_items b, big_items c WHERE a.id = 1 AND b.id = 2 AND c.id = 3")
        print_result(cur)
        cur.execute("SELECT REPEAT('a', 9000000) AS a, REPEAT('☃', 3000000) AS b, 'end' AS c")
        print_result(cur)
        emit("client-side sha256 of row 1:", sha(blob[:3 * 1024 * 1024]))


def load_data_local():
    with connect(local_infile=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE l_items (id INT PRIMARY KEY, label VARCHAR(40), amount DECIMAL(10,2))")
        emit("loaded:", cur.execute(f"LOAD DATA LOCAL INFILE '{DATA_DIR}/items.tsv' INTO TABLE l_items CHARACTER SET utf8mb4 (id, label, amount)"))
        cur.execute("SELECT COUNT(*), SUM(amount), MAX(label) FROM l_items")
        print_result(cur)


def session():
    with connect() as conn:
        conn.ping(reconnect=False)
        emit("pinged")
        conn.select_db("information_schema")
        with conn.cursor() as cur:
            cur.execute("SELECT DATABASE() AS db")
            print_result(cur)
        conn.select_db(DATABASE)
        with conn.cursor() as cur:
            cur.execute("SET @kept = 'kept ☃'")
            cur.execute("SELECT DATABASE() = %s AS back, @kept AS kept, @@session.time_zone AS tz, @@character_set_results AS cs", (DATABASE,))
            print_result(cur)
        emit("server info:", conn.get_server_info().split("-")[0] != "", "host info:", conn.get_host_info() != "")


SCENARIOS = [
    ("types-text", types_text),
    ("parameters", parameters),
    ("executemany", executemany),
    ("multiple-statements", multiple_statements),
    ("callproc", callproc),
    ("unbuffered", unbuffered),
    ("errors", errors),
    ("transactions", transactions),
    ("large-value", large_value),
    ("load-data-local", load_data_local),
    ("session", session),
]

if __name__ == "__main__":
    only = sys.argv[1:]
    for name, scenario in SCENARIOS:
        if only and name not in only:
            continue
        emit(f"== {name}")
        try:
            scenario()
        except Exception as error:  # noqa: BLE001 - every failure is part of the printed result
            emit("scenario failed:", describe(error))
