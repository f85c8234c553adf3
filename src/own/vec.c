/*
 * vec.c — Rust's Vec<T> over untyped {ptr, len, cap}: what the sh_vec_* macros call.
 *
 * Each entry point first checks the handle (use after move or drop, in checked mode), then
 * bounds, with Rust's messages and the caller's site. Elements move by memcpy/memmove: a
 * C value is moved by copying its bytes, as Rust moves do.
 */
#include <string.h>

#include "internal.h"

#define KIND (&shi_own_vec_kind)

static char *elem(const sh_rawvec *v, size_t esize, size_t i) {
    return (char *)v->ptr + i * esize;
}

const sh_rawvec *sh_rawvec_use(const sh_rawvec *v, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    return v;
}

void *sh_rawvec_push(sh_rawvec *v, size_t esize, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (v->len == v->cap) shi_own_reserve(v, esize, 1, 0, KIND, s);
    return elem(v, esize, v->len++);
}

void sh_rawvec_extend(sh_rawvec *v, size_t esize, const void *src, size_t n, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (n == 0) return;
    shi_own_reserve(v, esize, n, 0, KIND, s);
    memcpy(elem(v, esize, v->len), src, n * esize);
    v->len += n;
}

bool sh_rawvec_pop(sh_rawvec *v, size_t esize, void *ret_elem, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (v->len == 0) return false;
    v->len--;
    memcpy(ret_elem, elem(v, esize, v->len), esize);
    return true;
}

void *sh_rawvec_insert(sh_rawvec *v, size_t esize, size_t index, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (index > v->len)
        SHI_OWN_PANIC(s, "insertion index (is %zu) should be <= len (is %zu)", index, v->len);
    if (v->len == v->cap) shi_own_reserve(v, esize, 1, 0, KIND, s);
    memmove(elem(v, esize, index + 1), elem(v, esize, index), (v->len - index) * esize);
    v->len++;
    return elem(v, esize, index);
}

void sh_rawvec_remove(sh_rawvec *v, size_t esize, size_t index, void *ret_elem,
                      const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (index >= v->len)
        SHI_OWN_PANIC(s, "removal index (is %zu) should be < len (is %zu)", index, v->len);
    memcpy(ret_elem, elem(v, esize, index), esize);
    memmove(elem(v, esize, index), elem(v, esize, index + 1), (v->len - index - 1) * esize);
    v->len--;
}

void sh_rawvec_swap_remove(sh_rawvec *v, size_t esize, size_t index, void *ret_elem,
                           const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (index >= v->len)
        SHI_OWN_PANIC(s, "swap_remove index (is %zu) should be < len (is %zu)", index, v->len);
    memcpy(ret_elem, elem(v, esize, index), esize);
    v->len--;
    if (index != v->len) memcpy(elem(v, esize, index), elem(v, esize, v->len), esize);
}

static void drop_elems(sh_rawvec *v, size_t esize, size_t from, sh_drop_fn drop) {
    if (!drop) return;
    /* len first: an element drop that panics leaves no half-dropped element counted */
    size_t end = v->len;
    v->len = from;
    for (size_t i = from; i < end; i++) drop(elem(v, esize, i));
}

void sh_rawvec_truncate(sh_rawvec *v, size_t esize, size_t len, sh_drop_fn drop,
                        const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (len >= v->len) return;
    drop_elems(v, esize, len, drop);
    v->len = len;
}

void sh_rawvec_reserve(sh_rawvec *v, size_t esize, size_t additional, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    shi_own_reserve(v, esize, additional, 0, KIND, s);
}

void sh_rawvec_reserve_exact(sh_rawvec *v, size_t esize, size_t additional, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    shi_own_reserve(v, esize, additional, 1, KIND, s);
}

void sh_rawvec_shrink_to_fit(sh_rawvec *v, size_t esize, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (v->cap > v->len) shi_own_resize(v, esize, v->len, KIND, s);
}

sh_rawvec sh_rawvec_with_capacity(size_t esize, size_t cap, const sh_site *s) {
    sh_rawvec v = {SH_OWN_EMPTY, 0, 0};
    shi_own_resize(&v, esize, cap, KIND, s);
    return v;
}

sh_rawvec sh_rawvec_from(const void *elems, size_t esize, size_t n, const sh_site *s) {
    sh_rawvec v = sh_rawvec_with_capacity(esize, n, s);
    if (n) memcpy(v.ptr, elems, n * esize);
    v.len = n;
    return v;
}

sh_rawvec sh_rawvec_clone(const sh_rawvec *v, size_t esize, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    return sh_rawvec_from(v->ptr, esize, v->len, s);
}

bool sh_rawvec_eq(const sh_rawvec *a, const sh_rawvec *b, size_t esize, const sh_site *s) {
    shi_own_check_use(a->ptr, s);
    shi_own_check_use(b->ptr, s);
    return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len * esize) == 0);
}

void *sh_rawvec_at(const sh_rawvec *v, size_t esize, size_t index, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (index >= v->len)
        SHI_OWN_PANIC(s, "index out of bounds: the len is %zu but the index is %zu", v->len,
                      index);
    return elem(v, esize, index);
}

void *sh_rawvec_get(const sh_rawvec *v, size_t esize, size_t index, const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    return index < v->len ? elem(v, esize, index) : NULL;
}

void *sh_rawvec_slice(const sh_rawvec *v, size_t esize, size_t start, size_t end,
                      const sh_site *s) {
    shi_own_check_use(v->ptr, s);
    if (start > end) SHI_OWN_PANIC(s, "slice index starts at %zu but ends at %zu", start, end);
    if (end > v->len)
        SHI_OWN_PANIC(s, "range end index %zu out of range for slice of length %zu", end,
                      v->len);
    return elem(v, esize, start);
}

void shi_own_drop_vec(sh_rawvec *v, size_t esize, sh_drop_fn drop, int explicit_,
                      const shi_own_kind *k) {
    if (v->ptr == SH_OWN_MOVED) return;           /* the value lives on elsewhere */
    if (v->ptr == SH_OWN_DROPPED) {
        if (explicit_) shi_own_check_redrop(v, k);
        return;
    }
    if (v->cap > 0) {
        drop_elems(v, esize, 0, drop);
        shi_own_free(v->ptr, v, k);
    }
    *v = (sh_rawvec){SH_OWN_DROPPED, 0, 0};
}

void sh_rawvec_drop(sh_rawvec *v, size_t esize, sh_drop_fn drop, int explicit_) {
    shi_own_drop_vec(v, esize, drop, explicit_, KIND);
}
