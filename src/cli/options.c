/*
 * src/cli/options.c — the one option parser of every command: getopt_long over a table,
 * with the same messages everywhere. `--max-steps=5`, `--max-steps 5`, `-p12` and `-p 12`
 * all work; parsing stops at `--` or at the first word that is not an option, since what
 * follows is the program and its own options (the "+" of the getopt string).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/panic.h"

enum { MAX_OPTIONS = 32 };

static const shi_cli_option *find(const shi_cli_option *opts, int key) {
    for (const shi_cli_option *o = opts; o->name; o++)
        if (o->key == key) return o;
    return NULL;
}

int shi_cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "stackheap %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "; see stackheap %s --help\n", cmd);
    va_end(ap);
    return SH_EXIT_USAGE;
}

int shi_cli_parse(const char *cmd, int argc, char **argv, const shi_cli_option *opts,
                  int (*on_option)(void *ctx, int key, const char *value), void *ctx,
                  int *ret_status) {
    struct option longs[MAX_OPTIONS + 1];
    char shorts[2 + 2 * MAX_OPTIONS + 1] = "+:";   /* stop at the program; ':' for a missing value */
    size_t n = 0, s = 2;
    for (const shi_cli_option *o = opts; o->name; o++, n++) {
        if (n == MAX_OPTIONS) SHI_PANIC("stackheap %s: more than %d options", cmd, MAX_OPTIONS);
        longs[n] = (struct option){o->name, o->value ? required_argument : no_argument, NULL, o->key};
        if (o->key > 0 && o->key < 128) {
            shorts[s++] = (char)o->key;
            if (o->value) shorts[s++] = ':';
        }
    }
    longs[n] = (struct option){0};
    shorts[s] = 0;

    opterr = 0;    /* the messages are ours */
    optind = 0;    /* glibc: start afresh (a command may be parsed twice: `help run`) */
    int c;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        const char *typed = argv[optind - 1];
        if (c == '?') {
            if (optopt && optopt < 128)
                *ret_status = shi_cli_usage_error(cmd, "unknown option '-%c'", optopt);
            else
                *ret_status = shi_cli_usage_error(cmd, "unknown option '%s'", typed);
            return -1;
        }
        if (c == ':') {
            const shi_cli_option *o = find(opts, optopt);
            fprintf(stderr, "stackheap %s: %s needs %s\n", cmd, typed,
                    o && o->value ? o->value : "a value");
            *ret_status = SH_EXIT_USAGE;
            return -1;
        }
        int status = on_option(ctx, c, optarg);
        if (status >= 0) { *ret_status = status; return -1; }
    }
    if (optind > 1 && optind == argc && !strcmp(argv[optind - 1], "--")) {
        *ret_status = shi_cli_usage_error(cmd, "no program after '--'");
        return -1;
    }
    return optind;
}

bool shi_cli_number(const char *cmd, const char *opt, const char *v, unsigned long long max,
                    unsigned long long *ret) {
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno) {
        fprintf(stderr, "stackheap %s: %s needs a number, got '%s'\n", cmd, opt, v);
        return false;
    }
    if (n == 0 || n > max) {
        fprintf(stderr, "stackheap %s: %s needs a number from 1 to %llu, got '%s'\n", cmd, opt,
                max, v);
        return false;
    }
    *ret = n;
    return true;
}
