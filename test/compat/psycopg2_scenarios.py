# The psycopg2 compatibility scenarios: runs each against one server (from COMPAT_* variables) and prints its results as stable text.
import hashlib
import io
import os
import select
import sys
import time

import psycopg2
import psycopg2.extras

HOST = os.environ["COMPAT_HOST"]
PORT = int(os.environ["COMPAT_PORT"])
USER = os.environ["COMPAT_USER"]
PASSWORD = os.environ.get("COMPAT_PASSWORD", "")
SCHEMA = os.environ["COMPAT_SCHEMA"]
DIRECT_PORT = int(os.environ["COMPAT_DIRECT_PORT"])
with open(os.environ["COMPAT_TYPES_SQL"], encoding="utf-8") as types_file:
    TYPES_SQL = types_file.read()

out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)


def emit(*parts):
    out.write(" ".join(str(part) for part in parts) + "\n")


def connect(**extra):
    return psycopg2.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, dbname="postgres", sslmode="disable", options=f"-c search_path={SCHEMA}", **extra)


def show(value):
    if isinstance(value, memoryview):
        return "bytes(\\x" + value.tobytes().hex() + ")"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return f"{type(value).__name__}({value!r})"


def print_result(cur):
    emit("columns:", " ".join(f"{c.name}:{c.type_code}" for c in cur.description))
    rows = cur.fetchall()
    for row in rows:
        emit("row:", " ".join(f"{c.name}={show(v)}" for c, v in zip(cur.description, row)))
    emit("rows:", len(rows), "status:", cur.statusmessage)


def describe(error):
    return f"{type(error).__name__} {getattr(error, 'pgcode', None)}: {str(error).strip()}"


def md5(data):
    return hashlib.md5(data).hexdigest()


def types_text():
    with connect() as conn, conn.cursor() as cur:
        cur.execute(TYPES_SQL)
        print_result(cur)


def parameters():
    import datetime
    import decimal
    import uuid

    sql = ("select %s::int as i, %s::bigint as big, %s::numeric as num, %s::text as t, %s::bytea as b, %s::bool as yes, %s::date as d,"
           " %s::timestamp as ts, %s::timestamptz as tstz, %s::interval as iv, %s::jsonb as jb, %s::int[] as ia, %s::uuid as u, %s::text as n,"
           " %s as pct")
    values = (42, 9007199254740993, decimal.Decimal("12345678901234567890.123456789"), "héllo ☃ 日本語 🎉 'quote' %s", psycopg2.Binary(b"\xde\xad\x00\xff"),
              True, datetime.date(2024, 2, 29), datetime.datetime(2024, 2, 29, 13, 14, 15, 123456),
              datetime.datetime(2024, 2, 29, 13, 14, 15, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
              datetime.timedelta(days=3, hours=4, minutes=5, seconds=6), psycopg2.extras.Json({"b": [1, 2], "a": "ü"}), [1, 2, None, 4],
              str(uuid.UUID("4a1b1c2d-3e4f-5a6b-7c8d-9e0fa1b2c3d4")), None, "100%")
    with connect() as conn, conn.cursor() as cur:
        cur.execute(sql, values)
        print_result(cur)
        cur.execute("select %(a)s + %(b)s as total, %(a)s as a", {"a": 40, "b": 2})
        print_result(cur)


def executemany():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("create table many_items (id int primary key, label text, amount numeric(12, 2))")
        cur.executemany("insert into many_items values (%s, %s, %s)", [(i, f"item {i} ☃", i / 4) for i in range(1, 501)])
        emit("executemany rowcount:", cur.rowcount)
        psycopg2.extras.execute_batch(cur, "insert into many_items values (%s, %s, %s)", [(i, f"batch {i}", 1) for i in range(501, 801)], page_size=100)
        psycopg2.extras.execute_values(cur, "insert into many_items values %s", [(i, f"values {i}", 2) for i in range(801, 1001)])
        conn.commit()
        try:
            cur.executemany("insert into many_items values (%s, %s, %s)", [(2001, "a", 1), (5, "dup", 1), (2002, "b", 1)])
        except psycopg2.Error as error:
            emit("error:", describe(error))
        conn.rollback()
        cur.execute("select count(*), sum(id), sum(amount), max(label) from many_items")
        print_result(cur)


def savepoints():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("create table sp_items (id int primary key)")
        conn.commit()
        cur.execute("insert into sp_items values (1)")
        cur.execute("savepoint a")
        cur.execute("insert into sp_items values (2)")
        cur.execute("rollback to savepoint a")
        cur.execute("insert into sp_items values (3)")
        cur.execute("savepoint b")
        try:
            cur.execute("insert into sp_items values (1)")
        except psycopg2.Error as error:
            emit("error:", describe(error))
            cur.execute("rollback to savepoint b")
        cur.execute("release savepoint b")
        cur.execute("insert into sp_items values (4)")
        conn.commit()
        cur.execute("select array_agg(id order by id) as ids from sp_items")
        print_result(cur)


def error_in_transaction():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("create table tx_items (id int)")
        conn.commit()
        cur.execute("insert into tx_items values (1)")
        for sql in ("select 1 / 0", "select 1", "insert into tx_items values (2)"):
            try:
                cur.execute(sql)
                emit("ok:", sql)
            except psycopg2.Error as error:
                emit("error:", describe(error))
        emit("status:", conn.get_transaction_status())
        conn.rollback()
        cur.execute("insert into tx_items values (3)")
        conn.commit()
        cur.execute("select array_agg(id) as ids from tx_items")
        print_result(cur)


def error_mid_result():
    sql = "select g, 1 / (g - 50) as q from generate_series(1, 100) g"
    with connect() as conn:
        with conn.cursor() as cur:
            try:
                cur.execute(sql)
                emit("no error")
            except psycopg2.Error as error:
                emit("error:", describe(error))
        conn.rollback()
        seen = 0
        try:
            with conn.cursor("mid_result") as named:
                named.itersize = 10
                named.execute(sql)
                for _ in named:
                    seen += 1
        except psycopg2.Error as error:
            emit("rows before the error:", seen, "error:", describe(error))
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("select 'still usable' as state")
            print_result(cur)


def named_cursor():
    with connect() as conn:
        with conn.cursor("compat_named") as cur:
            cur.itersize = 30
            cur.execute("select g, md5(g::text) as h from generate_series(1, 100) g")
            rows = list(cur)
            emit("rows", len(rows), "sum", sum(r[0] for r in rows), "last", rows[-1])
        with conn.cursor("compat_scroll", scrollable=True) as cur:
            cur.execute("select g from generate_series(1, 20) g")
            emit("fetchmany:", cur.fetchmany(5))
            cur.scroll(-2)
            emit("after scroll:", cur.fetchone())
            cur.scroll(15, mode="absolute")
            emit("absolute:", cur.fetchall())
        conn.commit()
        with conn.cursor("compat_hold", withhold=True) as cur:
            cur.execute("select g from generate_series(1, 5) g")
            conn.commit()
            emit("held after commit:", cur.fetchall())
        conn.commit()


def declare_fetch():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("declare compat_cur cursor for select g, 'row ' || g as label from generate_series(1, 30) g")
        for fetch in ("fetch 5 from compat_cur", "fetch forward 20 from compat_cur", "fetch all from compat_cur"):
            cur.execute(fetch)
            emit(fetch)
            print_result(cur)
        cur.execute("close compat_cur")
        conn.commit()


def copy_in_out():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("create table copy_items (id int primary key, label text, amount numeric(12, 2))")
        data = "".join(f'{i},"label, {i} ☃",{i}.25\n' for i in range(1, 5001))
        cur.copy_expert("COPY copy_items FROM STDIN (FORMAT csv)", io.StringIO(data))
        emit("copied in:", cur.rowcount)
        conn.commit()
        try:
            cur.copy_expert("COPY copy_items FROM STDIN (FORMAT csv)", io.StringIO("9001,ok,1\n9002,bad,not-a-number\n"))
        except psycopg2.Error as error:
            emit("error:", describe(error))
        conn.rollback()
        cur.copy_from(io.StringIO("6001\tfrom copy_from\t1.5\n6002\t\\N\t2.5\n"), "copy_items", columns=("id", "label", "amount"))
        emit("copy_from:", cur.rowcount)
        conn.commit()
        text = io.StringIO()
        cur.copy_expert("COPY (select * from copy_items where id % 1000 = 0 or id < 3 or id > 6000 order by id) TO STDOUT (FORMAT csv, HEADER)", text)
        emit("copied out:", cur.rowcount)
        out.write(text.getvalue())
        partial = io.StringIO()
        try:
            cur.copy_expert("COPY (select g, 1 / (g - 50) from generate_series(1, 100) g) TO STDOUT", partial)
            emit("failing copy out did not fail")
        except psycopg2.Error as error:
            emit("copy out error after", partial.getvalue().count("\n"), "lines:", describe(error))
        conn.rollback()
        everything = io.StringIO()
        cur.copy_to(everything, "copy_items")
        emit("copy_to:", cur.rowcount, "md5", md5(everything.getvalue().encode()))
        conn.commit()
        cur.execute("select count(*), sum(amount) from copy_items")
        print_result(cur)


def listen_notify():
    channel = f"{SCHEMA}_channel"
    listener = connect()
    listener.autocommit = True
    notifier = psycopg2.connect(host="127.0.0.1", port=DIRECT_PORT, user="postgres", dbname="postgres", sslmode="disable")
    notifier.autocommit = True
    try:
        listener.cursor().execute(f"listen {channel}")
        with notifier.cursor() as send:
            send.execute(f"notify {channel}, 'first'")
            send.execute("select pg_notify(%s, %s)", (channel, "second ☃"))
        received = []
        deadline = time.time() + 10
        while len(received) < 2 and time.time() < deadline:
            if select.select([listener], [], [], 1) == ([], [], []):
                continue
            listener.poll()
            while listener.notifies:
                n = listener.notifies.pop(0)
                received.append(("on the channel: " if n.channel == channel else "elsewhere: ") + n.payload)
        for line in received:
            emit(line)
    finally:
        listener.close()
        notifier.close()


def notices():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("do $$ begin raise notice 'hello % ☃', 42; raise warning 'careful'; raise info 'fyi'; end $$")
        for notice in conn.notices:
            out.write("notice: " + notice)
        cur.execute("select 'after notices' as state")
        print_result(cur)


def multiple_results():
    with connect() as conn, conn.cursor() as cur:
        cur.execute("select 1 as a; create temp table multi (x int); insert into multi values (1), (2); select 'two' as b, 2 as c")
        print_result(cur)
        cur.execute("select 1 as a; update multi set x = x + 1")
        emit("status:", cur.statusmessage, "rowcount:", cur.rowcount, "description:", cur.description)
        try:
            cur.execute("select 1 as a; select 1 / 0; select 3 as c")
        except psycopg2.Error as error:
            emit("error:", describe(error))


def large_value():
    """About 20 MB each way: a parameter the server measures, then a value the server builds and the client measures."""
    unit = "abcdefghij☃é"
    repeat = 20 * 1024 * 1024 // len(unit.encode())
    big = unit * repeat
    emit("sending", len(big.encode()), "bytes, md5", md5(big.encode()))
    with connect() as conn, conn.cursor() as cur:
        cur.execute("select octet_length(t), md5(t) from (select %s::text as t) s", (big,))
        print_result(cur)
        cur.execute("select repeat(%s, %s) as body, 'after' as tail", (unit, repeat))
        body, tail = cur.fetchone()
        emit("received", len(body.encode()), "bytes, md5", md5(body.encode()), "tail", tail)


def cancel():
    """conn.cancel() from another thread: a CancelRequest on a new connection, with the key the session got at login."""
    import threading

    with connect() as conn, conn.cursor() as cur:
        started = time.time()
        threading.Timer(0.3, conn.cancel).start()
        try:
            cur.execute("select pg_sleep(5)")
            emit("not cancelled")
        except psycopg2.Error as error:
            emit("error:", describe(error))
        emit("cancelled in under 4 s:", time.time() - started < 4)
        conn.rollback()
        cur.execute("select 'after the cancel' as state")
        print_result(cur)


def parameter_status():
    """ParameterStatus messages sent mid-session reach libpq, which tracks them."""
    with connect(application_name="compat psycopg2") as conn, conn.cursor() as cur:
        emit("at login:", *(f"{name}={conn.get_parameter_status(name)}" for name in ("application_name", "server_encoding", "client_encoding", "DateStyle")))
        conn.autocommit = True
        cur.execute("set application_name = 'changed ☃'")
        cur.execute("set DateStyle = 'ISO, DMY'")
        cur.execute("set TimeZone = 'America/New_York'")
        emit("after set:", *(f"{name}={conn.get_parameter_status(name)}" for name in ("application_name", "DateStyle", "TimeZone")))
        cur.execute("select timestamptz '2024-02-29 13:14:15+00' as t, current_setting('application_name') as app")
        print_result(cur)


def large_object():
    """libpq's large-object functions (lo_creat, lo_open, lo_write...) use the fast-path function call protocol."""
    with connect() as conn:
        lob = conn.lobject(0, "wb")
        lob.write("hello large object ☃".encode())
        oid = lob.oid
        lob.close()
        lob = conn.lobject(oid, "rb")
        emit("read back:", lob.read().decode())
        lob.unlink()
        conn.rollback()


SCENARIOS = {
    "types-text": types_text,
    "parameters": parameters,
    "executemany": executemany,
    "savepoints": savepoints,
    "error-in-transaction": error_in_transaction,
    "error-mid-result": error_mid_result,
    "named-cursor": named_cursor,
    "declare-fetch": declare_fetch,
    "copy-in-out": copy_in_out,
    "listen-notify": listen_notify,
    "notices": notices,
    "multiple-results": multiple_results,
    "large-value": large_value,
    "cancel": cancel,
    "parameter-status": parameter_status,
    "large-object": large_object,
}


def main():
    only = sys.argv[1:]
    setup = connect()
    setup.autocommit = True
    setup.cursor().execute(f"drop schema if exists {SCHEMA} cascade; create schema {SCHEMA}")
    setup.close()
    for name, scenario in SCENARIOS.items():
        if only and name not in only:
            continue
        emit("==", name)
        try:
            scenario()
        except Exception as error:  # every scenario reports, none stops the others
            emit("UNCAUGHT", describe(error))


if __name__ == "__main__":
    main()
