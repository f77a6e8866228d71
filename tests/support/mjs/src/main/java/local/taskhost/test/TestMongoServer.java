package local.taskhost.test;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The MongoDB wire-protocol server of the integration tests.
 *
 * <p>Usage: {@code TestMongoServer (--data FILE | --memory) [--oplog] [--host H] [--port P]
 * [--pid-file F] [--watch-pid PID] [--commit-ms N]}
 *
 * <ul>
 *   <li>{@code --data FILE}: the H2 store that holds every database; it survives restarts.
 *   <li>{@code --memory}: keep the data in memory only (lost on exit).
 *   <li>{@code --oplog}: keep an oplog (collection local.oplog.rs, never trimmed), so that
 *       change streams ({@code $changeStream}) work. Every write also writes to it.
 *   <li>{@code --host}/{@code --port}: where to listen; default 127.0.0.1, port 0 = any free.
 *   <li>{@code --pid-file F}: written (atomically) once the server accepts connections.
 *   <li>{@code --watch-pid PID}: shut down when that process is gone (the test that started
 *       us), so a crashed test leaves no server behind.
 *   <li>{@code --commit-ms N}: how often the H2 store is committed to disk (default 50), i.e.
 *       the most a SIGKILL can lose, like a journal commit interval.
 * </ul>
 *
 * <p>Every request is counted (see {@link CountingBackend}): {@code serverStatus} reports the
 * counts in {@code opcounters} like mongod, and per command name in {@code opcountersByCommand}.
 *
 * <p>Prints {@code listening on HOST:PORT} on stdout when ready. SIGTERM/SIGINT shut it down
 * cleanly: clients are closed and the store is committed and closed. Exit codes: 0 after a
 * clean shutdown, 1 if it could not start, 2 on bad arguments.
 */
public final class TestMongoServer {
    private String host = "127.0.0.1";
    private int port = 0;
    private String dataFile;
    private boolean memory;
    private boolean oplog;
    private Path pidFile;
    private long watchPid = -1;
    private long commitMs = 50;

    private MongoServer server;
    private MongoBackend store; /* the Memory or H2 backend */
    private MongoBackend backend; /* store behind the request counters; what the server uses */
    private ScheduledExecutorService committer;

    public static void main(String[] args) {
        TestMongoServer s = new TestMongoServer();
        try {
            s.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("TestMongoServer: " + e.getMessage());
            System.err.println("usage: TestMongoServer (--data FILE | --memory) [--oplog]"
                    + " [--host H] [--port P] [--pid-file F] [--watch-pid PID] [--commit-ms N]");
            System.exit(2);
        }
        try {
            s.start();
        } catch (Exception e) {
            System.err.println("TestMongoServer: cannot start on " + s.host + ":" + s.port
                    + " with " + (s.memory ? "memory" : "data file " + s.dataFile) + ": " + e);
            s.stop();
            System.exit(1);
        }
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--memory")) {
                memory = true;
                continue;
            }
            if (a.equals("--oplog")) {
                oplog = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--data" -> dataFile = v;
                case "--host" -> host = v;
                case "--port" -> port = parseNumber(a, v, 0, 65535);
                case "--pid-file" -> pidFile = Path.of(v);
                case "--watch-pid" -> watchPid = parseNumber(a, v, 1, Integer.MAX_VALUE);
                case "--commit-ms" -> commitMs = parseNumber(a, v, 1, 60000);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (memory == (dataFile != null)) {
            throw new IllegalArgumentException("give exactly one of --data FILE and --memory");
        }
    }

    private static int parseNumber(String option, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " expects a number from " + min + " to "
                + max + ", not '" + value + "'");
    }

    private void start() throws IOException {
        openBackend();
        server = new MongoServer(backend);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "shutdown"));
        server.bind(host, port);
        startCommitter();
        watchParent();
        InetSocketAddress addr = server.getLocalAddress();
        if (pidFile != null) {
            writePidFile();
        }
        PrintStream out = System.out;
        out.println("listening on " + host + ":" + addr.getPort());
        out.flush();
    }

    /* Opens the store, with an oplog if asked, and wraps it in the request counters. */
    private void openBackend() {
        store = memory ? new MemoryBackend() : new H2Backend(dataFile);
        store.version(ServerVersion.MONGO_4_0);
        if (oplog) {
            store.enableOplog();
        }
        backend = new CountingBackend(store);
    }

    /* Commits the H2 store often so that a SIGKILL loses at most commitMs of writes. */
    private void startCommitter() {
        if (!(store instanceof H2Backend h2)) {
            return;
        }
        committer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "committer");
            t.setDaemon(true);
            return t;
        });
        committer.scheduleWithFixedDelay(() -> {
            try {
                h2.commit();
            } catch (RuntimeException e) {
                System.err.println("TestMongoServer: commit failed: " + e);
            }
        }, commitMs, commitMs, TimeUnit.MILLISECONDS);
    }

    private void watchParent() {
        if (watchPid < 0) {
            return;
        }
        var parent = ProcessHandle.of(watchPid);
        if (parent.isEmpty()) {
            throw new IllegalStateException("--watch-pid " + watchPid + ": no such process");
        }
        parent.get().onExit().thenRun(() -> {
            System.err.println("TestMongoServer: process " + watchPid + " is gone, shutting down");
            System.exit(0);
        });
    }

    private void writePidFile() throws IOException {
        Path tmp = pidFile.resolveSibling(pidFile.getFileName() + ".tmp");
        String pid = ProcessHandle.current().pid() + "\n";
        Files.writeString(tmp, pid, StandardCharsets.US_ASCII);
        Files.move(tmp, pidFile, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /* Runs at most once at a time (shutdown hook or failed start). */
    private synchronized void stop() {
        if (committer != null) {
            committer.shutdownNow();
            try {
                committer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            committer = null;
        }
        if (server != null) {
            try {
                server.shutdownNow(); /* closes the clients, then the backend (commits the store) */
                backend = null;
                store = null;
            } catch (RuntimeException e) {
                System.err.println("TestMongoServer: shutdown: " + e);
            }
            server = null;
        }
        if (backend != null) {
            backend.close(); /* closes the store */
        } else if (store != null) {
            store.close();
        }
        backend = null;
        store = null;
    }
}
