/*
 * stats.c — statistics, the heap walk, trimming, and STACKHEAP_STATS=1 at exit.
 *
 * Counters are per thread and unsynchronised on the fast path; a reader adds them up, so
 * a snapshot taken while other threads run is approximate. The peak is sampled on slow
 * paths (a page refill that raised the thread's live bytes by 32 KiB, a medium or huge
 * allocation), so it can miss a short spike smaller than that per thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SH_API __attribute__((visibility("default")))

static int64_t load64(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static uint64_t loadu64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

/* Blocks live = allocations - frees: no separate counter on the fast path. */
typedef struct totals { int64_t small_live; uint64_t allocs, frees; } totals;

static totals add_up(void) {
    totals t = {
        .small_live = atomic_load_explicit(&shi_g.xlive, memory_order_relaxed),
        .allocs = atomic_load_explicit(&shi_g.xallocs, memory_order_relaxed),
        .frees = atomic_load_explicit(&shi_g.xfrees, memory_order_relaxed),
    };
    for (shi_theap *h = shi_heaps_first(); h; h = h->all_next) {
        t.small_live += load64(&h->live);
        t.allocs += loadu64(&h->allocs);
        t.frees += loadu64(&h->frees);
    }
    return t;
}

static size_t clamp0(int64_t v) { return v < 0 ? 0 : (size_t)v; }

static size_t small_live(const totals *t) {
    return clamp0(t->small_live - atomic_load(&shi_g.check_overhead[SEG_SMALL]));
}
static size_t medium_live(void) {
    return clamp0(atomic_load(&shi_g.medium_live) - atomic_load(&shi_g.check_overhead[SEG_MEDIUM]));
}
static size_t huge_live(void) {
    return clamp0(atomic_load(&shi_g.huge_live) - atomic_load(&shi_g.check_overhead[SEG_HUGE]));
}

static size_t live_now(const totals *t) { return small_live(t) + medium_live() + huge_live(); }

void shi_stats_sample_peak(void) {
    totals t = add_up();
    size_t live = live_now(&t), peak = atomic_load_explicit(&shi_g.peak, memory_order_relaxed);
    while (live > peak &&
           !atomic_compare_exchange_weak_explicit(&shi_g.peak, &peak, live, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

SH_API void sh_heap_get_stats(sh_heap_stats *st) {
    shi_ensure_init();
    shi_stats_sample_peak();
    totals t = add_up();
    memset(st, 0, sizeof *st);
    st->small_live = small_live(&t);
    st->medium_live = medium_live();
    st->huge_live = huge_live();
    st->live = st->small_live + st->medium_live + st->huge_live;
    st->live_blocks = t.allocs >= t.frees ? (size_t)(t.allocs - t.frees) : 0;
    st->allocs = t.allocs;
    st->frees = t.frees;
    st->peak = atomic_load(&shi_g.peak);
    if (st->peak < st->live) st->peak = st->live;
    st->committed = clamp0(atomic_load(&shi_g.committed));
    st->reserved = clamp0(atomic_load(&shi_g.reserved));
    st->fragmentation = st->committed ? 1.0 - (double)st->live / (double)st->committed : 0.0;
    if (st->fragmentation < 0) st->fragmentation = 0;
    st->os_maps = atomic_load(&shi_g.os_maps);
    st->os_unmaps = atomic_load(&shi_g.os_unmaps);
    st->os_purges = atomic_load(&shi_g.os_purges);
}

SH_API void sh_heap_trim(void) {
    shi_ensure_init();
    shi_theap *h = shi_tl_heap;
    shi_small_trim(h, true);
    shi_medium_trim(true);
    shi_huge_trim(true);
}

/* ---- the walk --------------------------------------------------------------------------------- */

typedef struct snapshot {
    sh_heap_block *blocks;
    size_t count, cap;
    bool failed;
} snapshot;

static void emit(void *ctx, void *addr, size_t size, int in_use, sh_block_kind kind) {
    snapshot *s = ctx;
    if (s->failed) return;
    if (s->count == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 4096;
        void *nb = shi_os_map_meta(ncap * sizeof(sh_heap_block));
        if (!nb) { s->failed = true; return; }
        if (s->blocks) {
            memcpy(nb, s->blocks, s->count * sizeof(sh_heap_block));
            shi_os_unmap_meta(s->blocks, s->cap * sizeof(sh_heap_block));
        }
        s->blocks = nb;
        s->cap = ncap;
    }
    if (in_use && shi_g.checked) shi_checked_walk_block(&addr, &size);
    s->blocks[s->count++] = (sh_heap_block){addr, size, in_use, kind};
}

/* Marks in `bits` the slots of a free list; the list may be changing under us (another
 * thread's page), so every link is checked before it is followed. */
static void mark_free(const shi_page *pg, const shi_block *b, uint64_t *bits) {
    uint32_t steps = 0;
    while (b && steps++ < pg->reserved) {
        size_t off = (size_t)((const uint8_t *)b - pg->start);
        if ((const uint8_t *)b < pg->start || off % pg->bsize || off / pg->bsize >= pg->capacity) return;
        size_t i = off / pg->bsize;
        bits[i / 64] |= 1ull << (i % 64);
        b = __atomic_load_n(&b->next, __ATOMIC_RELAXED);
    }
}

static void walk_page(snapshot *s, const shi_page *pg) {
    uint32_t cap = pg->capacity, bsize = pg->bsize;
    if (!bsize || !pg->reserved || cap > pg->reserved) return;
    uint64_t bits[SH_SLICE_SIZE * 8 / 16 / 64] = {0};  /* enough for 4096 slots */
    if (pg->reserved > sizeof bits * 8) return;
    mark_free(pg, pg->free, bits);
    mark_free(pg, pg->local_free, bits);
    mark_free(pg, atomic_load_explicit(&((shi_page *)pg)->xfree, memory_order_acquire), bits);
    for (uint32_t i = 0; i < cap; i++)
        emit(s, pg->start + (size_t)i * bsize, bsize, !(bits[i / 64] >> (i % 64) & 1), SH_BLOCK_SMALL);
    if (cap < pg->reserved)
        emit(s, pg->start + (size_t)cap * bsize, (size_t)(pg->reserved - cap) * bsize, 0, SH_BLOCK_SMALL);
}

static void walk_small_locked(snapshot *s) {
    for (shi_segment *seg = shi_segments_first(); seg; seg = seg->all_next) {
        for (unsigned i = 1; i < SH_SLICES; i++) {
            const shi_page *pg = &seg->pages[i];
            if (pg->slices && !pg->slice_back) walk_page(s, pg);
        }
    }
}

SH_API int sh_heap_walk(sh_heap_walk_fn fn, void *arg) {
    shi_ensure_init();
    snapshot s = {0};
    shi_segments_lock();
    walk_small_locked(&s);
    shi_segments_unlock();
    shi_medium_lock_all();
    shi_medium_walk_locked(emit, &s);
    shi_medium_unlock_all();
    shi_huge_lock();
    shi_huge_walk_locked(emit, &s);
    shi_huge_unlock();
    int rc = 0;
    if (s.failed) {
        errno = ENOMEM;
        rc = -1;
    } else {
        for (size_t i = 0; i < s.count; i++)
            if (fn(&s.blocks[i], arg)) break;
    }
    shi_os_unmap_meta(s.blocks, s.cap * sizeof(sh_heap_block));
    return rc;
}

/* ---- printing ------------------------------------------------------------------------------------ */

static void put_line(int fd, const char *label, size_t v, const char *unit) {
    char line[160];
    if (unit && v >= 10 * 1024 * 1024)
        snprintf(line, sizeof line, "  %-14s %12zu %s (%.1f MiB)\n", label, v, unit, (double)v / 1048576.0);
    else if (unit && v >= 10 * 1024)
        snprintf(line, sizeof line, "  %-14s %12zu %s (%.1f KiB)\n", label, v, unit, (double)v / 1024.0);
    else
        snprintf(line, sizeof line, "  %-14s %12zu %s\n", label, v, unit ? unit : "");
    shi_os_write(fd, line);
}

SH_API void sh_heap_print_stats(int fd) {
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    char line[160];
    shi_os_write(fd, "stackheap heap statistics\n");
    put_line(fd, "live", st.live, "bytes");
    put_line(fd, "  small", st.small_live, "bytes");
    put_line(fd, "  medium", st.medium_live, "bytes");
    put_line(fd, "  huge", st.huge_live, "bytes");
    put_line(fd, "live blocks", st.live_blocks, NULL);
    put_line(fd, "peak", st.peak, "bytes");
    put_line(fd, "committed", st.committed, "bytes");
    put_line(fd, "reserved", st.reserved, "bytes");
    snprintf(line, sizeof line, "  %-14s %11.1f %%\n", "fragmentation", st.fragmentation * 100.0);
    shi_os_write(fd, line);
    snprintf(line, sizeof line, "  %-14s %12llu\n  %-14s %12llu\n", "allocations",
             (unsigned long long)st.allocs, "frees", (unsigned long long)st.frees);
    shi_os_write(fd, line);
    snprintf(line, sizeof line, "  %-14s %12zu mmap, %zu munmap, %zu madvise\n", "os calls",
             st.os_maps, st.os_unmaps, st.os_purges);
    shi_os_write(fd, line);
    snprintf(line, sizeof line, "  %-14s %12s\n", "checked mode", shi_g.checked ? "on" : "off");
    shi_os_write(fd, line);
}

__attribute__((destructor)) static void print_at_exit(void) {
    const char *v = getenv("STACKHEAP_STATS");
    if (v && *v && strcmp(v, "0") != 0) sh_heap_print_stats(shi_g.stats_fd > 0 ? shi_g.stats_fd : 2);
}
