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

int main(void) { return sh_test_main(); }
