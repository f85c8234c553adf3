/*
 * src/trace/debuginfo/heap_types.c — typing heap blocks by the handles and pointers that reach
 * them, and deciding each block's one owner (heap_types.h).
 */
#include "trace/debuginfo/heap_types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "core/grow.h"
#include "core/panic.h"
#include "trace/debuginfo/dwarf_internal.h"

/* How strongly a reference types the block it reaches: an owning handle beats a typed
 * pointer, which beats a char pointer, which beats void * (which types nothing). */
enum { RANK_NONE, RANK_CHAR, RANK_TYPED, RANK_OWNED };

typedef struct claim {
    int rank;
    Dwarf_Off type;     /* the pointee type's DIE */
    int64_t by;         /* RANK_OWNED: the handle (index in typing.h) that typed it */
    int64_t owner;      /* the handle that owns it, once decided; -1: none */
    size_t h_first, h_count;   /* the handles found in its value (typing.h) */
    bool dirty;         /* a better claim came since it was decoded */
    bool kept;          /* nothing reaches it now: it keeps its last type and owner */
} claim;

enum { MAX_CHAIN = 24 };

/* An owning handle found in the step, and the place it was found at: a variable of a frame
 * or of the static region, or a block's decoded value; `chain` the field indexes from there
 * (the same place at the previous step is found by them), `suffix` its path below that
 * root as Rust writes it (".name", "[0]", ".next" for an enum's only field). */
typedef struct handle {
    shi_value *v;
    const shi_frame *frame;   /* a stack variable's frame; NULL for a static or a block */
    const char *var;          /* the variable's name (frame or static) */
    uint64_t var_addr;        /* and its address: Rust's shadowing `let s = s + "ed";` gives
                                 one frame two variables named s */
    int64_t in_block;         /* the block whose value holds it, -1 for a variable */
    uint64_t in_id;           /* that block's id */
    size_t chain[MAX_CHAIN];
    int nchain;
    char *suffix;
    bool held;                /* the same place held the same block at the previous step */
    bool gone;                /* found in a block value decoded again since: not there now */
} handle;

typedef struct typing {
    const shi_heap_typer *r;
    shi_step *s;
    claim *c;
    bool changed;
    handle *h;
    size_t nh, caph;
    int64_t *prev_of;   /* each block's index in the previous step, -1: not there */
    /* the dirty blocks: a pass decodes them by address, lowest first; one that becomes
     * dirty above the block being decoded joins the pass (`heap`, a min-heap), one at or
     * below it waits for the next (`next`); a list typed from its head is a chain of
     * claims, and a pass must not cost every block of the step for each of its links */
    size_t *heap, nheap, *next, nnext;
    int64_t cur;        /* the block being decoded, -1 between passes */
    shi_value **extra;  /* the handles in a Vec's slots past those its value shows: not in
                           the model, but they type and own their blocks (v[16], v[17]) */
    size_t nextra, capextra;
} typing;

enum { MORE_HANDLES = 4096 };   /* a Vec's slots followed past those shown, at most */

static void heap_push(typing *x, size_t bi) {
    size_t k = x->nheap++;
    for (; k && x->heap[(k - 1) / 2] > bi; k = (k - 1) / 2) x->heap[k] = x->heap[(k - 1) / 2];
    x->heap[k] = bi;
}

static size_t heap_pop(typing *x) {
    size_t top = x->heap[0], last = x->heap[--x->nheap], k = 0;
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= x->nheap) break;
        if (c + 1 < x->nheap && x->heap[c + 1] < x->heap[c]) c++;
        if (x->heap[c] >= last) break;
        x->heap[k] = x->heap[c];
        k = c;
    }
    if (x->nheap) x->heap[k] = last;
    return top;
}

/* Block bi's index in the previous step, or -1 (a step has thousands of blocks, and each
 * handle's place and each block's reuse looks one up). */
static int64_t prev_block(const typing *x, size_t bi) {
    return x->prev_of[bi];
}

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

/* Block bi is claimed anew (its handles found so far stay its own, to be forgotten when it
 * is decoded again) and waits to be decoded. */
static void set_claim(typing *x, size_t bi, int rank, Dwarf_Off type, int64_t by) {
    claim *c = &x->c[bi];
    c->rank = rank;
    c->type = type;
    c->by = by;
    if (c->dirty) return;
    c->dirty = true;
    x->changed = true;
    if (x->cur >= 0 && bi > (size_t)x->cur) heap_push(x, bi);
    else x->next[x->nnext++] = bi;
}

/* Every pointer in v (fields and elements too) claims the block it points to the start of;
 * `linked`: its target_block is set (else looked up). */
static void claim_from(typing *x, const shi_value *v, bool linked) {
    if (v->kind == SHI_VAL_POINTER && v->addr) {
        int64_t bi = linked ? v->target_block : shi_step_block_at(x->s, v->addr);
        Dwarf_Die type;
        int rank;
        if (bi >= 0 && (size_t)bi < x->s->nblocks && x->s->blocks[bi].addr == v->addr &&
            x->c[bi].rank < RANK_TYPED && (rank = pointee_rank(x, v, &type)) > x->c[bi].rank) {
            set_claim(x, (size_t)bi, rank, dwarf_dieoffset(&type), -1);
        }
    }
    for (size_t i = 0; i < v->nfields; i++) claim_from(x, v->fields[i].value, linked);
}

/* ---- owning handles ---------------------------------------------------------------------- */

/* The block a handle holds (it points to its start), or -1. */
static int64_t held_block(const typing *x, const shi_value *v) {
    int64_t bi = v->owned.ptr ? shi_step_block_at(x->s, v->owned.ptr) : -1;
    return bi >= 0 && x->s->blocks[bi].addr == v->owned.ptr ? bi : -1;
}

/* The value at the handle's place in step p (NULL: none there, or not a handle). */
static const shi_value *place_in(const typing *x, const handle *h, const shi_step *p) {
    const shi_value *v = NULL;
    if (h->in_block >= 0) {
        int64_t j = prev_block(x, (size_t)h->in_block);
        v = j >= 0 ? &p->blocks[j].value : NULL;
    } else {
        const shi_frame *f = NULL;
        if (!h->frame) f = &p->statics;
        for (size_t i = 0; h->frame && i < p->nframes && !f; i++)
            if (p->frames[i].cfa == h->frame->cfa &&
                strcmp(p->frames[i].function, h->frame->function) == 0)
                f = &p->frames[i];
        for (size_t i = 0; f && i < f->nvars && !v; i++)
            if (f->vars[i].name && strcmp(f->vars[i].name, h->var) == 0 &&
                (!h->var_addr || !f->vars[i].addr || f->vars[i].addr == h->var_addr))
                v = &f->vars[i].value;
    }
    for (int k = 0; v && k < h->nchain; k++)
        v = h->chain[k] < v->nfields ? v->fields[h->chain[k]].value : NULL;
    return v && v->kind == SHI_VAL_OWNED ? v : NULL;
}

/* Whether a live handle in v reaches block `id` of step p. */
static bool owns_in(const shi_step *p, const shi_value *v, uint64_t id) {
    if (v->kind == SHI_VAL_OWNED && !v->owned.stale && v->target_block >= 0 &&
        (size_t)v->target_block < p->nblocks && p->blocks[v->target_block].id == id)
        return true;
    for (size_t i = 0; i < v->nfields; i++)
        if (owns_in(p, v->fields[i].value, id)) return true;
    return false;
}

/* Whether the block `id` was owned at step p from a frame that step s no longer has: a
 * callee that took a value and has returned (`root = insert(root, k)` giving the same box
 * back). The place it was moved from, holding the same bits, is then its owner again. */
static bool owner_returned(const shi_step *p, const shi_step *s, uint64_t id) {
    for (size_t i = p->nframes; i-- > 0;) {
        const shi_frame *f = &p->frames[i];
        bool owns = false;
        for (size_t k = 0; k < f->nvars && !owns; k++) owns = owns_in(p, &f->vars[k].value, id);
        if (!owns) continue;
        for (size_t j = 0; j < s->nframes; j++)
            if (s->frames[j].cfa == f->cfa && strcmp(s->frames[j].function, f->function) == 0)
                return false;
        return true;
    }
    return false;
}

/* A handle is stale (moved from, or its block freed) when its block is gone (a handle that
 * claims room but reaches no block), or when the same place at the previous step was stale
 * with the same bits (unless the value came back from a callee that owned it: see
 * owner_returned) or held another block at that address (malloc reuses addresses; ids
 * tell blocks apart). `held` says it owned this very block then. */
static void judge_by_history(typing *x, handle *h, int64_t bi) {
    shi_owned *o = &h->v->owned;
    /* a box or an Rc claims its pointee's size (a Box<[T]> its length too), the others room */
    bool claims = o->kind == SHI_OWN_BOX || o->kind == SHI_OWN_RC
                      ? o->elem_size > 0 && (!o->slice || o->len > 0)
                      : o->cap > 0;
    if (bi < 0) {
        o->stale = o->stale || (claims && o->ptr != 0);
        return;
    }
    const shi_step *p = x->r->prev;
    const shi_value *was = p ? place_in(x, h, p) : NULL;
    if (!was || was->owned.ptr != o->ptr) return;
    int64_t j = shi_step_block_at(p, was->owned.ptr);
    uint64_t was_id = j >= 0 ? p->blocks[j].id : 0;
    if (was_id != x->s->blocks[bi].id ||
        (was->owned.stale && !owner_returned(p, x->s, was_id)))
        o->stale = true;
    else if (!was->owned.stale)
        h->held = true;
}

static bool same_handle(const shi_owned *a, const shi_owned *b) {
    return a->kind == b->kind && a->ptr == b->ptr && a->len == b->len && a->cap == b->cap &&
           a->elem_die == b->elem_die;
}

static void add_suffix(char *buf, size_t n, const char *parent, const shi_value *v, size_t i) {
    const char *name = v->fields[i].name;
    if (v->kind == SHI_VAL_ARRAY) snprintf(buf, n, "%s[%zu]", parent, i);
    else if (v->variant && v->nfields == 1) snprintf(buf, n, "%s", parent);   /* Some(b): b */
    else if (!name) snprintf(buf, n, "%s", parent);                           /* anonymous */
    else snprintf(buf, n, "%s.%s", parent, name[0] == '_' && name[1] == '_' ? name + 2 : name);
}

/* Every handle in v (its fields and elements too) is recorded; a handle not stale by its
 * history claims its block, if no other handle has. */
static void find_handles(typing *x, handle *at, shi_value *v, const char *suffix) {
    if (v->kind == SHI_VAL_OWNED) {
        if (shi_cxx_std_inline(v)) {   /* a short string's chars are in itself, no arrow */
            v->target_block = -1;
            return;
        }
        SHI_GROW(x->h, x->caph, x->nh + 1);
        handle *h = &x->h[x->nh++];
        *h = *at;
        h->v = v;
        h->suffix = shi_trace_strdup(suffix);
        int64_t bi = held_block(x, v);
        shi_owned *o = &v->owned;
        /* C++'s unique_ptr<T[]> keeps no length: its block's room says it */
        if (bi >= 0 && x->r->d->lang == SHI_LANG_CPP && o->kind == SHI_OWN_BOX && o->slice &&
            !o->len && o->elem_size) {
            const shi_block *b = &x->s->blocks[bi];
            o->len = o->cap = (b->addr + b->size - o->ptr) / o->elem_size;
        }
        judge_by_history(x, h, bi);
        /* the first handle found types the block; again if the one that did is gone (its
         * block decoded anew: this may be the same handle found again) */
        const claim *c = bi >= 0 ? &x->c[bi] : NULL;
        if (c && !v->owned.stale &&
            (c->rank < RANK_OWNED || c->by < 0 || x->h[c->by].gone))
            set_claim(x, (size_t)bi, RANK_OWNED, 0, (int64_t)(x->nh - 1));
        /* C++'s unordered_map also holds its bucket array: typed as its pointers */
        uint64_t side;
        Dwarf_Off side_type;
        int64_t si;
        if (!v->owned.stale && shi_cxx_std_side_block(x->r->d, &v->owned, &side, &side_type) &&
            (si = shi_step_block_at(x->s, side)) >= 0 && x->s->blocks[si].addr == side &&
            x->c[si].rank < RANK_TYPED)
            set_claim(x, (size_t)si, RANK_TYPED, side_type, -1);
        return;
    }
    if (at->nchain >= MAX_CHAIN) return;
    char sub[512];
    for (size_t i = 0; i < v->nfields; i++) {
        add_suffix(sub, sizeof sub, suffix, v, i);
        at->chain[at->nchain++] = i;
        find_handles(x, at, v->fields[i].value, sub);
        at->nchain--;
    }
}

static void handles_in_var(typing *x, const shi_frame *f, shi_var *var) {
    handle at = {.frame = f, .var = var->name, .var_addr = var->addr, .in_block = -1};
    if (var->name) find_handles(x, &at, &var->value, "");
}

/* The handles in the slots of an owned Vec block past those its value shows, read for
 * their blocks' sake: each becomes a value of the typing's own (x->extra) at its place. */
static void handles_past_shown(typing *x, size_t bi, handle *at) {
    const claim *c = &x->c[bi];
    const shi_value *v = &x->s->blocks[bi].value;
    if (c->rank != RANK_OWNED || c->by < 0 || v->kind != SHI_VAL_ARRAY) return;
    const shi_owned *o = &x->h[c->by].v->owned;
    if (o->kind != SHI_OWN_VEC || o->len <= v->nfields) return;
    shi_dwarf_target t = {.read_reg = no_reg, .read_mem = x->r->read_mem, .arg = x->r->arg,
                          .load_bias = x->r->load_bias};
    shi_owned *more;
    size_t n = shi_dwarf_more_handles(x->r->d, o, v->nfields, MORE_HANDLES, &t, &more);
    char suffix[32];
    for (size_t i = 0; i < n; i++) {
        SHI_GROW(x->extra, x->capextra, x->nextra + 1);
        shi_value *h = calloc(1, sizeof *h);
        if (!h) SHI_PANIC("trace: out of memory");
        x->extra[x->nextra++] = h;
        h->kind = SHI_VAL_OWNED;
        h->owned = more[i];
        h->target_block = h->owned.ptr ? shi_step_block_at(x->s, h->owned.ptr) : -1;
        h->target_static = -1;
        size_t k = v->nfields + i;
        h->at = o->ptr + k * o->elem_size;   /* where it lies: a short string points there */
        at->chain[0] = k;
        at->nchain = 1;
        snprintf(suffix, sizeof suffix, "[%zu]", k);
        find_handles(x, at, h, suffix);
    }
    free(more);
}

static void handles_in_block(typing *x, size_t bi) {
    handle at = {.in_block = (int64_t)bi, .in_id = x->s->blocks[bi].id};
    x->c[bi].h_first = x->nh;
    find_handles(x, &at, &x->s->blocks[bi].value, "");
    handles_past_shown(x, bi, &at);
    x->c[bi].h_count = x->nh - x->c[bi].h_first;
}

/* The handles found in block bi's value are not there any more (it is decoded again). */
static void handles_gone(typing *x, size_t bi) {
    for (size_t k = x->c[bi].h_first; k < x->c[bi].h_first + x->c[bi].h_count; k++)
        x->h[k].gone = true;
    x->c[bi].h_count = 0;
}

/* The strong count an Rc's or Arc's decoded block says (its field "strong"), 0 if none. */
static uint64_t strong_count(const shi_block *b) {
    const shi_value *v = &b->value;
    if (v->kind != SHI_VAL_STRUCT || !v->nfields || !v->fields[0].name ||
        strcmp(v->fields[0].name, "strong") != 0 || v->fields[0].value->kind != SHI_VAL_UINT)
        return 0;
    return v->fields[0].value->u;
}

/* Rc/Arc handles are all owners, but no more of them than the block's strong count: when
 * more reach it (`let c = b;` after `let b = a.clone();`, or an Arc moved into a thread that
 * has ended), the excess were moved from. A move leaves the older place: those that held
 * the block at the previous step go first, the later found first. */
static void shared_excess(typing *x) {
    for (size_t bi = 0; bi < x->s->nblocks; bi++) {
        uint64_t strong = strong_count(&x->s->blocks[bi]), n = 0;
        if (!strong) continue;
        for (size_t k = 0; k < x->nh; k++) {
            const handle *h = &x->h[k];
            n += h->v->owned.shared && !h->gone && !h->v->owned.stale &&
                 held_block(x, h->v) == (int64_t)bi;
        }
        for (int held = 1; held >= 0 && n > strong; held--)
            for (size_t k = x->nh; k-- > 0 && n > strong;) {
                handle *h = &x->h[k];
                if (h->v->owned.shared && !h->gone && !h->v->owned.stale && h->held == held &&
                    held_block(x, h->v) == (int64_t)bi) {
                    h->v->owned.stale = true;
                    n--;
                }
            }
    }
}

/* One owner per block. Of the handles not stale that hold it, the one whose place did not
 * hold it at the previous step owns it (after `v.push(s)` the element v[0], not `s`); when
 * history does not tell (all new, or all held), the last found: the innermost frame's, the
 * later declared, one inside a block over a variable. The others are moved from: stale,
 * except an Rc's or Arc's (shared): each of those holds a share. */
static void decide_owners(typing *x) {
    shared_excess(x);
    for (size_t i = 0; i < x->s->nblocks; i++) x->c[i].owner = -1;
    for (size_t k = 0; k < x->nh; k++) {
        handle *h = &x->h[k];
        int64_t bi = h->gone || h->v->owned.stale ? -1 : held_block(x, h->v);
        if (bi < 0) continue;
        int64_t cur = x->c[bi].owner;
        /* an Rc's block is freed by the handle dropped last: the first found (the outer
           frame's, the earlier declared) names it */
        if (cur >= 0 && h->v->owned.shared && x->h[cur].v->owned.shared) continue;
        if (cur < 0 || !h->held || x->h[cur].held) x->c[bi].owner = (int64_t)k;
    }
    for (size_t k = 0; k < x->nh; k++) {
        handle *h = &x->h[k];
        int64_t bi = h->gone || h->v->owned.stale ? -1 : held_block(x, h->v);
        /* Rc/Arc: every handle holds a share of its block, none is moved from by another */
        if (bi >= 0 && x->c[bi].owner != (int64_t)k && !h->v->owned.shared)
            h->v->owned.stale = true;
    }
}

/* Blocks typed by a handle other than their owner, with other contents (a handle that
 * kept old bits): typed again by the owner. The handles found in the old value go. */
static void retype_by_owners(typing *x) {
    for (size_t i = 0; i < x->s->nblocks; i++) {
        claim *c = &x->c[i];
        if (c->rank != RANK_OWNED || c->owner < 0 || c->owner == c->by) continue;
        bool same = c->by >= 0 && !x->h[c->by].gone &&
                    same_handle(&x->h[c->owner].v->owned, &x->h[c->by].v->owned);
        c->by = c->owner;
        if (!same) set_claim(x, i, RANK_OWNED, 0, c->owner);
    }
}

/* The path of the handle that owns block bi: its variable's name, or its block's owner's
 * path, and its suffix below ("v" + "[0]"); NULL if nothing leads to a variable within
 * MAX_DEPTH handles (or a cycle does). Each block's is made once (`memo`, `depth`): a
 * list's paths grow one link at a time. */
enum { MAX_DEPTH = 64 };

static const char *owner_path(typing *x, int64_t bi, char **memo, int *depth) {
    if (bi < 0 || x->c[bi].owner < 0) return NULL;
    if (depth[bi]) return memo[bi];   /* made, or being made (a cycle: -1, NULL) */
    depth[bi] = -1;
    const handle *h = &x->h[x->c[bi].owner];
    const char *root = h->var;
    int d = 1;
    if (h->in_block >= 0) {
        root = owner_path(x, h->in_block, memo, depth);
        d = depth[h->in_block] + 1;
    }
    if (!root || d > MAX_DEPTH) return NULL;
    /* a map's nodes are the map's: `counts`, not counts.left.right (no such member) */
    const char *suffix = h->in_block >= 0 && h->v->owned.link ? "" : h->suffix;
    size_t n = strlen(root) + strlen(suffix) + 2;
    char *path = malloc(n);
    if (!path) SHI_PANIC("trace: out of memory");
    /* a handle that is its block's whole value (the String of a Box<String>) is `*b` */
    bool whole = h->in_block >= 0 && !h->suffix[0];
    snprintf(path, n, "%s%s%s", whole ? "*" : "", root, suffix);
    memo[bi] = path;
    depth[bi] = d;
    return path;
}

/* ---- decoding ---------------------------------------------------------------------------- */

/* Decodes block bi as its claim says: what its handle holds; else one object, or as many
 * as fit (an array). */
static uint64_t mix(uint64_t h, uint64_t v) {
    return (h ^ v) * 0x100000001b3u;   /* FNV-1a's prime, a word at a time */
}

/* What the claim on block bi decodes it by, summed up. */
static uint64_t claim_sig(const typing *x, size_t bi) {
    const claim *c = &x->c[bi];
    const shi_block *b = &x->s->blocks[bi];
    uint64_t h = mix(mix(mix(0xcbf29ce484222325u, (uint64_t)c->rank), b->addr), b->size);
    if (c->rank != RANK_OWNED) return mix(h, c->type);
    const shi_owned *o = &x->h[c->by].v->owned;
    return mix(mix(mix(mix(h, (uint64_t)o->kind), o->len), o->cap), o->elem_die);
}

/* Whether v holds text read from elsewhere (a char pointer's string, a &str's): memory
 * outside its block, which may change while the block does not. */
static bool reads_elsewhere(const shi_value *v) {
    if (v->kind == SHI_VAL_POINTER && v->text) return true;
    for (size_t i = 0; i < v->nfields; i++)
        if (reads_elsewhere(v->fields[i].value)) return true;
    return false;
}

/* Whether v holds a pointer or a handle: something linked to the step's blocks. */
static bool has_links(const shi_value *v) {
    if (v->kind == SHI_VAL_POINTER || v->kind == SHI_VAL_OWNED) return true;
    for (size_t i = 0; i < v->nfields; i++)
        if (has_links(v->fields[i].value)) return true;
    return false;
}

static void unmark_stale(shi_value *v) {
    if (v->kind == SHI_VAL_OWNED) v->owned.stale = false;
    for (size_t i = 0; i < v->nfields; i++) unmark_stale(v->fields[i].value);
}

/* The previous step's decoding of the same block, when nothing it was made of changed: the
 * same claim, and the block's bytes all copied and equal (a long list's nodes, a
 * Vec<String>'s strings: decoding each again at every step costs the trace's time). */
static bool reuse(typing *x, size_t bi, uint64_t sig) {
    const shi_step *p = x->r->prev;
    shi_block *b = &x->s->blocks[bi];
    int64_t j = prev_block(x, bi);
    if (j < 0) return false;
    const shi_block *pb = &p->blocks[j];
    if (!pb->type || pb->typed_sig != sig || pb->size != b->size || b->nbytes != b->size ||
        pb->nbytes != b->nbytes || memcmp(pb->bytes, b->bytes, b->nbytes) != 0 ||
        reads_elsewhere(&pb->value))
        return false;
    if (!has_links(&pb->value)) {   /* nothing in it to link or judge: shared as it is */
        b->value = pb->value;
        b->type = pb->type;
        b->value_borrowed = true;
        return true;
    }
    shi_value_copy(&b->value, &pb->value);
    unmark_stale(&b->value);   /* judged again, as a decoded value's handles are */
    b->type = shi_trace_strdup(pb->type);
    return true;
}

static void decode(typing *x, size_t bi) {
    shi_block *b = &x->s->blocks[bi];
    Dwarf_Die type, peeled;
    if (b->value_borrowed) {   /* the previous step's: not ours to free */
        memset(&b->value, 0, sizeof b->value);
        b->value.target_block = b->value.target_static = -1;
        b->value_borrowed = false;
    } else {
        shi_value_clear(&b->value);
        free(b->type);
    }
    b->type = NULL;
    uint64_t sig = claim_sig(x, bi);
    b->typed_sig = sig;
    if (reuse(x, bi, sig)) {
        if (!b->value_borrowed) shi_step_link_value(x->s, &b->value);
        return;
    }
    shi_dwarf_target t = {.read_reg = no_reg, .read_mem = x->r->read_mem, .arg = x->r->arg,
                          .load_bias = x->r->load_bias};
    shi_value v;
    if (x->c[bi].rank == RANK_OWNED) {
        if (shi_dwarf_read_owned_block(x->r->d, &x->h[x->c[bi].by].v->owned, &t, &v) != 0) {
            shi_value_clear(&v);
            return;
        }
    } else {
        if (!dwarf_offdie(shi_dwarf_handle(x->r->d), x->c[bi].type, &type)) return;
        Dwarf_Die dyn;   /* a Shape * to a Circle: one Circle, not two Shapes */
        if (x->c[bi].rank == RANK_TYPED && shi_cxx_dynamic_type(x->r->d, &t, &type, b->addr, b->size, &dyn))
            type = dyn;
        shi_dwarf_peel(&type, &peeled);
        size_t esize = shi_dwarf_type_size(&peeled);
        size_t count = esize ? b->size / esize : 0;
        if (!count) return;   /* smaller than its type: its bytes stay as they are */
        if (count == 1 && x->c[bi].rank == RANK_TYPED)
            shi_dwarf_read_value(x->r->d, &type, b->addr, &t, &v);
        else
            shi_dwarf_read_array(x->r->d, &type, count, b->addr, &t, &v);
    }
    b->value = v;
    b->type = shi_trace_strdup(v.type);
    shi_step_link_value(x->s, &b->value);
    if (x->r->statics) shi_static_region_link_value(x->r->statics, x->s, &b->value);
}

static bool str_same(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Equal values with the same links, addresses, type names and staleness, field by field. */
static bool same_value(const shi_value *a, const shi_value *b) {
    if (!shi_value_equal(a, b) || a->target_block != b->target_block ||
        a->target_static != b->target_static || a->at != b->at || !str_same(a->type, b->type) ||
        a->freed_id != b->freed_id ||
        (a->kind == SHI_VAL_OWNED && a->owned.stale != b->owned.stale))
        return false;
    for (size_t i = 0; i < a->nfields; i++)
        if (!same_value(a->fields[i].value, b->fields[i].value)) return false;
    return true;
}

/* A step stores what changed: a typed block decoded as it was at the previous step (same
 * id, type, value and links) borrows that step's value, so a long list costs its nodes
 * once, not once per step. */
static void borrow_unchanged(const typing *x, const shi_step *prev, shi_step *s) {
    for (size_t i = 0; prev && i < s->nblocks; i++) {
        shi_block *b = &s->blocks[i];
        int64_t j = b->type && !b->value_borrowed ? prev_block(x, i) : -1;
        if (j < 0 || !str_same(prev->blocks[j].type, b->type) ||
            !same_value(&prev->blocks[j].value, &b->value))
            continue;
        shi_value_clear(&b->value);
        free(b->type);
        b->value = prev->blocks[j].value;
        b->type = prev->blocks[j].type;
        b->value_borrowed = true;
    }
}

/* A block nothing reaches now keeps the type it was last decoded by while its bytes stay
 * the same: at Rust's closing `}` a `let` block's scope has ended before its drops run, and
 * a C block whose last pointer went out of scope is still the struct it was; read as bytes,
 * a String's "x" showed as `78`. */
static void keep_last_type(typing *x) {
    const shi_step *p = x->r->prev;
    for (size_t i = 0; p && i < x->s->nblocks; i++) {
        shi_block *b = &x->s->blocks[i];
        int64_t j = x->c[i].rank == RANK_NONE && !b->type ? prev_block(x, i) : -1;
        if (j < 0) continue;
        const shi_block *pb = &p->blocks[j];
        if (!pb->type || pb->size != b->size || b->nbytes != b->size || pb->nbytes != b->nbytes ||
            memcmp(pb->bytes, b->bytes, b->nbytes) != 0 || reads_elsewhere(&pb->value))
            continue;
        if (b->value_borrowed) {
            memset(&b->value, 0, sizeof b->value);
            b->value.target_block = b->value.target_static = -1;
        } else {
            shi_value_clear(&b->value);
        }
        b->typed_sig = pb->typed_sig;
        x->c[i].kept = true;
        if (!has_links(&pb->value)) {
            b->value = pb->value;
            b->type = pb->type;
            b->value_borrowed = true;
            continue;
        }
        shi_value_copy(&b->value, &pb->value);
        b->type = shi_trace_strdup(pb->type);
        b->value_borrowed = false;
        shi_step_link_value(x->s, &b->value);
    }
}

/* Decodes the dirty blocks and follows what they hold, until nothing changes: each block
 * is decoded once per better claim (the claims only go up) or owner with other contents. */
static void settle(typing *x) {
    while (x->nnext) {
        for (size_t k = 0; k < x->nnext; k++) heap_push(x, x->next[k]);
        x->nnext = 0;
        while (x->nheap) {
            size_t i = heap_pop(x);
            x->cur = (int64_t)i;
            x->c[i].dirty = false;
            /* its handle went with the block it was found in, before this one was decoded:
             * that block's new value claims it again, or the owners do */
            if (x->c[i].rank == RANK_OWNED && (x->c[i].by < 0 || x->h[x->c[i].by].gone))
                continue;
            handles_gone(x, i);
            decode(x, i);
            if (SHI_LANG_IS_C_FAMILY(shi_dwarf_language(x->r->d))) claim_from(x, &x->s->blocks[i].value, true);
            handles_in_block(x, i);
        }
        x->cur = -1;
    }
}

void shi_heap_types_read(const shi_heap_typer *r, shi_step *s) {
    typing x = {.r = r, .s = s, .c = calloc(s->nblocks ? s->nblocks : 1, sizeof(claim))};
    if (!x.c) SHI_PANIC("trace: out of memory");
    for (size_t i = 0; i < s->nblocks; i++) x.c[i] = (claim){.by = -1, .owner = -1};
    /* a block is queued at most once at a time (its dirty mark): n entries suffice */
    x.heap = malloc((s->nblocks + 1) * sizeof *x.heap);
    x.next = malloc((s->nblocks + 1) * sizeof *x.next);
    if (!x.heap || !x.next) SHI_PANIC("trace: out of memory");
    x.cur = -1;
    const shi_step *p = r->prev;
    x.prev_of = malloc((s->nblocks ? s->nblocks : 1) * sizeof *x.prev_of);
    if (!x.prev_of) SHI_PANIC("trace: out of memory");
    shi_step_match_blocks(s, p, x.prev_of);
    /* handles first, outermost frame and first declared first (the last found wins a tie) */
    for (size_t f = 0; f < s->nframes; f++)
        for (size_t i = 0; i < s->frames[f].nvars; i++)
            handles_in_var(&x, &s->frames[f], &s->frames[f].vars[i]);
    for (size_t i = 0; i < s->statics.nvars; i++) handles_in_var(&x, NULL, &s->statics.vars[i]);
    /* C's pointers type what no handle holds: the innermost frame's first */
    if (SHI_LANG_IS_C_FAMILY(shi_dwarf_language(r->d))) {
        for (size_t f = s->nframes; f-- > 0;)
            for (size_t i = 0; i < s->frames[f].nvars; i++)
                claim_from(&x, &s->frames[f].vars[i].value, true);
        for (size_t i = 0; i < s->statics.nvars; i++) claim_from(&x, &s->statics.vars[i].value, true);
    }
    for (int round = 0; round < 8; round++) {
        settle(&x);
        decide_owners(&x);
        x.changed = false;
        retype_by_owners(&x);
        if (!x.changed) break;
    }
    keep_last_type(&x);
    char **memo = calloc(s->nblocks ? s->nblocks : 1, sizeof *memo);
    int *depth = calloc(s->nblocks ? s->nblocks : 1, sizeof *depth);
    if (!memo || !depth) SHI_PANIC("trace: out of memory");
    for (size_t i = 0; i < s->nblocks; i++) owner_path(&x, (int64_t)i, memo, depth);
    for (size_t i = 0; i < s->nblocks; i++) {   /* a kept block is still its last owner's */
        int64_t j = x.c[i].kept && !memo[i] ? prev_block(&x, i) : -1;
        if (j >= 0 && p->blocks[j].owner) memo[i] = shi_trace_strdup(p->blocks[j].owner);
    }
    for (size_t i = 0; i < s->nblocks; i++) {
        shi_block *b = &s->blocks[i];
        if (!b->owner_borrowed) free(b->owner);
        b->owner = memo[i];   /* the block keeps the string made for it */
        b->owner_borrowed = false;
        /* the same path as at the previous step: kept once, as an unchanged value is */
        int64_t j = b->owner ? prev_block(&x, i) : -1;
        if (j >= 0 && str_same(p->blocks[j].owner, b->owner)) {
            free(b->owner);
            b->owner = p->blocks[j].owner;
            b->owner_borrowed = true;
        }
    }
    for (size_t k = 0; k < x.nh; k++) free(x.h[k].suffix);
    free(memo);
    free(depth);
    shi_step_mark_dangling(s, r->prev);
    borrow_unchanged(&x, r->prev, s);
    free(x.h);
    free(x.c);
    free(x.prev_of);
    free(x.heap);
    free(x.next);
    for (size_t i = 0; i < x.nextra; i++) free(x.extra[i]);   /* no strings: elem_type NULL */
    free(x.extra);
}
