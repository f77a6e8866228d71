/* taskhost: the entry point. Everything else is in host/<module>/. */
#include <mongoc/mongoc.h>

#include "base/driver_log.h"
#include "cli/cli.h"

int main(int argc, char **argv)
{
    mongoc_init();
    driver_log_install();
    int status = cli_main(argc, argv);
    mongoc_cleanup();
    return status;
}
