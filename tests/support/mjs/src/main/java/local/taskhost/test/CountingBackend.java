package local.taskhost.test;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.channel.Channel;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A backend that counts the requests the server receives, then hands them to the real one.
 *
 * <p>MongoServer calls its backend once per request, at one of these entry points, and each is
 * counted once here:
 *
 * <ul>
 *   <li>{@link #handleMessage}: an OP_MSG; the command is the first key of its document.
 *   <li>{@link #handleCommand}: a legacy OP_QUERY on {@code DB.$cmd} (the drivers' handshake).
 *   <li>{@link #handleQuery}: a legacy OP_QUERY on a collection, counted as {@code query}.
 *   <li>{@link #getCurrentOperations}: a legacy OP_QUERY on {@code $cmd.sys.inprog}, counted
 *       as the command {@code currentOp}.
 *   <li>{@link #getServerStatus}: MongoServer answers a legacy OP_QUERY {@code serverStatus}
 *       with it directly, so it counts the command {@code serverStatus} itself.
 * </ul>
 *
 * <p>The wrapped backend never calls back into this wrapper (its handleMessage calls its own
 * handleCommand, and its own getServerStatus for a {@code serverStatus} command), so nothing
 * is counted twice. For the same reason a {@code serverStatus} command is answered here: the
 * wrapped backend would answer it without the counters. A legacy OP_QUERY {@code ping} is
 * answered by MongoServer without asking the backend and is not counted.
 *
 * <p>{@code serverStatus} shows the counts like mongod does, in {@code opcounters: {insert,
 * query, update, delete, getmore, command}} (find is {@code query}, getMore is {@code getmore},
 * every other command, findAndModify, aggregate and count included, is {@code command}), plus
 * the non-standard {@code opcountersByCommand: {NAME: count}} with every command name seen, as
 * the client spelled it. Counters are LongAdders: Netty serves clients on several threads.
 */
final class CountingBackend implements MongoBackend {
    /* The opcounters of serverStatus, in mongod's order. */
    private static final List<String> OPCOUNTERS =
            List.of("insert", "query", "update", "delete", "getmore", "command");

    /*
     * Commands with their own opcounter. Unlike mongod, an insert, update or delete command
     * counts 1 per command message here, however many documents or statements it carries;
     * mongod adds 1 per document inserted and 1 per update or delete statement.
     */
    private static final Map<String, String> OPCOUNTER_OF_COMMAND = Map.of("insert", "insert",
            "find", "query", "update", "update", "delete", "delete", "getMore", "getmore");

    private final MongoBackend backend;
    private final Map<String, LongAdder> opcounters = new HashMap<>();
    private final Map<String, LongAdder> byCommand = new ConcurrentHashMap<>();

    /**
     * Counts the requests for {@code backend}; closing this wrapper closes it. The opcounters
     * map is filled here and only read afterwards, so a HashMap is safe to share.
     */
    CountingBackend(MongoBackend backend) {
        this.backend = backend;
        for (String name : OPCOUNTERS) {
            opcounters.put(name, new LongAdder());
        }
    }

    /* Counts one command request, by name and in its opcounter. */
    private void countCommand(String name) {
        byCommand.computeIfAbsent(name, k -> new LongAdder()).increment();
        opcounters.get(OPCOUNTER_OF_COMMAND.getOrDefault(name, "command")).increment();
    }

    /* The first key of a command document: its name ("" for an empty document). */
    private static String commandName(Document command) {
        var keys = command.keySet().iterator();
        return keys.hasNext() ? keys.next() : "";
    }

    private static boolean isServerStatus(String command) {
        return command.equalsIgnoreCase("serverStatus");
    }

    /* The wrapped backend's server status with the counters added, "ok" kept last. */
    private Document statusWithCounters() {
        Document status = backend.getServerStatus();
        Object ok = status.remove("ok");
        status.put("opcounters", opcountersDocument());
        status.put("opcountersByCommand", byCommandDocument());
        if (ok != null) {
            status.put("ok", ok);
        }
        return status;
    }

    /* {insert, query, update, delete, getmore, command} as int64s, like mongod's. */
    private Document opcountersDocument() {
        Document doc = new Document();
        for (String name : OPCOUNTERS) {
            doc.put(name, opcounters.get(name).sum());
        }
        return doc;
    }

    /* {NAME: count} for every command seen, sorted by name. */
    private Document byCommandDocument() {
        Document doc = new Document();
        new TreeMap<>(byCommand).forEach((name, count) -> doc.put(name, count.sum()));
        return doc;
    }

    /** An OP_MSG: counted by its command name; {@code serverStatus} is answered here. */
    @Override
    public Document handleMessage(MongoMessage message) {
        String name = commandName(message.getDocument());
        countCommand(name);
        return isServerStatus(name) ? statusWithCounters() : backend.handleMessage(message);
    }

    /** A legacy OP_QUERY on {@code $cmd}: counted; {@code serverStatus} is answered here. */
    @Override
    public Document handleCommand(Channel channel, String databaseName, String command,
            Document query) {
        countCommand(command);
        return isServerStatus(command) ? statusWithCounters()
                : backend.handleCommand(channel, databaseName, command, query);
    }

    /** A legacy OP_QUERY on a collection: counted as {@code query}. */
    @Override
    public QueryResult handleQuery(MongoQuery query) {
        opcounters.get("query").increment();
        return backend.handleQuery(query);
    }

    /** A legacy OP_QUERY on {@code $cmd.sys.inprog}: counted as the command currentOp. */
    @Override
    public Collection<Document> getCurrentOperations(MongoQuery query) {
        countCommand("currentOp");
        return backend.getCurrentOperations(query);
    }

    /** Called by MongoServer only for a legacy OP_QUERY {@code serverStatus}: counted. */
    @Override
    public Document getServerStatus() {
        countCommand("serverStatus");
        return statusWithCounters();
    }

    @Override
    public void handleClose(Channel channel) {
        backend.handleClose(channel);
    }

    @Override
    public void dropDatabase(String database) {
        backend.dropDatabase(database);
    }

    @Override
    public void close() {
        backend.close();
    }

    @Override
    public void closeCursors(List<Long> cursorIds) {
        backend.closeCursors(cursorIds);
    }

    @Override
    public Clock getClock() {
        return backend.getClock();
    }

    @Override
    public void enableOplog() {
        backend.enableOplog();
    }

    @Override
    public void disableOplog() {
        backend.disableOplog();
    }

    @Override
    public MongoDatabase resolveDatabase(String database) {
        return backend.resolveDatabase(database);
    }

    /** Sets the wrapped backend's version; returns this wrapper, for chaining. */
    @Override
    public MongoBackend version(MongoVersion version) {
        backend.version(version);
        return this;
    }
}
