// One Agenda worker process of taskhost's benchmark (tests/bench/bench.py starts H of them).
//
//   node agenda_worker.mjs work  URI DB CONCURRENCY JOB [--change-streams]
//                                                         process JOB until SIGTERM/SIGINT
//   node agenda_worker.mjs shape URI DB JOB               save one job with Agenda's own API
//                                                         (at a far future time) and print
//                                                         the stored document as JSON
//
// JOB is "bench.noop" (returns at once) or "bench.1ms" (awaits a 1 ms timer). Jobs live in
// the collection agendaJobs of DB (Agenda's default).
//
// Agenda is configured at its best for this workload, and as the taskhost hosts are:
//   maxConcurrency = defaultConcurrency = CONCURRENCY  (jobs running at once, in all and per
//                                                       job name; one job name here)
//   lockLimit = defaultLockLimit = 0                   (no limit on jobs locked ahead)
//   processEvery = 100 ms                              (the hosts' poll_interval_ms)
//   ensureIndex: true (Agenda's default; the test server does not use indexes anyway)
//   removeOnComplete: false (the default: the finished job keeps lastFinishedAt, which the
//                            benchmark reads; removing it would cost one more delete)
//   logging: off (the default)
//   notificationChannel: none (the Mongo backend's default: it polls), or with
//            --change-streams the backend's MongoChangeStreamNotificationChannel, which
//            follows a change stream of the jobs collection (needs a server with change
//            streams) and scans at once for any inserted or updated job that is due
// On "work" it prints "ready PID" once Agenda has started and its first scan has run.
import { Agenda } from "agenda";
import { MongoBackend, MongoChangeStreamNotificationChannel } from "@agendajs/mongo-backend";
import { MongoClient } from "mongodb";

const PROCESS_EVERY_MS = 100;

function die(msg) {
    process.stderr.write(`agenda_worker: ${msg}\n`);
    process.exit(2);
}

function handler(job) {
    if (job === "bench.noop") return async () => {};
    if (job === "bench.1ms") return () => new Promise((resolve) => setTimeout(resolve, 1));
    die(`unknown job name '${job}' (expected bench.noop or bench.1ms)`);
    return null;
}

async function connect(uri, dbName) {
    // maxPoolSize: room for every job running at once, plus the scan, as mongoc's pool has
    const client = new MongoClient(uri, { maxPoolSize: 100, serverSelectionTimeoutMS: 10000 });
    await client.connect();
    return client;
}

function makeAgenda(db, concurrency, changeStreams) {
    return new Agenda({
        name: `bench-${process.pid}`,
        backend: new MongoBackend({ mongo: db }),
        processEvery: PROCESS_EVERY_MS,
        maxConcurrency: concurrency,
        defaultConcurrency: concurrency,
        lockLimit: 0,
        defaultLockLimit: 0,
        ...(changeStreams
            ? { notificationChannel: new MongoChangeStreamNotificationChannel({ db }) }
            : {}),
    });
}

async function work(uri, dbName, concurrencyArg, job, flag) {
    const concurrency = Number.parseInt(concurrencyArg, 10);
    if (!(concurrency >= 1)) {
        die(`CONCURRENCY must be a whole number >= 1, not '${concurrencyArg}'`);
    }
    if (flag !== undefined && flag !== "--change-streams") die(`unknown option '${flag}'`);
    const client = await connect(uri, dbName);
    const agenda = makeAgenda(client.db(dbName), concurrency, flag === "--change-streams");
    agenda.on("error", (err) => process.stderr.write(`agenda_worker: agenda error: ${err}\n`));
    agenda.define(job, handler(job), { concurrency });
    await agenda.ready;
    await agenda.start();
    // the first scan runs at start; wait one interval so that it has finished
    await new Promise((resolve) => setTimeout(resolve, 2 * PROCESS_EVERY_MS));
    process.stdout.write(`ready ${process.pid}\n`);
    let stopping = false;
    const stop = async () => {
        if (stopping) return;
        stopping = true;
        try {
            await agenda.stop();
            await client.close();
        } finally {
            process.exit(0);
        }
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

async function shape(uri, dbName, job) {
    const client = await connect(uri, dbName);
    const agenda = makeAgenda(client.db(dbName), 1, false);
    agenda.define(job, handler(job));
    await agenda.ready;
    const j = agenda.create(job, { enq_ms: 0 });
    j.schedule(new Date(Date.now() + 3600 * 1000));
    await j.save();
    const doc = await client.db(dbName).collection("agendaJobs").findOne({}, { sort: { _id: -1 } });
    process.stdout.write(JSON.stringify(doc) + "\n");
    await agenda.stop();
    await client.close();
}

const [mode, ...args] = process.argv.slice(2);
const run =
    mode === "work" && (args.length === 4 || args.length === 5)
        ? work(...args)
        : mode === "shape" && args.length === 3
          ? shape(...args)
          : die("usage: agenda_worker.mjs work URI DB CONCURRENCY JOB [--change-streams]" +
                " | shape URI DB JOB");
Promise.resolve(run).catch((err) => die(`${err && err.stack ? err.stack : err}`));
