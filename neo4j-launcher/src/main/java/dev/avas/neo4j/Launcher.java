package dev.avas.neo4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * A Neo4j Community server for AVAS's tests and local use: the embedded database with its Bolt
 * connector on 127.0.0.1 only, authentication on. scripts/neo4j-server runs it:
 *
 * <pre>java -cp 'target/*:target/lib/*' dev.avas.neo4j.Launcher DATA_DIR PORT USER PAGECACHE_MB</pre>
 *
 * The password comes from the AVAS_NEO4J_LAUNCHER_PASSWORD environment variable, not the command
 * line, so that it does not show in the process list. Prints one "ready" line once the user can
 * log in over Bolt; SIGTERM shuts the database down cleanly.
 */
public final class Launcher {
  private static final String LOOPBACK = "127.0.0.1";

  private Launcher() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: Launcher DATA_DIR PORT USER PAGECACHE_MB");
      System.exit(2);
    }
    Path data = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    String user = args[2];
    long pagecacheMb = Long.parseLong(args[3]);
    String password = System.getenv("AVAS_NEO4J_LAUNCHER_PASSWORD");
    if (password == null || password.length() < 8) {
      // Neo4j's own minimum (dbms.security.auth_minimum_password_length).
      System.err.println("AVAS_NEO4J_LAUNCHER_PASSWORD must hold at least 8 characters");
      System.exit(2);
    }
    Files.createDirectories(data);

    DatabaseManagementService dbms =
        new DatabaseManagementServiceBuilder(data)
            // Nothing listens beyond loopback: the default address covers any connector that
            // a later dependency might switch on, the Bolt address is explicit.
            .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress(LOOPBACK))
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress(LOOPBACK, port))
            .setConfig(BoltConnector.advertised_address, new SocketAddress(LOOPBACK, port))
            .setConfig(GraphDatabaseSettings.auth_enabled, true)
            .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pagecacheMb))
            // Tests write and wipe a lot: keep one rotated transaction log, not days of them.
            .setConfig(GraphDatabaseSettings.keep_logical_logs, "1 files")
            .build();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  dbms.shutdown();
                  stopped.countDown();
                },
                "avas-neo4j-shutdown"));

    setPassword(dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME), user, password);
    System.out.println("avas-neo4j: ready bolt://" + LOOPBACK + ":" + port);
    System.out.flush();
    stopped.await();
  }

  /** The Bolt login becomes USER / password, whatever it was before (no change required). */
  private static void setPassword(GraphDatabaseService system, String user, String password) {
    Map<String, Object> params = Map.of("user", user, "password", password);
    system.executeTransactionally(
        "CREATE USER $user IF NOT EXISTS SET PASSWORD $password CHANGE NOT REQUIRED", params);
    try {
      system.executeTransactionally(
          "ALTER USER $user SET PASSWORD $password CHANGE NOT REQUIRED", params);
    } catch (RuntimeException e) {
      // Setting the password it already has is refused; that is the state we want anyway.
      if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
        throw e;
      }
    }
  }
}
