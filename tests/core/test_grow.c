/*
 * tests/core/test_grow.c — the one growth helper (src/core/grow.h): amortised doubling,
 * contents kept, and the one out-of-memory policy, a panic naming the caller's line.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "core/grow.h"

/* Under AddressSanitizer a 2^63-byte realloc would end the test in ASan's own report; let
 * it return NULL as libc's does, so the panic under test is what runs. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

SH_TEST(test_grow_from_empty_makes_room) {
    int *a = NULL;
    size_t cap = 0;
    SHI_GROW(a, cap, 1);
    CHECK(a != NULL);
    CHECK(cap >= 1);
    a[0] = 7;
    CHECK_EQ(a[0], 7);
    free(a);
}

SH_TEST(test_grow_keeps_contents_and_doubles) {
    int *a = NULL;
    size_t cap = 0, reallocs = 0, last = 0;
    for (int i = 0; i < 10000; i++) {
        SHI_GROW(a, cap, (size_t)i + 1);
        if (cap != last) reallocs++, last = cap;
        a[i] = i;
    }
    for (int i = 0; i < 10000; i++) CHECK_EQ(a[i], i);
    CHECK(cap >= 10000);
    CHECK(reallocs <= 14);   /* 4, 8, ... 16384: log2 of the count, not one per element */
    free(a);
}

SH_TEST(test_grow_with_room_changes_nothing) {
    long *a = NULL;
    size_t cap = 0;
    SHI_GROW(a, cap, 8);
    long *before = a;
    size_t cap_before = cap;
    SHI_GROW(a, cap, 3);
    CHECK(a == before);
    CHECK_EQ(cap, cap_before);
    free(a);
}

SH_TEST(test_grow_jumps_to_a_large_need) {
    char *a = NULL;
    size_t cap = 4;
    a = malloc(4);
    SHI_GROW(a, cap, 1000);
    CHECK(cap >= 1000);
    a[999] = 1;
    free(a);
}

SH_TEST(test_resize_to_zero_keeps_a_pointer) {
    int *a = malloc(16);
    SHI_RESIZE(a, 0);
    CHECK(a != NULL);
    free(a);
}

SH_DEATH_TEST(test_grow_out_of_memory_panics, SIGABRT, "out of memory: an array of") {
    uint64_t *a = NULL;
    size_t cap = 0;
    SHI_GROW(a, cap, SIZE_MAX / 16);   /* 2^63 bytes: no machine gives that */
    a[0] = 1;
}

SH_DEATH_TEST(test_grow_overflow_panics, SIGABRT, "capacity overflow") {
    uint64_t *a = NULL;
    size_t cap = 0;
    SHI_GROW(a, cap, SIZE_MAX / 4);
    a[0] = 1;
}

SH_DEATH_TEST(test_panic_names_the_callers_file, SIGABRT, "test_grow.c") {
    uint64_t *a = NULL;
    SHI_RESIZE(a, SIZE_MAX / 16);
    a[0] = 1;
}

int main(void) { return sh_test_main(); }
