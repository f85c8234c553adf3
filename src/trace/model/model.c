/*
 * src/trace/model/model.c — building and freeing a trace (see model.h).
 *
 * Every array grows by doubling; every string is copied in. The tracer is an ordinary
 * program, so this uses the C library's malloc: running out of memory while recording a
 * trace is not something the tracer can recover from, so it panics (fail fast, loudly).
 */
#include "trace/model/model.h"
#include "trace/model/model_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/panic.h"

/* ---- memory ------------------------------------------------------------------------------ */

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) SHI_PANIC("trace: out of memory (%zu x %zu bytes)", n, size);
    return p;
}

/* Makes room for one more element in `*items` (holding `count`, room for `*cap`), doubling
 * the capacity when full; the new element is zeroed. Returns a pointer to it. */
static void *grow_one(void **items, size_t *cap, size_t count, size_t elem) {
    *items = shi_grow_at(*items, cap, count + 1, elem, __FILE__, __LINE__);
    char *slot = (char *)*items + count * elem;
    memset(slot, 0, elem);
    return slot;
}

/* The capacities are not in the public structs (others code against their layout), so
 * each array's capacity is derived: it is always the next power of two at or above the
 * count (4 at least), which is exactly what grow_one produces from zero. */
static size_t cap_of(size_t count) {
    size_t cap = 4;
    while (cap < count) cap *= 2;
    return count ? cap : 0;
}

#define PUSH(arr, count)                                                                    \
    ({ size_t cap_ = cap_of(count);                                                         \
       void *slot_ = grow_one((void **)&(arr), &cap_, (count), sizeof *(arr));              \
       (count)++; (typeof(arr))slot_; })

/* C's base types as gcc names them in DWARF (and Python Tutor's C backend writes them) and
 * as C programmers and gdb write them. */
static const char *const c_base_names[][2] = {
    {"short int", "short"}, {"short unsigned int", "unsigned short"},
    {"long int", "long"}, {"long unsigned int", "unsigned long"},
    {"long long int", "long long"}, {"long long unsigned int", "unsigned long long"},
    {"__int128 unsigned", "unsigned __int128"}, {"complex float", "float _Complex"},
    {"complex double", "double _Complex"}, {"complex long double", "long double _Complex"},
};

const char *shi_c_base_name(const char *name, bool as_gcc) {
    for (size_t i = 0; i < sizeof c_base_names / sizeof c_base_names[0]; i++)
        if (strcmp(name, c_base_names[i][as_gcc ? 1 : 0]) == 0) return c_base_names[i][as_gcc ? 0 : 1];
    return name;
}

char *shi_trace_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) SHI_PANIC("trace: out of memory (%zu bytes)", n);
    return memcpy(d, s, n);
}

char *shi_trace_memdup(const char *s, size_t n) {
    if (!s) return NULL;
    char *d = malloc(n + 1);
    if (!d) SHI_PANIC("trace: out of memory (%zu bytes)", n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static void push_string(char ***arr, size_t *count, const char *s) {
    char **slot = PUSH(*arr, *count);
    *slot = shi_trace_strdup(s);
}

/* ---- building ---------------------------------------------------------------------------- */

shi_trace *shi_trace_new(const char *program) {
    shi_trace *t = xcalloc(1, sizeof *t);
    t->program = shi_trace_strdup(program);
    t->exit_code = -1;
    return t;
}

shi_step *shi_trace_add_step(shi_trace *t) {
    size_t whole = t->nsteps - t->first;
    shi_step *s = PUSH(t->steps, whole);
    s->index = t->nsteps++;
    return s;
}

shi_frame *shi_step_push_frame(shi_step *s, const char *function, const char *file, int line) {
    shi_frame *f = PUSH(s->frames, s->nframes);
    f->function = shi_trace_strdup(function);
    f->file = shi_trace_strdup(file);
    f->line = line;
    return f;
}

static void value_init(shi_value *v) {
    memset(v, 0, sizeof *v);
    v->target_block = -1;
    v->target_static = -1;
}

shi_var *shi_frame_add_var(shi_frame *f, const char *name, const char *type, size_t size) {
    shi_var *v = PUSH(f->vars, f->nvars);
    v->name = shi_trace_strdup(name);
    v->type = shi_trace_strdup(type);
    v->size = size;
    value_init(&v->value);
    return v;
}

shi_var *shi_step_add_static(shi_step *s, const char *name, const char *type, size_t size,
                             const char *scope) {
    shi_var *v = shi_frame_add_var(&s->statics, name, type, size);
    v->scope = shi_trace_strdup(scope);
    return v;
}

shi_block *shi_step_add_block(shi_step *s, uint64_t addr, size_t size, uint64_t id) {
    /* by address: shi_step_block_at searches them by halves */
    if (s->nblocks && s->blocks[s->nblocks - 1].addr >= addr)
        SHI_PANIC("trace: heap blocks must be added by address");
    shi_block *b = PUSH(s->blocks, s->nblocks);
    b->addr = addr;
    b->size = size;
    b->id = id;
    value_init(&b->value);
    return b;
}

shi_block *shi_step_add_blocks(shi_step *s, size_t n) {
    if (!n) return s->blocks + s->nblocks;
    size_t cap = cap_of(s->nblocks);
    s->blocks = shi_grow_at(s->blocks, &cap, cap_of(s->nblocks + n), sizeof *s->blocks,
                            __FILE__, __LINE__);
    shi_block *first = s->blocks + s->nblocks;
    memset(first, 0, n * sizeof *first);
    for (size_t i = 0; i < n; i++) value_init(&first[i].value);
    s->nblocks += n;
    return first;
}

shi_event *shi_step_add_event(shi_step *s, shi_event_kind kind) {
    shi_event *e = PUSH(s->events, s->nevents);
    e->kind = kind;
    return e;
}

shi_field *shi_value_add_field(shi_value *v, const char *name) {
    shi_field *f = PUSH(v->fields, v->nfields);
    f->name = shi_trace_strdup(name);
    f->value = xcalloc(1, sizeof *f->value);
    value_init(f->value);
    return f;
}

void shi_trace_add_source(shi_trace *t, const char *path) {
    push_string(&t->source_files, &t->nsources, path);
}

void shi_trace_add_arg(shi_trace *t, const char *arg) { push_string(&t->argv, &t->argc, arg); }

void shi_trace_add_leak(shi_trace *t, const char *text) {
    push_string(&t->leaks_text, &t->nleaks, text);
}

/* ---- values ------------------------------------------------------------------------------ */

void shi_value_copy(shi_value *dst, const shi_value *src) {
    *dst = *src;
    dst->text = shi_trace_strdup(src->text);
    dst->type = shi_trace_strdup(src->type);
    dst->variant = shi_trace_strdup(src->variant);
    dst->owned.elem_type = shi_trace_strdup(src->owned.elem_type);
    dst->fields = NULL;
    dst->nfields = 0;
    for (size_t i = 0; i < src->nfields; i++) {
        shi_field *f = shi_value_add_field(dst, src->fields[i].name);
        f->offset = src->fields[i].offset;
        f->size = src->fields[i].size;
        shi_value_copy(f->value, src->fields[i].value);
    }
}

void shi_value_set_int(shi_value *v, int64_t i) { v->kind = SHI_VAL_INT; v->i = i; }
void shi_value_set_uint(shi_value *v, uint64_t u) { v->kind = SHI_VAL_UINT; v->u = u; }
void shi_value_set_float(shi_value *v, double f) { v->kind = SHI_VAL_FLOAT; v->f = f; }
void shi_value_set_bool(shi_value *v, bool b) { v->kind = SHI_VAL_BOOL; v->b = b; }

void shi_value_set_text(shi_value *v, const char *text) {
    free(v->text);
    v->text = shi_trace_strdup(text);
}

void shi_value_set_optimised_out(shi_value *v) {
    v->kind = SHI_VAL_UNREADABLE;
    shi_value_set_text(v, SHI_OPTIMISED_OUT);
}

bool shi_value_is_optimised_out(const shi_value *v) {
    return v->kind == SHI_VAL_UNREADABLE && v->text && strcmp(v->text, SHI_OPTIMISED_OUT) == 0;
}

void shi_value_set_char(shi_value *v, int64_t c, const char *text) {
    v->kind = SHI_VAL_CHAR;
    v->i = c;
    shi_value_set_text(v, text);
}

void shi_value_set_pointer(shi_value *v, uint64_t addr, int64_t target_block) {
    v->kind = SHI_VAL_POINTER;
    v->addr = addr;
    v->target_block = target_block;
}

void shi_value_set_owned(shi_value *v, int kind, uint64_t ptr, uint64_t len, uint64_t cap,
                         const char *elem_type, size_t elem_size, int64_t target_block) {
    v->kind = SHI_VAL_OWNED;
    v->owned.kind = kind;
    v->owned.ptr = ptr;
    v->owned.len = len;
    v->owned.cap = cap;
    free(v->owned.elem_type);
    v->owned.elem_type = shi_trace_strdup(elem_type);
    v->owned.elem_size = elem_size;
    v->target_block = target_block;
}

void shi_block_add_ptr(shi_block *b, size_t offset, uint64_t target_id) {
    SHI_RESIZE(b->ptrs, b->nptrs + 1);
    b->ptrs[b->nptrs++] = (shi_block_ptr){offset, target_id};
}

void shi_block_set_bytes(shi_block *b, const void *bytes, size_t n) {
    free(b->bytes);
    b->bytes = n ? malloc(n) : NULL;
    if (n && !b->bytes) SHI_PANIC("trace: out of memory (%zu bytes)", n);
    if (n) memcpy(b->bytes, bytes, n);
    b->nbytes = n;
}

static bool str_eq(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool scalar_equal(const shi_value *a, const shi_value *b) {
    switch (a->kind) {
    case SHI_VAL_INT: case SHI_VAL_CHAR: return a->i == b->i;
    case SHI_VAL_UINT: return a->u == b->u;
    /* NaN stays NaN: not a change worth marking */
    case SHI_VAL_FLOAT: return a->f == b->f || (isnan(a->f) && isnan(b->f));
    case SHI_VAL_BOOL: return a->b == b->b;
    case SHI_VAL_POINTER: return a->addr == b->addr;
    default: return true;
    }
}

bool shi_value_equal(const shi_value *a, const shi_value *b) {
    if (a->kind != b->kind || !str_eq(a->text, b->text) || !str_eq(a->variant, b->variant))
        return false;
    if (!scalar_equal(a, b)) return false;
    if (a->kind == SHI_VAL_OWNED) {
        const shi_owned *x = &a->owned, *y = &b->owned;
        if (x->kind != y->kind || x->ptr != y->ptr || x->len != y->len || x->cap != y->cap ||
            x->head != y->head)
            return false;
    }
    if (a->nfields != b->nfields || a->truncated != b->truncated) return false;
    for (size_t i = 0; i < a->nfields; i++)
        if (!str_eq(a->fields[i].name, b->fields[i].name) ||
            !shi_value_equal(a->fields[i].value, b->fields[i].value))
            return false;
    return true;
}

/* ---- change marks ------------------------------------------------------------------------ */

int64_t shi_step_find_block(const shi_step *s, uint64_t id) {
    for (size_t i = 0; i < s->nblocks; i++)
        if (s->blocks[i].id == id) return (int64_t)i;
    return -1;
}

int64_t shi_step_find_block_near(const shi_step *s, uint64_t id, uint64_t addr) {
    int64_t i = shi_step_block_at(s, addr);
    return i >= 0 && s->blocks[i].id == id ? i : shi_step_find_block(s, id);
}

typedef struct id_at {
    uint64_t id;
    size_t index;
} id_at;

static int by_id(const void *a, const void *b) {
    const id_at *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

void shi_step_match_blocks(const shi_step *s, const shi_step *prev, int64_t *ret) {
    size_t missed = 0, np = prev ? prev->nblocks : 0;
    for (size_t i = 0, j = 0; i < s->nblocks; i++) {
        const shi_block *b = &s->blocks[i];
        while (j < np && prev->blocks[j].addr < b->addr) j++;
        bool same = j < np && prev->blocks[j].addr == b->addr && prev->blocks[j].id == b->id;
        ret[i] = same ? (int64_t)j : -1;
        missed += !same;
    }
    if (!missed || !np) return;
    /* new blocks, and blocks realloc moved: looked for by id among prev's unmatched ones */
    bool *matched = xcalloc(np, sizeof *matched);
    for (size_t i = 0; i < s->nblocks; i++)
        if (ret[i] >= 0) matched[ret[i]] = true;
    id_at *left = xcalloc(np, sizeof *left);
    size_t nleft = 0;
    for (size_t j = 0; j < np; j++)
        if (!matched[j]) left[nleft++] = (id_at){prev->blocks[j].id, j};
    qsort(left, nleft, sizeof *left, by_id);
    for (size_t i = 0; i < s->nblocks && nleft; i++) {
        if (ret[i] >= 0) continue;
        const id_at *hit = bsearch(&(id_at){.id = s->blocks[i].id}, left, nleft, sizeof *left, by_id);
        if (hit) ret[i] = (int64_t)hit->index;
    }
    free(matched);
    free(left);
}

int64_t shi_step_block_at(const shi_step *s, uint64_t addr) {
    /* the last block starting at or below addr, if addr lies in it: a step has thousands of
     * blocks and every pointer and handle in them is linked */
    size_t lo = 0, hi = s->nblocks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->blocks[mid].addr <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return -1;
    const shi_block *b = &s->blocks[lo - 1];
    return addr < b->addr + (b->size ? b->size : 1) ? (int64_t)(lo - 1) : -1;
}

void shi_step_link_value(const shi_step *s, shi_value *v) {
    if (v->kind == SHI_VAL_POINTER) v->target_block = v->addr ? shi_step_block_at(s, v->addr) : -1;
    /* a C char pointer into a block: its bytes are drawn in the block's box, not on the row */
    if (v->kind == SHI_VAL_POINTER && v->target_block >= 0 && v->text) {
        free(v->text);
        v->text = NULL;
    } else if (v->kind == SHI_VAL_OWNED) {
        v->target_block = v->owned.ptr ? shi_step_block_at(s, v->owned.ptr) : -1;
    }
    for (size_t i = 0; i < v->nfields; i++) shi_step_link_value(s, v->fields[i].value);
}

/* ---- dangling pointers ------------------------------------------------------------------ */

enum { FREED_KEPT = 1024 };   /* a long run frees millions: the pointers left are to the last */

static int freed_by_addr(const void *a, const void *b) {
    const shi_freed *x = a, *y = b;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

static int freed_newest_first(const void *a, const void *b) {
    const shi_freed *x = a, *y = b;
    return (x->id < y->id) - (x->id > y->id);
}

/* Whether a live block of s lies over [addr, addr + size). */
static bool covered(const shi_step *s, uint64_t addr, size_t size) {
    if (shi_step_block_at(s, addr) >= 0) return true;
    size_t lo = 0, hi = s->nblocks;   /* the first block starting above addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->blocks[mid].addr <= addr) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->nblocks && s->blocks[lo].addr < addr + size;
}

static void collect_freed(shi_step *s, const shi_step *prev) {
    size_t cap = prev->nfreed + prev->nblocks, n = 0;
    if (!cap) return;
    shi_freed *f = malloc(cap * sizeof *f);
    if (!f) SHI_PANIC("trace: out of memory");
    for (size_t i = 0; i < prev->nfreed; i++)
        if (!covered(s, prev->freed[i].addr, prev->freed[i].size)) f[n++] = prev->freed[i];
    /* prev's blocks still in s (where), by a walk of both steps by address */
    int64_t *match = xcalloc(s->nblocks ? s->nblocks : 1, sizeof *match);
    int64_t *now = xcalloc(prev->nblocks ? prev->nblocks : 1, sizeof *now);
    shi_step_match_blocks(s, prev, match);
    for (size_t j = 0; j < prev->nblocks; j++) now[j] = -1;
    for (size_t i = 0; i < s->nblocks; i++)
        if (match[i] >= 0) now[match[i]] = (int64_t)i;
    for (size_t i = 0; i < prev->nblocks; i++) {
        const shi_block *b = &prev->blocks[i];
        int64_t j = now[i];
        if (j >= 0 && s->blocks[j].addr == b->addr) continue;
        if (!covered(s, b->addr, b->size))
            f[n++] = (shi_freed){.addr = b->addr, .size = b->size, .id = b->id, .moved = j >= 0};
    }
    free(match);
    free(now);
    if (n > FREED_KEPT) {
        qsort(f, n, sizeof *f, freed_newest_first);
        n = FREED_KEPT;
    }
    qsort(f, n, sizeof *f, freed_by_addr);
    bool same = n == prev->nfreed;
    for (size_t i = 0; same && i < n; i++)
        same = f[i].addr == prev->freed[i].addr && f[i].size == prev->freed[i].size &&
               f[i].id == prev->freed[i].id && f[i].moved == prev->freed[i].moved;
    if (!n) {
        free(f);
        return;
    }
    if (same) {
        free(f);   /* most steps free nothing: they share the list */
        s->freed = prev->freed;
        s->freed_borrowed = true;
    } else {
        s->freed = f;
    }
    s->nfreed = n;
}

static void mark_value(const shi_step *s, shi_value *v) {
    if (v->kind == SHI_VAL_POINTER) {
        v->freed_id = 0;
        if (v->addr && v->target_block < 0 && v->target_static < 0) {
            size_t lo = 0, hi = s->nfreed;   /* the last entry starting at or below addr */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->freed[mid].addr <= v->addr) lo = mid + 1;
                else hi = mid;
            }
            const shi_freed *f = lo ? &s->freed[lo - 1] : NULL;
            if (f && v->addr < f->addr + (f->size ? f->size : 1)) v->freed_id = f->id;
        }
    }
    for (size_t i = 0; i < v->nfields; i++) mark_value(s, v->fields[i].value);
}

void shi_step_mark_dangling(shi_step *s, const shi_step *prev) {
    if (!s->freed_borrowed) free(s->freed);
    s->freed = NULL;
    s->nfreed = 0;
    s->freed_borrowed = false;
    if (prev) collect_freed(s, prev);
    if (!s->nfreed) return;   /* values are made with freed_id 0 */
    for (size_t f = 0; f < s->nframes; f++)
        for (size_t i = 0; i < s->frames[f].nvars; i++) mark_value(s, &s->frames[f].vars[i].value);
    for (size_t i = 0; i < s->statics.nvars; i++) mark_value(s, &s->statics.vars[i].value);
    for (size_t i = 0; i < s->nblocks; i++)   /* a borrowed value holds no pointer */
        if (!s->blocks[i].value_borrowed) mark_value(s, &s->blocks[i].value);
}

const shi_freed *shi_step_freed(const shi_step *s, uint64_t id) {
    for (size_t i = 0; i < s->nfreed; i++)
        if (s->freed[i].id == id) return &s->freed[i];
    return NULL;
}

static bool same_frame(const shi_frame *a, const shi_frame *b) {
    if (!str_eq(a->function, b->function)) return false;
    /* a recursive call at the same depth after a return is a new frame: the cfa tells */
    return !a->cfa || !b->cfa || a->cfa == b->cfa;
}

static const shi_var *find_var(const shi_frame *f, const char *name) {
    for (size_t i = 0; i < f->nvars; i++)
        if (str_eq(f->vars[i].name, name)) return &f->vars[i];
    return NULL;
}

static const shi_var *find_static(const shi_frame *f, const shi_var *v) {
    for (size_t i = 0; i < f->nvars; i++)
        if (str_eq(f->vars[i].name, v->name) && str_eq(f->vars[i].scope, v->scope))
            return &f->vars[i];
    return NULL;
}

static void mark_frame(shi_frame *f, const shi_frame *old) {
    f->is_new = !old;
    for (size_t i = 0; i < f->nvars; i++) {
        const shi_var *ov = old ? find_var(old, f->vars[i].name) : NULL;
        /* a variable appearing in a known frame (its block began) counts as changed; in a
         * new frame everything is new, which the frame's own mark already says */
        f->vars[i].changed = old && (!ov || !shi_value_equal(&ov->value, &f->vars[i].value));
    }
}

void shi_step_mark_changes(shi_step *s, const shi_step *prev) {
    bool same_so_far = prev != NULL;
    bool by_cfa = prev && (s->depth > s->nframes || prev->depth > prev->nframes);
    for (size_t d = 0; d < s->nframes; d++) {
        const shi_frame *match = NULL;
        if (by_cfa) {
            /* a deep stack's middle is left out, so depths shift: a frame is the one with
             * its CFA and function in the previous step, wherever that one was shown */
            for (size_t k = 0; k < prev->nframes && !match; k++)
                if (s->frames[d].cfa && same_frame(&s->frames[d], &prev->frames[k]))
                    match = &prev->frames[k];
        } else {
            /* frames are matched bottom up: once one differs, every frame above it is new */
            same_so_far = same_so_far && d < prev->nframes &&
                          same_frame(&s->frames[d], &prev->frames[d]);
            if (same_so_far) match = &prev->frames[d];
        }
        mark_frame(&s->frames[d], match);
    }
    for (size_t i = 0; i < s->statics.nvars; i++) {
        shi_var *v = &s->statics.vars[i];
        const shi_var *ov = prev ? find_static(&prev->statics, v) : NULL;
        v->changed = prev && (!ov || !shi_value_equal(&ov->value, &v->value));
    }
    int64_t *match = xcalloc(s->nblocks ? s->nblocks : 1, sizeof *match);
    shi_step_match_blocks(s, prev, match);
    for (size_t i = 0; i < s->nblocks; i++) {
        shi_block *b = &s->blocks[i];
        int64_t j = match[i];
        b->is_new = j < 0;
        b->grown = j >= 0 && prev->blocks[j].size < b->size;
        const shi_block *pb = j >= 0 ? &prev->blocks[j] : NULL;
        b->changed = pb && !b->grown && (pb->nbytes != b->nbytes ||
                                         (b->nbytes && memcmp(pb->bytes, b->bytes, b->nbytes) != 0));
    }
    free(match);
}

/* ---- freeing ----------------------------------------------------------------------------- */

static void value_free(shi_value *v) {
    for (size_t i = 0; i < v->nfields; i++) {
        free(v->fields[i].name);
        value_free(v->fields[i].value);
        free(v->fields[i].value);
    }
    free(v->fields);
    free(v->owned.elem_type);
    free(v->text);
    free(v->type);
    free(v->variant);
}

void shi_value_clear(shi_value *v) {
    value_free(v);
    value_init(v);
}

void shi_var_free_contents(shi_var *v) {
    free(v->name);
    free(v->type);
    free(v->scope);
    value_free(&v->value);
}

void shi_frame_free_contents(shi_frame *f) {
    for (size_t i = 0; i < f->nvars; i++) shi_var_free_contents(&f->vars[i]);
    free(f->vars);
    free(f->function);
    free(f->file);
}

void shi_block_free_contents(shi_block *b) {
    free(b->alloc_file);
    free(b->bytes);
    free(b->ptrs);
    if (!b->owner_borrowed) free(b->owner);
    if (b->value_borrowed) return;   /* type and value are the previous step's */
    free(b->type);
    value_free(&b->value);
}

void shi_step_remove_block(shi_step *s, size_t i) {
    uint64_t id = s->blocks[i].id;
    for (size_t j = 0; j < s->nblocks; j++) {
        shi_block *b = &s->blocks[j];
        size_t kept = 0;
        for (size_t k = 0; k < b->nptrs; k++)
            if (b->ptrs[k].target_id != id) b->ptrs[kept++] = b->ptrs[k];
        b->nptrs = kept;
    }
    shi_block_free_contents(&s->blocks[i]);
    memmove(&s->blocks[i], &s->blocks[i + 1], (s->nblocks - i - 1) * sizeof *s->blocks);
    s->nblocks--;
    for (size_t f = 0; f < s->nframes; f++)
        for (size_t k = 0; k < s->frames[f].nvars; k++)
            shi_step_link_value(s, &s->frames[f].vars[k].value);
}

void shi_event_free_contents(shi_event *e) {
    free(e->function);
    free(e->text);
    free(e->value_type);
}

void shi_step_free_contents(shi_step *s) {
    for (size_t i = 0; i < s->nframes; i++) shi_frame_free_contents(&s->frames[i]);
    shi_frame_free_contents(&s->statics);
    for (size_t i = 0; i < s->nblocks; i++) shi_block_free_contents(&s->blocks[i]);
    for (size_t i = 0; i < s->nevents; i++) shi_event_free_contents(&s->events[i]);
    free(s->frames);
    free(s->blocks);
    if (!s->freed_borrowed) free(s->freed);
    free(s->events);
    free(s->file);
    free(s->title);
}

static void strings_free(char **arr, size_t n) {
    for (size_t i = 0; i < n; i++) free(arr[i]);
    free(arr);
}

void shi_trace_free(shi_trace *t) {
    if (!t) return;
    for (size_t i = t->first; i < t->nsteps; i++) shi_step_free_contents(&t->steps[i - t->first]);
    shi_store_free(t->store);
    free(t->steps);
    strings_free(t->argv, t->argc);
    strings_free(t->source_files, t->nsources);
    strings_free(t->leaks_text, t->nleaks);
    free(t->program);
    free(t->language);
    free(t->optimisation);
    free(t);
}
