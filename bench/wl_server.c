/*
 * wl_server — worker threads serving request-like bursts.
 *
 * Each of four threads handles requests: a request allocates a few dozen blocks of mixed
 * sizes (headers, strings, parse trees, an occasional body buffer), frees most of them in
 * no particular order when it ends, and keeps about one in ten in a shared session cache.
 * Putting a block in the cache evicts a random older one, often allocated by another
 * thread, so some frees cross threads as they do in a real server. Four threads on any
 * core count, so the work and the checksum never depend on the machine.
 *
 * Usage: wl_server [requests per thread]
 */
#include <pthread.h>
#include <stdatomic.h>

#include "wl_common.h"

#define THREADS 4
#define CACHE_SLOTS 8192     /* the sessions kept between requests */
#define REQUEST_MAX 96

typedef struct block {
    void *ptr;
    size_t size;
    uint64_t tag;
} block;

/* A cached entry is a heap-allocated record, so exchanging it is one atomic swap. */
static _Atomic(block *) cache[CACHE_SLOTS];
static long requests_per_thread;

static size_t request_size(uint64_t *rng) {
    uint64_t r = wl_rand(rng) % 100;
    if (r < 70)
        return wl_between(rng, 16, 256);
    if (r < 95)
        return wl_between(rng, 257, 4096);
    return wl_between(rng, 4097, 32768);
}

static uint64_t release(block *b) {
    uint64_t sum = wl_check(b->ptr, b->size, b->tag);
    free(b->ptr);
    return sum;
}

static uint64_t keep(block *b, uint64_t *rng) {
    block *rec = wl_alloc(sizeof *rec);
    *rec = *b;
    block *old = atomic_exchange(&cache[wl_rand(rng) % CACHE_SLOTS], rec);
    if (!old)
        return 0;
    uint64_t sum = release(old);
    free(old);
    return sum;
}

static uint64_t serve(uint64_t *rng, uint64_t tag) {
    block live[REQUEST_MAX];
    size_t n = wl_between(rng, 8, REQUEST_MAX);
    for (size_t i = 0; i < n; i++) {
        live[i].size = request_size(rng);
        live[i].tag = tag + i;
        live[i].ptr = wl_alloc(live[i].size);
        wl_fill(live[i].ptr, live[i].size, live[i].tag);
    }
    /* The end of a request: free in a shuffled order, keeping a few. */
    uint64_t sum = 0;
    while (n > 0) {
        size_t i = (size_t)(wl_rand(rng) % n);
        block b = live[i];
        live[i] = live[--n];
        sum += (wl_rand(rng) % 10 == 0) ? keep(&b, rng) : release(&b);
    }
    return sum;
}

static void *worker(void *arg) {
    uint64_t id = (uint64_t)(uintptr_t)arg;
    uint64_t rng = id * 7919 + 1, sum = 0;
    for (long r = 0; r < requests_per_thread; r++)
        sum += serve(&rng, (id << 56) | ((uint64_t)r << 8));
    return (void *)(uintptr_t)sum;
}

/* Every block is checked exactly once before it is freed, whichever thread frees it, so
 * the total of the checks does not depend on scheduling. */
static uint64_t drain_cache(void) {
    uint64_t sum = 0;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        block *b = atomic_exchange(&cache[i], NULL);
        if (b) {
            sum += release(b);
            free(b);
        }
    }
    return sum;
}

int main(int argc, char **argv) {
    requests_per_thread = wl_scale(argc, argv, 25000);
    pthread_t threads[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++) {
        if (pthread_create(&threads[i], NULL, worker, (void *)i) != 0) {
            fprintf(stderr, "wl_server: pthread_create failed\n");
            return 3;
        }
    }
    uint64_t sum = 0;
    for (int i = 0; i < THREADS; i++) {
        void *part;
        pthread_join(threads[i], &part);
        sum += (uint64_t)(uintptr_t)part;
    }
    sum += drain_cache();
    wl_print_checksum(sum);
    return 0;
}
