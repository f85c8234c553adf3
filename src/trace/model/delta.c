/*
 * src/trace/model/delta.c — what changed from one step to the next (delta.h).
 */
#include "trace/model/delta.h"

#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/panic.h"

static bool str_eq(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* the id of the block a value reaches, 0 if none */
static uint64_t target_id(const shi_step *s, const shi_value *v) {
    return v->target_block >= 0 && (size_t)v->target_block < s->nblocks
               ? s->blocks[v->target_block].id : 0;
}

static bool owned_same(const shi_owned *a, const shi_owned *b) {
    return a->kind == b->kind && a->ptr == b->ptr && a->len == b->len && a->cap == b->cap &&
           a->shared == b->shared && a->slice == b->slice && a->head == b->head &&
           a->ctrl == b->ctrl && str_eq(a->elem_type, b->elem_type) &&
           a->elem_size == b->elem_size && a->elem_die == b->elem_die && a->stale == b->stale;
}

bool shi_value_same(const shi_step *sa, const shi_value *a, const shi_step *sb,
                    const shi_value *b) {
    if (a->kind != b->kind || a->u != b->u || a->nfields != b->nfields ||
        a->truncated != b->truncated || a->target_static != b->target_static ||
        a->target_size != b->target_size || a->pointee != b->pointee || a->wide != b->wide ||
        a->at != b->at || a->freed_id != b->freed_id || target_id(sa, a) != target_id(sb, b) ||
        !str_eq(a->text, b->text) || !str_eq(a->type, b->type) ||
        !str_eq(a->variant, b->variant))
        return false;
    if (a->kind == SHI_VAL_OWNED && !owned_same(&a->owned, &b->owned)) return false;
    if (a->fields == b->fields) return true;   /* the same memory: a value carried over */
    for (size_t i = 0; i < a->nfields; i++) {
        const shi_field *x = &a->fields[i], *y = &b->fields[i];
        if (x->offset != y->offset || x->size != y->size || !str_eq(x->name, y->name) ||
            !shi_value_same(sa, x->value, sb, y->value))
            return false;
    }
    return true;
}

bool shi_var_same(const shi_step *sa, const shi_var *a, const shi_step *sb, const shi_var *b) {
    return a->size == b->size && a->addr == b->addr && a->is_param == b->is_param &&
           a->changed == b->changed && a->literal == b->literal && a->argument == b->argument &&
           str_eq(a->name, b->name) && str_eq(a->type, b->type) && str_eq(a->scope, b->scope) &&
           shi_value_same(sa, &a->value, sb, &b->value);
}

bool shi_block_same(const shi_step *sa, const shi_block *a, const shi_step *sb,
                    const shi_block *b) {
    if (a->addr != b->addr || a->size != b->size || a->id != b->id ||
        a->alloc_line != b->alloc_line || a->nbytes != b->nbytes || a->is_new != b->is_new ||
        a->grown != b->grown || a->changed != b->changed || a->nptrs != b->nptrs ||
        a->typed_sig != b->typed_sig || !str_eq(a->alloc_file, b->alloc_file) ||
        (a->nbytes && memcmp(a->bytes, b->bytes, a->nbytes) != 0) ||
        (a->nptrs && memcmp(a->ptrs, b->ptrs, a->nptrs * sizeof *a->ptrs) != 0))
        return false;
    if (!b->owner_borrowed && !str_eq(a->owner, b->owner)) return false;
    if (b->value_borrowed) return true;   /* its type and value are a's */
    return str_eq(a->type, b->type) && shi_value_same(sa, &a->value, sb, &b->value);
}

static void vars_diff(const shi_step *prev, const shi_var *pv, size_t np, const shi_step *s,
                      const shi_var *v, size_t n, shi_vars_delta *d) {
    size_t cap = 0;
    *d = (shi_vars_delta){.before = np, .after = n};
    for (size_t i = 0; i < n; i++) {
        if (i < np && shi_var_same(prev, &pv[i], s, &v[i])) continue;
        SHI_GROW(d->changed, cap, d->nchanged + 1);
        d->changed[d->nchanged++] = i;
    }
}

static bool same_call(const shi_frame *a, const shi_frame *b) {
    return !b->is_new && a->cfa == b->cfa && str_eq(a->function, b->function);
}

size_t shi_delta_prev_frame(const shi_step_delta *d, size_t i) {
    if (i == 0) return 0;
    return i < 1 + d->insert ? SIZE_MAX : i - d->insert + d->cut;
}

/* A deep recursion's window of frames moved (delta.h): a call takes the lowest shown frame
 * above main out of view (the one s shows first is further up prev's list), a return brings
 * one back (prev's first above main is further up s's). Then the frames kept run on from
 * there. */
static void window_moved(const shi_step *prev, const shi_step *s, shi_step_delta *d) {
    if (prev->nframes < 2 || s->nframes < 2) return;
    for (size_t p = 2; p < prev->nframes && !d->cut; p++)
        if (same_call(&prev->frames[p], &s->frames[1])) d->cut = p - 1;
    for (size_t q = 2; q < s->nframes && !d->cut && !d->insert; q++)
        if (same_call(&prev->frames[1], &s->frames[q])) d->insert = q - 1;
    if (!d->cut && !d->insert) return;
    d->kept = 1 + d->insert;
    while (d->kept < s->nframes && d->kept - d->insert + d->cut < prev->nframes &&
           same_call(&prev->frames[d->kept - d->insert + d->cut], &s->frames[d->kept]))
        d->kept++;
}

static bool freed_same(const shi_step *a, const shi_step *b) {
    if (a->nfreed != b->nfreed) return false;
    if (a->freed == b->freed) return true;
    for (size_t i = 0; i < a->nfreed; i++) {   /* not memcmp: the struct has padding */
        const shi_freed *x = &a->freed[i], *y = &b->freed[i];
        if (x->addr != y->addr || x->size != y->size || x->id != y->id || x->moved != y->moved)
            return false;
    }
    return true;
}

void shi_step_diff(const shi_step *prev, const shi_step *s, shi_step_delta *d) {
    static const shi_step empty;
    if (!prev) prev = &empty;
    memset(d, 0, sizeof *d);
    size_t cap = 0;
    while (d->kept < prev->nframes && d->kept < s->nframes &&
           same_call(&prev->frames[d->kept], &s->frames[d->kept]))
        d->kept++;
    if (d->kept == 1 && (prev->depth > prev->nframes || s->depth > s->nframes))
        window_moved(prev, s, d);
    size_t listed = prev->nframes - d->cut + d->insert;   /* after the window moved */
    d->pop = listed - d->kept;
    for (size_t i = 0; i < d->kept; i++) {
        size_t pi = shi_delta_prev_frame(d, i);
        if (pi == SIZE_MAX) continue;   /* inserted whole */
        const shi_frame *pf = &prev->frames[pi], *f = &s->frames[i];
        shi_frame_delta fd = {.frame = i};
        fd.head = f->line != pf->line || !str_eq(f->file, pf->file);
        vars_diff(prev, pf->vars, pf->nvars, s, f->vars, f->nvars, &fd.vars);
        if (!fd.head && !fd.vars.nchanged && fd.vars.after == fd.vars.before) {
            free(fd.vars.changed);
            continue;
        }
        SHI_GROW(d->frames, cap, d->nframes + 1);
        d->frames[d->nframes++] = fd;
    }
    vars_diff(prev, prev->statics.vars, prev->statics.nvars, s, s->statics.vars,
              s->statics.nvars, &d->statics);

    /* blocks: paired by id in one pass (shi_step_match_blocks), so a step of a big heap
     * costs a look at each block, whatever it frees or moves */
    size_t cap_gone = 0, cap_addr = 0, cap_put = 0, cap_from = 0;
    int64_t *match = malloc((s->nblocks ? s->nblocks : 1) * sizeof *match);
    bool *kept = calloc(prev->nblocks ? prev->nblocks : 1, sizeof *kept);
    if (!match || !kept) SHI_PANIC("trace: out of memory (%zu blocks)", s->nblocks);
    shi_step_match_blocks(s, prev, match);
    for (size_t j = 0; j < s->nblocks; j++) {
        if (match[j] >= 0) kept[match[j]] = true;
        if (match[j] >= 0 && shi_block_same(prev, &prev->blocks[match[j]], s, &s->blocks[j]))
            continue;
        SHI_GROW(d->put, cap_put, d->nput + 1);
        SHI_GROW(d->put_from, cap_from, d->nput + 1);
        d->put_from[d->nput] = match[j] >= 0 ? prev->blocks[match[j]].addr : 0;
        d->put[d->nput++] = j;
    }
    for (size_t i = 0; i < prev->nblocks; i++) {
        if (kept[i]) continue;
        SHI_GROW(d->gone, cap_gone, d->ngone + 1);
        SHI_GROW(d->gone_addr, cap_addr, d->ngone + 1);
        d->gone_addr[d->ngone] = prev->blocks[i].addr;
        d->gone[d->ngone++] = prev->blocks[i].id;
    }
    free(match);
    free(kept);
    d->freed = !freed_same(prev, s);
}

void shi_step_delta_free(shi_step_delta *d) {
    for (size_t i = 0; i < d->nframes; i++) free(d->frames[i].vars.changed);
    free(d->frames);
    free(d->statics.changed);
    free(d->gone);
    free(d->gone_addr);
    free(d->put);
    free(d->put_from);
    memset(d, 0, sizeof *d);
}
