/*
 * raw.c — the one way owned values get and give back memory, and Rust's growth policy.
 *
 * Every block comes from sh_malloc/sh_realloc and goes back through sh_free. Nothing here
 * returns NULL: a request past PTRDIFF_MAX bytes is "capacity overflow" (Rust's
 * Layout::array limit) and a heap that is out of memory is a panic naming the size, as
 * Rust's handle_alloc_error does.
 */
#include <stdint.h>
#include <string.h>

#include "internal.h"

const shi_own_kind shi_own_vec_kind = {"Vec", 0};
const shi_own_kind shi_own_string_kind = {"String", 1};
const shi_own_kind shi_own_box_kind = {"Box", 0};

long shi_own_fail_nth;

/* Zero bytes, so an empty string's ptr is the C string "" whichever marker it holds. */
SH_API const max_align_t sh_own_markers[3];

/* Rust's RawVec::MIN_NON_ZERO_CAP: small first blocks are not worth allocating. */
static size_t min_non_zero_cap(size_t esize) {
    if (esize == 1) return 8;
    if (esize <= 1024) return 4;
    return 1;
}

static size_t block_bytes(size_t cap, size_t esize, const shi_own_kind *k, const sh_site *s) {
    size_t n;
    if (__builtin_mul_overflow(cap, esize, &n) || n > (size_t)PTRDIFF_MAX - k->extra)
        SHI_OWN_PANIC(s, "capacity overflow");
    return n + k->extra;
}

size_t shi_own_grow_cap(size_t cap, size_t len, size_t additional, size_t esize,
                        const sh_site *s) {
    size_t required;
    if (__builtin_add_overflow(len, additional, &required)) SHI_OWN_PANIC(s, "capacity overflow");
    /* cap * esize <= PTRDIFF_MAX, so doubling cannot wrap a size_t */
    size_t grown = cap * 2 > required ? cap * 2 : required;
    size_t min = min_non_zero_cap(esize);
    return grown > min ? grown : min;
}

static int injected_failure(void) {
    return shi_own_fail_nth > 0 && --shi_own_fail_nth == 0;
}

void *shi_own_alloc(size_t n, const shi_own_kind *k, const sh_site *s) {
    void *p = injected_failure() ? NULL : sh_malloc(n);
    if (!p) SHI_OWN_PANIC(s, "memory allocation of %zu bytes failed", n);
    shi_own_track(p, n, k, s);
    return p;
}

void shi_own_free(void *p, const void *handle, const shi_own_kind *k) {
    shi_own_untrack(p, handle, k);
    sh_free(p);
}

static void *grow_block(void *old, size_t n, const sh_site *s) {
    void *p = injected_failure() ? NULL : sh_realloc(old, n);
    if (!p) SHI_OWN_PANIC(s, "memory allocation of %zu bytes failed", n);
    shi_own_retrack(old, p, n);
    return p;
}

void shi_own_resize(sh_rawvec *v, size_t esize, size_t new_cap, const shi_own_kind *k,
                    const sh_site *s) {
    if (new_cap == v->cap) return;
    if (new_cap == 0) {
        shi_own_free(v->ptr, v, k);
        *v = (sh_rawvec){SH_OWN_EMPTY, 0, 0};
        return;
    }
    size_t n = block_bytes(new_cap, esize, k, s);
    if (v->cap == 0) v->ptr = shi_own_alloc(n, k, s);   /* ptr was a marker: nothing to keep */
    else v->ptr = grow_block(v->ptr, n, s);
    v->cap = new_cap;
    if (v->len > new_cap) v->len = new_cap;
}

void shi_own_reserve(sh_rawvec *v, size_t esize, size_t additional, int exact,
                     const shi_own_kind *k, const sh_site *s) {
    if (v->cap - v->len >= additional) return;
    size_t new_cap;
    if (!exact) new_cap = shi_own_grow_cap(v->cap, v->len, additional, esize, s);
    else if (__builtin_add_overflow(v->len, additional, &new_cap))
        SHI_OWN_PANIC(s, "capacity overflow");
    shi_own_resize(v, esize, new_cap, k, s);
}
