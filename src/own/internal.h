/*
 * src/own/internal.h — what the files of src/own share: the one way in and out of memory
 * (resize), the growth policy, and the checked-mode bookkeeping.
 *
 * A "kind" says what a handle is for messages ("String", "Vec", "Box") and how many bytes
 * its block has beyond cap * esize (a string's NUL).
 */
#ifndef SH_OWN_INTERNAL_H
#define SH_OWN_INTERNAL_H

#include <stddef.h>

#include "stackheap/own.h"
#include "core/panic.h"

#define SHI_FUNC __attribute__((visibility("hidden")))
#define SH_API __attribute__((visibility("default")))

typedef struct shi_own_kind {
    const char *name;
    size_t extra;
} shi_own_kind;

extern SHI_FUNC const shi_own_kind shi_own_vec_kind, shi_own_string_kind, shi_own_box_kind;

/* Test hook: when > 0, the n-th allocation from now fails as if the heap were exhausted. */
extern SHI_FUNC long shi_own_fail_nth;

/* ---- memory and growth (raw.c) ---- */
static inline int shi_own_is_marker(const void *p) {
    return p == NULL || p == SH_OWN_EMPTY || p == SH_OWN_MOVED || p == SH_OWN_DROPPED;
}
/* Rust's RawVec::grow_amortized: the capacity a vec of cap grows to for len + additional. */
SHI_FUNC size_t shi_own_grow_cap(size_t cap, size_t len, size_t additional, size_t esize,
                                 const sh_site *s);
/* Gives v a block of exactly new_cap elements (0: none), keeping the first len elements. */
SHI_FUNC void shi_own_resize(sh_rawvec *v, size_t esize, size_t new_cap, const shi_own_kind *k,
                             const sh_site *s);
/* Makes room for additional more elements: amortized (Rust's reserve) or exact. */
SHI_FUNC void shi_own_reserve(sh_rawvec *v, size_t esize, size_t additional, int exact,
                              const shi_own_kind *k, const sh_site *s);
/* A heap block of n bytes, or a panic; registered as an owned value in checked mode. */
SHI_FUNC void *shi_own_alloc(size_t n, const shi_own_kind *k, const sh_site *s);
/* Frees an owned block (checked mode: a block already freed is a double drop). */
SHI_FUNC void shi_own_free(void *p, const void *handle, const shi_own_kind *k);

/* Drops a {ptr, len, cap} handle (vec.c): its elements with drop, then its block; leaves it
 * dropped. explicit_: 1 for T_drop (a second one is a double drop), 0 for scope exit. */
SHI_FUNC void shi_own_drop_vec(sh_rawvec *v, size_t esize, sh_drop_fn drop, int explicit_,
                               const shi_own_kind *k);

/* ---- checked mode (check.c) ---- */
SHI_FUNC int shi_own_checked(void);
/* Panics if the handle whose ptr is p was moved or dropped (checked mode only). */
SHI_FUNC void shi_own_check_use(const void *p, const sh_site *s);
/* An explicit drop of a handle already dropped: a panic in checked mode. */
SHI_FUNC void shi_own_check_redrop(const void *handle, const shi_own_kind *k);
SHI_FUNC void shi_own_track(void *p, size_t bytes, const shi_own_kind *k, const sh_site *s);
SHI_FUNC void shi_own_retrack(void *old_p, void *new_p, size_t bytes);
SHI_FUNC void shi_own_untrack(void *p, const void *handle, const shi_own_kind *k);
/* The handle's spelling without a leading '&', for messages. */
SHI_FUNC const char *shi_own_name(const sh_site *s, char *buf, size_t size);
/* A panic located at the call site s. */
#define SHI_OWN_PANIC(s, ...)                                                              \
    shi_panic_at((s) ? (s)->file : NULL, (s) ? (s)->line : 0, __VA_ARGS__)

#endif
