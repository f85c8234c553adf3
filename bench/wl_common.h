/*
 * bench/wl_common.h — what every workload program shares.
 *
 * A workload calls plain malloc/free (LD_PRELOAD picks the allocator), writes a pattern
 * into each block and checks it before the block is freed, so a broken allocator is caught
 * and the compiler cannot drop the work. On success it prints one line, "checksum N", that
 * must be the same under every allocator; on a bad block it names it and exits with 3.
 *
 *     uint64_t rng = 42, sum = 0;
 *     size_t n = wl_between(&rng, 16, 256);
 *     void *p = wl_alloc(n); wl_fill(p, n, tag);
 *     sum += wl_check(p, n, tag); free(p);
 *     wl_print_checksum(sum);
 *
 * Everything is static inline so each workload stays one self-contained translation unit.
 */
#ifndef WL_COMMON_H
#define WL_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WL_PAGE 4096u

/* splitmix64: one multiply chain per number, and any seed (even 0) gives a good stream,
 * which matters because seeds here are small integers such as thread numbers. */
static inline uint64_t wl_rand(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]; the modulo bias is irrelevant for a benchmark's size mix. */
static inline size_t wl_between(uint64_t *state, size_t lo, size_t hi) {
    return lo + (size_t)(wl_rand(state) % (hi - lo + 1));
}

static inline _Noreturn void wl_fail(const char *what, const void *block, size_t size,
                                     size_t offset) {
    fprintf(stderr, "workload: %s: block %p (size %zu) wrong at offset %zu\n",
            what, block, size, offset);
    exit(3);
}

static inline void *wl_alloc(size_t size) {
    void *p = malloc(size);
    if (!p) {
        fprintf(stderr, "workload: malloc(%zu) failed: %s\n", size, strerror(errno));
        exit(3);
    }
    return p;
}

/* The word expected at word index i of a block tagged `tag`: distinct per block and per
 * position, so a block handed out twice or moved wrongly by realloc shows up. */
static inline uint64_t wl_word(uint64_t tag, size_t i) {
    return tag ^ ((uint64_t)i * 0x9E3779B97F4A7C15ull);
}

/* Writes the whole block: small objects in real programs are initialised in full, and a
 * full pattern catches two blocks that overlap anywhere. Odd tails get the low bytes of
 * the next word. */
static inline void wl_fill(void *block, size_t size, uint64_t tag) {
    uint64_t *w = block;
    size_t words = size / 8;
    for (size_t i = 0; i < words; i++)
        w[i] = wl_word(tag, i);
    uint64_t last = wl_word(tag, words);
    memcpy((char *)block + words * 8, &last, size % 8);
}

/* Returns a value folded from the words read, for the checksum; fails on any mismatch. */
static inline uint64_t wl_check(const void *block, size_t size, uint64_t tag) {
    const uint64_t *w = block;
    size_t words = size / 8;
    uint64_t acc = 0;
    for (size_t i = 0; i < words; i++) {
        if (w[i] != wl_word(tag, i))
            wl_fail("pattern", block, size, i * 8);
        acc += w[i];
    }
    uint64_t last = 0, want = wl_word(tag, words);
    memcpy(&last, (const char *)block + words * 8, size % 8);
    if (memcmp(&last, &want, size % 8) != 0)
        wl_fail("pattern tail", block, size, words * 8);
    return acc + size;
}

/* Large blocks: one word per page plus the last word. That is what "touching" a buffer
 * costs the kernel (a page fault per page) without timing memset instead of the heap. */
static inline void wl_touch(void *block, size_t size, uint64_t tag) {
    char *p = block;
    for (size_t off = 0; off + 16 <= size; off += WL_PAGE)   /* never under the last word */
        memcpy(p + off, &(uint64_t){wl_word(tag, off)}, 8);
    memcpy(p + size - 8, &(uint64_t){wl_word(tag, size)}, 8);
}

static inline uint64_t wl_probe(const void *block, size_t size, uint64_t tag) {
    const char *p = block;
    uint64_t acc = 0, got;
    for (size_t off = 0; off + 16 <= size; off += WL_PAGE) {
        memcpy(&got, p + off, 8);
        if (got != wl_word(tag, off))
            wl_fail("page probe", block, size, off);
        acc += got;
    }
    memcpy(&got, p + size - 8, 8);
    if (got != wl_word(tag, size))
        wl_fail("last word", block, size, size - 8);
    return acc + got;
}

/* argv[1] scales the work; without it the workload's default is used. */
static inline long wl_scale(int argc, char **argv, long fallback) {
    if (argc < 2)
        return fallback;
    char *end;
    long v = strtol(argv[1], &end, 10);
    if (*end != '\0' || v <= 0) {
        fprintf(stderr, "usage: %s [positive scale]\n", argv[0]);
        exit(2);
    }
    return v;
}

static inline void wl_print_checksum(uint64_t sum) {
    printf("checksum %016llx\n", (unsigned long long)sum);
}

#endif
