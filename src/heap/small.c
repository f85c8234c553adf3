/*
 * small.c — blocks up to 32 KiB, from per-size-class pages owned by one thread heap.
 *
 * A page's owner allocates from `free` and frees onto `local_free` with plain loads and
 * stores. Other threads push onto the page's atomic `xfree` list, which the owner takes
 * over when `free` runs dry: a cross-thread free is one CAS on memory nobody else writes
 * to at that moment, and never a lock. Pages found full move to the heap's `full` list so
 * the search for space does not rescan them; a free into a full page brings it back.
 * When a thread exits, its segments are abandoned and the next thread short of space
 * adopts them, together with the frees other threads made into them meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "internal.h"

#define PURGE_DELAY_MS 500 /* how long free slices stay committed before going to the OS */
#define SEG_CACHE_MAX 8

static pthread_mutex_t segments_lock = PTHREAD_MUTEX_INITIALIZER;  /* all_* links, cache */
static shi_segment *all_segments;
static shi_segment *seg_cache;
static size_t seg_cache_count;

static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;
static shi_segment *abandoned;
static _Atomic size_t abandoned_count;

void shi_segments_lock(void) { pthread_mutex_lock(&segments_lock); }
void shi_segments_unlock(void) { pthread_mutex_unlock(&segments_lock); }
shi_segment *shi_segments_first(void) { return all_segments; }
void shi_abandoned_lock(void) { pthread_mutex_lock(&abandoned_lock); }
void shi_abandoned_unlock(void) { pthread_mutex_unlock(&abandoned_lock); }

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
    if (pg->flags & PAGE_IN_FULL) {
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

/* Moves the owner's and other threads' frees into `free`; the owner calls this only. */
static void page_collect(shi_page *pg) {
    if (pg->local_free) {
        if (!pg->free) {
            pg->free = pg->local_free;
        } else {
            shi_block *t = pg->local_free;
            while (t->next) t = t->next;
            t->next = pg->free;
            pg->free = pg->local_free;
        }
        pg->local_free = NULL;
    }
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
}

static unsigned page_slices(size_t bsize) {
    size_t n = (16 * bsize + SH_SLICE_SIZE - 1) / SH_SLICE_SIZE;
    return n < 1 ? 1 : n > 8 ? 8 : (unsigned)n;
}

/* First run of n free slices (slice 0 is the header), or -1. */
static int find_slices(shi_segment *seg, unsigned n) {
    uint64_t used = seg->slices_used, run = n == 64 ? ~0ull : ((1ull << n) - 1);
    for (unsigned i = 1; i + n <= SH_SLICES; i++) {
        if (((used >> i) & run) == 0) return (int)i;
    }
    return -1;
}

static void segment_account_slices(shi_segment *seg, uint64_t mask) {
    uint64_t purged = seg->slices_purged & mask;
    if (purged) {
        atomic_fetch_add_explicit(&shi_g.committed,
                                  (int64_t)__builtin_popcountll(purged) * (int64_t)SH_SLICE_SIZE,
                                  memory_order_relaxed);
        seg->slices_purged &= ~purged;
    }
}

static shi_page *page_init(shi_theap *h, shi_segment *seg, int slice, unsigned n, unsigned c) {
    uint64_t mask = (n == 64 ? ~0ull : ((1ull << n) - 1)) << slice;
    seg->slices_used |= mask;
    segment_account_slices(seg, mask);
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
    /* purged slices were already taken off `committed`; unmap takes off the whole size */
    atomic_fetch_add_explicit(&shi_g.committed,
                              (int64_t)__builtin_popcountll(seg->slices_purged) * (int64_t)SH_SLICE_SIZE,
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
    }
    pthread_mutex_unlock(&segments_lock);
    if (!seg) {
        seg = shi_os_map_aligned(SH_SEG_SIZE, SH_SEG_SIZE);
        if (!seg) return NULL;
        seg->kind = SEG_SMALL;
        seg->map_size = SH_SEG_SIZE;
        /* untouched slices hold no memory: committed counts them once a page is made there */
        seg->slices_purged = ~1ull;
        atomic_fetch_sub_explicit(&shi_g.committed, (int64_t)(SH_SLICES - 1) * (int64_t)SH_SLICE_SIZE,
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

/* A segment with no pages left: keep a few for reuse, give the rest back. */
static void segment_release(shi_theap *h, shi_segment *seg) {
    if (h) seg_list_remove(&h->segments, seg);
    seg->heap = NULL;
    pthread_mutex_lock(&segments_lock);
    if (seg_cache_count < SEG_CACHE_MAX) {
        seg->next = seg_cache;
        seg->dirty_since = shi_clock_ms();
        seg_cache = seg;
        seg_cache_count++;
    } else {
        segment_unmap_locked(seg);
    }
    pthread_mutex_unlock(&segments_lock);
}

/* Gives free slices that have been idle for a while back to the OS. */
static void segment_purge(shi_segment *seg, uint64_t now, bool force) {
    if (!seg->dirty_since || (!force && now - seg->dirty_since < PURGE_DELAY_MS)) return;
    uint64_t todo = ~seg->slices_used & ~seg->slices_purged & ~1ull;
    while (todo) {
        unsigned i = (unsigned)__builtin_ctzll(todo), n = 0;
        while (i + n < SH_SLICES && (todo >> (i + n) & 1)) n++;
        shi_os_purge((uint8_t *)seg + (size_t)i * SH_SLICE_SIZE, (size_t)n * SH_SLICE_SIZE);
        atomic_fetch_sub_explicit(&shi_g.committed, (int64_t)n * (int64_t)SH_SLICE_SIZE,
                                  memory_order_relaxed);
        uint64_t mask = (n == 64 ? ~0ull : ((1ull << n) - 1)) << i;
        seg->slices_purged |= mask;
        todo &= ~mask;
    }
    seg->dirty_since = 0;
}

static void cache_trim(uint64_t now, bool force) {
    pthread_mutex_lock(&segments_lock);
    shi_segment **link = &seg_cache;
    while (*link) {
        shi_segment *seg = *link;
        if (force || now - seg->dirty_since >= PURGE_DELAY_MS * 4) {
            *link = seg->next;
            seg_cache_count--;
            segment_unmap_locked(seg);
        } else {
            link = &seg->next;
        }
    }
    pthread_mutex_unlock(&segments_lock);
}

/* Returns true if the segment went with the page (it must not be touched then). */
static bool page_release(shi_theap *h, shi_page *pg) {
    shi_segment *seg = shi_segment_of(pg);
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
    if (seg->slices_used != 1) return false;
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

/* ---- adoption of abandoned segments ---------------------------------------------------------- */

static void adopt_segment(shi_theap *h, shi_segment *seg) {
    seg->heap = h;
    seg_list_push(&h->segments, seg);
    for (unsigned i = 1; i < SH_SLICES; i++) {
        shi_page *pg = &seg->pages[i];
        if (!pg->slices) continue;
        atomic_store_explicit(&pg->heap, h, memory_order_release);
        __atomic_and_fetch(&pg->flags, (uint8_t)~PAGE_IN_FULL, __ATOMIC_RELAXED);
        page_collect(pg);
        if (pg->used == 0) {
            if (page_release(h, pg)) return;
        } else {
            queue_push_back(&h->queues[pg->sclass], pg);
        }
    }
}

/* Takes one abandoned segment (or all of them) into h. Returns with h owning them. */
void shi_small_reclaim_abandoned(shi_theap *h, bool all) {
    do {
        if (!atomic_load_explicit(&abandoned_count, memory_order_relaxed)) return;
        pthread_mutex_lock(&abandoned_lock);
        shi_segment *seg = abandoned;
        if (seg) {
            abandoned = seg->next;
            atomic_fetch_sub_explicit(&abandoned_count, 1, memory_order_relaxed);
        }
        pthread_mutex_unlock(&abandoned_lock);
        if (!seg) return;
        adopt_segment(h, seg);
    } while (all);
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
        for (unsigned i = 1; i < SH_SLICES; i++)
            if (seg->pages[i].slices) atomic_store_explicit(&seg->pages[i].heap, NULL, memory_order_release);
        seg->heap = NULL;
        pthread_mutex_lock(&abandoned_lock);
        seg->prev = NULL;
        seg->next = abandoned;
        abandoned = seg;
        atomic_fetch_add_explicit(&abandoned_count, 1, memory_order_relaxed);
        pthread_mutex_unlock(&abandoned_lock);
        seg = next;
    }
    h->segments = NULL;
    memset(h->queues, 0, sizeof h->queues);
    h->full = NULL;
    for (size_t i = 0; i < SH_DIRECT_SLOTS; i++) h->direct[i] = &shi_empty_page;
}

void shi_small_heap_done(shi_theap *h) { abandon_heap(h); }

/* In a fork child only the forking thread lives on: the others' pages become adoptable. */
void shi_small_abandon_all_but(shi_theap *keep) {
    for (shi_theap *h = shi_heaps_first(); h; h = h->all_next) {
        if (h != keep && h->in_use && h->segments) abandon_heap(h);
    }
}

/* ---- the search for a page with space ---------------------------------------------------------- */

static void collect_full(shi_theap *h) {
    atomic_store_explicit(&h->full_dirty, 0, memory_order_relaxed);
    for (shi_page *pg = h->full; pg;) {
        shi_page *next = pg->next;
        if (atomic_load_explicit(&pg->xfree, memory_order_relaxed) || pg->local_free) {
            page_unlink(h, pg);
            page_collect(pg);
            if (pg->used == 0) page_release(h, pg);
            else queue_push_back(&h->queues[pg->sclass], pg);
        }
        pg = next;
    }
}

static void heap_purge(shi_theap *h, bool force) {
    uint64_t now = shi_clock_ms();
    if (!force && now - h->last_purge < PURGE_DELAY_MS / 4) return;
    h->last_purge = now;
    for (shi_segment *seg = h->segments; seg; seg = seg->next) segment_purge(seg, now, force);
    cache_trim(now, force);
}

static shi_page *page_new(shi_theap *h, unsigned c) {
    unsigned n = page_slices(shi_class_size(c));
    heap_purge(h, false);
    for (shi_segment *seg = h->segments; seg; seg = seg->next) {
        int slice = find_slices(seg, n);
        if (slice > 0) return page_init(h, seg, slice, n, c);
    }
    shi_segment *seg = segment_new(h);
    if (!seg) return NULL;
    return page_init(h, seg, find_slices(seg, n), n, c);
}

static shi_page *scan_queue(shi_theap *h, unsigned c) {
    shi_pageq *q = &h->queues[c];
    for (shi_page *pg = q->first; pg;) {
        shi_page *next = pg->next;
        page_collect(pg);
        if (pg->free) return pg;
        if (pg->capacity < pg->reserved) { page_extend(pg); return pg; }
        list_remove(&q->first, &q->last, pg);
        full_push(h, pg);
        pg = next;
    }
    return NULL;
}

static shi_page *find_page(shi_theap *h, unsigned c) {
    if (atomic_load_explicit(&h->full_dirty, memory_order_relaxed) ||
        (h->full && (++h->refills & 63) == 0))
        collect_full(h);
    shi_page *pg = scan_queue(h, c);
    if (!pg && atomic_load_explicit(&abandoned_count, memory_order_relaxed)) {
        shi_small_reclaim_abandoned(h, false);
        pg = scan_queue(h, c);
    }
    if (!pg) {
        pg = page_new(h, c);
        if (!pg) return NULL;
        page_extend(pg);
        queue_push_front(&h->queues[c], pg);
    } else if (h->queues[c].first != pg) {
        list_remove(&h->queues[c].first, &h->queues[c].last, pg);
        queue_push_front(&h->queues[c], pg);
    }
    set_direct(h, c, pg);
    if (h->live > h->peak_mark) {
        h->peak_mark = h->live + 32 * 1024;
        shi_stats_sample_peak();
    } else if (h->live + 64 * 1024 < h->peak_mark) {
        h->peak_mark = h->live + 32 * 1024;
    }
    return pg;
}

void *shi_small_alloc_slow(shi_theap *h, size_t n) {
    unsigned c = shi_size_class(n);
    shi_page *pg = h->queues[c].first;
    if (!pg || !pg->free) {
        pg = find_page(h, c);
        if (!pg) { errno = ENOMEM; return NULL; }
    }
    shi_block *b = pg->free;
    pg->free = b->next;
    pg->used++;
    h->live += pg->bsize;
    h->allocs++;
    return b;
}

/* ---- free ---------------------------------------------------------------------------------------- */

void *shi_small_block_start(shi_page *pg, const void *p) {
    size_t off = (size_t)((const uint8_t *)p - pg->start);
    return pg->start + off / pg->bsize * pg->bsize;
}

size_t shi_small_usable(shi_page *pg, const void *p) {
    const uint8_t *b = shi_small_block_start(pg, p);
    return pg->bsize - (size_t)((const uint8_t *)p - b);
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
    if (owner && owner == shi_tl_heap) {
        if (unlikely(b == pg->local_free || b == pg->free)) double_free(p, bsize);
        b->next = pg->local_free;
        pg->local_free = b;
        pg->used--;
        owner->live -= bsize;
        owner->frees++;
        if (flags & PAGE_IN_FULL) {
            page_unlink(owner, pg);
            queue_push_back(&owner->queues[pg->sclass], pg);
        }
        if (pg->used == 0) page_maybe_release(owner, pg);
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
     * for that; if even that fails, the process totals take it. */
    shi_theap *me = shi_theap_get();
    if (me) {
        me->live -= bsize;
        me->frees++;
    } else {
        atomic_fetch_sub_explicit(&shi_g.xlive, bsize, memory_order_relaxed);
        atomic_fetch_add_explicit(&shi_g.xfrees, 1, memory_order_relaxed);
    }
}

/* Collects every page's frees, releases empty pages and purges idle slices now or later. */
void shi_small_trim(shi_theap *h, bool force) {
    if (!h || h == &shi_empty_heap) {
        if (force) cache_trim(shi_clock_ms(), true);
        return;
    }
    shi_small_reclaim_abandoned(h, true);
    collect_full(h);
    release_empty_pages(h);
    heap_purge(h, force);
}
