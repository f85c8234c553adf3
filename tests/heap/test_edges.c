/*
 * tests/heap/test_edges.c — the heap at the edges of what it is given: any pointer value
 * handed to free, alignments from nothing to gigabytes, and the huge cache's limits as
 * docs/heap.md states them.
 *
 * Each test runs in a fresh forked child of a process that never allocated with sh_*, as in
 * test_api.c, so statistics start from the same state every time. The standard names the
 * drop-in library adds (memalign) are called in libstackheap-malloc.so itself, loaded with
 * dlopen from $SH_PRELOAD_LIB: it brings a heap of its own, apart from the one linked in.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stackheap/heap.h>

#include "check.h"
#include "helpers.h"

/* ---- the segment map answers for any pointer value ---------------------------------------- */

static void free_it(void *p) { sh_free(p); }
static void usable_of(void *p) { (void)sh_usable_size(p); }

/* Addresses in every part of the 64-bit range: below the first page, in ranges the heap has
 * never mapped, at the top of the 47- and 48-bit user spaces, and above anything the map
 * covers. Each must be named an invalid free, never crash the lookup. */
static const uintptr_t odd_addresses[] = {
    0x10, 0x1000, (uintptr_t)1 << 32, ((uintptr_t)1 << 40) + 0x400000,
    ((uintptr_t)1 << 47) - 16, ((uintptr_t)1 << 48) - 16, (uintptr_t)1 << 48,
    (uintptr_t)1 << 56, UINTPTR_MAX - 15,
};
#define NODD (sizeof odd_addresses / sizeof odd_addresses[0])

SH_TEST(test_free_of_any_address_is_an_invalid_free) {
    void *keep = sh_malloc(100);   /* the heap is up, with a segment of its own */
    CHECK(keep != NULL);
    for (size_t i = 0; i < NODD; i++) {
        void *p = (void *)odd_addresses[i];
        expect_panic(free_it, p, "invalid free", p);
    }
    sh_free(keep);
}

SH_TEST(test_usable_size_of_any_address_panics_cleanly) {
    void *keep = sh_malloc(100);
    CHECK(keep != NULL);
    for (size_t i = 0; i < NODD; i++) {
        void *p = (void *)odd_addresses[i];
        expect_panic(usable_of, p, "this heap", p);
    }
    sh_free(keep);
}

/* A pointer next to the heap's own segments, but in none of them: the map's leaf for that
 * range exists and must still say "not ours". */
SH_TEST(test_free_next_to_a_segment_is_an_invalid_free) {
    char *a = sh_malloc(100), *h = sh_malloc(HUGE_SIZE);
    CHECK(a != NULL && h != NULL);
    uintptr_t seg = (uintptr_t)a & ~(uintptr_t)(4 * MiB - 1);
    void *before = (void *)(seg - 4 * MiB + 64);
    expect_panic(free_it, before, "invalid free", before);
    void *after_huge = (void *)(((uintptr_t)h + HUGE_SIZE + 8 * MiB) & ~(uintptr_t)(4 * MiB - 1));
    expect_panic(free_it, after_huge, "invalid free", after_huge);
    sh_free(a);
    sh_free(h);
}

/* ---- alignments of a gigabyte and more ------------------------------------------------------ */

static sh_heap_stats stats_now(void) {
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    return st;
}

/* The block is aligned, usable to its size, and costs the address space of its size and
 * one 4 MiB segment for the header, not that of its alignment; freed, the mapping is gone. */
static void check_giant_alignment(size_t align, int posix) {
    static const size_t sizes[] = {1, 100 * KiB, 5 * MiB + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        sh_heap_stats a = stats_now();
        void *p = NULL;
        if (posix) {
            CHECK_EQ(sh_posix_memalign(&p, align, n), 0);
        } else {
            errno = 0;
            p = sh_aligned_alloc(align, n);
            if (!p) fprintf(stderr, "aligned_alloc(%zu, %zu): errno %d\n", align, n, errno);
        }
        CHECK(p != NULL);
        if (!is_aligned(p, align) || sh_usable_size(p) < n) {
            fprintf(stderr, "alignment %zu, size %zu: %p, usable %zu\n", align, n, p, sh_usable_size(p));
            _exit(1);
        }
        pat_fill(p, n, 11);
        pat_check(p, p, n, 11, n);
        sh_heap_stats b = stats_now();
        CHECK(b.reserved <= a.reserved + n + 4 * MiB + 64 * KiB);
        sh_free(p);
        CHECK_EQ(stats_now().reserved, a.reserved);
    }
}

SH_TEST(test_aligned_alloc_of_1_gib_alignment) { check_giant_alignment((size_t)1 << 30, 0); }
SH_TEST(test_aligned_alloc_of_2_gib_alignment) { check_giant_alignment((size_t)2 << 30, 0); }
SH_TEST(test_posix_memalign_of_1_gib_alignment) { check_giant_alignment((size_t)1 << 30, 1); }
SH_TEST(test_posix_memalign_of_2_gib_alignment) { check_giant_alignment((size_t)2 << 30, 1); }

/* Above the segment size but far below a gigabyte, the same: 8 MiB of alignment used to
 * cost 8 MiB of mapping in front of the block. */
SH_TEST(test_aligned_alloc_of_8_and_64_mib_alignment) {
    check_giant_alignment(8 * MiB, 0);
    check_giant_alignment(64 * MiB, 1);
}

/* Several at once are distinct, each aligned, each intact after the others were written. */
SH_TEST(test_several_gib_aligned_blocks_live_together) {
    enum { N = 3 };
    char *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = sh_aligned_alloc((size_t)1 << 30, 3 * MiB);
        CHECK(p[i] != NULL);
        CHECK(is_aligned(p[i], (size_t)1 << 30));
        pat_fill(p[i], 3 * MiB, (uint64_t)i);
    }
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < i; j++) CHECK(p[i] != p[j]);
        pat_check(p[i], p[i], 3 * MiB, (uint64_t)i, 3 * MiB);
    }
    /* a pointer into the header's 4 MiB is not the block */
    expect_panic(free_it, p[0] - 4096, "invalid free", p[0] - 4096);
    for (int i = 0; i < N; i++) sh_free(p[i]);
}

/* ---- memalign in the drop-in library ------------------------------------------------------ */

typedef struct dropin {
    void *(*memalign)(size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    size_t (*usable_size)(void *);
    void (*free)(void *);
} dropin;

static dropin load_dropin(void) {
    const char *path = getenv("SH_PRELOAD_LIB");
    if (!path) {
        fprintf(stderr, "SH_PRELOAD_LIB is not set: run this test through ctest\n");
        _exit(1);
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        _exit(1);
    }
    dropin d;
    *(void **)&d.memalign = dlsym(h, "memalign");
    *(void **)&d.aligned_alloc = dlsym(h, "aligned_alloc");
    *(void **)&d.posix_memalign = dlsym(h, "posix_memalign");
    *(void **)&d.usable_size = dlsym(h, "malloc_usable_size");
    *(void **)&d.free = dlsym(h, "free");
    CHECK(d.memalign && d.aligned_alloc && d.posix_memalign && d.usable_size && d.free);
    return d;
}

/* What glibc makes of memalign's alignment: 16 or less is malloc's, anything else the next
 * power of two. The block must be aligned to that, hold n bytes, and be freeable. */
static void check_memalign(const dropin *d, size_t align, size_t want_align, size_t n) {
    errno = 0;
    char *p = d->memalign(align, n);
    if (!p || !is_aligned(p, want_align) || d->usable_size(p) < n) {
        fprintf(stderr, "memalign(%zu, %zu) = %p (errno %d), usable %zu; want alignment %zu\n",
                align, n, (void *)p, errno, p ? d->usable_size(p) : 0, want_align);
        _exit(1);
    }
    pat_fill(p, n, align);
    pat_check(p, p, n, align, n);
    d->free(p);
}

SH_TEST(test_memalign_of_16_or_less_is_malloc) {
    dropin d = load_dropin();
    static const size_t aligns[] = {0, 1, 2, 3, 4, 7, 8, 15, 16};
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++)
        for (size_t n = 0; n <= 300; n += 100) check_memalign(&d, aligns[i], 16, n);
}

SH_TEST(test_memalign_rounds_alignment_up_to_a_power_of_two) {
    dropin d = load_dropin();
    static const size_t cases[][2] = {
        {17, 32}, {24, 32}, {48, 64}, {100, 128}, {1000, 1024}, {4097, 8192},
        {3 * MiB, 4 * MiB}, {5 * MiB, 8 * MiB},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_memalign(&d, cases[i][0], cases[i][1], 24);
        check_memalign(&d, cases[i][0], cases[i][1], 100 * KiB);
    }
}

SH_TEST(test_memalign_too_big_to_round_up_is_einval) {
    dropin d = load_dropin();
    static const size_t bad[] = {SIZE_MAX / 2 + 2, SIZE_MAX - 1, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        CHECK(d.memalign(bad[i], 64) == NULL);
        CHECK_EQ(errno, EINVAL);
    }
}

/* aligned_alloc keeps C17's stricter contract, as glibc 2.38 does: EINVAL. */
SH_TEST(test_dropin_aligned_alloc_rejects_non_power_of_two) {
    dropin d = load_dropin();
    errno = 0;
    CHECK(d.aligned_alloc(24, 64) == NULL);
    CHECK_EQ(errno, EINVAL);
}

SH_TEST(test_dropin_gib_alignments) {
    dropin d = load_dropin();
    for (size_t align = (size_t)1 << 30; align <= (size_t)2 << 30; align *= 2) {
        check_memalign(&d, align, align, 3 * MiB);
        char *p = d.aligned_alloc(align, 100);
        CHECK(p != NULL && is_aligned(p, align) && d.usable_size(p) >= 100);
        d.free(p);
        void *q = NULL;
        CHECK_EQ(d.posix_memalign(&q, align, 5 * MiB), 0);
        CHECK(is_aligned(q, align) && d.usable_size(q) >= 5 * MiB);
        memset(q, 1, 5 * MiB);
        d.free(q);
    }
}

/* ---- the huge cache holds what docs/heap.md says ------------------------------------------- */

/* Reads "up to N mappings and M MiB" from the huge blocks' section of docs/heap.md. */
static void documented_cache(size_t *ret_slots, size_t *ret_bytes) {
    const char *src = getenv("SH_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/heap.md", src ? src : ".");
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "cannot read %s (set SH_SOURCE_DIR)\n", path); _exit(1); }
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    const char *at = strstr(text, "waits in a cache (up to ");
    unsigned slots = 0, mib = 0;
    if (!at || sscanf(at, "waits in a cache (up to %u mappings and %u MiB)", &slots, &mib) != 2) {
        fprintf(stderr, "%s does not say \"waits in a cache (up to N mappings and M MiB)\"\n", path);
        _exit(1);
    }
    *ret_slots = slots;
    *ret_bytes = (size_t)mib * MiB;
}

/* Freed huge mappings stay mapped (reserved) while cached: eight 10 MiB blocks freed leave
 * as many mapped as fit in the documented number of mappings and bytes; a block bigger than
 * the cache's bytes is not kept; sh_heap_trim empties the cache. */
SH_TEST(test_huge_cache_holds_what_the_docs_say) {
    if (sh_heap_checked()) return;   /* checked mode caches no huge mapping */
    size_t slots, bytes;
    documented_cache(&slots, &bytes);
    enum { N = 8 };
    const size_t size = 10 * MiB;
    sh_heap_stats a = stats_now();
    /* one bigger than the whole cache is not kept at all */
    void *big = sh_malloc(bytes + MiB);
    CHECK(big != NULL);
    sh_free(big);
    CHECK_EQ(stats_now().reserved, a.reserved);
    void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = sh_malloc(size);
        CHECK(p[i] != NULL);
    }
    size_t map = (stats_now().reserved - a.reserved) / N;   /* one block's mapping */
    CHECK(map >= size && map < size + 64 * KiB);
    for (int i = 0; i < N; i++) sh_free(p[i]);
    size_t want = bytes / map < slots ? bytes / map : slots;
    if (want > N) want = N;
    size_t cached = stats_now().reserved - a.reserved;
    if (cached != want * map) {
        fprintf(stderr, "docs/heap.md: up to %zu mappings and %zu MiB; %d freed %zu-byte mappings "
                "left %zu bytes cached, not %zu\n", slots, bytes / MiB, N, map, cached, want * map);
        _exit(1);
    }
    sh_heap_trim();
    CHECK_EQ(stats_now().reserved, a.reserved);
}

/* A cached mapping serves requests much smaller than itself by whole segments: a freed
 * 16 MiB block gives four 3 MiB blocks their memory, each the size of its request rounded
 * to the 4 MiB of a segment, with no new mapping; and twelve blocks freed and taken again
 * are all served from the cache. */
SH_TEST(test_huge_cache_splits_and_serves) {
    if (sh_heap_checked()) return;
    sh_heap_trim();
    void *big = sh_malloc(16 * MiB - 64 * KiB);
    CHECK(big != NULL);
    memset(big, 1, 16 * MiB - 64 * KiB);
    sh_free(big);
    sh_heap_stats a = stats_now();
    void *p[12];
    for (int i = 0; i < 4; i++) {
        p[i] = sh_malloc(3 * MiB);
        CHECK(p[i] != NULL);
        CHECK(sh_usable_size(p[i]) >= 3 * MiB && sh_usable_size(p[i]) < 4 * MiB);
        memset(p[i], 2, 3 * MiB);
    }
    sh_heap_stats b = stats_now();
    CHECK_EQ(b.os_maps, a.os_maps);
    CHECK_EQ(b.reserved, a.reserved);
    for (int i = 4; i < 12; i++) {
        p[i] = sh_malloc(3 * MiB);
        CHECK(p[i] != NULL);
    }
    for (int i = 0; i < 12; i++) sh_free(p[i]);
    sh_heap_stats c = stats_now();
    for (int i = 0; i < 12; i++) {
        p[i] = sh_malloc(3 * MiB);
        CHECK(p[i] != NULL);
        memset(p[i], 3, 3 * MiB);
    }
    CHECK_EQ(stats_now().os_maps, c.os_maps);
    for (int i = 0; i < 12; i++) sh_free(p[i]);
    sh_heap_trim();
}

int main(void) { return sh_test_main(); }
