"""A producer in Python (pymongo), as docs/task-format.md shows one: inserts tasks of the
shipped types noop, flaky and sleep for a running taskhost, waits until they are finished,
reads their results and errors back, prints them and checks them.

    producer.py MONGODB_URI DATABASE

Exit status 0 when every check passed, 1 (with the reason) otherwise. Run by
tests/integration/test_interop.c with the client that tests/interop/prepare installed.
"""
import sys
import time
from datetime import datetime, timedelta, timezone

from bson import ObjectId
from pymongo import MongoClient

FINAL = ("done", "dead", "cancelled")
checks = 0


def check(condition, what, doc=None):
    global checks
    if not condition:
        print("producer.py: FAILED:", what, "--", doc if doc is not None else "")
        sys.exit(1)
    checks += 1


def wait_finished(tasks, ids, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if tasks.count_documents({"_id": {"$in": ids}, "state": {"$in": list(FINAL)}}) == len(ids):
            return
        time.sleep(0.2)
    for t in tasks.find({"_id": {"$in": ids}}):
        print("producer.py: unfinished:", t)
    check(False, "tasks finished within %d s" % seconds)


def main():
    uri, database = sys.argv[1], sys.argv[2]
    client = MongoClient(uri, serverSelectionTimeoutMS=10000)
    tasks = client[database].tasks

    # --- what a producer writes (docs/task-format.md) ---
    noop_id = tasks.insert_one({"type": "noop", "payload": {"from": "python"}}).inserted_id
    check(isinstance(noop_id, ObjectId), "insert_one returns the ObjectId it generated")
    flaky_id = tasks.insert_one(
        {"type": "flaky", "payload": {"fail_times": 1}, "max_retries": 3}
    ).inserted_id
    dead_id = tasks.insert_one(
        {"type": "flaky", "payload": {"fail_rate": 1.0, "permanent": True}}
    ).inserted_id
    run_at = datetime.now(timezone.utc) + timedelta(milliseconds=500)
    sleep_id = tasks.insert_one(
        {"type": "sleep", "payload": {"ms": 200}, "priority": 5, "run_at": run_at}
    ).inserted_id
    own_id = tasks.insert_one({"_id": "py-order-17", "type": "noop", "payload": {}}).inserted_id
    check(own_id == "py-order-17", "a producer's own _id is kept")
    ids = [noop_id, flaky_id, dead_id, sleep_id, own_id]
    wait_finished(tasks, ids)

    # --- reading results (docs/task-format.md) ---
    for task_id in ids:
        t = tasks.find_one({"_id": task_id})
        if t["state"] == "done":
            print(task_id, "done:", t["result"])
        elif t["state"] == "dead":
            for e in t["errors"]:
                print(task_id, "dead:", e["attempt"], e["kind"], e["message"])

    t = tasks.find_one({"_id": noop_id})
    check(t["state"] == "done" and t["result"] == {"ok": True}, "noop is done with {ok: true}", t)
    check(t["attempts"] == 1 and not t.get("errors"), "noop ran once", t)
    # dates come back as datetime, naive and in UTC unless MongoClient(tz_aware=True)
    check(isinstance(t["finished_at"], datetime) and t["finished_at"].tzinfo is None,
          "finished_at is a naive UTC datetime", t)
    check(t["created_at"] <= t["claimed_at"] <= t["finished_at"], "created <= claimed <= finished", t)
    check(isinstance(t["last_host"], str) and t["last_host"], "last_host names the host", t)

    t = tasks.find_one({"_id": flaky_id})
    check(t["state"] == "done" and t["result"] == {"attempt": 2}, "flaky is done on attempt 2", t)
    check(len(t["errors"]) == 1 and t["errors"][0]["kind"] == "failed"
          and t["errors"][0]["attempt"] == 1 and isinstance(t["errors"][0]["at"], datetime),
          "flaky's first attempt is recorded as a failure", t)

    t = tasks.find_one({"_id": dead_id})
    check(t["state"] == "dead" and t["attempts"] == 1, "a permanent failure is dead at once", t)
    check(t["errors"][0]["kind"] == "permanent" and "permanent failure" in t["errors"][0]["message"],
          "its error says why", t)
    check(t.get("result") is None, "a dead task has no result", t)

    t = tasks.find_one({"_id": sleep_id})
    check(t["state"] == "done" and t["result"] == {"slept_ms": 200}, "sleep is done", t)
    check(t["priority"] == 5, "the producer's priority is kept", t)
    # The host claims a task that has no state yet without looking at its run_at (the "new"
    # branch of the claim filter), so a delayed task inserted as above may run at once.
    check(t["claimed_at"] >= t["run_at"] - timedelta(milliseconds=50),
                "a delayed task is not claimed before its run_at", t)
    check(abs(t["run_at"].replace(tzinfo=timezone.utc) - run_at) < timedelta(milliseconds=1),
          "run_at is kept (to the millisecond)", t)

    t = tasks.find_one({"_id": "py-order-17"})
    check(t["state"] == "done", "the task with its own _id is done", t)

    print("producer.py: all %d checks passed" % checks)


if __name__ == "__main__":
    main()
