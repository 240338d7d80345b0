// The MariaDB Connector/J compatibility scenarios: runs each against one server (from COMPAT_* variables) and prints its results as stable text.
import java.io.ByteArrayInputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

public class ConnectorJScenarios {
  interface Scenario {
    void run(PrintStream out) throws Exception;
  }

  static final String host = System.getenv("COMPAT_HOST");
  static final int port = Integer.parseInt(System.getenv("COMPAT_PORT"));
  static final String user = System.getenv("COMPAT_USER");
  static final String password = System.getenv().getOrDefault("COMPAT_PASSWORD", "");
  static final String database = System.getenv("COMPAT_DATABASE");
  static final String dataDir = System.getenv("COMPAT_DATA_DIR");
  /** When set, the target is reached over TLS, verifying the server with this certificate. */
  static final String tlsCa = System.getenv("COMPAT_TLS_CA");
  static List<String> typesStatements;

  public static void main(String[] args) throws Exception {
    String typesSql = Files.readString(Path.of(System.getenv("COMPAT_TYPES_SQL")));
    typesStatements = Arrays.stream(typesSql.split(";\\s*\\n")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    Map<String, Scenario> scenarios = new LinkedHashMap<>();
    scenarios.put("types-text", ConnectorJScenarios::typesText);
    scenarios.put("types-binary", ConnectorJScenarios::typesBinary);
    scenarios.put("parameters", ConnectorJScenarios::parameters);
    scenarios.put("long-data", ConnectorJScenarios::longData);
    scenarios.put("batch", ConnectorJScenarios::batch);
    scenarios.put("multiple-results", ConnectorJScenarios::multipleResults);
    scenarios.put("callable", ConnectorJScenarios::callable);
    scenarios.put("transactions", ConnectorJScenarios::transactions);
    scenarios.put("errors", ConnectorJScenarios::errors);
    scenarios.put("streaming", ConnectorJScenarios::streaming);
    scenarios.put("large-value", ConnectorJScenarios::largeValue);
    scenarios.put("compression", ConnectorJScenarios::compression);
    scenarios.put("metadata", ConnectorJScenarios::metadata);
    scenarios.put("load-data-local", ConnectorJScenarios::loadDataLocal);
    scenarios.put("session", ConnectorJScenarios::session);
    List<String> only = Arrays.asList(args);
    for (Map.Entry<String, Scenario> scenario : scenarios.entrySet()) {
      if (!only.isEmpty() && !only.contains(scenario.getKey())) continue;
      out.println("== " + scenario.getKey());
      try {
        scenario.getValue().run(out);
      } catch (Exception e) {
        out.println("scenario failed: " + describe(e));
      }
    }
  }

  static Connection connect(String options) throws SQLException {
    String url = "jdbc:mariadb://" + host + ":" + port + "/" + database + "?sessionVariables=time_zone='+00:00'&allowPublicKeyRetrieval=true" + (tlsCa == null ? "" : "&useSsl=true&serverSslCert=" + tlsCa) + (options.isEmpty() ? "" : "&" + options);
    return DriverManager.getConnection(url, user, password);
  }

  static String describe(Throwable e) {
    String text = e.getClass().getSimpleName();
    if (e instanceof SQLException sql) text += " " + sql.getSQLState() + "/" + sql.getErrorCode();
    return text + ": " + e.getMessage();
  }

  static String hash(byte[] data) throws Exception {
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(data);
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < 16; i++) hex.append(String.format("%02x", digest[i]));
    return hex.toString();
  }

  static String show(Object value) throws Exception {
    if (value == null) return "NULL";
    if (value instanceof byte[] bytes) {
      if (bytes.length > 256) return "byte[" + bytes.length + "] sha256 " + hash(bytes);
      StringBuilder hex = new StringBuilder("byte[](\\x");
      for (byte b : bytes) hex.append(String.format("%02x", b));
      return hex.append(")").toString();
    }
    if (value instanceof String text && text.length() > 256) return "String[" + text.length() + "] sha256 " + hash(text.getBytes(StandardCharsets.UTF_8));
    return value.getClass().getSimpleName() + "(" + value + ")";
  }

  static void printColumns(PrintStream out, ResultSetMetaData md) throws SQLException {
    for (int i = 1; i <= md.getColumnCount(); i++) {
      out.println("column: " + md.getColumnLabel(i) + " table=" + md.getTableName(i) + " type=" + md.getColumnTypeName(i) + "/" + md.getColumnType(i) + " class=" + md.getColumnClassName(i)
          + " precision=" + md.getPrecision(i) + " scale=" + md.getScale(i) + " nullable=" + md.isNullable(i) + " signed=" + md.isSigned(i) + " autoinc=" + md.isAutoIncrement(i));
    }
  }

  static int printRows(PrintStream out, ResultSet rs) throws Exception {
    ResultSetMetaData md = rs.getMetaData();
    int rows = 0;
    while (rs.next()) {
      rows++;
      out.println("row:");
      for (int i = 1; i <= md.getColumnCount(); i++) {
        out.println("  " + md.getColumnLabel(i) + "=" + show(rs.getObject(i)) + " string=" + show(rs.getString(i)));
      }
    }
    out.println("rows: " + rows);
    return rows;
  }

  static void createTypes(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      for (String sql : typesStatements) st.execute(sql);
    }
  }

  static void typesText(PrintStream out) throws Exception {
    try (Connection c = connect(""); Statement st = c.createStatement()) {
      createTypes(c);
      try (ResultSet rs = st.executeQuery("SELECT * FROM compat_types ORDER BY id")) {
        printColumns(out, rs.getMetaData());
        printRows(out, rs);
      }
    }
  }

  static void typesBinary(PrintStream out) throws Exception {
    try (Connection c = connect("useServerPrepStmts=true"); PreparedStatement ps = c.prepareStatement("SELECT * FROM compat_types WHERE id >= ? ORDER BY id")) {
      ps.setInt(1, 1);
      try (ResultSet rs = ps.executeQuery()) {
        printColumns(out, rs.getMetaData());
        printRows(out, rs);
      }
      ResultSetMetaData described = ps.getMetaData();
      out.println("prepared metadata columns: " + described.getColumnCount() + " parameters: " + ps.getParameterMetaData().getParameterCount());
    }
  }

  static void parameters(PrintStream out) throws Exception {
    for (String options : new String[] {"useServerPrepStmts=true", "useServerPrepStmts=false"}) {
      out.println("-- " + options);
      try (Connection c = connect(options);
          PreparedStatement ps = c.prepareStatement("SELECT ? AS i, ? AS l, ? AS num, ? AS dbl, ? AS t, ? AS b, ? AS n, ? AS ts, ? AS d, ? AS tm, ? AS yes, ? AS f")) {
        ps.setInt(1, 42);
        ps.setLong(2, -9223372036854775808L);
        ps.setBigDecimal(3, new BigDecimal("12345678901234567890.123456789"));
        ps.setDouble(4, 1.5e300);
        ps.setString(5, "héllo ☃ 日本語 🎉 'quote' \\ ?");
        ps.setBytes(6, new byte[] {(byte) 0xde, (byte) 0xad, 0, (byte) 0xff});
        ps.setNull(7, Types.VARCHAR);
        ps.setTimestamp(8, java.sql.Timestamp.valueOf("2024-02-29 13:14:15.123456"));
        ps.setDate(9, java.sql.Date.valueOf("2024-02-29"));
        ps.setTime(10, java.sql.Time.valueOf("08:14:15"));
        ps.setBoolean(11, true);
        ps.setFloat(12, 0.25f);
        try (ResultSet rs = ps.executeQuery()) {
          printRows(out, rs);
        }
      }
    }
  }

  static void longData(PrintStream out) throws Exception {
    byte[] blob = new byte[3 * 1024 * 1024 + 17];
    for (int i = 0; i < blob.length; i++) blob[i] = (byte) (i * 31 + 7);
    String text = "stream ☃ 🎉 ".repeat(50000);
    try (Connection c = connect("useServerPrepStmts=true"); Statement st = c.createStatement()) {
      long longDataBefore = sessionCounter(st, "Com_stmt_send_long_data");
      st.execute("CREATE TABLE ld_items (id INT PRIMARY KEY, data LONGBLOB, note LONGTEXT)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO ld_items VALUES (?, ?, ?)")) {
        ps.setInt(1, 1);
        ps.setBinaryStream(2, new ByteArrayInputStream(blob));
        ps.setCharacterStream(3, new StringReader(text));
        out.println("inserted: " + ps.executeUpdate());
        ps.setInt(1, 2);
        ps.setBinaryStream(2, new ByteArrayInputStream(blob, 0, 1000), 1000);
        ps.setCharacterStream(3, new StringReader("short ☃"), 7);
        out.println("inserted: " + ps.executeUpdate());
      }
      try (ResultSet rs = st.executeQuery("SELECT id, LENGTH(data), SHA2(data, 256), CHAR_LENGTH(note), SHA2(note, 256) FROM ld_items ORDER BY id")) {
        printRows(out, rs);
      }
      out.println("client-side: blob sha256 " + hash(blob) + " text sha256 " + hash(text.getBytes(StandardCharsets.UTF_8)));
      // The server counts the COM_STMT_SEND_LONG_DATA packets it got on this session.
      out.println("send long data packets > 0: " + (sessionCounter(st, "Com_stmt_send_long_data") > longDataBefore));
    }
  }

  static long sessionCounter(Statement st, String name) throws SQLException {
    try (ResultSet rs = st.executeQuery("SHOW SESSION STATUS LIKE '" + name + "'")) {
      return rs.next() ? rs.getLong(2) : -1;
    }
  }

  static void batch(PrintStream out) throws Exception {
    String[] variants = {"useServerPrepStmts=true&useBulkStmts=true", "useServerPrepStmts=true&useBulkStmts=false", "rewriteBatchedStatements=true", ""};
    for (int v = 0; v < variants.length; v++) {
      out.println("-- " + (variants[v].isEmpty() ? "defaults" : variants[v]));
      try (Connection c = connect(variants[v]); Statement st = c.createStatement()) {
        st.execute("CREATE TABLE b_items_" + v + " (id INT PRIMARY KEY, label VARCHAR(40), amount DECIMAL(10,2))");
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO b_items_" + v + " VALUES (?, ?, ?)")) {
          for (int i = 1; i <= 1000; i++) {
            ps.setInt(1, i);
            ps.setString(2, i % 10 == 0 ? null : "label " + i + " ☃");
            ps.setBigDecimal(3, new BigDecimal(i).divide(new BigDecimal(4)));
            ps.addBatch();
          }
          int[] counts = ps.executeBatch();
          out.println("batch counts: " + counts.length + " sum " + Arrays.stream(counts).sum());
          ps.setInt(1, 5);
          ps.setString(2, "duplicate");
          ps.setBigDecimal(3, BigDecimal.ONE);
          ps.addBatch();
          ps.executeBatch();
        } catch (SQLException e) {
          out.println("batch error: " + describe(e));
        }
        try (ResultSet rs = st.executeQuery("SELECT COUNT(*), COUNT(label), SUM(amount) FROM b_items_" + v)) {
          printRows(out, rs);
        }
      }
    }
  }

  static void multipleResults(PrintStream out) throws Exception {
    try (Connection c = connect("allowMultiQueries=true"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE mr_items (id INT)");
      boolean isResult = st.execute("SELECT 1 AS a; INSERT INTO mr_items VALUES (1), (2), (3); SELECT 'two' AS b, NULL AS c; UPDATE mr_items SET id = id + 10 WHERE id > 1; SELECT SUM(id) AS x FROM mr_items");
      for (int i = 0; i < 20; i++) {
        if (isResult) {
          try (ResultSet rs = st.getResultSet()) {
            printRows(out, rs);
          }
        } else {
          int count = st.getUpdateCount();
          if (count == -1) break;
          out.println("update count: " + count);
        }
        isResult = st.getMoreResults();
      }
      try {
        st.execute("SELECT 1 AS first; SELECT * FROM no_such_table; SELECT 3 AS never");
        while (st.getMoreResults() || st.getUpdateCount() != -1) out.println("more");
      } catch (SQLException e) {
        out.println("error: " + describe(e));
      }
      try (ResultSet rs = st.executeQuery("SELECT 'still usable' AS after")) {
        printRows(out, rs);
      }
    }
  }

  static void callable(PrintStream out) throws Exception {
    try (Connection c = connect(""); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE cp_items (id INT PRIMARY KEY, label VARCHAR(20))");
      st.execute("INSERT INTO cp_items VALUES (1, 'one'), (2, 'two'), (3, 'three')");
      st.execute("CREATE PROCEDURE results_and_out(IN low INT, OUT total INT, INOUT note VARCHAR(40))\n"
          + "BEGIN\n  SELECT id, label FROM cp_items WHERE id >= low ORDER BY id;\n  SELECT COUNT(*) AS n, 'second ☃' AS which FROM cp_items;\n"
          + "  SELECT COUNT(*) INTO total FROM cp_items WHERE id >= low;\n  SET note = CONCAT(note, ' → done');\nEND");
      try (CallableStatement call = c.prepareCall("{call results_and_out(?, ?, ?)}")) {
        call.setInt(1, 2);
        call.registerOutParameter(2, Types.INTEGER);
        call.setString(3, "start ☃");
        call.registerOutParameter(3, Types.VARCHAR);
        boolean isResult = call.execute();
        for (int i = 0; i < 10; i++) {
          if (isResult) {
            try (ResultSet rs = call.getResultSet()) {
              printRows(out, rs);
            }
          } else if (call.getUpdateCount() == -1) break;
          else out.println("update count: " + call.getUpdateCount());
          isResult = call.getMoreResults();
        }
        out.println("out total=" + call.getInt(2) + " note=" + call.getString(3));
      }
    }
  }

  static void transactions(PrintStream out) throws Exception {
    try (Connection c = connect(""); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE t_items (id INT PRIMARY KEY) ENGINE=InnoDB");
      c.setAutoCommit(false);
      st.execute("INSERT INTO t_items VALUES (1)");
      Savepoint a = c.setSavepoint("a");
      st.execute("INSERT INTO t_items VALUES (2)");
      c.rollback(a);
      st.execute("INSERT INTO t_items VALUES (3)");
      try {
        st.execute("INSERT INTO t_items VALUES (1)");
      } catch (SQLException e) {
        out.println("in transaction: " + describe(e));
      }
      c.commit();
      st.execute("INSERT INTO t_items VALUES (4)");
      c.rollback();
      c.setAutoCommit(true);
      c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
      out.println("isolation: " + c.getTransactionIsolation());
      try (ResultSet rs = st.executeQuery("SELECT GROUP_CONCAT(id ORDER BY id) AS ids, @@session.tx_isolation AS iso FROM t_items")) {
        printRows(out, rs);
      }
    }
  }

  static void errors(PrintStream out) throws Exception {
    try (Connection c = connect("useServerPrepStmts=true"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE e_items (id INT PRIMARY KEY, email VARCHAR(50) UNIQUE)");
      st.execute("INSERT INTO e_items VALUES (1, 'a@example.com')");
      String[] statements = {"SELEC 1", "INSERT INTO e_items VALUES (2, 'a@example.com')", "SELECT nope FROM e_items",
          "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'custom ☃ failure', MYSQL_ERRNO = 1644", "SELECT * FROM no_such_table"};
      for (String sql : statements) {
        try {
          st.execute(sql);
          out.println("no error for " + sql);
        } catch (SQLException e) {
          out.println("statement: " + describe(e));
        }
        try (PreparedStatement ps = c.prepareStatement(sql + " /* prepared */")) {
          ps.execute();
          out.println("no error for prepared " + sql);
        } catch (SQLException e) {
          out.println("prepared: " + describe(e));
        }
      }
      st.execute("INSERT IGNORE INTO e_items VALUES (3, REPEAT('x', 60))");
      for (java.sql.SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning()) out.println("warning: " + w.getSQLState() + "/" + w.getErrorCode() + " " + w.getMessage());
      try (ResultSet rs = st.executeQuery("SELECT 'usable' AS after")) {
        printRows(out, rs);
      }
    }
  }

  static void streaming(PrintStream out) throws Exception {
    try (Connection c = connect("useServerPrepStmts=true")) {
      for (boolean prepared : new boolean[] {false, true}) {
        String sql = "SELECT seq, CONCAT('row ', seq, ' ☃') AS label, MD5(seq) AS digest FROM seq_1_to_200000" + (prepared ? " WHERE seq > ?" : "");
        try (PreparedStatement ps = prepared ? c.prepareStatement(sql) : null; Statement st = c.createStatement()) {
          Statement used = prepared ? ps : st;
          used.setFetchSize(100);
          if (prepared) ps.setInt(1, 0);
          MessageDigest digest = MessageDigest.getInstance("SHA-256");
          long rows = 0;
          long sum = 0;
          try (ResultSet rs = prepared ? ps.executeQuery() : st.executeQuery(sql)) {
            while (rs.next()) {
              rows++;
              sum += rs.getLong(1);
              digest.update((rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "\n").getBytes(StandardCharsets.UTF_8));
            }
          }
          StringBuilder hex = new StringBuilder();
          for (byte b : Arrays.copyOf(digest.digest(), 16)) hex.append(String.format("%02x", b));
          out.println((prepared ? "prepared" : "text") + " streamed " + rows + " rows, sum " + sum + ", sha256 " + hex);
        }
      }
      // Leave a streaming result early: the driver must skip the rest before the next statement.
      try (Statement st = c.createStatement()) {
        st.setFetchSize(10);
        try (ResultSet rs = st.executeQuery("SELECT seq FROM seq_1_to_100000")) {
          for (int i = 0; i < 25 && rs.next(); i++) {
            // read a few rows only
          }
        }
        try (ResultSet rs = st.executeQuery("SELECT 'after the abandoned stream' AS next")) {
          printRows(out, rs);
        }
      }
    }
  }

  static void largeValue(PrintStream out) throws Exception {
    byte[] blob = new byte[7 * 1024 * 1024 + 5];
    for (int i = 0; i < blob.length; i++) blob[i] = (byte) (i * 13 + 1);
    try (Connection c = connect("useServerPrepStmts=true"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE big_items (id INT PRIMARY KEY, data LONGBLOB)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO big_items VALUES (?, ?)")) {
        for (int id = 1; id <= 3; id++) {
          ps.setInt(1, id);
          ps.setBytes(2, Arrays.copyOfRange(blob, id, blob.length));
          ps.executeUpdate();
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT id, LENGTH(data), SHA2(data, 256) FROM big_items ORDER BY id")) {
        printRows(out, rs);
      }
      String three = "SELECT a.data, b.data, c.data FROM big_items a, big_items b, big_items c WHERE a.id = 1 AND b.id = 2 AND c.id = 3";
      try (ResultSet rs = st.executeQuery(three)) {
        printRows(out, rs);
      }
      try (PreparedStatement ps = c.prepareStatement(three + " AND 1 = ?")) {
        ps.setInt(1, 1);
        try (ResultSet rs = ps.executeQuery()) {
          printRows(out, rs);
        }
      }
      out.println("client-side sha256 of row 1: " + hash(Arrays.copyOfRange(blob, 1, blob.length)));
    }
  }

  static void compression(PrintStream out) throws Exception {
    try (Connection c = connect("useCompression=true"); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT seq, REPEAT('compressible ☃ ', 20) AS filler FROM seq_1_to_2000 WHERE seq % 500 = 0")) {
        printRows(out, rs);
      }
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*), SUM(LENGTH(REPEAT('x', seq))) FROM seq_1_to_3000")) {
        printRows(out, rs);
      }
    }
  }

  static void metadata(PrintStream out) throws Exception {
    try (Connection c = connect(""); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE md_items (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(40) NOT NULL DEFAULT 'x', amount DECIMAL(10,2), KEY by_label (label))");
      DatabaseMetaData md = c.getMetaData();
      out.println("product: " + md.getDatabaseProductName() + " driver: " + md.getDriverName());
      try (ResultSet rs = md.getTables(database, null, "md_%", new String[] {"TABLE"})) {
        while (rs.next()) out.println("table: " + rs.getString("TABLE_NAME") + " " + rs.getString("TABLE_TYPE"));
      }
      try (ResultSet rs = md.getColumns(database, null, "md_items", "%")) {
        while (rs.next()) out.println("column: " + rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " size=" + rs.getInt("COLUMN_SIZE") + " nullable=" + rs.getInt("NULLABLE") + " default=" + rs.getString("COLUMN_DEF") + " auto=" + rs.getString("IS_AUTOINCREMENT"));
      }
      try (ResultSet rs = md.getPrimaryKeys(database, null, "md_items")) {
        while (rs.next()) out.println("primary key: " + rs.getString("COLUMN_NAME"));
      }
      try (ResultSet rs = md.getIndexInfo(database, null, "md_items", false, false)) {
        while (rs.next()) out.println("index: " + rs.getString("INDEX_NAME") + " " + rs.getString("COLUMN_NAME"));
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO md_items (label, amount) VALUES (?, ?)", Statement.RETURN_GENERATED_KEYS)) {
        for (int i = 0; i < 3; i++) {
          ps.setString(1, "l" + i);
          ps.setBigDecimal(2, new BigDecimal("1.25"));
          ps.executeUpdate();
          try (ResultSet keys = ps.getGeneratedKeys()) {
            while (keys.next()) out.println("generated key: " + keys.getLong(1));
          }
        }
      }
    }
  }

  static void loadDataLocal(PrintStream out) throws Exception {
    try (Connection c = connect("allowLocalInfile=true"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE l_items (id INT PRIMARY KEY, label VARCHAR(40), amount DECIMAL(10,2))");
      int loaded = st.executeUpdate("LOAD DATA LOCAL INFILE '" + dataDir + "/items.tsv' INTO TABLE l_items CHARACTER SET utf8mb4 (id, label, amount)");
      out.println("loaded: " + loaded);
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*), SUM(amount), MAX(label) FROM l_items")) {
        printRows(out, rs);
      }
    }
  }

  static void session(PrintStream out) throws Exception {
    try (Connection c = connect(""); Statement st = c.createStatement()) {
      out.println("valid: " + c.isValid(5));
      c.setCatalog("information_schema");
      out.println("catalog: " + c.getCatalog());
      try (ResultSet rs = st.executeQuery("SELECT DATABASE() AS db")) {
        printRows(out, rs);
      }
      c.setCatalog(database);
      c.setReadOnly(true);
      try (ResultSet rs = st.executeQuery("SELECT DATABASE() = '" + database + "' AS back, @@session.time_zone AS tz, @@character_set_client AS cs")) {
        printRows(out, rs);
      }
      c.setReadOnly(false);
      st.execute("SET @kept = 'kept ☃'");
      out.println("valid again: " + c.isValid(5));
      try (ResultSet rs = st.executeQuery("SELECT @kept AS kept")) {
        printRows(out, rs);
      }
    }
  }
}
