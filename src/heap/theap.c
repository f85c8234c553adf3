/*
 * theap.c — per-thread heaps: made on a thread's first allocation, abandoned at its exit,
 * recycled for the next thread; the process-wide start-up; fork handling.
 *
 * A thread starts with its heap pointer on a shared empty heap whose pages have no free
 * blocks, so the fast path needs no "initialised?" test: the first allocation simply
 * falls through to the slow path, which makes the real heap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

shi_globals shi_g;
shi_page shi_empty_page;
shi_theap shi_empty_heap = {
    .direct = {[0 ... SH_DIRECT_SLOTS - 1] = &shi_empty_page},
};
shi_theap shi_exited_heap = {
    .direct = {[0 ... SH_DIRECT_SLOTS - 1] = &shi_empty_page},
};
__thread shi_theap *shi_tl_heap = &shi_empty_heap;

static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static shi_theap *all_heaps;
static shi_theap *heap_pool;        /* unused heap structs, mapped a page at a time */
static unsigned next_arena;
static pthread_key_t heap_key;

void shi_heaps_lock(void) { pthread_mutex_lock(&heaps_lock); }
void shi_heaps_unlock(void) { pthread_mutex_unlock(&heaps_lock); }
shi_theap *shi_heaps_first(void) { return all_heaps; }

static bool env_on(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

/* ---- fork: hold every lock across fork so the child finds them consistent ------------------ */

static void fork_prepare(void) {
    shi_purge_fork_prepare();
    shi_heaps_lock();
    shi_abandoned_lock();
    shi_medium_lock_all();
    shi_huge_lock();
    shi_segments_lock();
}

static void fork_parent(void) {
    shi_segments_unlock();
    shi_huge_unlock();
    shi_medium_unlock_all();
    shi_abandoned_unlock();
    shi_heaps_unlock();
}

/* The part of h->live not yet in the process-wide published sum goes there. */
void shi_theap_publish(shi_theap *h) {
    int64_t d = h->live - h->published;
    if (d) {
        atomic_fetch_add_explicit(&shi_g.small_pub, d, memory_order_relaxed);
        h->published = h->live;
    }
}

/* A heap whose thread is gone: its counters move to the process totals and the struct is
 * free for the next thread. Called with the heaps lock held (or in a fork child). */
static void heap_retire(shi_theap *h) {
    shi_theap_publish(h);
    atomic_fetch_add_explicit(&shi_g.xlive, h->live, memory_order_relaxed);
    atomic_fetch_add_explicit(&shi_g.xallocs, h->allocs, memory_order_relaxed);
    atomic_fetch_add_explicit(&shi_g.xfrees, h->frees, memory_order_relaxed);
    h->live = h->published = 0;
    h->allocs = h->frees = 0;
    h->passed_over = 0;
    h->in_use = false;
}

/* In the child the other threads are gone, and they may have been half-way through
 * changing their own heaps: nothing of theirs is followed, only forgotten. Their segments
 * were made orphans (shi_small_fork_child) to be checked before reuse. Every lock is still
 * held, so the shared lists are as the parent's threads left them between two updates. */
static void fork_child(void) {
    shi_theap *me = shi_tl_heap;
    shi_small_fork_child(me);
    for (shi_theap *h = all_heaps; h; h = h->all_next) {
        shi_small_heap_reset_lock(h);  /* its holder, if any, is not in the child */
        if (h == me || !h->in_use) continue;
        memset(h->queues, 0, sizeof h->queues);
        h->lending = (shi_pageq){NULL, NULL};
        h->full = NULL;
        h->segments = NULL;
        atomic_store_explicit(&h->full_dirty, 0, memory_order_relaxed);
        for (size_t i = 0; i < SH_DIRECT_SLOTS; i++) h->direct[i] = &shi_empty_page;
        heap_retire(h);
    }
    if (shi_theap_owned(me)) me->thread = pthread_self();
    shi_purge_fork_child();
    fork_parent();
    for (shi_theap *h = all_heaps; h; h = h->all_next)
        if (h != me && h->mcache_n) shi_medium_cache_forget(h);
}

static void heap_done(void *arg);

/* Process start-up. Runs on the first allocation of any thread, possibly before main and
 * possibly re-entered: pthread_key_create or pthread_atfork may allocate, so the state is
 * "done" before they are called. */
void shi_init(void) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&shi_g.init_state, &expected, 1)) {
        while (atomic_load_explicit(&shi_g.init_state, memory_order_acquire) != 2) { /* spin */ }
        return;
    }
#ifdef SH_CHECKED_DEFAULT
    shi_g.checked = true;
#else
    shi_g.checked = env_on("STACKHEAP_CHECK");
#endif
    shi_g.print_stats = env_on("STACKHEAP_STATS");
    shi_stats_init();
    atomic_store_explicit(&shi_g.init_state, 2, memory_order_release);
    pthread_key_create(&heap_key, heap_done);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    shi_purge_init();
}

/* ---- heaps ----------------------------------------------------------------------------------- */

static shi_theap *heap_struct_new(void) {
    if (!heap_pool) {
        size_t n = 64 * 1024 / sizeof(shi_theap);
        shi_theap *batch = shi_os_map_meta(n * sizeof(shi_theap));
        if (!batch) return NULL;
        for (size_t i = 0; i < n; i++) {
            batch[i].all_next = heap_pool;  /* all_next doubles as the pool link */
            heap_pool = &batch[i];
        }
    }
    shi_theap *h = heap_pool;
    heap_pool = h->all_next;
    memset(h, 0, sizeof *h);
    h->all_next = all_heaps;
    all_heaps = h;
    return h;
}

/* Claims of a heap by new threads that passed a waiting heap by before it is wound up (its
 * segments to the abandoned FIFO, see shi_theap_purge_retired). A pool whose threads come
 * and go faster than the purger's passes keeps only as many whole heaps as it runs threads
 * at once: one that an overlap of threads once needed would otherwise keep its pages, the
 * blocks still in them spread thin, for as long as the pool runs. Well above the number of
 * threads a pool starts together, each of which passes the others' heaps by once. */
#define PASSED_OVER_MAX 64

/* A heap for the calling thread: preferably the one whose thread ended last, with its
 * pages as they are (the new thread most likely does what the old one did); else an empty
 * one; else a new struct. */
static shi_theap *heap_claim(void) {
    shi_heaps_lock();
    shi_theap *h = NULL, *empty = NULL, *surplus = NULL;
    for (shi_theap *r = all_heaps; r; r = r->all_next) {
        if (r->in_use) continue;
        if (!r->segments) { if (!empty) empty = r; continue; }
        if (!h || r->retired_at > h->retired_at) h = r;
    }
    for (shi_theap *r = all_heaps; r; r = r->all_next) {
        if (r->in_use || !r->segments || r == h) continue;
        if (++r->passed_over >= PASSED_OVER_MAX && !surplus && shi_small_heap_trylock(r)) {
            surplus = r;
            r->in_use = true;  /* as for the purger's tidying: nobody claims it meanwhile */
        }
    }
    if (!h) h = empty;
    if (!h) h = heap_struct_new();
    if (h) {
        h->passed_over = 0;
        h->in_use = true;
        h->thread = pthread_self();
        h->arena = next_arena++ % SH_ARENAS;
        h->last_purge = shi_clock_ms();
        h->peak_mark = 0;
        if (!h->segments)
            for (size_t i = 0; i < SH_DIRECT_SLOTS; i++) h->direct[i] = &shi_empty_page;
        h->fast = !shi_g.checked;  /* checked mode takes every allocation through its checks */
    }
    shi_heaps_unlock();
    if (surplus) {
        shi_small_heap_done(surplus);
        shi_heaps_lock();
        surplus->in_use = false;
        surplus->passed_over = 0;
        size_t noted = shi_small_heap_unlock(surplus);
        shi_heaps_unlock();
        if (noted) shi_purge_note(noted);
    }
    return h;
}

#define RETIRED_KEEP_MS 1000   /* how long an ended thread's heap waits whole for a new thread */
static _Atomic int retired_waiting;  /* a retired heap may hold segments (a hint) */

/* The purger's pass over heaps whose threads ended: each is tidied, or, once it has waited
 * RETIRED_KEEP_MS for a thread in vain, its segments go to the abandoned FIFO for the
 * threads that run (`force`: all of them at once, for sh_heap_trim and for a thread short of
 * space). `retired_waiting` (set at a retirement) is cleared by a pass that left none
 * waiting. Returns true while some still hold pages. */
bool shi_theap_purge_retired(uint64_t now, bool force) {
    bool more = false, left = false;
    size_t noted = 0;
    shi_heaps_lock();
    /* structs are never unlinked and new ones go in front: the walk may drop the lock */
    for (shi_theap *r = all_heaps; r; r = r->all_next) {
        if (r->in_use || !r->segments) continue;
        more = true;
        /* just retired: a new thread is likely to take it any moment (a pool's next) */
        if (!force && now - r->retired_at < RETIRED_KEEP_MS / 4) { left = true; continue; }
        /* taken before the heaps lock is let go: the pass over live heaps (in_use) tries it */
        if (!shi_small_heap_trylock(r)) { left = true; continue; }
        r->in_use = true;
        shi_heaps_unlock();
        bool done = force || now - r->retired_at >= RETIRED_KEEP_MS;
        if (done) shi_small_heap_done(r);
        else shi_small_heap_tidy(r, now);
        shi_heaps_lock();
        r->in_use = false;
        noted += shi_small_heap_unlock(r);
        if (!done) left = true;
    }
    if (!left) atomic_store_explicit(&retired_waiting, 0, memory_order_relaxed);
    shi_heaps_unlock();
    if (noted) shi_purge_note(noted);
    return more;
}

/* A thread that makes pages is short of space: the heaps of threads that ended go to the
 * abandoned FIFO now, as the purger would after RETIRED_KEEP_MS, where that thread takes
 * them. `retired_waiting` spares the walk of the registry when no heap waits, the common
 * case. A retirement while a pass had dropped the lock can be missed: that heap then waits
 * for the purger. */
void shi_theap_wind_up_retired(uint64_t now) {
    if (atomic_load_explicit(&retired_waiting, memory_order_relaxed)) shi_theap_purge_retired(now, true);
}

shi_theap *shi_theap_get(void) {
    shi_theap *h = shi_tl_heap;
    if (likely(shi_theap_owned(h))) return h;
    if (h == &shi_exited_heap) return NULL;  /* a heap now would outlive its thread */
    shi_ensure_init();
    h = heap_claim();
    if (!h) return NULL;
    shi_tl_heap = h;
    pthread_setspecific(heap_key, h);
    return h;
}

shi_theap *shi_theap_claim(void) {
    shi_ensure_init();
    return heap_claim();
}

/* The heap's counters move to the process totals; its pages stay with it for the next
 * thread (or the purger). */
void shi_theap_release(shi_theap *h) {
    shi_medium_cache_flush(h);
    shi_small_heap_exit(h);
    size_t held = shi_small_heap_bytes(h);
    shi_heaps_lock();
    heap_retire(h);
    h->retired_at = shi_clock_ms();
    if (h->segments) atomic_store_explicit(&retired_waiting, 1, memory_order_relaxed);
    shi_heaps_unlock();
    if (held) shi_purge_note(held);
}

/* Thread exit. Whatever the thread does after this (glibc frees its per-thread buffers
 * after the key destructors) finds shi_exited_heap and never claims a heap that no
 * destructor would retire. */
static void heap_done(void *arg) {
    shi_theap *h = arg;
    if (!h || !shi_theap_owned(h)) return;
    shi_tl_heap = &shi_exited_heap;
    shi_theap_release(h);
}
