// One mongodb-queue worker process of taskhost's benchmark (tests/bench/bench.py starts H).
//
//   node mq_worker.mjs URI DB CONCURRENCY KIND      KIND: noop or 1ms
//
// mongodb-queue 4.0.0 is a minimal ack-based queue: get() is one findOneAndUpdate that sets
// an ack id and pushes `visible` 30 s ahead (the lease), ack() is one findOneAndUpdate that
// sets `deleted`. It has no worker loop of its own, so this script runs CONCURRENCY loops
// (one message at a time each): get; noop, or await a 1 ms timer; ack; and, when get finds
// nothing, wait 100 ms (the hosts' poll_interval_ms) before the next get. Messages live in
// the collection "queue" of DB. It uses the 3.x driver that mongodb-queue was written for
// (its callback API is gone from later drivers), installed as "mongodb3".
//
// Prints "ready PID" once every loop has made its first get; runs until SIGTERM or SIGINT.
import { promisify } from "node:util";
import mongodb3 from "mongodb3";
import mongoDbQueue from "mongodb-queue";

const POLL_MS = 100;
const VISIBILITY_S = 30;

function die(msg) {
    process.stderr.write(`mq_worker: ${msg}\n`);
    process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(uri, dbName, concurrencyArg, kind) {
    const concurrency = Number.parseInt(concurrencyArg, 10);
    if (!(concurrency >= 1)) {
        die(`CONCURRENCY must be a whole number >= 1, not '${concurrencyArg}'`);
    }
    if (kind !== "noop" && kind !== "1ms") die(`KIND must be noop or 1ms, not '${kind}'`);
    const client = await mongodb3.MongoClient.connect(uri, {
        useUnifiedTopology: true,
        poolSize: Math.min(concurrency + 1, 100),
        serverSelectionTimeoutMS: 10000,
    });
    const queue = mongoDbQueue(client.db(dbName), "queue", { visibility: VISIBILITY_S });
    const get = promisify(queue.get.bind(queue));
    const ack = promisify(queue.ack.bind(queue));
    let stopping = false;
    let started = 0;
    const loop = async () => {
        let first = true;
        while (!stopping) {
            let msg;
            try {
                msg = await get();
            } catch (err) {
                process.stderr.write(`mq_worker: get failed: ${err}\n`);
            }
            if (first) {
                first = false;
                if (++started === concurrency) process.stdout.write(`ready ${process.pid}\n`);
            }
            if (!msg) {
                await sleep(POLL_MS);
                continue;
            }
            if (kind === "1ms") await sleep(1);
            try {
                await ack(msg.ack);
            } catch (err) {
                process.stderr.write(`mq_worker: ack failed: ${err}\n`);
            }
        }
    };
    const loops = Array.from({ length: concurrency }, loop);
    const stop = async () => {
        if (stopping) return;
        stopping = true;
        await Promise.allSettled(loops);
        await client.close();
        process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

const args = process.argv.slice(2);
if (args.length !== 4) die("usage: mq_worker.mjs URI DB CONCURRENCY KIND");
main(...args).catch((err) => die(`${err && err.stack ? err.stack : err}`));
