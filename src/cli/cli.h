/*
 * src/cli/cli.h — what the parts of the `stackheap` command share.
 *
 * Each command is one file that defines one shi_cli_command (its name, its function and a
 * one-line help); main.c only keeps the table of them. Adding a command is a new file and
 * one line in that table. A command reads its options through the one parser below
 * (options.c) and calls the library (src/trace) for the rest: it decides nothing itself.
 *
 *     static int layout_main(int argc, char **argv);   // argv[0] is "layout"
 *     const shi_cli_command shi_cli_layout_command = {
 *         "layout", layout_main, "the process memory layout with real addresses", true};
 *
 * A command returns the process's exit status: 0 done, 1 it failed (a message was
 * printed), 2 it was used wrongly (the message says how to use it).
 */
#ifndef SH_CLI_CLI_H
#define SH_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <stackheap/version.h>   /* SH_VERSION_STRING: project()'s, one place */

enum { SH_EXIT_OK = 0, SH_EXIT_FAIL = 1, SH_EXIT_USAGE = 2 };

typedef struct shi_cli_command {
    const char *name;
    int (*run)(int argc, char **argv);   /* argv[0] is the command's name */
    const char *help;                    /* one line, for `stackheap --help` */
    bool available;                      /* false: listed as "(not available yet)" */
} shi_cli_command;

extern const shi_cli_command shi_cli_layout_command;
extern const shi_cli_command shi_cli_run_command;

/* ---- options: one parser for every command (options.c) ---------------------------------- */

/* What an option takes. The parser checks a value against its kind before the command sees
 * it, so every command's bad values read the same: "--max-steps needs a number, got 'x'". */
typedef enum shi_cli_kind {
    SHI_CLI_FLAG,     /* no value: "--ascii=1" is refused */
    SHI_CLI_TEXT,     /* any word but the empty one: a file name */
    SHI_CLI_NUMBER,   /* a count from 1 to `max` */
    SHI_CLI_CHOICE,   /* one of `choices` (ended by NULL) */
} shi_cli_kind;

/* One option of a command. `key` is what the parser hands back: a letter when the option
 * has a short form too ('p' is -p), else a number from 256 up. `value` says what it takes,
 * as a message does: "a file name", "a number", "main, heap or exit" (NULL for a flag). */
typedef struct shi_cli_option {
    const char *name;       /* the long form without its dashes: "max-steps" */
    int key;
    shi_cli_kind kind;
    const char *value;
    unsigned long long max;         /* SHI_CLI_NUMBER */
    const char *const *choices;     /* SHI_CLI_CHOICE */
} shi_cli_option;

/* An option's value once checked: the word as given, its number, or its choice's index. */
typedef struct shi_cli_value {
    const char *text;
    unsigned long long number;
    int choice;
} shi_cli_value;

/* getopt_long over argv[1..] against `opts` (ended by a {0} entry), calling on_option for
 * each option in order with its checked value; on_option returns -1 to go on, or an exit
 * status to stop (0 after --help). Stops at `--` or at the first word that is not an
 * option. Returns the index of the program's word (argc when there is none), or -1 when it
 * stopped: then *ret_status holds the exit status and any message was printed. */
int shi_cli_parse(const char *cmd, int argc, char **argv, const shi_cli_option *opts,
                  int (*on_option)(void *ctx, int key, const shi_cli_value *v), void *ctx,
                  int *ret_status);

/* The one shape of a usage error: "stackheap CMD: <what>; see stackheap CMD --help" on
 * stderr ("stackheap: ...; see stackheap --help" when cmd is NULL); returns SH_EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int shi_cli_usage_error(const char *cmd, const char *fmt, ...);

#endif
