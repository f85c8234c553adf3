/*
 * tests/heap/test_memory_return.c — free memory goes back to the OS after a bounded delay,
 * also while the program makes no heap call at all.
 *
 * Each test frees a lot in a way that no later call of the freeing thread would purge (in
 * arenas it does not use, in the heaps of threads that ended), then sleeps without calling
 * the heap and polls the heap's `committed` statistic and the RSS until they are back near
 * where they started. docs/heap.md promises 0.5-2 s; the tests allow 5 s, since the machine
 * is shared. These programs have threads, so the heap may start its purger thread; a
 * program that never had a thread gets none, by design (docs/heap.md), and gets its memory
 * back on its next heap call instead: the last test checks that.
 *
 * In the sanitizer build RSS is mostly the sanitizer's (its quarantine holds freed memory):
 * there only `committed` is checked.
 */
#include <pthread.h>
#include <stdbool.h>

#include <stackheap/heap.h>

#include "check.h"
#include "helpers.h"

/* ---- medium blocks allocated by threads, freed by main ------------------------------------ */

enum { THREADS = 4, PER_THREAD = 400, MEDIUM = 100000 };
static char *medium_blocks[THREADS][PER_THREAD];

static void *allocate_medium(void *arg) {
    char **mine = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        mine[i] = sh_malloc(MEDIUM);
        if (!mine[i]) _exit(3);
        memset(mine[i], 1, MEDIUM);
    }
    return NULL;
}

/* 160 MB in the arenas of 4 threads, freed by main, which then sleeps: before, none of it
 * went back until those arenas were used again. */
SH_TEST(test_medium_memory_freed_by_another_thread_goes_back_while_idle) {
    size_t c0 = committed_now(), r0 = rss_bytes();
    pthread_t t[THREADS];
    for (int k = 0; k < THREADS; k++)
        CHECK(pthread_create(&t[k], NULL, allocate_medium, medium_blocks[k]) == 0);
    for (int k = 0; k < THREADS; k++) CHECK(pthread_join(t[k], NULL) == 0);
    CHECK(committed_now() >= c0 + (size_t)THREADS * PER_THREAD * MEDIUM / 2);
    for (int k = 0; k < THREADS; k++)
        for (int i = 0; i < PER_THREAD; i++) sh_free(medium_blocks[k][i]);
    wait_for_return(c0, r0, 24 * MiB, "160 MB of medium blocks");
}

/* ---- small blocks left by threads that ended -------------------------------------------- */

enum { SMALL_BLOCKS = 200000 };
static char *small_blocks[SMALL_BLOCKS];

static void *allocate_small(void *arg) {
    (void)arg;
    for (int i = 0; i < SMALL_BLOCKS; i++) {
        small_blocks[i] = sh_malloc(200);
        if (!small_blocks[i]) _exit(3);
        memset(small_blocks[i], 2, 200);
    }
    return NULL;
}

/* 40 MB of small blocks in the pages of a thread that ended, freed by main: before, they
 * stayed until malloc_trim. */
SH_TEST(test_small_memory_of_an_ended_thread_goes_back_while_idle) {
    /* checked mode keeps emptied small pages, so their bitmaps still catch double frees */
    if (sh_heap_checked()) { printf("skipped in checked mode\n"); return; }
    size_t c0 = committed_now(), r0 = rss_bytes();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, allocate_small, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    for (int i = 0; i < SMALL_BLOCKS; i++) sh_free(small_blocks[i]);
    wait_for_return(c0, r0, 16 * MiB, "40 MB of small blocks of an ended thread");
}

/* ---- many threads, one medium block each -------------------------------------------------- */

static void *one_medium(void *arg) {
    (void)arg;
    char *p = sh_malloc(300 * KiB);
    if (!p) _exit(3);
    memset(p, 3, 300 * KiB);
    sh_free(p);
    return NULL;
}

/* 1,000 threads that each allocated a medium block once: before, 30 MB stayed. */
SH_TEST(test_medium_memory_of_a_thousand_threads_goes_back_while_idle) {
    size_t c0 = committed_now(), r0 = rss_bytes();
    for (int i = 0; i < 1000; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, one_medium, NULL) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
    wait_for_return(c0, r0, 8 * MiB, "1,000 threads' medium blocks");
}

/* ---- a program without threads ----------------------------------------------------------- */

static int threads_in_process(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1) break;
    if (f) fclose(f);
    return n;
}

/* No purger is started where the program has no thread of its own (docs/heap.md says why):
 * its memory goes back on its next heap call once the delay has passed. */
SH_TEST(test_program_without_threads_gets_memory_back_on_its_next_call) {
    size_t c0 = committed_now(), r0 = rss_bytes();
    enum { N = 1000 };
    static char *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = sh_malloc(MEDIUM);
        CHECK(p[i] != NULL);
        memset(p[i], 4, MEDIUM);
    }
    for (int i = 0; i < N; i++) sh_free(p[i]);
    usleep(1200 * 1000);
    CHECK_EQ(threads_in_process(), 1);
    CHECK(committed_now() >= c0 + (size_t)N * MEDIUM / 2);  /* nothing went back meanwhile */
    char *q = sh_malloc(MEDIUM);                            /* the next call */
    CHECK(q != NULL);
    sh_free(q);
    size_t c = committed_now(), r = rss_bytes();
    printf("without threads: after the next call committed %.1f MiB, RSS %.1f MiB (was %.1f, %.1f)\n",
           (double)c / MiB, (double)r / MiB, (double)c0 / MiB, (double)r0 / MiB);
    CHECK(c <= c0 + 16 * MiB);
    if (!SANITIZED) CHECK(r <= r0 + 16 * MiB);
}

/* ---- and at once on request ---------------------------------------------------------------- */

SH_TEST(test_trim_gives_everything_back_at_once) {
    size_t c0 = committed_now();
    pthread_t t[THREADS];
    for (int k = 0; k < THREADS; k++)
        CHECK(pthread_create(&t[k], NULL, allocate_medium, medium_blocks[k]) == 0);
    for (int k = 0; k < THREADS; k++) CHECK(pthread_join(t[k], NULL) == 0);
    for (int k = 0; k < THREADS; k++)
        for (int i = 0; i < PER_THREAD; i++) sh_free(medium_blocks[k][i]);
    sh_heap_trim();
    size_t c = committed_now();
    printf("after sh_heap_trim: committed %.1f MiB (was %.1f)\n", (double)c / MiB, (double)c0 / MiB);
    CHECK(c <= c0 + 8 * MiB);
}

int main(void) { return sh_test_main(); }
