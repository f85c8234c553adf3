/*
 * src/cli/run.c — `stackheap run`: a placeholder until the tracer (issue 4) lands.
 *
 * The tracer replaces this file with its own shi_cli_run_command (available = true);
 * main.c's table already lists it, so nothing else changes.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int run_main(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: stackheap run -- ./prog [args...]\n"
               "trace a program step by step (not available yet: the tracer, issue 4)\n");
        return SH_EXIT_OK;
    }
    fprintf(stderr, "stackheap run: the tracer is not built yet (issue 4)\n");
    return SH_EXIT_USAGE;
}

const shi_cli_command shi_cli_run_command = {
    "run", run_main, "a program's stack and heap, line by line", false};
