/*
 * small.c — blocks up to 32 KiB, from per-size-class pages owned by one thread heap.
 *
 * A page's owner allocates from `free` and frees onto it with plain loads and stores: the
 * block freed last is handed out next, while still in the cache. Other threads push onto
 * the page's atomic `xfree` list, which the owner takes over when `free` runs dry: a
 * cross-thread free is one CAS on memory nobody else writes to at that moment, and never a
 * lock. Pages found full move to the heap's `full` list so the search for space does not
 * rescan them; a free into a full page brings it back.
 *
 * When a thread exits, its heap waits whole for the next thread (theap.c), which takes over
 * its pages as they are: a pool of threads that come and go reuses the same pages, as
 * glibc reuses an arena. A heap that no thread takes within a second has its segments put
 * on the back of the abandoned FIFO; a thread short of space takes the oldest one (the
 * likeliest to have been freed meanwhile), and the purger (purge.c) visits them all every
 * so often, taking in the frees made into their pages and giving empty pages and empty
 * segments back, so memory of threads that ended is reused or returned however many
 * threads come and go. A heap that new threads keep passing by (a pool that once ran more
 * threads than it does now) is wound up the same way. The purger also reaches the heaps of
 * running threads, under their small lock (see "the heap lock" below).
 *
 * fork(): the child has only the thread that forked, and the other threads may have been
 * anywhere in their lock-free page updates. The child therefore never follows another
 * thread's lists; their segments become orphans on the abandoned FIFO, and each orphan page
 * is checked (every list in bounds, no block twice, the counts adding up) before it is used
 * again. A page that does not add up is quarantined: never allocated from again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "internal.h"

#define PURGE_DELAY_MS 500 /* how long free slices stay committed before going to the OS */
#define SEG_CACHE_MAX 8
#define RECLAIM_TRIES 8    /* abandoned segments looked at by one search for space */

static pthread_mutex_t segments_lock = PTHREAD_MUTEX_INITIALIZER;  /* all_* links, cache */
static shi_segment *all_segments;
static shi_segment *seg_cache;
static size_t seg_cache_count;

static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;
static shi_segment *abandoned_head, *abandoned_tail;   /* oldest first */
static _Atomic size_t abandoned_count;

void shi_segments_lock(void) { pthread_mutex_lock(&segments_lock); }
void shi_segments_unlock(void) { pthread_mutex_unlock(&segments_lock); }
shi_segment *shi_segments_first(void) { return all_segments; }
void shi_abandoned_lock(void) { pthread_mutex_lock(&abandoned_lock); }
void shi_abandoned_unlock(void) { pthread_mutex_unlock(&abandoned_lock); }

static void abandoned_push_locked(shi_segment *seg) {
    seg->in_abandoned = 1;
    seg->next = NULL;
    seg->prev = abandoned_tail;
    if (abandoned_tail) abandoned_tail->next = seg; else abandoned_head = seg;
    abandoned_tail = seg;
    atomic_fetch_add_explicit(&abandoned_count, 1, memory_order_relaxed);
}

static shi_segment *abandoned_pop(void) {
    if (!atomic_load_explicit(&abandoned_count, memory_order_relaxed)) return NULL;
    pthread_mutex_lock(&abandoned_lock);
    shi_segment *seg = abandoned_head;
    if (seg) {
        abandoned_head = seg->next;
        if (abandoned_head) abandoned_head->prev = NULL; else abandoned_tail = NULL;
        seg->next = seg->prev = NULL;
        seg->in_abandoned = 0;
        atomic_fetch_sub_explicit(&abandoned_count, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&abandoned_lock);
    return seg;
}

static void abandoned_push(shi_segment *seg) {
    pthread_mutex_lock(&abandoned_lock);
    abandoned_push_locked(seg);
    pthread_mutex_unlock(&abandoned_lock);
}

/* ---- the heap lock: the owner's slow paths against the purger --------------------------------

 * A heap's owner changes its pages on the fast path with plain loads and stores, and nobody
 * else may. Everything else of the heap's small state (its segment list, each segment's
 * slice map and touched bytes, page headers, queues, the capacity of pages) changes on slow
 * paths only, and there the owner holds h->small_lock: one compare-and-swap per slow path,
 * none on the fast path. The purger takes the lock with a try only (it never waits for a
 * thread that is busy), and then may give back what no fast path of the owner can reach:
 * free slices of its segments, and pages whose every carved block other threads freed
 * (page_drain). `epoch` counts the owner's slow paths, so the purger drains pages only in
 * heaps that had none for a whole pass: a busy owner collects its own. The owner may take
 * the lock again while it holds it (a slow path that ends up in another), hence the depth. */
enum { LOCK_FREE = 0, LOCK_OWNER = 1, LOCK_OTHER = 2 };

static void heap_lock(shi_theap *h) {
    if (atomic_load_explicit(&h->small_lock, memory_order_relaxed) == LOCK_OWNER) {
        h->small_depth++;  /* only this thread sets LOCK_OWNER on its heap */
        return;
    }
    uint32_t expected = LOCK_FREE;
    while (!atomic_compare_exchange_weak_explicit(&h->small_lock, &expected, LOCK_OWNER,
                                                  memory_order_acquire, memory_order_relaxed)) {
        expected = LOCK_FREE;
        sched_yield();  /* the purger is giving back this heap's memory: a few system calls */
    }
    h->epoch++;
}

static void heap_unlock(shi_theap *h) {
    if (h->small_depth) { h->small_depth--; return; }
    size_t noted = h->noted;
    h->noted = 0;
    atomic_store_explicit(&h->small_lock, LOCK_FREE, memory_order_release);
    /* after the unlock: a kick may start the purger, and pthread_create allocates */
    if (noted) shi_purge_note(noted);
}

bool shi_small_heap_trylock(shi_theap *h) {
    uint32_t expected = LOCK_FREE;
    return atomic_compare_exchange_strong_explicit(&h->small_lock, &expected, LOCK_OTHER,
                                                   memory_order_acquire, memory_order_relaxed);
}

size_t shi_small_heap_unlock(shi_theap *h) {
    size_t noted = h->noted;
    h->noted = 0;
    atomic_store_explicit(&h->small_lock, LOCK_FREE, memory_order_release);
    return noted;
}

void shi_small_heap_reset_lock(shi_theap *h) {
    atomic_store_explicit(&h->small_lock, LOCK_FREE, memory_order_relaxed);
    h->small_depth = 0;
    h->noted = 0;
}

/* ---- queues ------------------------------------------------------------------------------ */

static void list_remove(shi_page **head, shi_page **tail, shi_page *pg) {
    if (pg->prev) pg->prev->next = pg->next; else *head = pg->next;
    if (pg->next) pg->next->prev = pg->prev; else if (tail) *tail = pg->prev;
    pg->next = pg->prev = NULL;
}

static void queue_push_back(shi_pageq *q, shi_page *pg) {
    pg->next = NULL;
    pg->prev = q->last;
    if (q->last) q->last->next = pg; else q->first = pg;
    q->last = pg;
}

static void queue_push_front(shi_pageq *q, shi_page *pg) {
    pg->prev = NULL;
    pg->next = q->first;
    if (q->first) q->first->prev = pg; else q->last = pg;
    q->first = pg;
}

static void full_push(shi_theap *h, shi_page *pg) {
    __atomic_or_fetch(&pg->flags, PAGE_IN_FULL, __ATOMIC_RELAXED);
    pg->prev = NULL;
    pg->next = h->full;
    if (h->full) h->full->prev = pg;
    h->full = pg;
}

static void page_unlink(shi_theap *h, shi_page *pg) {
    if (pg->flags & PAGE_LENDING) {
        list_remove(&h->lending.first, &h->lending.last, pg);
    } else if (pg->flags & PAGE_IN_FULL) {
        list_remove(&h->full, NULL, pg);
        __atomic_and_fetch(&pg->flags, (uint8_t)~PAGE_IN_FULL, __ATOMIC_RELAXED);
    } else {
        shi_pageq *q = &h->queues[pg->sclass];
        list_remove(&q->first, &q->last, pg);
    }
}

/* The fast path reads direct[size/16]; point every slot of class c at pg. */
static void set_direct(shi_theap *h, unsigned c, shi_page *pg) {
    if (c > shi_size_class(SH_DIRECT_MAX) || shi_g.checked) return;
    size_t lo = c == 1 ? 0 : (shi_class_size(c - 1) + 16) / 16;
    size_t hi = shi_class_size(c) / 16;
    for (size_t i = lo; i <= hi && i < SH_DIRECT_SLOTS; i++) h->direct[i] = pg ? pg : &shi_empty_page;
}

/* ---- pages -------------------------------------------------------------------------------- */

/* ---- lending pages: the bits (see shi_lend_bits in internal.h) -------------------------- */

/* Sets or clears bits i..i+k-1; only the page's owner writes them. */
static void lend_set(_Atomic uint64_t *bits, size_t i, size_t k, bool on) {
    for (size_t j = i; j < i + k; j++) {
        uint64_t w = atomic_load_explicit(&bits[j / 64], memory_order_relaxed), m = 1ull << (j % 64);
        atomic_store_explicit(&bits[j / 64], on ? w | m : w & ~m, memory_order_relaxed);
    }
}

/* The block at slot i is free again; returns its slots. */
static uint32_t lend_release(shi_page *pg, size_t i) {
    _Atomic uint64_t *bits = shi_lend_bits(pg);
    uint32_t k = shi_lent_slots(bits, i);
    lend_set(bits + SH_LEND_SLOTS / 64, i, k, false);
    lend_set(bits, i, k, true);
    pg->lend_max = SH_LEND_SLOTS;  /* the freed slots may have joined a longer run */
    return k;
}

/* Takes in other threads' frees: onto the free bits, not onto a list. */
static void lend_collect(shi_page *pg) {
    if (!atomic_load_explicit(&pg->xfree, memory_order_relaxed)) return;
    shi_block *x = atomic_exchange_explicit(&pg->xfree, NULL, memory_order_acquire);
    while (x) {
        shi_block *next = x->next;
        pg->used -= lend_release(pg, (size_t)((uint8_t *)x - pg->start) / pg->bsize);
        x = next;
    }
}

/* Moves other threads' frees into `free`; the owner calls this only. */
static void page_collect(shi_page *pg) {
    if (pg->flags & PAGE_LENDING) { lend_collect(pg); return; }
    if (atomic_load_explicit(&pg->xfree, memory_order_relaxed)) {
        shi_block *x = atomic_exchange_explicit(&pg->xfree, NULL, memory_order_acquire);
        uint32_t n = 1;
        shi_block *t = x;
        while (t->next) { t = t->next; n++; }
        t->next = pg->free;
        pg->free = x;
        pg->used -= n;
    }
}

/* The page's blocks up to `capacity` have been written: the OS pages under them hold memory
 * now, and `committed` counts them (a page counts as it is carved, not when it is made). */
static void page_touch(shi_page *pg, uint32_t old_capacity) {
    shi_segment *seg = shi_segment_of(pg);
    size_t first = (size_t)(pg->start - (uint8_t *)seg) >> SH_SLICE_SHIFT;
    size_t from = (size_t)old_capacity * pg->bsize;
    size_t end = shi_align_up((size_t)pg->capacity * pg->bsize, SH_OS_PAGE);
    int64_t added = 0;
    for (size_t k = from >> SH_SLICE_SHIFT; (k << SH_SLICE_SHIFT) < end; k++) {
        size_t in = end - (k << SH_SLICE_SHIFT);
        if (in > SH_SLICE_SIZE) in = SH_SLICE_SIZE;
        if (seg->touched[first + k] < in) {
            added += (int64_t)(in - seg->touched[first + k]);
            seg->touched[first + k] = (uint32_t)in;
        }
    }
    if (added) atomic_fetch_add_explicit(&shi_g.committed, added, memory_order_relaxed);
}

/* Carves the next stretch of never-used blocks: a few KiB at a time, so a page that is
 * hardly used is hardly touched. */
static void page_extend(shi_page *pg) {
    uint32_t n = (uint32_t)(8192 / pg->bsize);
    if (n == 0) n = 1;
    if (n > pg->reserved - pg->capacity) n = pg->reserved - pg->capacity;
    uint8_t *b = pg->start + (size_t)pg->capacity * pg->bsize;
    for (uint32_t i = 0; i + 1 < n; i++) {
        ((shi_block *)(b + (size_t)i * pg->bsize))->next = (shi_block *)(b + (size_t)(i + 1) * pg->bsize);
    }
    ((shi_block *)(b + (size_t)(n - 1) * pg->bsize))->next = pg->free;
    pg->free = (shi_block *)b;
    pg->capacity += n;
    page_touch(pg, pg->capacity - n);
}

static unsigned page_slices(size_t bsize) {
    size_t n = (16 * bsize + SH_SLICE_SIZE - 1) / SH_SLICE_SIZE;
    return n < 1 ? 1 : n > 8 ? 8 : (unsigned)n;
}

/* The run of n free slices holding the most bytes still resident from released pages (the
 * first such run), or -1; *ret_touched gets those bytes. A page made there costs no new
 * memory until it outgrows them, where a page made on untouched slices would leave them
 * resident beside it until their purge. */
static int find_slices_touched(shi_segment *seg, unsigned n, size_t *ret_touched) {
    uint64_t used = seg->slices_used, run = n == 64 ? ~0ull : ((1ull << n) - 1);
    int best = -1;
    size_t best_touched = 0;
    for (unsigned i = 1; i + n <= SH_SLICES; i++) {
        if (((used >> i) & run) != 0) continue;
        size_t t = 0;
        for (unsigned k = i; k < i + n; k++) t += seg->touched[k];
        if (best < 0 || t > best_touched) { best = (int)i; best_touched = t; }
        if (t == n * SH_SLICE_SIZE) break;
    }
    *ret_touched = best_touched;
    return best;
}

static int64_t segment_touched(const shi_segment *seg) {
    int64_t n = 0;
    for (unsigned i = 0; i < SH_SLICES; i++) n += seg->touched[i];
    return n;
}

static shi_page *page_init(shi_theap *h, shi_segment *seg, int slice, unsigned n, unsigned c) {
    uint64_t mask = (n == 64 ? ~0ull : ((1ull << n) - 1)) << slice;
    seg->slices_used |= mask;
    for (unsigned i = 1; i < n; i++) {
        memset(&seg->pages[slice + i], 0, sizeof(shi_page));
        seg->pages[slice + i].slice_back = (uint8_t)i;
    }
    shi_page *pg = &seg->pages[slice];
    memset(pg, 0, sizeof *pg);
    pg->slices = (uint8_t)n;
    pg->sclass = (uint8_t)c;
    pg->bsize = (uint32_t)shi_class_size(c);
    pg->slot_magic = UINT64_MAX / pg->bsize + 1;
    pg->reserved = (uint32_t)(n * SH_SLICE_SIZE / pg->bsize);
    pg->start = (uint8_t *)seg + (size_t)slice * SH_SLICE_SIZE;
    pg->flags = shi_g.checked ? PAGE_CHECKED : 0;
    if (shi_g.checked) memset((void *)shi_check_bits(seg, (size_t)slice), 0, 512);
    atomic_store_explicit(&pg->heap, h, memory_order_release);
    return pg;
}

/* ---- segments ------------------------------------------------------------------------------ */

static void seg_list_push(shi_segment **head, shi_segment *seg) {
    seg->prev = NULL;
    seg->next = *head;
    if (*head) (*head)->prev = seg;
    *head = seg;
}

static void seg_list_remove(shi_segment **head, shi_segment *seg) {
    if (seg->prev) seg->prev->next = seg->next; else *head = seg->next;
    if (seg->next) seg->next->prev = seg->prev;
    seg->next = seg->prev = NULL;
}

static void segment_unmap_locked(shi_segment *seg) {
    /* `committed` holds only the touched bytes; unmap takes off the whole size */
    atomic_fetch_add_explicit(&shi_g.committed, (int64_t)seg->map_size - segment_touched(seg),
                              memory_order_relaxed);
    if (seg->all_prev) seg->all_prev->all_next = seg->all_next; else all_segments = seg->all_next;
    if (seg->all_next) seg->all_next->all_prev = seg->all_prev;
    shi_segmap_set(seg, 0, NULL, false);
    shi_os_unmap(seg, seg->map_size);
}

static shi_segment *segment_new(shi_theap *h) {
    pthread_mutex_lock(&segments_lock);
    shi_segment *seg = seg_cache;
    if (seg) {
        seg_cache = seg->next;
        seg_cache_count--;
        seg->in_cache = 0;
    }
    pthread_mutex_unlock(&segments_lock);
    if (!seg) {
        seg = shi_os_map_aligned(SH_SEG_SIZE, SH_SEG_SIZE);
        if (!seg) return NULL;
        seg->kind = SEG_SMALL;
        seg->map_size = SH_SEG_SIZE;
        /* untouched memory holds nothing: committed counts the header, then pages as they
         * are carved */
        seg->touched[0] = (uint32_t)shi_align_up(sizeof(shi_segment), SH_OS_PAGE);
        if (shi_g.checked) seg->touched[0] = (uint32_t)SH_SLICE_SIZE;  /* the bitmaps */
        atomic_fetch_sub_explicit(&shi_g.committed, (int64_t)SH_SEG_SIZE - seg->touched[0],
                                  memory_order_relaxed);
        pthread_mutex_lock(&segments_lock);
        seg->all_prev = NULL;
        seg->all_next = all_segments;
        if (all_segments) all_segments->all_prev = seg;
        all_segments = seg;
        pthread_mutex_unlock(&segments_lock);
        shi_segmap_set(seg, 0, NULL, true);
    }
    seg->slices_used = 1;  /* the header */
    seg->heap = h;
    seg->dirty_since = 0;
    seg_list_push(&h->segments, seg);
    return seg;
}

/* `bytes` of touched memory came free, to go back after their delay: told to purge.c, which
 * may start the purger. Under a heap's lock it is told when the lock is let go. */
static void note_free(shi_theap *h, size_t bytes) {
    if (h) h->noted += bytes;
    else shi_purge_note(bytes);
}

/* A segment with no pages left: keep a few for reuse, give the rest back. */
static void segment_release(shi_theap *h, shi_segment *seg) {
    if (h) seg_list_remove(&h->segments, seg);
    seg->heap = NULL;
    size_t dirty = (size_t)(segment_touched(seg) - seg->touched[0]);
    bool cached = false;
    pthread_mutex_lock(&segments_lock);
    if (seg_cache_count < SEG_CACHE_MAX) {
        seg->next = seg_cache;
        seg->dirty_since = shi_clock_ms();
        seg->in_cache = 1;
        seg_cache = seg;
        seg_cache_count++;
        cached = true;
    } else {
        segment_unmap_locked(seg);
    }
    pthread_mutex_unlock(&segments_lock);
    if (cached) note_free(h, dirty);
}

/* Slices i..i+n-1 go back to the OS, up to the end of the last one's touched part. */
static void slices_purge(shi_segment *seg, unsigned i, unsigned n) {
    size_t len = 0;
    int64_t freed = 0;
    for (unsigned k = i; k < i + n; k++) {
        if (seg->touched[k]) len = (size_t)(k - i) * SH_SLICE_SIZE + seg->touched[k];
        freed += seg->touched[k];
        seg->touched[k] = 0;
    }
    if (!len) return;
    shi_os_purge((uint8_t *)seg + (size_t)i * SH_SLICE_SIZE, len);
    atomic_fetch_sub_explicit(&shi_g.committed, freed, memory_order_relaxed);
}

/* Gives free slices that have been idle for a while back to the OS. Returns true if some
 * are still waiting for their delay. */
static bool segment_purge(shi_segment *seg, uint64_t now, bool force) {
    if (!seg->dirty_since) return false;
    if (!force && now - seg->dirty_since < PURGE_DELAY_MS) return true;
    uint64_t todo = ~seg->slices_used & ~1ull;
    while (todo) {
        unsigned i = (unsigned)__builtin_ctzll(todo);
        todo &= todo - 1;
        if (!seg->touched[i]) continue;
        /* a run of free touched slices in one call: the last one's touched part ends it */
        unsigned n = 1;
        while (i + n < SH_SLICES && (todo >> (i + n) & 1) && seg->touched[i + n - 1] == SH_SLICE_SIZE &&
               seg->touched[i + n]) {
            todo &= ~(1ull << (i + n));
            n++;
        }
        slices_purge(seg, i, n);
    }
    seg->dirty_since = 0;
    return false;
}

/* Cached empty segments go back to the OS after a while. Returns true if some wait still. */
bool shi_small_cache_trim(uint64_t now, bool force) {
    if (!seg_cache) return false;  /* racy peek: a miss is caught by the next pass */
    bool more = false;
    pthread_mutex_lock(&segments_lock);
    shi_segment **link = &seg_cache;
    while (*link) {
        shi_segment *seg = *link;
        if (force || now - seg->dirty_since >= PURGE_DELAY_MS * 4) {
            *link = seg->next;
            seg_cache_count--;
            seg->in_cache = 0;
            segment_unmap_locked(seg);
        } else {
            /* kept mapped for reuse, but its memory goes back after the same delay as free
             * slices: a pool's burst of threads can leave several segments here at once */
            if (now - seg->dirty_since >= PURGE_DELAY_MS) slices_purge(seg, 1, SH_SLICES - 1);
            more = true;
            link = &seg->next;
        }
    }
    pthread_mutex_unlock(&segments_lock);
    return more;
}

/* Returns true if the segment went with the page (it must not be touched then). h may be
 * NULL for a segment that nobody owns (the purger's visit). */
static bool page_release(shi_theap *h, shi_page *pg) {
    shi_segment *seg = shi_segment_of(pg);
    if (h)
        for (size_t i = 0; i < SH_DIRECT_SLOTS; i++)
            if (h->direct[i] == pg) h->direct[i] = &shi_empty_page;
    size_t slice = (size_t)(pg - seg->pages);
    unsigned n = pg->slices;
    for (unsigned i = 0; i < n; i++) {
        shi_page *d = &seg->pages[slice + i];
        atomic_store_explicit(&d->heap, NULL, memory_order_relaxed);
        d->slices = 0;
        d->slice_back = 0;
        d->flags = 0;
    }
    seg->slices_used &= ~((n == 64 ? ~0ull : ((1ull << n) - 1)) << slice);
    if (!seg->dirty_since) seg->dirty_since = shi_clock_ms();
    if (seg->slices_used != 1) {
        if (h) {  /* a live heap's: only a purge pass gives it back if the thread idles */
            size_t bytes = 0;
            for (unsigned i = 0; i < n; i++) bytes += seg->touched[slice + i];
            note_free(h, bytes);
        }
        return false;
    }
    segment_release(h, seg);
    return true;
}

/* Keeps one empty page per class so alloc/free ping-pong does not map and unmap. */
static void page_maybe_release(shi_theap *h, shi_page *pg) {
    shi_pageq *q = &h->queues[pg->sclass];
    if (shi_g.checked) return;  /* checked mode keeps pages so their bitmaps catch double frees */
    if (!(pg->flags & PAGE_IN_FULL) && q->first == pg && pg->next == NULL) return;
    page_unlink(h, pg);
    page_release(h, pg);
}

/* ---- orphans: segments a fork child found in another thread's hands ---------------------- */

/* Marks the blocks of one list in `bits`; false if the list leaves the page's carved blocks,
 * is not on block boundaries, meets a block twice or is longer than the page. */
static bool mark_list(const shi_page *pg, shi_block *b, uint64_t *bits, uint32_t *ret_count) {
    uint8_t *end = pg->start + (size_t)pg->capacity * pg->bsize;
    while (b) {
        uint8_t *p = (uint8_t *)b;
        if (p < pg->start || p >= end || (size_t)(p - pg->start) % pg->bsize) return false;
        size_t i = (size_t)(p - pg->start) / pg->bsize;
        if (bits[i / 64] >> (i % 64) & 1) return false;
        bits[i / 64] |= 1ull << (i % 64);
        if (++*ret_count > pg->capacity) return false;
        b = b->next;
    }
    return true;
}

/* Whether a page's lists and counts agree: every carved block is either on `free` or
 * counted in `used` (which still counts the blocks on `xfree`). A thread stopped between
 * two steps of an update leaves one of these off by some blocks. */
static bool page_consistent(shi_page *pg, shi_block *xfree) {
    uint64_t bits[SH_SLICE_SIZE * 8 / 16 / 64] = {0};  /* 4096 slots: a page's most */
    if (pg->reserved > sizeof bits * 8) return false;
    uint32_t nfree = 0, nx = 0;
    if (pg->flags & PAGE_LENDING) {  /* its free slots are bits, and lists are empty */
        if (pg->free || pg->slices != 1 || pg->capacity > SH_LEND_SLOTS) return false;
        _Atomic uint64_t *fb = shi_lend_bits(pg);
        for (size_t w = 0; w < SH_LEND_SLOTS / 64; w++)
            nfree += (uint32_t)__builtin_popcountll(atomic_load_explicit(&fb[w], memory_order_relaxed));
    } else if (!mark_list(pg, pg->free, bits, &nfree)) {
        return false;
    }
    if (!mark_list(pg, xfree, bits, &nx)) return false;
    return (uint64_t)nfree + pg->used == pg->capacity && nx <= pg->used;
}

/* Rebuilds an orphan segment's slice map from its page headers and checks each page.
 * Returns false if a page header itself does not make sense: the segment is then left
 * alone for good (its memory is lost to this process, its blocks can still be freed). */
static bool orphan_repair(shi_segment *seg) {
    uint64_t used = 1;
    shi_page *heads[SH_SLICES] = {0};
    for (unsigned i = 1; i < SH_SLICES; i++) {
        shi_page *pg = &seg->pages[i];
        if (!pg->slices) continue;
        unsigned n = pg->slices;
        uint64_t mask = (n >= 64 ? ~0ull : ((1ull << n) - 1)) << i;
        bool sane = n <= 8 && i + n <= SH_SLICES && pg->sclass >= 1 && pg->sclass <= SH_SMALL_CLASSES &&
                    pg->bsize == shi_class_size(pg->sclass) && pg->slice_back == 0 &&
                    pg->reserved == n * SH_SLICE_SIZE / pg->bsize && pg->capacity <= pg->reserved &&
                    pg->start == (uint8_t *)seg + (size_t)i * SH_SLICE_SIZE && !(used & mask);
        bool unused = pg->capacity == 0 && !pg->free &&
                      !atomic_load_explicit(&pg->xfree, memory_order_acquire);
        if (!sane) {
            if (unused) { memset(pg, 0, sizeof *pg); continue; }  /* half made, never used */
            return false;
        }
        used |= mask;
        heads[i] = pg;
        pg->slot_magic = UINT64_MAX / pg->bsize + 1;  /* may have been written last */
        i += n - 1;
    }
    /* Followers point back at their heads; descriptors no page covers are cleared. */
    for (unsigned i = 1; i < SH_SLICES; i++) {
        if (heads[i]) {
            for (unsigned k = 1; k < heads[i]->slices; k++) {
                shi_page *d = &seg->pages[i + k];
                memset(d, 0, sizeof *d);
                d->slice_back = (uint8_t)k;
            }
            i += heads[i]->slices - 1;
        } else {
            memset(&seg->pages[i], 0, sizeof seg->pages[i]);
        }
    }
    for (unsigned i = 1; i < SH_SLICES; i++) {
        shi_page *pg = heads[i];
        if (!pg) continue;
        __atomic_and_fetch(&pg->flags, (uint8_t)~PAGE_IN_FULL, __ATOMIC_RELAXED);
        pg->next = pg->prev = NULL;
        shi_block *x = atomic_exchange_explicit(&pg->xfree, NULL, memory_order_acquire);
        if (!page_consistent(pg, x)) {
            __atomic_or_fetch(&pg->flags, PAGE_QUARANTINED, __ATOMIC_RELAXED);
            continue;  /* x is lost with the page */
        }
        if (x) {  /* back where page_collect takes it from, for the normal path */
            shi_block *t = x;
            while (t->next) t = t->next;
            shi_block *old = atomic_load_explicit(&pg->xfree, memory_order_relaxed);
            do t->next = old;
            while (!atomic_compare_exchange_weak_explicit(&pg->xfree, &old, x, memory_order_release,
                                                          memory_order_relaxed));
        }
    }
    /* slices a half-made page had claimed are free again */
    seg->slices_used = used;
    if (!seg->dirty_since) seg->dirty_since = shi_clock_ms();
    seg->heap = NULL;
    return true;
}

/* In a fork child only the forking thread lives on. Every small segment that is not in the
 * cache, on the abandoned FIFO or the forking thread's own becomes an orphan: its pages are
 * ownerless at once (so no heap struct recycled in the child can believe it owns them), and
 * it joins the FIFO to be checked before use. Called with every lock held. */
void shi_small_fork_child(shi_theap *keep) {
    for (shi_segment *seg = all_segments; seg; seg = seg->all_next) {
        if (seg->in_cache || seg->in_abandoned) continue;
        /* the forking thread's own, and those of heaps whose threads had ended (nobody was
         * changing them: the purger marks a heap in use while it tidies it) */
        if (seg->heap && (seg->heap == keep || !seg->heap->in_use)) continue;
        for (unsigned i = 0; i < SH_SLICES; i++)
            atomic_store_explicit(&seg->pages[i].heap, NULL, memory_order_relaxed);
        seg->heap = NULL;
        seg->orphan = 1;
        abandoned_push_locked(seg);
    }
}

/* ---- abandoned segments ------------------------------------------------------------------------ */

/* Takes a segment just removed from the FIFO: into h (h != NULL) with its pages queued, or
 * (h == NULL) only tidied: the frees other threads made into it collected, empty pages
 * given back, idle free slices purged. Returns false if nothing is left of it to keep: it
 * went to the cache, or it is a damaged orphan left alone. */
static bool segment_take(shi_theap *h, shi_segment *seg, uint64_t now, bool force) {
    if (seg->orphan) {
        if (!orphan_repair(seg)) return false;
        seg->orphan = 0;
    }
    if (h) {
        seg->heap = h;
        seg_list_push(&h->segments, seg);
    }
    for (unsigned i = 1; i < SH_SLICES; i++) {
        shi_page *pg = &seg->pages[i];
        if (!pg->slices) continue;
        i += pg->slices - 1u;
        if (pg->flags & PAGE_QUARANTINED) continue;
        __atomic_and_fetch(&pg->flags, (uint8_t)~PAGE_IN_FULL, __ATOMIC_RELAXED);
        page_collect(pg);
        if (pg->used == 0) {
            if (page_release(h, pg)) return false;
        } else if (h) {
            atomic_store_explicit(&pg->heap, h, memory_order_release);
            queue_push_back(pg->flags & PAGE_LENDING ? &h->lending : &h->queues[pg->sclass], pg);
        }
    }
    if (!h) segment_purge(seg, now, force);
    return true;
}

/* The purger's visit: every abandoned segment is tidied and the ones left go back on the
 * FIFO in their order. Returns true if some hold memory still waiting for its delay. */
bool shi_small_purge_abandoned(uint64_t now, bool force) {
    if (!atomic_load_explicit(&abandoned_count, memory_order_relaxed)) return false;
    pthread_mutex_lock(&abandoned_lock);
    shi_segment *list = abandoned_head;
    size_t n = atomic_load_explicit(&abandoned_count, memory_order_relaxed);
    abandoned_head = abandoned_tail = NULL;
    atomic_store_explicit(&abandoned_count, 0, memory_order_relaxed);
    for (shi_segment *seg = list; seg; seg = seg->next) seg->in_abandoned = 0;
    pthread_mutex_unlock(&abandoned_lock);
    (void)n;
    shi_segment *keep = NULL, *keep_tail = NULL;
    bool more = false;
    while (list) {
        shi_segment *seg = list;
        list = seg->next;
        seg->next = seg->prev = NULL;
        if (!segment_take(NULL, seg, now, force)) continue;
        if (seg->dirty_since) more = true;
        seg->prev = keep_tail;
        if (keep_tail) keep_tail->next = seg; else keep = seg;
        keep_tail = seg;
    }
    if (keep) {
        /* in front of any abandoned meanwhile: they are older */
        pthread_mutex_lock(&abandoned_lock);
        size_t count = 0;
        for (shi_segment *seg = keep; seg; seg = seg->next) { seg->in_abandoned = 1; count++; }
        keep_tail->next = abandoned_head;
        if (abandoned_head) abandoned_head->prev = keep_tail; else abandoned_tail = keep_tail;
        abandoned_head = keep;
        atomic_fetch_add_explicit(&abandoned_count, count, memory_order_relaxed);
        pthread_mutex_unlock(&abandoned_lock);
    }
    return more;
}

/* Takes in every page's frees and gives back the pages that are empty. */
static void release_empty_pages(shi_theap *h) {
    for (unsigned c = 1; c <= SH_SMALL_CLASSES; c++) {
        for (shi_page *pg = h->queues[c].first; pg;) {
            shi_page *next = pg->next;
            page_collect(pg);
            if (pg->used == 0) {
                list_remove(&h->queues[c].first, &h->queues[c].last, pg);
                page_release(h, pg);
            }
            pg = next;
        }
    }
    for (shi_page *pg = h->lending.first; pg;) {
        shi_page *next = pg->next;
        page_collect(pg);
        if (pg->used == 0) {
            list_remove(&h->lending.first, &h->lending.last, pg);
            page_release(h, pg);
        }
        pg = next;
    }
}

static void abandon_heap(shi_theap *h) {
    release_empty_pages(h);
    for (shi_page *pg = h->full; pg;) {
        shi_page *next = pg->next;
        page_collect(pg);
        if (pg->used == 0) {
            page_unlink(h, pg);
            page_release(h, pg);
        }
        pg = next;
    }
    shi_segment *seg = h->segments;
    while (seg) {
        shi_segment *next = seg->next;
        /* its pages' memory comes free as the other threads free their blocks */
        shi_purge_note((size_t)__builtin_popcountll(seg->slices_used & ~1ull) * SH_SLICE_SIZE);
        for (unsigned i = 1; i < SH_SLICES; i++)
            if (seg->pages[i].slices) atomic_store_explicit(&seg->pages[i].heap, NULL, memory_order_release);
        seg->heap = NULL;
        abandoned_push(seg);
        seg = next;
    }
    h->segments = NULL;
    memset(h->queues, 0, sizeof h->queues);
    h->lending = (shi_pageq){NULL, NULL};
    h->full = NULL;
    for (size_t i = 0; i < SH_DIRECT_SLOTS; i++) h->direct[i] = &shi_empty_page;
}

void shi_small_heap_done(shi_theap *h) { abandon_heap(h); }

size_t shi_small_heap_bytes(shi_theap *h) {
    size_t n = 0;
    for (shi_segment *seg = h->segments; seg; seg = seg->next)
        n += (size_t)__builtin_popcountll(seg->slices_used & ~1ull) * SH_SLICE_SIZE;
    return n;
}

/* ---- the search for a page with space ---------------------------------------------------------- */

/* A full page that other threads' frees emptied stays in its class queue while the queue
 * holds fewer pages than this. A producer whose blocks all come back at once (a queue that
 * drains) would otherwise release every page and make new ones on other slices a moment
 * later, leaving the old slices resident until their purge: in bench's prodmix that held
 * 15 MiB of free slices beside 20 MiB of pages. */
#define KEEP_EMPTY_BELOW 2

static bool queue_holds(const shi_pageq *q, unsigned n) {
    const shi_page *pg = q->first;
    for (unsigned i = 0; i < n; i++, pg = pg->next)
        if (!pg) return false;
    return true;
}

static void collect_full(shi_theap *h) {
    atomic_store_explicit(&h->full_dirty, 0, memory_order_relaxed);
    for (shi_page *pg = h->full; pg;) {
        shi_page *next = pg->next;
        /* capacity 0: a page the purger drained (page_drain); the owner's own frees into a
         * full page move it back at once (shi_small_free_slow), so `free` is empty here */
        if (atomic_load_explicit(&pg->xfree, memory_order_relaxed) || !pg->capacity) {
            page_unlink(h, pg);
            page_collect(pg);
            if (pg->used == 0 && queue_holds(&h->queues[pg->sclass], KEEP_EMPTY_BELOW)) page_release(h, pg);
            else queue_push_back(&h->queues[pg->sclass], pg);
        }
        pg = next;
    }
}

/* A heap whose thread ended, while it waits for the next thread: the frees made into its
 * pages are taken in, empty pages given back, idle slices purged. Returns true if some
 * wait for their delay still. */
bool shi_small_heap_tidy(shi_theap *h, uint64_t now) {
    collect_full(h);
    release_empty_pages(h);
    bool more = false;
    for (shi_segment *seg = h->segments; seg; seg = seg->next)
        if (segment_purge(seg, now, false)) more = true;
    return more;
}

/* The thread of h ends: the frees other threads made into its pages are taken in and its
 * empty pages released, so that the next thread to take the heap over (a pool's next worker)
 * starts from those blocks rather than carving new ones beside them. */
void shi_small_heap_exit(shi_theap *h) {
    heap_lock(h);
    collect_full(h);
    release_empty_pages(h);
    heap_unlock(h);
}

/* Called with h's lock held by the purger, the owner idle since the last pass. pg is drained
 * when every block it has carved is on its xfree list, freed by other threads. Then no fast
 * path of the owner can touch it: the owner holds none of its blocks, so it frees none, and
 * an allocation finds `free` empty and takes the slow path, which waits for the lock. The
 * pops that handed each block out happened before the free that pushed it, so the acquire
 * load of xfree below sees them all, and the count proves the page drained. The page then
 * becomes an uncarved page again (capacity 0), its memory goes back to the OS, and it stays
 * where it is in the owner's queues: the owner carves it again when it needs room. */
static void page_drain(shi_theap *h, shi_page *pg) {
    if (__atomic_load_n(&pg->flags, __ATOMIC_RELAXED) & (PAGE_LENDING | PAGE_CHECKED | PAGE_QUARANTINED))
        return;
    uint32_t cap = pg->capacity;
    shi_block *head = atomic_load_explicit(&pg->xfree, memory_order_acquire);
    if (!cap || !head) return;
    uint32_t n = 0;
    for (shi_block *b = head; b && n <= cap; b = b->next) n++;
    if (n != cap) return;
    /* drained, so the owner has stopped writing these; they say so unless a block was freed twice */
    if (pg->free || pg->used != cap) return;
    if (!atomic_compare_exchange_strong_explicit(&pg->xfree, &head, NULL, memory_order_acquire,
                                                 memory_order_relaxed))
        return;
    pg->used = 0;
    pg->capacity = 0;
    shi_segment *seg = shi_segment_of(pg);
    slices_purge(seg, (unsigned)((pg->start - (uint8_t *)seg) >> SH_SLICE_SHIFT), pg->slices);
    if (__atomic_load_n(&pg->flags, __ATOMIC_RELAXED) & PAGE_IN_FULL)
        atomic_store_explicit(&h->full_dirty, 1, memory_order_relaxed);  /* collect_full takes it */
}

/* The purger's pass over the thread heaps, running or waiting for a thread: the free slices
 * of every heap it can lock go back to the OS after their delay, and so do the drained pages
 * of a running thread that took no slow path since the last pass; its owner would otherwise
 * do that only on its next heap call. `look`: only note where each owner is (the purger's
 * start, so that its first pass can tell the idle ones). Returns true while some heap holds
 * free slices not yet given back. */
bool shi_small_purge_live(uint64_t now, bool look) {
    bool more = false;
    shi_heaps_lock();  /* heaps neither start nor end meanwhile, nor does a fork happen */
    for (shi_theap *h = shi_heaps_first(); h; h = h->all_next) {
        if (!h->segments || !shi_small_heap_trylock(h)) continue;
        bool idle = h->in_use && h->epoch == h->epoch_seen && !look;
        h->epoch_seen = h->epoch;
        for (shi_segment *seg = look ? NULL : h->segments; seg; seg = seg->next) {
            if (idle) {
                for (unsigned i = 1; i < SH_SLICES; i++) {
                    shi_page *pg = &seg->pages[i];
                    if (!pg->slices) continue;
                    if (atomic_load_explicit(&pg->heap, memory_order_relaxed) == h) page_drain(h, pg);
                    i += pg->slices - 1u;
                }
            }
            if (segment_purge(seg, now, false)) more = true;
        }
        shi_small_heap_unlock(h);  /* nothing noted: drained pages stay, slices are purged */
    }
    shi_heaps_unlock();
    return more;
}

static void heap_purge(shi_theap *h, bool force) {
    uint64_t now = shi_clock_ms();
    if (!force && now - h->last_purge < PURGE_DELAY_MS / 4) return;
    h->last_purge = now;
    for (shi_segment *seg = h->segments; seg; seg = seg->next) segment_purge(seg, now, force);
    /* A thread that makes pages is short of space: the heaps of threads that ended, which no
     * new thread took over, are wound up now rather than after RETIRED_KEEP_MS, so that
     * reclaim_for finds their resident memory before this thread faults in new memory. */
    if (!force) shi_theap_wind_up_retired(now);
    shi_purge_tick(now);
}

/* A page of class c in free slices of the heap's own segments, without mapping: on the
 * slices that hold the most resident bytes of released pages; with `resident_only`, only
 * where some are. */
static shi_page *page_new_in_own(shi_theap *h, unsigned c, bool resident_only) {
    unsigned n = page_slices(shi_class_size(c));
    shi_segment *best = NULL;
    int best_slice = -1;
    size_t best_touched = 0;
    for (shi_segment *seg = h->segments; seg; seg = seg->next) {
        size_t t;
        int slice = find_slices_touched(seg, n, &t);
        if (slice > 0 && (!best || t > best_touched)) {
            best = seg;
            best_slice = slice;
            best_touched = t;
            if (t == n * SH_SLICE_SIZE) break;
        }
    }
    if (!best || (resident_only && !best_touched)) return NULL;
    return page_init(h, best, best_slice, n, c);
}

/* A page of class c in a new segment: the heap's own had no room (find_page looked). */
static shi_page *page_new(shi_theap *h, unsigned c) {
    shi_segment *seg = segment_new(h);
    if (!seg) return NULL;
    unsigned n = page_slices(shi_class_size(c));
    size_t touched;
    return page_init(h, seg, find_slices_touched(seg, n, &touched), n, c);
}

/* Blocks already free in any of the class's pages (other threads' frees, or blocks taken in
 * when a full page came back) are used before a page carves new ones: the current page's
 * xfree is often still empty while older pages' are not, and carving first grows the
 * resident size by what is already free. The owner's own frees waiting in later pages do not
 * stop the carving: taking a few of them at a time costs more refills (wl_churn). */
static shi_page *scan_queue(shi_theap *h, unsigned c) {
    shi_pageq *q = &h->queues[c];
    shi_page *room = NULL;
    for (shi_page *pg = q->first; pg;) {
        shi_page *next = pg->next;
        if (room && !pg->free && !atomic_load_explicit(&pg->xfree, memory_order_relaxed)) {
            pg = next;
            continue;
        }
        page_collect(pg);
        if (pg->free) return pg;
        if (pg->capacity < pg->reserved) {
            if (!room) room = pg;
        } else {
            list_remove(&q->first, &q->last, pg);
            full_push(h, pg);
        }
        pg = next;
    }
    if (room) page_extend(room);
    return room;
}

/* Space from the segments of threads that ended, oldest first: the empty ones on the way go
 * back, the first one with something left is taken into h. */
static shi_page *reclaim_for(shi_theap *h, unsigned c) {
    for (int tries = 0; tries < RECLAIM_TRIES; tries++) {
        shi_segment *seg = abandoned_pop();
        if (!seg) return NULL;
        if (!segment_take(h, seg, 0, false)) continue;
        shi_page *pg = scan_queue(h, c);
        return pg ? pg : page_new_in_own(h, c, false);
    }
    return NULL;
}

/* On a refill: the peak sample and the published live bytes (see docs/heap.md). */
static void sample_live(shi_theap *h) {
    if (h->live > h->peak_mark) {
        h->peak_mark = h->live + 32 * 1024;
        shi_theap_publish(h);
        shi_stats_sample_peak();
    } else if (h->live + 64 * 1024 < h->peak_mark) {
        h->peak_mark = h->live + 32 * 1024;
        shi_theap_publish(h);
    }
}

static void *lend_alloc(shi_theap *h, unsigned c);

/* A page of class c with a free block, made the class's current page; NULL when out of
 * memory, or when `lend` let a lending page serve the request (*ret_lent then). */
static shi_page *find_page(shi_theap *h, unsigned c, bool lend, void **ret_lent) {
    if (atomic_load_explicit(&h->full_dirty, memory_order_relaxed) ||
        (h->full && (++h->refills & 63) == 0))
        collect_full(h);
    shi_page *pg = scan_queue(h, c);
    if (!pg) {
        if (lend && (*ret_lent = lend_alloc(h, c)) != NULL) return NULL;
        /* memory already resident first: the thread's released slices, then the segments of
         * threads that ended, then untouched slices */
        pg = page_new_in_own(h, c, true);
        if (!pg) pg = reclaim_for(h, c);
        if (!pg) pg = page_new_in_own(h, c, false);
        if (!pg) pg = page_new(h, c);
        if (!pg) return NULL;
        /* a thread that makes pages is not idle: its released slices go back here, after
         * the page took what it could of them */
        heap_purge(h, false);
        if (pg->free == NULL && pg->capacity < pg->reserved) page_extend(pg);
        if (!pg->next && !pg->prev && h->queues[c].first != pg) queue_push_front(&h->queues[c], pg);
    }
    if (h->queues[c].first != pg) {
        list_remove(&h->queues[c].first, &h->queues[c].last, pg);
        queue_push_front(&h->queues[c], pg);
    }
    set_direct(h, c, pg);
    sample_live(h);
    return pg;
}

static void *small_alloc(shi_theap *h, size_t n, bool lend) {
    unsigned c = shi_size_class(n);
    shi_page *pg = h->queues[c].first;
    if (!pg || !pg->free) {
        void *lent = NULL;
        heap_lock(h);
        pg = find_page(h, c, lend, &lent);
        heap_unlock(h);
        if (lent) return lent;
        if (!pg) { errno = ENOMEM; return NULL; }
    }
    shi_block *b = pg->free;
    pg->free = b->next;
    pg->used++;
    h->live += pg->bsize;
    h->allocs++;
    return b;
}

void *shi_small_alloc_slow(shi_theap *h, size_t n) { return small_alloc(h, n, false); }

/* ---- lending: sizes of 288 B to 2 KiB from sparse pages of 32-256 B blocks --------------------

 * A fragmenting phase (many small blocks, most freed at random) leaves pages that keep a
 * tenth of their blocks: none is empty, so none goes back, and their free slots would only
 * ever serve their own size. When a size of 288 B to 2 KiB would need a new page, a page of
 * 32-256 B blocks that is at most an eighth full becomes a lending page instead (its own
 * size gets its next page elsewhere) and the request takes a run of adjacent free slots of
 * it. Such a page stays lending until it is empty. */
#define LEND_MIN_REQUEST 257
#define LEND_MAX_REQUEST 2048
#define LEND_HOST_MIN 32
#define LEND_HOST_MAX 256
#define LEND_TRIES 16         /* lending pages looked at by one request */
#define LEND_SKIP 8           /* after a search for a page to lend found none */

/* The first slot of a run of k free slots, or -1. A miss is remembered in lend_max, so the
 * next request as long or longer passes the page by until a free lands in it. */
static long lend_find(shi_page *pg, uint32_t k) {
    if (k > pg->lend_max) return -1;
    _Atomic uint64_t *fb = shi_lend_bits(pg);
    size_t cap = pg->capacity, i = 0;
    while (i + k <= cap) {
        size_t w = i / 64;
        uint64_t x = atomic_load_explicit(&fb[w], memory_order_relaxed) & (~0ull << (i % 64));
        while (!x) {
            if (++w * 64 >= cap) goto miss;
            x = atomic_load_explicit(&fb[w], memory_order_relaxed);
        }
        size_t start = w * 64 + (size_t)__builtin_ctzll(x);
        x = ~atomic_load_explicit(&fb[w], memory_order_relaxed) & (~0ull << (start % 64));
        while (!x && ++w * 64 < cap) x = ~atomic_load_explicit(&fb[w], memory_order_relaxed);
        size_t end = x ? w * 64 + (size_t)__builtin_ctzll(x) : cap;
        if (end > cap) end = cap;
        if (end - start >= k) return (long)start;
        i = end;
    }
miss:
    pg->lend_max = k - 1;
    return -1;
}

/* Hands out k slots from slot i: the lent marks first, then the free bits, then the count,
 * so a fork child that finds the page half-way sees the counts not add up. */
static void *lend_take(shi_theap *h, shi_page *pg, size_t i, uint32_t k) {
    _Atomic uint64_t *bits = shi_lend_bits(pg);
    lend_set(bits + SH_LEND_SLOTS / 64, i, k - 1, true);
    lend_set(bits + SH_LEND_SLOTS / 64, i + k - 1, 1, false);
    lend_set(bits, i, k, false);
    pg->used += k;
    h->live += (int64_t)k * pg->bsize;
    h->allocs++;
    sample_live(h);
    return pg->start + i * pg->bsize;
}

static bool lend_host(const shi_pageq *q, const shi_page *pg) {
    return pg != q->first && pg->flags == 0 && pg->slices == 1 && pg->capacity <= SH_LEND_SLOTS &&
           (size_t)pg->used * 8 <= pg->capacity && pg->capacity >= pg->reserved / 2;
}

/* A page of the heap that can lend now, made a lending page; NULL if there is none. */
static shi_page *lend_convert(shi_theap *h) {
    shi_page *pg = NULL;
    for (unsigned c = shi_size_class(LEND_HOST_MIN); !pg && c <= shi_size_class(LEND_HOST_MAX); c++) {
        shi_pageq *q = &h->queues[c];
        for (shi_page *p = q->first; p; p = p->next) {
            page_collect(p);
            if (lend_host(q, p)) {
                list_remove(&q->first, &q->last, p);
                pg = p;
                break;
            }
        }
    }
    if (!pg) return NULL;
    for (size_t i = 0; i < SH_DIRECT_SLOTS; i++)
        if (h->direct[i] == pg) h->direct[i] = &shi_empty_page;
    /* The bitmap area was not in use outside checked mode: it counts as committed now. */
    shi_segment *seg = shi_segment_of(pg);
    _Atomic uint64_t *bits = shi_lend_bits(pg);
    size_t end = shi_align_up((size_t)((uint8_t *)(bits + 2 * SH_LEND_SLOTS / 64) - (uint8_t *)seg), SH_OS_PAGE);
    if (seg->touched[0] < end) {
        atomic_fetch_add_explicit(&shi_g.committed, (int64_t)(end - seg->touched[0]), memory_order_relaxed);
        seg->touched[0] = (uint32_t)end;
    }
    for (size_t w = 0; w < 2 * SH_LEND_SLOTS / 64; w++) atomic_store_explicit(&bits[w], 0, memory_order_relaxed);
    for (shi_block *b = pg->free; b; b = b->next)
        lend_set(bits, (size_t)((uint8_t *)b - pg->start) / pg->bsize, 1, true);
    pg->free = NULL;
    pg->lend_max = SH_LEND_SLOTS;
    /* other threads read the flag before the bits (shi_small_free_slow) */
    __atomic_or_fetch(&pg->flags, PAGE_LENDING, __ATOMIC_RELEASE);
    queue_push_front(&h->lending, pg);
    return pg;
}

static void *lend_alloc(shi_theap *h, unsigned c) {
    size_t cs = shi_class_size(c);
    for (int tries = 0; tries < LEND_TRIES; tries++) {
        shi_page *pg = h->lending.first;
        if (!pg) break;
        page_collect(pg);
        if (pg->used == 0) {
            list_remove(&h->lending.first, &h->lending.last, pg);
            page_release(h, pg);
            continue;
        }
        uint32_t k = (uint32_t)((cs + pg->bsize - 1) / pg->bsize);
        long i = lend_find(pg, k);
        if (i >= 0) return lend_take(h, pg, (size_t)i, k);
        if (pg->next) {  /* the others may still fit: this one goes last */
            list_remove(&h->lending.first, &h->lending.last, pg);
            queue_push_back(&h->lending, pg);
        }
    }
    if (h->lend_skip) { h->lend_skip--; return NULL; }
    shi_page *pg = lend_convert(h);
    if (!pg) { h->lend_skip = LEND_SKIP; return NULL; }
    uint32_t k = (uint32_t)((cs + pg->bsize - 1) / pg->bsize);
    long i = lend_find(pg, k);
    return i >= 0 ? lend_take(h, pg, (size_t)i, k) : NULL;
}

void *shi_small_alloc(shi_theap *h, size_t n) {
    return small_alloc(h, n, n >= LEND_MIN_REQUEST && n <= LEND_MAX_REQUEST && !shi_g.checked);
}

/* ---- free ---------------------------------------------------------------------------------------- */

void *shi_small_block_start(shi_page *pg, const void *p) {
    size_t off = (size_t)((const uint8_t *)p - pg->start);
    return pg->start + off / pg->bsize * pg->bsize;
}

size_t shi_small_usable(shi_page *pg, const void *p) {
    const uint8_t *b = shi_small_block_start(pg, p);
    size_t slots = 1;
    if (__atomic_load_n(&pg->flags, __ATOMIC_ACQUIRE) & PAGE_LENDING)
        slots = shi_lent_slots(shi_lend_bits(pg), (size_t)(b - pg->start) / pg->bsize);
    return slots * pg->bsize - (size_t)((const uint8_t *)p - b);
}

/* A second free of the block freed last into its page (the head of a free list) is cheap to
 * see; one that other frees have since buried in the list is not, outside checked mode. */
__attribute__((noreturn)) static SH_NOINLINE void double_free(const void *p, uint32_t bsize) {
    shi_panic("double free of %p (a %u-byte small block, already free)", p, bsize);
}

void shi_small_free_slow(shi_segment *seg, shi_page *pg, void *p) {
    (void)seg;
    uint8_t flags = __atomic_load_n(&pg->flags, __ATOMIC_RELAXED);
    uint32_t bsize = pg->bsize;
    if (flags & PAGE_HAS_ALIGNED) {
        p = shi_small_block_start(pg, p);  /* aligned blocks start inside their slot */
    } else if (unlikely(!shi_small_at_slot(pg, p))) {
        uint8_t *start = shi_small_block_start(pg, p);
        shi_panic("invalid free of %p: it points inside a block, not at its start (%zu bytes into "
                  "the %u-byte small block at %p)", p, (size_t)((uint8_t *)p - start), bsize,
                  (void *)start);
    }
    shi_block *b = p;
    shi_theap *owner = atomic_load_explicit(&pg->heap, memory_order_acquire);
    if (flags & PAGE_LENDING) {
        /* the flag was read before the bits that it makes valid */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        size_t i = (size_t)((uint8_t *)p - pg->start) / bsize;
        if (owner && owner == shi_tl_heap) {
            if (unlikely(shi_lend_bit(shi_lend_bits(pg), i))) double_free(p, bsize);
            heap_lock(owner);
            uint32_t k = lend_release(pg, i);
            pg->used -= k;
            owner->live -= (int64_t)k * bsize;
            owner->frees++;
            if (pg->used == 0) {
                page_unlink(owner, pg);
                page_release(owner, pg);
            }
            heap_unlock(owner);
            return;
        }
        bsize *= shi_lent_slots(shi_lend_bits(pg), i);  /* what the freeing thread counts */
    } else if (owner && owner == shi_tl_heap) {
        if (unlikely(b == pg->free)) double_free(p, bsize);
        b->next = pg->free;
        pg->free = b;
        pg->used--;
        owner->live -= bsize;
        owner->frees++;
        if ((flags & PAGE_IN_FULL) || pg->used == 0) {
            heap_lock(owner);
            if (flags & PAGE_IN_FULL) {
                page_unlink(owner, pg);
                queue_push_back(&owner->queues[pg->sclass], pg);
            }
            if (pg->used == 0) page_maybe_release(owner, pg);
            heap_unlock(owner);
        }
        return;
    }
    /* Read everything needed before the push: once the block is on xfree, the owner may
     * collect it and release the page at any moment. */
    shi_block *old = atomic_load_explicit(&pg->xfree, memory_order_relaxed);
    do {
        if (unlikely(old == b)) double_free(p, bsize);
        b->next = old;
    } while (!atomic_compare_exchange_weak_explicit(&pg->xfree, &old, b, memory_order_release,
                                                    memory_order_relaxed));
    if (owner && (flags & PAGE_IN_FULL)) atomic_store_explicit(&owner->full_dirty, 1, memory_order_relaxed);
    /* Counted in the freeing thread's own counters (their sums are what the stats read), so
     * a cross-thread free touches no shared counter. A thread that only frees gets a heap
     * for that; a thread past its exit (or out of memory) counts in the process totals. */
    shi_theap *me = shi_tl_heap;
    if (unlikely(!shi_theap_owned(me))) me = shi_theap_get();
    if (me) {
        me->live -= bsize;
        me->frees++;
        if (me->live - me->published < -SH_PUBLISH_SLACK) {
            /* Pages of an owner that sleeps may be draining: the purger looks (page_drain). */
            shi_purge_note((size_t)(me->published - me->live));
            shi_theap_publish(me);
        }
    } else {
        atomic_fetch_sub_explicit(&shi_g.xlive, bsize, memory_order_relaxed);
        atomic_fetch_sub_explicit(&shi_g.small_pub, bsize, memory_order_relaxed);
        atomic_fetch_add_explicit(&shi_g.xfrees, 1, memory_order_relaxed);
    }
}

/* Collects every page's frees, releases empty pages and purges idle slices now or later;
 * the segments of ended threads are tidied the same way. */
void shi_small_trim(shi_theap *h, bool force) {
    uint64_t now = shi_clock_ms();
    shi_theap_purge_retired(now, force);
    shi_small_purge_abandoned(now, force);
    if (h && shi_theap_owned(h)) {
        heap_lock(h);
        collect_full(h);
        release_empty_pages(h);
        heap_purge(h, force);
        heap_unlock(h);
    }
    shi_small_cache_trim(now, force);
}
