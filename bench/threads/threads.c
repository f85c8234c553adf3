/*
 * bench/threads/threads.c — what threads that come and go cost an allocator, in memory and
 * in time. Built against plain malloc: bench/threads/run.sh runs it under each allocator by
 * LD_PRELOAD. Each mode prints one line of `key=value` figures.
 *
 *   threads ring N      short-lived threads, one at a time, each allocating 100 blocks of
 *                       16-2,000 bytes into a shared 10,000-slot ring and freeing what it
 *                       evicts (a block of a thread that ended); RSS after N/4, N/2 and N
 *                       threads (rss_q1, rss_q2, rss_end, MiB)
 *   threads pool R      mstress-like: R rounds of 4 threads; each thread frees the blocks a
 *                       thread of the previous round left it, allocates 2,000 blocks of
 *                       16-4,000 bytes, frees half and hands the rest on; peak RSS (MiB)
 *   threads server R    larson-like: 4 slots of 2,000 blocks; R rounds in which 4 new
 *                       threads each take a slot over and replace 20,000 random blocks
 *                       (16-1,000 bytes) in it; peak RSS (MiB)
 *   threads churn R     a thread pool whose 4 workers are replaced every round: each round
 *                       new workers share 200 jobs; a job allocates and frees 20 blocks of
 *                       16-4,000 bytes and puts 4 results (16-2,000 bytes) in a shared
 *                       16,384-slot table, freeing the ones they replace (mostly left by
 *                       workers of earlier rounds, which ended; the table is full from
 *                       the start, so the live size is flat); RSS after R/16, R/8,
 *                       R/4, R/2 and R rounds (r<rounds>=MiB) and the peak
 *   threads idle        4 threads each allocate 200,000 blocks of 16-1,016 bytes and free
 *                       them, 3 times, then sleep while the program lives on: RSS after the
 *                       frees (idle0) and 1, 3 and 7 s later (idle1, idle3, idle7, MiB).
 *                       Memory a live thread freed and left behind comes back only if the
 *                       allocator returns it without that thread's help.
 *   threads medium      ns per 100 KB malloc/free pair with 1 thread, with 1,000 idle
 *                       threads, after those ended (best of 5 runs of 20,000 pairs each)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double mib(long kib) { return (double)kib / 1024.0; }

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * 4;
}

static long peak_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static uint64_t next(uint64_t *s) {
    *s += 0x9E3779B97F4A7C15ull;
    uint64_t z = *s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t between(uint64_t *s, size_t lo, size_t hi) { return lo + next(s) % (hi - lo + 1); }

static void *must_malloc(size_t n) {
    char *p = malloc(n);
    if (!p) { fprintf(stderr, "malloc(%zu) failed\n", n); exit(1); }
    p[0] = p[n - 1] = 1;
    return p;
}

static void start_join(void *(*fn)(void *), void *arg) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0 || pthread_join(t, NULL) != 0) exit(1);
}

/* ---- ring --------------------------------------------------------------------------------- */

#define RING 10000
static void *ring[RING];
static size_t ring_pos;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;

static void *ring_thread(void *arg) {
    uint64_t s = (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < 100; i++) {
        size_t n = between(&s, 16, 2000);
        char *p = must_malloc(n);
        memset(p, 7, n);
        pthread_mutex_lock(&ring_lock);
        void *old = ring[ring_pos];
        ring[ring_pos] = p;
        ring_pos = (ring_pos + 1) % RING;
        pthread_mutex_unlock(&ring_lock);
        free(old);
    }
    return NULL;
}

static void mode_ring(long n) {
    long q1 = 0, q2 = 0;
    for (long i = 1; i <= n; i++) {
        start_join(ring_thread, (void *)(uintptr_t)i);
        if (i == n / 4) q1 = rss_kib();
        if (i == n / 2) q2 = rss_kib();
    }
    printf("rss_q1=%.1f rss_q2=%.1f rss_end=%.1f\n", mib(q1), mib(q2), mib(rss_kib()));
}

/* ---- pool (mstress-like) -------------------------------------------------------------------- */

#define POOL_THREADS 4
#define POOL_BLOCKS 2000
typedef struct handoff { void *blocks[POOL_BLOCKS / 2]; size_t n; uint64_t seed; } handoff;
static handoff pool[POOL_THREADS];

static void *pool_thread(void *arg) {
    handoff *h = arg;
    for (size_t i = 0; i < h->n; i++) free(h->blocks[i]);
    void *mine[POOL_BLOCKS];
    for (int i = 0; i < POOL_BLOCKS; i++) mine[i] = must_malloc(between(&h->seed, 16, 4000));
    for (int i = 0; i < POOL_BLOCKS; i += 2) free(mine[i]);
    h->n = 0;
    for (int i = 1; i < POOL_BLOCKS; i += 2) h->blocks[h->n++] = mine[i];
    return NULL;
}

static void mode_pool(long rounds) {
    for (int k = 0; k < POOL_THREADS; k++) pool[k].seed = (uint64_t)k + 1;
    for (long r = 0; r < rounds; r++) {
        pthread_t t[POOL_THREADS];
        for (int k = 0; k < POOL_THREADS; k++)
            if (pthread_create(&t[k], NULL, pool_thread, &pool[(k + r) % POOL_THREADS]) != 0) exit(1);
        for (int k = 0; k < POOL_THREADS; k++) pthread_join(t[k], NULL);
    }
    printf("peak=%.1f end=%.1f\n", mib(peak_kib()), mib(rss_kib()));
}

/* ---- server (larson-like) ------------------------------------------------------------------- */

#define SERVER_THREADS 4
#define SERVER_SLOTS 2000
typedef struct slots { void *p[SERVER_SLOTS]; uint64_t seed; } slots;
static slots server[SERVER_THREADS];

static void *server_thread(void *arg) {
    slots *s = arg;
    for (int i = 0; i < 20000; i++) {
        size_t k = next(&s->seed) % SERVER_SLOTS;
        free(s->p[k]);
        s->p[k] = must_malloc(between(&s->seed, 16, 1000));
    }
    return NULL;
}

static void mode_server(long rounds) {
    for (int k = 0; k < SERVER_THREADS; k++) {
        server[k].seed = (uint64_t)k + 11;
        for (int i = 0; i < SERVER_SLOTS; i++) server[k].p[i] = must_malloc(between(&server[k].seed, 16, 1000));
    }
    for (long r = 0; r < rounds; r++) {
        pthread_t t[SERVER_THREADS];
        for (int k = 0; k < SERVER_THREADS; k++)
            if (pthread_create(&t[k], NULL, server_thread, &server[(k + r) % SERVER_THREADS]) != 0) exit(1);
        for (int k = 0; k < SERVER_THREADS; k++) pthread_join(t[k], NULL);
    }
    printf("peak=%.1f end=%.1f\n", mib(peak_kib()), mib(rss_kib()));
}

/* ---- churn: a thread pool whose workers are replaced every round ------------------------------ */

#define CHURN_WORKERS 4
#define CHURN_JOBS 200           /* per round, shared out by the workers as they come */
#define CHURN_TEMPS 20
#define CHURN_RESULTS 4          /* per job */
#define CHURN_SLOTS 16384
static _Atomic(void *) churn_table[CHURN_SLOTS];
static atomic_long churn_next_job;
static long churn_end_job;       /* set before the round's workers start */

static void *churn_worker(void *arg) {
    (void)arg;
    long job;
    while ((job = atomic_fetch_add(&churn_next_job, 1)) < churn_end_job) {
        uint64_t s = (uint64_t)job;
        void *tmp[CHURN_TEMPS];
        for (int i = 0; i < CHURN_TEMPS; i++) tmp[i] = must_malloc(between(&s, 16, 4000));
        for (int i = 0; i < CHURN_TEMPS; i++) free(tmp[(i * 7) % CHURN_TEMPS]);  /* not LIFO */
        for (int i = 0; i < CHURN_RESULTS; i++) {
            void *r = must_malloc(between(&s, 16, 2000));
            free(atomic_exchange(&churn_table[next(&s) % CHURN_SLOTS], r));
        }
    }
    return NULL;
}

static void mode_churn(long rounds) {
    /* Full from the start, so the live size is the same every round: any growth is memory
     * the heap kept for workers that ended. */
    uint64_t s = 3;
    for (int i = 0; i < CHURN_SLOTS; i++) churn_table[i] = must_malloc(between(&s, 16, 2000));
    printf("rounds=%ld", rounds);
    for (long r = 1; r <= rounds; r++) {
        /* Job numbers run on across rounds, so each job's blocks are its own. */
        atomic_store(&churn_next_job, (r - 1) * CHURN_JOBS);
        churn_end_job = r * CHURN_JOBS;
        pthread_t t[CHURN_WORKERS];
        for (int k = 0; k < CHURN_WORKERS; k++)
            if (pthread_create(&t[k], NULL, churn_worker, NULL) != 0) exit(1);
        for (int k = 0; k < CHURN_WORKERS; k++) pthread_join(t[k], NULL);
        if (r == rounds / 16 || r == rounds / 8 || r == rounds / 4 || r == rounds / 2 || r == rounds)
            printf(" r%ld=%.1f", r, mib(rss_kib()));
    }
    printf(" peak=%.1f\n", mib(peak_kib()));
}

/* ---- idle: live threads that freed their memory and sleep -------------------------------------- */

#define IDLE_THREADS 4
#define IDLE_BLOCKS 200000
static pthread_barrier_t idle_freed, idle_measured;

static void *idle_worker(void *arg) {
    uint64_t s = (uint64_t)(uintptr_t)arg;
    void **b = must_malloc(IDLE_BLOCKS * sizeof *b);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < IDLE_BLOCKS; i++) b[i] = must_malloc(between(&s, 16, 1016));
        for (int i = 0; i < IDLE_BLOCKS; i++) free(b[i]);
    }
    free(b);
    pthread_barrier_wait(&idle_freed);
    pthread_barrier_wait(&idle_measured);   /* alive, and out of the allocator, meanwhile */
    return NULL;
}

static void mode_idle(void) {
    pthread_t t[IDLE_THREADS];
    pthread_barrier_init(&idle_freed, NULL, IDLE_THREADS + 1);
    pthread_barrier_init(&idle_measured, NULL, IDLE_THREADS + 1);
    for (int k = 0; k < IDLE_THREADS; k++)
        if (pthread_create(&t[k], NULL, idle_worker, (void *)(uintptr_t)(k + 1)) != 0) exit(1);
    pthread_barrier_wait(&idle_freed);
    printf("idle0=%.1f", mib(rss_kib()));
    for (int s = 1; s <= 7; s++) {
        sleep(1);
        if (s == 1 || s == 3 || s == 7) printf(" idle%d=%.1f", s, mib(rss_kib()));
    }
    printf(" peak=%.1f\n", mib(peak_kib()));
    pthread_barrier_wait(&idle_measured);
    for (int k = 0; k < IDLE_THREADS; k++) pthread_join(t[k], NULL);
}

/* ---- medium calls with many threads --------------------------------------------------------- */

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double pair_ns(void) {
    enum { N = 20000 };
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (int i = 0; i < N; i++) {
            char *volatile p = must_malloc(100000);
            free(p);
        }
        double ns = (now() - t0) / N * 1e9;
        if (ns < best) best = ns;
    }
    return best;
}

static pthread_barrier_t ready, done;

static void *idle_thread(void *arg) {
    (void)arg;
    char *volatile p = must_malloc(64);   /* a heap of its own, where the allocator has them */
    free(p);
    pthread_barrier_wait(&ready);
    pthread_barrier_wait(&done);
    return NULL;
}

static void mode_medium(void) {
    enum { T = 1000 };
    static pthread_t t[T];
    double one = pair_ns();
    pthread_barrier_init(&ready, NULL, T + 1);
    pthread_barrier_init(&done, NULL, T + 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (int i = 0; i < T; i++)
        if (pthread_create(&t[i], &attr, idle_thread, NULL) != 0) exit(1);
    pthread_barrier_wait(&ready);
    double many = pair_ns();
    pthread_barrier_wait(&done);
    for (int i = 0; i < T; i++) pthread_join(t[i], NULL);
    double after = pair_ns();
    printf("one=%.1f idle1000=%.1f ended1000=%.1f\n", one, many, after);
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "ring") == 0 && argc == 3) mode_ring(atol(argv[2]));
    else if (argc >= 2 && strcmp(argv[1], "pool") == 0 && argc == 3) mode_pool(atol(argv[2]));
    else if (argc >= 2 && strcmp(argv[1], "server") == 0 && argc == 3) mode_server(atol(argv[2]));
    else if (argc >= 2 && strcmp(argv[1], "churn") == 0 && argc == 3) mode_churn(atol(argv[2]));
    else if (argc == 2 && strcmp(argv[1], "medium") == 0) mode_medium();
    else if (argc == 2 && strcmp(argv[1], "idle") == 0) mode_idle();
    else {
        fprintf(stderr, "usage: threads ring N | pool ROUNDS | server ROUNDS | churn ROUNDS | medium | idle\n");
        return 2;
    }
    return 0;
}
