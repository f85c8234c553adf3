/*
 * rss_walk — where a workload's peak RSS is on stackheap (issue 14): one of the workloads
 * run in-process on sh_malloc, with a thread that samples the RSS every 2 ms and, each time
 * it passes its highest value by 256 KiB, takes the heap apart: committed bytes by tier,
 * small pages and free slices by owner, medium blocks in use and free.
 *
 * Not one of run.sh's workloads (it calls sh_* directly and cannot run under the peers):
 *
 *     for w in server prodcon; do gcc -O2 -pthread -Iinclude -Isrc/heap \
 *         -DWL_SOURCE="\"wl_$w.c\"" bench/rss_walk.c build-bench/libstackheap.a \
 *         -o build-bench/bench/rss_walk_$w -lm; done
 *     build-bench/bench/rss_walk_server 25000
 *     build-bench/bench/rss_walk_prodcon 3000000 mixed
 *
 * Environment: RSS_WALK_EVERY=0.1 prints a line every 0.1 s (RSS, live, committed, small
 * pages carved, blocks waiting on other threads' xfree lists, free slices);
 * RSS_WALK_AT=0.5 the full breakdown at that line; RSS_WALK_CLASSES=1 adds a table by size
 * class; RSS_WALK_CHEAP=1 skips the heap walk (it slows the workload). "resident" is
 * mincore() over every segment, by tier.
 *
 * The walk stops the world no more than the heap's own locks do, so the figures are a
 * snapshot of a moving heap: good to a few hundred KiB. The sampler slows the workload, and
 * the peak snapshot can land in the final drain: read the timeline first.
 */
#include <stdlib.h>
#include <stackheap/heap.h>

#include "internal.h"

#define malloc sh_malloc
#define free sh_free
#define main wl_main
#include WL_SOURCE
#undef main
#undef malloc
#undef free

#include <math.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double mib(double bytes) { return bytes / (1 << 20); }

static size_t rss_now(void) {
    char buf[128];
    FILE *f = fopen("/proc/self/statm", "r");
    size_t pages = 0, res = 0;
    if (f && fgets(buf, sizeof buf, f)) sscanf(buf, "%zu %zu", &pages, &res);
    if (f) fclose(f);
    return res * (size_t)sysconf(_SC_PAGESIZE);
}

typedef struct walk_sum {
    size_t small_used, small_free, medium_used, medium_free;
    size_t medium_free_big;        /* free medium blocks of 64 KiB and more */
} walk_sum;

static int visit(const sh_heap_block *b, void *arg) {
    walk_sum *w = arg;
    if (b->kind == SH_BLOCK_SMALL) {
        if (b->in_use) w->small_used += b->size; else w->small_free += b->size;
    } else if (b->kind == SH_BLOCK_MEDIUM) {
        if (b->in_use) {
            w->medium_used += b->size;
        } else {
            w->medium_free += b->size;
            if (b->size >= 65536) w->medium_free_big += b->size;
        }
    }
    return 0;
}

typedef struct snap {
    double t;
    size_t rss, anon;
    sh_heap_stats st;
    walk_sum w;
    size_t small_touched, small_page_touched, small_free_touched, small_segs, cached_segs;
    size_t by_owner_pages[8], by_owner_free[8];   /* touched bytes, by heap in registry order */
    size_t res_kind[4], segs_kind[4];   /* resident bytes by segment kind (mincore) */
    size_t cls_pages[SH_SMALL_CLASSES + 1], cls_carved[SH_SMALL_CLASSES + 1], cls_used[SH_SMALL_CLASSES + 1];
    size_t cls_slices[SH_SMALL_CLASSES + 1], cls_x[SH_SMALL_CLASSES + 1];
} snap;

static snap peak;
static _Atomic int done;
static double t0;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t smaps_anon(void) {
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    size_t kb = 0, v;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Anonymous: %zu kB", &v) == 1) kb = v;
    if (f) fclose(f);
    return kb * 1024;
}

/* Resident bytes of every segment, by kind: the segment map says where they are. */
static void resident(snap *s) {
    static unsigned char vec[SH_SEG_SIZE / SH_OS_PAGE];
    memset(s->res_kind, 0, sizeof s->res_kind);
    memset(s->segs_kind, 0, sizeof s->segs_kind);
    for (size_t top = 0; top < SH_SEGMAP_TOP; top++) {
        uint8_t *leaf = __atomic_load_n(&shi_segmap[top], __ATOMIC_ACQUIRE);
        if (!leaf) continue;
        for (size_t u = 0; u < SH_SEGMAP_LEAF; u++) {
            if (leaf[u] != SEGMAP_START) continue;
            uint8_t *seg = (uint8_t *)(((top << SH_SEGMAP_LEAF_BITS) | u) << SH_SEG_SHIFT);
            if (mincore(seg, SH_SEG_SIZE, vec) != 0) continue;
            unsigned k = ((shi_segment *)seg)->kind & 3;
            size_t n = 0;
            for (size_t i = 0; i < sizeof vec; i++) n += vec[i] & 1;
            s->res_kind[k] += n * SH_OS_PAGE;
            s->segs_kind[k]++;
        }
    }
}

static void take(snap *s, size_t rss) {
    resident(s);
    s->t = now_s() - t0;
    s->rss = rss;
    s->anon = smaps_anon();
    sh_heap_get_stats(&s->st);
    s->w = (walk_sum){0};
    if (!getenv("RSS_WALK_CHEAP") && sh_heap_walk(visit, &s->w) != 0) perror("sh_heap_walk");
    /* the small tier's touched bytes, in pages and in free slices, per owner (racy reads of
     * owner-written fields: a snapshot) */
    memset(s->cls_pages, 0, sizeof s->cls_pages);
    memset(s->cls_slices, 0, sizeof s->cls_slices);
    memset(s->cls_x, 0, sizeof s->cls_x);
    memset(s->cls_carved, 0, sizeof s->cls_carved);
    memset(s->cls_used, 0, sizeof s->cls_used);
    memset(s->by_owner_pages, 0, sizeof s->by_owner_pages);
    memset(s->by_owner_free, 0, sizeof s->by_owner_free);
    s->small_touched = s->small_page_touched = s->small_free_touched = s->small_segs = 0;
    shi_segments_lock();
    for (shi_segment *seg = shi_segments_first(); seg; seg = seg->all_next) {
        s->small_segs++;
        int owner = 7;
        int k = 0;
        for (shi_theap *h = shi_heaps_first(); h; h = h->all_next, k++)
            if (h == seg->heap) owner = k < 7 ? k : 7;
        if (seg->in_cache) owner = 7;
        for (unsigned i = 1; i < SH_SLICES; i++) {
            size_t t = __atomic_load_n(&seg->touched[i], __ATOMIC_RELAXED);
            s->small_touched += t;
            if (seg->slices_used >> i & 1) { s->small_page_touched += t; s->by_owner_pages[owner] += t; }
            else { s->small_free_touched += t; s->by_owner_free[owner] += t; }
        }
        for (unsigned i = 1; i < SH_SLICES; i++) {
            shi_page *pg = &seg->pages[i];
            if (!pg->slices || pg->slice_back) continue;
            unsigned c = pg->sclass;
            s->cls_pages[c]++;
            s->cls_slices[c] += pg->slices;
            s->cls_carved[c] += (size_t)pg->capacity * pg->bsize;
            s->cls_used[c] += (size_t)pg->used * pg->bsize;
            /* other threads' frees not taken in yet: a bounded walk of a list that may change */
            const shi_block *x = atomic_load_explicit(&pg->xfree, memory_order_acquire);
            for (uint32_t k = 0; x && k < pg->capacity; k++) {
                if ((const uint8_t *)x < pg->start || (const uint8_t *)x >= pg->start + (size_t)pg->capacity * pg->bsize) break;
                s->cls_x[c] += pg->bsize;
                x = __atomic_load_n(&x->next, __ATOMIC_RELAXED);
            }
        }
    }
    shi_segments_unlock();
}

static void show(const char *name, const snap *s);

static void line(const snap *s) {
    size_t tc = 0, tx = 0;
    for (unsigned c = 1; c <= SH_SMALL_CLASSES; c++) { tc += s->cls_carved[c]; tx += s->cls_x[c]; }
    fprintf(stderr, "  %5.2f s: resident small %5.1f (%zu segs) medium %5.1f (%zu segs)\n", s->t,
            mib(s->res_kind[SEG_SMALL]), s->segs_kind[SEG_SMALL], mib(s->res_kind[SEG_MEDIUM]), s->segs_kind[SEG_MEDIUM]);
    fprintf(stderr, "  %5.2f s: RSS %5.1f live %5.1f (medium %4.1f, free %4.1f) committed %5.1f; small: "
            "carved %5.1f, on xfree %4.1f, free slices %4.1f\n", s->t, mib(s->rss), mib(s->st.live),
            mib(s->st.medium_live), mib(s->w.medium_free), mib(s->st.committed), mib(tc), mib(tx),
            mib(s->small_free_touched));
}

static void *sampler(void *arg) {
    (void)arg;
    size_t top = 0;
    double every = getenv("RSS_WALK_EVERY") ? atof(getenv("RSS_WALK_EVERY")) : 0, next = every;
    while (!atomic_load(&done)) {
        size_t r = rss_now();
        if (r > top + 256 * 1024) {
            top = r;
            take(&peak, r);
        }
        if (every > 0 && now_s() - t0 >= next) {
            static snap tl;
            take(&tl, r);
            line(&tl);
            if (getenv("RSS_WALK_AT") && fabs(atof(getenv("RSS_WALK_AT")) - next) < 1e-6) show("at", &tl);
            next += every;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void show(const char *name, const snap *s) {
    fprintf(stderr, "%s at %.2f s: RSS %.1f MiB (anonymous %.1f)\n", name, s->t, mib(s->rss), mib(s->anon));
    fprintf(stderr, "  live %.1f (small %.1f, medium %.1f, huge %.1f); committed %.1f\n",
            mib(s->st.live), mib(s->st.small_live), mib(s->st.medium_live), mib(s->st.huge_live),
            mib(s->st.committed));
    fprintf(stderr, "  small tier: %zu segments, touched %.1f MiB: %.1f in pages (walk: %.1f used, "
            "%.1f free slots incl. uncarved), %.1f in free slices\n",
            s->small_segs, mib(s->small_touched), mib(s->small_page_touched), mib(s->w.small_used),
            mib(s->w.small_free), mib(s->small_free_touched));
    fprintf(stderr, "    by owner (registry order; 7 = others/cache), pages/free slices:");
    for (int k = 0; k < 8; k++)
        if (s->by_owner_pages[k] || s->by_owner_free[k])
            fprintf(stderr, " [%d] %.1f/%.1f", k, mib(s->by_owner_pages[k]), mib(s->by_owner_free[k]));
    fprintf(stderr, "\n  medium tier: %.1f used, %.1f free (%.1f in blocks >= 64 KiB); committed beyond "
            "small: %.1f\n", mib(s->w.medium_used), mib(s->w.medium_free), mib(s->w.medium_free_big),
            mib((double)s->st.committed - (double)s->small_touched));
    size_t tc = 0, tu = 0, tx = 0;
    for (unsigned c = 1; c <= SH_SMALL_CLASSES; c++) { tc += s->cls_carved[c]; tu += s->cls_used[c]; tx += s->cls_x[c]; }
    fprintf(stderr, "  pages: carved %.1f MiB, counted used %.1f (of which on xfree %.1f)\n", mib(tc), mib(tu), mib(tx));
    if (getenv("RSS_WALK_CLASSES")) {
        fprintf(stderr, "  by class: class size pages slices carvedMiB usedMiB xfreeMiB\n");
        for (unsigned c = 1; c <= SH_SMALL_CLASSES; c++)
            if (s->cls_pages[c])
                fprintf(stderr, "    %2u %6zu %3zu %3zu %6.2f %6.2f %6.2f\n", c, shi_class_size(c), s->cls_pages[c],
                        s->cls_slices[c], mib(s->cls_carved[c]), mib(s->cls_used[c]), mib(s->cls_x[c]));
    }
    fprintf(stderr, "  os: %zu maps, %zu unmaps, %zu purges\n", s->st.os_maps, s->st.os_unmaps,
            s->st.os_purges);
}

int main(int argc, char **argv) {
    t0 = now_s();
    pthread_t th;
    pthread_create(&th, NULL, sampler, NULL);
    int rc = wl_main(argc, argv);
    atomic_store(&done, 1);
    pthread_join(th, NULL);
    show("peak", &peak);
    snap end;
    take(&end, rss_now());
    show("end", &end);
    return rc;
}
