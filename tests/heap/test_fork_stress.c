/*
 * tests/heap/test_fork_stress.c — fork() from a process whose threads are busy in the heap,
 * for a minute.
 *
 * Two worker threads allocate and free small blocks of many sizes without pause (their
 * pages fill and empty), trade blocks through a shared array (so frees cross threads), and
 * end every so often to be replaced by new ones (their heaps are taken over or wound up).
 * Meanwhile the main thread forks every few milliseconds. Each child frees some blocks it
 * inherited from the workers, which do not exist in it, then allocates 7,000 blocks in 48
 * size classes, fills each with its own pattern, checks that none was overwritten (two
 * blocks handed out over each other would be), trims the heap (every orphan page is checked
 * then) and exits 0. A child that crashes, fails a check or hangs (killed after 10 s) is a
 * failure; the test prints "forks: N, failures: F" and wants F == 0.
 *
 * fork() stops the workers at any instruction, so most forks land between two calls and a
 * few inside one; tests/heap/test_fork_orphans.c puts a page in each half-done state on
 * purpose. SH_FORK_STRESS_SECONDS sets the duration: 60 s by default in an optimised build,
 * 30 s in the checked and sanitizer builds (make test runs all three).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <stackheap/heap.h>

#include "check.h"
#include "helpers.h"

#if defined(NDEBUG) || defined(__OPTIMIZE__)
#define DEFAULT_SECONDS 60.0
#else
#define DEFAULT_SECONDS 30.0
#endif
#define SHARED 4096
#define CHILD_BLOCKS 7000

static void *_Atomic shared[SHARED];
static atomic_int stop;

static size_t size_for(uint64_t *rng) {
    static const size_t sizes[] = {16, 24, 32, 48, 64, 96, 128, 200, 256, 400, 512, 1000, 2000, 4000};
    return sizes[rand64(rng) % (sizeof sizes / sizeof sizes[0])] - rand64(rng) % 8;
}

static void *worker(void *arg) {
    uint64_t rng = (uint64_t)(uintptr_t)arg;
    enum { MINE = 1024 };
    char *mine[MINE] = {0};
    long ops = (long)rand_between(&rng, 20000, 200000);
    for (long op = 0; op < ops && !atomic_load_explicit(&stop, memory_order_relaxed); op++) {
        size_t i = rand64(&rng) % MINE;
        if (mine[i]) {
            sh_free(mine[i]);
            mine[i] = NULL;
        } else {
            size_t n = size_for(&rng);
            mine[i] = sh_malloc(n);
            if (!mine[i]) _exit(3);
            mine[i][0] = mine[i][n - 1] = 1;
        }
        if (rand64(&rng) % 8 == 0) {  /* trade: the block taken is freed here, across threads */
            char *p = sh_malloc(size_for(&rng));
            if (!p) _exit(3);
            void *old = atomic_exchange(&shared[rand64(&rng) % SHARED], p);
            sh_free(old);
        }
    }
    for (size_t i = 0; i < MINE; i++) sh_free(mine[i]);
    return NULL;
}

/* Keeps WORKERS threads running; each that ends is replaced. */
static void *spawner(void *arg) {
    (void)arg;
    uint64_t rng = 99;
    while (!atomic_load(&stop)) {
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            CHECK(pthread_create(&t[k], NULL, worker, (void *)(uintptr_t)rand64(&rng)) == 0);
        for (int k = 0; k < 2; k++) CHECK(pthread_join(t[k], NULL) == 0);
    }
    return NULL;
}

static void child(uint64_t seed) {
    alarm(10);
    uint64_t rng = seed;
    /* blocks of threads that do not exist here */
    for (size_t j = rand64(&rng) % 13; j < SHARED; j += 13) sh_free(atomic_exchange(&shared[j], NULL));
    static char *p[CHILD_BLOCKS];
    static size_t n[CHILD_BLOCKS];
    for (int i = 0; i < CHILD_BLOCKS; i++) {
        n[i] = 16 + (size_t)(i % 48) * 40 + rand64(&rng) % 16;
        p[i] = sh_malloc(n[i]);
        if (!p[i]) _exit(2);
        pat_fill(p[i], n[i], (uint64_t)i);
    }
    for (int i = 0; i < CHILD_BLOCKS; i++) pat_check(p[i], p[i], n[i], (uint64_t)i, n[i]);
    for (int i = 0; i < CHILD_BLOCKS; i++) sh_free(p[i]);
    sh_heap_trim();
    for (int i = 0; i < CHILD_BLOCKS; i++) {
        p[i] = sh_malloc(n[i]);
        if (!p[i]) _exit(2);
        pat_fill(p[i], n[i], (uint64_t)i + 7);
    }
    for (int i = 0; i < CHILD_BLOCKS; i++) pat_check(p[i], p[i], n[i], (uint64_t)i + 7, n[i]);
    _exit(0);
}

SH_TEST(test_children_forked_from_busy_threads_have_a_working_heap) {
    const char *s = getenv("SH_FORK_STRESS_SECONDS");
    double seconds = s && atof(s) > 0 ? atof(s) : DEFAULT_SECONDS;
    pthread_t sp;
    CHECK(pthread_create(&sp, NULL, spawner, NULL) == 0);
    uint64_t rng = 5;
    long forks = 0, failures = 0;
    double t0 = now_seconds();
    while (now_seconds() - t0 < seconds) {
        usleep((useconds_t)rand_between(&rng, 1000, 5000));
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) child(rand64(&rng));
        int st = 0;
        CHECK(waitpid(pid, &st, 0) == pid);
        forks++;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            failures++;
            fprintf(stderr, "fork %ld: child %s %d\n", forks, WIFEXITED(st) ? "exited with" : "killed by signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        }
    }
    atomic_store(&stop, 1);
    CHECK(pthread_join(sp, NULL) == 0);
    for (size_t j = 0; j < SHARED; j++) sh_free(atomic_exchange(&shared[j], NULL));
    printf("forks: %ld, failures: %ld\n", forks, failures);
    CHECK(forks > 0);
    CHECK_EQ(failures, 0);
}

int main(void) { return sh_test_main(); }
