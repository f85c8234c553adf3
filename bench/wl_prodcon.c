/*
 * wl_prodcon — blocks allocated on one thread and freed on another.
 *
 * Two producer/consumer pairs. A producer allocates messages (mostly 16..256 bytes, one in
 * sixteen up to 2 KiB), fills them and hands them in batches through a bounded queue to
 * its consumer, which checks each message and frees it. Every free is a cross-thread
 * free: allocators that take a lock or bounce a cache line per remote free pay for it
 * here, and those that never hand memory back to the producer's side grow instead.
 *
 * Usage: wl_prodcon [messages per pair]
 */
#include <pthread.h>

#include "wl_common.h"

#define PAIRS 2
#define BATCH 128            /* messages handed over at once, as a real work queue would */
#define QUEUE 8              /* batches in flight per pair at most */

typedef struct message {
    void *ptr;
    size_t size;
    uint64_t tag;
} message;

/* A batch is itself heap memory made by the producer and freed by the consumer. */
typedef struct batch {
    size_t count;
    message msg[BATCH];
} batch;

/* Blocking, not spinning: with four threads on two cores a spinning waiter steals the
 * core from the thread it waits for, and the timing would measure the scheduler. */
typedef struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    batch *slots[QUEUE];
    size_t head, tail;       /* count of batches taken and put; tail - head <= QUEUE */
    uint64_t pair;
    uint64_t sum;            /* the consumer's result */
} queue;

static queue queues[PAIRS];
static long messages_per_pair;

static size_t message_size(uint64_t *rng) {
    return (wl_rand(rng) % 16 == 0) ? wl_between(rng, 257, 2048) : wl_between(rng, 16, 256);
}

static void put(queue *q, batch *b) {
    pthread_mutex_lock(&q->lock);
    while (q->tail - q->head == QUEUE)
        pthread_cond_wait(&q->not_full, &q->lock);
    q->slots[q->tail++ % QUEUE] = b;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

static batch *take(queue *q) {
    pthread_mutex_lock(&q->lock);
    while (q->tail == q->head)
        pthread_cond_wait(&q->not_empty, &q->lock);
    batch *b = q->slots[q->head++ % QUEUE];
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return b;
}

static void *producer(void *arg) {
    queue *q = arg;
    uint64_t rng = q->pair + 101;
    for (long i = 0; i < messages_per_pair;) {
        batch *b = wl_alloc(sizeof *b);
        for (b->count = 0; b->count < BATCH && i < messages_per_pair; b->count++, i++) {
            message *m = &b->msg[b->count];
            m->size = message_size(&rng);
            m->tag = (q->pair << 56) | (uint64_t)i;
            m->ptr = wl_alloc(m->size);
            wl_fill(m->ptr, m->size, m->tag);
        }
        put(q, b);
    }
    return NULL;
}

static void *consumer(void *arg) {
    queue *q = arg;
    uint64_t sum = 0;
    for (long done = 0; done < messages_per_pair;) {
        batch *b = take(q);
        for (size_t j = 0; j < b->count; j++) {
            sum += wl_check(b->msg[j].ptr, b->msg[j].size, b->msg[j].tag);
            free(b->msg[j].ptr);
        }
        done += (long)b->count;
        free(b);
    }
    q->sum = sum;
    return NULL;
}

int main(int argc, char **argv) {
    messages_per_pair = wl_scale(argc, argv, 5000000);
    pthread_t threads[2 * PAIRS];
    for (int p = 0; p < PAIRS; p++) {
        queue *q = &queues[p];
        q->pair = (uint64_t)p;
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->not_full, NULL);
        pthread_cond_init(&q->not_empty, NULL);
        if (pthread_create(&threads[2 * p], NULL, consumer, q) != 0 ||
            pthread_create(&threads[2 * p + 1], NULL, producer, q) != 0) {
            fprintf(stderr, "wl_prodcon: pthread_create failed\n");
            return 3;
        }
    }
    for (int i = 0; i < 2 * PAIRS; i++)
        pthread_join(threads[i], NULL);
    uint64_t sum = 0;
    for (int p = 0; p < PAIRS; p++)
        sum += queues[p].sum;
    wl_print_checksum(sum);
    return 0;
}
