/* taskhost: the entry point. Everything else is in host/<module>/. */
#include <mongoc/mongoc.h>

#include "base/driver_log.h"
#include "cli/cli.h"

int main(int argc, char **argv)
{
    driver_log_install(); /* first: mongoc_init may already log */
    mongoc_init();
    int status = cli_main(argc, argv);
    mongoc_cleanup();
    return status;
}
