/*
 * tests/trace/test_tracer.c — the tracer keeps no state outside its own run: two traces in
 * one process, one after the other and at the same time (one thread each), give the same
 * JSON as each gives alone.
 */
#define _GNU_SOURCE
#include "check.h"
#include "trace/render/render.h"
#include "trace/engine/tracer.h"
#include "programs.h"

#include <pthread.h>

/* Recursion, so that every step walks many frames (the tracer's frame buffer fills). */
static const char deep_src[] =
    "int down(int n) {\n"
    "    int here = n * 3;\n"
    "    if (n == 0) return here;\n"
    "    return down(n - 1) + here;\n"
    "}\n"
    "int main(void) {\n"
    "    int total = 0;\n"
    "    for (int i = 0; i < 4; i++)\n"
    "        total += down(DEPTH);\n"
    "    return total == 0;\n"
    "}\n";

static char exe_a[256], exe_b[256];

static void build(void) {
    strcpy(exe_a, compile_program("deep_a", deep_src, "-O0 -DDEPTH=12"));
    strcpy(exe_b, compile_program("deep_b", deep_src, "-O0 -DDEPTH=7"));
}

/* The trace of exe as JSON text (malloc'd), and its number of steps. */
static char *trace_json(const char *exe, size_t *ret_steps) {
    char *argv[] = {(char *)exe, NULL}, err[256] = "";
    shi_tracer_info info;
    shi_trace *t = shi_tracer_run(argv, &(shi_tracer_opts){.max_steps = 5000}, &info, err,
                                  sizeof err);
    if (!t) fprintf(stderr, "trace %s: %s\n", exe, err);
    if (!t) return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (shi_render_json(t, f) != 0) text[0] = 0;
    fclose(f);
    *ret_steps = t->nsteps;
    shi_trace_free(t);
    return text;
}

SH_TEST(test_two_traces_one_after_the_other) {
    build();
    size_t na1 = 0, nb = 0, na2 = 0;
    char *a1 = trace_json(exe_a, &na1);
    char *b = trace_json(exe_b, &nb);
    char *a2 = trace_json(exe_a, &na2);
    CHECK(a1 && b && a2);
    CHECK(na1 > 100 && nb > 50 && na1 > nb);
    CHECK_EQ(na1, na2);
    CHECK(strcmp(a1, a2) == 0);   /* the second run of a is not changed by the first or b */
    CHECK(strcmp(a1, b) != 0);
    free(a1), free(b), free(a2);
    cleanup();
}

typedef struct job {
    const char *exe;
    char *json;
    size_t steps;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    j->json = trace_json(j->exe, &j->steps);
    return NULL;
}

SH_TEST(test_two_traces_at_once) {
    build();
    size_t na = 0, nb = 0;
    char *alone_a = trace_json(exe_a, &na);
    char *alone_b = trace_json(exe_b, &nb);
    CHECK(alone_a && alone_b);
    for (int round = 0; round < 3; round++) {
        job jobs[2] = {{exe_a, NULL, 0}, {exe_b, NULL, 0}};
        pthread_t th[2];
        for (int i = 0; i < 2; i++) CHECK(pthread_create(&th[i], NULL, run_job, &jobs[i]) == 0);
        for (int i = 0; i < 2; i++) CHECK(pthread_join(th[i], NULL) == 0);
        CHECK(jobs[0].json && jobs[1].json);
        CHECK_EQ(jobs[0].steps, na);
        CHECK_EQ(jobs[1].steps, nb);
        CHECK(strcmp(jobs[0].json, alone_a) == 0);
        CHECK(strcmp(jobs[1].json, alone_b) == 0);
        free(jobs[0].json), free(jobs[1].json);
    }
    free(alone_a), free(alone_b);
    cleanup();
}

int main(void) { return sh_test_main(); }
