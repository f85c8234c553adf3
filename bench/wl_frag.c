/*
 * wl_frag — what a fragmenting phase leaves behind (issue 14).
 *
 * Phase 1 fills 128 MiB (the sizes asked for) with small blocks of 16-256 bytes, then frees
 * 90 % of them at random, so every page keeps a few survivors. Phase 2 allocates 64 MiB of
 * 320-2048-byte blocks, phase 3 32 MiB of 64-512 KiB blocks (every page touched), both
 * kept live. An allocator that can only reuse phase 1's memory for phase 1's sizes holds
 * all three phases at once; one that coalesces freed small memory (glibc) or gives whole
 * free pages back serves later phases from it. The RSS at the end of each phase goes to
 * stderr ("rss after NAME: N KiB"), read from /proc/self/statm; the harness reports the
 * peak, and the last line is the figure issue 14 is about.
 *
 * Usage: wl_frag [MiB of phase 1]  (phases 2 and 3 scale with it)
 */
#include "wl_common.h"

#include <sys/mman.h>
#include <unistd.h>

/* bench/frag_walk.c builds this program on stackheap directly and looks at the heap here. */
#ifndef WL_FRAG_AFTER_PHASE
#define WL_FRAG_AFTER_PHASE(name) ((void)0)
#endif

typedef struct block {
    void *ptr;
    uint32_t size;
} block;

typedef struct phase {
    block *b;
    size_t n;
    uint64_t id;
} phase;

static void print_rss(const char *name) {
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%*s %ld", &pages) != 1) {
        fprintf(stderr, "workload: cannot read /proc/self/statm\n");
        exit(3);
    }
    fclose(f);
    fprintf(stderr, "rss after %s: %ld KiB\n", name, pages * (sysconf(_SC_PAGESIZE) / 1024));
    WL_FRAG_AFTER_PHASE(name);
}

/* The bookkeeping comes straight from the OS, so it weighs the same under every allocator
 * and is not mistaken for the allocator's own memory. */
static block *table(size_t n) {
    void *p = mmap(NULL, n * sizeof(block), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "workload: mmap of the table failed\n");
        exit(3);
    }
    return p;
}

static uint64_t tag_of(const phase *ph, size_t i) {
    return ph->id << 40 ^ i;
}

/* Allocates blocks of lo..hi bytes until `total` bytes were asked for. Large blocks only
 * have every page touched, as a real buffer would be; small ones are written in full. */
static void fill_phase(phase *ph, uint64_t *rng, size_t total, size_t lo, size_t hi,
                       int touch) {
    ph->b = table(total / lo + 1);
    ph->id = wl_rand(rng) >> 24;
    ph->n = 0;
    for (size_t asked = 0; asked < total; ph->n++) {
        block *b = &ph->b[ph->n];
        b->size = (uint32_t)wl_between(rng, lo, hi);
        b->ptr = wl_alloc(b->size);
        if (touch)
            wl_touch(b->ptr, b->size, tag_of(ph, ph->n));
        else
            wl_fill(b->ptr, b->size, tag_of(ph, ph->n));
        asked += b->size;
    }
}

static uint64_t release(phase *ph, size_t i, int touch) {
    block *b = &ph->b[i];
    if (!b->ptr)
        return 0;
    uint64_t sum = touch ? wl_probe(b->ptr, b->size, tag_of(ph, i))
                         : wl_check(b->ptr, b->size, tag_of(ph, i));
    free(b->ptr);
    b->ptr = NULL;
    return sum;
}

int main(int argc, char **argv) {
    size_t mib = (size_t)wl_scale(argc, argv, 128);
    uint64_t rng = 14, sum = 0;
    phase small, medium, large;

    fill_phase(&small, &rng, mib << 20, 16, 256, 0);
    print_rss("small blocks allocated");
    for (size_t i = 0; i < small.n; i++)       /* keep one in ten, at random */
        if (wl_rand(&rng) % 10 != 0)
            sum += release(&small, i, 0);
    print_rss("90 % of them freed");

    fill_phase(&medium, &rng, mib << 19, 320, 2048, 0);
    print_rss("320-2048 B blocks");

    fill_phase(&large, &rng, mib << 18, 64 << 10, 512 << 10, 1);
    print_rss("64-512 KiB blocks");

    for (size_t i = 0; i < small.n; i++)
        sum += release(&small, i, 0);
    for (size_t i = 0; i < medium.n; i++)
        sum += release(&medium, i, 0);
    for (size_t i = 0; i < large.n; i++)
        sum += release(&large, i, 1);
    wl_print_checksum(sum);
    return 0;
}
