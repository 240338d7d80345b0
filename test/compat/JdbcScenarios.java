// The JDBC compatibility scenarios: runs each against one server (from COMPAT_* variables) and prints its results as stable text.
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.PGStatement;
import org.postgresql.copy.CopyManager;
import org.postgresql.largeobject.LargeObject;
import org.postgresql.largeobject.LargeObjectManager;

public class JdbcScenarios {
  interface Scenario {
    void run(PrintStream out) throws Exception;
  }

  static final String host = System.getenv("COMPAT_HOST");
  static final int port = Integer.parseInt(System.getenv("COMPAT_PORT"));
  static final String user = System.getenv("COMPAT_USER");
  static final String password = System.getenv().getOrDefault("COMPAT_PASSWORD", "");
  static final String schema = System.getenv("COMPAT_SCHEMA");
  static final int directPort = Integer.parseInt(System.getenv("COMPAT_DIRECT_PORT"));
  static String typesSql;

  public static void main(String[] args) throws Exception {
    typesSql = Files.readString(Path.of(System.getenv("COMPAT_TYPES_SQL")));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    Map<String, Scenario> scenarios = new LinkedHashMap<>();
    scenarios.put("types-text", JdbcScenarios::typesText);
    scenarios.put("types-binary", JdbcScenarios::typesBinary);
    scenarios.put("parameters", JdbcScenarios::parameters);
    scenarios.put("server-prepared-reuse", JdbcScenarios::serverPreparedReuse);
    scenarios.put("batch-insert", JdbcScenarios::batchInsert);
    scenarios.put("savepoints", JdbcScenarios::savepoints);
    scenarios.put("error-in-transaction", JdbcScenarios::errorInTransaction);
    scenarios.put("autosave-recovery", JdbcScenarios::autosaveRecovery);
    scenarios.put("error-mid-result", JdbcScenarios::errorMidResult);
    scenarios.put("cursor-fetch-size", JdbcScenarios::cursorFetchSize);
    scenarios.put("declare-fetch", JdbcScenarios::declareFetch);
    scenarios.put("copy-in-out", JdbcScenarios::copyInOut);
    scenarios.put("listen-notify", JdbcScenarios::listenNotify);
    scenarios.put("notices", JdbcScenarios::notices);
    scenarios.put("multiple-results", JdbcScenarios::multipleResults);
    scenarios.put("large-value", JdbcScenarios::largeValue);
    scenarios.put("interleaved-portals", JdbcScenarios::interleavedPortals);
    scenarios.put("cancel", JdbcScenarios::cancel);
    scenarios.put("parameter-status", JdbcScenarios::parameterStatus);
    scenarios.put("large-object", JdbcScenarios::largeObject);
    List<String> only = Arrays.asList(args);
    try (Connection c = connect(new Properties()); Statement st = c.createStatement()) {
      st.execute("drop schema if exists " + schema + " cascade; create schema " + schema);
    }
    for (Map.Entry<String, Scenario> scenario : scenarios.entrySet()) {
      if (!only.isEmpty() && !only.contains(scenario.getKey())) continue;
      out.println("== " + scenario.getKey());
      try {
        scenario.getValue().run(out);
      } catch (Throwable error) {
        out.println("UNCAUGHT " + describe(error));
      }
    }
  }

  static Connection connect(Properties extra) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("currentSchema", schema);
    props.setProperty("sslmode", "disable");
    props.putAll(extra);
    return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", props);
  }

  static Connection connect(String... pairs) throws SQLException {
    Properties extra = new Properties();
    for (int i = 0; i < pairs.length; i += 2) extra.setProperty(pairs[i], pairs[i + 1]);
    return connect(extra);
  }

  static void typesText(PrintStream out) throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(typesSql)) {
      print(out, rs);
    }
  }

  /** prepareThreshold=-1 makes the driver ask for binary results from the first execution. */
  static void typesBinary(PrintStream out) throws Exception {
    try (Connection c = connect("prepareThreshold", "-1"); PreparedStatement ps = c.prepareStatement(typesSql)) {
      for (int i = 0; i < 2; i++) {
        try (ResultSet rs = ps.executeQuery()) {
          print(out, rs);
        }
      }
    }
  }

  static void parameters(PrintStream out) throws Exception {
    String sql = "select ?::int as i, ?::bigint as big, ?::numeric as num, ?::text as t, ?::bytea as b, ?::bool as yes, ?::date as d,"
        + " ?::timestamp as ts, ?::timestamptz as tstz, ?::interval as iv, ?::jsonb as jb, ?::int[] as ia, ?::uuid as u, ?::text as n";
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, 42);
      ps.setLong(2, 9007199254740993L);
      ps.setBigDecimal(3, new BigDecimal("12345678901234567890.123456789"));
      ps.setString(4, "héllo ☃ 日本語 🎉");
      ps.setBytes(5, new byte[] {(byte) 0xde, (byte) 0xad, 0, (byte) 0xff});
      ps.setBoolean(6, true);
      ps.setDate(7, java.sql.Date.valueOf("2024-02-29"));
      ps.setTimestamp(8, java.sql.Timestamp.valueOf("2024-02-29 13:14:15.123456"));
      ps.setObject(9, OffsetDateTime.parse("2024-02-29T13:14:15.123456+02:00"));
      ps.setString(10, "1 year 2 mons 3 days 04:05:06");
      ps.setString(11, "{\"b\": [1, 2], \"a\": \"ü\"}");
      ps.setArray(12, c.createArrayOf("int4", new Integer[] {1, 2, null, 4}));
      ps.setObject(13, UUID.fromString("4a1b1c2d-3e4f-5a6b-7c8d-9e0fa1b2c3d4"));
      ps.setNull(14, Types.VARCHAR);
      try (ResultSet rs = ps.executeQuery()) {
        print(out, rs);
      }
    }
  }

  /** prepareThreshold=1: the driver names the statement on its first use and reuses it (Bind/Execute only) afterwards. */
  static void serverPreparedReuse(PrintStream out) throws Exception {
    try (Connection c = connect("prepareThreshold", "1");
        PreparedStatement doubled = c.prepareStatement("select ?::int * 2 as doubled, ?::text as label");
        PreparedStatement squares = c.prepareStatement("select g, g * g as square from generate_series(1, ?) g")) {
      for (int i = 1; i <= 5; i++) {
        doubled.setInt(1, i);
        doubled.setString(2, "run " + i);
        try (ResultSet rs = doubled.executeQuery()) {
          print(out, rs);
        }
        squares.setInt(1, i);
        try (ResultSet rs = squares.executeQuery()) {
          print(out, rs);
        }
        out.println("server prepared: " + doubled.unwrap(PGStatement.class).isUseServerPrepare());
      }
      try (PreparedStatement failing = c.prepareStatement("select 10 / ?::int as q")) {
        for (int divisor : new int[] {5, 0, 2}) {
          failing.setInt(1, divisor);
          try (ResultSet rs = failing.executeQuery()) {
            print(out, rs);
          } catch (SQLException error) {
            out.println("error: " + describe(error));
          }
        }
      }
    }
  }

  static void batchInsert(PrintStream out) throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("create table batch_items (id int primary key, label text, amount numeric(12, 2))");
      try (PreparedStatement ps = c.prepareStatement("insert into batch_items values (?, ?, ?)")) {
        for (int i = 1; i <= 1000; i++) {
          ps.setInt(1, i);
          ps.setString(2, "item " + i + " ☃");
          ps.setBigDecimal(3, new BigDecimal(i).movePointLeft(2));
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        out.println("batch counts: " + counts.length + " sum " + Arrays.stream(counts).sum());
        // A batch that fails at its third row (duplicate key).
        for (int id : new int[] {2001, 2002, 5, 2003}) {
          ps.setInt(1, id);
          ps.setString(2, "second batch");
          ps.setBigDecimal(3, BigDecimal.ONE);
          ps.addBatch();
        }
        try {
          ps.executeBatch();
          out.println("second batch did not fail");
        } catch (BatchUpdateException error) {
          out.println("batch error: " + error.getSQLState() + " counts " + Arrays.toString(error.getUpdateCounts()));
          out.println("next: " + describe(error.getNextException()));
        }
      }
      try (ResultSet rs = st.executeQuery("select count(*), sum(id), sum(amount), max(label) from batch_items")) {
        print(out, rs);
      }
    }
  }

  static void savepoints(PrintStream out) throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("create table sp_items (id int primary key)");
      c.setAutoCommit(false);
      st.execute("insert into sp_items values (1)");
      Savepoint a = c.setSavepoint("a");
      st.execute("insert into sp_items values (2)");
      c.rollback(a);
      st.execute("insert into sp_items values (3)");
      Savepoint b = c.setSavepoint();
      st.execute("insert into sp_items values (4)");
      c.releaseSavepoint(b);
      Savepoint d = c.setSavepoint("d");
      try {
        st.execute("insert into sp_items values (1)");
      } catch (SQLException error) {
        out.println("error: " + describe(error));
        c.rollback(d);
      }
      st.execute("insert into sp_items values (5)");
      c.commit();
      c.setAutoCommit(true);
      try (ResultSet rs = st.executeQuery("select array_agg(id order by id) as ids from sp_items")) {
        print(out, rs);
      }
    }
  }

  static void errorInTransaction(PrintStream out) throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("create table tx_items (id int)");
      c.setAutoCommit(false);
      st.execute("insert into tx_items values (1)");
      for (String sql : new String[] {"select 1 / 0", "select 1", "insert into tx_items values (2)"}) {
        try {
          st.execute(sql);
          out.println("ok: " + sql);
        } catch (SQLException error) {
          out.println("error: " + describe(error));
        }
      }
      c.rollback();
      st.execute("insert into tx_items values (3)");
      c.commit();
      try (ResultSet rs = st.executeQuery("select array_agg(id) as ids from tx_items")) {
        print(out, rs);
      }
    }
  }

  /** autosave=always wraps each statement in a savepoint, so the transaction survives an error. */
  static void autosaveRecovery(PrintStream out) throws Exception {
    try (Connection c = connect("autosave", "always"); Statement st = c.createStatement()) {
      st.execute("create table autosave_items (id int)");
      c.setAutoCommit(false);
      st.execute("insert into autosave_items values (1)");
      try {
        st.execute("insert into autosave_items values ('not a number')");
      } catch (SQLException error) {
        out.println("error: " + describe(error));
      }
      st.execute("insert into autosave_items values (2)");
      c.commit();
      try (ResultSet rs = st.executeQuery("select array_agg(id order by id) as ids from autosave_items")) {
        print(out, rs);
      }
    }
  }

  static void errorMidResult(PrintStream out) throws Exception {
    String sql = "select g, 1 / (g - 50) as q from generate_series(1, 100) g";
    try (Connection c = connect(); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery(sql)) {
        print(out, rs);
      } catch (SQLException error) {
        out.println("error: " + describe(error));
      }
      // With a fetch size in a transaction the rows come in pages, so some arrive before the error.
      c.setAutoCommit(false);
      st.setFetchSize(10);
      int seen = 0;
      try (ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) seen++;
        out.println("no error after " + seen);
      } catch (SQLException error) {
        out.println("rows before the error: " + seen + "; error: " + describe(error));
      }
      c.rollback();
      try (ResultSet rs = st.executeQuery("select 'still usable' as state")) {
        print(out, rs);
      }
    }
  }

  static void cursorFetchSize(PrintStream out) throws Exception {
    try (Connection c = connect("prepareThreshold", "1"); PreparedStatement ps = c.prepareStatement("select g, md5(g::text) as h from generate_series(1, ?) g")) {
      c.setAutoCommit(false);
      ps.setFetchSize(25);
      for (int limit : new int[] {100, 60}) {
        ps.setInt(1, limit);
        int count = 0;
        long sum = 0;
        String last = null;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            count++;
            sum += rs.getInt(1);
            last = rs.getString(2);
          }
        }
        out.println("rows " + count + " sum " + sum + " last " + last);
      }
      c.commit();
    }
  }

  static void declareFetch(PrintStream out) throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("declare compat_cur scroll cursor for select g, 'row ' || g as label from generate_series(1, 30) g");
      for (String fetch : new String[] {"fetch 5 from compat_cur", "fetch backward 2 from compat_cur", "fetch absolute 28 from compat_cur", "fetch all from compat_cur"}) {
        out.println(fetch);
        try (ResultSet rs = st.executeQuery(fetch)) {
          print(out, rs);
        }
      }
      st.execute("close compat_cur");
      c.commit();
    }
  }

  static void copyInOut(PrintStream out) throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("create table copy_items (id int primary key, label text, amount numeric(12, 2))");
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
      StringBuilder csv = new StringBuilder();
      for (int i = 1; i <= 5000; i++) csv.append(i).append(",\"label, ").append(i).append(" ☃\",").append(i).append(".25\n");
      out.println("copied in: " + copy.copyIn("COPY copy_items FROM STDIN (FORMAT csv)", new StringReader(csv.toString())));
      try {
        copy.copyIn("COPY copy_items FROM STDIN (FORMAT csv)", new StringReader("9001,ok,1\n9002,bad,not-a-number\n"));
        out.println("bad copy did not fail");
      } catch (SQLException error) {
        out.println("error: " + describe(error));
      }
      StringWriter text = new StringWriter();
      long copiedOut = copy.copyOut("COPY (select * from copy_items where id % 1000 = 0 or id < 3 order by id) TO STDOUT (FORMAT csv, HEADER)", text);
      out.println("copied out: " + copiedOut);
      out.print(text);
      StringWriter partial = new StringWriter();
      try {
        copy.copyOut("COPY (select g, 1 / (g - 50) from generate_series(1, 100) g) TO STDOUT", partial);
        out.println("failing copy out did not fail");
      } catch (SQLException error) {
        out.println("copy out error after " + partial.toString().split("\n", -1).length + " pieces: " + describe(error));
      }
      StringWriter all = new StringWriter();
      out.println("copied out all: " + copy.copyOut("COPY copy_items TO STDOUT", all) + " md5 " + md5(all.toString().getBytes(StandardCharsets.UTF_8)));
      try (ResultSet rs = st.executeQuery("select count(*), sum(amount) from copy_items")) {
        print(out, rs);
      }
    }
  }

  static void listenNotify(PrintStream out) throws Exception {
    String channel = schema + "_channel";
    try (Connection listener = connect();
        Connection notifier = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + directPort + "/postgres?user=postgres&sslmode=disable");
        Statement st = listener.createStatement();
        Statement send = notifier.createStatement()) {
      st.execute("listen " + channel);
      send.execute("notify " + channel + ", 'first'");
      send.execute("select pg_notify('" + channel + "', 'second ☃')");
      List<String> received = new ArrayList<>();
      long deadline = System.currentTimeMillis() + 10_000;
      PGConnection pg = listener.unwrap(PGConnection.class);
      while (received.size() < 2 && System.currentTimeMillis() < deadline) {
        PGNotification[] notifications = pg.getNotifications(1000);
        if (notifications == null) continue;
        for (PGNotification n : notifications) received.add((n.getName().equals(channel) ? "on the channel: " : "elsewhere: ") + n.getParameter());
      }
      for (String line : received) out.println(line);
      st.execute("unlisten " + channel);
    }
  }

  static void notices(PrintStream out) throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("do $$ begin raise notice 'hello % ☃', 42; raise warning 'careful'; raise info 'fyi'; end $$");
      for (SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning()) out.println("warning: " + w.getSQLState() + " " + w.getMessage());
      st.clearWarnings();
      try (ResultSet rs = st.executeQuery("select 'after notices' as state")) {
        print(out, rs);
      }
    }
  }

  static void multipleResults(PrintStream out) throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      boolean isResult = st.execute("select 1 as a; create temp table multi (x int); insert into multi values (1), (2); select 'two' as b, 2 as c; update multi set x = x + 1; select x from multi order by x");
      for (int i = 0; i < 10; i++) {
        if (isResult) {
          try (ResultSet rs = st.getResultSet()) {
            print(out, rs);
          }
        } else {
          int count = st.getUpdateCount();
          if (count == -1) break;
          out.println("update count: " + count);
        }
        isResult = st.getMoreResults();
      }
    }
  }

  /** About 20 MB each way: a parameter the server measures, then a value the server builds and the client measures. */
  static void largeValue(PrintStream out) throws Exception {
    String unit = "abcdefghij☃é";
    int repeat = 20 * 1024 * 1024 / unit.getBytes(StandardCharsets.UTF_8).length;
    byte[] big = unit.repeat(repeat).getBytes(StandardCharsets.UTF_8);
    out.println("sending " + big.length + " bytes, md5 " + md5(big));
    try (Connection c = connect(); PreparedStatement send = c.prepareStatement("select octet_length(t), md5(t) from (select ?::text as t) s");
        PreparedStatement receive = c.prepareStatement("select repeat(?, ?) as body, 'after' as tail")) {
      send.setString(1, new String(big, StandardCharsets.UTF_8));
      try (ResultSet rs = send.executeQuery()) {
        print(out, rs);
      }
      receive.setString(1, unit);
      receive.setInt(2, repeat);
      try (ResultSet rs = receive.executeQuery()) {
        rs.next();
        byte[] back = rs.getString(1).getBytes(StandardCharsets.UTF_8);
        out.println("received " + back.length + " bytes, md5 " + md5(back) + ", tail " + rs.getString(2));
      }
    }
  }

  /** Two open result sets read a page at a time, alternately: two named portals suspended on the server at once. */
  static void interleavedPortals(PrintStream out) throws Exception {
    try (Connection c = connect("prepareThreshold", "1");
        PreparedStatement numbers = c.prepareStatement("select g from generate_series(1, ?) g");
        PreparedStatement labels = c.prepareStatement("select 'label ' || g from generate_series(1, ?) g")) {
      c.setAutoCommit(false);
      numbers.setFetchSize(10);
      numbers.setInt(1, 50);
      labels.setFetchSize(7);
      labels.setInt(1, 30);
      StringBuilder order = new StringBuilder();
      try (ResultSet a = numbers.executeQuery(); ResultSet b = labels.executeQuery()) {
        boolean moreA = true;
        boolean moreB = true;
        while (moreA || moreB) {
          if (moreA && (moreA = a.next())) order.append(a.getInt(1)).append(' ');
          if (moreB && (moreB = b.next())) order.append(b.getString(1)).append(", ");
        }
      }
      out.println(order.toString().trim());
      c.commit();
    }
  }

  /** Statement.cancel from another thread: a CancelRequest on a new connection, with the key the session got at login. */
  static void cancel(PrintStream out) throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      Thread canceller = new Thread(() -> {
        try {
          Thread.sleep(300);
          st.cancel();
        } catch (Exception ignored) {
          // the statement then runs its full time, which the output shows
        }
      });
      long started = System.nanoTime();
      canceller.start();
      try {
        st.execute("select pg_sleep(5)");
        out.println("not cancelled");
      } catch (SQLException error) {
        out.println("error: " + describe(error));
      }
      canceller.join();
      out.println("cancelled in under 4 s: " + (System.nanoTime() - started < 4_000_000_000L));
      try (ResultSet rs = st.executeQuery("select 'after the cancel' as state")) {
        print(out, rs);
      }
    }
  }

  /** ParameterStatus messages sent mid-session reach the driver, which tracks them. */
  static void parameterStatus(PrintStream out) throws Exception {
    try (Connection c = connect("ApplicationName", "compat jdbc"); Statement st = c.createStatement()) {
      PGConnection pg = c.unwrap(PGConnection.class);
      out.println("at login: application_name=" + pg.getParameterStatus("application_name") + " server_encoding=" + pg.getParameterStatus("server_encoding")
          + " integer_datetimes=" + pg.getParameterStatus("integer_datetimes"));
      st.execute("set application_name = 'changed ☃'");
      st.execute("set TimeZone = 'America/New_York'");
      out.println("after set: application_name=" + pg.getParameterStatus("application_name") + " TimeZone=" + pg.getParameterStatus("TimeZone"));
      try (ResultSet rs = st.executeQuery("select timestamptz '2024-02-29 13:14:15+00' as t, current_setting('application_name') as app")) {
        print(out, rs);
      }
      try {
        st.execute("set DateStyle = 'German'");
        out.println("DateStyle change accepted");
      } catch (SQLException error) {
        out.println("error: " + describe(error));
      }
    }
  }

  /** The large-object API: pgjdbc calls lo_creat, lo_open, lowrite... through the fast-path function call protocol. */
  static void largeObject(PrintStream out) throws Exception {
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      LargeObjectManager objects = c.unwrap(PGConnection.class).getLargeObjectAPI();
      long oid = objects.createLO();
      LargeObject written = objects.open(oid, LargeObjectManager.WRITE);
      written.write("hello large object ☃".getBytes(StandardCharsets.UTF_8));
      written.close();
      LargeObject read = objects.open(oid, LargeObjectManager.READ);
      out.println("read back: " + new String(read.read(100), StandardCharsets.UTF_8));
      read.close();
      objects.delete(oid);
      c.rollback();
    }
  }

  static void print(PrintStream out, ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    StringBuilder header = new StringBuilder("columns:");
    for (int i = 1; i <= md.getColumnCount(); i++) header.append(' ').append(md.getColumnLabel(i)).append(':').append(md.getColumnTypeName(i));
    out.println(header);
    int rows = 0;
    while (rs.next()) {
      rows++;
      StringBuilder row = new StringBuilder("row:");
      for (int i = 1; i <= md.getColumnCount(); i++) row.append(' ').append(md.getColumnLabel(i)).append('=').append(value(rs, i));
      out.println(row);
    }
    out.println("rows: " + rows);
  }

  static String value(ResultSet rs, int i) throws SQLException {
    Object value = rs.getObject(i);
    if (value == null) return "NULL";
    // getString of a binary-format bytea is byte[].toString(), an identity hash: not comparable.
    if (value instanceof byte[]) return "byte[](\\x" + hex((byte[]) value) + ")";
    String text = rs.getString(i);
    String typed = value instanceof java.sql.Array ? Arrays.deepToString((Object[]) ((java.sql.Array) value).getArray()) : value.toString();
    return value.getClass().getSimpleName() + "(" + typed + ")" + (typed.equals(text) ? "" : " text=" + text);
  }

  static String describe(Throwable error) {
    if (error == null) return "null";
    String state = error instanceof SQLException ? ((SQLException) error).getSQLState() : null;
    return error.getClass().getSimpleName() + (state == null ? "" : " " + state) + ": " + error.getMessage();
  }

  static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) s.append(String.format("%02x", b));
    return s.toString();
  }

  static String md5(byte[] bytes) throws Exception {
    return hex(MessageDigest.getInstance("MD5").digest(bytes));
  }
}
