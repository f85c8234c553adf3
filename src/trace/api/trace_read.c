/*
 * src/trace/api/trace_read.c — reading a trace's steps (include/stackheap/trace.h): the
 * reader over the model's cursor, and the accessors of steps, frames, variables, values,
 * blocks and events. Handles below the step are the model's structs themselves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/panic.h"
#include "trace/api/api.h"
#include "trace/model/text.h"

#define NEED(h) do { if (!(h)) SHI_PANIC("%s: NULL handle", __func__); } while (0)
#define IN_BOUNDS(i, n)                                                                    \
    do { if ((i) >= (n))                                                                   \
        SHI_PANIC("%s: index out of bounds: the len is %zu but the index is %zu", __func__, \
                  (size_t)(n), (size_t)(i)); } while (0)

/* Handles and the model's structs they stand for. */
#define STEP(h) ((h)->s)
#define FRAME(h) ((const shi_frame *)(h))
#define VAR(h) ((const shi_var *)(h))
#define VALUE(h) ((const shi_value *)(h))
#define BLOCK(h) ((const shi_block *)(h))
#define EVENT(h) ((const shi_event *)(h))

/* ---- the step's own strings -------------------------------------------------------------- */

const char *shi_api_step_keep(const struct sh_trace_step *cst, char *text) {
    struct sh_trace_step *st = (struct sh_trace_step *)cst;   /* its owner's, not const */
    SHI_GROW(st->texts, st->cap, st->ntexts + 1);
    st->texts[st->ntexts++] = text;
    return text;
}

void shi_api_step_leave(struct sh_trace_step *st) {
    for (size_t i = 0; i < st->ntexts; i++) free(st->texts[i]);
    st->ntexts = 0;
    st->s = st->prev = NULL;
}

/* ---- the reader -------------------------------------------------------------------------- */

sh_trace_reader *sh_trace_reader_new(const sh_trace *t) {
    NEED(t);
    sh_trace_reader *r = calloc(1, sizeof *r);
    if (!r) SHI_PANIC("trace: out of memory");
    r->step.trace = t;
    r->c = shi_cursor_new(t->t);
    return r;
}

void sh_trace_reader_free(sh_trace_reader *r) {
    if (!r) return;
    shi_api_step_leave(&r->step);
    free(r->step.texts);
    shi_cursor_free(r->c);
    free(r);
}

const sh_trace_step *sh_trace_reader_step(sh_trace_reader *r, size_t i) {
    NEED(r);
    shi_api_step_leave(&r->step);
    if (i >= r->step.trace->t->nsteps) {
        errno = ERANGE;
        return NULL;
    }
    r->step.s = shi_cursor_step(r->c, i);
    r->step.prev = shi_cursor_prev(r->c);
    return &r->step;
}

/* ---- steps ------------------------------------------------------------------------------- */

size_t sh_trace_step_index(const sh_trace_step *s) { NEED(s); return STEP(s)->index; }
const char *sh_trace_step_file(const sh_trace_step *s) { NEED(s); return STEP(s)->file; }
int sh_trace_step_line(const sh_trace_step *s) { NEED(s); return STEP(s)->line; }

const char *sh_trace_step_title(const sh_trace_step *s) {
    NEED(s);
    /* narrated steps have one; any other gets the words its events give */
    return STEP(s)->title ? STEP(s)->title : shi_api_step_keep(s, shi_step_title(STEP(s)));
}

size_t sh_trace_step_nframes(const sh_trace_step *s) { NEED(s); return STEP(s)->nframes; }
size_t sh_trace_step_depth(const sh_trace_step *s) { NEED(s); return STEP(s)->depth; }

const sh_trace_frame *sh_trace_step_frame(const sh_trace_step *s, size_t i) {
    NEED(s);
    IN_BOUNDS(i, STEP(s)->nframes);
    return (const sh_trace_frame *)&STEP(s)->frames[i];
}

size_t sh_trace_step_nstatics(const sh_trace_step *s) { NEED(s); return STEP(s)->statics.nvars; }

const sh_trace_var *sh_trace_step_static(const sh_trace_step *s, size_t i) {
    NEED(s);
    IN_BOUNDS(i, STEP(s)->statics.nvars);
    return (const sh_trace_var *)&STEP(s)->statics.vars[i];
}

size_t sh_trace_step_nblocks(const sh_trace_step *s) { NEED(s); return STEP(s)->nblocks; }

const sh_trace_block *sh_trace_step_block(const sh_trace_step *s, size_t i) {
    NEED(s);
    IN_BOUNDS(i, STEP(s)->nblocks);
    return (const sh_trace_block *)&STEP(s)->blocks[i];
}

size_t sh_trace_step_nevents(const sh_trace_step *s) { NEED(s); return STEP(s)->nevents; }

const sh_trace_event *sh_trace_step_event(const sh_trace_step *s, size_t i) {
    NEED(s);
    IN_BOUNDS(i, STEP(s)->nevents);
    return (const sh_trace_event *)&STEP(s)->events[i];
}

/* ---- frames and variables ---------------------------------------------------------------- */

const char *sh_trace_frame_function(const sh_trace_frame *f) { NEED(f); return FRAME(f)->function; }
const char *sh_trace_frame_file(const sh_trace_frame *f) { NEED(f); return FRAME(f)->file; }
int sh_trace_frame_line(const sh_trace_frame *f) { NEED(f); return FRAME(f)->line; }
size_t sh_trace_frame_nvars(const sh_trace_frame *f) { NEED(f); return FRAME(f)->nvars; }

const sh_trace_var *sh_trace_frame_var(const sh_trace_frame *f, size_t i) {
    NEED(f);
    IN_BOUNDS(i, FRAME(f)->nvars);
    return (const sh_trace_var *)&FRAME(f)->vars[i];
}

const char *sh_trace_var_name(const sh_trace_var *v) { NEED(v); return VAR(v)->name; }
const char *sh_trace_var_type(const sh_trace_var *v) { NEED(v); return VAR(v)->type; }
uint64_t sh_trace_var_addr(const sh_trace_var *v) { NEED(v); return VAR(v)->addr; }
size_t sh_trace_var_size(const sh_trace_var *v) { NEED(v); return VAR(v)->size; }
bool sh_trace_var_is_param(const sh_trace_var *v) { NEED(v); return VAR(v)->is_param; }
bool sh_trace_var_changed(const sh_trace_var *v) { NEED(v); return VAR(v)->changed; }

const sh_trace_value *sh_trace_var_value(const sh_trace_var *v) {
    NEED(v);
    return (const sh_trace_value *)&VAR(v)->value;
}

/* ---- values ------------------------------------------------------------------------------ */

/* Keyed by the model's kinds, so a change of their order does not change the public ones. */
static const sh_trace_kind kinds[] = {
    [SHI_VAL_UNINIT] = SH_TRACE_UNINIT,     [SHI_VAL_INT] = SH_TRACE_INT,
    [SHI_VAL_UINT] = SH_TRACE_UINT,         [SHI_VAL_FLOAT] = SH_TRACE_FLOAT,
    [SHI_VAL_BOOL] = SH_TRACE_BOOL,         [SHI_VAL_CHAR] = SH_TRACE_CHAR,
    [SHI_VAL_POINTER] = SH_TRACE_POINTER,   [SHI_VAL_STRUCT] = SH_TRACE_STRUCT,
    [SHI_VAL_ARRAY] = SH_TRACE_ARRAY,       [SHI_VAL_OWNED] = SH_TRACE_OWNED,
    [SHI_VAL_UNREADABLE] = SH_TRACE_UNREADABLE,
};

sh_trace_kind sh_trace_value_kind(const sh_trace_value *v) {
    NEED(v);
    size_t k = (size_t)VALUE(v)->kind;
    if (k >= sizeof kinds / sizeof kinds[0]) SHI_PANIC("%s: unknown kind %zu", __func__, k);
    return kinds[k];
}

const char *sh_trace_value_type(const sh_trace_value *v) { NEED(v); return VALUE(v)->type; }

const char *sh_trace_value_text(const sh_trace_step *s, const sh_trace_value *v) {
    NEED(s);
    NEED(v);
    return shi_api_step_keep(s, shi_value_text_in(VALUE(v), s->trace->t->language));
}

int64_t sh_trace_value_int(const sh_trace_value *v) {
    NEED(v);
    const shi_value *x = VALUE(v);
    switch (x->kind) {
    case SHI_VAL_INT: case SHI_VAL_CHAR: return x->i;
    case SHI_VAL_BOOL: return x->b;
    case SHI_VAL_UINT: return (int64_t)x->u;
    case SHI_VAL_FLOAT: return (int64_t)x->f;
    default: return 0;
    }
}

uint64_t sh_trace_value_uint(const sh_trace_value *v) {
    NEED(v);
    const shi_value *x = VALUE(v);
    switch (x->kind) {
    case SHI_VAL_UINT: return x->u;
    case SHI_VAL_INT: case SHI_VAL_CHAR: return (uint64_t)x->i;
    case SHI_VAL_BOOL: return x->b;
    case SHI_VAL_FLOAT: return (uint64_t)x->f;
    default: return 0;
    }
}

double sh_trace_value_float(const sh_trace_value *v) {
    NEED(v);
    const shi_value *x = VALUE(v);
    switch (x->kind) {
    case SHI_VAL_FLOAT: return x->f;
    case SHI_VAL_INT: case SHI_VAL_CHAR: return (double)x->i;
    case SHI_VAL_BOOL: return x->b;
    case SHI_VAL_UINT: return (double)x->u;
    default: return 0;
    }
}

uint64_t sh_trace_value_addr(const sh_trace_value *v) {
    NEED(v);
    const shi_value *x = VALUE(v);
    return x->kind == SHI_VAL_POINTER ? x->addr : x->kind == SHI_VAL_OWNED ? x->owned.ptr : 0;
}

const sh_trace_block *sh_trace_value_target(const sh_trace_step *s, const sh_trace_value *v) {
    NEED(s);
    NEED(v);
    const shi_value *x = VALUE(v);
    if (x->kind != SHI_VAL_POINTER && x->kind != SHI_VAL_OWNED) return NULL;
    if (x->target_block < 0 || (uint64_t)x->target_block >= STEP(s)->nblocks) return NULL;
    return (const sh_trace_block *)&STEP(s)->blocks[x->target_block];
}

uint64_t sh_trace_value_len(const sh_trace_value *v) {
    NEED(v);
    return VALUE(v)->kind == SHI_VAL_OWNED ? VALUE(v)->owned.len : 0;
}

uint64_t sh_trace_value_cap(const sh_trace_value *v) {
    NEED(v);
    return VALUE(v)->kind == SHI_VAL_OWNED ? VALUE(v)->owned.cap : 0;
}

size_t sh_trace_value_nfields(const sh_trace_value *v) { NEED(v); return VALUE(v)->nfields; }
size_t sh_trace_value_truncated(const sh_trace_value *v) { NEED(v); return VALUE(v)->truncated; }

const sh_trace_value *sh_trace_value_field(const sh_trace_value *v, size_t i) {
    NEED(v);
    IN_BOUNDS(i, VALUE(v)->nfields);
    return (const sh_trace_value *)VALUE(v)->fields[i].value;
}

const char *sh_trace_value_field_name(const sh_trace_value *v, size_t i) {
    NEED(v);
    IN_BOUNDS(i, VALUE(v)->nfields);
    return VALUE(v)->fields[i].name;
}

/* ---- blocks ------------------------------------------------------------------------------ */

uint64_t sh_trace_block_id(const sh_trace_block *b) { NEED(b); return BLOCK(b)->id; }
uint64_t sh_trace_block_addr(const sh_trace_block *b) { NEED(b); return BLOCK(b)->addr; }
size_t sh_trace_block_size(const sh_trace_block *b) { NEED(b); return BLOCK(b)->size; }
const char *sh_trace_block_type(const sh_trace_block *b) { NEED(b); return BLOCK(b)->type; }
const char *sh_trace_block_owner(const sh_trace_block *b) { NEED(b); return BLOCK(b)->owner; }
const char *sh_trace_block_alloc_file(const sh_trace_block *b) { NEED(b); return BLOCK(b)->alloc_file; }
int sh_trace_block_alloc_line(const sh_trace_block *b) { NEED(b); return BLOCK(b)->alloc_line; }

const sh_trace_value *sh_trace_block_value(const sh_trace_block *b) {
    NEED(b);
    return (const sh_trace_value *)&BLOCK(b)->value;
}

const unsigned char *sh_trace_block_bytes(const sh_trace_block *b, size_t *ret_len) {
    NEED(b);
    NEED(ret_len);
    *ret_len = BLOCK(b)->nbytes;
    return BLOCK(b)->bytes;
}

/* ---- events ------------------------------------------------------------------------------ */

static const sh_trace_ev event_kinds[] = {
    [SHI_EV_CALL] = SH_TRACE_EV_CALL,       [SHI_EV_LINE] = SH_TRACE_EV_LINE,
    [SHI_EV_RETURN] = SH_TRACE_EV_RETURN,   [SHI_EV_ALLOC] = SH_TRACE_EV_ALLOC,
    [SHI_EV_FREE] = SH_TRACE_EV_FREE,       [SHI_EV_REALLOC] = SH_TRACE_EV_REALLOC,
    [SHI_EV_DROP] = SH_TRACE_EV_DROP,       [SHI_EV_EXIT] = SH_TRACE_EV_EXIT,
    [SHI_EV_SIGNAL] = SH_TRACE_EV_SIGNAL,   [SHI_EV_OUTPUT] = SH_TRACE_EV_OUTPUT,
    [SHI_EV_LIMIT] = SH_TRACE_EV_LIMIT,
};

sh_trace_ev sh_trace_event_kind(const sh_trace_event *e) {
    NEED(e);
    size_t k = (size_t)EVENT(e)->kind;
    if (k >= sizeof event_kinds / sizeof event_kinds[0])
        SHI_PANIC("%s: unknown kind %zu", __func__, k);
    return event_kinds[k];
}

const char *sh_trace_event_function(const sh_trace_event *e) {
    NEED(e);
    shi_event_kind k = EVENT(e)->kind;
    return k == SHI_EV_CALL || k == SHI_EV_RETURN || k == SHI_EV_DROP ? EVENT(e)->function : NULL;
}

static bool is_heap_event(const shi_event *e) {
    return e->kind == SHI_EV_ALLOC || e->kind == SHI_EV_FREE || e->kind == SHI_EV_REALLOC;
}

uint64_t sh_trace_event_block_id(const sh_trace_event *e) {
    NEED(e);
    return is_heap_event(EVENT(e)) ? EVENT(e)->block_id : 0;
}

size_t sh_trace_event_size(const sh_trace_event *e) {
    NEED(e);
    return is_heap_event(EVENT(e)) ? EVENT(e)->size : 0;
}

bool sh_trace_event_value(const sh_trace_event *e, int64_t *ret_value) {
    NEED(e);
    NEED(ret_value);
    const shi_event *x = EVENT(e);
    bool has = x->kind == SHI_EV_EXIT ||
               ((x->kind == SHI_EV_RETURN || x->kind == SHI_EV_SIGNAL) && x->has_value);
    *ret_value = !has ? 0 : x->is_float ? (int64_t)x->fvalue : x->value;
    return has;
}

const char *sh_trace_event_text(const sh_trace_event *e, size_t *ret_len) {
    NEED(e);
    const shi_event *x = EVENT(e);
    bool has = x->text && (x->kind == SHI_EV_OUTPUT || x->kind == SHI_EV_SIGNAL ||
                           x->kind == SHI_EV_LIMIT);
    if (ret_len)
        *ret_len = !has ? 0 : x->text_len ? x->text_len : strlen(x->text);
    return has ? x->text : NULL;
}
