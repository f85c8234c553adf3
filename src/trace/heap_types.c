/*
 * src/trace/heap_types.c — typing heap blocks by the pointers that reach them
 * (heap_types.h).
 */
#include "trace/heap_types.h"

#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "core/panic.h"
#include "trace/dwarf_internal.h"

/* How strongly a pointer types the block it reaches: a typed pointer beats a char pointer,
 * which beats void * (which types nothing). */
enum { RANK_NONE, RANK_CHAR, RANK_TYPED };

typedef struct claim {
    int rank;
    Dwarf_Off type;     /* the pointee type's DIE */
    bool owned;         /* an owning handle holds the block: never typed here */
    bool dirty;         /* a better claim came since it was decoded */
} claim;

typedef struct typing {
    const shi_heap_typer *r;
    shi_step *s;
    claim *c;
    bool changed;
} typing;

static bool no_reg(void *arg, int regno, uint64_t *ret) {
    (void)arg; (void)regno; (void)ret;
    return false;
}

/* The rank a pointer's pointee type gives, its DIE in *ret. */
static int pointee_rank(const typing *x, const shi_value *v, Dwarf_Die *ret) {
    if (!v->pointee || !dwarf_offdie(shi_dwarf_handle(x->r->d), v->pointee, ret))
        return RANK_NONE;
    Dwarf_Die t;
    shi_dwarf_peel(ret, &t);
    int tag = dwarf_tag(&t);
    if (tag == DW_TAG_subroutine_type || shi_dwarf_type_size(&t) == 0) return RANK_NONE;
    Dwarf_Attribute a;
    Dwarf_Word enc = 0;
    if (tag == DW_TAG_base_type && shi_dwarf_type_size(&t) == 1 && dwarf_attr(&t, DW_AT_encoding, &a) &&
        dwarf_formudata(&a, &enc) == 0 && (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char))
        return RANK_CHAR;
    return RANK_TYPED;
}

/* Every pointer in v (fields and elements too) claims the block it points to the start of;
 * `linked`: its target_block is set (else looked up). */
static void claim_from(typing *x, const shi_value *v, bool linked) {
    if (v->kind == SHI_VAL_OWNED) return;
    if (v->kind == SHI_VAL_POINTER && v->addr) {
        int64_t bi = linked ? v->target_block : shi_step_block_at(x->s, v->addr);
        Dwarf_Die type;
        int rank;
        if (bi >= 0 && (size_t)bi < x->s->nblocks && x->s->blocks[bi].addr == v->addr &&
            !x->c[bi].owned && (rank = pointee_rank(x, v, &type)) > x->c[bi].rank) {
            x->c[bi] = (claim){.rank = rank, .type = dwarf_dieoffset(&type), .dirty = true};
            x->changed = true;
        }
    }
    for (size_t i = 0; i < v->nfields; i++) claim_from(x, v->fields[i].value, linked);
}

/* Blocks owning handles hold (anywhere in a variable) are the handles' to draw. */
static void mark_owned(typing *x, const shi_value *v) {
    if (v->kind == SHI_VAL_OWNED && v->owned.ptr) {
        int64_t bi = shi_step_block_at(x->s, v->owned.ptr);
        if (bi >= 0) x->c[bi].owned = true;
    }
    for (size_t i = 0; i < v->nfields; i++) mark_owned(x, v->fields[i].value);
}

/* Decodes block bi as its claim says: one object, or as many as fit (an array). */
static void decode(typing *x, size_t bi) {
    shi_block *b = &x->s->blocks[bi];
    Dwarf_Die type, peeled;
    shi_value_clear(&b->value);
    free(b->type);
    b->type = NULL;
    if (!dwarf_offdie(shi_dwarf_handle(x->r->d), x->c[bi].type, &type)) return;
    shi_dwarf_peel(&type, &peeled);
    size_t esize = shi_dwarf_type_size(&peeled);
    size_t count = esize ? b->size / esize : 0;
    if (!count) return;   /* smaller than its type: its bytes stay as they are */
    shi_dwarf_target t = {.read_reg = no_reg, .read_mem = x->r->read_mem, .arg = x->r->arg};
    shi_value v;
    if (count == 1 && x->c[bi].rank == RANK_TYPED)
        shi_dwarf_read_value(x->r->d, &type, b->addr, &t, &v);
    else
        shi_dwarf_read_array(x->r->d, &type, count, b->addr, &t, &v);
    b->value = v;
    b->type = shi_trace_strdup(v.type);
    shi_step_link_value(x->s, &b->value);
    if (x->r->statics) shi_static_region_link_value(x->r->statics, x->s, &b->value);
}

static bool str_same(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Equal values with the same links, addresses and type names, field by field. */
static bool same_value(const shi_value *a, const shi_value *b) {
    if (!shi_value_equal(a, b) || a->target_block != b->target_block ||
        a->target_static != b->target_static || a->at != b->at || !str_same(a->type, b->type))
        return false;
    for (size_t i = 0; i < a->nfields; i++)
        if (!same_value(a->fields[i].value, b->fields[i].value)) return false;
    return true;
}

/* A step stores what changed: a typed block decoded as it was at the previous step (same
 * id, type, value and links) borrows that step's value, so a long list costs its nodes
 * once, not once per step. */
static void borrow_unchanged(const shi_step *prev, shi_step *s) {
    for (size_t i = 0; prev && i < s->nblocks; i++) {
        shi_block *b = &s->blocks[i];
        int64_t j = b->type ? shi_step_find_block(prev, b->id) : -1;
        if (j < 0 || !str_same(prev->blocks[j].type, b->type) ||
            !same_value(&prev->blocks[j].value, &b->value))
            continue;
        shi_value_clear(&b->value);
        b->value = prev->blocks[j].value;
        b->value_borrowed = true;
    }
}

void shi_heap_types_read(const shi_heap_typer *r, shi_step *s) {
    if (!s->nblocks || shi_dwarf_language(r->d) != SHI_LANG_C) return;
    typing x = {.r = r, .s = s, .c = calloc(s->nblocks, sizeof(claim))};
    if (!x.c) SHI_PANIC("trace: out of memory");
    for (size_t f = 0; f < s->nframes; f++)
        for (size_t i = 0; i < s->frames[f].nvars; i++) mark_owned(&x, &s->frames[f].vars[i].value);
    for (size_t i = 0; i < s->statics.nvars; i++) mark_owned(&x, &s->statics.vars[i].value);
    for (size_t f = s->nframes; f-- > 0;)
        for (size_t i = 0; i < s->frames[f].nvars; i++)
            claim_from(&x, &s->frames[f].vars[i].value, true);
    for (size_t i = 0; i < s->statics.nvars; i++) claim_from(&x, &s->statics.vars[i].value, true);
    /* each block is decoded at most once per rank: the claims only go up */
    while (x.changed) {
        x.changed = false;
        for (size_t i = 0; i < s->nblocks; i++) {
            if (!x.c[i].dirty) continue;
            x.c[i].dirty = false;
            decode(&x, i);
            claim_from(&x, &s->blocks[i].value, true);
        }
    }
    free(x.c);
    borrow_unchanged(r->prev, s);
}
