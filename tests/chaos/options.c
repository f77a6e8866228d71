#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

static const char USAGE[] =
    "usage: chaos [--long] [--hosts N] [--tasks N] [--seconds S] [--faults SCALE]\n"
    "             [--fault KIND=N]... [--intake PERCENT] [--poll-ms N] [--seed N]\n"
    "             [--loopback] [--direct] [--keep]\n"
    "\n"
    "Runs taskhost hosts (each in its own network namespace when possible), inserts\n"
    "`rec` tasks while killing, pausing, cutting off and skewing the clocks of hosts and\n"
    "restarting the database, then checks that no task was lost or recorded twice and\n"
    "prints the figures. Exit status: 0 no violation, 1 violations, 2 usage, 77 skipped\n"
    "(no test server).\n"
    "\n"
    "  --long         the long form: 5 hosts, 10000 tasks, 54 faults over 300 s\n"
    "                 (default: the short form: 3 hosts, 1500 tasks, 10 faults over 60 s)\n"
    "  --hosts N      number of hosts (1 to 8)\n"
    "  --tasks N      number of tasks\n"
    "  --seconds S    time over which tasks are inserted and faults injected\n"
    "  --faults SCALE multiply the number of faults of each kind by SCALE (0 for none)\n"
    "  --fault KIND=N inject N faults of KIND (kill, pause, cut, db_restart, db_outage,\n"
    "                 skew); options apply in the order given\n"
    "  --intake PCT   percentage of tasks inserted without a state, as a producer may\n"
    "                 (the hosts take them in; default 15)\n"
    "  --poll-ms N    the hosts' host.poll_interval_ms (default 250)\n"
    "  --seed N       seed of the random choices (default: from the clock; printed)\n"
    "  --loopback     do not use network namespaces\n"
    "  --direct       implies --loopback; the hosts connect to the server directly,\n"
    "                 without forwarders (no network cuts then)\n"
    "  --keep         keep the logs, the execution log and the database (TS_KEEP_TMP=1)\n";

static void defaults(struct chaos_options *o, bool long_form)
{
    memset(o, 0, sizeof *o);
    o->long_form = long_form;
    o->hosts = long_form ? 5 : 3;
    o->tasks = long_form ? 10000 : 1500;
    o->seconds = long_form ? 300 : 60;
    o->drain_s = long_form ? 300 : 120;
    static const int short_faults[FAULT_KINDS] = {2, 2, 2, 1, 1, 2};
    static const int long_faults[FAULT_KINDS] = {16, 10, 10, 6, 4, 8};
    memcpy(o->faults, long_form ? long_faults : short_faults, sizeof o->faults);
    o->lease_ms = 3000;
    o->heartbeat_ms = 1000;
    o->max_concurrency = 6;
    o->poll_ms = 250;
    o->max_retries = 10;
    o->max_host_deaths = 10;
    o->intake_percent = 15;
    o->seed = ((uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid()) % 2147483646u + 1;
}

static bool number(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* --fault KIND=N; false when bad. */
static bool set_fault(const char *v, struct chaos_options *o)
{
    const char *eq = strchr(v, '=');
    long n;
    if (eq == NULL || !number(eq + 1, 0, 1000, &n))
        return false;
    for (int k = 0; k < FAULT_KINDS; k++) {
        const char *name = fault_kind_name((enum fault_kind)k);
        if (strlen(name) == (size_t)(eq - v) && strncmp(v, name, (size_t)(eq - v)) == 0) {
            o->faults[k] = (int)n;
            return true;
        }
    }
    return false;
}

/* Applies option argv[*i] (and its value); false on a bad one. */
static bool apply(int argc, char **argv, int *i, struct chaos_options *o)
{
    const char *a = argv[*i];
    if (strcmp(a, "--loopback") == 0 || strcmp(a, "--direct") == 0) {
        o->loopback = true;
        o->direct |= strcmp(a, "--direct") == 0;
        return true;
    }
    if (strcmp(a, "--keep") == 0)
        return setenv("TS_KEEP_TMP", "1", 1) == 0;
    if (strcmp(a, "--long") == 0)
        return true;
    if (*i + 1 >= argc)
        return false;
    const char *v = argv[++*i];
    long n;
    if (strcmp(a, "--hosts") == 0 && number(v, 1, NET_MAX_HOSTS, &n))
        o->hosts = (int)n;
    else if (strcmp(a, "--tasks") == 0 && number(v, 1, 1000000, &n))
        o->tasks = (int)n;
    else if (strcmp(a, "--seconds") == 0 && number(v, 5, 86400, &n))
        o->seconds = (int)n;
    else if (strcmp(a, "--faults") == 0 && number(v, 0, 20, &n))
        for (int k = 0; k < FAULT_KINDS; k++)
            o->faults[k] *= (int)n;
    else if (strcmp(a, "--poll-ms") == 0 && number(v, 10, 60000, &n))
        o->poll_ms = (int)n;
    else if (strcmp(a, "--fault") == 0)
        return set_fault(v, o);
    else if (strcmp(a, "--intake") == 0 && number(v, 0, 100, &n))
        o->intake_percent = (int)n;
    else if (strcmp(a, "--seed") == 0 && number(v, 1, 2147483647, &n))
        o->seed = (uint64_t)n;
    else
        return false;
    return true;
}

int options_parse(int argc, char **argv, struct chaos_options *o)
{
    bool long_form = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        }
        long_form |= strcmp(argv[i], "--long") == 0;
    }
    defaults(o, long_form);
    for (int i = 1; i < argc; i++) {
        if (!apply(argc, argv, &i, o)) {
            fprintf(stderr, "chaos: bad option or value: %s\n\n%s", argv[i], USAGE);
            return 2;
        }
    }
    return -1;
}
