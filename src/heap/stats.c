/*
 * stats.c — statistics, the heap walk, trimming, and the STACKHEAP_STATS report at exit.
 *
 * Counters are per thread and unsynchronised on the fast path; a reader adds them up, so
 * a snapshot taken while other threads run is approximate. The peak is sampled on slow
 * paths (a page refill that raised the thread's live bytes by 32 KiB, a medium or huge
 * allocation), so it can miss a short spike smaller than that per thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define SH_API __attribute__((visibility("default")))

static int64_t load64(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static uint64_t loadu64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

/* Blocks live = allocations - frees: no separate counter on the fast path. */
typedef struct totals { int64_t small_live, mcached; uint64_t allocs, frees; } totals;

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
        t.mcached += load64(&h->mcached);
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

/* O(1) whatever the number of threads: the small part is the published sum, which each
 * heap keeps within SH_PUBLISH_SLACK of its own count. */
void shi_stats_sample_peak(void) {
    int64_t small = atomic_load_explicit(&shi_g.small_pub, memory_order_relaxed) -
                    atomic_load_explicit(&shi_g.check_overhead[SEG_SMALL], memory_order_relaxed);
    size_t live = clamp0(small) + medium_live() + huge_live();
    size_t peak = atomic_load_explicit(&shi_g.peak, memory_order_relaxed);
    while (live > peak &&
           !atomic_compare_exchange_weak_explicit(&shi_g.peak, &peak, live, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

SH_API void sh_heap_get_stats(sh_heap_stats *st) {
    shi_ensure_init();
    shi_stats_sample_peak();
    shi_heaps_lock();  /* the registry may grow meanwhile */
    totals t = add_up();
    shi_heaps_unlock();
    memset(st, 0, sizeof *st);
    st->small_live = small_live(&t);
    st->medium_live = clamp0((int64_t)medium_live() - t.mcached);
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
    if (shi_theap_owned(h)) shi_medium_cache_flush(h);
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
    mark_free(pg, atomic_load_explicit(&((shi_page *)pg)->xfree, memory_order_acquire), bits);
    if (__atomic_load_n(&pg->flags, __ATOMIC_ACQUIRE) & PAGE_LENDING) {
        /* free slots from the page's bits; a lent block is one block of its slots */
        if (cap > SH_LEND_SLOTS) return;
        _Atomic uint64_t *lb = shi_lend_bits(pg);
        for (uint32_t i = 0; i < cap;) {
            uint32_t k = shi_lend_bit(lb, i) ? 1 : shi_lent_slots(lb, i);
            if (k > cap - i) k = cap - i;
            bool is_free = shi_lend_bit(lb, i) || (bits[i / 64] >> (i % 64) & 1);
            emit(s, pg->start + (size_t)i * bsize, (size_t)k * bsize, !is_free, SH_BLOCK_SMALL);
            i += k;
        }
    } else {
        mark_free(pg, pg->free, bits);
        for (uint32_t i = 0; i < cap; i++)
            emit(s, pg->start + (size_t)i * bsize, bsize, !(bits[i / 64] >> (i % 64) & 1), SH_BLOCK_SMALL);
    }
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

/* Appends to buf at n (never past cap) and returns the new length. */
__attribute__((format(printf, 4, 5))) static size_t put(char *buf, size_t cap, size_t n, const char *fmt, ...) {
    if (n >= cap) return n;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
    if (w < 0) return n;
    return (size_t)w < cap - n ? n + (size_t)w : cap - 1;
}

static size_t put_line(char *buf, size_t cap, size_t n, const char *label, size_t v, const char *unit) {
    if (unit && v >= 10 * 1024 * 1024)
        return put(buf, cap, n, "  %-14s %12zu %s (%.1f MiB)\n", label, v, unit, (double)v / 1048576.0);
    if (unit && v >= 10 * 1024)
        return put(buf, cap, n, "  %-14s %12zu %s (%.1f KiB)\n", label, v, unit, (double)v / 1024.0);
    return put(buf, cap, n, "  %-14s %12zu %s\n", label, v, unit ? unit : "");
}

/* The report as one piece of text, so that it goes out in one write: several processes
 * appending to one STACKHEAP_STATS file do not interleave their lines. */
static void stats_text(char *buf, size_t cap) {
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    size_t n = 0;
    n = put(buf, cap, n, "stackheap heap statistics\n");
    n = put_line(buf, cap, n, "live", st.live, "bytes");
    n = put_line(buf, cap, n, "  small", st.small_live, "bytes");
    n = put_line(buf, cap, n, "  medium", st.medium_live, "bytes");
    n = put_line(buf, cap, n, "  huge", st.huge_live, "bytes");
    n = put_line(buf, cap, n, "live blocks", st.live_blocks, NULL);
    n = put_line(buf, cap, n, "peak", st.peak, "bytes");
    n = put_line(buf, cap, n, "committed", st.committed, "bytes");
    n = put_line(buf, cap, n, "reserved", st.reserved, "bytes");
    n = put(buf, cap, n, "  %-14s %11.1f %%\n", "fragmentation", st.fragmentation * 100.0);
    n = put(buf, cap, n, "  %-14s %12llu\n  %-14s %12llu\n", "allocations",
            (unsigned long long)st.allocs, "frees", (unsigned long long)st.frees);
    n = put(buf, cap, n, "  %-14s %12zu mmap, %zu munmap, %zu madvise\n", "os calls",
            st.os_maps, st.os_unmaps, st.os_purges);
    put(buf, cap, n, "  %-14s %12s\n", "checked mode", shi_g.checked ? "on" : "off");
}

SH_API void sh_heap_print_stats(int fd) {
    char text[2048];
    stats_text(text, sizeof text);
    shi_os_write(fd, text);
}

/* ---- STACKHEAP_STATS: the report at exit ---------------------------------------------------- */

/* STACKHEAP_STATS=1 prints to the stderr the program has at exit. A program may close fd 2
 * before it exits (coreutils do) and may close every inherited descriptor and open files of
 * its own, which then take the freed numbers: so the report goes to a descriptor only if it
 * is provably still the file stderr was at start-up (same device and inode): to fd 2 if it
 * is (or is a terminal, never a data file), else to the private copy taken at start-up if
 * that is, else nowhere. Any other value but 0 names a file the report is appended to. */
static struct {
    bool have_stderr;          /* fd 2 was open at start-up: dev and ino are its file's */
    dev_t dev;
    ino_t ino;
    char path[4096];           /* STACKHEAP_STATS=FILE, made absolute at start-up */
} report;

void shi_stats_init(void) {
    shi_g.stats_fd = -1;
    if (!shi_g.print_stats) return;
    const char *v = getenv("STACKHEAP_STATS");
    if (!v) return;
    if (strcmp(v, "1") != 0) {
        /* a relative name means the directory the program started in, not wherever it is
         * at exit; getcwd with a buffer of ours does not allocate */
        size_t len = 0;
        if (v[0] != '/' && getcwd(report.path, sizeof report.path - 1)) {
            len = strlen(report.path);
            report.path[len++] = '/';
        }
        if (len + strlen(v) >= sizeof report.path) len = 0;
        snprintf(report.path + len, sizeof report.path - len, "%s", v);
        return;
    }
    struct stat st;
    if (fstat(2, &st) != 0) return;
    report.have_stderr = true;
    report.dev = st.st_dev;
    report.ino = st.st_ino;
    shi_g.stats_fd = fcntl(2, F_DUPFD_CLOEXEC, 10);
}

static bool is_stderr_file(int fd) {
    struct stat st;
    return fd >= 0 && report.have_stderr && fstat(fd, &st) == 0 && st.st_dev == report.dev &&
           st.st_ino == report.ino;
}

/* fd 2 if it is stderr's file still (or a terminal, which is never a program's data file),
 * else the private copy if it is, else -1. The copy must also still carry the close-on-exec
 * flag it was made with. */
static int report_fd(void) {
    if (is_stderr_file(2) || isatty(2)) return 2;
    int fd = shi_g.stats_fd;
    if (fd > 2 && fcntl(fd, F_GETFD) == FD_CLOEXEC && is_stderr_file(fd)) return fd;
    return -1;
}

__attribute__((destructor)) static void print_at_exit(void) {
    shi_ensure_init();  /* a program that never allocated still gets its report */
    if (!shi_g.print_stats) return;
    char text[2048];
    stats_text(text, sizeof text);
    if (report.path[0]) {
        int fd = open(report.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0) return;
        shi_os_write(fd, text);
        close(fd);
        return;
    }
    int fd = report_fd();
    if (fd >= 0) shi_os_write(fd, text);
}
