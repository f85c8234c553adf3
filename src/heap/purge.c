/*
 * purge.c — free memory goes back to the OS after a delay, also while the program idles.
 *
 * Each tier gives back what it holds on its own calls: a thread's idle free slices when it
 * next looks for a page, an arena's idle free blocks on its next alloc or free. That leaves
 * memory nobody will call for: an arena no thread uses any more, the segments of threads
 * that ended, cached segments and mappings, and everything in a program that frees and
 * then waits, including the free slices and drained pages of a running thread that went
 * idle (shi_small_purge_live takes them under the heap's small lock, see small.c). So once
 * KICK_BYTES of such memory have come free since the last pass, a small background thread,
 * the purger, is started: every PASS_MS it makes one pass over all of it (purge_all), and
 * it ends after a few passes that found nothing left to wait for. The passes are that close
 * together because two of them tell a running thread that went idle (while others free
 * into its pages) from a busy one (small.c): with a pass every 250 ms, a pool whose main
 * thread waits while workers come and go held 45 MiB for 16 MiB live (bench/threads churn)
 * until the second pass; with 25 ms, 24-32 MiB from the second pass on. Below that amount
 * no thread is started (a small program never has one); passes then run on the slow paths
 * of the threads that still allocate.
 *
 * No thread is ever started in the fork child of a process with threads (see
 * shi_purge_fork_prepare), nor in a program that has none of its own: a second thread would
 * turn every lock in the process (ours, stdio's) from a plain store into an atomic
 * instruction (glibc's single-thread fast path), costing a single-threaded program more
 * than it gains. Such a program gets its memory back on its own heap calls after the
 * delay, or at once from sh_heap_trim() / malloc_trim().
 *
 * STACKHEAP_BACKGROUND=0 does without the thread: memory then goes back only on heap calls.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define SH_SINGLE_THREADED() (__libc_single_threaded != 0)
#else
#define SH_SINGLE_THREADED() false
#endif

#include "internal.h"

#define TICK_MS 250        /* passes on the slow paths of a program without a purger */
#define PASS_MS 25         /* the purger's passes */
#define IDLE_PASSES 10     /* passes with nothing waiting before the purger ends */
#define RETRY_MS 1000      /* after a failed pthread_create */
#define KICK_BYTES ((size_t)4 << 20)

static bool background = true;
static _Atomic int running;              /* the purger thread exists */
static _Atomic int kicked;               /* something new waits since its last pass */
static _Atomic uint64_t next_pass_ms;    /* passes on slow paths: not before this */
static _Atomic uint64_t next_start_ms;
static _Atomic int exiting;
static _Atomic size_t pending;           /* bytes noted since the last pass */
static _Atomic int forked;               /* a fork child of a process with threads */
static bool parent_threaded;             /* fork_prepare: the process had threads */

void shi_purge_init(void) {
    const char *v = getenv("STACKHEAP_BACKGROUND");
    background = !(v && strcmp(v, "0") == 0);
}

/* The process is ending: no new thread. */
__attribute__((destructor)) static void purge_at_exit(void) { atomic_store(&exiting, 1); }

/* One pass over what no thread's own calls would purge. `wait`: the purger may wait for a
 * busy arena; a slow path passes it by. Returns true if memory still waits for its delay. */
bool shi_purge_all(bool wait) {
    uint64_t now = shi_clock_ms();
    atomic_store_explicit(&pending, 0, memory_order_relaxed);
    bool more = shi_medium_purge_all(wait);
    if (shi_theap_purge_retired(now, false)) more = true;
    if (shi_small_purge_live(now, false)) more = true;
    if (shi_small_purge_abandoned(now, false)) more = true;
    if (shi_small_cache_trim(now, false)) more = true;
    shi_huge_trim(false);
    if (shi_huge_pending()) more = true;
    return more;
}

static void *purger_main(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "stackheap-purge");
    shi_small_purge_live(shi_clock_ms(), true);  /* the first pass can then tell idle threads */
    unsigned idle = 0;
    for (;;) {
        struct timespec ts = {0, PASS_MS * 1000000L};
        nanosleep(&ts, NULL);
        if (atomic_exchange_explicit(&kicked, 0, memory_order_relaxed)) idle = 0;
        if (shi_purge_all(true)) { idle = 0; continue; }
        if (++idle < IDLE_PASSES) continue;
        atomic_store(&running, 0);
        /* a kick that saw `running` still set did not start a thread: take it here */
        int expected = 0;
        if (atomic_load(&kicked) && atomic_compare_exchange_strong(&running, &expected, 1)) {
            idle = 0;
            continue;
        }
        return NULL;
    }
}

/* Called where memory has started to wait (never with a heap lock held: pthread_create
 * allocates). Cheap when the purger runs already. */
void shi_purge_kick(void) {
    if (atomic_load_explicit(&running, memory_order_relaxed)) {
        if (!atomic_load_explicit(&kicked, memory_order_relaxed))
            atomic_store_explicit(&kicked, 1, memory_order_relaxed);
        return;
    }
    if (!background || SH_SINGLE_THREADED() || atomic_load_explicit(&forked, memory_order_relaxed) ||
        atomic_load_explicit(&exiting, memory_order_relaxed) ||
        atomic_load_explicit(&shi_g.init_state, memory_order_acquire) != 2)
        return;
    uint64_t now = shi_clock_ms();
    if (now < atomic_load_explicit(&next_start_ms, memory_order_relaxed)) return;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&running, &expected, 1)) return;
    atomic_store_explicit(&kicked, 1, memory_order_relaxed);
    /* The thread takes no signal of the program's: its handlers must not run on it. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_t t;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 128 * 1024);
        rc = pthread_create(&t, &attr, purger_main, NULL);
        pthread_attr_destroy(&attr);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        atomic_store_explicit(&next_start_ms, now + RETRY_MS, memory_order_relaxed);
        atomic_store(&running, 0);
    }
}

/* `bytes` came free where only a pass would give them back. */
void shi_purge_note(size_t bytes) {
    size_t now = atomic_fetch_add_explicit(&pending, bytes, memory_order_relaxed) + bytes;
    if (now >= KICK_BYTES) shi_purge_kick();
}

/* A pass from a slow path, when one is due and no purger makes them. */
void shi_purge_tick(uint64_t now) {
    if (atomic_load_explicit(&running, memory_order_relaxed)) return;
    uint64_t due = atomic_load_explicit(&next_pass_ms, memory_order_relaxed);
    if (now < due) return;
    if (!atomic_compare_exchange_strong(&next_pass_ms, &due, now + TICK_MS)) return;
    shi_purge_all(false);
}

/* The purger does not exist in a fork child. A child of a process that had threads never
 * starts one: those threads may have held runtime locks at the fork that pthread_create
 * needs (ASan's thread registry, seen deadlocking here; POSIX allows such a child only
 * async-signal-safe calls), and such a child is commonly on its way to exec. It gets its
 * memory back on its own calls, as a program without threads. */
void shi_purge_fork_prepare(void) { parent_threaded = !SH_SINGLE_THREADED(); }

void shi_purge_fork_child(void) {
    if (parent_threaded) atomic_store(&forked, 1);
    atomic_store(&running, 0);
    atomic_store(&kicked, 0);
    atomic_store(&next_start_ms, 0);
}
