/*
 * tests/pkg/consumer/trace_user.c PROG — the tracer from an installed stackheap
 * (stackheap-trace.pc, stackheap::trace): traces PROG and prints its exit code and whether
 * it took any steps.
 */
#include <stdio.h>

#include <stackheap/trace.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    char err[512];
    sh_trace *t = sh_trace_run(argv + 1, &SH_TRACE_OPTS(.max_steps = 100), err, sizeof err);
    if (!t) {
        fprintf(stderr, "trace_user: %s\n", err);
        return 1;
    }
    printf("traced: exit code %d, steps %s\n", sh_trace_exit_code(t),
           sh_trace_nsteps(t) > 0 ? "yes" : "none");
    sh_trace_free(t);
    return 0;
}
