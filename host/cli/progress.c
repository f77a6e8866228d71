#include "cli/progress.h"

#include <stdio.h>
#include <unistd.h>

#define BAR_WIDTH 30

void progress_start(struct progress *p, const char *what, int64_t total)
{
    p->on = isatty(STDERR_FILENO) == 1;
    p->drawn = false;
    p->what = what;
    p->total = total > 0 ? total : 1;
}

void progress_update(struct progress *p, int64_t done)
{
    if (!p->on)
        return;
    int filled = (int)(done * BAR_WIDTH / p->total);
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %lld/%lld (%d%%)", p->what, bar, (long long)done,
            (long long)p->total, (int)(done * 100 / p->total));
    fflush(stderr);
    p->drawn = true;
}

void progress_end(struct progress *p)
{
    if (p->on && p->drawn)
        fputs("\r\033[K", stderr);
    p->drawn = false;
}
