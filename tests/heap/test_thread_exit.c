/*
 * tests/heap/test_thread_exit.c — threads that come and go: their memory is reused, a thread
 * that touches the heap after its own exit leaks nothing, and no call costs more because
 * threads exist or existed.
 *
 * The ring test is the pattern of a server whose worker threads are short-lived: each
 * thread allocates 100 blocks of 16-2,000 bytes, puts each into a shared ring of 10,000
 * slots and frees the block it evicts, which almost always belongs to a thread that has
 * ended. glibc stays at about 11 MiB for it, whatever the number of threads; a heap that
 * strands the pages of ended threads grows by ~90 MiB per 1,000 threads.
 *
 * White-box where a count says more than a measurement: the heap registry
 * (src/heap/internal.h) holds one struct per thread heap ever needed at once.
 */
#include <limits.h>
#include <pthread.h>

#include <stackheap/heap.h>

#include "check.h"
#include "heap/internal.h"
#include "helpers.h"

/* ---- the ring --------------------------------------------------------------------------- */

#define RING 10000
static void *ring[RING];
static size_t ring_pos;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;

static void *ring_thread(void *arg) {
    uint64_t rng = (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < 100; i++) {
        size_t n = rand_between(&rng, 16, 2000);
        char *p = sh_malloc(n);
        if (!p) _exit(3);
        memset(p, (int)(n & 0xff), n);
        pthread_mutex_lock(&ring_lock);
        void *old = ring[ring_pos];
        ring[ring_pos] = p;
        ring_pos = (ring_pos + 1) % RING;
        pthread_mutex_unlock(&ring_lock);
        sh_free(old);
    }
    return NULL;
}

static void run_ring_threads(int count, int first) {
    for (int i = 0; i < count; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, ring_thread, (void *)(uintptr_t)(first + i + 1)) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
}

/* Live data is ~10 MiB (10,000 blocks of ~1,000 bytes). Measured on this heap: committed
 * 15 MiB and RSS 17 MiB at every reading from 2,500 to 10,000 threads; before, RSS was 444
 * MiB at 5,000. The bounds leave room for noise, not for growth: committed at most 32 MiB,
 * and the last reading at most 25 % above the first. */
SH_TEST(test_ring_of_short_lived_threads_stays_flat) {
    size_t committed[4], rss[4];
    for (int k = 0; k < 4; k++) {
        run_ring_threads(2500, k * 2500);
        sh_heap_stats st;
        sh_heap_get_stats(&st);
        committed[k] = st.committed;
        rss[k] = rss_bytes();
        printf("after %5d threads: committed %5.1f MiB, RSS %5.1f MiB\n", (k + 1) * 2500,
               (double)committed[k] / MiB, (double)rss[k] / MiB);
    }
    for (int k = 0; k < 4; k++) CHECK(committed[k] <= 32 * MiB);
    CHECK(committed[3] <= committed[0] + committed[0] / 4);
    if (!SANITIZED) CHECK(rss[3] <= rss[0] + rss[0] / 4);
    for (int i = 0; i < RING; i++) sh_free(ring[i]);
}

/* ---- late exit ---------------------------------------------------------------------------- */

static size_t heaps_in_registry(void) {
    size_t n = 0;
    shi_heaps_lock();
    for (shi_theap *h = shi_heaps_first(); h; h = h->all_next) n++;
    shi_heaps_unlock();
    return n;
}

static pthread_key_t late_key;

/* Runs after the heap's own key destructor (keys run in the order they were made, and the
 * heap made its key at its first allocation): the thread's heap is wound up by then. It
 * re-arms its key, so glibc runs the destructors again until its last round
 * (PTHREAD_DESTRUCTOR_ITERATIONS): the free in that round comes after every destructor, as
 * glibc's own free of a thread's dlerror buffer does, and nothing would wind up a heap it
 * claimed. */
static __thread int late_rounds;

static void late_destructor(void *arg) {
    sh_free(arg);                      /* a block the thread allocated while it lived */
    if (++late_rounds < PTHREAD_DESTRUCTOR_ITERATIONS) pthread_setspecific(late_key, sh_malloc(64));
    void *p = sh_malloc(100);          /* and an allocation after its heap was wound up */
    if (!p) _exit(4);
    memset(p, 1, 100);
    sh_free(p);
    void *q = sh_malloc(300 * KiB);    /* medium too */
    if (!q) _exit(4);
    sh_free(q);
}

static void *late_thread(void *arg) {
    (void)arg;
    void *p = sh_malloc(64);
    if (!p) _exit(3);
    pthread_setspecific(late_key, p);
    return NULL;
}

SH_TEST(test_heap_calls_after_a_threads_exit_leave_no_heap_behind) {
    sh_free(sh_malloc(16));            /* the heap's key first */
    CHECK(pthread_key_create(&late_key, late_destructor) == 0);
    sh_heap_stats before;
    sh_heap_get_stats(&before);
    for (int i = 0; i < 3000; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, late_thread, NULL) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
    /* one heap for main, one that the threads pass on, one a late call borrows, and slack */
    size_t heaps = heaps_in_registry();
    printf("heap structs after 3,000 threads: %zu\n", heaps);
    CHECK(heaps <= 8);
    sh_heap_stats after;
    sh_heap_get_stats(&after);
    CHECK_EQ(after.live_blocks, before.live_blocks);
    CHECK_EQ(after.live, before.live);
}

/* ---- no cost per thread --------------------------------------------------------------------- */

static double medium_pair_ns(void) {
    enum { N = 20000 };
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now_seconds();
        for (int i = 0; i < N; i++) {
            char *p = sh_malloc(100000);
            if (!p) _exit(3);
            p[0] = 1;
            sh_free(p);
        }
        double ns = (now_seconds() - t0) / N * 1e9;
        if (ns < best) best = ns;
    }
    return best;
}

static pthread_barrier_t idle_ready, idle_done;

static void *idle_thread(void *arg) {
    (void)arg;
    void *volatile p = sh_malloc(64);  /* a heap of its own */
    sh_free(p);
    pthread_barrier_wait(&idle_ready);
    pthread_barrier_wait(&idle_done);
    return NULL;
}

/* Not a benchmark (bench/threads/ measures this against the peers): a guard against an
 * allocation path that walks the thread heaps, which made a medium pair 40-90 times slower
 * with 1,000 threads. The best of five runs each side; a walk would cost microseconds. */
SH_TEST(test_medium_calls_cost_the_same_with_a_thousand_threads) {
    enum { T = 1000 };
    double one = medium_pair_ns();
    static pthread_t t[T];
    CHECK(pthread_barrier_init(&idle_ready, NULL, T + 1) == 0);
    CHECK(pthread_barrier_init(&idle_done, NULL, T + 1) == 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (int i = 0; i < T; i++) CHECK(pthread_create(&t[i], &attr, idle_thread, NULL) == 0);
    pthread_barrier_wait(&idle_ready);
    double many = medium_pair_ns();
    pthread_barrier_wait(&idle_done);
    for (int i = 0; i < T; i++) CHECK(pthread_join(t[i], NULL) == 0);
    double after = medium_pair_ns();
    printf("100 KB malloc/free pair: %.0f ns with 1 thread, %.0f ns with 1,000 idle, %.0f ns "
           "after they ended\n", one, many, after);
    CHECK(many < one * 4 + 500);
    CHECK(after < one * 4 + 500);
}

int main(void) { return sh_test_main(); }
