// A producer in Node.js (the official driver), as docs/task-format.md shows one: inserts
// tasks of the shipped types noop, flaky and sleep for a running taskhost, waits until they
// are finished, reads their results and errors back, prints them and checks them.
//
//     node producer.mjs MONGODB_URI DATABASE
//
// Exit status 0 when every check passed, 1 (with the reason) otherwise. Run by
// tests/integration/test_interop.c with the client that tests/interop/prepare installed.
import { MongoClient, ObjectId } from "mongodb";

const FINAL = ["done", "dead", "cancelled"];
let checks = 0;

function check(condition, what, doc) {
    if (!condition) {
        console.log("producer.mjs: FAILED:", what, "--", doc === undefined ? "" : JSON.stringify(doc));
        process.exit(1);
    }
    checks++;
}

async function waitFinished(tasks, ids, seconds = 60) {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
        const n = await tasks.countDocuments({ _id: { $in: ids }, state: { $in: FINAL } });
        if (n === ids.length) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const t of await tasks.find({ _id: { $in: ids } }).toArray()) console.log("unfinished:", t);
    check(false, `tasks finished within ${seconds} s`);
}

async function main() {
    const [uri, database] = process.argv.slice(2);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
    try {
        const tasks = client.db(database).collection("tasks");

        // --- what a producer writes (docs/task-format.md) ---
        const { insertedId: noopId } = await tasks.insertOne({ type: "noop", payload: { from: "node" } });
        check(noopId instanceof ObjectId, "insertOne returns the ObjectId it generated");
        const { insertedId: flakyId } = await tasks.insertOne({
            type: "flaky",
            payload: { fail_times: 1 },
            max_retries: 3, // a JavaScript number that is a whole number is stored as an int32
        });
        const { insertedId: deadId } = await tasks.insertOne({
            type: "flaky",
            payload: { fail_rate: 1, permanent: true },
        });
        const runAt = new Date(Date.now() + 500);
        const { insertedId: sleepId } = await tasks.insertOne({
            type: "sleep",
            payload: { ms: 200 },
            priority: 5,
            run_at: runAt,
        });
        const { insertedId: ownId } = await tasks.insertOne({ _id: "js-order-17", type: "noop", payload: {} });
        check(ownId === "js-order-17", "a producer's own _id is kept");
        const ids = [noopId, flakyId, deadId, sleepId, ownId];
        await waitFinished(tasks, ids);

        // --- reading results (docs/task-format.md) ---
        for (const id of ids) {
            const t = await tasks.findOne({ _id: id });
            if (t.state === "done") console.log(String(id), "done:", t.result);
            else if (t.state === "dead")
                for (const e of t.errors) console.log(String(id), "dead:", e.attempt, e.kind, e.message);
        }

        // an id printed as hex (e.g. by `taskhost enqueue`) must become an ObjectId again
        let t = await tasks.findOne({ _id: noopId.toHexString() });
        check(t === null, "a hex string does not match an ObjectId _id");
        t = await tasks.findOne({ _id: new ObjectId(noopId.toHexString()) });
        check(t.state === "done" && t.result.ok === true, "noop is done with {ok: true}", t);
        check(t.attempts === 1 && !(t.errors && t.errors.length), "noop ran once", t);
        check(t.finished_at instanceof Date, "dates come back as Date", t);
        check(t.created_at <= t.claimed_at && t.claimed_at <= t.finished_at, "created <= claimed <= finished", t);
        check(typeof t.last_host === "string" && t.last_host.length > 0, "last_host names the host", t);

        t = await tasks.findOne({ _id: flakyId });
        check(t.state === "done" && t.result.attempt === 2, "flaky is done on attempt 2", t);
        check(
            t.errors.length === 1 && t.errors[0].kind === "failed" && t.errors[0].attempt === 1 &&
                t.errors[0].at instanceof Date,
            "flaky's first attempt is recorded as a failure",
            t,
        );

        t = await tasks.findOne({ _id: deadId });
        check(t.state === "dead" && t.attempts === 1, "a permanent failure is dead at once", t);
        check(t.errors[0].kind === "permanent" && t.errors[0].message.includes("permanent failure"), "its error says why", t);
        check(t.result === undefined || t.result === null, "a dead task has no result", t);

        t = await tasks.findOne({ _id: sleepId });
        check(t.state === "done" && t.result.slept_ms === 200, "sleep is done", t);
        check(t.priority === 5, "the producer's priority is kept", t);
        // The host claims a task that has no state yet without looking at its run_at (the "new"
        // branch of the claim filter), so a delayed task inserted as above may run at once.
        check(t.claimed_at.getTime() >= t.run_at.getTime() - 50, "a delayed task is not claimed before its run_at", t);
        check(t.run_at.getTime() === runAt.getTime(), "run_at is kept", t);

        t = await tasks.findOne({ _id: "js-order-17" });
        check(t.state === "done", "the task with its own _id is done", t);

        console.log(`producer.mjs: all ${checks} checks passed`);
    } finally {
        await client.close();
    }
}

main().catch((err) => {
    console.log("producer.mjs: FAILED:", err);
    process.exit(1);
});
