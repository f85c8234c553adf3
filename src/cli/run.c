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
                 "[--max-steps N] [--stdin FILE] [--ascii] -- ./prog [args...]\n"
                 "trace a program built with `cc -g -O0` line by line: its stack frames, "
                 "variables and heap blocks\n\n"
                 "  --json FILE      write the trace as JSON (docs/trace-json.md)\n"
                 "  --html FILE      write a lesson page: source and diagram, step by step "
                 "(docs/html.md)\n"
                 "  --pytutor FILE   write it for Online Python Tutor, as its C backend does "
                 "(its front end needs lang: 'c')\n"
                 "  --max-steps N    stop the program after N steps (default 10000)\n"
                 "  --stdin FILE     the program reads this file as its stdin\n"
                 "  --ascii          draw with ASCII only\n");
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

static int run_main(int argc, char **argv) {
    const char *json = NULL, *html = NULL, *pytutor = NULL, *stdin_path = NULL;
    bool ascii = false;
    size_t max_steps = 10000;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return SH_EXIT_OK; }
        if (!strcmp(a, "--ascii")) { ascii = true; continue; }
        if (a[0] != '-') break;   /* the program, without -- */
        bool takes = !strcmp(a, "--json") || !strcmp(a, "--html") || !strcmp(a, "--pytutor") ||
                     !strcmp(a, "--max-steps") || !strcmp(a, "--stdin");
        if (!takes) {
            fprintf(stderr, "stackheap run: unknown option '%s'\n", a);
            usage(stderr);
            return SH_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "stackheap run: %s needs a value\n", a);
            return SH_EXIT_USAGE;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--json")) json = v;
        else if (!strcmp(a, "--html")) html = v;
        else if (!strcmp(a, "--pytutor")) pytutor = v;
        else if (!strcmp(a, "--stdin")) stdin_path = v;
        else {
            char *end;
            unsigned long long n = strtoull(v, &end, 10);
            if (*v < '0' || *v > '9' || *end || n == 0) {
                fprintf(stderr, "stackheap run: --max-steps wants a positive number, not '%s'\n", v);
                return SH_EXIT_USAGE;
            }
            max_steps = (size_t)n;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "stackheap run: which program? (stackheap run -- ./prog args...)\n");
        return SH_EXIT_USAGE;
    }

    char err[512];
    shi_tracer_info info;
    shi_trace *t = shi_tracer_run(argv + i, &(shi_tracer_opts){.max_steps = max_steps,
                                  .stdin_path = stdin_path}, &info, err, sizeof err);
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
        shi_render_opts o = shi_render_opts_for(stdout);
        if (ascii) o.utf8 = false;
        for (size_t k = 0; k < t->nsteps; k++) shi_render_text(t, &t->steps[k], stdout, &o);
        shi_render_summary(t, stdout, &o);
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
