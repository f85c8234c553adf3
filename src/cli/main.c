/*
 * src/cli/main.c — `stackheap <command> [options]`: finds the command and hands it argv.
 *
 * The table below is the only list of commands: help, the unknown-command message and
 * dispatch all read it, so a new command is one line here and one file of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const shi_cli_command *const commands[] = {
    &shi_cli_layout_command,
    &shi_cli_run_command,
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static const shi_cli_command *find_command(const char *name) {
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

/* "layout, run (not available yet)": the same list the help shows, on one line. */
static const char *command_list(void) {
    static char list[256];
    size_t n = 0;
    for (size_t i = 0; i < NCOMMANDS && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s%s", i ? ", " : "",
                              commands[i]->name,
                              commands[i]->available ? "" : " (not available yet)");
    return list;
}

static void print_help(FILE *out) {
    fprintf(out, "stackheap %s: the stack and the heap of a real program, drawn as the\n"
                 "lesson \"Stack vs Heap\" draws them\n\n"
                 "usage: stackheap <command> [options]\n\ncommands:\n", SH_VERSION_STRING);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-8s %s%s\n", commands[i]->name, commands[i]->help,
                commands[i]->available ? "" : " (not available yet)");
    fprintf(out, "  %-8s %s\n\n", "help", "this help; `stackheap help <command>` for one command");
    fprintf(out, "options:\n  -h, --help   this help\n  --version    the version\n\n"
                 "example: stackheap layout -- ./prog arg1 arg2\n");
}

static int unknown_command(const char *name) {
    return shi_cli_usage_error(NULL, "unknown command '%s'; commands: %s", name, command_list());
}

/* `stackheap help layout` is `stackheap layout --help`. */
static int help_command(int argc, char **argv) {
    if (argc < 3) { print_help(stdout); return SH_EXIT_OK; }
    const shi_cli_command *c = find_command(argv[2]);
    if (!c) return unknown_command(argv[2]);
    char *args[] = {argv[2], "--help", NULL};
    return c->run(2, args);
}

static int dispatch(int argc, char **argv) {
    if (argc < 2) {
        return shi_cli_usage_error(NULL, "which command? commands: %s", command_list());
    }
    const char *name = argv[1];
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h"))
        return help_command(argc, argv);
    if (!strcmp(name, "--version")) { printf("stackheap %s\n", SH_VERSION_STRING); return SH_EXIT_OK; }
    if (name[0] == '-') {
        return shi_cli_usage_error(NULL, "unknown option '%s' (before the command: --help, "
                                         "--version)", name);
    }
    const shi_cli_command *c = find_command(name);
    if (!c) return unknown_command(name);
    fflush(stdout);
    return c->run(argc - 1, argv + 1);
}

/* A full disk or a closed pipe loses the diagram or the JSON printed to stdout: say so and
 * fail, rather than exit 0 with the output cut (as `cat` or `ls` do). */
int main(int argc, char **argv) {
    int rc = dispatch(argc, argv);
    int err = fflush(stdout) != 0 ? errno : 0;
    if (err || ferror(stdout)) {
        fprintf(stderr, "stackheap%s%s: writing the standard output failed%s%s\n",
                argc > 1 && argv[1][0] != '-' ? " " : "", argc > 1 && argv[1][0] != '-' ? argv[1] : "",
                err ? ": " : "", err ? strerror(err) : "");
        if (rc == SH_EXIT_OK) rc = SH_EXIT_FAIL;
    }
    return rc;
}
