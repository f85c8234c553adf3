/*
 * wl_share — false sharing: do two threads get small blocks in one cache line?
 *
 * N threads (2 or 4) each take a 16-byte block, write it hard (1,000 read-modify-writes),
 * check it and free it, over and over: cache-thrash's pattern. Then N new threads do the
 * same after first freeing one block each that the main thread allocated for them, all
 * in a row: cache-scratch's pattern, where an allocator that gives a thread back the block
 * it just freed hands every thread a piece of the same line. When two threads' blocks
 * share a line, every write moves the line between cores and the run is many times
 * slower; when they do not, the writes stay in each core's cache. The total work is the
 * same for any N, so the time of the 4-thread run is comparable with the 2-thread one.
 *
 * On stderr (not part of the checksum): each phase's time, and how many pairs of threads
 * held blocks in one line, from the address of each thread's last block (an allocator
 * that reuses a freed block at once gives a thread the same block every time).
 *
 * Usage: wl_share [blocks in all, per phase] [threads]
 */
#include <pthread.h>
#include <time.h>

#include "wl_common.h"

#define SIZE 16              /* one size for every thread: the same size class */
#define WRITES 1000          /* per block; a multiple of 2 * SIZE / 8, so the pattern returns */
#define LINE 64
#define MAX_THREADS 16

typedef struct thread_arg {
    int id;
    long blocks;
    void *handed;            /* scratch: the main thread's block, freed first */
    uintptr_t last;          /* the address of the last block, for the line count */
    uint64_t sum;
} thread_arg;

static pthread_barrier_t start_line;

static void *hammer(void *arg) {
    thread_arg *a = arg;
    uint64_t sum = 0;
    if (a->handed) {
        sum += wl_check(a->handed, SIZE, (uint64_t)a->id);
        free(a->handed);
    }
    /* Started together, so the blocks are live at the same time, as in a real program. */
    pthread_barrier_wait(&start_line);
    for (long i = 0; i < a->blocks; i++) {
        uint64_t tag = ((uint64_t)a->id << 48) | (uint64_t)i;
        volatile uint64_t *w = wl_alloc(SIZE);
        wl_fill((void *)w, SIZE, tag);
        /* volatile: every write goes to memory, as a counter other code can see would. */
        for (unsigned r = 0; r < WRITES; r++)
            w[r % (SIZE / 8)] ^= 0x5555555555555555ull;
        sum += wl_check((const void *)w, SIZE, tag);
        a->last = (uintptr_t)w;
        free((void *)w);
    }
    a->sum = sum;
    return NULL;
}

/* Runs one phase with n threads; returns its checksum, and prints the shared-line count. */
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t phase(const char *name, int n, long blocks, int scratch) {
    double t0 = now();
    thread_arg args[MAX_THREADS] = {0};
    pthread_t t[MAX_THREADS];
    pthread_barrier_init(&start_line, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        args[i].id = i + (scratch ? MAX_THREADS : 0);
        args[i].blocks = blocks / n;
        if (scratch) {
            args[i].handed = wl_alloc(SIZE);
            wl_fill(args[i].handed, SIZE, (uint64_t)args[i].id);
        }
    }
    for (int i = 0; i < n; i++) {
        if (pthread_create(&t[i], NULL, hammer, &args[i]) != 0) {
            fprintf(stderr, "wl_share: pthread_create failed\n");
            exit(3);
        }
    }
    uint64_t sum = 0;
    int shared = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        sum += args[i].sum;
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            shared += args[i].last / LINE == args[j].last / LINE;
    fprintf(stderr, "wl_share: %s, %d threads: %.3f s; %d of %d pairs of threads had "
            "blocks in one line\n", name, n, now() - t0, shared, n * (n - 1) / 2);
    pthread_barrier_destroy(&start_line);
    return sum;
}

int main(int argc, char **argv) {
    long blocks = wl_scale(argc, argv, 400000);
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2;
    if (argc > 3 || n < 2 || n > MAX_THREADS) {
        fprintf(stderr, "usage: %s [blocks [threads, 2..%d]]\n", argv[0], MAX_THREADS);
        return 2;
    }
    uint64_t sum = phase("thrash", (int)n, blocks, 0);
    sum += phase("scratch", (int)n, blocks, 1);
    wl_print_checksum(sum);
    return 0;
}
