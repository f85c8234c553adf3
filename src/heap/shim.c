/*
 * shim.c — libstackheap-malloc.so: the standard allocation names, for LD_PRELOAD.
 *
 *     LD_PRELOAD=/path/to/libstackheap-malloc.so python3 app.py
 *
 * Every call goes straight to the sh_* function of the same meaning. C++ operator
 * new/delete call malloc/free in libstdc++, so they land here too. The library is built
 * from the heap's objects only and exports these names only (shim.map).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

#define SHIM __attribute__((visibility("default")))

SHIM void *malloc(size_t n) { return sh_malloc(n); }
SHIM void free(void *p) { sh_free(p); }
SHIM void *calloc(size_t count, size_t n) { return sh_calloc(count, n); }
SHIM void *realloc(void *p, size_t n) { return sh_realloc(p, n); }
SHIM void *reallocarray(void *p, size_t count, size_t n) { return sh_reallocarray(p, count, n); }
SHIM int posix_memalign(void **ret, size_t align, size_t n) { return sh_posix_memalign(ret, align, n); }
SHIM void *aligned_alloc(size_t align, size_t n) { return sh_aligned_alloc(align, n); }
SHIM size_t malloc_usable_size(void *p) { return sh_usable_size(p); }

/* memalign is older and looser than aligned_alloc, and programs written against glibc rely
 * on how glibc reads it: an alignment of 16 or less (0 included) is plain malloc, any other
 * is rounded up to a power of two; only one too big to round up is EINVAL. */
SHIM void *memalign(size_t align, size_t n) {
    if (align <= SH_ALIGN) return sh_malloc(n);
    if (align > SIZE_MAX / 2 + 1) { errno = EINVAL; return NULL; }
    if (align & (align - 1)) align = (size_t)1 << (64 - __builtin_clzll(align));
    return sh_aligned_alloc(align, n);
}

SHIM void *valloc(size_t n) { return sh_aligned_alloc((size_t)sysconf(_SC_PAGESIZE), n); }

SHIM void *pvalloc(size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded = (n + page - 1) & ~(page - 1);
    if (rounded < n) { errno = ENOMEM; return NULL; }
    return sh_aligned_alloc(page, rounded ? rounded : page);
}

/* glibc's malloc_trim returns 1 if memory went back to the OS. */
SHIM int malloc_trim(size_t pad) {
    (void)pad;
    sh_heap_trim();
    return 1;
}
