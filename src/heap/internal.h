/*
 * src/heap/internal.h — the heap's internal layout, shared by the files of src/heap/.
 *
 * Memory comes from the OS in segments: 4 MiB regions aligned to 4 MiB, so the segment of
 * any block is found by masking the pointer. A byte map (one entry per 4 MiB of address
 * space, reserved lazily) says which segments are ours, which turns a bad free into a
 * clear panic instead of a wild read.
 *
 *   small  (<= 32 KiB)  SEG_SMALL: 64 slices of 64 KiB; slice 0 is the header; a page is
 *                        one or more slices holding blocks of one size class. Each page
 *                        belongs to one thread heap: the owner allocates and frees without
 *                        locks; other threads push frees onto the page's atomic xfree list.
 *   medium (<= 2 MiB)   SEG_MEDIUM: one arena-owned range of boundary-tagged blocks; a
 *                        best-fit search over binned free lists, coalescing on free. One
 *                        mutex per arena; threads spread over several arenas.
 *   huge                SEG_HUGE: a mapping of its own, recycled through a small cache.
 */
#ifndef SH_HEAP_INTERNAL_H
#define SH_HEAP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stackheap/heap.h"

#define SHI_FUNC __attribute__((visibility("hidden")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define SH_NOINLINE __attribute__((noinline))

#define SH_ALIGN 16
#define SH_SEG_SHIFT 22
#define SH_SEG_SIZE ((size_t)1 << SH_SEG_SHIFT)
#define SH_SEG_MASK (SH_SEG_SIZE - 1)
#define SH_SLICE_SHIFT 16
#define SH_SLICE_SIZE ((size_t)1 << SH_SLICE_SHIFT)
#define SH_SLICES (SH_SEG_SIZE / SH_SLICE_SIZE) /* 64: one bit each in a uint64_t */
#define SH_OS_PAGE 4096
#define SH_CACHE_LINE 64

#define SH_SMALL_MAX ((size_t)32 * 1024)
#define SH_MEDIUM_MAX ((size_t)2 * 1024 * 1024)
#define SH_MCACHE_SLOTS 2                 /* medium blocks a thread keeps after freeing them */
#define SH_MCACHE_MAX ((size_t)256 * 1024) /* ... of this usable size at most */
#define SH_DIRECT_MAX 1024 /* sizes served by the one-load fast path */
#define SH_DIRECT_SLOTS (SH_DIRECT_MAX / 16 + 1)

/* Size classes: multiples of 16 up to 128, then 8 classes per doubling (12.5 % apart). */
#define SH_SMALL_CLASSES 72  /* class 72 is 32 KiB */
#define SH_BINS 128          /* medium free-list bins use the same classes */

static inline unsigned shi_size_class(size_t n) {
    if (n <= 128) return n <= 16 ? 1 : (unsigned)((n + 15) >> 4);
    unsigned b = 63u - (unsigned)__builtin_clzll(n - 1); /* 2^b < n <= 2^(b+1) */
    unsigned sub = (unsigned)((n - 1) >> (b - 3)) - 8;    /* 0..7 */
    return 8 + (b - 7) * 8 + sub + 1;
}

static inline size_t shi_class_size(unsigned c) {
    if (c <= 8) return (size_t)c * 16;
    unsigned k = c - 9, b = 7 + k / 8, sub = k % 8;
    return (size_t)(9 + sub) << (b - 3);
}

static inline size_t shi_align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* ---- segments, pages ---------------------------------------------------------------- */

typedef enum { SEG_SMALL = 1, SEG_MEDIUM = 2, SEG_HUGE = 3 } shi_seg_kind;

typedef struct shi_block { struct shi_block *next; } shi_block;
struct shi_theap;

/* PAGE_QUARANTINED: a page a fork child found half-changed by a thread that does not exist
 * there; it is never allocated from again (its blocks can still be freed, onto xfree).
 * PAGE_LENDING: a sparse page whose free slots serve bigger sizes (see shi_lend_bits). */
enum { PAGE_IN_FULL = 1, PAGE_HAS_ALIGNED = 2, PAGE_CHECKED = 4, PAGE_QUARANTINED = 8,
       PAGE_LENDING = 16 };

typedef struct shi_page {
    /* the fast path reads these first */
    shi_block *free;                       /* blocks ready to hand out */
    uint32_t used;                         /* blocks handed out (xfree ones not yet seen) */
    uint8_t flags;                         /* PAGE_*: any set sends free to the slow path */
    uint8_t slice_back;                    /* in a follower slice: how far back the page is */
    uint8_t slices;                        /* slices this page spans (0: slice unused) */
    uint8_t sclass;
    struct shi_theap *_Atomic heap;        /* owner; NULL while abandoned */
    _Atomic(shi_block *) xfree;            /* freed by other threads */
    uint32_t bsize;
    uint32_t capacity;                     /* blocks carved so far */
    uint32_t reserved;                     /* blocks the page can hold */
    uint32_t lend_max;                     /* lending page: no run of free slots is longer */
    uint64_t slot_magic;                   /* ceil(2^64 / bsize): slot tests without a division */
    uint8_t *start;
    struct shi_page *next, *prev;          /* in the owner's class queue or full list */
} shi_page;

/* Is p the start of a slot of pg, that is, is its offset a multiple of bsize? With c the
 * rounded-up 2^64 / bsize, an offset below 2^32 is a multiple exactly when offset * c, taken
 * modulo 2^64, is below c: the fraction offset / bsize is zero then, and c's rounding error
 * (under one per 2^64 / bsize) cannot carry it past c. One multiplication, no division. */
static inline bool shi_small_at_slot(const shi_page *pg, const void *p) {
    uint64_t off = (uint64_t)((const uint8_t *)p - pg->start);  /* below 2^19: 8 slices */
    return off * pg->slot_magic < pg->slot_magic;
}

typedef struct shi_segment {
    uint8_t kind;
    /* SEG_SMALL: where the segment is. Each byte is changed only under the lock named, so
     * a fork child (which holds every lock) knows which segments are in a consistent place;
     * any other small segment was in the hands of a thread that the child does not have. */
    uint8_t in_cache;                      /* in the empty-segment cache (segments lock) */
    uint8_t in_abandoned;                  /* on the abandoned FIFO (abandoned lock) */
    uint8_t orphan;                        /* fork child: to be checked before it is used */
    size_t map_size;                       /* bytes mapped for this segment */
    struct shi_segment *next, *prev;       /* in its owner's list, the cache or the FIFO */
    /* SEG_SMALL */
    struct shi_theap *heap;                /* owner; NULL while abandoned */
    uint64_t slices_used;
    uint32_t touched[SH_SLICES];           /* bytes of each slice written since it was last
                                              purged: what `committed` counts for it */
    uint64_t dirty_since;                  /* ms clock when a slice was last freed unpurged */
    struct shi_segment *all_next, *all_prev; /* every small segment, for the walk */
    /* SEG_MEDIUM */
    struct shi_arena *arena;
    /* SEG_HUGE */
    size_t huge_offset;                    /* user pointer = segment + huge_offset */
    size_t huge_usable;
    uint64_t huge_freed_at;
    shi_page pages[SH_SLICES];             /* one descriptor per slice */
} shi_segment;

_Static_assert(sizeof(shi_segment) + SH_SLICES * 512 <= SH_SLICE_SIZE,
               "the segment header and the checked-mode bitmaps fit in slice 0");

/* Checked-mode bitmaps (1 = block handed out) live in slice 0 after the header. */
static inline _Atomic uint64_t *shi_check_bits(shi_segment *seg, size_t slice) {
    uint8_t *base = (uint8_t *)seg + shi_align_up(sizeof(shi_segment), 64);
    return (_Atomic uint64_t *)(base + slice * 512);
}

static inline shi_segment *shi_segment_of(const void *p) {
    return (shi_segment *)((uintptr_t)p & ~(uintptr_t)SH_SEG_MASK);
}

/* A lending page (PAGE_LENDING, never in checked mode, so it has the checked-mode bitmap
 * area of its slice) no longer has free lists: after a fragmenting phase left it nearly
 * empty, its free slots serve sizes of 288 B to 2 KiB as runs of adjacent slots, which is
 * what lets freed small memory serve other sizes. Bits 0-2047 of the area say which slots
 * are free; bits 2048-4095 mark the slots of a lent block but its last, so a lent block of
 * k slots at slot i has bits i..i+k-2 set and i+k-1 clear, and a block of one slot (from
 * before the page lent) has none. Only the owner writes them. Hosts have 2,048 slots at
 * most: blocks of 32 bytes and more in one-slice pages. */
#define SH_LEND_SLOTS 2048
static inline _Atomic uint64_t *shi_lend_bits(const shi_page *pg) {
    shi_segment *seg = shi_segment_of(pg);
    return shi_check_bits(seg, (size_t)(pg->start - (uint8_t *)seg) >> SH_SLICE_SHIFT);
}

static inline bool shi_lend_bit(_Atomic uint64_t *bits, size_t i) {
    return atomic_load_explicit(&bits[i / 64], memory_order_relaxed) >> (i % 64) & 1;
}

/* The slots of the block at slot i of a lending page. */
static inline uint32_t shi_lent_slots(_Atomic uint64_t *bits, size_t i) {
    _Atomic uint64_t *lent = bits + SH_LEND_SLOTS / 64;
    uint32_t k = 1;
    while (i + k <= SH_LEND_SLOTS && k <= 64 && shi_lend_bit(lent, i + k - 1)) k++;
    return k;
}

static inline shi_page *shi_page_of(shi_segment *seg, const void *p) {
    size_t slice = ((uintptr_t)p - (uintptr_t)seg) >> SH_SLICE_SHIFT;
    shi_page *pg = &seg->pages[slice];
    return pg - pg->slice_back;
}

/* The segment map: which 4 MiB units start one of our segments. A byte per unit of a 48-bit
 * address space is 64 MiB, too much to reserve up front (a program under `ulimit -v` would
 * lose it), so the map has two levels: a static table of 4096 pointers, each to a leaf of
 * 16384 bytes covering 64 GiB of address space. os.c maps a leaf when the first segment in
 * its range is mapped, before the mapping is handed out, so shi_segmap_set never finds one
 * missing; leaves are never freed. A lookup is two loads, safe for any pointer value. */
#define SH_ADDR_BITS 48
#define SH_SEGMAP_ENTRIES ((size_t)1 << (SH_ADDR_BITS - SH_SEG_SHIFT))
#define SH_SEGMAP_LEAF_BITS 14
#define SH_SEGMAP_LEAF ((size_t)1 << SH_SEGMAP_LEAF_BITS)            /* bytes in a leaf */
#define SH_SEGMAP_TOP (SH_SEGMAP_ENTRIES >> SH_SEGMAP_LEAF_BITS)     /* pointers in the table */
extern uint8_t *shi_segmap[SH_SEGMAP_TOP];  /* NULL: no segment in that range yet */
enum { SEGMAP_NONE = 0, SEGMAP_START = 1 }; /* k >= 2: the segment starts k-1 units before */

/* The segment holding p, or NULL if p is not in memory this heap handed out. A leaf is
 * published with a release store after the kernel zeroed it, hence the acquire here. */
static inline shi_segment *shi_segment_lookup(const void *p) {
    uintptr_t unit = (uintptr_t)p >> SH_SEG_SHIFT;
    if (unlikely(unit >= SH_SEGMAP_ENTRIES)) return NULL;
    uint8_t *leaf = __atomic_load_n(&shi_segmap[unit >> SH_SEGMAP_LEAF_BITS], __ATOMIC_ACQUIRE);
    if (unlikely(!leaf)) return NULL;
    uint8_t v = __atomic_load_n(&leaf[unit & (SH_SEGMAP_LEAF - 1)], __ATOMIC_RELAXED);
    if (likely(v == SEGMAP_START)) return (shi_segment *)(unit << SH_SEG_SHIFT);
    if (v == SEGMAP_NONE) return NULL;
    return (shi_segment *)((unit - (v - 1u)) << SH_SEG_SHIFT);
}
SHI_FUNC void shi_segmap_set(void *seg, size_t units_back_of_user, const void *user, bool on);

/* ---- thread heaps --------------------------------------------------------------------- */

typedef struct shi_pageq { shi_page *first, *last; } shi_pageq;

typedef struct shi_theap {
    shi_page *direct[SH_DIRECT_SLOTS];     /* size/16 -> page to try first */
    shi_pageq queues[SH_SMALL_CLASSES + 1];
    shi_page *full;                        /* pages with no free block when last looked */
    shi_pageq lending;                     /* PAGE_LENDING pages, the likeliest to fit first */
    uint32_t lend_skip;                    /* searches for a page to lend skipped after a miss */
    _Atomic int full_dirty;                /* another thread freed into a full page */
    int64_t live;                          /* owner-written; small bytes allocated - freed here */
    int64_t published;                     /* the part of `live` added to shi_g.small_pub */
    uint64_t allocs, frees;
    shi_segment *segments;                 /* small segments this heap owns */
    uint32_t arena;                        /* medium arena index */
    /* Medium blocks this thread freed last, kept (in use to their arena) for its next
     * requests of their size: a malloc/free pair of a 100 KB buffer takes no lock. */
    void *mcache[SH_MCACHE_SLOTS];
    uint32_t mcache_n;                     /* release-stored after the slot: a fork child reads it */
    int64_t mcached;                       /* their usable bytes, for the stats */
    uint32_t refills;
    int64_t peak_mark;                     /* sample the global peak when live passes it */
    uint64_t last_purge;                   /* ms clock of the last look for idle slices */
    uint64_t retired_at;                   /* ms clock when its thread ended */
    uint32_t passed_over;                  /* claims that took another heap while it waited */
    bool in_use;                           /* a thread (or the purger, tidying it) has it */
    bool fast;                             /* queues may be used without the slow path */
    pthread_t thread;
    struct shi_theap *all_next;            /* registry of every heap ever made */
    /* The small-tier lock (small.c): held by the owner on its slow paths, never on the fast
     * path, and taken (try only) by the purger to give back a heap's free memory. */
    _Atomic uint32_t small_lock;
    uint32_t small_depth;                  /* the owner's nested holds */
    uint32_t epoch;                        /* owner slow paths so far, counted under the lock */
    uint32_t epoch_seen;                   /* the purger's: `epoch` when it last looked */
    size_t noted;                          /* slice bytes freed under the lock, for purge.c */
} shi_theap;

/* shi_empty_heap: a thread that has not allocated yet; shi_exited_heap: a thread whose heap
 * was retired at its exit (glibc still frees per-thread buffers after that). Neither owns
 * pages, so both send every call to the slow path. */
extern shi_theap shi_empty_heap, shi_exited_heap;
static inline bool shi_theap_owned(const shi_theap *h) {   /* a real heap, a thread's own */
    return h != &shi_empty_heap && h != &shi_exited_heap;
}
extern shi_page shi_empty_page;
extern __thread shi_theap *shi_tl_heap;

SHI_FUNC shi_theap *shi_theap_get(void);   /* the caller's heap, made if needed; NULL: ENOMEM
                                              or the thread has exited (shi_exited_heap) */
SHI_FUNC shi_theap *shi_theap_claim(void); /* a heap struct for a short use (late_alloc) */
SHI_FUNC void shi_theap_release(shi_theap *h);  /* abandons and retires it */
SHI_FUNC void shi_theap_publish(shi_theap *h);  /* h->live - h->published into small_pub */
SHI_FUNC void shi_heaps_lock(void);
SHI_FUNC void shi_heaps_unlock(void);
SHI_FUNC shi_theap *shi_heaps_first(void);

/* ---- global state --------------------------------------------------------------------- */

/* The mode, read by every slow path and every free of another thread's block, has a cache
 * line of its own: the counters after it are written by all threads, and a line they share
 * would move between cores on each of those reads (a miss on every medium allocation). */
typedef struct shi_globals {
    _Atomic int init_state;                /* 0 none, 1 running, 2 done */
    bool checked, print_stats;
    int stats_fd;                          /* a private copy of stderr for STACKHEAP_STATS */
    _Alignas(SH_CACHE_LINE) _Atomic int64_t xlive; /* retired heaps, frees by exited threads */
    _Atomic int64_t small_pub;             /* small live bytes as published by the heaps: within
                                              SH_PUBLISH_SLACK per heap of the exact sum, read
                                              in O(1) to sample the peak */
    _Atomic uint64_t xallocs, xfrees;
    _Atomic int64_t medium_live, huge_live;
    _Atomic int64_t check_overhead[4];     /* checked mode: slot bytes beyond the request, by kind */
    _Atomic size_t peak;
    _Atomic int64_t committed, reserved;
    _Atomic size_t os_maps, os_unmaps, os_purges;
} shi_globals;
extern shi_globals shi_g;

SHI_FUNC void shi_init(void);
SHI_FUNC void shi_stats_init(void);  /* stats.c, from shi_init: where the exit report goes */
static inline void shi_ensure_init(void) {
    if (unlikely(atomic_load_explicit(&shi_g.init_state, memory_order_acquire) != 2)) shi_init();
}

/* ---- os.c: the only file that talks to the OS ------------------------------------------ */
SHI_FUNC void *shi_os_map_aligned(size_t size, size_t align); /* NULL on failure */
SHI_FUNC void *shi_os_map_aligned_at(size_t size, size_t align, size_t at); /* p + at aligned */
SHI_FUNC void shi_os_unmap(void *p, size_t size);
SHI_FUNC void shi_os_purge(void *p, size_t size);             /* contents become zero */
SHI_FUNC bool shi_os_remap(void *p, size_t old_size, size_t new_size); /* in place only */
SHI_FUNC void *shi_os_move(void *p, size_t old_size, size_t new_size, size_t align);
SHI_FUNC uint64_t shi_clock_ms(void);
SHI_FUNC void *shi_os_map_meta(size_t size);                  /* zeroed, for metadata */
SHI_FUNC void shi_os_unmap_meta(void *p, size_t size);         /* NULL is fine */
SHI_FUNC void shi_os_write(int fd, const char *s);

/* ---- small.c ---------------------------------------------------------------------------- */
SHI_FUNC void *shi_small_alloc_slow(shi_theap *h, size_t n);
SHI_FUNC void *shi_small_alloc(shi_theap *h, size_t n);  /* the same, lending pages too:
                                                           unaligned requests only */
SHI_FUNC void shi_small_free_slow(shi_segment *seg, shi_page *pg, void *p);
SHI_FUNC void shi_small_heap_done(shi_theap *h);      /* abandon its segments to the FIFO */
SHI_FUNC void shi_small_heap_exit(shi_theap *h);      /* its thread ends: collect, release */
SHI_FUNC bool shi_small_heap_trylock(shi_theap *h);   /* for a heap that is not the caller's */
SHI_FUNC size_t shi_small_heap_unlock(shi_theap *h); /* returns bytes for shi_purge_note,
                                                         to be told with no lock held */
SHI_FUNC void shi_small_heap_reset_lock(shi_theap *h); /* fork child: no holder survives */
SHI_FUNC bool shi_small_purge_live(uint64_t now, bool look); /* thread heaps; true: more */
SHI_FUNC bool shi_small_heap_tidy(shi_theap *h, uint64_t now); /* collect, release, purge */
SHI_FUNC size_t shi_small_heap_bytes(shi_theap *h);   /* slices its pages hold, in bytes */
SHI_FUNC bool shi_theap_purge_retired(uint64_t now, bool force); /* heaps of ended threads */
SHI_FUNC void shi_theap_wind_up_retired(uint64_t now); /* to the FIFO now */
SHI_FUNC void shi_small_fork_child(shi_theap *keep); /* running threads' segments: orphans */
SHI_FUNC size_t shi_small_usable(shi_page *pg, const void *p);
SHI_FUNC void *shi_small_block_start(shi_page *pg, const void *p);
SHI_FUNC void shi_small_trim(shi_theap *h, bool force);
SHI_FUNC void shi_segments_lock(void);
SHI_FUNC void shi_segments_unlock(void);
SHI_FUNC shi_segment *shi_segments_first(void);
SHI_FUNC void shi_abandoned_lock(void);
SHI_FUNC void shi_abandoned_unlock(void);
SHI_FUNC bool shi_small_purge_abandoned(uint64_t now, bool force); /* true: more to do later */
SHI_FUNC bool shi_small_cache_trim(uint64_t now, bool force);      /* true: more to do later */

/* ---- medium.c --------------------------------------------------------------------------- */
#define SH_ARENAS 8
SHI_FUNC void *shi_medium_alloc(shi_theap *h, size_t n, size_t align);
SHI_FUNC void shi_medium_free(shi_segment *seg, void *p);
SHI_FUNC void *shi_medium_cache_take(shi_theap *h, size_t n);       /* NULL: none fits */
SHI_FUNC bool shi_medium_cache_put(shi_theap *h, shi_segment *seg, void *p);
SHI_FUNC void shi_medium_cache_flush(shi_theap *h);
SHI_FUNC void shi_medium_cache_forget(shi_theap *h);  /* a fork child: another thread's */
SHI_FUNC size_t shi_medium_usable(const void *p);
SHI_FUNC bool shi_medium_resize_in_place(shi_segment *seg, void *p, size_t n);
SHI_FUNC void *shi_medium_grow_back(shi_segment *seg, void *p, size_t n);   /* NULL: no room */
SHI_FUNC void shi_medium_trim(bool force);
SHI_FUNC bool shi_medium_purge_all(bool wait);     /* every arena; true: more to do later */
SHI_FUNC void shi_medium_lock_all(void);
SHI_FUNC void shi_medium_unlock_all(void);
SHI_FUNC bool shi_medium_is_block(shi_segment *seg, const void *p, void **ret_start, bool *ret_in_use);
typedef void (*shi_walk_emit)(void *ctx, void *addr, size_t size, int in_use, sh_block_kind k);
SHI_FUNC void shi_medium_walk_locked(shi_walk_emit emit, void *ctx);

/* ---- huge.c ----------------------------------------------------------------------------- */
SHI_FUNC void *shi_huge_alloc(size_t n, size_t align, bool *ret_fresh); /* fresh: all zero */
SHI_FUNC void shi_huge_free(shi_segment *seg, void *p);
SHI_FUNC size_t shi_huge_usable(shi_segment *seg);
SHI_FUNC void *shi_huge_realloc(shi_segment *seg, size_t n); /* NULL: not done */
SHI_FUNC void shi_huge_trim(bool force);
SHI_FUNC bool shi_huge_pending(void);              /* mappings waiting in the cache */
SHI_FUNC void shi_huge_lock(void);
SHI_FUNC void shi_huge_unlock(void);
SHI_FUNC void shi_huge_walk_locked(shi_walk_emit emit, void *ctx);

/* ---- purge.c: memory back to the OS after a delay, also while the program idles ---------- */
#define SH_PUBLISH_SLACK ((int64_t)64 * 1024)
SHI_FUNC void shi_purge_tick(uint64_t now_ms);    /* slow paths: a pass if one is due */
SHI_FUNC void shi_purge_kick(void);               /* memory is waiting: start the purger */
SHI_FUNC void shi_purge_note(size_t bytes);       /* that many came free: kick past a threshold */
SHI_FUNC bool shi_purge_all(bool wait);           /* one pass; true: more to do later */
SHI_FUNC void shi_purge_fork_prepare(void);
SHI_FUNC void shi_purge_fork_child(void);
SHI_FUNC void shi_purge_init(void);

/* ---- check.c ---------------------------------------------------------------------------- */
#define SHI_CHECK_FREED 0xDD /* checked mode fills freed memory with it, checked on reuse */
__attribute__((noreturn, format(printf, 1, 2))) SHI_FUNC void shi_panic(const char *fmt, ...);
SHI_FUNC void shi_invalid_free(const void *p, const char *why);
SHI_FUNC void *shi_checked_malloc(size_t n, size_t align);
SHI_FUNC void shi_checked_free(void *p);
SHI_FUNC size_t shi_checked_usable(const void *p);
SHI_FUNC bool shi_check_recently_freed(const void *p);
SHI_FUNC void shi_checked_walk_block(void **addr, size_t *size);
__attribute__((noreturn)) SHI_FUNC void shi_check_bad_header(const void *prev_start, size_t prev_usable,
                                                           bool prev_in_use, const void *header);

/* ---- alloc.c: tier dispatch used by check.c ------------------------------------------- */
SHI_FUNC void *shi_alloc_any(size_t n, size_t align);     /* no fast path, no checks */
SHI_FUNC void shi_free_any(void *p);                      /* validated, not checked-mode */
SHI_FUNC size_t shi_usable_any(const void *p);
SHI_FUNC void shi_stats_sample_peak(void);

#endif
