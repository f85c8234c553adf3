/*
 * src/trace/model/store.c — where a trace's steps are kept (model.h, "storing and reading
 * steps"): the newest whole in memory, the committed ones as records of what changed.
 *
 * A record is a step as shi_step_diff sees it against the step before: the step's own
 * fields and events, then the frames popped, the kept frames' changed variables, the frames
 * pushed, the static region's changed variables, the blocks gone (by id) and put (whole),
 * and the freed list when it changed. Now and then a record is a keyframe, the diff against
 * an empty step (the whole step), so that any step is rebuilt from the keyframe before it.
 * Numbers are LEB128 varints (signed ones zigzagged); the names that repeat (variables,
 * types, files, functions, owners) are interned once and written as their number.
 *
 * A cursor rebuilds steps by applying records to a whole step in place: a step costs what
 * changed in it, and the values that did not change keep their memory (their block links
 * are made again only when blocks came or went).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/panic.h"
#include "trace/model/delta.h"
#include "trace/model/model.h"
#include "trace/model/model_internal.h"

/* ---- the bytes ----------------------------------------------------------------------------- */

typedef struct buf {
    unsigned char *p;
    size_t len, cap;
} buf;

typedef struct keyframe {
    size_t step;          /* the step the keyframe record is */
    size_t off;           /* where its record starts in `data` */
} keyframe;

typedef struct shi_store shi_store;

struct shi_store {
    buf data;             /* the records, one per committed step, in order */
    keyframe *keys;
    size_t nkeys, cap_keys;
    size_t since_key;     /* bytes written since the last keyframe */
    size_t key_size;      /* the last keyframe's bytes */
    char **strs;          /* interned strings; a record names one by its index + 1 */
    size_t nstrs, cap_strs;
    uint32_t *slots;      /* open addressing over strs: index + 1, 0 empty */
    size_t nslots;
    buf rec;              /* the record being written */
};

/* Keyframes keep the bytes to read before any step under this, and cost at most a quarter
 * of the store: one is written once the deltas since the last outweigh it four times. */
enum { KEY_MIN_GAP = 256 * 1024 };

static void put_bytes(buf *b, const void *p, size_t n) {
    SHI_GROW(b->p, b->cap, b->len + n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put_u8(buf *b, unsigned v) {
    unsigned char c = (unsigned char)v;
    put_bytes(b, &c, 1);
}

static void put_uv(buf *b, uint64_t v) {
    unsigned char tmp[10];
    size_t n = 0;
    do {
        tmp[n] = v & 0x7f;
        v >>= 7;
        if (v) tmp[n] |= 0x80;
        n++;
    } while (v);
    put_bytes(b, tmp, n);
}

static void put_zz(buf *b, int64_t v) { put_uv(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

static void put_mem(buf *b, const void *p, size_t n) {
    put_uv(b, n);
    if (n) put_bytes(b, p, n);
}

/* a string that may be NULL: its length + 1, 0 for NULL */
static void put_str(buf *b, const char *s) {
    if (!s) { put_uv(b, 0); return; }
    size_t n = strlen(s);
    put_uv(b, n + 1);
    put_bytes(b, s, n);
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void rehash(shi_store *st) {
    size_t n = st->nslots ? st->nslots * 2 : 256;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots) SHI_PANIC("trace: out of memory (%zu string slots)", n);
    for (size_t i = 0; i < st->nstrs; i++) {
        size_t k = hash_str(st->strs[i]) & (n - 1);
        while (slots[k]) k = (k + 1) & (n - 1);
        slots[k] = (uint32_t)(i + 1);
    }
    free(st->slots);
    st->slots = slots;
    st->nslots = n;
}

static uint64_t intern(shi_store *st, const char *s) {
    if (!s) return 0;
    if (2 * (st->nstrs + 1) > st->nslots) rehash(st);
    size_t k = hash_str(s) & (st->nslots - 1);
    for (; st->slots[k]; k = (k + 1) & (st->nslots - 1))
        if (strcmp(st->strs[st->slots[k] - 1], s) == 0) return st->slots[k];
    SHI_GROW(st->strs, st->cap_strs, st->nstrs + 1);
    st->strs[st->nstrs++] = shi_trace_strdup(s);
    st->slots[k] = (uint32_t)st->nstrs;
    return st->nstrs;
}

static void put_istr(shi_store *st, buf *b, const char *s) { put_uv(b, intern(st, s)); }

/* ---- reading the bytes back ------------------------------------------------------------- */

typedef struct rd {
    const unsigned char *p, *end;
    const shi_store *st;
    bool linked;          /* a value read links to a block: links are made again after */
} rd;

static void corrupt(void) { SHI_PANIC("trace: a stored step is corrupt"); }

static unsigned get_u8(rd *r) {
    if (r->p >= r->end) corrupt();
    return *r->p++;
}

static uint64_t get_uv(rd *r) {
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (r->p >= r->end || shift > 63) corrupt();
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) return v;
    }
}

static int64_t get_zz(rd *r) {
    uint64_t v = get_uv(r);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static const unsigned char *get_span(rd *r, size_t n) {
    if ((size_t)(r->end - r->p) < n) corrupt();
    const unsigned char *p = r->p;
    r->p += n;
    return p;
}

static char *get_str(rd *r) {
    uint64_t n = get_uv(r);
    if (!n) return NULL;
    const unsigned char *p = get_span(r, n - 1);
    return shi_trace_memdup((const char *)p, n - 1);
}

static char *get_istr(rd *r) {
    uint64_t i = get_uv(r);
    if (!i) return NULL;
    if (i > r->st->nstrs) corrupt();
    return shi_trace_strdup(r->st->strs[i - 1]);
}

/* ---- values, variables, frames, blocks, events ------------------------------------------ */

/* A pointer's or handle's block, by id, while blocks come and go: -2 - id (-1 is none). */
static int64_t unlinked(uint64_t id) { return id ? -2 - (int64_t)id : -1; }

/* A value: its kind, a mask of the parts that are not empty, then those parts. */
enum {
    V_U = 1 << 0, V_WIDE = 1 << 1, V_FIELDS = 1 << 2, V_TRUNC = 1 << 3, V_TARGET = 1 << 4,
    V_STATIC = 1 << 5, V_TSIZE = 1 << 6, V_POINTEE = 1 << 7, V_AT = 1 << 8, V_FREED = 1 << 9,
    V_TEXT = 1 << 10, V_TYPE = 1 << 11, V_VARIANT = 1 << 12
};

static void put_value(shi_store *st, buf *b, const shi_step *s, const shi_value *v) {
    bool linked = v->target_block >= 0 && (size_t)v->target_block < s->nblocks;
    unsigned m = (v->u ? V_U : 0) | (v->wide ? V_WIDE : 0) | (v->nfields ? V_FIELDS : 0) |
                 (v->truncated ? V_TRUNC : 0) | (linked ? V_TARGET : 0) |
                 (v->target_static != -1 ? V_STATIC : 0) | (v->target_size ? V_TSIZE : 0) |
                 (v->pointee ? V_POINTEE : 0) | (v->at ? V_AT : 0) |
                 (v->freed_id ? V_FREED : 0) | (v->text ? V_TEXT : 0) |
                 (v->type ? V_TYPE : 0) | (v->variant ? V_VARIANT : 0);
    put_u8(b, v->kind);
    put_uv(b, m);
    if (m & V_U) put_uv(b, v->u);
    if (v->kind == SHI_VAL_OWNED) {
        const shi_owned *o = &v->owned;
        put_u8(b, o->kind | (o->shared << 4) | (o->slice << 5) | (o->stale << 6));
        put_uv(b, o->ptr);
        put_uv(b, o->len);
        put_uv(b, o->cap);
        put_uv(b, o->head);
        put_uv(b, o->ctrl);
        put_istr(st, b, o->elem_type);
        put_uv(b, o->elem_size);
        put_uv(b, o->elem_die);
    }
    if (m & V_FIELDS) {
        put_uv(b, v->nfields);
        for (size_t i = 0; i < v->nfields; i++) {
            put_istr(st, b, v->fields[i].name);
            put_uv(b, v->fields[i].offset);
            put_uv(b, v->fields[i].size);
            put_value(st, b, s, v->fields[i].value);
        }
    }
    if (m & V_TRUNC) put_uv(b, v->truncated);
    if (m & V_TARGET) put_uv(b, s->blocks[v->target_block].id);
    if (m & V_STATIC) put_zz(b, v->target_static);
    if (m & V_TSIZE) put_uv(b, v->target_size);
    if (m & V_POINTEE) put_uv(b, v->pointee);
    if (m & V_AT) put_uv(b, v->at);
    if (m & V_FREED) put_uv(b, v->freed_id);
    if (m & V_TEXT) put_str(b, v->text);
    if (m & V_TYPE) put_istr(st, b, v->type);
    if (m & V_VARIANT) put_istr(st, b, v->variant);
}

static void get_value(rd *r, shi_value *v) {
    v->kind = (shi_value_kind)get_u8(r);
    uint64_t m = get_uv(r);
    v->u = m & V_U ? get_uv(r) : 0;
    v->wide = (m & V_WIDE) != 0;
    if (v->kind == SHI_VAL_OWNED) {
        shi_owned *o = &v->owned;
        unsigned f = get_u8(r);
        o->kind = f & 15;
        o->shared = f >> 4 & 1;
        o->slice = f >> 5 & 1;
        o->stale = f >> 6 & 1;
        o->ptr = get_uv(r);
        o->len = get_uv(r);
        o->cap = get_uv(r);
        o->head = get_uv(r);
        o->ctrl = get_uv(r);
        o->elem_type = get_istr(r);
        o->elem_size = get_uv(r);
        o->elem_die = get_uv(r);
    }
    size_t n = m & V_FIELDS ? get_uv(r) : 0;
    for (size_t i = 0; i < n; i++) {
        char *name = get_istr(r);
        shi_field *f = shi_value_add_field(v, NULL);
        f->name = name;
        f->offset = get_uv(r);
        f->size = get_uv(r);
        get_value(r, f->value);
    }
    v->truncated = m & V_TRUNC ? get_uv(r) : 0;
    v->target_block = -1;
    if (m & V_TARGET) {
        v->target_block = unlinked(get_uv(r));
        r->linked = true;
    }
    v->target_static = m & V_STATIC ? get_zz(r) : -1;
    v->target_size = m & V_TSIZE ? get_uv(r) : 0;
    v->pointee = m & V_POINTEE ? get_uv(r) : 0;
    v->at = m & V_AT ? get_uv(r) : 0;
    v->freed_id = m & V_FREED ? get_uv(r) : 0;
    v->text = m & V_TEXT ? get_str(r) : NULL;
    v->type = m & V_TYPE ? get_istr(r) : NULL;
    v->variant = m & V_VARIANT ? get_istr(r) : NULL;
}

static bool str_eq(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* A variable as a patch on the one at its place in the step before (`pv`, NULL: none): a
 * byte of what follows and its marks, then its name, type, size, address and scope if they
 * differ, its value if it differs. Most patches are a loop's counter: its value alone. */
enum { VAR_IDENT = 1, VAR_VALUE = 2 };

static void put_var(shi_store *st, buf *b, const shi_step *s, const shi_var *v,
                     const shi_step *ps, const shi_var *pv) {
    bool ident = !pv || !str_eq(pv->name, v->name) || !str_eq(pv->type, v->type) ||
                 pv->size != v->size || pv->addr != v->addr || !str_eq(pv->scope, v->scope);
    bool value = ident || !shi_value_same(ps, &pv->value, s, &v->value);
    put_u8(b, ident * VAR_IDENT | value * VAR_VALUE | v->is_param << 2 | v->changed << 3 |
                  v->literal << 4 | v->argument << 5);
    if (ident) {
        put_istr(st, b, v->name);
        put_istr(st, b, v->type);
        put_uv(b, v->size);
        put_uv(b, v->addr);
        put_istr(st, b, v->scope);
    }
    if (value) put_value(st, b, s, &v->value);
}

/* `v` is the variable the patch applies to, or a fresh one (then the patch is whole). */
static void get_var(rd *r, shi_var *v, bool fresh) {
    unsigned f = get_u8(r);
    if (fresh && (f & (VAR_IDENT | VAR_VALUE)) != (VAR_IDENT | VAR_VALUE)) corrupt();
    v->is_param = f >> 2 & 1;
    v->changed = f >> 3 & 1;
    v->literal = f >> 4 & 1;
    v->argument = f >> 5 & 1;
    if (f & VAR_IDENT) {
        free(v->name);
        free(v->type);
        free(v->scope);
        v->name = get_istr(r);
        v->type = get_istr(r);
        v->size = get_uv(r);
        v->addr = get_uv(r);
        v->scope = get_istr(r);
    }
    if (f & VAR_VALUE) {
        shi_value_clear(&v->value);
        get_value(r, &v->value);
    }
}

static void put_vars(shi_store *st, buf *b, const shi_step *s, const shi_frame *f,
                     const shi_step *ps, const shi_frame *pf, const shi_vars_delta *d) {
    put_uv(b, d->after);
    put_uv(b, d->nchanged);
    for (size_t i = 0; i < d->nchanged; i++) {
        size_t k = d->changed[i];
        put_uv(b, k);
        put_var(st, b, s, &f->vars[k], ps, pf && k < pf->nvars ? &pf->vars[k] : NULL);
    }
}

static void get_vars(rd *r, shi_frame *f) {
    size_t after = get_uv(r), n = get_uv(r);
    while (f->nvars > after) shi_var_free_contents(&f->vars[--f->nvars]);
    for (size_t k = 0; k < n; k++) {
        size_t i = get_uv(r);
        if (i > f->nvars || i >= after) corrupt();
        bool fresh = i == f->nvars;
        get_var(r, fresh ? shi_frame_add_var(f, NULL, NULL, 0) : &f->vars[i], fresh);
    }
    if (f->nvars != after) corrupt();
}

static void put_frame(shi_store *st, buf *b, const shi_step *s, const shi_frame *f) {
    put_istr(st, b, f->function);
    put_istr(st, b, f->file);
    put_zz(b, f->line);
    put_uv(b, f->cfa);
    put_u8(b, f->is_new);
    put_uv(b, f->nvars);
    for (size_t i = 0; i < f->nvars; i++) put_var(st, b, s, &f->vars[i], NULL, NULL);
}

static void get_frame(rd *r, shi_frame *f) {
    f->function = get_istr(r);
    f->file = get_istr(r);
    f->line = (int)get_zz(r);
    f->cfa = get_uv(r);
    f->is_new = get_u8(r);
    size_t n = get_uv(r);
    for (size_t i = 0; i < n; i++) get_var(r, shi_frame_add_var(f, NULL, NULL, 0), true);
}

static void put_block(shi_store *st, buf *b, const shi_step *s, const shi_block *k) {
    put_uv(b, k->id);
    put_uv(b, k->addr);
    put_uv(b, k->size);
    put_istr(st, b, k->alloc_file);
    put_zz(b, k->alloc_line);
    put_mem(b, k->bytes, k->nbytes);
    put_u8(b, k->is_new | k->grown << 1 | k->changed << 2);
    put_uv(b, k->nptrs);
    for (size_t i = 0; i < k->nptrs; i++) {
        put_uv(b, k->ptrs[i].offset);
        put_uv(b, k->ptrs[i].target_id);
    }
    put_istr(st, b, k->type);
    put_value(st, b, s, &k->value);
    put_istr(st, b, k->owner);
    put_uv(b, k->typed_sig);
}

static void get_block(rd *r, shi_block *k) {
    memset(k, 0, sizeof *k);
    k->value.target_block = k->value.target_static = -1;
    k->id = get_uv(r);
    k->addr = get_uv(r);
    k->size = get_uv(r);
    k->alloc_file = get_istr(r);
    k->alloc_line = (int)get_zz(r);
    size_t n = get_uv(r);
    if (n) shi_block_set_bytes(k, get_span(r, n), n);
    unsigned f = get_u8(r);
    k->is_new = f & 1;
    k->grown = f >> 1 & 1;
    k->changed = f >> 2 & 1;
    size_t np = get_uv(r);
    for (size_t i = 0; i < np; i++) {
        size_t off = get_uv(r);
        shi_block_add_ptr(k, off, get_uv(r));
    }
    k->type = get_istr(r);
    get_value(r, &k->value);
    k->owner = get_istr(r);
    k->typed_sig = get_uv(r);
}

static void put_event(shi_store *st, buf *b, const shi_event *e) {
    put_u8(b, e->kind);
    put_istr(st, b, e->function);
    put_uv(b, e->addr);
    put_uv(b, e->old_addr);
    put_uv(b, e->size);
    put_uv(b, e->block_id);
    put_zz(b, e->value);
    put_u8(b, e->has_value | e->is_float << 1 | e->is_pointer << 2);
    if (e->is_float) put_bytes(b, &e->fvalue, sizeof e->fvalue);
    put_istr(st, b, e->value_type);
    /* output may hold NUL bytes: its length is text_len; other texts are C strings */
    size_t n = e->text ? (e->text_len ? e->text_len : strlen(e->text)) : 0;
    put_uv(b, e->text ? n + 1 : 0);
    if (n) put_bytes(b, e->text, n);
    put_u8(b, e->text_len != 0);
}

static void get_event(rd *r, shi_event *e) {
    e->kind = (shi_event_kind)get_u8(r);
    e->function = get_istr(r);
    e->addr = get_uv(r);
    e->old_addr = get_uv(r);
    e->size = get_uv(r);
    e->block_id = get_uv(r);
    e->value = get_zz(r);
    unsigned f = get_u8(r);
    e->has_value = f & 1;
    e->is_float = f >> 1 & 1;
    e->is_pointer = f >> 2 & 1;
    if (e->is_float) memcpy(&e->fvalue, get_span(r, sizeof e->fvalue), sizeof e->fvalue);
    e->value_type = get_istr(r);
    size_t n = get_uv(r);
    if (n) e->text = shi_trace_memdup((const char *)get_span(r, n - 1), n - 1);
    if (get_u8(r)) e->text_len = n - 1;
}

static void put_freed(buf *b, const shi_step *s) {
    put_uv(b, s->nfreed);
    for (size_t i = 0; i < s->nfreed; i++) {
        put_uv(b, s->freed[i].addr);
        put_uv(b, s->freed[i].size);
        put_uv(b, s->freed[i].id);
        put_u8(b, s->freed[i].moved);
    }
}

static void get_freed(rd *r, shi_step *s) {
    if (!s->freed_borrowed) free(s->freed);
    s->freed = NULL;
    s->freed_borrowed = false;
    s->nfreed = get_uv(r);
    if (!s->nfreed) return;
    SHI_RESIZE(s->freed, s->nfreed);
    for (size_t i = 0; i < s->nfreed; i++) {
        shi_freed *f = &s->freed[i];
        f->addr = get_uv(r);
        f->size = get_uv(r);
        f->id = get_uv(r);
        f->moved = get_u8(r);
    }
}

/* ---- records ------------------------------------------------------------------------------ */

static void put_record(shi_store *st, const shi_step *prev, const shi_step *s, bool key) {
    shi_step_delta d;
    shi_step_diff(key ? NULL : prev, s, &d);
    buf *b = &st->rec;
    b->len = 0;
    put_u8(b, key);
    put_istr(st, b, s->file);
    put_zz(b, s->line);
    put_zz(b, s->stop_line);
    put_uv(b, s->depth);
    put_istr(st, b, s->title);   /* "line 12", "f() called": they repeat */
    put_uv(b, s->nevents);
    for (size_t i = 0; i < s->nevents; i++) put_event(st, b, &s->events[i]);
    put_uv(b, d.cut);
    put_uv(b, d.insert);
    for (size_t i = 1; i <= d.insert; i++) put_frame(st, b, s, &s->frames[i]);
    put_uv(b, d.pop);
    put_uv(b, d.nframes);
    for (size_t i = 0; i < d.nframes; i++) {
        const shi_frame_delta *fd = &d.frames[i];
        const shi_frame *f = &s->frames[fd->frame];
        const shi_frame *pf = &prev->frames[shi_delta_prev_frame(&d, fd->frame)];
        put_uv(b, fd->frame);
        put_u8(b, fd->head);
        if (fd->head) {
            put_istr(st, b, f->file);
            put_zz(b, f->line);
        }
        put_vars(st, b, s, f, prev, pf, &fd->vars);
    }
    put_uv(b, s->nframes - d.kept);
    for (size_t i = d.kept; i < s->nframes; i++) put_frame(st, b, s, &s->frames[i]);
    put_vars(st, b, s, &s->statics, key ? NULL : prev, key || !prev ? NULL : &prev->statics,
             &d.statics);
    put_uv(b, d.ngone);
    for (size_t i = 0; i < d.ngone; i++) {
        put_uv(b, d.gone[i]);
        put_uv(b, d.gone_addr[i]);
    }
    put_uv(b, d.nput);
    for (size_t i = 0; i < d.nput; i++) {
        put_uv(b, d.put_from[i]);
        put_block(st, b, s, &s->blocks[d.put[i]]);
    }
    put_u8(b, d.freed);
    if (d.freed) put_freed(b, s);
    shi_step_delta_free(&d);

    size_t off = st->data.len;
    put_uv(&st->data, b->len);
    put_bytes(&st->data, b->p, b->len);
    if (key) {
        SHI_GROW(st->keys, st->cap_keys, st->nkeys + 1);
        st->keys[st->nkeys++] = (keyframe){s->index, off};
        st->key_size = b->len;
        st->since_key = 0;
    } else {
        st->since_key += b->len;
    }
}

static void store_append(shi_store *st, const shi_step *prev, const shi_step *s) {
    size_t gap = 4 * st->key_size > KEY_MIN_GAP ? 4 * st->key_size : KEY_MIN_GAP;
    put_record(st, prev, s, !prev || st->since_key >= gap);
}

/* Every link of a value to a block, by id while the blocks change (unlinked), and back. */
static void unlink_value(const shi_step *s, shi_value *v) {
    if (v->target_block >= 0 && (size_t)v->target_block < s->nblocks)
        v->target_block = unlinked(s->blocks[v->target_block].id);
    for (size_t i = 0; i < v->nfields; i++) unlink_value(s, v->fields[i].value);
}

static void relink_value(const shi_step *s, shi_value *v) {
    if (v->target_block < -1) {
        uint64_t id = (uint64_t)(-2 - v->target_block);
        uint64_t addr = v->kind == SHI_VAL_OWNED ? v->owned.ptr : v->addr;
        v->target_block = shi_step_find_block_near(s, id, addr);
    }
    for (size_t i = 0; i < v->nfields; i++) relink_value(s, v->fields[i].value);
}

static void each_value(shi_step *s, void (*fn)(const shi_step *, shi_value *)) {
    for (size_t f = 0; f < s->nframes; f++)
        for (size_t i = 0; i < s->frames[f].nvars; i++) fn(s, &s->frames[f].vars[i].value);
    for (size_t i = 0; i < s->statics.nvars; i++) fn(s, &s->statics.vars[i].value);
    for (size_t i = 0; i < s->nblocks; i++) fn(s, &s->blocks[i].value);
}

static size_t block_slot(const shi_step *s, uint64_t addr) {
    size_t lo = 0, hi = s->nblocks;   /* the first block at or above addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->blocks[mid].addr < addr) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void take_block(shi_step *s, size_t i) {
    shi_block_free_contents(&s->blocks[i]);
    memmove(&s->blocks[i], &s->blocks[i + 1], (s->nblocks - i - 1) * sizeof *s->blocks);
    s->nblocks--;
}

static void insert_block(shi_step *s, shi_block *k) {
    size_t at = block_slot(s, k->addr), cap = 4;
    while (cap < s->nblocks) cap *= 2;   /* the model's capacities are powers of two */
    SHI_GROW(s->blocks, cap, s->nblocks + 1);
    memmove(&s->blocks[at + 1], &s->blocks[at], (s->nblocks - at) * sizeof *s->blocks);
    s->blocks[at] = *k;
    s->nblocks++;
}

static void clear_step(shi_step *s) {
    shi_step_free_contents(s);
    memset(s, 0, sizeof *s);
}

/* A deep recursion's window moved (delta.h): `cut` frames out from above the first, then
 * `insert` whole ones read there. */
static void window_moved(rd *r, shi_step *s, size_t cut, size_t insert) {
    if (!s->nframes || cut > s->nframes - 1) corrupt();
    for (size_t i = 1; i <= cut; i++) shi_frame_free_contents(&s->frames[i]);
    memmove(&s->frames[1], &s->frames[1 + cut], (s->nframes - 1 - cut) * sizeof *s->frames);
    s->nframes -= cut;
    for (size_t k = 0; k < insert; k++) {
        shi_step_push_frame(s, NULL, NULL, 0);   /* room at the top, then moved to 1 + k */
        shi_frame f = s->frames[s->nframes - 1];
        memmove(&s->frames[2 + k], &s->frames[1 + k], (s->nframes - 2 - k) * sizeof *s->frames);
        s->frames[1 + k] = f;
        get_frame(r, &s->frames[1 + k]);
    }
}

/* The blocks gone and put. When that moves the others' places (a block taken out, or put
 * below others), every link is held by id meanwhile and made again after; else only the
 * values read from this record are linked (a step of a big heap costs its changes). */
static void apply_blocks(rd *r, shi_step *s) {
    size_t ngone = get_uv(r);
    const unsigned char *gone = r->p;
    for (size_t i = 0; i < 2 * ngone; i++) get_uv(r);
    size_t nput = get_uv(r);
    shi_block *put = nput ? malloc(nput * sizeof *put) : NULL;
    uint64_t *from = nput ? malloc(nput * sizeof *from) : NULL;
    if (nput && (!put || !from)) SHI_PANIC("trace: out of memory (%zu blocks)", nput);
    bool moves = ngone != 0;
    for (size_t i = 0; i < nput; i++) {
        from[i] = get_uv(r);   /* where it was, 0: new (a search by id would cost a pass) */
        get_block(r, &put[i]);
        if (from[i] ? from[i] != put[i].addr : block_slot(s, put[i].addr) < s->nblocks)
            moves = true;
    }
    if (moves) each_value(s, unlink_value);
    rd g = {.p = gone, .end = r->end, .st = r->st};
    for (size_t i = 0; i < ngone; i++) {
        uint64_t id = get_uv(&g), addr = get_uv(&g);
        int64_t k = shi_step_find_block_near(s, id, addr);
        if (k < 0) corrupt();
        take_block(s, (size_t)k);
    }
    for (size_t i = 0; i < nput; i++) {
        int64_t at = from[i] ? shi_step_find_block_near(s, put[i].id, from[i]) : -1;
        if (from[i] && at < 0) corrupt();
        if (at >= 0 && from[i] == put[i].addr) {
            shi_block_free_contents(&s->blocks[at]);
            s->blocks[at] = put[i];
            continue;
        }
        if (at >= 0) take_block(s, (size_t)at);
        insert_block(s, &put[i]);
    }
    if (moves) {
        each_value(s, relink_value);
    } else if (r->linked) {
        for (size_t f = 0; f < s->nframes; f++)
            for (size_t i = 0; i < s->frames[f].nvars; i++)
                relink_value(s, &s->frames[f].vars[i].value);
        for (size_t i = 0; i < s->statics.nvars; i++) relink_value(s, &s->statics.vars[i].value);
        for (size_t i = 0; i < nput; i++)
            relink_value(s, &s->blocks[shi_step_block_at(s, put[i].addr)].value);
    }
    free(put);
    free(from);
}

/* Applies the record at r to s, which is the step before it (anything, for a keyframe). */
static void apply_record(rd *r, shi_step *s, size_t index) {
    if (get_u8(r)) clear_step(s);
    s->index = index;
    free(s->file);
    s->file = get_istr(r);
    s->line = (int)get_zz(r);
    s->stop_line = (int)get_zz(r);
    s->depth = get_uv(r);
    free(s->title);
    s->title = get_istr(r);
    for (size_t i = 0; i < s->nevents; i++) shi_event_free_contents(&s->events[i]);
    s->nevents = 0;
    for (size_t n = get_uv(r); n; n--) get_event(r, shi_step_add_event(s, SHI_EV_LINE));
    size_t cut = get_uv(r), insert = get_uv(r);
    if (cut || insert) window_moved(r, s, cut, insert);
    size_t pop = get_uv(r);
    if (pop > s->nframes) corrupt();
    while (pop--) shi_frame_free_contents(&s->frames[--s->nframes]);
    for (size_t i = 0; i < s->nframes; i++)   /* kept: not new (the inserted are as read) */
        if (i == 0 || i > insert) s->frames[i].is_new = false;
    for (size_t n = get_uv(r); n; n--) {
        size_t i = get_uv(r);
        if (i >= s->nframes) corrupt();
        shi_frame *f = &s->frames[i];
        if (get_u8(r)) {
            free(f->file);
            f->file = get_istr(r);
            f->line = (int)get_zz(r);
        }
        get_vars(r, f);
    }
    for (size_t n = get_uv(r); n; n--) get_frame(r, shi_step_push_frame(s, NULL, NULL, 0));
    get_vars(r, &s->statics);

    apply_blocks(r, s);
    if (get_u8(r)) get_freed(r, s);
    r->linked = false;
}

/* ---- the trace's side: steps in memory, committing ---------------------------------------- */

shi_step *shi_trace_step(shi_trace *t, size_t i) {
    if (i < t->first || i >= t->nsteps)
        SHI_PANIC("trace: step %zu is not in memory (steps %zu..%zu are)", i, t->first,
                  t->nsteps);
    return &t->steps[i - t->first];
}

shi_step *shi_trace_last(shi_trace *t) {
    return t->nsteps > t->first ? &t->steps[t->nsteps - 1 - t->first] : NULL;
}

/* Frees the oldest step in memory. What the next step borrows from it (a block's value or
 * owner, the freed list: model.h) becomes the next step's own. */
static void drop_first(shi_trace *t) {
    shi_step *s = &t->steps[0];
    if (t->nsteps - t->first > 1) {
        shi_step *next = &t->steps[1];
        for (size_t i = 0; i < next->nblocks; i++) {
            shi_block *nb = &next->blocks[i];
            if (!nb->value_borrowed && !nb->owner_borrowed) continue;
            int64_t k = shi_step_find_block_near(s, nb->id, nb->addr);
            if (k < 0) SHI_PANIC("trace: a block borrows from a step that has not got it");
            shi_block *b = &s->blocks[k];
            if (nb->value_borrowed) {
                nb->value_borrowed = false;
                b->value_borrowed = true;   /* now the next step's: not freed here */
            }
            if (nb->owner_borrowed) {
                nb->owner_borrowed = false;
                b->owner_borrowed = true;
            }
        }
        if (next->freed_borrowed) {
            next->freed_borrowed = false;
            s->freed_borrowed = true;
        }
    }
    shi_step_free_contents(s);
    memmove(&t->steps[0], &t->steps[1], (t->nsteps - t->first - 1) * sizeof *t->steps);
    t->first++;
}

void shi_trace_commit(shi_trace *t, size_t upto) {
    if (upto > t->nsteps) upto = t->nsteps;
    if (upto <= t->committed) return;
    if (!t->store) {
        t->store = calloc(1, sizeof *t->store);
        if (!t->store) SHI_PANIC("trace: out of memory");
    }
    for (; t->committed < upto; t->committed++) {
        size_t i = t->committed;
        store_append(t->store, i ? shi_trace_step(t, i - 1) : NULL, shi_trace_step(t, i));
    }
    /* the newest committed step stays: the next one is stored against it */
    while (t->first + 1 < t->committed) drop_first(t);
}

void shi_store_free(shi_store *st) {
    if (!st) return;

    free(st->data.p);
    free(st->rec.p);
    free(st->keys);
    for (size_t i = 0; i < st->nstrs; i++) free(st->strs[i]);
    free(st->strs);
    free(st->slots);
    free(st);
}

/* ---- cursors -------------------------------------------------------------------------------- */

typedef struct rebuilt {
    shi_step s;
    size_t at;            /* the step it is, SIZE_MAX: none yet */
    size_t next_off;      /* where the record of step at + 1 starts */
} rebuilt;

struct shi_cursor {
    const shi_trace *t;
    rebuilt a, b;
    const shi_step *cur, *prev;
};

shi_cursor *shi_cursor_new(const shi_trace *t) {
    shi_cursor *c = calloc(1, sizeof *c);
    if (!c) SHI_PANIC("trace: out of memory");
    c->t = t;
    c->a.at = c->b.at = SIZE_MAX;
    return c;
}

void shi_cursor_free(shi_cursor *c) {
    if (!c) return;
    shi_step_free_contents(&c->a.s);
    shi_step_free_contents(&c->b.s);
    free(c);
}

/* The last keyframe at or before step i. */
static const keyframe *key_before(const shi_store *st, size_t i) {
    size_t lo = 0, hi = st->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->keys[mid].step <= i) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) SHI_PANIC("trace: no stored step before step %zu", i);
    return &st->keys[lo - 1];
}

/* Brings x to committed step i: on from where it is when no keyframe lies between, else
 * from the keyframe before i. */
static void rebuild(const shi_store *st, rebuilt *x, size_t i) {
    if (x->at == i) return;
    const keyframe *k = key_before(st, i);
    size_t from = x->at, off = x->next_off;
    if (x->at == SIZE_MAX || x->at > i || k->step > x->at) {
        from = k->step;
        off = k->off;
        clear_step(&x->s);
    } else {
        from = x->at + 1;
    }
    rd r = {.p = st->data.p + off, .end = st->data.p + st->data.len, .st = st};
    for (size_t j = from; j <= i; j++) {
        size_t len = get_uv(&r);
        rd one = {.p = r.p, .end = get_span(&r, len) + len, .st = st};
        apply_record(&one, &x->s, j);
    }
    x->at = i;
    x->next_off = (size_t)(r.p - st->data.p);
}

const shi_step *shi_cursor_step(shi_cursor *c, size_t i) {
    shi_trace *t = (shi_trace *)c->t;
    if (i >= t->nsteps) SHI_PANIC("trace: no step %zu (the trace has %zu)", i, t->nsteps);
    if (i >= t->committed) {   /* still whole in memory, and so is the one before */
        c->cur = shi_trace_step(t, i);
        c->prev = i ? shi_trace_step(t, i - 1) : NULL;
        return c->cur;
    }
    /* one of the two becomes step i, the other i - 1: the one nearer below i moves to i */
    rebuilt *x = &c->a, *y = &c->b;
    size_t ax = c->a.at <= i ? i - c->a.at : SIZE_MAX, bx = c->b.at <= i ? i - c->b.at : SIZE_MAX;
    if (bx < ax) { x = &c->b; y = &c->a; }
    rebuild(t->store, x, i);
    c->cur = &x->s;
    c->prev = NULL;
    if (i) {
        rebuild(t->store, y, i - 1);
        c->prev = &y->s;
    }
    return c->cur;
}

const shi_step *shi_cursor_prev(const shi_cursor *c) { return c->prev; }
