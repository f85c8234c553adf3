/*
 * wl_large — large blocks, 64 KiB to 8 MiB: allocate, touch every page, free.
 *
 * Sixteen slots hold live blocks; each step replaces a random one with a block of a new
 * size, log-uniform between 64 KiB and 8 MiB (image tiles, file buffers, big vectors).
 * Every page is written, as a real user of the buffer would, so an allocator that maps
 * and unmaps each block pays a page fault per page every time, while one that keeps and
 * reuses freed memory does not, but holds more RSS. Both show in the results.
 *
 * Usage: wl_large [steps]
 */
#include "wl_common.h"

#define SLOTS 16

typedef struct slot {
    void *ptr;
    size_t size;
    uint64_t tag;
} slot;

/* Sizes are not page multiples on purpose: real requests seldom are. */
static size_t large_size(uint64_t *rng) {
    unsigned shift = (unsigned)wl_between(rng, 16, 22);      /* 64 KiB .. 4 MiB */
    size_t lo = (size_t)1 << shift;
    return wl_between(rng, lo, 2 * lo - 1);                  /* .. 8 MiB - 1 */
}

static uint64_t release(slot *s) {
    if (!s->ptr)
        return 0;
    uint64_t sum = wl_probe(s->ptr, s->size, s->tag);
    free(s->ptr);
    s->ptr = NULL;
    return sum;
}

int main(int argc, char **argv) {
    long steps = wl_scale(argc, argv, 10000);
    slot table[SLOTS] = {0};
    uint64_t rng = 3, sum = 0;
    for (long i = 0; i < steps; i++) {
        slot *s = &table[wl_rand(&rng) % SLOTS];
        sum += release(s);
        s->size = large_size(&rng);
        s->tag = (uint64_t)(i + 1) << 24;
        s->ptr = wl_alloc(s->size);
        wl_touch(s->ptr, s->size, s->tag);
    }
    for (size_t i = 0; i < SLOTS; i++)
        sum += release(&table[i]);
    wl_print_checksum(sum);
    return 0;
}
