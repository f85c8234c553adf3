/*
 * medium.c — blocks above 32 KiB up to 2 MiB: the lesson's "search for a free block".
 *
 * Each medium segment is one run of boundary-tagged blocks. A block's 16-byte header holds
 * the size of the block before it (valid while that one is free) and its own size with
 * two flags, so freeing merges with both neighbours in O(1). Free blocks sit in bins by
 * size class (12.5 % apart) with a bitmap of non-empty bins: the search looks through the
 * exact bin for the first block that fits, then takes the first block of the next
 * non-empty bin. Free blocks idle for a while have their inner pages given back to the OS.
 * Each arena has one mutex; threads are spread over SH_ARENAS arenas.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "internal.h"

typedef struct mblock {
    size_t prev_size;          /* size of the block before, while that block is free */
    size_t head;               /* size | M_* flags */
    struct mblock *next, *prev; /* bin links, while free */
    uint64_t freed_at;         /* ms clock when it became free */
} mblock;

#define M_INUSE ((size_t)1)
#define M_PREV_INUSE ((size_t)2)
#define M_PURGED ((size_t)4)      /* inner pages were given back to the OS */
#define M_FLAGS ((size_t)15)
#define M_HDR ((size_t)16)
#define M_MIN ((size_t)64)
#define PURGE_DELAY_MS 500
#define PURGE_MIN ((size_t)64 * 1024)
#define PURGE_NOTE ((size_t)1 << 20)  /* freed bytes told to purge.c at a time */

/* Each arena on cache lines of its own: the threads of two arenas write to them at once. */
typedef struct shi_arena {
    _Alignas(SH_CACHE_LINE) pthread_mutex_t lock;
    uint64_t binmap[2];
    mblock *bins[SH_BINS];
    shi_segment *segs;
    size_t nsegs;
    uint64_t last_purge;
    uint64_t now;              /* ms clock of the call holding the lock */
    size_t freed;              /* bytes freed since the last note to the purger */
    bool has_dirty;
} shi_arena;

static shi_arena arenas[SH_ARENAS] = {
    [0 ... SH_ARENAS - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};

static inline size_t msize(const mblock *b) { return b->head & ~M_FLAGS; }
static inline mblock *mnext(mblock *b) { return (mblock *)((uint8_t *)b + msize(b)); }
static inline mblock *mblock_of(const void *p) { return (mblock *)((uint8_t *)p - M_HDR); }

static size_t area_start(void) { return shi_align_up(sizeof(shi_segment), SH_OS_PAGE); }
static mblock *first_block(shi_segment *seg) { return (mblock *)((uint8_t *)seg + area_start()); }
static size_t area_size(void) { return SH_SEG_SIZE - area_start() - M_HDR; }

/* ---- bins ------------------------------------------------------------------------------- */

static unsigned bin_of(size_t size) { return shi_size_class(size) - 1; }

static void bin_insert(shi_arena *a, mblock *b) {
    unsigned i = bin_of(msize(b));
    b->prev = NULL;
    b->next = a->bins[i];
    if (b->next) b->next->prev = b;
    a->bins[i] = b;
    a->binmap[i >> 6] |= 1ull << (i & 63);
}

static void bin_remove(shi_arena *a, mblock *b) {
    unsigned i = bin_of(msize(b));
    if (b->prev) b->prev->next = b->next; else a->bins[i] = b->next;
    if (b->next) b->next->prev = b->prev;
    if (!a->bins[i]) a->binmap[i >> 6] &= ~(1ull << (i & 63));
}

/* Purged pages count as committed again once the block is split, merged or handed out. */
static void purge_range(mblock *b, uintptr_t *ret_lo, uintptr_t *ret_hi) {
    *ret_lo = shi_align_up((uintptr_t)b + sizeof(mblock), SH_OS_PAGE);
    *ret_hi = ((uintptr_t)b + msize(b)) & ~(uintptr_t)(SH_OS_PAGE - 1);
}

static void unpurge(mblock *b) {
    if (!(b->head & M_PURGED)) return;
    uintptr_t lo, hi;
    purge_range(b, &lo, &hi);
    if (hi > lo) atomic_fetch_add_explicit(&shi_g.committed, (int64_t)(hi - lo), memory_order_relaxed);
    b->head &= ~M_PURGED;
}

static mblock *find_fit(shi_arena *a, size_t need) {
    unsigned i = bin_of(need);
    for (mblock *b = a->bins[i]; b; b = b->next)
        if (msize(b) >= need) return b;
    for (unsigned w = (i + 1) >> 6; w < 2; w++) {
        uint64_t m = a->binmap[w];
        if (w == (i + 1) >> 6) m &= ~0ull << ((i + 1) & 63);
        if (m) return a->bins[w * 64 + (unsigned)__builtin_ctzll(m)];
    }
    return NULL;
}

/* Makes [b, b+size) one free block in the bins; the neighbours learn it is free. */
static void make_free(shi_arena *a, mblock *b, size_t size) {
    b->head = size | (b->head & M_PREV_INUSE);
    mblock *n = mnext(b);
    n->prev_size = size;
    n->head &= ~M_PREV_INUSE;
    b->freed_at = a->now;
    bin_insert(a, b);
    a->has_dirty = true;
}

/* Cuts [b+keep, end) off b as a free block when it is big enough to be one; returns it. */
static mblock *split_tail(shi_arena *a, mblock *b, size_t keep) {
    size_t size = msize(b);
    if (size - keep < M_MIN) return NULL;
    mblock *t = (mblock *)((uint8_t *)b + keep);
    b->head = keep | (b->head & M_FLAGS);
    t->head = M_PREV_INUSE;
    make_free(a, t, size - keep);
    return t;
}

/* A free piece of a purged block was never touched since: it is purged too, no call needed. */
static void mark_purged(mblock *b) {
    uintptr_t lo, hi;
    purge_range(b, &lo, &hi);
    if (hi > lo) atomic_fetch_sub_explicit(&shi_g.committed, (int64_t)(hi - lo), memory_order_relaxed);
    b->head |= M_PURGED;
}

/* ---- segments ----------------------------------------------------------------------------- */

static bool segment_add(shi_arena *a) {
    shi_segment *seg = shi_os_map_aligned(SH_SEG_SIZE, SH_SEG_SIZE);
    if (!seg) return false;
    seg->kind = SEG_MEDIUM;
    seg->map_size = SH_SEG_SIZE;
    seg->arena = a;
    seg->prev = NULL;
    seg->next = a->segs;
    if (a->segs) a->segs->prev = seg;
    a->segs = seg;
    a->nsegs++;
    mblock *b = first_block(seg);
    mblock *end = (mblock *)((uint8_t *)b + area_size());
    end->head = 0 | M_INUSE;  /* sentinel: stops the merge at the end */
    b->head = M_PREV_INUSE;
    make_free(a, b, area_size());
    /* Untouched pages hold no memory: count the new area as purged until it is used. */
    uintptr_t lo, hi;
    purge_range(b, &lo, &hi);
    atomic_fetch_sub_explicit(&shi_g.committed, (int64_t)(hi - lo), memory_order_relaxed);
    b->head |= M_PURGED;
    if (!a->last_purge) a->last_purge = shi_clock_ms();
    shi_segmap_set(seg, 0, NULL, true);
    return true;
}

static void segment_remove(shi_arena *a, shi_segment *seg) {
    if (seg->prev) seg->prev->next = seg->next; else a->segs = seg->next;
    if (seg->next) seg->next->prev = seg->prev;
    a->nsegs--;
    shi_segmap_set(seg, 0, NULL, false);
    shi_os_unmap(seg, seg->map_size);
}

/* Empty segments that were already purged (idle for a whole purge period) go back to the
 * OS, all but one per arena. Returns true if an empty one is left that will go later. */
static bool release_idle_segments(shi_arena *a, bool force) {
    bool more = false;
    for (shi_segment *seg = a->segs; seg && a->nsegs > 1;) {
        shi_segment *next = seg->next;
        mblock *b = first_block(seg);
        if (!(b->head & M_INUSE) && msize(b) == area_size()) {
            if (force || (b->head & M_PURGED)) {
                bin_remove(a, b);
                unpurge(b);
                segment_remove(a, seg);
            } else {
                more = true;
            }
        }
        seg = next;
    }
    return more;
}

/* Returns true if free memory is left that a later pass will purge or release. Looks at
 * most every PURGE_DELAY_MS / 2; purges the blocks free for PURGE_DELAY_MS or more (a block
 * freed a moment ago is likely to be wanted again soon). */
static bool arena_purge(shi_arena *a, uint64_t now, bool force) {
    a->now = now;
    if (!force && now - a->last_purge < PURGE_DELAY_MS / 2) return a->has_dirty;
    a->last_purge = now;
    bool more = release_idle_segments(a, force);
    if (!a->has_dirty) return more;
    a->has_dirty = false;
    for (unsigned i = bin_of(PURGE_MIN); i < SH_BINS; i++) {
        for (mblock *b = a->bins[i]; b; b = b->next) {
            if (b->head & M_PURGED) continue;
            if (!force && now - b->freed_at < PURGE_DELAY_MS) { a->has_dirty = true; continue; }
            uintptr_t lo, hi;
            purge_range(b, &lo, &hi);
            if (hi <= lo) continue;
            shi_os_purge((void *)lo, hi - lo);
            atomic_fetch_sub_explicit(&shi_g.committed, (int64_t)(hi - lo), memory_order_relaxed);
            b->head |= M_PURGED;
        }
    }
    return more || a->has_dirty;
}

static bool header_plausible(shi_segment *seg, mblock *b);

/* ---- the thread's cache of freed blocks ------------------------------------------------------ */

/* A cached block's first word: tells a second free of it (by any thread) and the walk that
 * it is free, though its arena still counts it in use. Differs per block and per run. */
static uint64_t mcache_key(const void *p) {
    return ((uintptr_t)p ^ (uintptr_t)&arenas) * 0x9e3779b97f4a7c15u;
}

static bool mcache_marked(const void *p) {
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED) == mcache_key(p);
}

static void mcache_drop(shi_theap *h, uint32_t i) {
    void *p = h->mcache[i];
    *(uint64_t *)p = 0;
    h->mcached -= (int64_t)shi_medium_usable(p);
    for (uint32_t j = i + 1; j < h->mcache_n; j++) h->mcache[j - 1] = h->mcache[j];
    __atomic_store_n(&h->mcache_n, h->mcache_n - 1, __ATOMIC_RELEASE);
}

/* A block the thread freed, if one is of n's size (at most an eighth bigger). */
void *shi_medium_cache_take(shi_theap *h, size_t n) {
    size_t need = shi_align_up(n, SH_ALIGN);
    for (uint32_t i = h->mcache_n; i-- > 0;) {
        void *p = h->mcache[i];
        size_t usable = shi_medium_usable(p);
        if (usable >= need && usable - need <= need / 8) {
            mcache_drop(h, i);
            h->allocs++;
            shi_purge_tick(shi_clock_ms());  /* a slow-path call: where memory may go back */
            return p;
        }
    }
    return NULL;
}

/* Keeps a block the thread frees, the oldest one going to its arena when full. False: the
 * block is not one to keep (too big, checked mode, a thread without a heap). */
bool shi_medium_cache_put(shi_theap *h, shi_segment *seg, void *p) {
    if (!shi_theap_owned(h) || shi_g.checked) return false;
    mblock *b = mblock_of(p);
    size_t head = __atomic_load_n(&b->head, __ATOMIC_RELAXED);  /* its arena may set a flag */
    if (!(head & M_INUSE) || !header_plausible(seg, b)) return false;  /* the arena says why */
    size_t usable = (head & ~M_FLAGS) - M_HDR;
    if (usable > SH_MCACHE_MAX) return false;
    if (mcache_marked(p)) shi_panic("double free of %p (a medium block, already free)", p);
    if (h->mcache_n == SH_MCACHE_SLOTS) {
        void *old = h->mcache[0];
        mcache_drop(h, 0);
        shi_medium_free(shi_segment_of(old), old);
    }
    *(uint64_t *)p = mcache_key(p);
    h->mcache[h->mcache_n] = p;
    __atomic_store_n(&h->mcache_n, h->mcache_n + 1, __ATOMIC_RELEASE);
    h->mcached += (int64_t)usable;
    h->frees++;
    return true;
}

/* Every cached block back to its arena (its free was counted when cached): the thread
 * ends, or trims. */
void shi_medium_cache_flush(shi_theap *h) {
    while (h->mcache_n) {
        void *p = h->mcache[h->mcache_n - 1];
        mcache_drop(h, h->mcache_n - 1);
        shi_medium_free(shi_segment_of(p), p);
    }
}

/* A fork child, after its locks are free again: the cache of a thread that is not in the
 * child. That thread may have been between two stores; a slot counted is written (the
 * count is stored after it), and only a block still marked as cached is freed. */
void shi_medium_cache_forget(shi_theap *h) {
    uint32_t n = __atomic_load_n(&h->mcache_n, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n && i < SH_MCACHE_SLOTS; i++) {
        void *p = h->mcache[i];
        shi_segment *seg = shi_segment_lookup(p);
        if (p && seg && seg->kind == SEG_MEDIUM && mcache_marked(p)) {
            *(uint64_t *)p = 0;
            shi_medium_free(seg, p);
        }
    }
    h->mcache_n = 0;
    h->mcached = 0;
}

/* ---- alloc / free --------------------------------------------------------------------------- */

static shi_arena *arena_for(shi_theap *h) { return &arenas[h ? h->arena % SH_ARENAS : 0]; }

void *shi_medium_alloc(shi_theap *h, size_t n, size_t align) {
    size_t need = shi_align_up(n, SH_ALIGN) + M_HDR;
    if (need < M_MIN) need = M_MIN;
    size_t search = align > SH_ALIGN ? need + align + M_MIN : need;
    if (search > area_size()) { errno = ENOMEM; return NULL; }
    shi_arena *a = arena_for(h);
    uint64_t now = shi_clock_ms();
    pthread_mutex_lock(&a->lock);
    a->now = now;
    mblock *b = find_fit(a, search);
    if (!b) {
        if (!segment_add(a)) { pthread_mutex_unlock(&a->lock); errno = ENOMEM; return NULL; }
        b = find_fit(a, search);
    }
    bin_remove(a, b);
    bool was_purged = (b->head & M_PURGED) != 0;
    unpurge(b);
    if (align > SH_ALIGN) {
        uintptr_t user = shi_align_up((uintptr_t)b + M_HDR, align);
        size_t front = user - M_HDR - (uintptr_t)b;
        if (front && front < M_MIN) front += align;  /* the gap must hold a free block */
        if (front) {
            size_t rest = msize(b) - front;
            mblock *ab = (mblock *)((uint8_t *)b + front);
            ab->head = rest;  /* PREV_INUSE clear: the front gap is free */
            make_free(a, b, front);
            if (was_purged) mark_purged(b);
            b = ab;
        }
    }
    b->head |= M_INUSE;
    mnext(b)->head |= M_PREV_INUSE;
    mblock *t = split_tail(a, b, need);
    if (t && was_purged) mark_purged(t);
    arena_purge(a, now, false);
    pthread_mutex_unlock(&a->lock);
    atomic_fetch_add_explicit(&shi_g.medium_live, (int64_t)(msize(b) - M_HDR), memory_order_relaxed);
    shi_purge_tick(now);
    return (uint8_t *)b + M_HDR;
}

/* A header that cannot be a block's: the pointer is not a block start. Cheap tests only;
 * checked mode walks the segment to be sure. */
static bool header_plausible(shi_segment *seg, mblock *b) {
    size_t size = msize(b);
    uint8_t *end = (uint8_t *)first_block(seg) + area_size();
    return size >= M_MIN && (size & 15) == 0 && (uint8_t *)b >= (uint8_t *)first_block(seg) &&
           size <= (size_t)(end - (uint8_t *)b);
}

void shi_medium_free(shi_segment *seg, void *p) {
    shi_arena *a = seg->arena;
    mblock *b = mblock_of(p);
    uint64_t now = shi_clock_ms();
    pthread_mutex_lock(&a->lock);
    a->now = now;
    if (unlikely(!header_plausible(seg, b))) {
        pthread_mutex_unlock(&a->lock);
        shi_invalid_free(p, "it is not the start of a medium block");
    }
    if (unlikely(!(b->head & M_INUSE) || mcache_marked(p))) {  /* or kept by a thread */
        pthread_mutex_unlock(&a->lock);
        shi_panic("double free of %p (a medium block, already free)", p);
    }
    b->head &= ~M_INUSE;  /* before any merge, so a second free of p is seen as one */
    size_t size = msize(b), freed = size;
    atomic_fetch_sub_explicit(&shi_g.medium_live, (int64_t)(size - M_HDR), memory_order_relaxed);
    mblock *n = mnext(b), *merged_n = NULL, *merged_b = NULL;
    if (!(n->head & M_INUSE)) {
        bin_remove(a, n);
        unpurge(n);
        size += msize(n);
        merged_n = n;
    }
    if (!(b->head & M_PREV_INUSE)) {
        mblock *pb = (mblock *)((uint8_t *)b - b->prev_size);
        bin_remove(a, pb);
        unpurge(pb);
        size += msize(pb);
        merged_b = b;
        b = pb;
    }
    b->head &= ~M_INUSE;
    /* Checked mode fills freed blocks, and checks the fill when the memory is handed out
     * again: a header and links merged into the middle of the free block get it too, to the
     * end of their 16-byte line (the check lets whole lines of zeros pass, as purged pages). */
    if (shi_g.checked) {
        if (merged_n) memset(merged_n, SHI_CHECK_FREED, shi_align_up(sizeof(mblock), 16));
        if (merged_b) memset(merged_b, SHI_CHECK_FREED, M_HDR);
    }
    /* An empty segment stays until the purge finds it idle: unmapping it now would make the
     * next burst map it again and fault every page in anew. */
    make_free(a, b, size);
    arena_purge(a, now, false);
    /* Arenas are purged on their own calls; one that no thread uses any more is purged by
     * the purger (or by another thread's pass), so its free memory does not stay. */
    a->freed += freed;
    size_t note = a->freed >= PURGE_NOTE ? a->freed : 0;
    if (note) a->freed = 0;
    pthread_mutex_unlock(&a->lock);
    if (note) shi_purge_note(note);
    shi_purge_tick(now);
}

size_t shi_medium_usable(const void *p) { return msize(mblock_of(p)) - M_HDR; }

/* Grows into a free neighbour or shrinks, without moving. */
bool shi_medium_resize_in_place(shi_segment *seg, void *p, size_t n) {
    shi_arena *a = seg->arena;
    mblock *b = mblock_of(p);
    size_t need = shi_align_up(n, SH_ALIGN) + M_HDR;
    if (need < M_MIN) need = M_MIN;
    uint64_t now = shi_clock_ms();
    pthread_mutex_lock(&a->lock);
    a->now = now;
    size_t old = msize(b);
    bool ok = true;
    if (need > old) {
        mblock *nx = mnext(b);
        if (!(nx->head & M_INUSE) && old + msize(nx) >= need) {
            bin_remove(a, nx);
            unpurge(nx);
            b->head = (old + msize(nx)) | (b->head & M_FLAGS);
            mnext(b)->head |= M_PREV_INUSE;
            split_tail(a, b, need);
        } else {
            ok = false;
        }
    } else if (old - need >= PURGE_MIN / 4) {
        split_tail(a, b, need);  /* only worth it when a real amount comes free */
        mblock *t = mnext(b);
        mblock *tn = mnext(t);
        if (!(tn->head & M_INUSE)) {  /* merge the cut-off tail with a free right neighbour */
            bin_remove(a, t);
            bin_remove(a, tn);
            unpurge(tn);
            t->head = M_PREV_INUSE;
            make_free(a, t, (size_t)((uint8_t *)mnext(tn) - (uint8_t *)t));
        }
    }
    pthread_mutex_unlock(&a->lock);
    if (ok) atomic_fetch_add_explicit(&shi_g.medium_live, (int64_t)msize(b) - (int64_t)old, memory_order_relaxed);
    return ok;
}

/* Grows p into the free block before it (and the one after, if free) when together they
 * hold n bytes: the bytes move down, but the freed space is used again at once instead of
 * staying a hole while the buffer takes new memory elsewhere. NULL if they do not fit. */
void *shi_medium_grow_back(shi_segment *seg, void *p, size_t n) {
    shi_arena *a = seg->arena;
    mblock *b = mblock_of(p);
    size_t need = shi_align_up(n, SH_ALIGN) + M_HDR;
    uint64_t now = shi_clock_ms();
    pthread_mutex_lock(&a->lock);
    a->now = now;
    size_t old = msize(b);
    if (b->head & M_PREV_INUSE) { pthread_mutex_unlock(&a->lock); return NULL; }
    mblock *pb = (mblock *)((uint8_t *)b - b->prev_size);
    mblock *nx = mnext(b);
    size_t total = msize(pb) + old + ((nx->head & M_INUSE) ? 0 : msize(nx));
    if (total < need) { pthread_mutex_unlock(&a->lock); return NULL; }
    bin_remove(a, pb);
    unpurge(pb);
    if (!(nx->head & M_INUSE)) {
        bin_remove(a, nx);
        unpurge(nx);
    }
    pb->head = total | (pb->head & M_PREV_INUSE) | M_INUSE;
    mnext(pb)->head |= M_PREV_INUSE;
    /* the bytes go down before the tail is cut off: its header may lie inside them */
    memmove((uint8_t *)pb + M_HDR, p, old - M_HDR);
    split_tail(a, pb, need);
    pthread_mutex_unlock(&a->lock);
    atomic_fetch_add_explicit(&shi_g.medium_live, (int64_t)msize(pb) - (int64_t)old, memory_order_relaxed);
    return (uint8_t *)pb + M_HDR;
}

/* Could b, reached from prev (NULL: b is the first block), be a block header? Its size keeps
 * it inside the area, its flags agree with prev's, and the end sentinel is where it belongs. */
static bool header_sound(shi_segment *seg, const mblock *prev, const mblock *b) {
    const uint8_t *end = (uint8_t *)first_block(seg) + area_size();
    bool prev_in_use = prev ? (prev->head & M_INUSE) != 0 : true;
    if (((b->head & M_PREV_INUSE) != 0) != prev_in_use) return false;
    if (!prev_in_use && b->prev_size != msize(prev)) return false;
    if ((const uint8_t *)b == end) return (b->head & ~M_PREV_INUSE) == M_INUSE;
    size_t size = msize(b);  /* the free gap cut before an aligned block can be 48 bytes */
    return size >= 48 && size <= (size_t)(end - (const uint8_t *)b) &&
           !(b->head & M_FLAGS & ~(M_INUSE | M_PREV_INUSE | M_PURGED)) &&
           !((b->head & M_INUSE) && (b->head & M_PURGED));
}

/* Checked mode: finds the block of this segment that holds p, walking from the first block.
 * Every header is checked before the walk trusts it, and so is the header after the block
 * found (a free merges with it): a damaged one is reported as an overrun of the block before
 * it. False if p is in no block's bytes (in a header); else the block's first byte after its
 * header, and whether it is in use. */
bool shi_medium_is_block(shi_segment *seg, const void *p, void **ret_start, bool *ret_in_use) {
    shi_arena *a = seg->arena;
    const uint8_t *end = (uint8_t *)first_block(seg) + area_size(), *q = p;
    bool found = false, bad = false, prev_in_use = false;
    void *prev_start = NULL;
    size_t prev_usable = 0;
    pthread_mutex_lock(&a->lock);
    mblock *prev = NULL, *b = first_block(seg);
    for (;; prev = b, b = mnext(b)) {
        if (!header_sound(seg, prev, b)) {
            bad = true;
            if (prev) {
                prev_start = (uint8_t *)prev + M_HDR;
                prev_usable = msize(prev) - M_HDR;
                prev_in_use = (prev->head & M_INUSE) != 0;
            }
            break;
        }
        /* after the block found, its successor's header has just been checked */
        if (found || (const uint8_t *)b == end || q < (uint8_t *)b + M_HDR) break;
        if (q < (uint8_t *)b + msize(b)) {
            found = true;
            *ret_start = (uint8_t *)b + M_HDR;
            *ret_in_use = (b->head & M_INUSE) != 0;
        }
    }
    pthread_mutex_unlock(&a->lock);
    if (bad) shi_check_bad_header(prev_start, prev_usable, prev_in_use, b);
    return found;
}

void shi_medium_trim(bool force) {
    for (unsigned i = 0; i < SH_ARENAS; i++) {
        shi_arena *a = &arenas[i];
        if (!a->segs) continue;
        pthread_mutex_lock(&a->lock);
        arena_purge(a, shi_clock_ms(), force);
        pthread_mutex_unlock(&a->lock);
    }
}

/* One purge pass over every arena (each only if its delay has passed). `wait`: take each
 * arena's lock, else skip the busy ones. Returns true if free memory waits to be purged. */
bool shi_medium_purge_all(bool wait) {
    bool more = false;
    for (unsigned i = 0; i < SH_ARENAS; i++) {
        shi_arena *a = &arenas[i];
        if (!a->segs) continue;
        if (wait) pthread_mutex_lock(&a->lock);
        else if (pthread_mutex_trylock(&a->lock) != 0) { more = true; continue; }
        if (arena_purge(a, shi_clock_ms(), false)) more = true;
        pthread_mutex_unlock(&a->lock);
    }
    return more;
}

void shi_medium_lock_all(void) {
    for (unsigned i = 0; i < SH_ARENAS; i++) pthread_mutex_lock(&arenas[i].lock);
}

void shi_medium_unlock_all(void) {
    for (unsigned i = 0; i < SH_ARENAS; i++) pthread_mutex_unlock(&arenas[i].lock);
}

void shi_medium_walk_locked(shi_walk_emit emit, void *ctx) {
    for (unsigned i = 0; i < SH_ARENAS; i++) {
        for (shi_segment *seg = arenas[i].segs; seg; seg = seg->next) {
            for (mblock *b = first_block(seg); msize(b); b = mnext(b))
                emit(ctx, (uint8_t *)b + M_HDR, msize(b) - M_HDR,
                     (b->head & M_INUSE) != 0 && !mcache_marked((uint8_t *)b + M_HDR), SH_BLOCK_MEDIUM);
        }
    }
}
