/* src/core/grow.c — see grow.h: amortised growth and one out-of-memory policy (a panic). */
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"
#include "panic.h"

void *shi_resize_at(void *items, size_t n, size_t elem, const char *file, int line) {
    if (elem && n > SIZE_MAX / elem)
        shi_panic_at(file, line, "capacity overflow: an array of %zu x %zu bytes", n, elem);
    size_t bytes = n * elem;
    void *p = realloc(items, bytes ? bytes : 1);   /* realloc(p, 0) may free p: never ask it */
    if (!p) shi_panic_at(file, line, "out of memory: an array of %zu x %zu bytes", n, elem);
    return p;
}

void *shi_grow_at(void *items, size_t *cap, size_t need, size_t elem, const char *file, int line) {
    if (need <= *cap && items) return items;
    size_t ncap = *cap > SIZE_MAX / 2 ? SIZE_MAX : *cap * 2;
    if (ncap < need) ncap = need;
    if (ncap < 4) ncap = 4;
    void *p = shi_resize_at(items, ncap, elem, file, line);
    *cap = ncap;
    return p;
}
