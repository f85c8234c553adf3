/*
 * src/cli/options.c — the one option parser of every command: getopt_long over a table,
 * with the same messages everywhere. `--max-steps=5`, `--max-steps 5`, `-p12` and `-p 12`
 * all work; parsing stops at `--` or at the first word that is not an option, since what
 * follows is the program and its own options (the "+" of the getopt string).
 *
 * A value is checked here against its option's kind (cli.h), so a command receives only
 * good values and no command words a bad one itself. Every usage error has one shape:
 *
 *     stackheap run: --max-steps needs a number, got 'x'; see stackheap run --help
 *     stackheap run: --json needs a file name; see stackheap run --help
 *     stackheap run: --ascii takes no value, got '--ascii=1'; see stackheap run --help
 *     stackheap run: '--j' could be --json or --json-version; see stackheap run --help
 *     stackheap run: unknown option '--frob'; see stackheap run --help
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
    const char *space = cmd ? " " : "";
    cmd = cmd ? cmd : "";
    fprintf(stderr, "stackheap%s%s: ", space, cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "; see stackheap%s%s --help\n", space, cmd);
    va_end(ap);
    return SH_EXIT_USAGE;
}

/* The option as the user wrote it, in its whole name: "--max-steps" for --max-s=5, "-p"
 * for -p12. */
static void option_name(const shi_cli_option *o, bool is_long, char *buf, size_t len) {
    if (is_long || o->key <= 0 || o->key >= 128) snprintf(buf, len, "--%s", o->name);
    else snprintf(buf, len, "-%c", o->key);
}

/* `--j`: glibc's getopt_long returns '?' for an ambiguous prefix as for an unknown word; the
 * table tells the two apart, and names the candidates. */
static bool ambiguous(const char *cmd, const shi_cli_option *opts, const char *typed,
                      int *ret_status) {
    if (strncmp(typed, "--", 2) != 0) return false;
    const char *name = typed + 2;
    size_t len = strcspn(name, "=");
    const shi_cli_option *match[MAX_OPTIONS];
    size_t n = 0;
    for (const shi_cli_option *o = opts; o->name; o++) {
        if (strlen(o->name) == len && !strncmp(o->name, name, len)) return false;   /* exact */
        if (!strncmp(o->name, name, len) && len > 0) match[n++] = o;
    }
    if (n < 2) return false;
    fprintf(stderr, "stackheap %s: '%.*s' could be ", cmd, (int)(len + 2), typed);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s--%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", match[i]->name);
    fprintf(stderr, "; see stackheap %s --help\n", cmd);
    *ret_status = SH_EXIT_USAGE;
    return true;
}

/* The value of option `o` checked against its kind into *ret; false after the message. */
static bool check_value(const char *cmd, const shi_cli_option *o, const char *opt,
                        const char *v, shi_cli_value *ret) {
    *ret = (shi_cli_value){.text = v, .choice = -1};
    switch (o->kind) {
    case SHI_CLI_FLAG:
        return true;
    case SHI_CLI_TEXT:
        if (*v) return true;
        break;
    case SHI_CLI_NUMBER: {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno) break;
        if (n == 0 || n > o->max) {
            shi_cli_usage_error(cmd, "%s needs %s from 1 to %llu, got '%s'", opt, o->value,
                                o->max, v);
            return false;
        }
        ret->number = n;
        return true;
    }
    case SHI_CLI_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            if (!strcmp(v, o->choices[i])) { ret->choice = i; return true; }
        break;
    }
    shi_cli_usage_error(cmd, "%s needs %s, got '%s'", opt, o->value, v);
    return false;
}

int shi_cli_parse(const char *cmd, int argc, char **argv, const shi_cli_option *opts,
                  int (*on_option)(void *ctx, int key, const shi_cli_value *v), void *ctx,
                  int *ret_status) {
    struct option longs[MAX_OPTIONS + 1];
    char shorts[2 + 2 * MAX_OPTIONS + 1] = "+:";   /* stop at the program; ':' for a missing value */
    size_t n = 0, s = 2;
    for (const shi_cli_option *o = opts; o->name; o++, n++) {
        if (n == MAX_OPTIONS) SHI_PANIC("stackheap %s: more than %d options", cmd, MAX_OPTIONS);
        bool takes = o->kind != SHI_CLI_FLAG;
        longs[n] = (struct option){o->name, takes ? required_argument : no_argument, NULL, o->key};
        if (o->key > 0 && o->key < 128) {
            shorts[s++] = (char)o->key;
            if (takes) shorts[s++] = ':';
        }
    }
    longs[n] = (struct option){0};
    shorts[s] = 0;

    opterr = 0;    /* the messages are ours */
    optind = 0;    /* glibc: start afresh (a command may be parsed twice: `help run`) */
    int c, longindex;
    char opt[64];
    while ((longindex = -1, c = getopt_long(argc, argv, shorts, longs, &longindex)) != -1) {
        const char *typed = argv[optind - 1];
        const shi_cli_option *o = find(opts, c == '?' || c == ':' ? optopt : c);
        bool is_long = longindex >= 0 || !strncmp(typed, "--", 2);
        if (c == '?' && o && is_long && strchr(typed, '=')) {   /* --ascii=1 */
            option_name(o, true, opt, sizeof opt);
            *ret_status = shi_cli_usage_error(cmd, "%s takes no value, got '%s'", opt, typed);
            return -1;
        }
        if (c == '?') {
            if (ambiguous(cmd, opts, typed, ret_status)) return -1;
            if (!is_long && optopt > 0 && optopt < 128)
                *ret_status = shi_cli_usage_error(cmd, "unknown option '-%c'", optopt);
            else
                *ret_status = shi_cli_usage_error(cmd, "unknown option '%s'", typed);
            return -1;
        }
        if (!o) SHI_PANIC("stackheap %s: getopt_long returned %d", cmd, c);
        option_name(o, is_long, opt, sizeof opt);
        if (c == ':') {
            *ret_status = shi_cli_usage_error(cmd, "%s needs %s", opt, o->value);
            return -1;
        }
        shi_cli_value v;
        if (!check_value(cmd, o, opt, optarg ? optarg : "", &v)) {
            *ret_status = SH_EXIT_USAGE;
            return -1;
        }
        int status = on_option(ctx, c, &v);
        if (status >= 0) { *ret_status = status; return -1; }
    }
    if (optind > 1 && optind == argc && !strcmp(argv[optind - 1], "--")) {
        *ret_status = shi_cli_usage_error(cmd, "no program after '--'");
        return -1;
    }
    return optind;
}
