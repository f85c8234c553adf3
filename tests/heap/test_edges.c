/*
 * tests/heap/test_edges.c — the heap at the edges of what it is given: any pointer value
 * handed to free, alignments from nothing to gigabytes, and the limits the docs promise.
 *
 * Each test runs in a fresh forked child of a process that never allocated with sh_*, as in
 * test_api.c, so statistics start from the same state every time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

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

int main(void) { return sh_test_main(); }
