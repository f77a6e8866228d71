/* The exec plugin (plugins/exec) run through the real api table with
 * hand-made task attempts: commands from the allow-list, argv passed
 * verbatim, stdin, output tails, exit statuses, signals, timeouts,
 * cancellation, heartbeats, what the child inherits, and the checks of its
 * settings and payloads. */
#include "test_plugin_util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "plugin/host_api.h"

/* ---- helpers ---- */

struct loaded {
    struct plugin p;
    struct test_cfg cfg;
    bool has_cfg;
};

static void open_exec(struct plugin *p)
{
    struct error err;
    if (!plugin_open(SHIPPED_PLUGIN_DIR "/exec.so", p, &err))
        fail_msg("%s", err.msg);
}

/* Opens and inits the exec plugin with the settings text `block` (NULL: none). */
static void load(struct loaded *l, const char *block)
{
    memset(l, 0, sizeof *l);
    open_exec(&l->p);
    const struct plugin_block *b = NULL;
    if (block != NULL) {
        char text[4000];
        snprintf(text, sizeof text, "plugins = { settings = { exec = {\n%s\n}; }; };\n", block);
        test_cfg_load(&l->cfg, text);
        l->has_cfg = true;
        b = test_cfg_block(&l->cfg, "exec");
    }
    struct error err;
    if (!plugin_init(&l->p, host_api(), b, NULL, &err))
        fail_msg("%s", err.msg);
}

static void unload(struct loaded *l)
{
    plugin_close(&l->p);
    if (l->has_cfg)
        test_cfg_free(&l->cfg);
}

/* Inits with `block` expecting a failure whose message contains `expected`. */
static void expect_init_fails(const char *block, const char *expected)
{
    struct plugin p;
    struct test_cfg cfg;
    struct error err;
    open_exec(&p);
    char text[4000];
    snprintf(text, sizeof text, "plugins = { settings = { exec = {\n%s\n}; }; };\n", block);
    test_cfg_load(&cfg, text);
    if (plugin_init(&p, host_api(), test_cfg_block(&cfg, "exec"), NULL, &err))
        fail_msg("init accepted: %s", block);
    assert_false(p.initialised);
    plugin_close(&p);
    test_cfg_free(&cfg);
    if (strstr(err.msg, expected) == NULL)
        fail_msg("settings %s\n  gave \"%s\"\n  which lacks \"%s\"", block, err.msg, expected);
}

static th_status run(struct loaded *l, struct th_task *t)
{
    return l->p.desc.run(l->p.state, t);
}

/* Runs payload as a first attempt; the caller destroys *t. */
static th_status run_payload(struct loaded *l, struct th_task *t, const char *payload)
{
    test_task(t, "exec", 1, payload);
    return run(l, t);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool result_iter(const struct th_task *t, const char *key, bson_iter_t *it)
{
    assert_non_null(t->result);
    return bson_iter_init_find(it, t->result, key);
}

static const char *result_str(const struct th_task *t, const char *key)
{
    bson_iter_t it;
    if (!result_iter(t, key, &it) || !BSON_ITER_HOLDS_UTF8(&it))
        fail_msg("the result has no string %s", key);
    return bson_iter_utf8(&it, NULL);
}

static int64_t result_int(const struct th_task *t, const char *key)
{
    bson_iter_t it;
    if (!result_iter(t, key, &it) || !BSON_ITER_HOLDS_NUMBER(&it))
        fail_msg("the result has no number %s", key);
    return bson_iter_as_int64(&it);
}

/* Settings allowing sh, printf, cat and env (and `extra`). */
static void load_std(struct loaded *l, const char *extra)
{
    char block[2000];
    snprintf(
        block, sizeof block,
        "allow = (\"sh=/bin/sh\", \"/usr/bin/printf\", \"/bin/cat\", \"show-env=/usr/bin/env\");\n"
        "%s",
        extra != NULL ? extra : "");
    load(l, block);
}

/* A payload running `sh -c script`. */
static char *sh_payload(const char *script, const char *more)
{
    bson_t *doc = BCON_NEW("command", "sh", "args", "[", "-c", BCON_UTF8(script), "]");
    char *json = bson_as_relaxed_extended_json(doc, NULL);
    bson_destroy(doc);
    if (more != NULL) { /* splice more fields in before the closing brace */
        char *with = bson_malloc(strlen(json) + strlen(more) + 4);
        json[strlen(json) - 1] = '\0';
        sprintf(with, "%s, %s}", json, more);
        bson_free(json);
        json = with;
    }
    return json;
}

static th_status run_sh(struct loaded *l, struct th_task *t, const char *script, const char *more)
{
    char *payload = sh_payload(script, more);
    th_status st = run_payload(l, t, payload);
    bson_free(payload);
    return st;
}

/* True while process pid exists and is not a zombie. */
static bool process_alive(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[512] = "";
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    const char *close_paren = got != NULL ? strrchr(line, ')') : NULL;
    return close_paren != NULL && close_paren[1] == ' ' && close_paren[2] != 'Z';
}

static pid_t read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int pid = 0;
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    return (pid_t)pid;
}

/* Waits up to 3 s for pid to be gone. */
static bool process_gone(pid_t pid)
{
    for (int i = 0; i < 150 && process_alive(pid); i++) {
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    return !process_alive(pid);
}

/* ---- running commands ---- */

static void test_argv_is_passed_verbatim(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    const char *payload =
        "{\"command\": \"printf\", \"args\": [\"[%s]\\n\", \"a b\", \"it's\", \"\\\"q\\\"\", "
        "\"$HOME\", \"; rm -rf /\", \"*\", \"\", \"`id`\", \"\\u00e9\\\\n\"]}";
    assert_int_equal(run_payload(&l, &t, payload), TH_DONE);
    const char *expected = "[a b]\n[it's]\n[\"q\"]\n[$HOME]\n[; rm -rf /]\n[*]\n[]\n[`id`]\n"
                           "[\xc3\xa9\\n]\n";
    assert_string_equal(result_str(&t, "stdout_tail"), expected);
    assert_string_equal(result_str(&t, "stderr_tail"), "");
    assert_int_equal(result_int(&t, "exit_status"), 0);
    assert_int_equal(result_int(&t, "stdout_bytes"), strlen(expected));
    assert_int_equal(result_int(&t, "stderr_bytes"), 0);
    assert_true(result_int(&t, "duration_ms") >= 0);
    task_destroy(&t);
    unload(&l);
}

static void test_environment_is_only_the_configured_one(void **state)
{
    (void)state;
    setenv("TASKHOST_SECRET", "leaked", 1);
    struct loaded l;
    load_std(&l, "env = (\"A=1\", \"LANG=C.UTF-8\");");
    struct th_task t;
    assert_int_equal(run_payload(&l, &t, "{\"command\": \"show-env\"}"), TH_DONE);
    assert_string_equal(result_str(&t, "stdout_tail"), "A=1\nLANG=C.UTF-8\n");
    task_destroy(&t);
    unload(&l);

    load_std(&l, NULL); /* no env: an empty environment */
    assert_int_equal(run_payload(&l, &t, "{\"command\": \"show-env\"}"), TH_DONE);
    assert_string_equal(result_str(&t, "stdout_tail"), "");
    task_destroy(&t);
    unload(&l);
    unsetenv("TASKHOST_SECRET");
}

static void test_workdir(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    char block[600];
    snprintf(block, sizeof block, "workdir = \"%s\";", dir);
    struct loaded l;
    load_std(&l, block);
    struct th_task t;
    assert_int_equal(run_sh(&l, &t, "pwd", NULL), TH_DONE);
    char expected[600];
    snprintf(expected, sizeof expected, "%s\n", dir);
    assert_string_equal(result_str(&t, "stdout_tail"), expected);
    task_destroy(&t);
    unload(&l);

    load_std(&l, NULL); /* default: / */
    assert_int_equal(run_sh(&l, &t, "pwd", NULL), TH_DONE);
    assert_string_equal(result_str(&t, "stdout_tail"), "/\n");
    task_destroy(&t);
    unload(&l);
    rm_tree(dir);
}

static void test_stdin_from_the_payload(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    assert_int_equal(
        run_payload(&l, &t, "{\"command\": \"cat\", \"stdin\": \"hello\\nw\\u00f6rld\"}"), TH_DONE);
    assert_string_equal(result_str(&t, "stdout_tail"), "hello\nw\xc3\xb6rld");
    task_destroy(&t);

    /* without stdin the command reads /dev/null: it ends at once */
    int64_t start = now_ms();
    assert_int_equal(run_sh(&l, &t, "cat; echo end", NULL), TH_DONE);
    assert_string_equal(result_str(&t, "stdout_tail"), "end\n");
    assert_true(now_ms() - start < 5000);
    task_destroy(&t);
    unload(&l);
}

/* 600 KB through cat: input written and output read at the same time (a
 * run that wrote everything first would deadlock on full pipes), only the
 * tail kept. */
static void test_large_stdin_and_output_tail(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "output_tail_bytes = 10;");
    size_t n = 600000;
    char *payload = malloc(n + 100);
    assert_non_null(payload);
    strcpy(payload, "{\"command\": \"cat\", \"stdin\": \"");
    size_t at = strlen(payload);
    for (size_t i = 0; i < n; i++)
        payload[at + i] = (char)('a' + i % 26);
    strcpy(payload + at + n, "\"}");
    struct th_task t;
    assert_int_equal(run_payload(&l, &t, payload), TH_DONE);
    assert_int_equal(result_int(&t, "stdout_bytes"), n);
    char expected[11];
    for (size_t i = 0; i < 10; i++)
        expected[i] = (char)('a' + (n - 10 + i) % 26);
    expected[10] = '\0';
    assert_string_equal(result_str(&t, "stdout_tail"), expected);
    task_destroy(&t);
    free(payload);

    /* a command that does not read its stdin is not an error */
    char *big = malloc(n + 100);
    assert_non_null(big);
    snprintf(big, n + 100,
             "{\"command\": \"sh\", \"args\": [\"-c\", \"exec 0<&-; echo ok\"], "
             "\"stdin\": \"%0*d\"}",
             (int)n, 0);
    assert_int_equal(run_payload(&l, &t, big), TH_DONE);
    assert_string_equal(result_str(&t, "stdout_tail"), "ok\n");
    task_destroy(&t);
    free(big);
    unload(&l);
}

static void test_output_is_made_valid_utf8(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "output_tail_bytes = 3;");
    struct th_task t;
    /* é é é is 6 bytes: the last 3 start inside a character, which is dropped */
    assert_int_equal(run_sh(&l, &t, "printf '\\303\\251\\303\\251\\303\\251'", NULL), TH_DONE);
    assert_string_equal(result_str(&t, "stdout_tail"), "\xc3\xa9");
    assert_int_equal(result_int(&t, "stdout_bytes"), 6);
    task_destroy(&t);
    unload(&l);

    load_std(&l, NULL);
    assert_int_equal(run_sh(&l, &t, "printf 'a\\377b\\000c\\300\\200d' >&2", NULL), TH_DONE);
    assert_string_equal(result_str(&t, "stderr_tail"), "a\xef\xbf\xbd"
                                                       "b\xef\xbf\xbd"
                                                       "c\xef\xbf\xbd\xef\xbf\xbd"
                                                       "d");
    task_destroy(&t);
    unload(&l);
}

/* ---- failures ---- */

static void test_nonzero_exit_is_retried(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    assert_int_equal(run_sh(&l, &t, "echo out; echo 'disk full' >&2; exit 3", NULL), TH_RETRY);
    assert_contains(t.fail_msg, "exec: sh exited with status 3 after ");
    assert_contains(t.fail_msg, "ms; stderr: disk full\n");
    assert_null(t.result);
    task_destroy(&t);

    /* no stderr: stdout's end is quoted */
    assert_int_equal(run_sh(&l, &t, "echo only out; exit 1", NULL), TH_RETRY);
    assert_contains(t.fail_msg, "; stdout: only out\n");
    task_destroy(&t);
    unload(&l);
}

static void test_nonzero_is_permanent(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "nonzero_is_permanent = true;");
    struct th_task t;
    assert_int_equal(run_sh(&l, &t, "exit 2", NULL), TH_FAIL);
    assert_contains(t.fail_msg, "exec: sh exited with status 2");
    task_destroy(&t);
    unload(&l);
}

static void test_killed_by_a_signal(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    assert_int_equal(run_sh(&l, &t, "echo going >&2; kill -SEGV $$", NULL), TH_RETRY);
    assert_contains(t.fail_msg, "exec: sh was killed by SIGSEGV after ");
    assert_contains(t.fail_msg, "stderr: going");
    task_destroy(&t);
    unload(&l);
}

static void test_timeout_stops_the_whole_group(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    char script[700];
    snprintf(script, sizeof script, "sleep 30 & echo $! > %s/pid; echo started; wait", dir);
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    int64_t start = now_ms();
    assert_int_equal(run_sh(&l, &t, script, "\"timeout_ms\": 300"), TH_RETRY);
    int64_t took = now_ms() - start;
    assert_true(took >= 300);
    assert_true(took < 5000);
    assert_contains(t.fail_msg, "exec: sh timed out after 300 ms and was stopped with SIGTERM");
    assert_contains(t.fail_msg, "stdout: started");
    char path[700];
    snprintf(path, sizeof path, "%s/pid", dir);
    assert_true(process_gone(read_pid(path))); /* the background sleep too */
    task_destroy(&t);
    unload(&l);
    rm_tree(dir);
}

static void test_sigkill_after_the_grace_period(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "timeout_ms = 200; kill_grace_ms = 300;");
    struct th_task t;
    int64_t start = now_ms();
    /* ignores SIGTERM (and so does its sleep) */
    assert_int_equal(run_sh(&l, &t, "trap '' TERM; echo ready; sleep 30", NULL), TH_RETRY);
    int64_t took = now_ms() - start;
    assert_true(took >= 500);
    assert_true(took < 5000);
    assert_contains(t.fail_msg, "timed out after 200 ms and was stopped with SIGKILL");
    task_destroy(&t);
    unload(&l);
}

struct canceller {
    struct th_task *task;
    int64_t after_ms;
};

static void *cancel_later(void *arg)
{
    const struct canceller *c = arg;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = c->after_ms * 1000000};
    nanosleep(&ts, NULL);
    task_cancel(c->task, TH_CANCEL_REQUESTED);
    return NULL;
}

static void test_cancellation_kills_the_command(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    char script[700];
    snprintf(script, sizeof script, "echo $$ > %s/pid; exec sleep 30", dir);
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    char *payload = sh_payload(script, NULL);
    test_task(&t, "exec", 1, payload);
    bson_free(payload);
    struct canceller c = {.task = &t, .after_ms = 200};
    pthread_t thread;
    int64_t start = now_ms();
    assert_int_equal(pthread_create(&thread, NULL, cancel_later, &c), 0);
    assert_int_equal(run(&l, &t), TH_RETRY);
    int64_t took = now_ms() - start;
    pthread_join(thread, NULL);
    assert_true(took >= 190);
    assert_true(took < 5000);
    assert_string_equal(t.fail_msg, "cancelled: cancel requested (exec: sh stopped with SIGTERM)");
    assert_null(t.result);
    char path[700];
    snprintf(path, sizeof path, "%s/pid", dir);
    assert_false(process_alive(read_pid(path)));
    task_destroy(&t);
    unload(&l);
    rm_tree(dir);
}

static void test_heartbeats_while_running(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    assert_int_equal(run_sh(&l, &t, "echo x; sleep 1.3", NULL), TH_DONE);
    double progress = 0;
    char note[TASK_NOTE_MAX];
    assert_true(task_take_progress(&t, &progress, note, sizeof note));
    assert_true(progress < 0); /* unknown */
    assert_string_equal(note, "running for 1 s; 2 bytes of output");
    task_destroy(&t);
    unload(&l);
}

static void test_a_vanished_binary_is_retried(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file("/bin/true", dir, "tool", 0755);
    char block[700];
    snprintf(block, sizeof block, "allow = (\"%s/tool\");", dir);
    struct loaded l;
    load(&l, block);
    struct th_task t;
    assert_int_equal(run_payload(&l, &t, "{\"command\": \"tool\"}"), TH_DONE);
    task_destroy(&t);
    char path[700];
    snprintf(path, sizeof path, "%s/tool", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(run_payload(&l, &t, "{\"command\": \"tool\"}"), TH_RETRY);
    /* valgrind runs posix_spawn's vfork as a fork: the failed exec then
     * shows as exit status 127 instead of an error from posix_spawn */
    if (strstr(t.fail_msg, "exited with status 127") == NULL) {
        assert_contains(t.fail_msg, "exec: cannot start tool (");
        assert_contains(t.fail_msg, "No such file or directory");
    }
    task_destroy(&t);
    unload(&l);
    rm_tree(dir);
}

/* ---- what the command inherits ---- */

static void test_no_descriptor_or_signal_state_leaks(void **state)
{
    (void)state;
    int fd = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
    assert_true(fd > 2);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM); /* as the host's threads do */
    pthread_sigmask(SIG_BLOCK, &block, &old);
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN); /* as the host does */

    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    char script[300];
    snprintf(script, sizeof script,
             "for f in 0 1 2 %d; do [ -e /proc/$$/fd/$f ] && echo $f open || echo $f closed; "
             "done; while read -r k v; do case $k in SigBlk:|SigIgn:) s=\"$s $v\";; esac; "
             "done < /proc/self/status; echo $$ $s; ps -o pgid= -p $$ | tr -d ' '",
             fd);
    assert_int_equal(run_sh(&l, &t, script, NULL), TH_DONE);
    const char *out = result_str(&t, "stdout_tail");
    char expected[200];
    snprintf(expected, sizeof expected, "0 open\n1 open\n2 open\n%d closed\n", fd);
    if (strncmp(out, expected, strlen(expected)) != 0)
        fail_msg("the command saw:\n%s\nexpected it to start with:\n%s", out, expected);
    int pgid = 0, pid = 0;
    unsigned long long blocked = 1, ignored = 1;
    /* the shell reads its own status with builtins: while it forks (for ps)
     * it blocks every signal for a moment */
    assert_int_equal(
        sscanf(out + strlen(expected), "%d %llx %llx %d", &pid, &blocked, &ignored, &pgid), 4);
    assert_int_equal(pgid, pid); /* the command leads a process group of its own */
    /* no signal blocked or ignored (glibc's spawn leaves its two internal
     * signals, 32 and 33, ignored: no program can use them) */
    assert_int_equal(blocked, 0);
    if ((ignored & ~0x180000000ULL) != 0)
        fail_msg("the command starts with signals ignored: SigIgn %llx", ignored);
    task_destroy(&t);
    unload(&l);

    signal(SIGPIPE, old_pipe);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(fd);
}

/* A host whose standard input is closed: the pipes may get descriptor 0, and
 * the command still sees its own stdin, stdout and stderr. */
static void test_host_with_closed_stdin(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    int saved = dup(0);
    assert_true(saved > 2);
    close(0);
    struct th_task t;
    th_status st = run_sh(&l, &t, "cat; echo err >&2", "\"stdin\": \"from the payload\"");
    dup2(saved, 0);
    close(saved);
    assert_int_equal(st, TH_DONE);
    assert_string_equal(result_str(&t, "stdout_tail"), "from the payload");
    assert_string_equal(result_str(&t, "stderr_tail"), "err\n");
    task_destroy(&t);
    unload(&l);
}

/* run() from several threads at once: each gets its own output, none hangs
 * on a pipe another run's child inherited. */
struct worker {
    struct loaded *l;
    int id;
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 10; i++) {
        char payload[200], expected[32];
        snprintf(payload, sizeof payload,
                 "{\"command\": \"sh\", \"args\": [\"-c\", \"sleep 0.0$2; echo $1\", \"sh\", "
                 "\"w%d-%d\", \"%d\"]}",
                 w->id, i, i % 5);
        snprintf(expected, sizeof expected, "w%d-%d\n", w->id, i);
        struct th_task t;
        test_task(&t, "exec", 1, payload);
        if (run(w->l, &t) == TH_DONE && t.result != NULL) {
            bson_iter_t it;
            w->ok += bson_iter_init_find(&it, t.result, "stdout_tail") &&
                     strcmp(bson_iter_utf8(&it, NULL), expected) == 0;
        }
        task_destroy(&t);
    }
    return NULL;
}

static void test_concurrent_runs(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct worker w[4];
    pthread_t threads[4];
    int64_t start = now_ms();
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){&l, i, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(w[i].ok, 10);
    }
    assert_true(now_ms() - start < 20000);
    unload(&l);
}

/* ---- payloads ---- */

static void test_command_not_allowed(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    assert_int_equal(run_payload(&l, &t, "{\"command\": \"rm\", \"args\": [\"-rf\", \"/\"]}"),
                     TH_FAIL);
    assert_string_equal(t.fail_msg,
                        "exec: command \"rm\" is not allowed; allowed: sh, printf, cat, show-env");
    task_destroy(&t);
    /* a path is not a name */
    assert_int_equal(run_payload(&l, &t, "{\"command\": \"/bin/sh\"}"), TH_FAIL);
    assert_contains(t.fail_msg, "command \"/bin/sh\" is not allowed");
    task_destroy(&t);
    unload(&l);

    load(&l, NULL); /* nothing allowed */
    assert_int_equal(run_payload(&l, &t, "{\"command\": \"sh\"}"), TH_FAIL);
    assert_contains(t.fail_msg, "command \"sh\" is not allowed: no command is (add it to the "
                                "setting plugins.settings.exec.allow)");
    task_destroy(&t);
    unload(&l);
}

static void test_bad_payloads(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "timeout_ms = 5000;");
    struct {
        const char *payload;
        const char *message;
    } cases[] = {
        {"{}", "the payload needs a string field \"command\" naming an allowed command (allowed: "
               "sh, printf, cat, show-env)"},
        {"{\"command\": 5}", "payload field \"command\" must be a string, not an integer"},
        {"{\"command\": \"sh\", \"args\": \"-c ls\"}",
         "payload field \"args\" must be an array of strings, not a string"},
        {"{\"command\": \"sh\", \"args\": [\"-n\", 5]}",
         "payload field args[1] must be a string, not an integer"},
        {"{\"command\": \"sh\", \"args\": [\"a\\u0000b\"]}",
         "payload field args[0] must be a string without NUL characters"},
        {"{\"command\": \"sh\", \"stdin\": {\"a\": 1}}",
         "payload field \"stdin\" must be a string, not an object"},
        {"{\"command\": \"sh\", \"timeout_ms\": 9000}",
         "payload field \"timeout_ms\" must be between 1 and 5000 (the setting timeout_ms), found "
         "9000"},
        {"{\"command\": \"sh\", \"timeout_ms\": 0}", "must be between 1 and 5000"},
        {"{\"command\": \"sh\", \"timeout_ms\": \"1s\"}",
         "\"timeout_ms\" must be a whole number of milliseconds, not a string"},
        {"{\"command\": \"sh\", \"arg\": [\"x\"]}",
         "unknown payload field \"arg\" (expected command, args, stdin, timeout_ms)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct th_task t;
        if (run_payload(&l, &t, cases[i].payload) != TH_FAIL)
            fail_msg("payload %s was not refused", cases[i].payload);
        assert_contains(t.fail_msg, cases[i].message);
        task_destroy(&t);
    }
    /* a whole double is a number of milliseconds (shells insert numbers as doubles) */
    struct th_task t;
    assert_int_equal(run_payload(&l, &t, "{\"command\": \"cat\", \"timeout_ms\": 1000.0}"),
                     TH_DONE);
    task_destroy(&t);
    unload(&l);
}

/* ---- settings ---- */

static void test_settings_are_checked(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    write_file(dir, "notexec", "#!/bin/sh\n"); /* mode 0644 */
    char block[1000];

    expect_init_fails("allow = (\"convert\");",
                      "setting allow[0] (\"convert\"): expected \"NAME=/absolute/path\" or an "
                      "absolute path");
    expect_init_fails("allow = (\"sh=bin/sh\");",
                      "setting allow[0] (\"sh=bin/sh\"): the path must be absolute (start with /), "
                      "found \"bin/sh\"");
    expect_init_fails("allow = (\"/bin/sh\", \"/no/such/tool\");",
                      "setting allow[1] (\"/no/such/tool\"): /no/such/tool does not exist; install "
                      "it or remove it from the list");
    snprintf(block, sizeof block, "allow = (\"x=%s/notexec\");", dir);
    expect_init_fails(block, "notexec is not executable by this user (mode 0644)");
    expect_init_fails("allow = (\"d=/tmp\");", "/tmp is not a regular file");
    expect_init_fails("allow = (\"a b=/bin/sh\");",
                      "the command name must be 1 to 64 of the characters A-Z a-z 0-9 _ - . +");
    expect_init_fails("allow = (\"sh=/bin/sh\", \"/usr/bin/sh\");",
                      "setting allow[1]: the command name \"sh\" is listed twice");
    expect_init_fails("allow = \"/bin/sh\";", "must be a list of strings, not a string");
    expect_init_fails("env = (\"1A=x\");", "setting env[0] must be \"NAME=value\"");
    expect_init_fails("env = (\"A=1\", \"PATH\");", "found \"PATH\"");
    expect_init_fails("env = (\"A=1\", \"A=2\");", "setting env[1]: the variable A is set twice");
    expect_init_fails("timeout_ms = 0;", "setting timeout_ms must be between 1 and 604800000, "
                                         "found 0");
    expect_init_fails("kill_grace_ms = -1;", "setting kill_grace_ms must be between 0 and 600000");
    expect_init_fails("output_tail_bytes = 1000000;",
                      "setting output_tail_bytes must be between 0 and 262144, found 1000000");
    expect_init_fails("workdir = \"tmp\";",
                      "setting workdir must be an absolute path, found \"tmp\"");
    expect_init_fails("workdir = \"/no/such/dir\";",
                      "setting workdir: /no/such/dir is not a directory this user can enter");
    expect_init_fails("nonzero_is_permanent = 1;", "must be a boolean");
    rm_tree(dir);
}

static void test_init_logs_the_allowed_commands(void **state)
{
    (void)state;
    log_capture_start();
    struct loaded l;
    load_std(&l, "timeout_ms = 1000; kill_grace_ms = 0; output_tail_bytes = 0; "
                 "nonzero_is_permanent = false; workdir = \"/tmp\"; env = ();");
    assert_logged("exec: 4 commands allowed: sh, printf, cat, show-env");
    assert_false(log_contains("unknown setting"));
    /* output_tail_bytes = 0 keeps counts only */
    struct th_task t;
    assert_int_equal(run_sh(&l, &t, "echo hello", NULL), TH_DONE);
    assert_string_equal(result_str(&t, "stdout_tail"), "");
    assert_int_equal(result_int(&t, "stdout_bytes"), 6);
    task_destroy(&t);
    /* kill_grace_ms = 0: SIGKILL at once */
    assert_int_equal(run_sh(&l, &t, "sleep 30", "\"timeout_ms\": 100"), TH_RETRY);
    assert_contains(t.fail_msg, "stopped with SIGKILL");
    task_destroy(&t);
    unload(&l);
    log_capture_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv_is_passed_verbatim),
        cmocka_unit_test(test_environment_is_only_the_configured_one),
        cmocka_unit_test(test_workdir),
        cmocka_unit_test(test_stdin_from_the_payload),
        cmocka_unit_test(test_large_stdin_and_output_tail),
        cmocka_unit_test(test_output_is_made_valid_utf8),
        cmocka_unit_test(test_nonzero_exit_is_retried),
        cmocka_unit_test(test_nonzero_is_permanent),
        cmocka_unit_test(test_killed_by_a_signal),
        cmocka_unit_test(test_timeout_stops_the_whole_group),
        cmocka_unit_test(test_sigkill_after_the_grace_period),
        cmocka_unit_test(test_cancellation_kills_the_command),
        cmocka_unit_test(test_heartbeats_while_running),
        cmocka_unit_test(test_a_vanished_binary_is_retried),
        cmocka_unit_test(test_no_descriptor_or_signal_state_leaks),
        cmocka_unit_test(test_host_with_closed_stdin),
        cmocka_unit_test(test_concurrent_runs),
        cmocka_unit_test(test_command_not_allowed),
        cmocka_unit_test(test_bad_payloads),
        cmocka_unit_test(test_settings_are_checked),
        cmocka_unit_test(test_init_logs_the_allowed_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
