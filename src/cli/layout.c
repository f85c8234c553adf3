/*
 * src/cli/layout.c — `stackheap layout`: the lesson's "Process Memory Layout" with a real
 * process's addresses.
 *
 *     stackheap layout -- ./prog args   run it (ASLR off), stop once it has a heap, draw
 *     stackheap layout -p PID           a running process, as it is (it is not stopped)
 *     stackheap layout                  stackheap itself: the cheapest demo
 *
 * This file reads the options and picks the process; trace/engine/layout.c reads its mappings,
 * trace/engine/launch.c runs and stops a program, trace/render/render_layout.c draws.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "trace/engine/launch.h"
#include "trace/engine/layout.h"
#include "trace/render/render.h"

typedef struct options {
    bool json, ascii;
    pid_t pid;              /* -p; 0: none */
    char **program;         /* after `--` (or the first word that is not an option) */
    shi_stop_at stop;
} options;

static void usage(FILE *out) {
    fprintf(out,
        "usage: stackheap layout [options] [-- ./prog [args...]]\n"
        "       stackheap layout [options] -p PID\n\n"
        "The process memory layout (stack, free space, libraries, heap, static data,\n"
        "code) with real addresses, high addresses at the top. With a program: runs it\n"
        "with ASLR off (addresses repeat from run to run), stops it, draws it, kills it.\n"
        "With no program and no -p: the layout of stackheap itself.\n\n"
        "options:\n"
        "  -p, --pid PID   a running process, read from /proc/PID/maps (not stopped)\n"
        "  --stop WHEN     when to stop the program: main (the heap may not exist yet),\n"
        "                  heap (default: once malloc has made the [heap], or at exit\n"
        "                  if it never does), exit (everything it ever mapped)\n"
        "  --json          the regions as JSON: [{\"name\",\"kind\",\"start\",\"end\",\"size\",\n"
        "                  \"perms\",\"path\"}], ascending addresses (docs/cli.md)\n"
        "  --ascii         ASCII only (also when the locale is not UTF-8)\n"
        "  -h, --help      this help\n\n"
        "A value follows its option as --stop main or --stop=main (-p 12 or -p12).\n"
        "Colour only on a terminal, never with NO_COLOR set.\n");
}

enum { OPT_STOP = 256, OPT_JSON, OPT_ASCII };

/* in the order of shi_stop_at */
static const char *const stop_names[] = {"main", "heap", "exit", NULL};

static const shi_cli_option layout_options[] = {
    {"help", 'h', SHI_CLI_FLAG, NULL, 0, NULL},
    {"pid", 'p', SHI_CLI_NUMBER, "a process id", 0x7fffffff, NULL},
    {"stop", OPT_STOP, SHI_CLI_CHOICE, "main, heap or exit", 0, stop_names},
    {"json", OPT_JSON, SHI_CLI_FLAG, NULL, 0, NULL},
    {"ascii", OPT_ASCII, SHI_CLI_FLAG, NULL, 0, NULL},
    {0},
};

static int on_option(void *ctx, int key, const shi_cli_value *v) {
    options *o = ctx;
    switch (key) {
    case 'h': usage(stdout); return SH_EXIT_OK;
    case 'p': o->pid = (pid_t)v->number; break;
    case OPT_STOP: o->stop = (shi_stop_at)v->choice; break;
    case OPT_JSON: o->json = true; break;
    case OPT_ASCII: o->ascii = true; break;
    }
    return -1;
}

/* -1: go on; else the exit status (help printed, or a usage error explained). */
static int parse_options(int argc, char **argv, options *o) {
    int status;
    int at = shi_cli_parse("layout", argc, argv, layout_options, on_option, o, &status);
    if (at < 0) return status;
    if (at < argc) o->program = &argv[at];   /* `stackheap layout ./prog` reads as with `--` */
    if (o->program && o->pid)
        return shi_cli_usage_error("layout", "give a program or -p PID, not both");
    return -1;
}

static int explain_read_error(pid_t pid, int err) {
    if (err == ESRCH)
        fprintf(stderr, "stackheap layout: no process with PID %d (ps lists the running ones)\n",
                (int)pid);
    else if (err == EACCES || err == EPERM)
        fprintf(stderr, "stackheap layout: cannot read /proc/%d/maps: permission denied "
                        "(the process is another user's: run as that user or as root)\n", (int)pid);
    else if (err == ENODATA)
        fprintf(stderr, "stackheap layout: process %d has no memory to draw "
                        "(a zombie, or a kernel thread)\n", (int)pid);
    else
        fprintf(stderr, "stackheap layout: cannot read /proc/%d/maps: %s\n", (int)pid,
                strerror(err));
    return SH_EXIT_FAIL;
}

static int show(const options *o, pid_t pid, const char *title, const char *note) {
    shi_layout l;
    if (shi_layout_read(pid, &l) != 0) return explain_read_error(pid, errno);
    if (o->json) {
        shi_render_layout_json(&l, stdout);
    } else {
        shi_render_opts ro = shi_render_opts_for(stdout);   /* the locale and the terminal */
        shi_layout_draw_opts d = {
            .ascii = o->ascii || !ro.utf8,
            .colour = ro.color,
            .title = title,
            .note = note,
        };
        shi_render_layout(&l, &d, stdout);
    }
    shi_layout_free(&l);
    fflush(stdout);
    return SH_EXIT_OK;
}

static int show_program(const options *o) {
    shi_launch run;
    char err[512];
    if (shi_launch_run(o->program, o->stop, &run, err, sizeof err) != 0) {
        fprintf(stderr, "stackheap layout: %s\n", err);
        return SH_EXIT_FAIL;
    }
    char title[512];
    snprintf(title, sizeof title, "%s (pid %d, stopped %s)", o->program[0], (int)run.pid,
             run.stopped);
    int status = show(o, run.pid, title, run.aslr_off
        ? "ASLR is off for it, so the addresses repeat from run to run."
        : "ASLR could not be turned off: the addresses change from run to run.");
    shi_launch_end(&run);
    return status;
}

static int show_pid(const options *o) {
    char link[64], exe[256] = "?", title[400];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)o->pid);
    ssize_t n = readlink(link, exe, sizeof exe - 1);
    if (n > 0) exe[n] = 0;
    snprintf(title, sizeof title, "pid %d, %s (running)", (int)o->pid, exe);
    return show(o, o->pid, title, NULL);
}

static int layout_main(int argc, char **argv) {
    options o = {.stop = SHI_STOP_HEAP};
    int status = parse_options(argc, argv, &o);
    if (status >= 0) return status;
    if (o.program) return show_program(&o);
    if (o.pid) return show_pid(&o);
    char title[64];
    snprintf(title, sizeof title, "stackheap itself (pid %d)", (int)getpid());
    return show(&o, getpid(), title,
                "This is stackheap's own process; stackheap layout -- ./prog draws a program's.");
}

const shi_cli_command shi_cli_layout_command = {
    "layout", layout_main, "the process memory layout: stack, heap, static, code, real addresses",
    true};
