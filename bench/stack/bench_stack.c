/*
 * bench/stack/bench_stack.c — a frame allocation against a malloc/free pair, in one run.
 *
 * One round allocates N blocks of mixed sizes (8..256 bytes), touches each and folds it into
 * a checksum, then releases them all: the stack with one push before and one pop after, the
 * heaps with one free per block. So a stack allocation's cost includes its share of the
 * push and pop, and a heap allocation's cost includes its free. Time per allocation is the
 * best of several runs (CLOCK_MONOTONIC); the allocators take turns within each run, so a
 * noisy moment is shared out. The checksum is printed and compared, so no allocation can
 * be optimised away. A fourth loop touches the same bytes of a static buffer without any
 * allocation: that floor is in every column, so the table also gives the ratio without it.
 *
 *     bench_stack [ROUNDS_SCALE]     prints a Markdown table
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <stackheap/heap.h>
#include <stackheap/stack.h>

#define MAX_N 256
#define RUNS 7
#define ALLOCS_PER_RUN 4000000   /* per cell: enough for about 10 ms at the slowest */

static size_t sizes[MAX_N];
static size_t offsets[MAX_N];   /* where the stack puts each block: the floor touches these */
static void *ptrs[MAX_N];
static unsigned char floor_buf[MAX_N * 272];

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Mixed sizes from a fixed seed: every allocator sees the same sequence. */
static void make_sizes(void) {
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < MAX_N; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        sizes[i] = 8 + (size_t)(x % 249);
        offsets[i] = i ? (offsets[i - 1] + sizes[i - 1] + 15) & ~(size_t)15 : 0;
    }
}

/* Writes the first and last byte, as a real user of the block would, and reads one back. */
static inline uint64_t touch(unsigned char *p, size_t size, size_t i) {
    p[0] = (unsigned char)i;
    p[size - 1] = (unsigned char)(i >> 1);
    return (uint64_t)p[0] + p[size - 1];
}

static uint64_t round_stack(sh_stack *st, int n) {
    uint64_t sum = 0;
    sh_stack_frame *f = sh_stack_push(st, "bench");
    for (int i = 0; i < n; i++) {
        unsigned char *p = sh_stack_alloc(st, sizes[i]);
        sum += touch(p, sizes[i], (size_t)i);
    }
    sh_stack_pop(st, f);
    return sum;
}

static uint64_t round_floor(int n) {
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) sum += touch(floor_buf + offsets[i], sizes[i], (size_t)i);
    __asm__ volatile("" ::: "memory");   /* the stores happen, as they do into allocations */
    return sum;
}

static uint64_t round_glibc(int n) {
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        ptrs[i] = malloc(sizes[i]);
        sum += touch(ptrs[i], sizes[i], (size_t)i);
    }
    for (int i = 0; i < n; i++) free(ptrs[i]);
    return sum;
}

static uint64_t round_sh(int n) {
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        ptrs[i] = sh_malloc(sizes[i]);
        sum += touch(ptrs[i], sizes[i], (size_t)i);
    }
    for (int i = 0; i < n; i++) sh_free(ptrs[i]);
    return sum;
}

enum { STACK, GLIBC, SH, FLOOR, NKINDS };
static const char *const kind_names[NKINDS] = {"stack", "glibc", "sh_malloc", "touch only"};

typedef struct cell {
    double best_ns;        /* per allocation */
    uint64_t checksum;
} cell;

static void run_one(int kind, sh_stack *st, int n, long rounds, cell *c) {
    uint64_t sum = 0;
    double t0 = now_ns();
    for (long r = 0; r < rounds; r++) {
        switch (kind) {
        case STACK: sum += round_stack(st, n); break;
        case GLIBC: sum += round_glibc(n); break;
        case FLOOR: sum += round_floor(n); break;
        default: sum += round_sh(n); break;
        }
    }
    double ns = (now_ns() - t0) / ((double)rounds * n);
    if (c->best_ns == 0 || ns < c->best_ns) c->best_ns = ns;
    c->checksum = sum;
}

int main(int argc, char **argv) {
    double scale = argc > 1 ? atof(argv[1]) : 1.0;
    static const int ns[] = {1, 8, 64, 256};
    enum { NROWS = sizeof ns / sizeof ns[0] };
    cell cells[NROWS][NKINDS] = {{{0, 0}}};
    make_sizes();
    sh_stack *st = sh_stack_new(64 * 1024);
    if (!st) { perror("sh_stack_new"); return 1; }

    for (int run = 0; run < RUNS; run++) {
        for (int row = 0; row < NROWS; row++) {
            long rounds = (long)(ALLOCS_PER_RUN * scale) / ns[row];
            if (rounds < 1) rounds = 1;
            for (int k = 0; k < NKINDS; k++) {
                int kind = (k + run) % NKINDS;   /* rotate who goes first */
                run_one(kind, st, ns[row], rounds, &cells[row][kind]);
            }
        }
    }

    int ok = 1;
    printf("| allocations per frame | stack push+alloc+pop | glibc malloc/free | sh_malloc/sh_free "
           "| touch only (floor) | glibc / stack | sh_malloc / stack | glibc / stack, floor taken off |\n");
    printf("|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int row = 0; row < NROWS; row++) {
        cell *c = cells[row];
        if (c[STACK].checksum != c[GLIBC].checksum || c[STACK].checksum != c[SH].checksum ||
            c[STACK].checksum != c[FLOOR].checksum) {
            fprintf(stderr, "checksums differ for N = %d: %s %llu, %s %llu, %s %llu\n", ns[row],
                    kind_names[STACK], (unsigned long long)c[STACK].checksum,
                    kind_names[GLIBC], (unsigned long long)c[GLIBC].checksum,
                    kind_names[SH], (unsigned long long)c[SH].checksum);
            ok = 0;
        }
        double fl = c[FLOOR].best_ns;
        printf("| %d | %.2f ns | %.2f ns | %.2f ns | %.2f ns | %.1f× | %.1f× | %.1f× |\n", ns[row],
               c[STACK].best_ns, c[GLIBC].best_ns, c[SH].best_ns, fl,
               c[GLIBC].best_ns / c[STACK].best_ns, c[SH].best_ns / c[STACK].best_ns,
               (c[GLIBC].best_ns - fl) / (c[STACK].best_ns - fl));
    }
    printf("\nns per allocation, best of %d runs; a heap allocation's time includes its free, a "
           "stack allocation's its share of one push and one pop. Every loop writes and reads back "
           "two bytes of each block; the floor is that loop alone, without allocating.\n", RUNS);
    sh_stack_destroy(st);
    return ok ? 0 : 1;
}
