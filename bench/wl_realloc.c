/*
 * wl_realloc — buffers grown by realloc, from a few bytes to up to 1 MiB.
 *
 * Sixty-four string builders grow side by side, round robin, each by appending a chunk
 * and calling realloc for exactly the new length (the naive way much C code grows a
 * buffer). Chunks grow with the buffer, about 3 % of it on average, so a buffer goes
 * through hundreds of reallocs on its way up. Because its neighbours grow too, a buffer
 * cannot always extend in place: the allocator's choice between growing in place, moving,
 * and remapping is what gets timed. A finished buffer is checked in full and freed.
 *
 * Usage: wl_realloc [buffers built]
 */
#include "wl_common.h"

#define BUILDERS 64

typedef struct builder {
    char *buf;
    size_t len, target;
    uint64_t tag;
} builder;

/* Byte i of a buffer is byte i of the word stream wl_fill writes, so wl_check verifies a
 * whole buffer, and any shift of moved data changes what is read. */
static unsigned char stream_byte(uint64_t tag, size_t i) {
    return (unsigned char)(wl_word(tag, i / 8) >> (i % 8 * 8));
}

/* Whole words where the range allows: filling must not cost more than the reallocs. */
static void write_stream(char *buf, size_t from, size_t to, uint64_t tag) {
    size_t i = from;
    for (; i < to && i % 8 != 0; i++)
        buf[i] = (char)stream_byte(tag, i);
    for (; i + 8 <= to; i += 8)
        memcpy(buf + i, &(uint64_t){wl_word(tag, i / 8)}, 8);
    for (; i < to; i++)
        buf[i] = (char)stream_byte(tag, i);
}

/* 256 B .. 1 MiB, log-uniform: as many buffers end near 1 KiB as near 1 MiB. */
static size_t pick_target(uint64_t *rng) {
    unsigned shift = (unsigned)wl_between(rng, 8, 19);
    size_t lo = (size_t)1 << shift;
    return wl_between(rng, lo, 2 * lo - 1);
}

static void start(builder *b, uint64_t *rng, uint64_t tag) {
    b->buf = NULL;
    b->len = 0;
    b->target = pick_target(rng);
    b->tag = tag;
}

/* A few probes of the old contents after each move: cheap, and a realloc that lost or
 * shifted data is caught at the step that did it. */
static void probe(const builder *b, size_t old_len) {
    size_t at[3] = {0, old_len / 2, old_len - 1};
    for (int k = 0; k < 3; k++)
        if ((unsigned char)b->buf[at[k]] != stream_byte(b->tag, at[k]))
            wl_fail("realloc lost data", b->buf, b->len, at[k]);
}

static void append(builder *b, uint64_t *rng) {
    size_t chunk = wl_between(rng, 1, 16 + b->len / 16);
    if (b->len + chunk > b->target)
        chunk = b->target - b->len;
    size_t old_len = b->len;
    char *grown = realloc(b->buf, old_len + chunk);
    if (!grown)
        wl_fail("realloc returned NULL", b->buf, old_len + chunk, 0);
    b->buf = grown;
    b->len = old_len + chunk;
    if (old_len > 0)
        probe(b, old_len);
    write_stream(b->buf, old_len, b->len, b->tag);
}

int main(int argc, char **argv) {
    long builds = wl_scale(argc, argv, 10000);
    builder pool[BUILDERS];
    uint64_t rng = 7, sum = 0, next_tag = 1;
    for (size_t i = 0; i < BUILDERS; i++)
        start(&pool[i], &rng, next_tag++ << 32);
    for (long done = 0; done < builds;) {
        for (size_t i = 0; i < BUILDERS && done < builds; i++) {
            builder *b = &pool[i];
            append(b, &rng);
            if (b->len == b->target) {
                sum += wl_check(b->buf, b->len, b->tag);
                free(b->buf);
                start(b, &rng, next_tag++ << 32);
                done++;
            }
        }
    }
    for (size_t i = 0; i < BUILDERS; i++) {
        if (pool[i].buf)
            sum += wl_check(pool[i].buf, pool[i].len, pool[i].tag);
        free(pool[i].buf);
    }
    wl_print_checksum(sum);
    return 0;
}
