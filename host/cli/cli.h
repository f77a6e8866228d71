/*
 * The command line: `taskhost <command> [options]`. Each command lives in its
 * own cli/cmd_*.c file and returns the process exit status (documented in
 * `taskhost --help` and README.md: 0 ok, 64 usage, 65 bad input data,
 * 69 MongoDB unreachable, 70 internal error, 74 I/O error, 75 database
 * error, 78 configuration or plugin error).
 */
#ifndef TASKHOST_CLI_CLI_H
#define TASKHOST_CLI_CLI_H

/* Runs the command line; returns the exit status. */
int cli_main(int argc, char **argv);

#endif
