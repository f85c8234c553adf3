/*
 * tests/cli/json_both.c — one traced run written in both versions of the JSON trace, for
 * tests/cli/json2_facts.py: two runs of a program may differ (a pid in its output, Rust's
 * random hash seeds, a thread's id in a panic), one run's trace cannot.
 *
 *     json_both V1.json V2.json [MAX_STEPS [STDIN]] -- ./prog args...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/engine/tracer.h"
#include "trace/render/render.h"

static int write_json(const shi_trace *t, const char *path, int version) {
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); return -1; }
    int rc = shi_render_json_version(t, f, version);
    if (fclose(f) != 0) rc = -1;
    return rc;
}

int main(int argc, char **argv) {
    int dash = 1;
    while (dash < argc && strcmp(argv[dash], "--") != 0) dash++;
    if (dash < 3 || dash + 1 >= argc) {
        fprintf(stderr, "usage: json_both V1.json V2.json [MAX_STEPS [STDIN]] -- ./prog args...\n");
        return 2;
    }
    shi_tracer_opts o = {.max_steps = dash > 3 ? strtoul(argv[3], NULL, 10) : 0,
                         .stdin_path = dash > 4 ? argv[4] : NULL};
    shi_tracer_info info;
    char err[512];
    shi_trace *t = shi_tracer_run(argv + dash + 1, &o, &info, err, sizeof err);
    if (!t) { fprintf(stderr, "json_both: %s\n", err); return 1; }
    int rc = write_json(t, argv[1], 1) == 0 && write_json(t, argv[2], 2) == 0 ? 0 : 1;
    shi_trace_free(t);
    return rc;
}
