/*
 * src/cli/run.c — `stackheap run [options] -- ./prog args…`: traces the program (src/trace/
 * tracer.c) and prints every step's Stack | Heap diagram and a summary, or writes the JSON
 * trace, the HTML lesson page or the Python Tutor export.
 *
 * Exit status: 0 when the program was traced to its end (whatever its own exit code, which
 * the summary gives), 1 when it could not be traced or --max-steps stopped it, 2 for usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "trace/render.h"
#include "trace/tracer.h"

static void usage(FILE *out) {
    fprintf(out, "usage: stackheap run [--json FILE] [--html FILE] [--pytutor FILE] "
                 "[--max-steps N] [--timeout SECONDS] [--stdin FILE] [--ascii] "
                 "-- ./prog [args...]\n"
                 "trace a program built with `cc -g -O0` line by line: its stack frames, "
                 "variables and heap blocks\n\n"
                 "  --json FILE      write the trace as JSON (docs/trace-json.md)\n"
                 "  --html FILE      write a lesson page: source and diagram, step by step "
                 "(docs/html.md)\n"
                 "  --pytutor FILE   write it for Online Python Tutor, as its C backend does "
                 "(its front end needs lang: 'c')\n"
                 "  --max-steps N    stop the program after N steps (default 10000)\n"
                 "  --timeout SECONDS  stop the program after SECONDS of CPU time without a "
                 "new step (default 60)\n"
                 "  --stdin FILE     the program reads this file as its stdin\n"
                 "  --ascii          draw with ASCII only\n"
                 "  -h, --help       this help\n\n"
                 "A value follows its option as --max-steps 5 or --max-steps=5.\n");
}

static int write_file(const char *path, const shi_trace *t,
                      int (*render)(const shi_trace *, FILE *)) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "stackheap run: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = render(t, f);
    if (fclose(f) != 0) rc = -1;
    if (rc != 0) fprintf(stderr, "stackheap run: writing %s failed\n", path);
    return rc;
}

typedef struct run_options {
    const char *json, *html, *pytutor, *stdin_path;
    bool ascii;
    size_t max_steps;
    unsigned timeout;
} run_options;

enum { OPT_JSON = 256, OPT_HTML, OPT_PYTUTOR, OPT_MAX_STEPS, OPT_TIMEOUT, OPT_STDIN, OPT_ASCII };

static const shi_cli_option run_options_table[] = {
    {"help", 'h', NULL},
    {"json", OPT_JSON, "a file name"},
    {"html", OPT_HTML, "a file name"},
    {"pytutor", OPT_PYTUTOR, "a file name"},
    {"max-steps", OPT_MAX_STEPS, "a number"},
    {"timeout", OPT_TIMEOUT, "a number of seconds"},
    {"stdin", OPT_STDIN, "a file name"},
    {"ascii", OPT_ASCII, NULL},
    {0},
};

static int on_option(void *ctx, int key, const char *v) {
    run_options *o = ctx;
    unsigned long long n;
    switch (key) {
    case 'h': usage(stdout); return SH_EXIT_OK;
    case OPT_JSON: o->json = v; break;
    case OPT_HTML: o->html = v; break;
    case OPT_PYTUTOR: o->pytutor = v; break;
    case OPT_STDIN: o->stdin_path = v; break;
    case OPT_ASCII: o->ascii = true; break;
    case OPT_MAX_STEPS:
        if (!shi_cli_number("run", "--max-steps", v, SIZE_MAX, &n)) return SH_EXIT_USAGE;
        o->max_steps = (size_t)n;
        break;
    case OPT_TIMEOUT:   /* a million seconds: eleven days, past any lesson's program */
        if (!shi_cli_number("run", "--timeout", v, 1000000, &n)) return SH_EXIT_USAGE;
        o->timeout = (unsigned)n;
        break;
    }
    return -1;
}

static int run_main(int argc, char **argv) {
    run_options o = {.max_steps = 10000, .timeout = SHI_TRACER_TIMEOUT};
    int status;
    int i = shi_cli_parse("run", argc, argv, run_options_table, on_option, &o, &status);
    if (i < 0) return status;
    if (i >= argc) {
        fprintf(stderr, "stackheap run: which program? (stackheap run -- ./prog args...)\n");
        return SH_EXIT_USAGE;
    }
    const char *json = o.json, *html = o.html, *pytutor = o.pytutor;
    size_t max_steps = o.max_steps;

    char err[512];
    shi_tracer_info info;
    shi_trace *t = shi_tracer_run(argv + i, &(shi_tracer_opts){.max_steps = max_steps,
                                  .stdin_path = o.stdin_path, .timeout = o.timeout},
                                  &info, err, sizeof err);
    if (!t) {
        fprintf(stderr, "stackheap run: %s\n", err);
        return SH_EXIT_FAIL;
    }
    if (info.opt_level[0])
        fprintf(stderr, "note: %s was compiled with %s: locals may be optimised out and lines "
                        "merged or reordered; for a full trace build it with -O0 -g\n",
                argv[i], info.opt_level);
    int rc = SH_EXIT_OK;
    if (json && write_file(json, t, shi_render_json) != 0) rc = SH_EXIT_FAIL;
    if (html && write_file(html, t, shi_render_html) != 0) rc = SH_EXIT_FAIL;
    if (pytutor && write_file(pytutor, t, shi_render_pytutor) != 0) rc = SH_EXIT_FAIL;
    if (!json && !html && !pytutor) {
        shi_render_opts ro = shi_render_opts_for(stdout);
        if (o.ascii) ro.utf8 = false;
        for (size_t k = 0; k < t->nsteps; k++) shi_render_text(t, &t->steps[k], stdout, &ro);
        shi_render_summary(t, stdout, &ro);
    }
    if (info.forks || info.threads)
        fprintf(json || html || pytutor ? stderr : stdout,
                "note: the program started %u child process%s and %u thread%s; only its "
                "main thread is traced\n", info.forks, info.forks == 1 ? "" : "es",
                info.threads, info.threads == 1 ? "" : "s");
    if (info.limit_reached) {
        fprintf(stderr, "stackheap run: stopped after %zu steps (--max-steps %zu); the "
                        "program did not finish\n", max_steps, max_steps);
        rc = SH_EXIT_FAIL;
    }
    shi_trace_free(t);
    return rc;
}

const shi_cli_command shi_cli_run_command = {
    "run", run_main, "a program's stack and heap, line by line", true};
