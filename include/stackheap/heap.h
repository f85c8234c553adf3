/*
 * stackheap/heap.h — the heap: a general-purpose, thread-safe allocator.
 *
 * This is the lesson's "heap": a pool that hands out blocks of any size at run time,
 * searches for free blocks and fights fragmentation. Small blocks come from per-size-class
 * pages owned by one thread (no lock on the fast path); medium blocks from a best-fit
 * free-block search with coalescing; huge blocks are mapped directly. Freed memory goes
 * back to the OS after a while. libstackheap-malloc.so exports the same allocator under the
 * standard names (malloc, free, ...) for LD_PRELOAD.
 *
 *     char *s = sh_malloc(32);                 // NULL with errno = ENOMEM on failure
 *     s = sh_realloc(s, 4096);                 // contents kept
 *     sh_heap_stats st; sh_heap_get_stats(&st);  // live, peak, committed, ...
 *     sh_heap_walk(print_block, NULL);         // every block: address, size, used/free
 *     sh_free(s);                              // sh_free(NULL) does nothing
 *
 * Every pointer returned is aligned to at least 16 bytes. Programming errors (freeing a
 * pointer that is not a live block) panic with a message naming the address and abort.
 * With STACKHEAP_CHECK=1 in the environment (or the STACKHEAP_CHECKED build option) the
 * heap also catches double frees and writes past the end of a block.
 */
#ifndef STACKHEAP_HEAP_H
#define STACKHEAP_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The allocation calls: same contracts as the C/POSIX functions they are named after, and
 * the attributes glibc gives those (attrs.h): a result ignored is a warning, and GCC warns
 * when a block from these goes to free() instead of sh_free(). */
void  sh_free(void *ptr);
SH_MALLOC SH_DEALLOC(sh_free, 1) SH_ALLOC_SIZE(1) SH_WARN_UNUSED
void *sh_malloc(size_t size);
SH_MALLOC SH_DEALLOC(sh_free, 1) SH_ALLOC_SIZE(1, 2) SH_WARN_UNUSED
void *sh_calloc(size_t count, size_t size);
/* size 0 frees ptr and returns NULL. Not SH_MALLOC: the block keeps ptr's contents. */
SH_DEALLOC(sh_free, 1) SH_ALLOC_SIZE(2) SH_WARN_UNUSED
void *sh_realloc(void *ptr, size_t size);
SH_DEALLOC(sh_free, 1) SH_ALLOC_SIZE(2, 3) SH_WARN_UNUSED
void *sh_reallocarray(void *ptr, size_t count, size_t size);
/* alignment: a power of two (else NULL and EINVAL) */
SH_MALLOC SH_DEALLOC(sh_free, 1) SH_ALLOC_ALIGN(1) SH_ALLOC_SIZE(2) SH_WARN_UNUSED
void *sh_aligned_alloc(size_t alignment, size_t size);
/* 0, or EINVAL / ENOMEM (returned, errno untouched) with *ret_ptr untouched */
SH_NONNULL(1) SH_WARN_UNUSED
int   sh_posix_memalign(void **ret_ptr, size_t alignment, size_t size);
size_t sh_usable_size(const void *ptr);             /* >= the size asked for; 0 for NULL */

/* Statistics, in bytes unless said otherwise. A snapshot: other threads may move on. */
typedef struct sh_heap_stats {
    size_t live;           /* bytes in blocks handed out and not freed (usable sizes; in
                              checked mode the sizes asked for, as sh_usable_size says) */
    size_t live_blocks;    /* number of such blocks */
    size_t peak;           /* highest `live` seen (sampled on slow paths, see docs/heap.md) */
    size_t committed;      /* memory mapped read-write and not given back to the OS */
    size_t reserved;       /* address space held, committed or not */
    double fragmentation;  /* 1 - live / committed: the share of committed memory not in use */
    uint64_t allocs;       /* allocation calls that succeeded */
    uint64_t frees;        /* free calls on a non-NULL pointer */
    size_t small_live, medium_live, huge_live;   /* `live` by tier */
    size_t os_maps, os_unmaps, os_purges;        /* calls to mmap, munmap, madvise */
} sh_heap_stats;

SH_NONNULL(1) void sh_heap_get_stats(sh_heap_stats *ret_stats);

/* Where a block comes from. */
typedef enum sh_block_kind {
    SH_BLOCK_SMALL = 0,    /* a slot in a size-class page */
    SH_BLOCK_MEDIUM = 1,   /* a range in a medium arena (free-block search, coalescing) */
    SH_BLOCK_HUGE = 2      /* its own mapping */
} sh_block_kind;

typedef struct sh_heap_block {
    void *addr;            /* first byte a caller can use */
    size_t size;           /* usable bytes */
    int in_use;            /* 1 if handed out, 0 if free */
    sh_block_kind kind;
} sh_heap_block;

/* Calls fn once per block, in address order within each region; fn returns non-zero to
 * stop early. The walk first copies a snapshot (into memory from the OS, not the heap),
 * then calls fn, so fn may allocate and free. Returns 0, or -1 with errno = ENOMEM if the
 * snapshot could not be made. Untouched capacity at the end of a small page is not listed
 * block by block: it is reported as one free block. */
typedef int (*sh_heap_walk_fn)(const sh_heap_block *block, void *arg);
SH_NONNULL(1) SH_WARN_UNUSED int sh_heap_walk(sh_heap_walk_fn fn, void *arg);

/* Gives free memory back to the OS now instead of after the usual delay. */
void sh_heap_trim(void);

/* Prints the statistics to the given file descriptor (what STACKHEAP_STATS=1 prints at exit). */
void sh_heap_print_stats(int fd);

/* 1 if the checked mode (double free, overrun detection) is on in this process. */
int sh_heap_checked(void);

#ifdef __cplusplus
}
#endif
#endif /* STACKHEAP_HEAP_H */
