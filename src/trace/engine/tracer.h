/*
 * src/trace/engine/tracer.h — runs a program and records its trace: one step per new source line
 * of the user's code (or new frame), each with the whole stack (frames from the rbp chain,
 * variables from DWARF) and the live heap blocks the user's code allocated.
 *
 *     char err[256]; shi_tracer_info info;
 *     shi_trace *t = shi_tracer_run(argv, &(shi_tracer_opts){.max_steps = 10000}, &info,
 *                                   err, sizeof err);
 *     if (!t) { fprintf(stderr, "stackheap run: %s\n", err); return 1; }
 *     shi_trace_free(t);
 *
 * MVP scope: C programs built with `cc -g -O0` (frame pointers kept). The tracee is always
 * killed and reaped before shi_tracer_run returns. While it runs, opts.on_step gets each
 * step as it is final (the text view streams), a watchdog thread kills a program that
 * runs opts.timeout CPU seconds without a new step or when *opts.interrupt turns nonzero;
 * the trace so far is returned then, ending with a limit event.
 */
#ifndef SH_TRACE_TRACER_H
#define SH_TRACE_TRACER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "trace/model/model.h"

/* A step handed over as soon as it is final (narrated, its events in), while the program
 * waits: a prompt the program wrote before reading its stdin is in the step handed over
 * before it reads. Only the trace's last step can gain events later (the exit, a signal,
 * a limit, an interruption), when the run ends on it. */
typedef void (*shi_step_fn)(void *arg, const shi_trace *t, size_t index);

enum { SHI_TRACER_TIMEOUT = 60 };   /* seconds, the default of shi_tracer_opts.timeout */

typedef struct shi_tracer_opts {
    size_t max_steps;         /* 0 means 10000 */
    const char *stdin_path;   /* the program's stdin; NULL: inherited */
    shi_step_fn on_step;      /* NULL: none (the trace is there when the run returns) */
    void *on_step_arg;
    unsigned timeout;         /* the program is killed after this many seconds of CPU time
                                 without a new step (a loop in code without -g); 0 means
                                 SHI_TRACER_TIMEOUT. CPU time, so a program waiting for its
                                 input waits as long as it likes */
    const volatile sig_atomic_t *interrupt;   /* when it turns nonzero (a signal number, set
                                 by the caller's SIGINT handler), the program is killed and
                                 the trace so far returned; NULL: none */
} shi_tracer_opts;

typedef struct shi_tracer_info {
    bool limit_reached;       /* stopped by max_steps: the trace ends with a limit event */
    unsigned forks, threads;  /* children and threads started (only the main thread traced) */
    bool exec_seen;           /* the program exec'd another one: tracing stopped there */
    bool timed_out;           /* killed by the timeout: the trace ends with a limit event */
    int interrupted;          /* the signal in *interrupt that stopped the run, or 0 */
    char opt_level[16];       /* built with this -O flag ("-O2"), or "optimised" (the level
                                 unknown: clang, rustc); "" for -O0 */
} shi_tracer_info;

/* Traces argv[0] with argv. NULL with a message in err when the program cannot be read
 * (no such file, not ELF, no debug information: "compile with -g") or started. */
shi_trace *shi_tracer_run(char *const argv[], const shi_tracer_opts *o,
                          shi_tracer_info *ret_info, char *err, size_t errlen);

#endif
