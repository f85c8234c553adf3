/*
 * tests/heap/test_checked.c — the checked mode: double frees, invalid frees, overruns,
 * underflows and writes after free end the process with SIGABRT and a message naming the
 * mistake and the block, never with a crash inside the heap; a correct program runs clean.
 *
 * The checked mode is read from STACKHEAP_CHECK=1 when the heap starts (or is built in with
 * -DSTACKHEAP_CHECKED=ON). To have the whole process in checked mode whatever the caller's
 * environment, main() sets the variable and re-executes itself before anything allocates.
 *
 * Each case sets a block up, then makes the mistake in a child (expect_panic in helpers.h),
 * which must die of SIGABRT with the agreed words — "double free", "invalid free" (with
 * "never allocated" or "points inside a block" where it says which), "heap overrun", "heap
 * underflow", "heap write after free" — and the address of the block, printed as 0x....
 *
 * The cases named test_normal_mode_* are the mistakes caught without checked mode too: main()
 * runs them first, in the process as started (normal mode unless the build has checked mode
 * built in), and only then re-executes itself in checked mode for the rest. Checked mode
 * reports the same mistakes with the same words, so they pass in a checked build as well.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <stackheap/heap.h>

#include "check.h"
#include "helpers.h"

static void free_it(void *p) { sh_free(p); }

/* Allocates `times` blocks of `size`, so that a slot freed earlier is handed out again. */
typedef struct reuse { size_t size; int times; } reuse;

static void allocate_again(void *arg) {
    const reuse *r = arg;
    for (int i = 0; i < r->times; i++)
        if (!sh_malloc(r->size)) _exit(3);
}

SH_TEST(test_checked_mode_is_on) {
    void *p = sh_malloc(16);   /* the heap reads its settings by the first allocation */
    CHECK(p != NULL);
    CHECK_EQ(sh_heap_checked(), 1);
    sh_free(p);
}

/* ---- caught in normal mode too ----------------------------------------------------------------- */

/* The block freed last into its page is at the head of the page's free list: a second free of
 * it is seen without checked mode, instead of a later malloc handing it out twice. */
SH_TEST(test_normal_mode_double_free_of_small_block_is_reported) {
    void *keep[8];
    for (int i = 0; i < 8; i++) keep[i] = sh_malloc(48);   /* the free stays on the fast path */
    char *p = sh_malloc(48);
    CHECK(p != NULL);
    sh_free(SH_OPAQUE(p));
    expect_panic(free_it, p, "double free", p);
    for (int i = 0; i < 8; i++) sh_free(keep[i]);
}

/* Two frees by threads that do not own the page meet at the head of its cross-thread list. */
static void *free_on_other_thread(void *p) { sh_free(p); return NULL; }

static void free_on_new_thread(void *p) {
    pthread_t t;
    if (pthread_create(&t, NULL, free_on_other_thread, p) != 0) _exit(6);
    pthread_join(t, NULL);
}

SH_TEST(test_normal_mode_double_free_from_other_threads_is_reported) {
    void *keep = sh_malloc(64);
    char *p = sh_malloc(64);
    CHECK(p != NULL);
    free_on_new_thread(p);
    expect_panic(free_on_new_thread, p, "double free", p);
    sh_free(keep);
}

/* A pointer into the middle of a small block: freed as it is, its slot would later be handed
 * out over its neighbour. */
SH_TEST(test_normal_mode_free_of_pointer_inside_small_block_is_reported) {
    char *p = sh_malloc(100);
    CHECK(p != NULL);
    expect_panic(free_it, p + 16, "points inside a block", p + 16);
    expect_panic(free_it, p + 1, "points inside a block", p + 1);
    sh_free(p);
}

/* The same when the block is freed by a thread that does not own its page. */
SH_TEST(test_normal_mode_free_of_pointer_inside_small_block_on_other_thread_is_reported) {
    char *p = sh_malloc(100);
    CHECK(p != NULL);
    expect_panic(free_on_new_thread, p + 32, "points inside a block", p + 32);
    sh_free(p);
}

/* ---- double free ---------------------------------------------------------------------------- */

SH_TEST(test_double_free_of_small_block_is_reported) {
    void *keep[8];
    for (int i = 0; i < 8; i++) keep[i] = sh_malloc(48);   /* neighbours stay live */
    char *p = sh_malloc(48);
    CHECK(p != NULL);
    sh_free(SH_OPAQUE(p));
    expect_panic(free_it, p, "double free", p);
    for (int i = 0; i < 8; i++) sh_free(keep[i]);
}

/* The freed block was the only one in its page, so the page itself may be empty now. */
SH_TEST(test_double_free_of_lone_small_block_is_reported) {
    char *p = sh_malloc(20000);
    CHECK(p != NULL);
    sh_free(SH_OPAQUE(p));
    expect_panic(free_it, p, "double free", p);
}

SH_TEST(test_double_free_of_medium_block_is_reported) {
    void *before = sh_malloc(100 * KiB);
    char *p = sh_malloc(100 * KiB);
    void *after = sh_malloc(100 * KiB);
    CHECK(p != NULL);
    sh_free(SH_OPAQUE(p));
    expect_panic(free_it, p, "double free", p);
    sh_free(before);
    sh_free(after);
}

/* The freed medium block merged with a free neighbour: its header is now inside a bigger
 * free range, and freeing it again must still be named a double free. */
SH_TEST(test_double_free_of_coalesced_medium_block_is_reported) {
    char *a = sh_malloc(100 * KiB), *b = sh_malloc(100 * KiB), *c = sh_malloc(100 * KiB);
    CHECK(a && b && c);
    sh_free(a);
    sh_free(SH_OPAQUE(b));
    expect_panic(free_it, b, "double free", b);
    sh_free(c);
}

SH_TEST(test_double_free_of_huge_block_is_reported) {
    char *p = sh_malloc(HUGE_SIZE);
    CHECK(p != NULL);
    memset(p, 1, 4096);
    sh_free(SH_OPAQUE(p));
    expect_panic(free_it, p, "double free", p);
}

/* Frees of other blocks in between (the classic "fastbin dup") must not hide it. */
SH_TEST(test_double_free_with_frees_in_between_is_reported) {
    char *p = sh_malloc(32), *q = sh_malloc(32), *r = sh_malloc(32);
    CHECK(p && q && r);
    sh_free(SH_OPAQUE(p));
    sh_free(q);
    sh_free(r);
    expect_panic(free_it, p, "double free", p);
}

static void *free_on_thread(void *p) { sh_free(p); return NULL; }

SH_TEST(test_double_free_after_free_on_another_thread_is_reported) {
    void *keep = sh_malloc(64);
    char *p = sh_malloc(64);
    CHECK(p != NULL);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_on_thread, p) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    expect_panic(free_it, p, "double free", p);
    sh_free(keep);
}

static void realloc_it(void *p) {
    void *q = sh_realloc(p, 200);   /* a (void) cast does not quiet GCC's warn_unused_result */
    (void)q;
}

SH_TEST(test_realloc_of_freed_block_is_reported_as_double_free) {
    void *keep = sh_malloc(64);
    char *p = sh_malloc(64);
    CHECK(p != NULL);
    sh_free(SH_OPAQUE(p));
    expect_panic(realloc_it, p, "double free", p);
    sh_free(keep);
}

/* ---- invalid free --------------------------------------------------------------------------- */

SH_TEST(test_free_of_stack_address_is_reported) {
    char local[128];
    memset(local, 0, sizeof local);
    expect_panic(free_it, local + 32, "invalid free", local + 32);
}

static char never_allocated[8192] __attribute__((aligned(4096)));

SH_TEST(test_free_of_global_address_is_reported) {
    expect_panic(free_it, never_allocated + 4096, "invalid free", never_allocated + 4096);
}

SH_TEST(test_free_of_memory_mapped_elsewhere_is_reported) {
    char *m = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    expect_panic(free_it, m + 64 * KiB, "invalid free", m + 64 * KiB);
    munmap(m, 1 * MiB);
}

SH_TEST(test_free_of_pointer_inside_small_block_is_reported) {
    char *p = sh_malloc(48);
    CHECK(p != NULL);
    expect_panic(free_it, p + 16, "invalid free", p + 16);
    sh_free(p);
}

SH_TEST(test_free_of_misaligned_pointer_into_small_block_is_reported) {
    char *p = sh_malloc(100);
    CHECK(p != NULL);
    expect_panic(free_it, p + 1, "invalid free", p + 1);
    sh_free(p);
}

SH_TEST(test_free_of_pointer_inside_medium_block_is_reported) {
    char *p = sh_malloc(MEDIUM_SIZE);
    CHECK(p != NULL);
    expect_panic(free_it, p + 4096, "invalid free", p + 4096);
    expect_panic(free_it, p + 16, "invalid free", p + 16);
    sh_free(p);
}

/* A slot of a small page that was never handed out is not a block that was freed twice. */
SH_TEST(test_free_of_never_allocated_small_slot_is_reported) {
    char *p = sh_malloc(100), *q = sh_malloc(100);
    CHECK(p && q && q > p);
    char *never = q + 3 * (q - p);   /* a slot of the same page, carved but never handed out */
    expect_panic(free_it, never, "never allocated", never);
    sh_free(p);
    sh_free(q);
}

/* The message says that the pointer is inside a block, and which block, in every tier. */
SH_TEST(test_free_of_pointer_inside_a_block_names_the_block) {
    char *s = sh_malloc(100), *m = sh_malloc(MEDIUM_SIZE), *h = sh_malloc(HUGE_SIZE);
    CHECK(s && m && h);
    expect_panic(free_it, s + 48, "points inside a block", s);
    expect_panic(free_it, m + 4096, "points inside a block", m);
    expect_panic(free_it, h + 2 * MiB, "points inside a block", h);
    sh_free(s);
    sh_free(m);
    sh_free(h);
}

SH_TEST(test_free_of_pointer_inside_huge_block_is_reported) {
    char *p = sh_malloc(HUGE_SIZE);
    CHECK(p != NULL);
    expect_panic(free_it, p + 2 * MiB, "invalid free", p + 2 * MiB);
    expect_panic(free_it, p + 4096, "invalid free", p + 4096);
    sh_free(p);
}

/* ---- overruns ---------------------------------------------------------------------------------- */

/* Writes one byte past the requested size, then frees: the check happens at free. */
static void check_overrun_caught(char *p, size_t n) {
    CHECK(p != NULL);
    memset(p, 0x11, n);
    p[n] = 0x5A;
    expect_panic(free_it, p, "heap overrun", p);
}

SH_TEST(test_overrun_of_small_block_is_reported) { check_overrun_caught(sh_malloc(13), 13); }

/* 48 is a size class of its own: the byte past it is where a neighbour would start. */
SH_TEST(test_overrun_of_exact_size_class_block_is_reported) {
    check_overrun_caught(sh_malloc(48), 48);
}

SH_TEST(test_overrun_of_larger_small_block_is_reported) {
    check_overrun_caught(sh_malloc(1000), 1000);
}

SH_TEST(test_overrun_of_medium_block_is_reported) {
    check_overrun_caught(sh_malloc(100 * KiB + 3), 100 * KiB + 3);
}

SH_TEST(test_overrun_of_huge_block_is_reported) {
    check_overrun_caught(sh_malloc(HUGE_SIZE + 100), HUGE_SIZE + 100);
}

SH_TEST(test_overrun_of_calloc_block_is_reported) {
    check_overrun_caught(sh_calloc(10, 7), 70);
}

SH_TEST(test_overrun_of_aligned_block_is_reported) {
    check_overrun_caught(sh_aligned_alloc(64, 100), 100);
}

SH_TEST(test_overrun_of_realloc_grown_block_is_reported) {
    char *p = sh_malloc(20);
    CHECK(p != NULL);
    p = sh_realloc(p, 300);
    check_overrun_caught(p, 300);
}

/* The same mistake, found when the block is reallocated instead of freed. */
SH_TEST(test_overrun_is_reported_at_realloc) {
    char *p = SH_OPAQUE((char *)sh_malloc(40));   /* GCC would see the overrun coming */
    CHECK(p != NULL);
    memset(p, 0x22, 40);
    p[40] = 0x5A;
    expect_panic(realloc_it, p, "heap overrun", p);
}

/* An overrun by several bytes, not only one, is caught too. */
SH_TEST(test_overrun_by_eight_bytes_is_reported) {
    char *p = SH_OPAQUE((char *)sh_malloc(200));
    CHECK(p != NULL);
    memset(p, 0x33, 208);
    expect_panic(free_it, p, "heap overrun", p);
}

/* An overrun long enough to go through the block's size tags and the next medium block's
 * header: freeing either block names the one that was overrun, instead of following the
 * damaged header (or calling it a double free). */
SH_TEST(test_overrun_into_next_medium_header_is_reported) {
    char *a = sh_malloc(MEDIUM_SIZE), *b = sh_malloc(MEDIUM_SIZE);
    CHECK(a && b && b > a && b - a < (ptrdiff_t)(MEDIUM_SIZE + 4096));
    memset(a, 0x11, MEDIUM_SIZE);
    memset(a + MEDIUM_SIZE, 0x5A, (size_t)(b - a) - MEDIUM_SIZE - 8);   /* up to b's guard */
    expect_panic(free_it, b, "heap overrun", a);
    expect_panic(free_it, b, "over the next block's header", a);
    expect_panic(free_it, a, "heap overrun", a);
}

/* A small block overrun into the next slot: the damage there is in the next block's guard,
 * but the message blames the block that was overrun. */
SH_TEST(test_overrun_into_next_small_block_is_blamed_on_the_overrun_block) {
    char *a = sh_malloc(100), *b = sh_malloc(100);
    CHECK(a && b && b > a);
    memset(a, 0x11, 100);
    memset(a + 100, 0x5A, (size_t)(b - a) - 100 - 8);   /* stops 8 bytes before b */
    expect_panic(free_it, b, "heap overrun: the small block", a);
    expect_panic(free_it, a, "heap overrun", a);
}

/* An overrun into a free slot goes through its free-list link: the next allocation from the
 * page would follow it. The slot is checked as it is handed out, before anyone does. */
SH_TEST(test_overrun_into_free_small_slot_is_reported_before_its_link_is_followed) {
    char *a = sh_malloc(100), *b = sh_malloc(100);
    CHECK(a && b && b > a);
    sh_free(SH_OPAQUE(b));
    memset(a, 0x11, 100);
    memset(a + 100, 0x5A, (size_t)(b - a) - 100);   /* all of b's front guard, link included */
    reuse r = {100, 1000};
    expect_panic(allocate_again, &r, "heap overrun: the small block", a);
}

/* ---- underflows ---------------------------------------------------------------------------------- */

/* Writes before the block, then frees: the front guard has taken the write, and the message
 * names the block, not the allocator's words that used to be there. */
static void check_underflow_caught(char *p, size_t n, size_t before) {
    CHECK(p != NULL);
    memset(p, 0x11, n);
    memset(p - before, 0x5A, before);
    expect_panic(free_it, p, "heap underflow", p);
    expect_panic(free_it, p, "was written before its start", p);
    expect_panic(realloc_it, p, "heap underflow", p);
}

SH_TEST(test_underflow_of_small_block_is_reported) { check_underflow_caught(sh_malloc(100), 100, 1); }

SH_TEST(test_underflow_of_medium_block_is_reported) {
    check_underflow_caught(sh_malloc(MEDIUM_SIZE), MEDIUM_SIZE, 1);
}

SH_TEST(test_underflow_of_huge_block_is_reported) {
    check_underflow_caught(sh_malloc(5 * MiB), 5 * MiB, 16);
}

/* Further back than the guard: a write that runs back from the block over the mapping's own
 * header, which free reads (the mapping starts on a 4 MiB boundary; its first 64 bytes are
 * left alone, so that the heap still finds it is a huge block's). */
SH_TEST(test_underflow_over_huge_block_header_is_reported) {
    char *p = sh_malloc(5 * MiB);
    CHECK(p != NULL);
    char *mapping = (char *)((uintptr_t)p & ~(uintptr_t)(4 * MiB - 1));
    memset(mapping + 64, 0x5A, (size_t)(p - mapping) - 64);
    expect_panic(free_it, p, "over the header of its mapping", p);
}

SH_TEST(test_underflow_of_aligned_block_is_reported) {
    check_underflow_caught(sh_aligned_alloc(4096, 100), 100, 8);
    check_underflow_caught(sh_aligned_alloc(64 * KiB, MEDIUM_SIZE), MEDIUM_SIZE, 8);
    check_underflow_caught(sh_aligned_alloc(8 * MiB, 3 * MiB), 3 * MiB, 8);
}

/* ---- writes after free ------------------------------------------------------------------------- */

/* Freed blocks are filled with 0xDD; the fill is checked when the memory is handed out again.
 * A small slot comes back once the page's other free slots are used up: allocate until then
 * (allocate_again). */

static void check_write_after_free_caught(size_t n, size_t at, size_t len, int times) {
    char *p = sh_malloc(n);
    CHECK(p != NULL);
    memset(p, 0x11, n);
    sh_free(SH_OPAQUE(p));
    memset(p + at, 0x5A, len);
    reuse r = {n, times};
    expect_panic(allocate_again, &r, "heap write after free", p + at);
    expect_panic(allocate_again, &r, "of the freed", p);
}

/* The first bytes of a freed block used to hold the free-list link: a write there crashed. */
SH_TEST(test_write_after_free_at_start_of_small_block_is_reported) {
    check_write_after_free_caught(100, 0, 16, 1000);
}

SH_TEST(test_write_after_free_inside_small_block_is_reported) {
    check_write_after_free_caught(100, 50, 1, 1000);
}

SH_TEST(test_write_after_free_at_start_of_medium_block_is_reported) {
    check_write_after_free_caught(MEDIUM_SIZE, 0, 16, 1);
}

SH_TEST(test_write_after_free_inside_medium_block_is_reported) {
    check_write_after_free_caught(MEDIUM_SIZE, 100000, 1, 1);
}

/* Freed medium blocks merge (their headers end up inside bigger free blocks) and, once idle,
 * give their pages back to the OS, which then read zero: none of that is a write after free. */
static void reuse_merged_and_purged_memory(void *arg) {
    (void)arg;
    uint64_t rng = 7;
    char *p[64] = {0};
    sh_heap_stats before, after;
    sh_heap_get_stats(&before);
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 64; i++) {
            size_t n = rand_between(&rng, 33 * KiB, 600 * KiB);
            p[i] = i % 5 == 0 ? sh_aligned_alloc((size_t)64 << (i % 7), n) : sh_malloc(n);
            if (!p[i]) _exit(3);
            memset(p[i], 0x77, n);
        }
        for (int i = 0; i < 64; i += 1 + round % 3) { sh_free(p[i]); p[i] = NULL; }
        if (round % 2) sh_heap_trim();   /* purges the free blocks now */
        for (int i = 0; i < 64; i++) { sh_free(p[i]); p[i] = NULL; }
        if (round % 3 == 2) sh_heap_trim();
    }
    sh_heap_get_stats(&after);
    if (after.os_purges == before.os_purges) _exit(4);   /* the case needs purged pages */
}

SH_TEST(test_reusing_merged_and_purged_medium_memory_runs_clean) {
    expect_clean_run(reuse_merged_and_purged_memory, NULL);
}

/* ---- the walk --------------------------------------------------------------------------------- */

typedef struct walk_find { const char *addr; size_t size; int found; } walk_find;

static int find_cb(const sh_heap_block *b, void *arg) {
    walk_find *w = arg;
    if (b->in_use && b->addr == w->addr) { w->size = b->size; w->found++; }
    return 0;
}

/* The walk reports a block in use at the pointer the caller got, with the size asked for. */
SH_TEST(test_walk_shows_blocks_at_their_pointer_with_the_size_asked_for) {
    static const size_t sizes[] = {1, 100, 5000, MEDIUM_SIZE + 3, HUGE_SIZE + 5};
    static const size_t aligns[] = {16, 64, 4096, 1 * MiB, 8 * MiB};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t k = 0; k < sizeof aligns / sizeof aligns[0]; k++) {
            char *p = sh_aligned_alloc(aligns[k], sizes[i]);
            CHECK(p != NULL);
            walk_find w = {.addr = p};
            CHECK_EQ(sh_heap_walk(find_cb, &w), 0);
            CHECK_EQ(w.found, 1);
            CHECK_EQ(w.size, sizes[i]);
            CHECK_EQ(sh_usable_size(p), sizes[i]);
            sh_free(p);
        }
    }
}

/* ---- a correct program stays quiet --------------------------------------------------------- */

/* malloc_usable_size's contract: the caller may use every usable byte. The checked mode must
 * put its guard after the usable size, or report a usable size equal to the request. */
static void write_usable_sizes(void *arg) {
    (void)arg;
    static const size_t sizes[] = {1, 13, 48, 100, 1000, 4097, 32 * KiB, 100 * KiB + 3,
                                   1 * MiB + 1, HUGE_SIZE + 100};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *p = sh_malloc(sizes[i]);
        if (!p) _exit(3);
        size_t u = sh_usable_size(p);
        if (u < sizes[i]) _exit(4);
        memset(p, 0x44, u);
        p = sh_realloc(p, sizes[i] / 2 + 1);
        if (!p) _exit(5);
        memset(p, 0x45, sh_usable_size(p));
        sh_free(p);
    }
}

SH_TEST(test_writing_up_to_usable_size_is_not_an_overrun) {
    expect_clean_run(write_usable_sizes, NULL);
}

/* Many mallocs, reallocs and frees in every tier, writing exactly the requested bytes. */
static void *correct_worker(void *arg) {
    uint64_t rng = (uint64_t)(uintptr_t)arg;
    enum { SLOTS = 512 };
    char *p[SLOTS] = {0};
    size_t n[SLOTS] = {0};
    for (int op = 0; op < 60000; op++) {
        int k = (int)(rand64(&rng) % SLOTS);
        if (!p[k]) {
            uint64_t r = rand64(&rng) % 1000;
            n[k] = r < 900 ? rand_between(&rng, 0, 512)
                 : r < 995 ? rand_between(&rng, 513, 200 * KiB)
                           : rand_between(&rng, 2 * MiB, 5 * MiB);
            p[k] = r % 7 == 0 ? sh_calloc(1, n[k]) : sh_malloc(n[k]);
            if (!p[k]) _exit(3);
            memset(p[k], 0x66, n[k]);
        } else if (rand64(&rng) % 3 == 0) {
            size_t m = rand_between(&rng, 1, n[k] * 2 + 64);
            char *q = sh_realloc(p[k], m);
            if (!q) _exit(4);
            p[k] = q;
            n[k] = m;
            memset(p[k], 0x67, m);
        } else {
            sh_free(p[k]);
            p[k] = NULL;
        }
    }
    for (int k = 0; k < SLOTS; k++) sh_free(p[k]);
    return NULL;
}

static void correct_program(void *arg) {
    (void)arg;
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, correct_worker, (void *)(uintptr_t)(i + 1)) != 0) _exit(6);
    correct_worker((void *)(uintptr_t)3);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    void *a = NULL;
    if (sh_posix_memalign(&a, 4096, 5000) != 0) _exit(7);
    memset(a, 1, 5000);
    sh_free(a);
}

SH_TEST(test_correct_program_runs_clean_in_checked_mode) {
    expect_clean_run(correct_program, NULL);
}

/* Runs the cases whose name does (normal_mode) or does not start with test_normal_mode_, or
 * all of them; SH_TEST_ONLY picks by substring as in sh_test_main. Returns the failures. */
enum which { NORMAL_MODE_CASES, CHECKED_MODE_CASES, ALL_CASES };

static int run_cases(enum which which) {
    const char *only = getenv("SH_TEST_ONLY");
    int passed = 0, failed = 0;
    for (int i = 0; i < sh_ntests; i++) {
        int normal = strncmp(sh_tests[i].name, "test_normal_mode_", 17) == 0;
        if ((which == NORMAL_MODE_CASES && !normal) || (which == CHECKED_MODE_CASES && normal)) continue;
        if (only && !strstr(sh_tests[i].name, only)) continue;
        if (sh_test_run_one(&sh_tests[i])) passed++; else failed++;
    }
    printf("%d passed, %d failed (%s)\n", passed, failed,
           which == NORMAL_MODE_CASES ? "normal mode" : "checked mode");
    return failed;
}

int main(int argc, char **argv) {
    (void)argc;
    /* Checked mode for the whole process, decided before the first allocation: run the
     * normal-mode cases, set the variable and start again, unless checked mode is on already
     * (build option or environment). */
    const char *env = getenv("STACKHEAP_CHECK");
    if (!sh_heap_checked() && !(env && strcmp(env, "1") == 0)) {
        int failed = run_cases(NORMAL_MODE_CASES);
        fflush(stdout);
        setenv("STACKHEAP_CHECK", "1", 1);
        setenv("SH_TEST_NORMAL_MODE_FAILED", failed ? "1" : "0", 1);
        execv("/proc/self/exe", argv);
        perror("test_checked: re-executing with STACKHEAP_CHECK=1");
        return 2;
    }
    const char *normal = getenv("SH_TEST_NORMAL_MODE_FAILED");
    int failed = run_cases(normal ? CHECKED_MODE_CASES : ALL_CASES);
    return failed || (normal && strcmp(normal, "0") != 0) ? 1 : 0;
}
