/*
 * src/trace/api/api.h — what the public handles of include/stackheap/trace.h are inside.
 *
 * The API sits on top of the tracer, beside the command: it runs the engine, reads steps
 * through the model's cursors and writes with the renderers. Frames, variables, values,
 * blocks and events are the model's own structs behind opaque pointer types (a cast, no
 * copy), so reading costs nothing; only the trace and the step carry context of their own.
 */
#ifndef SH_TRACE_API_H
#define SH_TRACE_API_H

#include <stackheap/trace.h>

#include "trace/engine/tracer.h"
#include "trace/model/model.h"

struct sh_trace {
    shi_trace *t;              /* set when the run returns (during it: at each on_step) */
    shi_tracer_info info;
    sh_trace_step_fn on_step;  /* the caller's, called through a wrapper */
    char *note;                /* sh_trace_build_note's, made once */
    void *on_step_arg;
};

/* A step as a reader (or the on-step call) holds it: the model's step and the one before
 * (the text view names the blocks freed since), and the strings made for it on demand
 * (value texts, a title), freed when the step is left. */
struct sh_trace_step {
    const sh_trace *trace;
    const shi_step *s, *prev;
    char **texts;
    size_t ntexts, cap;
};

struct sh_trace_reader {
    struct sh_trace_step step;
    shi_cursor *c;
    bool at_step;              /* step holds a step (sh_trace_reader_step succeeded) */
};

/* Frees the strings made for the step and forgets it. */
void shi_api_step_leave(struct sh_trace_step *st);
/* Keeps `text` (malloc'd) until the step is left, and returns it. */
const char *shi_api_step_keep(const struct sh_trace_step *st, char *text);

#endif
