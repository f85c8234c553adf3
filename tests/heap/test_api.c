/*
 * tests/heap/test_api.c — every edge of the heap's public API, one behaviour per test.
 *
 * Each test runs in a fresh forked child of a process that never allocated with sh_*, so the
 * heap's statistics start from the same state in every test and can be compared exactly.
 * Bookkeeping arrays come from libc's malloc, which this static test binary keeps as glibc's:
 * only the calls under test touch stackheap.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <stackheap/heap.h>

#include "check.h"
#include "helpers.h"

/* Sizes that cross every tier and its edges, used by the realloc and alignment tests. */
static const size_t tier_sizes[] = {
    1, 8, 16, 24, 100, 128, 129, 1000, 4096, 16 * KiB, 32 * KiB - 1, 32 * KiB,
    32 * KiB + 1, 100 * KiB, 512 * KiB, 1 * MiB, 2 * MiB - 1, 2 * MiB, 2 * MiB + 1,
    3 * MiB + 7, 8 * MiB, 16 * MiB + 5,
};
#define NTIER_SIZES (sizeof tier_sizes / sizeof tier_sizes[0])

static sh_heap_stats stats_now(void) {
    sh_heap_stats st;
    memset(&st, 0xEE, sizeof st);   /* garbage in: a field the heap forgets to set shows */
    sh_heap_get_stats(&st);
    return st;
}

/* ---- malloc(0), free(NULL), realloc edges ------------------------------------------- */

SH_TEST(test_malloc_zero_returns_unique_freeable_pointer) {
    void *p = sh_malloc(0), *q = sh_malloc(0);
    CHECK(p != NULL);
    CHECK(q != NULL);
    CHECK(p != q);
    CHECK(is_aligned(p, 16) && is_aligned(q, 16));
    sh_free(p);
    sh_free(q);
}

SH_TEST(test_free_null_is_noop) {
    void *keep = sh_malloc(64);
    sh_heap_stats a = stats_now();
    sh_free(NULL);
    sh_heap_stats b = stats_now();
    CHECK_EQ(b.frees, a.frees);
    CHECK_EQ(b.live, a.live);
    CHECK_EQ(b.live_blocks, a.live_blocks);
    sh_free(keep);
}

SH_TEST(test_realloc_null_acts_as_malloc) {
    sh_heap_stats a = stats_now();
    char *p = sh_realloc(NULL, 100);
    CHECK(p != NULL);
    CHECK(is_aligned(p, 16));
    CHECK(sh_usable_size(p) >= 100);
    pat_fill(p, 100, 1);
    sh_heap_stats b = stats_now();
    CHECK_EQ(b.live_blocks, a.live_blocks + 1);
    pat_check(p, p, 100, 1, 100);
    sh_free(p);
}

SH_TEST(test_realloc_to_zero_frees_and_returns_null) {
    static const size_t sizes[] = {48, MEDIUM_SIZE, HUGE_SIZE};
    for (size_t i = 0; i < 3; i++) {
        void *p = sh_malloc(sizes[i]);
        CHECK(p != NULL);
        sh_heap_stats a = stats_now();
        CHECK(sh_realloc(p, 0) == NULL);
        sh_heap_stats b = stats_now();
        CHECK_EQ(b.live_blocks, a.live_blocks - 1);
        CHECK(b.live < a.live);
    }
}

/* Grows one block through every tier, then checks the old contents survived each move. */
SH_TEST(test_realloc_grow_keeps_contents_across_tiers) {
    size_t size = tier_sizes[0];
    char *p = sh_malloc(size);
    CHECK(p != NULL);
    pat_fill(p, size, 7);
    for (size_t i = 1; i < NTIER_SIZES; i++) {
        char *q = sh_realloc(p, tier_sizes[i]);
        CHECK(q != NULL);
        CHECK(is_aligned(q, 16));
        CHECK(sh_usable_size(q) >= tier_sizes[i]);
        pat_check(q, p, size, 7, size);
        size = tier_sizes[i];
        p = q;
        pat_fill(p, size, 7);
    }
    sh_free(p);
}

SH_TEST(test_realloc_shrink_keeps_contents_across_tiers) {
    size_t size = tier_sizes[NTIER_SIZES - 1];
    char *p = sh_malloc(size);
    CHECK(p != NULL);
    pat_fill(p, size, 8);
    for (size_t i = NTIER_SIZES - 1; i-- > 0;) {
        char *q = sh_realloc(p, tier_sizes[i]);
        CHECK(q != NULL);
        CHECK(is_aligned(q, 16));
        CHECK(sh_usable_size(q) >= tier_sizes[i]);
        pat_check(q, p, size, 8, tier_sizes[i]);
        size = tier_sizes[i];
        p = q;
        pat_fill(p, size, 8);
    }
    sh_free(p);
}

/* A string builder's pattern: many small steps, so in-place growth paths run too. Other live
 * blocks around it make in-place growth sometimes impossible, so both paths are taken. */
SH_TEST(test_realloc_in_small_steps_keeps_contents) {
    uint64_t rng = 11;
    void *others[64] = {0};
    size_t size = 1;
    char *p = sh_malloc(size);
    CHECK(p != NULL);
    pat_fill(p, size, 3);
    while (size < 3 * MiB) {
        size_t next = size + rand_between(&rng, 1, size / 4 + 16);
        char *q = sh_realloc(p, next);
        CHECK(q != NULL);
        pat_check(q, p, size, 3, size);
        p = q;
        size = next;
        pat_fill(p, size, 3);
        size_t k = rand64(&rng) % 64;
        sh_free(others[k]);
        others[k] = sh_malloc(rand_between(&rng, 1, size));
        CHECK(others[k] != NULL);
    }
    for (size_t k = 0; k < 64; k++) sh_free(others[k]);
    sh_free(p);
}

/* A failed realloc must leave the old block alone (C17 7.22.3.5). */
SH_TEST(test_realloc_failure_keeps_old_block) {
    static const size_t sizes[] = {100, MEDIUM_SIZE, HUGE_SIZE};
    for (size_t i = 0; i < 3; i++) {
        char *p = sh_malloc(sizes[i]);
        CHECK(p != NULL);
        pat_fill(p, sizes[i], 4);
        errno = 0;
        CHECK(sh_realloc(p, SIZE_MAX / 2) == NULL);
        CHECK_EQ(errno, ENOMEM);
        errno = 0;
        CHECK(sh_realloc(p, SH_OPAQUE(SIZE_MAX)) == NULL);
        CHECK_EQ(errno, ENOMEM);
        pat_check(p, p, sizes[i], 4, sizes[i]);
        CHECK(sh_usable_size(p) >= sizes[i]);
        sh_free(p);
    }
}

/* ---- calloc and reallocarray ---------------------------------------------------------- */

static void check_all_zero(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0) {
            fprintf(stderr, "calloc block %p of %zu bytes: byte %zu at %p is 0x%02x\n",
                    (const void *)p, n, i, (const void *)(p + i), (unsigned char)p[i]);
            _exit(1);
        }
    }
}

SH_TEST(test_calloc_returns_zeroed_memory) {
    for (size_t i = 0; i < NTIER_SIZES; i++) {
        char *p = sh_calloc(1, tier_sizes[i]);
        CHECK(p != NULL);
        CHECK(is_aligned(p, 16));
        check_all_zero(p, tier_sizes[i]);
        sh_free(p);
    }
    char *q = sh_calloc(1000, 24);
    CHECK(q != NULL);
    check_all_zero(q, 24000);
    sh_free(q);
}

/* The reused block was dirty: calloc must clear it, not trust that fresh pages are zero. */
SH_TEST(test_calloc_zeroes_reused_dirty_memory) {
    static const size_t sizes[] = {16, 48, 1000, 32 * KiB, 100 * KiB, 1 * MiB, HUGE_SIZE};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int round = 0; round < 4; round++) {
            char *dirty[8];
            for (int k = 0; k < 8; k++) {
                dirty[k] = sh_malloc(sizes[i]);
                CHECK(dirty[k] != NULL);
                memset(dirty[k], 0xAB, sh_usable_size(dirty[k]));
            }
            for (int k = 0; k < 8; k++) sh_free(dirty[k]);
            for (int k = 0; k < 8; k++) {
                dirty[k] = sh_calloc(sizes[i], 1);
                CHECK(dirty[k] != NULL);
                check_all_zero(dirty[k], sizes[i]);
                memset(dirty[k], 0xCD, sizes[i]);
            }
            for (int k = 0; k < 8; k++) sh_free(dirty[k]);
        }
    }
}

SH_TEST(test_calloc_huge_is_zeroed) {
    char *p = sh_calloc(64, MiB);
    CHECK(p != NULL);
    check_all_zero(p, 64 * MiB);
    memset(p, 0x5A, 64 * MiB);
    sh_free(p);
    p = sh_calloc(8, 8 * MiB);   /* likely the same range again, now dirty */
    CHECK(p != NULL);
    check_all_zero(p, 64 * MiB);
    sh_free(p);
}

SH_TEST(test_calloc_overflow_returns_enomem) {
    static const size_t pairs[][2] = {
        {SIZE_MAX / 2 + 1, 2}, {2, SIZE_MAX / 2 + 1}, {(size_t)1 << 33, (size_t)1 << 31},
        {SIZE_MAX, SIZE_MAX}, {SIZE_MAX / 16 + 1, 16}, {65537, SIZE_MAX / 65536},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        errno = 0;
        void *p = sh_calloc(pairs[i][0], pairs[i][1]);
        if (p != NULL || errno != ENOMEM) {
            fprintf(stderr, "calloc(%zu, %zu) gave %p, errno %d\n", pairs[i][0], pairs[i][1],
                    p, errno);
            _exit(1);
        }
    }
}

SH_TEST(test_reallocarray_overflow_returns_enomem_and_keeps_block) {
    char *p = sh_malloc(64);
    CHECK(p != NULL);
    pat_fill(p, 64, 9);
    errno = 0;
    CHECK(sh_reallocarray(p, SH_OPAQUE(SIZE_MAX / 8), 16) == NULL);
    CHECK_EQ(errno, ENOMEM);
    errno = 0;
    CHECK(sh_reallocarray(p, SH_OPAQUE((size_t)1 << 32), (size_t)1 << 32) == NULL);
    CHECK_EQ(errno, ENOMEM);
    errno = 0;
    CHECK(sh_reallocarray(NULL, SH_OPAQUE(SIZE_MAX / 2 + 1), 2) == NULL);
    CHECK_EQ(errno, ENOMEM);
    pat_check(p, p, 64, 9, 64);
    sh_free(p);
}

SH_TEST(test_reallocarray_resizes_and_keeps_contents) {
    char *p = sh_reallocarray(NULL, 10, 8);
    CHECK(p != NULL);
    pat_fill(p, 80, 2);
    char *q = sh_reallocarray(p, 40000, 8);
    CHECK(q != NULL);
    CHECK(sh_usable_size(q) >= 320000);
    pat_check(q, p, 80, 2, 80);
    sh_free(q);
}

/* ---- alignment -------------------------------------------------------------------------- */

SH_TEST(test_every_pointer_is_16_byte_aligned) {
    /* Small sizes all live at once, so consecutive slots of each class are checked. */
    enum { N = 2048 };
    void **live = calloc(N + 1, sizeof *live);
    CHECK(live != NULL);
    for (size_t n = 1; n <= N; n++) {
        live[n] = sh_malloc(n);
        if (!live[n] || !is_aligned(live[n], 16)) {
            fprintf(stderr, "malloc(%zu) = %p\n", n, live[n]);
            _exit(1);
        }
    }
    for (size_t n = 1; n <= N; n++) sh_free(live[n]);
    free(live);
    /* Then geometric steps up to 12 MiB, with odd sizes in between. */
    for (size_t n = N; n <= 12 * MiB; n += n / 13 + 7) {
        void *a = sh_malloc(n), *b = sh_malloc(n + 1), *c = sh_calloc(1, n);
        if (!a || !b || !c || !is_aligned(a, 16) || !is_aligned(b, 16) || !is_aligned(c, 16)) {
            fprintf(stderr, "size %zu: %p %p %p\n", n, a, b, c);
            _exit(1);
        }
        sh_free(a);
        sh_free(b);
        sh_free(c);
    }
}

static const size_t alignments[] = {16, 32, 64, 128, 4096, 65536, 1 * MiB, 8 * MiB};
#define NALIGNMENTS (sizeof alignments / sizeof alignments[0])

/* Sizes for an alignment: below, at and above it, and big enough to land in other tiers. */
static size_t aligned_size(size_t alignment, int k) {
    switch (k) {
    case 0: return 1;
    case 1: return alignment - 1;
    case 2: return alignment;
    case 3: return alignment + 1;
    case 4: return 100 * KiB;
    default: return 3 * MiB + 5;
    }
}

SH_TEST(test_aligned_alloc_honours_alignment) {
    for (size_t i = 0; i < NALIGNMENTS; i++) {
        for (int k = 0; k < 6; k++) {
            size_t a = alignments[i], n = aligned_size(a, k);
            /* Several at once, so the second and third are not placed where the first was. */
            char *p[3];
            for (int j = 0; j < 3; j++) {
                p[j] = sh_aligned_alloc(a, n);
                if (!p[j] || !is_aligned(p[j], a) || sh_usable_size(p[j]) < n) {
                    fprintf(stderr, "aligned_alloc(%zu, %zu) = %p, usable %zu\n", a, n, p[j],
                            p[j] ? sh_usable_size(p[j]) : 0);
                    _exit(1);
                }
                pat_fill(p[j], n, (uint64_t)j);
            }
            for (int j = 0; j < 3; j++) {
                pat_check(p[j], p[j], n, (uint64_t)j, n);
                sh_free(p[j]);
            }
        }
    }
}

SH_TEST(test_posix_memalign_honours_alignment) {
    for (size_t i = 0; i < NALIGNMENTS; i++) {
        for (int k = 0; k < 6; k++) {
            size_t a = alignments[i], n = aligned_size(a, k);
            void *p = NULL;
            int rc = sh_posix_memalign(&p, a, n);
            if (rc != 0 || !p || !is_aligned(p, a) || sh_usable_size(p) < n) {
                fprintf(stderr, "posix_memalign(%zu, %zu) = %d, %p\n", a, n, rc, p);
                _exit(1);
            }
            pat_fill(p, n, 5);
            pat_check(p, p, n, 5, n);
            sh_free(p);
        }
    }
    void *p = NULL;
    CHECK_EQ(sh_posix_memalign(&p, sizeof(void *), 24), 0);   /* the smallest legal one */
    CHECK(p != NULL && is_aligned(p, sizeof(void *)));
    sh_free(p);
}

SH_TEST(test_posix_memalign_rejects_bad_alignment_with_einval) {
    static const size_t bad[] = {0, 1, 2, 4, 24, 48, 100, 4097, 3 * 4096, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *p = NULL;
        int rc = sh_posix_memalign(&p, bad[i], 64);
        if (rc != EINVAL) {
            fprintf(stderr, "posix_memalign(alignment %zu) returned %d, not EINVAL (%d)\n",
                    bad[i], rc, EINVAL);
            _exit(1);
        }
    }
}

SH_TEST(test_posix_memalign_too_big_returns_enomem) {
    void *p = NULL;
    CHECK_EQ(sh_posix_memalign(&p, 64, SIZE_MAX / 2), ENOMEM);
    CHECK_EQ(sh_posix_memalign(&p, 4096, SIZE_MAX - 100), ENOMEM);
    CHECK_EQ(sh_posix_memalign(&p, 1 * MiB, SIZE_MAX), ENOMEM);
}

SH_TEST(test_aligned_alloc_too_big_returns_enomem) {
    static const size_t aligns[] = {16, 64, 4096, 1 * MiB};
    for (size_t i = 0; i < 4; i++) {
        errno = 0;
        CHECK(sh_aligned_alloc(aligns[i], SIZE_MAX - aligns[i] + 1) == NULL);
        CHECK_EQ(errno, ENOMEM);
        errno = 0;
        CHECK(sh_aligned_alloc(aligns[i], SIZE_MAX / 2) == NULL);
        CHECK_EQ(errno, ENOMEM);
    }
}

/* ---- requests bigger than the machine --------------------------------------------------- */

SH_TEST(test_request_larger_than_the_machine_returns_enomem) {
    /* Sizes near SIZE_MAX catch a rounding-up that wraps to a tiny block. */
    size_t sizes[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 15, SIZE_MAX - 4095,
                      SIZE_MAX - 2 * MiB, SIZE_MAX / 2 + 1, SIZE_MAX / 2,
                      (size_t)1 << 47, (size_t)1 << 46, (size_t)1 << 40};
    size_t n = sizeof sizes / sizeof sizes[0];
    if (overcommit_always()) n -= 3;   /* the kernel would map 64 TiB: nothing to tell */
    for (size_t i = 0; i < n; i++) {
        errno = 0;
        void *p = sh_malloc(sizes[i]);
        if (p != NULL || errno != ENOMEM) {
            fprintf(stderr, "malloc(%zu = %#zx) gave %p, errno %d\n", sizes[i], sizes[i], p,
                    errno);
            _exit(1);
        }
    }
    /* And the heap still works afterwards. */
    void *p = sh_malloc(100);
    CHECK(p != NULL);
    sh_free(p);
}

/* ---- usable size and size classes ------------------------------------------------------- */

SH_TEST(test_usable_size_of_null_is_zero) {
    CHECK_EQ(sh_usable_size(NULL), 0);
}

SH_TEST(test_usable_size_is_at_least_requested) {
    for (size_t n = 0; n <= 70000; n += (n < 1024 ? 1 : 61)) {
        void *p = sh_malloc(n);
        CHECK(p != NULL);
        if (sh_usable_size(p) < n) {
            fprintf(stderr, "malloc(%zu): usable size %zu\n", n, sh_usable_size(p));
            _exit(1);
        }
        sh_free(p);
    }
    for (size_t i = 0; i < NTIER_SIZES; i++) {
        void *p = sh_malloc(tier_sizes[i]);
        CHECK(p != NULL);
        CHECK(sh_usable_size(p) >= tier_sizes[i]);
        sh_free(p);
    }
}

/* Blocks of one size side by side, each filled up to its usable size: if the heap claimed more
 * usable bytes than a slot has, a neighbour's pattern breaks. */
SH_TEST(test_writing_up_to_usable_size_does_not_touch_neighbours) {
    static const size_t sizes[] = {1, 17, 100, 129, 1000, 5000, 32 * KiB, 40 * KiB, 300 * KiB,
                                   2 * MiB + 3, 5 * MiB + 1};
    enum { K = 24 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *p[K];
        size_t u[K];
        for (int k = 0; k < K; k++) {
            p[k] = sh_malloc(sizes[i]);
            CHECK(p[k] != NULL);
            u[k] = sh_usable_size(p[k]);
            CHECK(u[k] >= sizes[i]);
            pat_fill(p[k], u[k], (uint64_t)k);
        }
        for (int k = 0; k < K; k++) {
            CHECK_EQ(sh_usable_size(p[k]), u[k]);   /* stable while the block lives */
            pat_check(p[k], p[k], u[k], (uint64_t)k, u[k]);
            sh_free(p[k]);
        }
    }
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* The design promises size classes at most 12.5 % apart above 128 bytes. */
SH_TEST(test_small_size_classes_waste_at_most_12_5_percent) {
    for (size_t n = 129; n <= 32 * KiB; n++) {
        void *p = sh_malloc(n);
        CHECK(p != NULL);
        size_t u = sh_usable_size(p), limit = round16((n * 9 + 7) / 8);
        if (u < n || u > limit) {
            fprintf(stderr, "malloc(%zu): usable size %zu, allowed %zu..%zu\n", n, u, n, limit);
            _exit(1);
        }
        sh_free(p);
    }
}

/* Medium blocks are carved to fit, so their waste is no worse than the small classes'. */
SH_TEST(test_medium_blocks_waste_at_most_12_5_percent) {
    for (size_t n = 32 * KiB + 1; n <= 2 * MiB; n += 997) {
        void *p = sh_malloc(n);
        CHECK(p != NULL);
        size_t u = sh_usable_size(p), limit = round16((n * 9 + 7) / 8);
        if (u < n || u > limit) {
            fprintf(stderr, "malloc(%zu): usable size %zu, allowed %zu..%zu\n", n, u, n, limit);
            _exit(1);
        }
        sh_free(p);
    }
}

/* ---- statistics ------------------------------------------------------------------------- */

/* live grows by the block's size (usable, so at least n, and not absurdly more) and the tier's
 * share grows with it; both come back when the block is freed. */
#define TIER_LIVE(st, tier) ((tier) == SH_BLOCK_SMALL ? (st).small_live \
                             : (tier) == SH_BLOCK_MEDIUM ? (st).medium_live : (st).huge_live)

static void check_live_tracks(size_t n, sh_block_kind tier) {
    sh_heap_stats a = stats_now();
    void *p = sh_malloc(n);
    CHECK(p != NULL);
    sh_heap_stats b = stats_now();
    CHECK(b.live >= a.live + n);
    CHECK(b.live <= a.live + n + n / 8 + 4096);
    CHECK_EQ(b.live_blocks, a.live_blocks + 1);
    CHECK(TIER_LIVE(b, tier) >= TIER_LIVE(a, tier) + n);
    CHECK_EQ(b.allocs, a.allocs + 1);
    sh_free(p);
    sh_heap_stats c = stats_now();
    CHECK_EQ(c.live, a.live);
    CHECK_EQ(c.live_blocks, a.live_blocks);
    CHECK_EQ(TIER_LIVE(c, tier), TIER_LIVE(a, tier));
    CHECK_EQ(c.frees, a.frees + 1);
}

SH_TEST(test_stats_live_tracks_small_block) { check_live_tracks(SMALL_SIZE, SH_BLOCK_SMALL); }
SH_TEST(test_stats_live_tracks_medium_block) { check_live_tracks(MEDIUM_SIZE, SH_BLOCK_MEDIUM); }
SH_TEST(test_stats_live_tracks_huge_block) { check_live_tracks(HUGE_SIZE, SH_BLOCK_HUGE); }

SH_TEST(test_stats_live_blocks_counts_blocks) {
    enum { N = 300 };
    void *p[N];
    uint64_t rng = 5;
    sh_heap_stats a = stats_now();
    for (int i = 0; i < N; i++) {
        /* Mostly small, some medium, a few huge. */
        size_t n = i % 50 == 0 ? 3 * MiB : i % 7 == 0 ? rand_between(&rng, 40 * KiB, 400 * KiB)
                                                      : rand_between(&rng, 1, 2000);
        p[i] = sh_malloc(n);
        CHECK(p[i] != NULL);
    }
    CHECK_EQ(stats_now().live_blocks, a.live_blocks + N);
    for (int i = 0; i < N; i += 2) sh_free(p[i]);
    CHECK_EQ(stats_now().live_blocks, a.live_blocks + N / 2);
    for (int i = 1; i < N; i += 2) sh_free(p[i]);
    CHECK_EQ(stats_now().live_blocks, a.live_blocks);
}

SH_TEST(test_stats_counts_allocs_and_frees) {
    sh_heap_stats a = stats_now();
    void *p[100];
    for (int i = 0; i < 100; i++) {
        p[i] = sh_malloc((size_t)i * 700 + 1);
        CHECK(p[i] != NULL);
    }
    sh_heap_stats b = stats_now();
    CHECK_EQ(b.allocs, a.allocs + 100);
    CHECK_EQ(b.frees, a.frees);
    for (int i = 0; i < 100; i++) sh_free(p[i]);
    sh_heap_stats c = stats_now();
    CHECK_EQ(c.allocs, b.allocs);
    CHECK_EQ(c.frees, a.frees + 100);
}

SH_TEST(test_stats_failed_allocation_is_not_counted) {
    sh_heap_stats a = stats_now();
    CHECK(sh_malloc(SH_OPAQUE(SIZE_MAX)) == NULL);
    CHECK(sh_calloc(SH_OPAQUE(SIZE_MAX), 2) == NULL);
    sh_heap_stats b = stats_now();
    CHECK_EQ(b.allocs, a.allocs);
    CHECK_EQ(b.live_blocks, a.live_blocks);
}

/* Peak remembers the high-water mark after the memory is gone, and never trails live. */
SH_TEST(test_stats_peak_remembers_high_water_mark) {
    sh_heap_stats a = stats_now();
    CHECK(a.peak >= a.live);
    void *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = sh_malloc(HUGE_SIZE);
        CHECK(p[i] != NULL);
        sh_heap_stats s = stats_now();
        CHECK(s.peak >= s.live);
    }
    for (int i = 0; i < 4; i++) sh_free(p[i]);
    sh_heap_stats b = stats_now();
    CHECK(b.peak >= a.live + 4 * HUGE_SIZE);
    CHECK(b.peak >= b.live);
}

SH_TEST(test_stats_committed_covers_live_and_reserved_covers_committed) {
    uint64_t rng = 9;
    void *p[200];
    for (int i = 0; i < 200; i++) {
        p[i] = sh_malloc(i % 20 == 0 ? rand_between(&rng, 2 * MiB, 6 * MiB)
                                     : rand_between(&rng, 1, 100 * KiB));
        CHECK(p[i] != NULL);
        memset(p[i], 1, 1);
        sh_heap_stats s = stats_now();
        CHECK(s.committed >= s.live);
        CHECK(s.reserved >= s.committed);
        CHECK(s.committed >= s.small_live + s.medium_live + s.huge_live);
    }
    sh_heap_stats s = stats_now();
    CHECK_EQ(s.live, s.small_live + s.medium_live + s.huge_live);
    for (int i = 0; i < 200; i++) sh_free(p[i]);
}

SH_TEST(test_stats_fragmentation_is_unused_share_of_committed) {
    void *p[50];
    for (int i = 0; i < 50; i++) {
        p[i] = sh_malloc((size_t)(i + 1) * 3000);
        CHECK(p[i] != NULL);
    }
    for (int i = 0; i < 50; i += 3) sh_free(p[i]);
    sh_heap_stats s = stats_now();
    CHECK(s.committed > 0);
    double want = 1.0 - (double)s.live / (double)s.committed;
    CHECK(s.fragmentation >= want - 1e-9 && s.fragmentation <= want + 1e-9);
    CHECK(s.fragmentation >= 0.0 && s.fragmentation < 1.0);
    for (int i = 0; i < 50; i++) if (i % 3) sh_free(p[i]);
}

/* ---- heap walk --------------------------------------------------------------------------- */

/* What a walk saw of one address. */
typedef struct walk_probe {
    const char *addr;
    int exact_in_use;             /* blocks starting at addr and in use */
    int exact_free;               /* blocks starting at addr and free */
    int covering_in_use;          /* in-use blocks whose range contains addr */
    sh_heap_block exact;          /* the last block starting at addr */
} walk_probe;

static int probe_cb(const sh_heap_block *b, void *arg) {
    walk_probe *w = arg;
    const char *lo = b->addr;
    if (lo == w->addr) {
        w->exact = *b;
        if (b->in_use) w->exact_in_use++; else w->exact_free++;
    }
    if (b->in_use && w->addr >= lo && w->addr < lo + (b->size ? b->size : 1))
        w->covering_in_use++;
    return 0;
}

static walk_probe probe(const void *addr) {
    walk_probe w = {.addr = addr};
    CHECK_EQ(sh_heap_walk(probe_cb, &w), 0);
    return w;
}

static void check_walk_shows_in_use(size_t n, sh_block_kind kind) {
    void *p = sh_malloc(n);
    CHECK(p != NULL);
    walk_probe w = probe(p);
    CHECK_EQ(w.exact_in_use, 1);
    CHECK_EQ(w.exact_free, 0);
    CHECK_EQ(w.covering_in_use, 1);
    CHECK(w.exact.size >= n);
    CHECK_EQ(w.exact.size, sh_usable_size(p));
    CHECK_EQ(w.exact.kind, kind);
    sh_free(p);
}

SH_TEST(test_walk_shows_small_block_in_use) { check_walk_shows_in_use(SMALL_SIZE, SH_BLOCK_SMALL); }
SH_TEST(test_walk_shows_medium_block_in_use) { check_walk_shows_in_use(MEDIUM_SIZE, SH_BLOCK_MEDIUM); }
SH_TEST(test_walk_shows_huge_block_in_use) { check_walk_shows_in_use(HUGE_SIZE, SH_BLOCK_HUGE); }

static void check_walk_hides_freed(size_t n) {
    /* Neighbours stay live so the page or arena the freed block was in stays too. */
    void *before = sh_malloc(n), *p = sh_malloc(n), *after = sh_malloc(n);
    CHECK(before && p && after);
    sh_free(SH_OPAQUE(p));
    walk_probe w = probe(p);
    CHECK_EQ(w.exact_in_use, 0);
    CHECK_EQ(w.covering_in_use, 0);
    sh_free(before);
    sh_free(after);
}

SH_TEST(test_walk_does_not_show_freed_small_block_in_use) { check_walk_hides_freed(SMALL_SIZE); }
SH_TEST(test_walk_does_not_show_freed_medium_block_in_use) { check_walk_hides_freed(MEDIUM_SIZE); }
SH_TEST(test_walk_does_not_show_freed_huge_block_in_use) { check_walk_hides_freed(HUGE_SIZE); }

/* Every block handed out is listed exactly once, in use, with its usable size. */
typedef struct walk_all {
    size_t n;
    char **addr;                  /* sorted */
    size_t *seen;
    size_t *size;
    size_t in_use_blocks, in_use_bytes;
} walk_all;

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)*(char *const *)a, y = (uintptr_t)*(char *const *)b;
    return x < y ? -1 : x > y;
}

static int walk_all_cb(const sh_heap_block *b, void *arg) {
    walk_all *w = arg;
    if (!b->in_use) return 0;
    w->in_use_blocks++;
    w->in_use_bytes += b->size;
    if (w->n == 0) return 0;   /* only counting: bsearch must not see a NULL array */
    char *key = b->addr;
    char **hit = bsearch(&key, w->addr, w->n, sizeof *w->addr, cmp_ptr);
    if (hit) {
        size_t i = (size_t)(hit - w->addr);
        w->seen[i]++;
        w->size[i] = b->size;
    }
    return 0;
}

SH_TEST(test_walk_lists_every_live_block_once) {
    enum { N = 1500 };
    uint64_t rng = 21;
    walk_all w = {.n = N};
    w.addr = calloc(N, sizeof *w.addr);
    w.seen = calloc(N, sizeof *w.seen);
    w.size = calloc(N, sizeof *w.size);
    CHECK(w.addr && w.seen && w.size);
    for (int i = 0; i < N; i++) {
        size_t n = i % 300 == 0 ? 3 * MiB : i % 10 == 0 ? rand_between(&rng, 33 * KiB, 300 * KiB)
                                                        : rand_between(&rng, 0, 4000);
        w.addr[i] = sh_malloc(n);
        CHECK(w.addr[i] != NULL);
    }
    qsort(w.addr, N, sizeof *w.addr, cmp_ptr);
    CHECK_EQ(sh_heap_walk(walk_all_cb, &w), 0);
    for (int i = 0; i < N; i++) {
        if (w.seen[i] != 1 || w.size[i] != sh_usable_size(w.addr[i])) {
            fprintf(stderr, "block %p: listed %zu times, size %zu, usable %zu\n",
                    (void *)w.addr[i], w.seen[i], w.size[i], sh_usable_size(w.addr[i]));
            _exit(1);
        }
    }
    for (int i = 0; i < N; i++) sh_free(w.addr[i]);
}

/* The walk and the statistics describe the same heap: same count, same bytes in use. */
SH_TEST(test_walk_in_use_totals_match_stats) {
    uint64_t rng = 22;
    void *p[400];
    for (int i = 0; i < 400; i++) {
        p[i] = sh_malloc(i % 97 == 0 ? 5 * MiB : i % 9 == 0 ? rand_between(&rng, 40 * KiB, 1 * MiB)
                                                             : rand_between(&rng, 1, 30000));
        CHECK(p[i] != NULL);
    }
    for (int i = 0; i < 400; i += 4) sh_free(p[i]);
    walk_all w = {0};
    CHECK_EQ(sh_heap_walk(walk_all_cb, &w), 0);
    sh_heap_stats s = stats_now();
    CHECK_EQ(w.in_use_blocks, s.live_blocks);
    CHECK_EQ(w.in_use_bytes, s.live);
    for (int i = 0; i < 400; i++) if (i % 4) sh_free(p[i]);
}

/* Blocks, used or free, never overlap: a walk that did would describe an impossible heap. */
typedef struct block_list { sh_heap_block *b; size_t n, cap; } block_list;

static int collect_cb(const sh_heap_block *b, void *arg) {
    block_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->b = realloc(l->b, l->cap * sizeof *l->b);
        CHECK(l->b != NULL);
    }
    l->b[l->n++] = *b;
    return 0;
}

static int cmp_block(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const sh_heap_block *)a)->addr;
    uintptr_t y = (uintptr_t)((const sh_heap_block *)b)->addr;
    return x < y ? -1 : x > y;
}

SH_TEST(test_walk_blocks_do_not_overlap) {
    uint64_t rng = 23;
    void *p[600];
    for (int i = 0; i < 600; i++) {
        p[i] = sh_malloc(i % 150 == 0 ? 4 * MiB : i % 8 == 0 ? rand_between(&rng, 33 * KiB, 500 * KiB)
                                                            : rand_between(&rng, 1, 20000));
        CHECK(p[i] != NULL);
    }
    for (int i = 0; i < 600; i += 3) sh_free(p[i]);
    block_list l = {0};
    CHECK_EQ(sh_heap_walk(collect_cb, &l), 0);
    CHECK(l.n > 0);
    qsort(l.b, l.n, sizeof *l.b, cmp_block);
    for (size_t i = 1; i < l.n; i++) {
        const char *prev_end = (const char *)l.b[i - 1].addr + l.b[i - 1].size;
        if ((const char *)l.b[i].addr < prev_end) {
            fprintf(stderr, "block %p (%zu bytes, %s) overlaps block %p (%zu bytes, %s)\n",
                    l.b[i - 1].addr, l.b[i - 1].size, l.b[i - 1].in_use ? "used" : "free",
                    l.b[i].addr, l.b[i].size, l.b[i].in_use ? "used" : "free");
            _exit(1);
        }
    }
    free(l.b);
    for (int i = 0; i < 600; i++) if (i % 3) sh_free(p[i]);
}

/* The callback allocates and frees in every tier; a heap that held its locks through the
 * callbacks would deadlock, which the alarm turns into a failure. */
typedef struct realloc_in_walk { int calls; int failed; } realloc_in_walk;

static int allocating_cb(const sh_heap_block *b, void *arg) {
    (void)b;
    realloc_in_walk *r = arg;
    r->calls++;
    static const size_t sizes[] = {24, 3000, 70 * KiB, 3 * MiB};
    void *p = sh_malloc(sizes[r->calls % 4]);
    if (!p) { r->failed++; return 1; }
    pat_fill(p, sizes[r->calls % 4], 1);
    p = sh_realloc(p, sizes[(r->calls + 1) % 4]);
    if (!p) { r->failed++; return 1; }
    sh_free(p);
    return r->calls >= 400;
}

SH_TEST(test_walk_callback_may_allocate_and_free) {
    void *p[40];
    for (int i = 0; i < 40; i++) {
        p[i] = sh_malloc(i % 10 == 0 ? 3 * MiB : i % 3 == 0 ? 100 * KiB : 64);
        CHECK(p[i] != NULL);
    }
    alarm(20);
    realloc_in_walk r = {0};
    CHECK_EQ(sh_heap_walk(allocating_cb, &r), 0);
    alarm(0);
    CHECK(r.calls >= 40);
    CHECK_EQ(r.failed, 0);
    for (int i = 0; i < 40; i++) sh_free(p[i]);
}

static int stop_at_three_cb(const sh_heap_block *b, void *arg) {
    (void)b;
    int *calls = arg;
    return ++*calls == 3;
}

SH_TEST(test_walk_stops_when_callback_returns_nonzero) {
    void *p[50];
    for (int i = 0; i < 50; i++) {
        p[i] = sh_malloc(i % 2 ? 200 * KiB : 48);
        CHECK(p[i] != NULL);
    }
    int calls = 0;
    CHECK_EQ(sh_heap_walk(stop_at_three_cb, &calls), 0);
    CHECK_EQ(calls, 3);
    for (int i = 0; i < 50; i++) sh_free(p[i]);
}

/* ---- small tier: reuse -------------------------------------------------------------------- */

/* A small block freed by its thread is the next one of its size that thread gets, while it is
 * still in the CPU's cache (a page's free list is one stack), so long as the page it is in
 * is the one the thread allocates from: two blocks of one 64 KiB slice are of one page. */
static void check_freed_small_block_comes_back_first(size_t n) {
    void *keep[64];
    int kept = 0;
    char *b, *c;
    for (;;) {
        b = sh_malloc(n);
        c = sh_malloc(n);
        CHECK(b && c);
        if ((uintptr_t)b >> 16 == (uintptr_t)c >> 16) break;
        CHECK(kept + 2 <= 64);
        keep[kept++] = b;
        keep[kept++] = c;
    }
    volatile uintptr_t bw = (uintptr_t)b, cw = (uintptr_t)c;  /* compared after the frees */
    sh_free(b);
    char *again = sh_malloc(n);
    CHECK_EQ((uintptr_t)again, bw);
    sh_free(again);
    sh_free(c);  /* last in, first out */
    char *first = sh_malloc(n), *second = sh_malloc(n);
    CHECK_EQ((uintptr_t)first, cw);
    CHECK_EQ((uintptr_t)second, bw);
    sh_free(first);
    sh_free(second);
    for (int i = 0; i < kept; i++) sh_free(keep[i]);
}

SH_TEST(test_small_block_freed_is_the_next_one_handed_out) {
    if (sh_heap_checked()) return;   /* checked mode holds freed blocks back on purpose */
    check_freed_small_block_comes_back_first(48);     /* malloc's one-load path */
    check_freed_small_block_comes_back_first(3000);   /* the class's current page */
    check_freed_small_block_comes_back_first(20000);
}

/* ---- medium tier: reuse and coalescing ---------------------------------------------------- */

SH_TEST(test_medium_freed_block_is_reused) {
    void *a = sh_malloc(100 * KiB), *b = sh_malloc(100 * KiB), *c = sh_malloc(100 * KiB);
    CHECK(a && b && c);
    sh_free(b);
    void *again = sh_malloc(100 * KiB);
    CHECK(again == b);   /* the only hole of that size: a free-block search must find it */
    sh_free(a);
    sh_free(again);
    sh_free(c);
}

/* Allocates ten 300 KiB blocks in a row and returns, through ret_first, the index of three
 * consecutive ones that sit next to each other with live blocks on both sides. */
#define ROW 10
#define ROW_BLOCK (300 * KiB)   /* above SH_MCACHE_MAX: a thread keeps no such block */

static int adjacent(char *a, char *b) {
    size_t u = sh_usable_size(a);
    return b > a && (size_t)(b - a) >= u && (size_t)(b - a) - u <= 4096;
}

static void alloc_row(char **row, int *ret_first) {
    for (int i = 0; i < ROW; i++) {
        row[i] = sh_malloc(ROW_BLOCK);
        CHECK(row[i] != NULL);
    }
    for (int i = 1; i + 3 < ROW; i++) {
        if (adjacent(row[i - 1], row[i]) && adjacent(row[i], row[i + 1]) &&
            adjacent(row[i + 1], row[i + 2]) && adjacent(row[i + 2], row[i + 3])) {
            *ret_first = i;
            return;
        }
    }
    fprintf(stderr, "no three 300 KiB blocks allocated in a row lie side by side:");
    for (int i = 0; i < ROW; i++) fprintf(stderr, " %p", (void *)row[i]);
    fprintf(stderr, "\n");
    _exit(1);
}

typedef struct free_range_probe { const char *lo, *hi; int covered; sh_heap_block seen; } free_range_probe;

static int free_range_cb(const sh_heap_block *b, void *arg) {
    free_range_probe *f = arg;
    const char *lo = b->addr;
    if (!b->in_use && lo <= f->lo && lo + b->size >= f->hi) {
        f->covered++;
        f->seen = *b;
    }
    return 0;
}

/* Frees three neighbours in the given order (indexes 0..2) and checks that the walk then shows
 * one free block covering all three: without coalescing it would show three. */
static void check_coalescing(const int order[3]) {
    char *row[ROW];
    int first;
    alloc_row(row, &first);
    char *lo = row[first], *hi = row[first + 2] + ROW_BLOCK;
    for (int k = 0; k < 3; k++) sh_free(row[first + order[k]]);
    free_range_probe f = {.lo = lo, .hi = hi};
    CHECK_EQ(sh_heap_walk(free_range_cb, &f), 0);
    if (f.covered != 1) {
        fprintf(stderr, "after freeing %p, %p, %p no single free block covers %p..%p\n",
                (void *)row[first], (void *)row[first + 1], (void *)row[first + 2],
                (void *)lo, (void *)hi);
        _exit(1);
    }
    CHECK_EQ(f.seen.kind, SH_BLOCK_MEDIUM);
    /* The neighbours outside the freed range are still live and listed as such. */
    CHECK_EQ(probe(row[first - 1]).exact_in_use, 1);
    CHECK_EQ(probe(row[first + 3]).exact_in_use, 1);
    for (int i = 0; i < ROW; i++)
        if (i < first || i > first + 2) sh_free(row[i]);
}

SH_TEST(test_medium_free_merges_with_both_neighbours) { check_coalescing((const int[]){0, 2, 1}); }
SH_TEST(test_medium_free_merges_with_left_neighbour) { check_coalescing((const int[]){0, 1, 2}); }
SH_TEST(test_medium_free_merges_with_right_neighbour) { check_coalescing((const int[]){2, 1, 0}); }

/* The merged hole is the best fit for a block three times as big: it lands where the first
 * of the three was. Without coalescing no hole is big enough and the block goes elsewhere. */
SH_TEST(test_medium_coalesced_range_is_reused_for_larger_request) {
    char *row[ROW];
    int first;
    alloc_row(row, &first);
    sh_free(SH_OPAQUE(row[first]));
    sh_free(row[first + 2]);
    sh_free(row[first + 1]);
    char *big = sh_malloc(3 * ROW_BLOCK);
    CHECK(big != NULL);
    if (big != row[first]) {
        fprintf(stderr, "%zu-byte block at %p, not in the merged hole at %p\n", 3 * ROW_BLOCK, (void *)big,
                (void *)row[first]);
        _exit(1);
    }
    pat_fill(big, 3 * ROW_BLOCK, 1);
    CHECK_EQ(probe(row[first + 3]).exact_in_use, 1);   /* the neighbour was not overrun */
    pat_check(big, big, 3 * ROW_BLOCK, 1, 3 * ROW_BLOCK);
    sh_free(big);
    for (int i = 0; i < ROW; i++)
        if (i < first || i > first + 2) sh_free(row[i]);
}

/* A medium block that cannot grow into the block after it grows into a free block before
 * it: the bytes move down into the hole instead of leaving it while the buffer takes new
 * memory elsewhere. (Above 256 KiB, so the freed block is not kept by the thread.) */
SH_TEST(test_medium_realloc_grows_into_the_free_block_before) {
    if (sh_heap_checked()) return;   /* checked mode moves every realloc */
    char *row[ROW];
    int first;
    alloc_row(row, &first);          /* 300 KiB blocks side by side */
    char *a = row[first], *b = row[first + 1];
    pat_fill(b, ROW_BLOCK, 5);
    sh_free(SH_OPAQUE(a));
    char *q = sh_realloc(b, ROW_BLOCK + 100 * KiB);   /* 500 KiB with room to grow: a + b */
    CHECK(q != NULL);
    if (q != a) {
        fprintf(stderr, "realloc moved %p to %p, not into the free block before it at %p\n",
                (void *)b, (void *)q, (void *)a);
        _exit(1);
    }
    pat_check(q, b, ROW_BLOCK, 5, ROW_BLOCK);
    CHECK(sh_usable_size(q) >= ROW_BLOCK + 100 * KiB);
    CHECK_EQ(probe(q).exact_in_use, 1);
    CHECK_EQ(probe(row[first + 2]).exact_in_use, 1);   /* the neighbour after is untouched */
    sh_free(q);
    for (int i = 0; i < ROW; i++)
        if (i != first && i != first + 1) sh_free(row[i]);
}

/* ---- giving memory back to the OS ---------------------------------------------------------- */

#define TRIM_TOTAL (64 * MiB)

static char **alloc_and_touch(size_t block, size_t *ret_n) {
    size_t n = TRIM_TOTAL / block;
    char **p = calloc(n, sizeof *p);
    CHECK(p != NULL);
    for (size_t i = 0; i < n; i++) {
        p[i] = sh_malloc(block);
        CHECK(p[i] != NULL);
        memset(p[i], 0x77, block);   /* touched, so the pages are really resident */
    }
    *ret_n = n;
    return p;
}

static void check_trim_gives_back(size_t block) {
    size_t n;
    char **p = alloc_and_touch(block, &n);
    sh_heap_stats live = stats_now();
    size_t rss_live = rss_bytes();
    for (size_t i = 0; i < n; i++) sh_free(p[i]);
    sh_heap_trim();
    sh_heap_stats trimmed = stats_now();
    size_t rss_trimmed = rss_bytes();
    if (trimmed.committed + TRIM_TOTAL / 2 > live.committed) {
        fprintf(stderr, "committed %zu with 64 MiB live, %zu after free and trim\n",
                live.committed, trimmed.committed);
        _exit(1);
    }
    if (rss_trimmed + TRIM_TOTAL / 2 > rss_live) {
        fprintf(stderr, "RSS %zu with 64 MiB live, %zu after free and trim\n", rss_live,
                rss_trimmed);
        _exit(1);
    }
    CHECK(trimmed.os_purges + trimmed.os_unmaps > live.os_purges + live.os_unmaps);
    free(p);
}

SH_TEST(test_trim_returns_freed_medium_memory) { check_trim_gives_back(100 * KiB); }
SH_TEST(test_trim_returns_freed_small_pages) { check_trim_gives_back(256); }

SH_TEST(test_freed_huge_block_is_returned_to_os) {
    char *p = sh_malloc(64 * MiB);
    CHECK(p != NULL);
    memset(p, 1, 64 * MiB);
    sh_heap_stats live = stats_now();
    sh_free(p);
    sh_heap_trim();
    sh_heap_stats after = stats_now();
    CHECK(after.committed + 64 * MiB <= live.committed);
}

/* Without trim the heap still gives unused memory back "after a while". Allocation activity
 * keeps the heap's slow paths running, where a delayed purge would happen; 5 s is the most
 * this test waits. */
SH_TEST(test_freed_memory_returns_to_os_without_trim) {
    size_t n;
    char **p = alloc_and_touch(100 * KiB, &n);
    sh_heap_stats live = stats_now();
    for (size_t i = 0; i < n; i++) sh_free(p[i]);
    double start = now_seconds();
    sh_heap_stats s;
    do {
        usleep(20 * 1000);
        void *a = sh_malloc(100 * KiB), *b = sh_malloc(64);
        sh_free(a);
        sh_free(b);
        s = stats_now();
    } while (s.committed + TRIM_TOTAL / 2 > live.committed && now_seconds() - start < 5.0);
    if (s.committed + TRIM_TOTAL / 2 > live.committed) {
        fprintf(stderr, "committed %zu with 64 MiB live, still %zu %.1f s after the frees\n",
                live.committed, s.committed, now_seconds() - start);
        _exit(1);
    }
    free(p);
}

/* ---- invalid free, caught in every mode --------------------------------------------------- */

static void free_it(void *p) { sh_free(p); }

SH_TEST(test_free_of_stack_address_panics_without_checked_mode) {
    char local[64];
    memset(local, 0, sizeof local);
    expect_panic(free_it, local + 16, "invalid free", local + 16);
}

static char never_allocated[4096] __attribute__((aligned(64)));

SH_TEST(test_free_of_global_address_panics_without_checked_mode) {
    expect_panic(free_it, never_allocated + 64, "invalid free", never_allocated + 64);
}

int main(void) { return sh_test_main(); }
