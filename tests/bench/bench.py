"""The orchestrator of taskhost's benchmark (run it through tests/bench/run).

Runs taskhost, the limit (tests/bench/limit.c), Agenda and mongodb-queue side by side against
one MongoDB server, each on a fresh database, and measures per run:

  drain    N tasks inserted up front with a run time far in the future, the workers started
           and idle, then released at once by one updateMany (run time = now). Throughput =
           N / (last finish - release), from the task documents; server operations per task
           from serverStatus.opcounters (less the orchestrator's own calls); CPU seconds per
           1000 tasks of the worker processes (and of the server) from /proc/PID/stat.
  latency  tasks inserted one by one at a steady rate into idle workers, each carrying its
           enqueue time; enqueue-to-start p50/p99 from the documents.

Prints one Markdown table per workload, writes every raw figure as JSON (--out) and, with
--write-doc FILE, replaces the results section of FILE (between the marker comments).
Needs only the standard library and pymongo.
"""

import argparse
import datetime
import json
import math
import os
import platform
import queue
import signal
import subprocess
import sys
import threading
import time

try:
    import pymongo
except ImportError:  # pragma: no cover - the run script uses the venv that has it
    sys.exit("bench.py: pymongo is missing: run it through tests/bench/run (which uses the "
             "interop venv made by tests/interop/prepare)")

ME = "bench"
POLL_MS = 100  # every system's idle poll: taskhost poll_interval_ms, Agenda processEvery
FAR_FUTURE_S = 24 * 3600
SETTLE_S = 1.0  # after the workers say they are ready: let their first idle polls pass
COUNT_EVERY_S = 0.2  # completion is polled at most 5 times per second
STALL_S = 90.0  # a run whose completed count does not move for this long has failed
RUN_CAP_S = 600.0  # and so has one that takes longer than this
STOP_WAIT_S = 15.0
RESULTS_BEGIN = "<!-- bench:results:begin -->"
RESULTS_END = "<!-- bench:results:end -->"
LIMIT_MAX_THREADS = 64

SYSTEM_ORDER = ["taskhost", "agenda", "agenda-cs", "mq", "limit"]
SYSTEM_TITLES = {
    "taskhost": "taskhost",
    "agenda": "Agenda",
    "agenda-cs": "Agenda + change streams",
    "mq": "mongodb-queue",
    "limit": "limit",
}
PEERS = ["taskhost", "agenda", "agenda-cs", "mq"]  # the systems run at H hosts x C


class BenchError(Exception):
    """A failure the user can act on; the message says what failed and what to do."""


def log(msg):
    stamp = time.strftime("%H:%M:%S")
    print(f"{ME} {stamp}: {msg}", file=sys.stderr, flush=True)


def now_ms():
    return int(time.time() * 1000)


def to_dt(ms):
    return datetime.datetime.fromtimestamp(ms / 1000.0, tz=datetime.timezone.utc)


def dt_ms(value):
    """Milliseconds since the epoch of a BSON date (naive UTC from pymongo) or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return int(round(value.timestamp() * 1000))


def iso_ms(ms):
    """The ISO string mongodb-queue stores (Date.prototype.toISOString)."""
    d = to_dt(ms)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def iso_parse_ms(text):
    if not isinstance(text, str):
        return None
    d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return dt_ms(d.replace(tzinfo=datetime.timezone.utc))


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


# --- processes ---------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after "pid (comm)": state is field 3, utime 14, stime 15 (1-based in proc(5))
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Proc:
    """A worker process: its log file, and its stdout lines when it reports on stdout."""

    def __init__(self, name, argv, log_path, env=None, stdout_lines=False):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.log_file = open(log_path, "ab")
        self.lines = queue.Queue()
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_lines else self.log_file,
            stderr=self.log_file,
            env=env,
            start_new_session=True,  # a Ctrl-C reaches the orchestrator, which stops us
        )
        PIDS.add(self.popen.pid)
        if stdout_lines:
            threading.Thread(target=self._read, daemon=True).start()

    @property
    def pid(self):
        return self.popen.pid

    def _read(self):
        for raw in self.popen.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.put(line)
        self.lines.put(None)

    def alive(self):
        return self.popen.poll() is None

    def tail(self, n=15):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-n:])

    def died(self):
        return BenchError(
            f"{self.name} (pid {self.pid}) exited with status {self.popen.returncode}; "
            f"the end of its log {self.log_path}:\n{self.tail()}")

    def next_line(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.alive():
            try:
                self.popen.send_signal(sig)
            except ProcessLookupError:
                pass

    def reap(self, timeout):
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"{self.name} (pid {self.pid}) ignored SIGTERM for {timeout:.0f} s: SIGKILL")
            self.popen.kill()
            self.popen.wait()
        PIDS.discard(self.pid)
        self.log_file.close()


class PidFile:
    """The pids of the running workers, for the run script's trap if we are killed hard."""

    def __init__(self):
        self.path = None
        self.pids = set()

    def add(self, pid):
        self.pids.add(pid)
        self._write()

    def discard(self, pid):
        self.pids.discard(pid)
        self._write()

    def _write(self):
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write("".join(f"{p}\n" for p in sorted(self.pids)))
        os.replace(tmp, self.path)


PIDS = PidFile()


def stop_all(procs):
    for p in procs:
        p.stop()
    deadline = time.monotonic() + STOP_WAIT_S
    for p in procs:
        p.reap(max(0.1, deadline - time.monotonic()))


# --- the server's counters ---------------------------------------------------------------

OP_KINDS = ["insert", "query", "update", "delete", "getmore", "command"]


class Counters:
    """serverStatus opcounters (and opcountersByCommand when the server has them)."""

    def __init__(self, client):
        self.admin = client.admin
        self.available = None
        self.cost = {}  # what one of our own calls adds, by action

    def snapshot(self):
        status = self.admin.command("serverStatus")
        ops = status.get("opcounters")
        if not isinstance(ops, dict):
            return None
        flat = {f"op.{k}": int(ops.get(k, 0)) for k in OP_KINDS}
        for name, n in (status.get("opcountersByCommand") or {}).items():
            flat[f"cmd.{name}"] = int(n)
        return flat

    @staticmethod
    def diff(after, before):
        if after is None or before is None:
            return None
        keys = set(after) | set(before)
        return {k: after.get(k, 0) - before.get(k, 0) for k in keys}

    def calibrate(self, db):
        """Measures what our own serverStatus, count and updateMany calls add to the counters."""
        first = self.snapshot()
        self.available = first is not None
        if not self.available:
            log("the server has no serverStatus.opcounters: server operations per task are n/a")
            return
        coll = db["calibrate"]
        coll.insert_one({"x": 1})
        costs = {"serverStatus": [], "count": [], "release": []}
        for _ in range(3):
            a = self.snapshot()
            b = self.snapshot()
            costs["serverStatus"].append(self.diff(b, a))
            a = self.snapshot()
            coll.count_documents({"x": 1})
            b = self.snapshot()
            costs["count"].append(self.diff(b, a))
            a = self.snapshot()
            coll.update_many({}, {"$set": {"y": 1}})
            b = self.snapshot()
            costs["release"].append(self.diff(b, a))

        def least(diffs):
            keys = set().union(*diffs)
            return {k: min(d.get(k, 0) for d in diffs) for k in keys}

        ss = least(costs["serverStatus"])
        self.cost["serverStatus"] = ss
        for action in ("count", "release"):
            d = least(costs[action])
            self.cost[action] = {k: d.get(k, 0) - ss.get(k, 0) for k in set(d) | set(ss)}
        db.drop_collection("calibrate")

    def own(self, polls):
        """Our own operations in a window with one serverStatus, `polls` counts, one release."""
        total = {}
        for action, times in (("serverStatus", 1), ("count", polls), ("release", 1)):
            for k, v in self.cost.get(action, {}).items():
                total[k] = total.get(k, 0) + v * times
        return total


def ops_total(flat):
    return sum(v for k, v in flat.items() if k.startswith("op."))


# --- the systems -------------------------------------------------------------------------


class System:
    """One queue implementation: how its tasks look, how its workers start, what it records."""

    name = ""
    collection = ""

    def __init__(self, ctx):
        self.ctx = ctx

    def task_doc(self, kind, run_ms, enq_ms):
        raise NotImplementedError

    def release(self, coll, run_ms):
        raise NotImplementedError

    def done_filter(self):
        raise NotImplementedError

    def failed_filter(self):
        return None

    def start(self, dbname, hosts, concurrency, kind, logdir):
        raise NotImplementedError

    def wait_ready(self, procs, db, hosts, timeout):
        """Default: every process prints "ready PID" on stdout."""
        deadline = time.monotonic() + timeout
        for p in procs:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError(f"{p.name} (pid {p.pid}) did not say it was ready within "
                                     f"{timeout:.0f} s; the end of its log {p.log_path}:\n"
                                     f"{p.tail()}")
                line = p.next_line(min(left, 0.5))
                if line is None or not p.alive():
                    raise p.died()
                if line.startswith("ready"):
                    break

    def timings(self, coll):
        """(start_ms, finish_ms, enq_ms) of every finished task."""
        raise NotImplementedError


class Taskhost(System):
    name = "taskhost"
    collection = "tasks"
    types = {"noop": "noop", "1ms": "sleep"}

    def task_doc(self, kind, run_ms, enq_ms):
        payload = {"ms": 1} if kind == "1ms" else {}
        if enq_ms is not None:
            payload["enq_ms"] = enq_ms
        # the full form that `taskhost enqueue` writes
        return {"type": self.types[kind], "payload": payload, "state": "queued", "priority": 0,
                "attempts": 0, "run_at": to_dt(run_ms), "created_at": to_dt(now_ms())}

    def release(self, coll, run_ms):
        coll.update_many({}, {"$set": {"run_at": to_dt(run_ms)}})

    def done_filter(self):
        return {"state": "done"}

    def failed_filter(self):
        return {"state": {"$in": ["dead", "retry"]}}

    def write_config(self, path, dbname, concurrency):
        uri = self.ctx.uri.replace("\\", "\\\\").replace('"', '\\"')
        with open(path, "w", encoding="utf-8") as f:
            f.write(
                "# written by tests/bench/bench.py: the defaults, but for the poll interval\n"
                "mongodb: {\n"
                f'    uri = "{uri}";\n'
                f'    database = "{dbname}";\n'
                "};\n"
                "host: {\n"
                f"    max_concurrency = {concurrency};\n"
                f"    poll_interval_ms = {POLL_MS};\n"
                "};\n"
                "plugins: {\n"
                f'    directory = "{self.ctx.plugin_dir}";\n'
                "};\n")

    def start(self, dbname, hosts, concurrency, kind, logdir):
        cfg = os.path.join(logdir, "taskhost.cfg")
        self.write_config(cfg, dbname, concurrency)
        env = dict(os.environ)
        env.pop("TASKHOST_MONGODB_URI", None)  # the file says where
        return [Proc(f"taskhost host {i + 1}", [self.ctx.taskhost, "run", "-c", cfg],
                     os.path.join(logdir, f"taskhost-{i + 1}.log"), env=env)
                for i in range(hosts)]

    def wait_ready(self, procs, db, hosts, timeout):
        """A host writes its record (state running) just before its claimer starts."""
        deadline = time.monotonic() + timeout
        while db["hosts"].count_documents({"state": "running"}) < hosts:
            for p in procs:
                if not p.alive():
                    raise p.died()
            if time.monotonic() > deadline:
                raise BenchError(f"the taskhost hosts did not all write their host record "
                                 f"within {timeout:.0f} s; the end of {procs[0].log_path}:\n"
                                 f"{procs[0].tail()}")
            time.sleep(0.05)

    def timings(self, coll):
        out = []
        for d in coll.find(self.done_filter(), {"claimed_at": 1, "finished_at": 1,
                                                 "payload.enq_ms": 1}):
            out.append((dt_ms(d.get("claimed_at")), dt_ms(d.get("finished_at")),
                        (d.get("payload") or {}).get("enq_ms")))
        return out


class Limit(Taskhost):
    """The same documents as taskhost's, worked by tests/bench/limit.c."""

    name = "limit"

    def start(self, dbname, hosts, concurrency, kind, logdir):
        threads = min(hosts * concurrency, LIMIT_MAX_THREADS)
        sleep_ms = "1" if kind == "1ms" else "0"
        return [Proc(f"limit ({threads} threads)",
                     [self.ctx.limit, self.ctx.uri, dbname, self.collection, self.types[kind],
                      str(threads), sleep_ms, str(POLL_MS)],
                     os.path.join(logdir, "limit.log"), stdout_lines=True)]

    def wait_ready(self, procs, db, hosts, timeout):
        System.wait_ready(self, procs, db, hosts, timeout)


class Agenda(System):
    name = "agenda"
    collection = "agendaJobs"
    jobs = {"noop": "bench.noop", "1ms": "bench.1ms"}

    def task_doc(self, kind, run_ms, enq_ms):
        # what agenda.create(name, data).schedule(date).save() writes (see the "shape" mode
        # of peers/agenda_worker.mjs)
        data = {} if enq_ms is None else {"enq_ms": enq_ms}
        doc = {"name": self.jobs[kind], "data": data, "type": "normal", "priority": 0,
               "nextRunAt": to_dt(run_ms)}
        for field in ("lockedAt", "lastFinishedAt", "failedAt", "failCount", "failReason",
                      "repeatTimezone", "lastRunAt", "repeatInterval", "repeatAt", "disabled",
                      "progress", "debounceStartedAt", "fork", "startDate", "endDate",
                      "skipDays", "lastModifiedBy"):
            doc[field] = None
        return doc

    def release(self, coll, run_ms):
        coll.update_many({}, {"$set": {"nextRunAt": to_dt(run_ms)}})

    def done_filter(self):
        return {"lastFinishedAt": {"$ne": None}}

    def failed_filter(self):
        return {"failedAt": {"$ne": None}}

    options = []

    def start(self, dbname, hosts, concurrency, kind, logdir):
        script = os.path.join(self.ctx.peers_src, "agenda_worker.mjs")
        return [Proc(f"{self.name} worker {i + 1}",
                     [self.ctx.node, self.ctx.peer_script(script), "work", self.ctx.uri, dbname,
                      str(concurrency), self.jobs[kind]] + self.options,
                     os.path.join(logdir, f"{self.name}-{i + 1}.log"), stdout_lines=True)
                for i in range(hosts)]

    def timings(self, coll):
        out = []
        for d in coll.find(self.done_filter(), {"lastRunAt": 1, "lastFinishedAt": 1,
                                                 "data.enq_ms": 1}):
            out.append((dt_ms(d.get("lastRunAt")), dt_ms(d.get("lastFinishedAt")),
                        (d.get("data") or {}).get("enq_ms")))
        return out


class AgendaChangeStreams(Agenda):
    """Agenda woken by its Mongo backend's change-stream notification channel."""

    name = "agenda-cs"
    options = ["--change-streams"]


class MongodbQueue(System):
    name = "mq"
    collection = "queue"
    VISIBILITY_MS = 30000  # peers/mq_worker.mjs: a get pushes `visible` 30 s ahead

    def task_doc(self, kind, run_ms, enq_ms):
        # what queue.add(payload) writes; the kind of work is the worker's argument
        payload = {} if enq_ms is None else {"enq_ms": enq_ms}
        return {"visible": iso_ms(run_ms), "payload": payload}

    def release(self, coll, run_ms):
        coll.update_many({}, {"$set": {"visible": iso_ms(run_ms)}})

    def done_filter(self):
        return {"deleted": {"$exists": True}}

    def start(self, dbname, hosts, concurrency, kind, logdir):
        script = os.path.join(self.ctx.peers_src, "mq_worker.mjs")
        return [Proc(f"mongodb-queue worker {i + 1}",
                     [self.ctx.node, self.ctx.peer_script(script), self.ctx.uri, dbname,
                      str(concurrency), kind],
                     os.path.join(logdir, f"mq-{i + 1}.log"), stdout_lines=True)
                for i in range(hosts)]

    def timings(self, coll):
        out = []
        for d in coll.find(self.done_filter(), {"visible": 1, "deleted": 1,
                                                 "payload.enq_ms": 1}):
            visible = iso_parse_ms(d.get("visible"))
            start = visible - self.VISIBILITY_MS if visible is not None else None
            out.append((start, iso_parse_ms(d.get("deleted")),
                        (d.get("payload") or {}).get("enq_ms")))
        return out


SYSTEMS = {"taskhost": Taskhost, "limit": Limit, "agenda": Agenda,
           "agenda-cs": AgendaChangeStreams, "mq": MongodbQueue}


# --- the runs ----------------------------------------------------------------------------


class Context:
    def __init__(self, args):
        self.args = args
        self.uri = args.uri
        self.taskhost = args.taskhost
        self.plugin_dir = args.plugin_dir
        self.limit = args.limit
        self.node = args.node
        self.peers_dir = args.peers_dir
        self.peers_src = args.peers_src
        self.workdir = args.workdir
        self.client = pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=10000,
                                          heartbeatFrequencyMS=3600 * 1000, tz_aware=False)
        self.counters = Counters(self.client)
        self.server_pid = args.server_pid
        self.seq = 0
        self.current_db = None
        self.trim = args.server_kind == "mjs" and args.change_streams == "yes"

    def peer_script(self, script):
        """Peer scripts run from the cache, beside their node_modules (ESM resolves there)."""
        target = os.path.join(self.peers_dir, os.path.basename(script))
        with open(script, "rb") as src:
            data = src.read()
        try:
            with open(target, "rb") as f:
                same = f.read() == data
        except OSError:
            same = False
        if not same:
            with open(target, "wb") as f:
                f.write(data)
        return target

    def fresh_db(self, system):
        self.seq += 1
        name = f"bench_{os.getpid()}_{self.seq}_{system}"
        self.client.drop_database(name)
        self.current_db = name
        return name

    def drop_current(self):
        if self.current_db:
            self.client.drop_database(self.current_db)
            self.current_db = None
        self.trim_oplog()

    def trim_oplog(self):
        """Empties the test server's oplog between runs (no worker runs then).

        mongo-java-server keeps it in a collection that is never trimmed and scans it for
        every change-stream getMore: over a whole matrix it would slow every run after the
        first few and fill the server's heap. A real server caps its oplog; ours is emptied.
        """
        if self.trim:
            self.client["local"]["oplog.rs"].delete_many({})

    def logdir(self, label):
        d = os.path.join(self.workdir, "logs", f"{self.seq:03d}-{label}")
        os.makedirs(d, exist_ok=True)
        return d


def insert_pending(coll, system, kind, n, run_ms):
    docs = [system.task_doc(kind, run_ms, None) for _ in range(n)]
    for i in range(0, n, 1000):
        coll.insert_many(docs[i:i + 1000], ordered=False)


def cpu_of(procs):
    total = 0.0
    for p in procs:
        s = cpu_seconds(p.pid)
        if s is None:
            raise p.died()
        total += s
    return total


def wait_done(ctx, coll, system, n, procs, deadline_s):
    """Polls the completed count (at most 5 times a second) until it reaches n."""
    polls = 0
    last, last_change = -1, time.monotonic()
    start = time.monotonic()
    while True:
        done = coll.count_documents(system.done_filter())
        polls += 1
        if done >= n:
            return polls, done, None
        now = time.monotonic()
        if done != last:
            last, last_change = done, now
        for p in procs:
            if not p.alive():
                return polls, done, f"{p.name} exited: {p.died()}"
        if now - last_change > STALL_S:
            return polls, done, f"stalled: {done} of {n} done, none for {STALL_S:.0f} s"
        if now - start > deadline_s:
            return polls, done, f"too slow: {done} of {n} done after {deadline_s:.0f} s"
        time.sleep(COUNT_EVERY_S)


def run_drain(ctx, sysname, hosts, concurrency, kind, n):
    system = SYSTEMS[sysname](ctx)
    dbname = ctx.fresh_db(sysname)
    label = f"drain-{kind}-{sysname}-h{hosts}-c{concurrency}"
    logdir = ctx.logdir(label)
    db = ctx.client[dbname]
    coll = db[system.collection]
    result = {"workload": f"drain-{kind}", "system": sysname, "hosts": hosts,
              "concurrency": concurrency, "tasks": n, "database": dbname, "logs": logdir}
    if sysname == "limit":
        result["hosts"] = 1
        result["concurrency"] = min(hosts * concurrency, LIMIT_MAX_THREADS)
    insert_pending(coll, system, kind, n, now_ms() + FAR_FUTURE_S * 1000)
    procs = []
    try:
        procs = system.start(dbname, hosts, concurrency, kind, logdir)
        system.wait_ready(procs, db, hosts, timeout=60)
        time.sleep(SETTLE_S)
        cpu0 = cpu_of(procs)
        srv0 = cpu_seconds(ctx.server_pid) if ctx.server_pid else None
        ops0 = ctx.counters.snapshot() if ctx.counters.available else None
        release_ms = now_ms()
        # a second in the past: every system's clock or estimate of the server's sees it due
        system.release(coll, release_ms - 1000)
        polls, done, error = wait_done(ctx, coll, system, n, procs, RUN_CAP_S)
        ops1 = ctx.counters.snapshot() if ctx.counters.available else None
        cpu1 = cpu_of(procs) if not error else None
        srv1 = cpu_seconds(ctx.server_pid) if ctx.server_pid else None
    finally:
        stop_all(procs)
    result["polls"] = polls
    result["completed"] = done
    failed = system.failed_filter()
    result["failed"] = coll.count_documents(failed) if failed else 0
    times = system.timings(coll)
    finishes = [f for _, f, _ in times if f is not None]
    starts = [s for s, _, _ in times if s is not None]
    if error:
        result["error"] = error
    elif not finishes or len(finishes) < n:
        result["error"] = f"only {len(finishes)} of {n} tasks have a finish time"
    else:
        last = max(finishes)
        result["release_ms"] = release_ms
        result["first_start_ms"] = min(starts) if starts else None
        result["last_finish_ms"] = last
        result["seconds"] = (last - release_ms) / 1000.0
        result["tasks_per_s"] = n / max(result["seconds"], 1e-3)
        result["cpu_s"] = cpu1 - cpu0
        result["cpu_s_per_1000"] = (cpu1 - cpu0) / n * 1000.0
        if srv0 is not None and srv1 is not None:
            result["server_cpu_s_per_1000"] = (srv1 - srv0) / n * 1000.0
    if ops0 is not None and ops1 is not None:
        delta = Counters.diff(ops1, ops0)
        own = ctx.counters.own(polls)
        workers = {k: delta.get(k, 0) - own.get(k, 0) for k in delta}
        result["ops_raw"] = {k: v for k, v in sorted(delta.items()) if v}
        result["ops_own"] = {k: v for k, v in sorted(own.items()) if v}
        result["ops"] = {k: v for k, v in sorted(workers.items()) if v}
        if "error" not in result:  # per task only when every task was done
            result["ops_per_task"] = ops_total(workers) / n
    if sysname == "limit":
        result["limit_report"] = last_json_line(procs)
    ctx.drop_current()
    return result


def last_json_line(procs):
    for p in procs:
        line, last = "", None
        while line is not None:
            line = p.next_line(0.5)
            if line and line.startswith("{"):
                try:
                    last = json.loads(line)
                except ValueError:
                    pass
        return last
    return None


def run_latency(ctx, sysname, hosts, concurrency, rate, seconds):
    system = SYSTEMS[sysname](ctx)
    dbname = ctx.fresh_db(sysname)
    logdir = ctx.logdir(f"latency-{sysname}-h{hosts}-c{concurrency}")
    db = ctx.client[dbname]
    coll = db[system.collection]
    n = int(rate * seconds)
    result = {"workload": "latency", "system": sysname, "hosts": hosts,
              "concurrency": concurrency, "rate_per_s": rate, "seconds": seconds, "tasks": n,
              "database": dbname, "logs": logdir}
    procs = []
    try:
        procs = system.start(dbname, hosts, concurrency, "noop", logdir)
        system.wait_ready(procs, db, hosts, timeout=60)
        time.sleep(SETTLE_S)
        t0 = time.monotonic()
        for i in range(n):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            enq = now_ms()
            coll.insert_one(system.task_doc("noop", enq, enq))
        _, done, error = wait_done(ctx, coll, system, n, procs, RUN_CAP_S)
    finally:
        stop_all(procs)
    result["completed"] = done
    lat = sorted(s - e for s, _, e in system.timings(coll) if s is not None and e is not None)
    if error:
        result["error"] = error
    elif len(lat) < n:
        result["error"] = f"only {len(lat)} of {n} tasks have a start time"
    if lat:
        result["p50_ms"] = percentile(lat, 50)
        result["p90_ms"] = percentile(lat, 90)
        result["p99_ms"] = percentile(lat, 99)
        result["max_ms"] = lat[-1]
        result["mean_ms"] = sum(lat) / len(lat)
    ctx.drop_current()
    return result


# --- the matrix --------------------------------------------------------------------------


def matrix(quick, systems):
    """The runs, in order: (workload, kind, system, hosts, concurrency)."""
    peers = [s for s in PEERS if s in systems]
    if quick:
        drains = [("noop", [1], [1, 8])]
        n = 300
        latency = (20, 5.0)
    else:
        drains = [("noop", [1, 2, 4], [1, 8, 64]), ("1ms", [1, 4], [8, 64])]
        n = 2000
        latency = (20, 15.0)
    runs = []
    for kind, hs, cs in drains:
        seen_limit = set()
        for h in hs:
            for c in cs:
                for s in peers:
                    runs.append(("drain", kind, s, h, c))
                t = min(h * c, LIMIT_MAX_THREADS)
                if "limit" in systems and t not in seen_limit:
                    seen_limit.add(t)
                    runs.append(("drain", kind, "limit", h, c))
    for s in peers:
        runs.append(("latency", "noop", s, 1, 8))
    return runs, n, latency


# --- the report --------------------------------------------------------------------------


def fmt(v, digits=1):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def drain_tables(results):
    out = []
    for kind in ("noop", "1ms"):
        rows = [r for r in results if r["workload"] == f"drain-{kind}"]
        if not rows:
            continue
        limits = {r["concurrency"]: r for r in rows if r["system"] == "limit"}
        by_key = {(r["system"], r["hosts"], r["concurrency"]): r for r in rows}
        configs = sorted({(r["hosts"], r["concurrency"]) for r in rows if r["system"] != "limit"})
        title = "no-op tasks" if kind == "noop" else "1-ms tasks"
        n = rows[0]["tasks"]
        out.append(f"#### Drain: {n} {title} enqueued up front\n")
        out.append("| system | hosts | concurrency | tasks/s | taskhost / limit "
                   "| taskhost / Agenda | ops/task | CPU s/1000 tasks | server CPU s/1000 |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for h, c in configs:
            t = min(h * c, LIMIT_MAX_THREADS)
            th = by_key.get(("taskhost", h, c))
            th_tps = th.get("tasks_per_s") if th else None
            # Agenda at its best: the faster of its two set-ups
            ag_tps = max((r.get("tasks_per_s") or 0 for r in
                          (by_key.get((a, h, c)) for a in ("agenda", "agenda-cs")) if r),
                         default=0) or None
            for sysname in SYSTEM_ORDER:
                r = by_key.get((sysname, h, c)) if sysname != "limit" else limits.get(t)
                if r is None:
                    continue
                if sysname == "taskhost":
                    lim = limits.get(t)
                    r1 = fmt(ratio(th_tps, lim.get("tasks_per_s") if lim else None), 2)
                    r2 = fmt(ratio(th_tps, ag_tps), 2)
                else:
                    r1 = r2 = ""
                if sysname == "limit":
                    hosts, conc = "-", f"{t} thread{'s' if t > 1 else ''}"
                else:
                    hosts, conc = str(h), str(c)
                tps = fmt(r.get("tasks_per_s"), 0) if "error" not in r else "failed"
                out.append(f"| {SYSTEM_TITLES[sysname]} | {hosts} | {conc} "
                           f"| {tps} | {r1} | {r2} | {fmt(r.get('ops_per_task'), 2)} "
                           f"| {fmt(r.get('cpu_s_per_1000'), 2)} "
                           f"| {fmt(r.get('server_cpu_s_per_1000'), 2)} |")
        out.append("")
    return out


def latency_table(results):
    rows = [r for r in results if r["workload"] == "latency"]
    if not rows:
        return []
    r0 = rows[0]
    out = [f"#### Latency: enqueue to start at {r0['rate_per_s']:g} tasks/s for "
           f"{r0['seconds']:g} s (no-op tasks)\n",
           "| system | hosts | concurrency | p50 ms | p99 ms | max ms |",
           "|---|---:|---:|---:|---:|---:|"]
    for sysname in SYSTEM_ORDER:
        for r in rows:
            if r["system"] == sysname:
                p50 = fmt(r.get("p50_ms"), 0) if "error" not in r else "failed"
                out.append(f"| {SYSTEM_TITLES[sysname]} | {r['hosts']} | {r['concurrency']} "
                           f"| {p50} | {fmt(r.get('p99_ms'), 0)} | {fmt(r.get('max_ms'), 0)} |")
    out.append("")
    return out


def ops_breakdown(results):
    """Per system: server operations per task by kind, from the noop drains."""
    out = []
    for r in results:
        if r["workload"] != "drain-noop" or "ops" not in r:
            continue
        if (r["hosts"], r["concurrency"]) not in ((1, 8), (1, 1)) or (
                r["system"] == "limit" and r["concurrency"] != 8):
            continue
        per = {k: v / r["tasks"] for k, v in r["ops"].items() if v}
        cmds = ", ".join(f"{k[4:]} {v:.2f}" for k, v in sorted(per.items())
                         if k.startswith("cmd.") and v >= 0.01)
        kinds = ", ".join(f"{k[3:]} {v:.2f}" for k, v in sorted(per.items())
                          if k.startswith("op.") and v >= 0.01)
        name = SYSTEM_TITLES[r["system"]]
        out.append(f"- {name}, {r['hosts']} x {r['concurrency']}: {kinds}"
                   + (f" (commands: {cmds})" if cmds else ""))
    if out:
        out = ["Server operations per task by kind and by command (no-op drains at 1 host; "
               "every run's are in the JSON):", ""] + out + [""]
    return out


def header(info):
    lines = [
        f"- Machine: {info['machine']}, {info['cores']} cores, {info['cpu_model']}",
        f"- Server: {info['server']}; change streams: {info['change_streams']}; "
        f"opcounters: {info['opcounters']}",
        f"- Clients: {info['clients']}",
        f"- taskhost: {info['taskhost']}",
        f"- Date: {info['date']}",
        f"- Command: `{info['command']}`",
        "",
    ]
    return lines


def report(info, results):
    lines = header(info) + drain_tables(results) + latency_table(results) + ops_breakdown(results)
    failed = [r for r in results if "error" in r]
    if failed:
        lines.append("Failed runs:")
        lines.append("")
        for r in failed:
            lines.append(f"- {r['workload']} {r['system']} {r['hosts']} x {r['concurrency']}: "
                         f"{r['error'].splitlines()[0]}")
        lines.append("")
    return "\n".join(lines)


def write_doc(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            doc = f.read()
    except OSError as e:
        raise BenchError(f"cannot read {path} to write the results into: {e}") from e
    begin, end = doc.find(RESULTS_BEGIN), doc.find(RESULTS_END)
    if begin < 0 or end < begin:
        raise BenchError(f"{path} has no results section: it needs the lines {RESULTS_BEGIN} "
                         f"and {RESULTS_END}, in that order")
    doc = doc[:begin + len(RESULTS_BEGIN)] + "\n" + text.rstrip() + "\n" + doc[end:]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(doc)
    os.replace(tmp, path)


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_info(ctx, args):
    u = platform.uname()
    build = ctx.client.admin.command("buildInfo")
    version = build.get("version", "unknown")
    server = f"{args.server_kind} (MongoDB {version} protocol)"
    if args.server_kind == "mjs":
        server = f"mongo-java-server {args.mjs_version}, reporting MongoDB {version}"
    server += f", backend {args.server_backend}, on loopback" if args.server_backend != "external" \
        else ", given by MONGODB_URI"
    return {
        "machine": f"{u.system} {u.release} {u.machine}",
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "server": server,
        "clients": args.clients + f", pymongo {pymongo.version} (orchestrator)",
        "taskhost": args.taskhost_version,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": args.command,
        "opcounters": "yes" if ctx.counters.available else "no (ops/task n/a)",
        "change_streams": "yes" if args.change_streams == "yes" else "no",
    }


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--uri", required=True)
    p.add_argument("--taskhost", required=True)
    p.add_argument("--plugin-dir", required=True)
    p.add_argument("--limit", required=True)
    p.add_argument("--node", default="node")
    p.add_argument("--peers-dir", required=True, help="where node_modules of the peers is")
    p.add_argument("--peers-src", required=True, help="tests/bench/peers")
    p.add_argument("--workdir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--pid-file")
    p.add_argument("--server-pid", type=int)
    p.add_argument("--server-kind", default="external")
    p.add_argument("--server-backend", default="external")
    p.add_argument("--mjs-version", default="")
    p.add_argument("--clients", default="")
    p.add_argument("--taskhost-version", default="")
    p.add_argument("--command", default="")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--write-doc")
    p.add_argument("--systems", default="taskhost,limit,agenda,agenda-cs,mq")
    p.add_argument("--change-streams", choices=["yes", "no", "auto"], default="auto",
                   help="whether the server has change streams (auto: a replica set has)")
    p.add_argument("--tasks", type=int, help="N of the drains (default 2000, quick 300)")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise BenchError(f"--systems: unknown system(s) {', '.join(unknown)}; "
                         f"known: {', '.join(SYSTEMS)}")
    PIDS.path = args.pid_file
    ctx = Context(args)
    try:
        ctx.client.admin.command("ping")
    except pymongo.errors.PyMongoError as e:
        raise BenchError(f"the MongoDB server at {args.uri} cannot be reached: {e}") from e
    ctx.counters.calibrate(ctx.client[f"bench_{os.getpid()}_calibrate"])
    ctx.client.drop_database(f"bench_{os.getpid()}_calibrate")
    if args.change_streams == "auto":
        hello = ctx.client.admin.command("isMaster")
        args.change_streams = "yes" if hello.get("setName") else "no"
    if args.change_streams == "no" and "agenda-cs" in systems:
        log("the server has no change streams: Agenda + change streams is left out")
        systems.remove("agenda-cs")
    ctx.trim = args.server_kind == "mjs" and args.change_streams == "yes"
    ctx.trim_oplog()
    info = machine_info(ctx, args)
    runs, n, (rate, seconds) = matrix(args.quick, systems)
    if args.tasks:
        n = args.tasks
    results = []
    started = time.monotonic()
    out = {"info": info, "quick": args.quick, "tasks": n, "results": results,
           "own_op_costs": ctx.counters.cost}
    for i, (workload, kind, sysname, h, c) in enumerate(runs):
        what = (f"[{i + 1}/{len(runs)}] {workload} {kind} {SYSTEM_TITLES[sysname]} "
                f"hosts={h} concurrency={c}")
        if sysname == "limit":
            what = (f"[{i + 1}/{len(runs)}] {workload} {kind} limit "
                    f"threads={min(h * c, LIMIT_MAX_THREADS)}")
        log(what)
        t = time.monotonic()
        try:
            if workload == "drain":
                r = run_drain(ctx, sysname, h, c, kind, n)
            else:
                r = run_latency(ctx, sysname, h, c, rate, seconds)
        except BenchError as e:
            ctx.drop_current()
            r = {"workload": workload if workload == "latency" else f"drain-{kind}",
                 "system": sysname, "hosts": h, "concurrency": c, "tasks": n,
                 "error": str(e)}
        r["wall_s"] = round(time.monotonic() - t, 1)
        results.append(r)
        if "error" in r:
            log(f"  FAILED: {r['error']}")
        elif workload == "drain":
            log(f"  {r['tasks_per_s']:.0f} tasks/s, ops/task {fmt(r.get('ops_per_task'), 2)}, "
                f"CPU s/1000 {r['cpu_s_per_1000']:.2f} ({r['wall_s']} s)")
        else:
            log(f"  p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms ({r['wall_s']} s)")
        with open(args.out + ".tmp", "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1, default=str)
        os.replace(args.out + ".tmp", args.out)
    out["wall_s"] = round(time.monotonic() - started, 1)
    text = report(info, results)
    with open(args.out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, default=str)
    os.replace(args.out + ".tmp", args.out)
    print(text)
    log(f"raw results: {args.out}; logs: {os.path.join(args.workdir, 'logs')}; "
        f"{out['wall_s']:.0f} s in all")
    if args.write_doc:
        write_doc(args.write_doc, text)
        log(f"wrote the results into {args.write_doc}")
    failed = [r for r in results if "error" in r]
    if failed:
        log(f"{len(failed)} of {len(results)} runs failed (see 'Failed runs' above and their "
            f"logs)")
        return 1
    return 0


def on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def kill_leftovers():
    """Workers still running after an error or an interruption (our own children, by pid)."""
    for pid in list(PIDS.pids):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        PIDS.discard(pid)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as err:
        log(f"error: {err}")
        sys.exit(1)
    except KeyboardInterrupt:
        log("interrupted: stopping the workers")
        sys.exit(130)
    finally:
        kill_leftovers()
