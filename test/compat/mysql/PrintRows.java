// Prints the rows of one query as Connector/J returns them, through the text protocol and through a server-side
// prepared statement (binary rows): `text<TAB>v1<TAB>v2…` and `binary<TAB>…`, NULL as \N. With `--statement`, runs
// the statement as a plain statement and as a server-side prepared one, printing each outcome, and then `SELECT 42`.
// Used by the plugin tests.
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

public class PrintRows {
  public static void main(String[] args) throws Exception {
    String url = "jdbc:mariadb://" + System.getenv("ROWS_HOST") + ":" + System.getenv("ROWS_PORT") + "/" + System.getenv("ROWS_DATABASE")
        + "?useServerPrepStmts=true&allowPublicKeyRetrieval=true";
    String sql = args[args.length - 1];
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    try (Connection c = DriverManager.getConnection(url, System.getenv("ROWS_USER"), System.getenv().getOrDefault("ROWS_PASSWORD", ""))) {
      if (args[0].equals("--statement")) {
        try (Statement st = c.createStatement()) {
          st.execute(sql);
          out.println("statement: ok");
        } catch (SQLException e) {
          out.println("statement: " + e.getClass().getSimpleName() + " " + e.getSQLState() + "/" + e.getErrorCode() + " " + e.getMessage());
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.execute();
          out.println("prepared: ok");
        } catch (SQLException e) {
          out.println("prepared: " + e.getClass().getSimpleName() + " " + e.getSQLState() + "/" + e.getErrorCode() + " " + e.getMessage());
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 42")) {
          rs.next();
          out.println("after: " + rs.getInt(1));
        }
        return;
      }
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
        print(out, "text", rs);
      }
      try (PreparedStatement ps = c.prepareStatement(sql + " AND 1 = ?")) {
        ps.setInt(1, 1);
        try (ResultSet rs = ps.executeQuery()) {
          print(out, "binary", rs);
        }
      }
    }
  }

  static void print(PrintStream out, String label, ResultSet rs) throws SQLException {
    int columns = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      StringBuilder line = new StringBuilder(label);
      for (int i = 1; i <= columns; i++) {
        String value = rs.getString(i);
        line.append('\t').append(value == null ? "\\N" : value);
      }
      out.println(line);
    }
  }
}
