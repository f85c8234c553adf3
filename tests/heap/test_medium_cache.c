/*
 * tests/heap/test_medium_cache.c — the medium blocks a thread keeps after freeing them.
 *
 * A thread keeps the last SH_MCACHE_SLOTS medium blocks of up to SH_MCACHE_MAX bytes it
 * freed, for its next requests of their size, without taking their arena's lock
 * (docs/heap.md, "medium blocks"). Their arena still counts them in use, so everything that
 * reports blocks must say they are free: the statistics, the walk, a second free. They go
 * back to their arena when the cache is full, at sh_heap_trim, when the thread ends, and in
 * a fork child for the threads that are not in it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <stackheap/heap.h>

#include "check.h"
#include "heap/internal.h"
#include "helpers.h"

enum { SIZE = 100000 };

static sh_heap_stats stats_now(void) {
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    return st;
}

/* 1 if the walk lists a block starting at p in use, 0 if free, -1 if it lists none. */
typedef struct find { const void *p; int state; } find;

static int find_cb(const sh_heap_block *b, void *arg) {
    find *f = arg;
    if (b->addr == f->p) f->state = b->in_use;
    return 0;
}

static int walk_state(const void *p) {
    find f = {p, -1};
    CHECK_EQ(sh_heap_walk(find_cb, &f), 0);
    return f.state;
}

/* What the block's arena says, under its lock: true while the arena counts it in use. */
static bool arena_in_use(void *p) {
    void *start = NULL;
    bool in_use = false;
    CHECK(shi_medium_is_block(shi_segment_of(p), p, &start, &in_use));
    CHECK(start == p);
    return in_use;
}

SH_TEST(test_freed_block_is_kept_and_handed_back) {
    if (sh_heap_checked()) return;
    void *p = sh_malloc(SIZE);
    CHECK(p != NULL);
    size_t usable = sh_usable_size(p);
    sh_heap_stats a = stats_now();
    sh_free(SH_OPAQUE(p));
    sh_heap_stats b = stats_now();
    CHECK(arena_in_use(p));                      /* kept by the thread, not given back */
    CHECK_EQ(b.medium_live, a.medium_live - usable);
    CHECK_EQ(b.live_blocks, a.live_blocks - 1);
    CHECK_EQ(walk_state(p), 0);
    void *q = sh_malloc(SIZE - 100);             /* the same size class takes it */
    CHECK(q == p);
    CHECK_EQ(walk_state(q), 1);
    CHECK_EQ(stats_now().medium_live, a.medium_live);
    pat_fill(q, SIZE - 100, 7);
    pat_check(q, q, SIZE - 100, 7, SIZE - 100);
    sh_free(q);
}

SH_TEST(test_other_sizes_do_not_take_it) {
    if (sh_heap_checked()) return;
    void *p = sh_malloc(SIZE);
    sh_free(SH_OPAQUE(p));
    void *big = sh_malloc(2 * SIZE), *smaller = sh_malloc(SIZE / 2);
    CHECK(big != p && smaller != p);
    CHECK_EQ(walk_state(p), 0);
    sh_free(big);
    sh_free(smaller);
}

SH_TEST(test_too_big_is_not_kept) {
    if (sh_heap_checked()) return;
    void *p = sh_malloc(SH_MCACHE_MAX + 64 * KiB);
    void *guard = sh_malloc(SIZE);               /* the arena's next block stays in use */
    sh_free(SH_OPAQUE(p));
    CHECK(!arena_in_use(p));
    sh_free(guard);
}

SH_TEST(test_full_cache_gives_back_the_oldest) {
    if (sh_heap_checked()) return;
    void *p[SH_MCACHE_SLOTS + 1], *guard[SH_MCACHE_SLOTS + 1];
    for (int i = 0; i <= SH_MCACHE_SLOTS; i++) {
        p[i] = sh_malloc(SIZE + (size_t)i * 40000);   /* sizes no other slot takes */
        guard[i] = sh_malloc(SIZE);
    }
    for (int i = 0; i <= SH_MCACHE_SLOTS; i++) sh_free(SH_OPAQUE(p[i]));
    CHECK(!arena_in_use(p[0]));
    for (int i = 1; i <= SH_MCACHE_SLOTS; i++) CHECK(arena_in_use(p[i]));
    sh_heap_trim();                              /* the rest go back too */
    for (int i = 1; i <= SH_MCACHE_SLOTS; i++) CHECK(!arena_in_use(p[i]));
    for (int i = 0; i <= SH_MCACHE_SLOTS; i++) sh_free(guard[i]);
}

static void free_it(void *p) { sh_free(SH_OPAQUE(p)); }

SH_TEST(test_second_free_of_a_kept_block_panics) {
    void *p = sh_malloc(SIZE);
    sh_free(SH_OPAQUE(p));
    expect_panic(free_it, p, "double free", p);
}

static void *free_in_thread(void *p) {
    sh_free(SH_OPAQUE(p));
    return NULL;
}

static void free_from_another_thread(void *p) {
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, free_in_thread, p), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
}

SH_TEST(test_second_free_by_another_thread_panics) {
    void *p = sh_malloc(SIZE);
    sh_free(SH_OPAQUE(p));
    expect_panic(free_from_another_thread, p, "double free", p);
}

static void *alloc_free_exit(void *arg) {
    void **ret = arg;
    *ret = sh_malloc(SIZE);
    CHECK(*ret != NULL);
    sh_free(SH_OPAQUE(*ret));
    CHECK(arena_in_use(*ret));
    return NULL;
}

SH_TEST(test_thread_exit_gives_them_back) {
    if (sh_heap_checked()) return;
    void *p = NULL;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, alloc_free_exit, &p), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK(!arena_in_use(p));
    CHECK_EQ(walk_state(p), 0);
}

/* A thread keeps a block and waits while the main thread forks: in the child, that thread
 * is gone and its block goes back to its arena, to be used again. */
static pthread_barrier_t kept, forked;
static void *keep_and_wait(void *arg) {
    void **ret = arg;
    *ret = sh_malloc(SIZE);
    sh_free(SH_OPAQUE(*ret));
    pthread_barrier_wait(&kept);
    pthread_barrier_wait(&forked);
    return NULL;
}

SH_TEST(test_fork_child_frees_other_threads_kept_blocks) {
    if (sh_heap_checked()) return;
    void *p = NULL;
    pthread_t t;
    pthread_barrier_init(&kept, NULL, 2);
    pthread_barrier_init(&forked, NULL, 2);
    CHECK_EQ(pthread_create(&t, NULL, keep_and_wait, &p), 0);
    pthread_barrier_wait(&kept);
    CHECK(arena_in_use(p));
    sh_heap_stats before = stats_now();
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (arena_in_use(p)) _exit(2);
        if (walk_state(p) != 0) _exit(3);
        if (stats_now().medium_live != before.medium_live) _exit(4);
        void *q = sh_malloc(SIZE);
        pat_fill(q, SIZE, 3);
        sh_free(q);
        _exit(0);
    }
    int status = 0;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    pthread_barrier_wait(&forked);
    CHECK_EQ(pthread_join(t, NULL), 0);
}

/* ---- under threads and fork ----------------------------------------------------------------- */

/* Four threads allocate medium blocks of 32-300 KiB (most of them sizes a thread keeps),
 * free most at once and trade the rest through a shared array, so blocks are kept, handed
 * back, given to their arena by another thread and freed twice over never; the main thread
 * forks meanwhile, and each child checks and frees every block in the array (kept blocks of
 * threads the child does not have went back to their arenas at the fork), walks the heap,
 * allocates and checks blocks of its own, and exits 0. SH_MCACHE_STRESS_SECONDS (default 15). */
enum { SLOTS = 64, WORKERS = 4 };
static _Atomic(uint64_t *) slots[SLOTS];
static _Atomic int stop_workers;

/* A block begins with its size and a word made from size and address; its first 4 KiB and
 * last 64 bytes carry a pattern (all of it would make the test slow, not stronger). */
static uint64_t *stress_alloc(uint64_t *rng) {
    size_t size = rand64(rng) % 8 ? rand_between(rng, 32 * KiB + 1, 256 * KiB)
                                  : rand_between(rng, 256 * KiB, 300 * KiB);
    uint64_t *p = sh_malloc(size);
    CHECK(p != NULL);
    p[0] = size;
    p[1] = mix64(size ^ (uintptr_t)p);
    pat_fill((char *)p + 16, 4096 - 16, 11);
    pat_fill((char *)p + size - 64, 64, 12);
    return p;
}

static void stress_check_free(uint64_t *p) {
    size_t size = p[0];
    if (p[1] != mix64(size ^ (uintptr_t)p) || size < 32 * KiB || size > 300 * KiB) {
        fprintf(stderr, "block %p: header broken (size word %zu)\n", (void *)p, size);
        _exit(1);
    }
    pat_check((char *)p + 16, (char *)p + 16, 4096 - 16, 11, 4096 - 16);
    pat_check((char *)p + size - 64, (char *)p + size - 64, 64, 12, 64);
    sh_free(p);
}

static void *stress_worker(void *arg) {
    uint64_t rng = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15u + 1;
    while (!atomic_load(&stop_workers)) {
        uint64_t *p = stress_alloc(&rng);
        if (rand64(&rng) % 4 == 0) {
            uint64_t *old = atomic_exchange(&slots[rand64(&rng) % SLOTS], p);
            if (old) stress_check_free(old);
        } else {
            stress_check_free(p);
        }
    }
    return NULL;
}

static void stress_child(void) {
    alarm(20);   /* a hang is a failure, not a stuck test */
    for (int i = 0; i < SLOTS; i++) {
        uint64_t *p = atomic_exchange(&slots[i], NULL);
        if (p) stress_check_free(p);
    }
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    if (sh_heap_walk(find_cb, &(find){NULL, -1}) != 0) _exit(2);
    uint64_t rng = (uint64_t)getpid();
    uint64_t *mine[32];
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 32; i++) mine[i] = stress_alloc(&rng);
        for (int i = 0; i < 32; i++) stress_check_free(mine[i]);
    }
    _exit(0);
}

SH_TEST(test_kept_blocks_under_threads_and_forks) {
    const char *env = getenv("SH_MCACHE_STRESS_SECONDS");
    double seconds = env ? atof(env) : 15.0;
    pthread_t t[WORKERS];
    for (uintptr_t i = 0; i < WORKERS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, stress_worker, (void *)(i + 1)), 0);
    int forks = 0, failures = 0;
    double end = now_seconds() + seconds;
    while (now_seconds() < end) {
        usleep(3000);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) stress_child();
        int status = 0;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        forks++;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failures++;
            fprintf(stderr, "child %d: %s %d\n", (int)pid,
                    WIFEXITED(status) ? "exit status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
    }
    atomic_store(&stop_workers, 1);
    for (int i = 0; i < WORKERS; i++) CHECK_EQ(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < SLOTS; i++) {
        uint64_t *p = atomic_exchange(&slots[i], NULL);
        if (p) stress_check_free(p);
    }
    printf("forks: %d, failures: %d\n", forks, failures);
    CHECK_EQ(failures, 0);
    CHECK(forks > 0);
}

int main(void) { return sh_test_main(); }
