/*
 * The MongoDB server of a test process: MONGODB_URI, or a private one run by the testserver
 * script (TS_TESTSERVER) with its data in a temp dir, stopped at exit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ts.h"
#include "ts_internal.h"

#define TS_EXIT_NOT_PREPARED 3 /* testserver's exit code when its launcher is not built */

static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;
static bool server_tried;
static char *server_uri;  /* the answer of ts_server_uri */
static char *server_dir;  /* our server's directory; NULL if MONGODB_URI */
static char *start_error; /* why our server did not start, for every caller */

/* Runs `testserver CMD DIR [PORT]` telling it to watch this process; returns its exit code
 * and its stdout in *out (caller frees). */
static int run_testserver(const char *cmd, const char *dir, const char *port, char **out)
{
    char watch[64], oplog[64];
    snprintf(watch, sizeof watch, "TS_SERVER_WATCH_PID=%d", (int)getpid());
    /* Change streams off unless asked for (test_wakeup): with them the H2 test server's
     * oplog grows by every write and slows the fault tests down (docs/reliability.md, 8). */
    const char *want = getenv("TS_SERVER_OPLOG");
    snprintf(oplog, sizeof oplog, "TS_SERVER_OPLOG=%s", want && *want ? want : "0");
    const char *argv[] = {"env", watch, oplog, TS_TESTSERVER, cmd, dir, port, NULL};
    int rc = ts_run_capture(argv, out);
    if (rc < 0)
        fprintf(stderr, "ts: cannot run %s\n", TS_TESTSERVER);
    return rc;
}

/* The last line of the script's output if it is a URI, else NULL. Caller frees. */
static char *uri_from_output(const char *out)
{
    const char *start = strstr(out, "mongodb://");
    if (!start)
        return NULL;
    char *uri = ts_xstrdup(start);
    uri[strcspn(uri, "\r\n")] = '\0';
    return uri;
}

/* Starts our server; on failure sets start_error, or leaves everything NULL when the
 * launcher is not prepared. Called with server_lock held. */
static void start_private_server(void)
{
    char *dir = ts_try_temp_dir();
    if (!dir) {
        start_error = ts_xstrdup("cannot create a directory for its data (message above)");
        return;
    }
    char *out = NULL;
    int rc = run_testserver("start", dir, NULL, &out);
    if (rc == TS_EXIT_NOT_PREPARED) {
        fprintf(stderr,
                "ts: SKIP: no MongoDB server: the test server is not prepared. Run:\n"
                "    %s prepare\n"
                "or set MONGODB_URI to a server to use.\n",
                TS_TESTSERVER);
        free(out);
        free(dir);
        return;
    }
    char *uri = rc == 0 && out ? uri_from_output(out) : NULL;
    if (!uri) {
        start_error = ts_xprintf("`%s start %s` failed (exit %d, output '%s'); its log: "
                                 "%s/server.log",
                                 TS_TESTSERVER, dir, rc, out ? out : "", dir);
        free(out);
        free(dir);
        return;
    }
    free(out);
    server_uri = uri;
    server_dir = dir;
}

const char *ts_server_uri(void)
{
    pthread_mutex_lock(&server_lock);
    if (!server_tried) {
        server_tried = true;
        const char *env = getenv("MONGODB_URI");
        if (env && *env)
            server_uri = ts_xstrdup(env);
        else
            start_private_server();
    }
    const char *uri = server_uri;
    const char *err = start_error;
    pthread_mutex_unlock(&server_lock);
    if (err)
        ts_fail("no MongoDB server: %s", err);
    return uri;
}

const char *ts_server_uri_or_skip(void)
{
    const char *uri = ts_server_uri();
    if (!uri)
        exit(TS_EXIT_SKIP);
    return uri;
}

bool ts_server_atomic(void)
{
    const char *nonatomic = getenv("TS_SERVER_NONATOMIC");
    return !(nonatomic && strcmp(nonatomic, "1") == 0);
}

bool ts_server_can_restart(void)
{
    ts_server_uri();
    pthread_mutex_lock(&server_lock);
    bool ours = server_dir != NULL;
    pthread_mutex_unlock(&server_lock);
    return ours;
}

/* Runs `testserver CMD DIR [PORT]` on our server and fails the test unless it succeeds. */
static void control_server(const char *cmd, bool same_port)
{
    if (!ts_server_can_restart())
        ts_fail("cannot %s the MongoDB server: it is not ours (MONGODB_URI is set)", cmd);
    char *port = NULL;
    if (same_port)
        port = ts_xstrdup(strrchr(server_uri, ':') + 1);
    char *out = NULL;
    int rc = run_testserver(cmd, server_dir, port, &out);
    bool uri_expected = same_port || strcmp(cmd, "restart") == 0;
    char *uri = rc == 0 && out && uri_expected ? uri_from_output(out) : NULL;
    bool moved = uri && strcmp(uri, server_uri) != 0;
    free(uri);
    free(out);
    free(port);
    if (rc != 0)
        ts_fail("`%s %s %s` failed (exit %d); its log: %s/server.log", TS_TESTSERVER, cmd,
                server_dir, rc, server_dir);
    if (moved)
        ts_fail("the MongoDB server came back at another address than %s", server_uri);
    if (uri_expected)
        ts_mongo_after_restart();
}

void ts_server_restart(void)
{
    control_server("restart", false);
}

void ts_server_stop(void)
{
    control_server("stop", false);
}

void ts_server_kill(void)
{
    control_server("kill", false);
}

void ts_server_start_again(void)
{
    control_server("start", true);
}

void ts_server_cleanup(void)
{
    pthread_mutex_lock(&server_lock);
    if (server_dir) {
        run_testserver("stop", server_dir, NULL, NULL);
        if (ts_keep_tmp())
            fprintf(stderr, "ts: the server's data and log stay in %s (TS_KEEP_TMP=1)\n",
                    server_dir);
        free(server_dir);
        server_dir = NULL;
    }
    free(server_uri);
    server_uri = NULL;
    free(start_error);
    start_error = NULL;
    pthread_mutex_unlock(&server_lock);
}
