/*
 * wl_orphan — threads that end while other threads still hold their blocks.
 *
 * Two keeper threads live for the whole run, each holding a table of 16,384 blocks.
 * Short-lived workers, two at a time, each allocate 2,000 blocks (70 % of 16..256 bytes,
 * 30 % up to 2 KiB), with some temporaries of their own, hand them in batches to a keeper
 * and end. The keeper puts each block in a random slot of its table and frees the block it
 * evicts, which a worker that ended long before allocated. So at any moment the live
 * blocks are spread over the pages of about sixteen ended threads, and every free is into
 * memory whose thread is gone. A heap that can take such pages over (or reuse the space
 * freed in them) stays at the live size; one that strands them grows with the workers.
 *
 * Usage: wl_orphan [workers]
 */
#include "wl_queue.h"

#define KEEPERS 2
#define SLOTS 16384          /* per keeper: about eight workers' worth of blocks */
#define LIVE_WORKERS 2       /* workers running at once */
#define BLOCKS 2000          /* handed over by each worker */
#define TEMPS 4              /* temporaries a worker allocates and frees per block */

typedef struct keeper {
    wl_queue q;
    wl_message table[SLOTS];
    uint64_t rng;
    uint64_t sum;
} keeper;

static keeper keepers[KEEPERS];

static size_t block_size(uint64_t *rng) {
    return (wl_rand(rng) % 10 < 7) ? wl_between(rng, 16, 256) : wl_between(rng, 257, 2048);
}

static void *keeper_main(void *arg) {
    keeper *k = arg;
    wl_batch *b;
    uint64_t sum = 0;
    while ((b = wl_queue_take(&k->q)) != NULL) {
        for (size_t j = 0; j < b->count; j++) {
            wl_message *slot = &k->table[wl_rand(&k->rng) % SLOTS];
            if (slot->ptr)
                sum += wl_message_release(slot);
            *slot = b->msg[j];
        }
        free(b);
    }
    for (size_t i = 0; i < SLOTS; i++)
        if (k->table[i].ptr)
            sum += wl_message_release(&k->table[i]);
    k->sum = sum;
    return NULL;
}

/* A worker's own short-lived blocks (parse buffers, strings) come and go between the ones
 * it hands over, so the pages it leaves behind are partly free, partly held. */
static uint64_t temporaries(uint64_t *rng, uint64_t tag) {
    wl_message t[TEMPS];
    uint64_t sum = 0;
    for (size_t i = 0; i < TEMPS; i++) {
        t[i] = (wl_message){.size = block_size(rng), .tag = tag + i};
        t[i].ptr = wl_alloc(t[i].size);
        wl_message_fill(&t[i]);
    }
    for (size_t i = TEMPS; i-- > 0;)
        sum += wl_message_release(&t[i]);
    return sum;
}

static void *worker(void *arg) {
    uint64_t id = (uint64_t)(uintptr_t)arg;
    uint64_t rng = id * 7919 + 5, sum = 0;
    keeper *k = &keepers[id % KEEPERS];
    for (size_t i = 0; i < BLOCKS;) {
        wl_batch *b = wl_alloc(sizeof *b);
        for (b->count = 0; b->count < WL_BATCH && i < BLOCKS; b->count++, i++) {
            uint64_t tag = (id << 24) | ((uint64_t)i << 4);
            sum += temporaries(&rng, tag | 8);
            wl_message *m = &b->msg[b->count];
            *m = (wl_message){.size = block_size(&rng), .tag = tag};
            m->ptr = wl_alloc(m->size);
            wl_message_fill(m);
        }
        wl_queue_put(&k->q, b);
    }
    return (void *)(uintptr_t)sum;
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg) {
    if (pthread_create(t, NULL, fn, arg) != 0) {
        fprintf(stderr, "wl_orphan: pthread_create failed\n");
        exit(3);
    }
}

static uint64_t join(pthread_t t) {
    void *part;
    pthread_join(t, &part);
    return (uint64_t)(uintptr_t)part;
}

int main(int argc, char **argv) {
    long workers = wl_scale(argc, argv, 1000);
    pthread_t kt[KEEPERS], wt[LIVE_WORKERS];
    for (int i = 0; i < KEEPERS; i++) {
        keepers[i].rng = (uint64_t)i + 77;
        wl_queue_init(&keepers[i].q);
        start(&kt[i], keeper_main, &keepers[i]);
    }
    /* Each worker's slot is taken by the next one as soon as it ends. */
    uint64_t sum = 0;
    for (long w = 0; w < workers + LIVE_WORKERS; w++) {
        pthread_t *t = &wt[w % LIVE_WORKERS];
        if (w >= LIVE_WORKERS)
            sum += join(*t);
        if (w < workers)
            start(t, worker, (void *)(uintptr_t)w);
    }
    for (int i = 0; i < KEEPERS; i++) {
        wl_queue_put(&keepers[i].q, NULL);
        pthread_join(kt[i], NULL);
        sum += keepers[i].sum;
    }
    wl_print_checksum(sum);
    return 0;
}
