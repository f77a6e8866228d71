/*
 * ts: support library of the integration tests (library taskhost_testsupport).
 *
 * The tests talk to a real MongoDB wire-protocol server on loopback:
 *   - MONGODB_URI set: that server; nothing is started, nothing can be restarted.
 *   - otherwise a private server per test process, started on first use by
 *     tests/support/testserver (mongod if on PATH, else mongo-java-server with its H2
 *     backend) with its data in a fresh directory under $TMPDIR, stopped and removed at exit.
 *
 * Failures: a helper that meets an unexpected error calls ts_fail(), which fails the running
 * cmocka test (like fail_msg) from the main thread, exits the process when no test runs, and
 * aborts from any other thread. Helpers are thread-safe unless a comment says otherwise.
 *
 * Environment: MONGODB_URI, TS_SERVER_NONATOMIC=1 (the server's findAndModify is not
 * atomic, e.g. FerretDB), TS_SERVER_OPLOG=1 (our server with change streams; default 0),
 * TS_KEEP_TMP=1 (keep temp dirs and the server's data at exit), TASKHOST_CACHE (see testserver).
 *
 * Compile definitions visible to tests: TS_TESTSERVER (the testserver script), TS_HOST_BIN
 * (the taskhost binary), TS_PLUGIN_DIR (shipped plugins), TS_TEST_PLUGIN_DIR (test plugins),
 * TS_BUILD_DIR (the build tree).
 */
#ifndef TASKHOST_TESTS_TS_H
#define TASKHOST_TESTS_TS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <mongoc/mongoc.h>

/* The exit code that ctest reads as "skipped". */
#define TS_EXIT_SKIP 77

/* ---- failing ------------------------------------------------------------------------- */

/* Fails the current test with a printf-style message naming file and line; never returns. */
#define ts_fail(...) ts_fail_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void ts_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- the server ---------------------------------------------------------------------- */

/*
 * The server's URI: MONGODB_URI if set, else that of the private server, started on the first
 * call (later calls return the same string). Returns NULL after printing why only when the
 * test server is not prepared (the message names the command to run); the test should then
 * exit TS_EXIT_SKIP. Any other failure to start fails the test. The string is owned by the
 * library and lives until exit.
 */
const char *ts_server_uri(void);

/* ts_server_uri(), or exit(TS_EXIT_SKIP) when it returns NULL. For the start of main(). */
const char *ts_server_uri_or_skip(void);

/* True unless TS_SERVER_NONATOMIC=1: findAndModify and updates are atomic per document. */
bool ts_server_atomic(void);

/* True when the server is our own (MONGODB_URI unset), so the calls below work. */
bool ts_server_can_restart(void);

/* Stops the server cleanly and starts it again on the same port with the same data; returns
 * once it accepts connections. Fails the test if the server is not ours. */
void ts_server_restart(void);

/* For outage tests: ts_server_stop() stops it cleanly (SIGTERM), ts_server_kill() with
 * SIGKILL (a crash: writes of the last ~50 ms may be lost); ts_server_start_again() starts it
 * on the same port with the same data and waits until it accepts connections. */
void ts_server_stop(void);
void ts_server_kill(void);
void ts_server_start_again(void);

/* ---- MongoDB helpers ----------------------------------------------------------------- */

/*
 * A client of the calling thread, from a client pool on ts_server_uri(). Owned by the library:
 * do not destroy it; it goes back to the pool when the thread ends (the main thread's at exit).
 * Do not share it between threads. Survives server restarts (it reconnects).
 */
mongoc_client_t *ts_client(void);

/* A new client of its own on ts_server_uri() with the extra URI options `options` (e.g.
 * "serverSelectionTimeoutMS=500", or NULL). Caller destroys it with mongoc_client_destroy. */
mongoc_client_t *ts_client_new(const char *options);

/* A fresh database name "<prefix>_<pid>_<n>" (at most 63 chars; characters MongoDB rejects
 * in database names become '_'). Caller frees. Nothing is created. */
char *ts_unique_db(const char *prefix);

/* Drops database `db` (fine if it does not exist). */
void ts_drop_db(const char *db);

/* Parses (relaxed or canonical extended) JSON into a new bson_t, failing the test on bad
 * JSON. NULL or "" give an empty document. Caller destroys with bson_destroy. */
bson_t *ts_bson(const char *json);

/* Inserts one document given as JSON into db.coll; fails the test if that fails. */
void ts_insert_json(const char *db, const char *coll, const char *json);

/* The number of documents in db.coll matching filter_json (NULL or "" for all). */
int64_t ts_count(const char *db, const char *coll, const char *filter_json);

/* The first document matching filter_json, or NULL if none. Caller destroys. */
bson_t *ts_find_one(const char *db, const char *coll, const char *filter_json);

/* Polls ts_count until it equals `expected`: true if it did within timeout_ms, else false
 * after printing the last count. */
bool ts_wait_count(const char *db, const char *coll, const char *filter_json, int64_t expected,
                   int timeout_ms);

/* ---- processes and files ------------------------------------------------------------- */

/*
 * Starts argv[0] (a path, or a name looked up in PATH) with arguments argv (NULL-terminated)
 * in its own process group, stdin from /dev/null, stdout and stderr appended to log_path
 * (created if missing). Returns the pid. Processes still running at exit get SIGKILL (their
 * whole group) and are reaped.
 */
pid_t ts_spawn(const char *const argv[], const char *log_path);

/* Waits for a process from ts_spawn to exit: its exit status, or 128+signal if a signal ended
 * it, or -1 if it still runs after timeout_ms (negative: wait without limit). */
int ts_wait_exit(pid_t pid, int timeout_ms);

/* Sends sig to the process pid only (no error if it is gone). */
void ts_kill(pid_t pid, int sig);

/* Sends sig to the whole process group of a process from ts_spawn. */
void ts_kill_group(pid_t pid, int sig);

/* The whole content of a file, NUL-terminated, or NULL if it cannot be read. Caller frees. */
char *ts_read_file(const char *path);

/* True if the file exists and contains needle. */
bool ts_file_contains(const char *path, const char *needle);

/* A new empty directory under $TMPDIR (default /tmp), removed at exit unless TS_KEEP_TMP=1.
 * Returns its path; caller frees the string. */
char *ts_temp_dir(void);

/* Calls pred(arg) every 20 ms until it returns true (then true) or timeout_ms passed (then
 * false, after one last call). */
bool ts_wait_until(bool (*pred)(void *), void *arg, int timeout_ms);

/* Milliseconds of a monotonic clock. */
int64_t ts_now_ms(void);

/* Sleeps ms milliseconds. */
void ts_sleep_ms(int ms);

/* ---- taskhost processes -------------------------------------------------------------- */

/* An int field set to TS_ZERO writes an explicit 0 (0 itself means "default"). */
#define TS_ZERO (-1)

/*
 * Settings of a host config file. 0 / NULL fields take the default named here: a test
 * default (written to the file) or "left out" (the host's own default applies).
 */
struct ts_host_opts {
    const char *uri;              /* default ts_server_uri() */
    const char *database;         /* required: usually from ts_unique_db() */
    const char *collection;       /* default "tasks" */
    const char *hosts_collection; /* default "hosts" */
    int connect_timeout_ms;       /* left out */
    const char *change_streams;   /* left out ("auto" or "off") */
    const char *host_id;          /* left out (the host uses <hostname>:<pid>) */
    int max_concurrency;          /* left out */
    int poll_interval_ms;         /* test default 100 */
    int lease_ms;                 /* test default 3000 */
    int heartbeat_ms;             /* test default 1000 with the test lease, else left out */
    int shutdown_grace_ms;        /* test default 5000 */
    int max_host_deaths;          /* left out */
    int max_retries;              /* left out */
    int backoff_initial_ms;       /* test default 50 */
    int backoff_max_ms;           /* test default 500 */
    double backoff_multiplier;    /* left out */
    double backoff_jitter;        /* written as given: 0.0 unless set */
    const char *plugin_dir;       /* default TS_PLUGIN_DIR */
    const char *plugin_settings;  /* raw text inside plugins.settings, e.g.
                                     "flaky: { failure_rate = 0.5; };" */
    const char *types;            /* raw text inside `types = ( ... );`, e.g.
                                     "{ type = \"sleep\"; concurrency = 2; }" */
    const char *log_level;        /* test default "debug" */
    const char *log_format;       /* test default "text" */
    const char *extra;            /* raw libconfig text appended at the end */
};

/*
 * Writes a host config file with the settings of o into a new ts_temp_dir() and returns its
 * path (caller frees). Fails the test if the text is not valid libconfig syntax (e.g. a bad
 * `extra`) or o->database is missing.
 */
char *ts_host_config(const struct ts_host_opts *o);

/* Starts `TS_HOST_BIN run -c config_path` with ts_spawn (output to log_path); returns the pid. */
pid_t ts_host_start(const char *config_path, const char *log_path);

/* SIGTERM to the host, then waits up to timeout_ms: returns its exit status (128+signal if a
 * signal ended it), or -1 if it did not exit in time (it is then SIGKILLed and reaped). */
int ts_host_stop(pid_t pid, int timeout_ms);

#endif
