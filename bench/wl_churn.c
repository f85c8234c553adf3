/*
 * wl_churn — small-object churn on one thread.
 *
 * A table of live objects where each step frees a random resident and puts a new object of
 * a new size in its place, plus now and then a short burst of temporaries freed in reverse
 * order (the scratch buffers of a parser or formatter). Sizes are mostly tiny with a tail
 * up to 512 bytes, the shape of strings, list nodes and structs in real programs.
 * This is the fast path of every allocator: size-class lookup, thread cache, reuse.
 *
 * Usage: wl_churn [steps]
 */
#include "wl_common.h"

#define SLOTS 32768      /* live set of ~3 MiB: beyond L2, so reuse order matters */
#define BURST_MAX 16

static size_t small_size(uint64_t *rng) {
    uint64_t r = wl_rand(rng);
    switch (r & 7) {                 /* 5/8 tiny, 2/8 small, 1/8 up to 512 bytes */
    case 0: case 1: case 2: case 3: case 4: return 8 + (size_t)((r >> 8) % 57);
    case 5: case 6: return 64 + (size_t)((r >> 8) % 129);
    default: return 192 + (size_t)((r >> 8) % 321);
    }
}

typedef struct slot {
    void *ptr;
    size_t size;
    uint64_t tag;
} slot;

static uint64_t replace(slot *s, uint64_t *rng, uint64_t tag) {
    uint64_t sum = 0;
    if (s->ptr) {
        sum = wl_check(s->ptr, s->size, s->tag);
        free(s->ptr);
    }
    s->size = small_size(rng);
    s->tag = tag;
    s->ptr = wl_alloc(s->size);
    wl_fill(s->ptr, s->size, tag);
    return sum;
}

/* Temporaries live only for a moment and die youngest first, like a call chain's. */
static uint64_t burst(uint64_t *rng, uint64_t tag) {
    void *tmp[BURST_MAX];
    size_t size[BURST_MAX];
    size_t n = wl_between(rng, 2, BURST_MAX);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        size[i] = small_size(rng);
        tmp[i] = wl_alloc(size[i]);
        wl_fill(tmp[i], size[i], tag + i);
    }
    for (size_t i = n; i-- > 0;) {
        sum += wl_check(tmp[i], size[i], tag + i);
        free(tmp[i]);
    }
    return sum;
}

int main(int argc, char **argv) {
    long steps = wl_scale(argc, argv, 8000000);
    slot *table = calloc(SLOTS, sizeof *table);
    if (!table)
        return 3;
    uint64_t rng = 1, sum = 0;
    for (long i = 0; i < steps; i++) {
        uint64_t tag = (uint64_t)i << 8;
        if ((i & 31) == 0)
            sum += burst(&rng, tag | 0x80);
        sum += replace(&table[wl_rand(&rng) % SLOTS], &rng, tag);
    }
    for (size_t i = 0; i < SLOTS; i++) {
        if (table[i].ptr) {
            sum += wl_check(table[i].ptr, table[i].size, table[i].tag);
            free(table[i].ptr);
        }
    }
    free(table);
    wl_print_checksum(sum);
    return 0;
}
