/*
 * bench/wl_queue.h — a bounded queue of message batches between threads, for the workloads
 * where blocks are allocated on one thread and freed on another (wl_prodcon, wl_orphan).
 *
 *     wl_queue q; wl_queue_init(&q);
 *     producer: wl_batch *b = wl_alloc(sizeof *b); ...fill b->msg[0..count)...; wl_queue_put(&q, b);
 *     consumer: while ((b = wl_queue_take(&q)) != NULL) { ...check, free...; free(b); }
 *     the end:  wl_queue_put(&q, NULL) once per consumer.
 *
 * A batch is itself heap memory, made by the producer and freed by the consumer, as the
 * nodes of a real work queue are.
 */
#ifndef WL_QUEUE_H
#define WL_QUEUE_H

#include <pthread.h>

#include "wl_common.h"

#define WL_BATCH 128         /* messages handed over at once, as a real work queue would */
#define WL_QUEUE 8           /* batches in flight per queue at most */

typedef struct wl_message {
    void *ptr;
    size_t size;
    uint64_t tag;
} wl_message;

typedef struct wl_batch {
    size_t count;
    wl_message msg[WL_BATCH];
} wl_batch;

/* Blocking, not spinning: with more threads than the two cores a spinning waiter steals
 * the core from the thread it waits for, and the timing would measure the scheduler. */
typedef struct wl_queue {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    wl_batch *slots[WL_QUEUE];
    size_t head, tail;       /* count of batches taken and put; tail - head <= WL_QUEUE */
} wl_queue;

static inline void wl_queue_init(wl_queue *q) {
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_full, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    q->head = q->tail = 0;
}

static inline void wl_queue_put(wl_queue *q, wl_batch *b) {
    pthread_mutex_lock(&q->lock);
    while (q->tail - q->head == WL_QUEUE)
        pthread_cond_wait(&q->not_full, &q->lock);
    q->slots[q->tail++ % WL_QUEUE] = b;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

static inline wl_batch *wl_queue_take(wl_queue *q) {
    pthread_mutex_lock(&q->lock);
    while (q->tail == q->head)
        pthread_cond_wait(&q->not_empty, &q->lock);
    wl_batch *b = q->slots[q->head++ % WL_QUEUE];
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return b;
}

/* Small blocks are written in full, as real messages are; bigger ones get a word per page
 * and their last word (wl_touch), so that time goes to the allocator, not to memset. */
#define WL_FILL_MAX 2048

static inline void wl_message_fill(const wl_message *m) {
    if (m->size <= WL_FILL_MAX)
        wl_fill(m->ptr, m->size, m->tag);
    else
        wl_touch(m->ptr, m->size, m->tag);
}

/* Checks and frees the message's block; returns what the check folded, for the checksum. */
static inline uint64_t wl_message_release(const wl_message *m) {
    uint64_t sum = m->size <= WL_FILL_MAX ? wl_check(m->ptr, m->size, m->tag)
                                          : wl_probe(m->ptr, m->size, m->tag);
    free(m->ptr);
    return sum;
}

#endif
