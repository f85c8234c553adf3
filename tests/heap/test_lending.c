/*
 * tests/heap/test_lending.c — small memory freed at random serves bigger sizes (issue 14).
 *
 * After a fragmenting phase (many small blocks, most freed at random) no page is empty, so
 * none goes back; a page at most an eighth full lends runs of its free slots to requests of
 * 288 B to 2 KiB instead of those taking new pages (docs/heap.md, "sparse pages"). These
 * tests make such pages and check that the bigger blocks land in them, keep their bytes,
 * report their size, show in the walk and the statistics, and come back when freed, by
 * their thread or another. Checked mode never lends: there only the contents are checked.
 */
#include <pthread.h>
#include <stdbool.h>

#include <stackheap/heap.h>

#include "check.h"
#include "helpers.h"

enum { SMALL = 144, SMALL_COUNT = 200000, BIG = 1000, BIG_COUNT = 10000 };

static char *small[SMALL_COUNT];
static char *big[BIG_COUNT];

/* 28 MB of small blocks, nine in ten freed: every page keeps a tenth of its blocks. */
static void fragment(void) {
    for (int i = 0; i < SMALL_COUNT; i++) {
        small[i] = sh_malloc(SMALL);
        CHECK(small[i] != NULL);
        pat_fill(small[i], SMALL, 1);
    }
    for (int i = 0; i < SMALL_COUNT; i++)
        if (i % 10 != 0) { sh_free(small[i]); small[i] = NULL; }
}

static void allocate_big(void) {
    for (int i = 0; i < BIG_COUNT; i++) {
        big[i] = sh_malloc(BIG);
        CHECK(big[i] != NULL);
        pat_fill(big[i], BIG, 2);
    }
}

static void check_all(void) {
    for (int i = 0; i < SMALL_COUNT; i++)
        if (small[i]) pat_check(small[i], small[i], SMALL, 1, SMALL);
    for (int i = 0; i < BIG_COUNT; i++)
        if (big[i]) pat_check(big[i], big[i], BIG, 2, BIG);
}

static void free_all(void) {
    for (int i = 0; i < SMALL_COUNT; i++) { sh_free(small[i]); small[i] = NULL; }
    for (int i = 0; i < BIG_COUNT; i++) { sh_free(big[i]); big[i] = NULL; }
}

SH_TEST(test_freed_small_memory_serves_bigger_sizes) {
    fragment();
    size_t c0 = committed_now();
    allocate_big();
    size_t grown = committed_now() - c0;
    printf("10 MB of 1000-byte blocks after the fragmenting phase: committed +%.1f MiB\n",
           (double)grown / MiB);
    if (!sh_heap_checked()) CHECK(grown < 2 * MiB);   /* new pages would be 10+ MiB */
    check_all();
    for (int i = 0; i < BIG_COUNT; i++) CHECK(sh_usable_size(big[i]) >= BIG);
    free_all();
}

typedef struct tally { size_t small_used, small_blocks; bool overlap; uintptr_t last_end; } tally;

static int count_block(const sh_heap_block *b, void *arg) {
    tally *t = arg;
    if (b->kind != SH_BLOCK_SMALL) return 0;
    /* within a page blocks come in address order and never overlap */
    if ((uintptr_t)b->addr < t->last_end && (uintptr_t)b->addr >> 16 == (t->last_end - 1) >> 16)
        t->overlap = true;
    t->last_end = (uintptr_t)b->addr + b->size;
    if (b->in_use) { t->small_used += b->size; t->small_blocks++; }
    return 0;
}

SH_TEST(test_walk_and_stats_see_lent_blocks_whole) {
    fragment();
    allocate_big();
    tally t = {0};
    CHECK(sh_heap_walk(count_block, &t) == 0);
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    CHECK(!t.overlap);
    CHECK_EQ(t.small_blocks, SMALL_COUNT / 10 + BIG_COUNT);
    if (!sh_heap_checked()) CHECK_EQ(t.small_used, st.small_live);
    free_all();
    t = (tally){0};
    CHECK(sh_heap_walk(count_block, &t) == 0);
    CHECK_EQ(t.small_blocks, 0);
}

static void *free_big_blocks(void *arg) {
    (void)arg;
    for (int i = 0; i < BIG_COUNT; i += 2) { sh_free(big[i]); big[i] = NULL; }
    return NULL;
}

SH_TEST(test_lent_blocks_freed_by_another_thread_are_reused) {
    fragment();
    allocate_big();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_big_blocks, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    size_t c0 = committed_now();
    for (int i = 0; i < BIG_COUNT; i += 2) {
        big[i] = sh_malloc(BIG);
        CHECK(big[i] != NULL);
        pat_fill(big[i], BIG, 2);
    }
    size_t grown = committed_now() - c0;
    if (!sh_heap_checked()) CHECK(grown < 1 * MiB);
    check_all();
    free_all();
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    CHECK_EQ(st.small_live, 0);
}

SH_TEST(test_realloc_of_a_lent_block_keeps_its_bytes) {
    fragment();
    allocate_big();
    for (int i = 0; i < BIG_COUNT; i += 3) {
        char *p = sh_realloc(big[i], 3 * BIG);
        CHECK(p != NULL);
        pat_check(p, big[i], BIG, 2, BIG);
        p = sh_realloc(p, BIG);
        CHECK(p != NULL);
        pat_check(p, big[i], BIG, 2, BIG);
        big[i] = p;
        pat_fill(big[i], BIG, 2);
    }
    check_all();
    free_all();
}

/* A thread that lent, parked while the process forks: in the child its segments are
 * orphans, checked before reuse, and its blocks can be freed and the space used again. */
static pthread_mutex_t park = PTHREAD_MUTEX_INITIALIZER;

static void *lend_then_park(void *arg) {
    (void)arg;
    fragment();
    allocate_big();
    pthread_mutex_lock(&park);
    pthread_mutex_unlock(&park);
    return NULL;
}

static void reuse_in_child(void *arg) {
    (void)arg;
    check_all();
    for (int i = 0; i < BIG_COUNT; i += 2) { sh_free(big[i]); big[i] = NULL; }
    for (int i = 0; i < BIG_COUNT; i += 2) {
        big[i] = sh_malloc(BIG);
        if (!big[i]) _exit(3);
        pat_fill(big[i], BIG, 2);
    }
    check_all();
    free_all();
}

SH_TEST(test_fork_child_frees_and_reuses_another_threads_lent_blocks) {
    pthread_mutex_lock(&park);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, lend_then_park, NULL) == 0);
    while (!big[BIG_COUNT - 1]) usleep(1000);
    usleep(10000);                   /* its last pattern written */
    expect_clean_run(reuse_in_child, NULL);
    pthread_mutex_unlock(&park);
    CHECK(pthread_join(t, NULL) == 0);
    check_all();
    free_all();
}

/* Threads that lend, free each other's lent blocks and end while others still hold their
 * blocks: every byte checked, and the statistics back to nothing at the end. */
enum { ROUNDS = 6, WORKERS = 4, W_SMALL = 20000, W_BIG = 2000 };
typedef struct worker { char *small[W_SMALL]; char *big[W_BIG]; size_t big_size[W_BIG]; } worker;
static worker workers[WORKERS];
static pthread_barrier_t round_barrier;

static void *lend_and_trade(void *arg) {
    int me = (int)(intptr_t)arg;
    worker *w = &workers[me], *next = &workers[(me + 1) % WORKERS];
    uint64_t rng = (uint64_t)me + 1;
    for (int i = 0; i < W_SMALL; i++) {
        if (w->small[i]) { pat_check(w->small[i], w->small[i], 64, 3, 64); sh_free(w->small[i]); }
        w->small[i] = sh_malloc(64);
        if (!w->small[i]) _exit(3);
        pat_fill(w->small[i], 64, 3);
    }
    for (int i = 0; i < W_SMALL; i++)
        if (i % 10 != 0) { sh_free(w->small[i]); w->small[i] = NULL; }
    for (int i = 0; i < W_BIG; i++) {
        if (w->big[i]) { pat_check(w->big[i], w->big[i], w->big_size[i], 4, w->big_size[i]); sh_free(w->big[i]); }
        w->big_size[i] = rand_between(&rng, 300, 2048);
        w->big[i] = sh_malloc(w->big_size[i]);
        if (!w->big[i]) _exit(3);
        pat_fill(w->big[i], w->big_size[i], 4);
    }
    pthread_barrier_wait(&round_barrier);
    /* the next worker's odd blocks: frees into pages another thread owns */
    for (int i = 1; i < W_BIG; i += 2) {
        pat_check(next->big[i], next->big[i], next->big_size[i], 4, next->big_size[i]);
        sh_free(next->big[i]);
        next->big[i] = NULL;
    }
    pthread_barrier_wait(&round_barrier);
    return NULL;
}

SH_TEST(test_threads_lend_and_free_each_others_lent_blocks) {
    CHECK(pthread_barrier_init(&round_barrier, NULL, WORKERS) == 0);
    for (int r = 0; r < ROUNDS; r++) {   /* new threads each round take over ended heaps */
        pthread_t t[WORKERS];
        for (int k = 0; k < WORKERS; k++)
            CHECK(pthread_create(&t[k], NULL, lend_and_trade, (void *)(intptr_t)k) == 0);
        for (int k = 0; k < WORKERS; k++) CHECK(pthread_join(t[k], NULL) == 0);
    }
    for (int k = 0; k < WORKERS; k++) {
        worker *w = &workers[k];
        for (int i = 0; i < W_SMALL; i++)
            if (w->small[i]) { pat_check(w->small[i], w->small[i], 64, 3, 64); sh_free(w->small[i]); }
        for (int i = 0; i < W_BIG; i++)
            if (w->big[i]) { pat_check(w->big[i], w->big[i], w->big_size[i], 4, w->big_size[i]); sh_free(w->big[i]); }
    }
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    CHECK_EQ(st.small_live, 0);
    tally t = {0};
    CHECK(sh_heap_walk(count_block, &t) == 0);
    CHECK_EQ(t.small_blocks, 0);
    pthread_barrier_destroy(&round_barrier);
}

static void free_lent_twice(void *arg) {
    (void)arg;
    fragment();
    allocate_big();
    char *p = big[BIG_COUNT / 2];
    sh_free(SH_OPAQUE(p));
    sh_free(SH_OPAQUE(p));
}

SH_TEST(test_double_free_of_a_lent_block_panics) {
    expect_panic(free_lent_twice, NULL, "double free", NULL);
}

int main(void) { return sh_test_main(); }
