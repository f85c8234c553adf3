/*
 * tests/heap/test_stress.c — the heap under several threads, thread churn and fork().
 *
 * Every block is filled with a pattern derived from its address, size and a seed (helpers.h)
 * and checked before it is freed or reallocated, so a block handed out twice, a realloc that
 * copied wrongly or a cross-thread free that corrupted a neighbour is reported with its
 * address. Blocks travel between threads through a shared array of locked slots, so most
 * frees and reallocs of a travelling block happen on a thread that did not allocate it.
 *
 * SH_STRESS_OPS overrides the operations per thread of the main random test (default one
 * million); the whole file takes well under a minute on two cores in a Debug build.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <stackheap/heap.h>

#include "check.h"
#include "helpers.h"

#define NTHREADS 4

/* A block and what its pattern was made from. */
typedef struct blk {
    char *p;
    size_t size;          /* bytes the pattern covers: requested size, or usable size */
    uint64_t seed;
    size_t alignment;     /* 0 for plain blocks */
} blk;

/* Sizes skewed to small, as real programs are: 80 % up to 128 bytes, then ever rarer
 * bigger ones, reaching the medium tier about 1 % of the time and huge 1 in 10000. */
static size_t random_size(uint64_t *rng) {
    uint64_t r = rand64(rng) % 100000;
    if (r < 80000) return rand_between(rng, 0, 128);
    if (r < 95000) return rand_between(rng, 129, 4096);
    if (r < 99000) return rand_between(rng, 4097, 32 * KiB);
    if (r < 99900) return rand_between(rng, 32 * KiB + 1, 512 * KiB);
    if (r < 99990) return rand_between(rng, 512 * KiB, 2 * MiB);
    return rand_between(rng, 2 * MiB, 6 * MiB);
}

static void fail_null(const char *what, size_t size) {
    fprintf(stderr, "%s(%zu) returned NULL (errno %d)\n", what, size, errno);
    _exit(1);
}

static void check_new_block(const char *what, const void *p, size_t size, size_t alignment) {
    if (!is_aligned(p, alignment ? alignment : 16)) {
        fprintf(stderr, "%s(%zu) returned %p, not aligned to %zu\n", what, size, p,
                alignment ? alignment : 16);
        _exit(1);
    }
    size_t u = sh_usable_size(p);
    if (u < size) {
        fprintf(stderr, "%s(%zu) returned %p with usable size %zu\n", what, size, p, u);
        _exit(1);
    }
}

static void check_zero(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            fprintf(stderr, "calloc(%zu) block %p: byte %zu is 0x%02x\n", n, (const void *)p, i,
                    (unsigned char)p[i]);
            _exit(1);
        }
    }
}

/* Allocates a block in one of the ways the API offers and fills it. */
static blk new_block(uint64_t *rng) {
    blk b = {.size = random_size(rng), .seed = rand64(rng)};
    unsigned how = (unsigned)(rand64(rng) % 10);
    if (how < 7) {
        b.p = sh_malloc(b.size);
        if (!b.p) fail_null("malloc", b.size);
        check_new_block("malloc", b.p, b.size, 0);
    } else if (how == 7) {
        b.p = sh_calloc(1, b.size);
        if (!b.p) fail_null("calloc", b.size);
        check_new_block("calloc", b.p, b.size, 0);
        check_zero(b.p, b.size);
    } else if (how == 8) {
        b.alignment = (size_t)16 << (rand64(rng) % 9);   /* 16 .. 4096 */
        b.p = sh_aligned_alloc(b.alignment, b.size);
        if (!b.p) fail_null("aligned_alloc", b.size);
        check_new_block("aligned_alloc", b.p, b.size, b.alignment);
    } else {
        b.p = sh_realloc(NULL, b.size);
        if (!b.p) fail_null("realloc(NULL)", b.size);
        check_new_block("realloc", b.p, b.size, 0);
    }
    pat_fill(b.p, b.size, b.seed);
    return b;
}

static void free_block(blk *b) {
    pat_check(b->p, b->p, b->size, b->seed, b->size);
    sh_free(b->p);
    b->p = NULL;
}

/* Reallocates to a new random size; the old contents must be in the new block. */
static void realloc_block(blk *b, uint64_t *rng) {
    pat_check(b->p, b->p, b->size, b->seed, b->size);
    size_t n = random_size(rng);
    if (n == 0) n = 1;   /* realloc(p, 0) frees: that edge is test_api's */
    char *q = sh_realloc(b->p, n);
    if (!q) fail_null("realloc", n);
    check_new_block("realloc", q, n, 0);
    pat_check(q, b->p, b->size, b->seed, n < b->size ? n : b->size);
    b->p = q;
    b->size = n;
    b->seed++;
    b->alignment = 0;
    pat_fill(b->p, b->size, b->seed);
}

/* ---- the shared exchange ---------------------------------------------------------------- */

#define NSHARED 1024
typedef struct shared_slot {
    pthread_mutex_t lock;
    blk b;
} shared_slot;
static shared_slot shared[NSHARED];

static void shared_init(void) {
    for (int i = 0; i < NSHARED; i++) {
        pthread_mutex_init(&shared[i].lock, NULL);
        shared[i].b = (blk){0};
    }
}

/* Swaps the caller's block (maybe none) with the one in a random shared slot. The block
 * taken is checked at once, so corruption in transit is blamed on the right moment. */
static void exchange(blk *mine, uint64_t *rng) {
    shared_slot *s = &shared[rand64(rng) % NSHARED];
    pthread_mutex_lock(&s->lock);
    blk theirs = s->b;
    s->b = *mine;
    pthread_mutex_unlock(&s->lock);
    *mine = theirs;
    if (mine->p) {
        pat_check(mine->p, mine->p, mine->size, mine->seed, mine->size);
        if (mine->alignment && !is_aligned(mine->p, mine->alignment)) {
            fprintf(stderr, "block %p lost its %zu alignment\n", (void *)mine->p, mine->alignment);
            _exit(1);
        }
    }
}

static void shared_drain(void) {
    for (int i = 0; i < NSHARED; i++)
        if (shared[i].b.p) free_block(&shared[i].b);
}

/* ---- many threads, random operations ---------------------------------------------------- */

#define NSLOTS 2048

typedef struct worker {
    pthread_t thread;
    uint64_t seed;
    long ops;
} worker;

static void *random_worker(void *arg) {
    worker *w = arg;
    uint64_t rng = w->seed;
    blk *slots = calloc(NSLOTS, sizeof *slots);
    CHECK(slots != NULL);
    for (long op = 0; op < w->ops; op++) {
        blk *b = &slots[rand64(&rng) % NSLOTS];
        if (!b->p) {
            *b = new_block(&rng);
            continue;
        }
        unsigned r = (unsigned)(rand64(&rng) % 100);
        if (r < 45) free_block(b);
        else if (r < 70) realloc_block(b, &rng);
        else if (r < 90) exchange(b, &rng);
        else pat_check(b->p, b->p, b->size, b->seed, b->size);   /* long-lived blocks stay intact */
    }
    for (int i = 0; i < NSLOTS; i++)
        if (slots[i].p) free_block(&slots[i]);
    free(slots);
    return NULL;
}

static long ops_per_thread(long fallback) {
    const char *s = getenv("SH_STRESS_OPS");
    return s && atol(s) > 0 ? atol(s) : fallback;
}

static void run_workers(void *(*fn)(void *), long ops, uint64_t seed) {
    worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){.seed = seed * 1000 + (uint64_t)i, .ops = ops};
        CHECK(pthread_create(&w[i].thread, NULL, fn, &w[i]) == 0);
    }
    for (int i = 0; i < NTHREADS; i++) CHECK(pthread_join(w[i].thread, NULL) == 0);
}

SH_TEST(test_threads_random_operations_keep_contents) {
    shared_init();
    run_workers(random_worker, ops_per_thread(1000000), 1);
    shared_drain();
}

/* When every thread is done and every block freed, the heap's books balance again, even
 * though most blocks were freed by a thread that did not allocate them. */
SH_TEST(test_stats_return_to_baseline_after_cross_thread_frees) {
    sh_heap_stats before;
    sh_heap_get_stats(&before);
    shared_init();
    run_workers(random_worker, ops_per_thread(1000000) / 10, 2);
    shared_drain();
    sh_heap_stats after;
    sh_heap_get_stats(&after);
    CHECK_EQ(after.live_blocks, before.live_blocks);
    CHECK_EQ(after.live, before.live);
    CHECK_EQ(after.allocs - before.allocs, after.frees - before.frees);
}

/* ---- a ring of producer/consumer threads: every free is a remote free ------------------- */

#define QCAP 256
typedef struct queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    blk items[QCAP];
    size_t head, count;
    int closed;
} queue;

static queue rings[NTHREADS];

/* Returns 0 without waiting when the queue is full: in a ring, a sender that waited for
 * room while its own queue filled up would deadlock with its neighbours. */
static int queue_try_push(queue *q, blk b) {
    pthread_mutex_lock(&q->lock);
    int ok = q->count < QCAP;
    if (ok) {
        q->items[(q->head + q->count++) % QCAP] = b;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

/* Takes up to max items without waiting; returns how many. */
static size_t queue_take(queue *q, blk *out, size_t max) {
    pthread_mutex_lock(&q->lock);
    size_t n = 0;
    while (n < max && q->count) {
        out[n++] = q->items[q->head];
        q->head = (q->head + 1) % QCAP;
        q->count--;
    }
    if (n) pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    return n;
}

typedef struct ring_worker {
    pthread_t thread;
    int index;
    long blocks;
} ring_worker;

static void consume(blk *got, size_t n, uint64_t *rng) {
    for (size_t i = 0; i < n; i++) {
        if (rand64(rng) % 4 == 0) realloc_block(&got[i], rng);   /* a remote realloc */
        free_block(&got[i]);
    }
}

/* Thread i allocates blocks and sends them to thread i+1, and frees what thread i-1 sent. */
static void *ring_thread(void *arg) {
    ring_worker *w = arg;
    uint64_t rng = 77 + (uint64_t)w->index;
    queue *out = &rings[(w->index + 1) % NTHREADS], *in = &rings[w->index];
    blk got[64];
    for (long i = 0; i < w->blocks; i++) {
        blk b = new_block(&rng);
        for (;;) {
            int pushed = queue_try_push(out, b);
            size_t n = queue_take(in, got, 64);
            consume(got, n, &rng);
            if (pushed) break;
            if (!n) sched_yield();
        }
    }
    pthread_mutex_lock(&out->lock);
    out->closed = 1;
    pthread_cond_broadcast(&out->changed);
    pthread_mutex_unlock(&out->lock);
    /* Drain until the sender is done and nothing is left. */
    for (;;) {
        size_t n = queue_take(in, got, 64);
        consume(got, n, &rng);
        if (n) continue;
        pthread_mutex_lock(&in->lock);
        int done = in->closed && in->count == 0;
        if (!done) pthread_cond_wait(&in->changed, &in->lock);
        pthread_mutex_unlock(&in->lock);
        if (done) break;
    }
    return NULL;
}

SH_TEST(test_blocks_freed_by_other_threads_keep_contents) {
    sh_heap_stats before;
    sh_heap_get_stats(&before);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_mutex_init(&rings[i].lock, NULL);
        pthread_cond_init(&rings[i].changed, NULL);
        rings[i].head = rings[i].count = 0;
        rings[i].closed = 0;
    }
    ring_worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (ring_worker){.index = i, .blocks = 150000};
        CHECK(pthread_create(&w[i].thread, NULL, ring_thread, &w[i]) == 0);
    }
    for (int i = 0; i < NTHREADS; i++) CHECK(pthread_join(w[i].thread, NULL) == 0);
    sh_heap_stats after;
    sh_heap_get_stats(&after);
    CHECK_EQ(after.live_blocks, before.live_blocks);
}

/* ---- short-lived threads -------------------------------------------------------------------- */

#define HANDOFF 4096
static pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;
static blk handoff[HANDOFF];
static size_t handoff_count;

/* Frees what earlier (now maybe dead) threads left, allocates, frees half of its own blocks
 * and leaves the other half for later threads. */
static void *short_lived(void *arg) {
    uint64_t rng = (uint64_t)(uintptr_t)arg;
    blk mine[600];
    for (int i = 0; i < 600; i++) mine[i] = new_block(&rng);
    pthread_mutex_lock(&handoff_lock);
    size_t take = handoff_count < 300 ? handoff_count : 300;
    blk inherited[300];
    handoff_count -= take;
    memcpy(inherited, &handoff[handoff_count], take * sizeof *inherited);
    pthread_mutex_unlock(&handoff_lock);
    for (size_t i = 0; i < take; i++) {
        if (i % 5 == 0) realloc_block(&inherited[i], &rng);
        free_block(&inherited[i]);
    }
    for (int i = 0; i < 600; i += 2) free_block(&mine[i]);
    pthread_mutex_lock(&handoff_lock);
    for (int i = 1; i < 600 && handoff_count < HANDOFF; i += 2) {
        handoff[handoff_count++] = mine[i];
        mine[i].p = NULL;
    }
    pthread_mutex_unlock(&handoff_lock);
    for (int i = 1; i < 600; i += 2)
        if (mine[i].p) free_block(&mine[i]);
    return NULL;
}

SH_TEST(test_short_lived_threads_leave_blocks_for_others) {
    /* Two at a time, 200 in all: threads end while blocks they allocated are still live. */
    for (int i = 0; i < 200; i += 2) {
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            CHECK(pthread_create(&t[k], NULL, short_lived, (void *)(uintptr_t)(i + k + 1)) == 0);
        for (int k = 0; k < 2; k++) CHECK(pthread_join(t[k], NULL) == 0);
    }
    CHECK(handoff_count > 0);
    while (handoff_count) free_block(&handoff[--handoff_count]);
}

/* A thread that allocates and frees 2 MiB of small blocks and exits must not leave its
 * memory stranded: 200 of them would strand 400 MiB. */
static void *churn_and_exit(void *arg) {
    (void)arg;
    enum { N = 8192 };
    char **p = malloc(N * sizeof *p);
    CHECK(p != NULL);
    for (int i = 0; i < N; i++) {
        p[i] = sh_malloc(256);
        if (!p[i]) fail_null("malloc", 256);
        p[i][0] = p[i][255] = 1;
    }
    for (int i = 0; i < N; i++) sh_free(p[i]);
    free(p);
    return NULL;
}

SH_TEST(test_exited_threads_memory_is_reused) {
    sh_heap_stats before;
    sh_heap_get_stats(&before);
    for (int i = 0; i < 200; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, churn_and_exit, NULL) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
    sh_heap_stats after;
    sh_heap_get_stats(&after);
    if (after.committed > before.committed + 64 * MiB) {
        fprintf(stderr, "committed grew from %zu to %zu over 200 threads that freed all\n",
                before.committed, after.committed);
        _exit(1);
    }
    CHECK_EQ(after.live_blocks, before.live_blocks);
}

/* ---- fork() from a busy multi-threaded process ------------------------------------------ */

static atomic_int busy_stop;

static void *busy_worker(void *arg) {
    uint64_t rng = (uint64_t)(uintptr_t)arg;
    blk slots[256] = {{0}};
    while (!atomic_load_explicit(&busy_stop, memory_order_relaxed)) {
        blk *b = &slots[rand64(&rng) % 256];
        if (!b->p) *b = new_block(&rng);
        else if (rand64(&rng) % 3 == 0) realloc_block(b, &rng);
        else free_block(b);
    }
    for (int i = 0; i < 256; i++)
        if (slots[i].p) free_block(&slots[i]);
    return NULL;
}

/* In the child: free what the parent's threads allocated (their owners do not exist here),
 * then a few thousand operations of every tier. */
static void child_work(blk *inherited, size_t n, uint64_t seed) {
    uint64_t rng = seed;
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 0) realloc_block(&inherited[i], &rng);
        free_block(&inherited[i]);
    }
    blk slots[128] = {{0}};
    for (int op = 0; op < 5000; op++) {
        blk *b = &slots[rand64(&rng) % 128];
        if (!b->p) *b = new_block(&rng);
        else if (op % 4 == 0) realloc_block(b, &rng);
        else free_block(b);
    }
    for (int i = 0; i < 128; i++)
        if (slots[i].p) free_block(&slots[i]);
    void *big = sh_malloc(8 * MiB), *medium = sh_malloc(300 * KiB);
    if (!big || !medium) fail_null("malloc in child", 8 * MiB);
    sh_free(big);
    sh_free(medium);
}

/* Blocks allocated by another thread and handed to the forking thread before the fork. */
typedef struct gift { blk b[64]; } gift;
static void *make_gift(void *arg) {
    gift *g = arg;
    uint64_t rng = 4242;
    for (int i = 0; i < 64; i++) g->b[i] = new_block(&rng);
    return NULL;
}

SH_TEST(test_fork_while_threads_allocate_child_can_allocate) {
    atomic_store(&busy_stop, 0);
    pthread_t busy[3];
    for (int i = 0; i < 3; i++)
        CHECK(pthread_create(&busy[i], NULL, busy_worker, (void *)(uintptr_t)(900 + i)) == 0);
    for (int round = 0; round < 20; round++) {
        gift g;
        pthread_t giver;
        CHECK(pthread_create(&giver, NULL, make_gift, &g) == 0);
        CHECK(pthread_join(giver, NULL) == 0);
        usleep(2000 + 1000 * (useconds_t)(round % 7));   /* fork at varying moments */
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            alarm(20);   /* a second line of defence; the parent gives up after 15 s */
            child_work(g.b, 64, (uint64_t)round);
            _exit(0);
        }
        /* The parent frees the same blocks: its copy of the heap is its own. */
        uint64_t rng = 1;
        for (int i = 0; i < 64; i++) {
            if (i % 2) realloc_block(&g.b[i], &rng);
            free_block(&g.b[i]);
        }
        double start = now_seconds();
        int st = 0;
        pid_t r;
        while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_seconds() - start < 15.0)
            usleep(5000);
        if (r == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            fprintf(stderr, "fork round %d: child did not finish in 15 s (deadlock in the "
                    "heap after fork?)\n", round);
            _exit(1);
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "fork round %d: child %s %d\n", round,
                    WIFEXITED(st) ? "exited with" : "killed by signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            _exit(1);
        }
    }
    atomic_store(&busy_stop, 1);
    for (int i = 0; i < 3; i++) CHECK(pthread_join(busy[i], NULL) == 0);
}

/* ---- aligned blocks and usable sizes across threads ------------------------------------- */

/* An aligned block filled up to its usable size; whoever frees it checks that usable size
 * reads the same from their thread and that every usable byte kept its pattern. */
static blk new_aligned_block(uint64_t *rng) {
    blk b = {.seed = rand64(rng)};
    uint64_t r = rand64(rng) % 1000;
    b.alignment = r == 0 ? 1 * MiB : (size_t)16 << (rand64(rng) % 13);   /* 16 .. 64 KiB */
    size_t want = r < 900 ? rand_between(rng, 1, 2048) : rand_between(rng, 2049, 300 * KiB);
    if (rand64(rng) % 2) {
        b.p = sh_aligned_alloc(b.alignment, want);
        if (!b.p) fail_null("aligned_alloc", want);
    } else {
        void *p = NULL;
        int rc = sh_posix_memalign(&p, b.alignment, want);
        if (rc != 0 || !p) fail_null("posix_memalign", want);
        b.p = p;
    }
    check_new_block("aligned", b.p, want, b.alignment);
    b.size = sh_usable_size(b.p);
    pat_fill(b.p, b.size, b.seed);
    return b;
}

static void free_aligned_block(blk *b) {
    size_t u = sh_usable_size(b->p);
    if (u != b->size || !is_aligned(b->p, b->alignment)) {
        fprintf(stderr, "block %p (alignment %zu): usable size %zu here, %zu where allocated\n",
                (void *)b->p, b->alignment, u, b->size);
        _exit(1);
    }
    free_block(b);
}

static void *aligned_worker(void *arg) {
    worker *w = arg;
    uint64_t rng = w->seed;
    blk slots[512] = {{0}};
    for (long op = 0; op < w->ops; op++) {
        blk *b = &slots[rand64(&rng) % 512];
        if (!b->p) { *b = new_aligned_block(&rng); continue; }
        if (rand64(&rng) % 2) exchange(b, &rng);
        else free_aligned_block(b);
    }
    for (int i = 0; i < 512; i++)
        if (slots[i].p) free_aligned_block(&slots[i]);
    return NULL;
}

SH_TEST(test_aligned_blocks_cross_threads_keep_alignment_and_usable_size) {
    shared_init();
    run_workers(aligned_worker, 100000, 3);
    for (int i = 0; i < NSHARED; i++)
        if (shared[i].b.p) free_aligned_block(&shared[i].b);
}

int main(void) { return sh_test_main(); }
