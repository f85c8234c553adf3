/*
 * src/core/grow.h — the one way an array grows, and the one thing that happens when memory
 * runs out: a panic that says so. No caller drops an element or half-fills a step because
 * realloc returned NULL (strace's xgrowarray does the same).
 *
 *     shi_frame *fr = NULL; size_t n = 0, cap = 0;
 *     SHI_GROW(fr, cap, n + 1);          // room for n + 1, capacity at least doubled
 *     fr[n++] = f;
 *     SHI_RESIZE(buf, len + 1);          // exactly len + 1 elements
 *
 * `cap` must be a size_t lvalue; the array is reassigned in place. New room is not zeroed.
 * Out of memory or a size that overflows size_t panics with the caller's file and line:
 *
 *     stackheap: panicked at src/trace/model/model.c:30:
 *     out of memory: an array of 268435456 x 64 bytes
 */
#ifndef SH_CORE_GROW_H
#define SH_CORE_GROW_H

#include <stddef.h>

#define SHI_GROW(items, cap, need) \
    ((items) = shi_grow_at((items), &(cap), (need), sizeof *(items), __FILE__, __LINE__))
#define SHI_RESIZE(items, n) \
    ((items) = shi_resize_at((items), (n), sizeof *(items), __FILE__, __LINE__))

/* Room for at least `need` elements of `elem` bytes: unchanged when *cap already holds
 * them, else max(2 * *cap, need, 4) elements, *cap updated. Never returns NULL. */
__attribute__((visibility("hidden"), warn_unused_result))
void *shi_grow_at(void *items, size_t *cap, size_t need, size_t elem, const char *file, int line);

/* realloc to exactly n elements (at least one byte is asked for). Never returns NULL. */
__attribute__((visibility("hidden"), warn_unused_result))
void *shi_resize_at(void *items, size_t n, size_t elem, const char *file, int line);

#endif
