/*
 * wl_prodcon — blocks allocated on one thread and freed on another.
 *
 * Two producer/consumer pairs. A producer allocates messages, fills them and hands them in
 * batches through a bounded queue (wl_queue.h) to its consumer, which checks each message
 * and frees it. Every free is a cross-thread free: allocators that take a lock or bounce a
 * cache line per remote free pay for it here, and those that never hand memory back to the
 * producer's side grow instead.
 *
 * Sizes: mostly 16..256 bytes, one in sixteen up to 2 KiB (the default); with "mixed",
 * log-uniform from 16 B to 64 KiB, so as many messages are near 64 bytes as near 32 KiB
 * and the consumer's frees land in every size class, pages and larger blocks alike.
 *
 * Usage: wl_prodcon [messages per pair [mixed]]
 */
#include "wl_queue.h"

#define PAIRS 2

typedef struct pair {
    wl_queue q;
    uint64_t id;
    uint64_t sum;            /* the consumer's result */
} pair;

static pair pairs[PAIRS];
static long messages_per_pair;
static int mixed;

static size_t message_size(uint64_t *rng) {
    if (mixed) {
        unsigned shift = (unsigned)wl_between(rng, 4, 15);  /* 16 B .. 32 KiB */
        size_t lo = (size_t)1 << shift;
        return wl_between(rng, lo, 2 * lo);                   /* .. 64 KiB */
    }
    return (wl_rand(rng) % 16 == 0) ? wl_between(rng, 257, 2048) : wl_between(rng, 16, 256);
}

static void *producer(void *arg) {
    pair *p = arg;
    uint64_t rng = p->id + 101;
    for (long i = 0; i < messages_per_pair;) {
        wl_batch *b = wl_alloc(sizeof *b);
        for (b->count = 0; b->count < WL_BATCH && i < messages_per_pair; b->count++, i++) {
            wl_message *m = &b->msg[b->count];
            m->size = message_size(&rng);
            m->tag = (p->id << 56) | (uint64_t)i;
            m->ptr = wl_alloc(m->size);
            wl_message_fill(m);
        }
        wl_queue_put(&p->q, b);
    }
    return NULL;
}

static void *consumer(void *arg) {
    pair *p = arg;
    uint64_t sum = 0;
    for (long done = 0; done < messages_per_pair;) {
        wl_batch *b = wl_queue_take(&p->q);
        for (size_t j = 0; j < b->count; j++)
            sum += wl_message_release(&b->msg[j]);
        done += (long)b->count;
        free(b);
    }
    p->sum = sum;
    return NULL;
}

int main(int argc, char **argv) {
    messages_per_pair = wl_scale(argc, argv, 5000000);
    if (argc > 3 || (argc == 3 && strcmp(argv[2], "mixed") != 0)) {
        fprintf(stderr, "usage: %s [messages per pair [mixed]]\n", argv[0]);
        return 2;
    }
    mixed = argc == 3;
    pthread_t threads[2 * PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        pair *p = &pairs[i];
        p->id = (uint64_t)i;
        wl_queue_init(&p->q);
        if (pthread_create(&threads[2 * i], NULL, consumer, p) != 0 ||
            pthread_create(&threads[2 * i + 1], NULL, producer, p) != 0) {
            fprintf(stderr, "wl_prodcon: pthread_create failed\n");
            return 3;
        }
    }
    for (int i = 0; i < 2 * PAIRS; i++)
        pthread_join(threads[i], NULL);
    uint64_t sum = 0;
    for (int i = 0; i < PAIRS; i++)
        sum += pairs[i].sum;
    wl_print_checksum(sum);
    return 0;
}
