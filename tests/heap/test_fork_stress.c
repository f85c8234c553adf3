/*
 * tests/heap/test_fork_stress.c — fork() from a process whose threads are busy in the heap.
 *
 * Worker threads allocate and free small blocks without pause: they fill their pages and
 * empty them again, hand blocks to each other through a shared array (so frees cross
 * threads), and end after a millisecond or so to be replaced by new ones. Meanwhile the main
 * thread forks every few milliseconds. Each child must find a heap it can use: it checks
 * and frees blocks it inherited (from the workers, which do not exist in the child, and
 * from the main thread), gives free memory back with sh_heap_trim (which adopts every page
 * the workers left), allocates 7,000 blocks across 48 size classes, fills them, checks that
 * no two overlap and that every pattern held, frees them and exits 0. A child that
 * crashes, exits non-zero or hangs (killed after CHILD_TIMEOUT seconds) is a failure; the
 * test prints "forks: N, failures: F" and wants F == 0.
 *
 * A fork can land anywhere in a worker's allocation, free or exit, so a heap whose fork
 * handling only holds its locks, and not the per-thread state that is changed without
 * them, hands the child half-updated page lists and free lists. A fork catches such a
 * moment rarely, so the test forks thousands of times, and makes the moment likelier:
 * four workers rather than the issue's two; workers that live about a millisecond (a
 * thread's exit, where its pages are wound up, is the likeliest moment, so the main thread
 * also forks right after a worker ends); and up to eight children running at once (pages
 * the parent shares with a live child cost a copy when written, which stretches every
 * multi-step change in the heap). On two busy cores that finds 4-10 broken children in
 * 3,000-5,800 forks in 60 s of today's heap (issue 9), against 2-3 with one child at a
 * time and the issue's two workers; the checked build 2 in 2,300, the ASan build 1 in
 * 800-1,300. A heap that simply leaves the other threads' pages alone in the child (a
 * stand-in for the fix, tried while writing this) passes with none in all three builds.
 *
 * SH_FORK_STRESS_SECONDS sets how long to fork for (default 60 s). make test runs this in
 * three builds, 3 minutes together; the checked build forks about half as often as the
 * optimised one, the ASan build a sixth as often.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <stackheap/heap.h>

#include "check.h"
#include "helpers.h"

#define DEFAULT_SECONDS 60.0
/* A child takes 20-100 ms, up to 1 s with eight at once on two loaded cores (the Debug
 * builds' several times that): one still running after this long has hung. */
#if defined(NDEBUG)
#define CHILD_TIMEOUT 10.0
#else
#define CHILD_TIMEOUT 30.0
#endif
#define INFLIGHT 8             /* children running at once */
#define WORKERS 4
#define LOCAL 1024             /* blocks a worker holds at most */
#define SHARED 2048            /* hand-off slots between the threads */
#define MAIN_BLOCKS 64         /* blocks the forking thread keeps */
#define CHILD_BLOCKS 7000
#define CHILD_INHERITED 400    /* hand-off slots a child empties */

/* ---- blocks that carry their own size ---------------------------------------------------- */

/*
 * A block starts with its size and a check word made from the size and the address, then
 * the pattern of helpers.h over the rest, so any thread (or child) can check and free a
 * block knowing only its address, and a header overwritten by a neighbour (or by the heap,
 * for a block it wrongly thinks free) is told apart from a broken pattern.
 */
#define HDR 16
#define SEED 0x5EED
#define MAX_SIZE 4096

static uint64_t hdr_check(const void *p, uint64_t size) { return mix64(size ^ (uintptr_t)p ^ 0xF0F0); }

/* 48 size classes, as docs/heap.md lists them: 16 to 128 by 16, then 8 per doubling up to
 * 4096. A size is drawn from inside a random class. */
static size_t class_size(unsigned c) {
    if (c <= 8) return (size_t)c * 16;
    unsigned k = c - 9, b = 7 + k / 8;
    return (size_t)(9 + k % 8) << (b - 3);
}

static size_t random_size(uint64_t *rng) {
    unsigned c = 1 + (unsigned)(rand64(rng) % 48);
    size_t lo = c == 1 ? HDR : class_size(c - 1) + 1;
    return rand_between(rng, lo, class_size(c));
}

static void *block_new(uint64_t *rng) {
    size_t size = random_size(rng);
    uint64_t *p = sh_malloc(size);
    if (!p) {
        fprintf(stderr, "sh_malloc(%zu) returned NULL\n", size);
        _exit(1);
    }
    p[0] = size;
    p[1] = hdr_check(p, size);
    pat_fill((char *)p + HDR, size - HDR, SEED);
    return p;
}

static void block_check(const void *b, const char *whose) {
    const uint64_t *p = b;
    if (p[1] != hdr_check(p, p[0]) || p[0] < HDR || p[0] > MAX_SIZE) {
        fprintf(stderr, "%s block %p: header broken (size word 0x%" PRIx64 ", check word 0x%" PRIx64 ")\n",
                whose, b, p[0], p[1]);
        _exit(1);
    }
    pat_check((const char *)b + HDR, (const char *)b + HDR, p[0] - HDR, SEED, p[0] - HDR);
}

static void block_free(void *b, const char *whose) {
    block_check(b, whose);
    sh_free(b);
}

/* ---- the parent's threads ---------------------------------------------------------------------- */

static _Atomic(void *) shared[SHARED];

typedef struct worker {
    pthread_t thread;
    uint64_t seed;
    atomic_int done;
    void *local[LOCAL];
} worker;

static atomic_int stop_workers;

/* Grows towards LOCAL blocks, shrinks towards a few, again and again, so pages fill and
 * empty; one operation in eight swaps a block with the shared array instead. Ends after a
 * random number of operations (about a millisecond), freeing what it holds or leaving some
 * of it in the shared array. */
static void *worker_main(void *arg) {
    worker *w = arg;
    uint64_t rng = w->seed;
    long ops = (long)rand_between(&rng, 500, 2000);
    int growing = 1;
    size_t count = 0;
    for (long op = 0; op < ops && !atomic_load_explicit(&stop_workers, memory_order_relaxed); op++) {
        size_t i = (size_t)(rand64(&rng) % LOCAL);
        if (count > LOCAL * 7 / 8) growing = 0;
        if (count < LOCAL / 8) growing = 1;
        uint64_t r = rand64(&rng) % 16;
        if (!w->local[i]) {
            if (growing || r < 3) {
                w->local[i] = block_new(&rng);
                count++;
            }
        } else if (r < 2) {
            void *old = atomic_exchange(&shared[rand64(&rng) % SHARED], w->local[i]);
            w->local[i] = NULL;
            count--;
            if (old) block_free(old, "handed-over");
        } else if (!growing || r < 5) {
            void *b = w->local[i];
            w->local[i] = NULL;
            count--;
            block_free(b, "worker's");
        }
    }
    for (size_t i = 0; i < LOCAL; i++) {
        void *b = w->local[i];
        if (!b) continue;
        w->local[i] = NULL;
        if (rand64(&rng) % 4 == 0) {   /* some outlive their thread */
            void *old = atomic_exchange(&shared[rand64(&rng) % SHARED], b);
            if (old) block_free(old, "handed-over");
        } else {
            block_free(b, "worker's");
        }
    }
    atomic_store(&w->done, 1);
    return NULL;
}

static void worker_start(worker *w, uint64_t seed) {
    memset(w->local, 0, sizeof w->local);
    w->seed = seed;
    atomic_store(&w->done, 0);
    CHECK(pthread_create(&w->thread, NULL, worker_main, w) == 0);
}

/* ---- the child ------------------------------------------------------------------------------------ */

typedef struct span { uintptr_t start, end; } span;

static int by_start(const void *a, const void *b) {
    const span *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static void *child_blocks[CHILD_BLOCKS];
static span child_spans[CHILD_BLOCKS];

static void child_work(void **main_blocks, uint64_t seed) {
    uint64_t rng = seed;
    /* What the workers left in the shared array: their pages have no owner here. */
    size_t first = (size_t)(rand64(&rng) % SHARED);
    for (size_t k = 0; k < CHILD_INHERITED; k++) {
        void *b = atomic_exchange(&shared[(first + k) % SHARED], NULL);
        if (b) block_free(b, "inherited");
    }
    for (int i = 0; i < MAIN_BLOCKS; i += 2) {
        block_free(main_blocks[i], "inherited (main)");
        main_blocks[i] = NULL;
    }
    sh_heap_trim();   /* takes over every page the workers left, and looks at each */
    for (int i = 0; i < CHILD_BLOCKS; i++) {
        child_blocks[i] = block_new(&rng);
        uintptr_t a = (uintptr_t)child_blocks[i];
        child_spans[i] = (span){a, a + sh_usable_size(child_blocks[i])};
    }
    qsort(child_spans, CHILD_BLOCKS, sizeof child_spans[0], by_start);
    for (int i = 1; i < CHILD_BLOCKS; i++) {
        if (child_spans[i].start < child_spans[i - 1].end) {
            fprintf(stderr, "child: blocks overlap: [%#" PRIxPTR ", %#" PRIxPTR ") and [%#" PRIxPTR
                    ", %#" PRIxPTR ")\n", child_spans[i - 1].start, child_spans[i - 1].end,
                    child_spans[i].start, child_spans[i].end);
            _exit(1);
        }
    }
    for (int i = 0; i < CHILD_BLOCKS; i++) block_free(child_blocks[i], "child's");
    for (int i = 1; i < MAIN_BLOCKS; i += 2) block_check(main_blocks[i], "inherited (main)");
}

/* ---- the parent's loop ------------------------------------------------------------------------------ */

typedef struct tally { long forks, crashed, hung, failed; } tally;

typedef struct child { pid_t pid; long n; double since; } child;
static child running[INFLIGHT];
static int nrunning;

static void judge(const child *c, int st, tally *t) {
    if (WIFSIGNALED(st)) {
        t->crashed++;
        printf("fork %ld: the child died of signal %d (%s)\n", c->n, WTERMSIG(st), strsignal(WTERMSIG(st)));
    } else if (WEXITSTATUS(st) != 0) {
        t->failed++;
        printf("fork %ld: the child exited %d\n", c->n, WEXITSTATUS(st));
    }
    fflush(stdout);
}

/* Reaps the children that are done and kills those past CHILD_TIMEOUT, until fewer than
 * `most` are running. */
static void reap(int most, tally *t) {
    for (;;) {
        for (int i = 0; i < nrunning;) {
            child *c = &running[i];
            int st = 0;
            pid_t r = waitpid(c->pid, &st, WNOHANG);
            CHECK(r >= 0);
            if (r == 0 && now_seconds() - c->since > CHILD_TIMEOUT) {
                kill(c->pid, SIGKILL);
                CHECK(waitpid(c->pid, &st, 0) == c->pid);
                t->hung++;
                printf("fork %ld: the child hung (killed after %.0f s)\n", c->n, CHILD_TIMEOUT);
                fflush(stdout);
            } else if (r == c->pid) {
                judge(c, st, t);
            } else {
                i++;
                continue;
            }
            running[i] = running[--nrunning];
        }
        if (nrunning < most) return;
        usleep(500);
    }
}

static double duration(void) {
    const char *s = getenv("SH_FORK_STRESS_SECONDS");
    double d = s ? atof(s) : 0;
    return d > 0 ? d : DEFAULT_SECONDS;
}

static worker workers[WORKERS];

/* Sleeps for `us` microseconds, or less if a worker ends meanwhile: its exit (where the
 * heap winds up the thread's pages) is the likeliest moment for a fork to find the heap
 * half-way through a change. Polled every few tens of microseconds, so the fork lands at
 * varying points of the exit. */
static void wait_for_an_end(size_t us) {
    double until = now_seconds() + (double)us / 1e6;
    while (now_seconds() < until) {
        for (int i = 0; i < WORKERS; i++)
            if (atomic_load(&workers[i].done)) return;
        usleep(20);
    }
}

SH_TEST(test_children_forked_from_busy_threads_have_a_working_heap) {
    uint64_t rng = 2024;
    void *main_blocks[MAIN_BLOCKS];
    for (int i = 0; i < MAIN_BLOCKS; i++) main_blocks[i] = block_new(&rng);
    uint64_t next_seed = 1;
    for (int i = 0; i < WORKERS; i++) worker_start(&workers[i], next_seed++);
    tally t = {0};
    double end = now_seconds() + duration();
    while (now_seconds() < end) {
        for (int i = 0; i < WORKERS; i++) {
            if (!atomic_load(&workers[i].done)) continue;
            CHECK(pthread_join(workers[i].thread, NULL) == 0);
            worker_start(&workers[i], next_seed++);
        }
        /* the forking thread's own heap is busy too */
        for (int k = 0; k < 4; k++) {
            int i = (int)(rand64(&rng) % MAIN_BLOCKS);
            block_free(main_blocks[i], "main's");
            main_blocks[i] = block_new(&rng);
        }
        reap(INFLIGHT, &t);
        wait_for_an_end(rand_between(&rng, 1000, 5000));
        fflush(NULL);
        uint64_t child_seed = rand64(&rng);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            alarm(120);   /* should the parent be gone: never outlive it for long */
            child_work(main_blocks, child_seed);
            _exit(0);
        }
        running[nrunning++] = (child){pid, ++t.forks, now_seconds()};
    }
    reap(1, &t);
    atomic_store(&stop_workers, 1);
    for (int i = 0; i < WORKERS; i++) CHECK(pthread_join(workers[i].thread, NULL) == 0);
    long failures = t.crashed + t.hung + t.failed;
    printf("forks: %ld, failures: %ld (crashed %ld, hung %ld, exited non-zero %ld)\n", t.forks,
           failures, t.crashed, t.hung, t.failed);
    fflush(stdout);
    for (int i = 0; i < SHARED; i++) {
        void *b = atomic_exchange(&shared[i], NULL);
        if (b) block_free(b, "handed-over");
    }
    for (int i = 0; i < MAIN_BLOCKS; i++) block_free(main_blocks[i], "main's");
    CHECK(t.forks > 0);
    CHECK_EQ(failures, 0);
}

int main(void) { return sh_test_main(); }
