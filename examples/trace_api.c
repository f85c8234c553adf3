/*
 * examples/trace_api.c — the tracer as a library (include/stackheap/trace.h): traces a
 * program and prints each step's line, title and the variables of every frame, as the
 * diagram writes them.
 *
 *     $ build/examples/trace_api build/lesson/add
 *     step 0  line 15  main() called
 *       main: x = ?  y = ?  sum = ?
 *     ...
 *     step 3  line 22  add() called
 *       main: x = 5  y = 10  sum = ?
 *       add: a = 5  b = 10  result = ?
 *     ...
 *     step 6  line 17  add() returned 15
 *       main: x = 5  y = 10  sum = 15
 *     step 7  line 19  line 19
 *       main: x = 5  y = 10  sum = 15
 *       output: sum = 15
 *     step 8  line 19  main() returned
 *     exit code 0, 9 steps, no leaks
 *
 * It links libstackheap-trace.so and includes nothing but the public header.
 */
#include <stdio.h>

#include <stackheap/trace.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: trace_api ./prog [args...]   (a program built with -g -O0)\n");
        return 2;
    }
    char err[512];
    sh_trace *t = sh_trace_run(argv + 1, &SH_TRACE_OPTS(.max_steps = 1000), err, sizeof err);
    if (!t) {
        fprintf(stderr, "trace_api: %s\n", err);
        return 1;
    }
    sh_trace_reader *r = sh_trace_reader_new(t);
    for (size_t i = 0; i < sh_trace_nsteps(t); i++) {
        const sh_trace_step *s = sh_trace_reader_step(r, i);   /* valid until the next one */
        printf("step %zu  line %d  %s\n", i, sh_trace_step_line(s), sh_trace_step_title(s));
        for (size_t f = 0; f < sh_trace_step_nframes(s); f++) {
            const sh_trace_frame *fr = sh_trace_step_frame(s, f);
            printf("  %s:", sh_trace_frame_function(fr));
            for (size_t v = 0; v < sh_trace_frame_nvars(fr); v++) {
                const sh_trace_var *var = sh_trace_frame_var(fr, v);
                printf(" %s%s = %s", v ? " " : "", sh_trace_var_name(var),
                       sh_trace_value_text(s, sh_trace_var_value(var)));
            }
            printf("\n");
        }
        for (size_t e = 0; e < sh_trace_step_nevents(s); e++) {   /* what it printed */
            const sh_trace_event *ev = sh_trace_step_event(s, e);
            size_t len;
            const char *text = sh_trace_event_text(ev, &len);
            if (sh_trace_event_kind(ev) == SH_TRACE_EV_OUTPUT)
                printf("  output: %.*s%s", (int)len, text, len && text[len - 1] == '\n' ? "" : "\n");
        }
    }
    sh_trace_reader_free(r);
    size_t leaks = sh_trace_nleaks(t);
    printf("exit code %d, %zu steps, ", sh_trace_exit_code(t), sh_trace_nsteps(t));
    if (leaks) printf("%zu leaked block%s\n", leaks, leaks == 1 ? "" : "s");
    else printf("no leaks\n");
    sh_trace_free(t);
    return 0;
}
