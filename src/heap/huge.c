/*
 * huge.c — blocks above 2 MiB, each in a mapping of its own.
 *
 * Mapping and unmapping cost a system call and fresh zeroed pages each time, so freed
 * mappings wait in a small cache for a while before they go back to the OS; a program that
 * frees and allocates big buffers in a loop reuses them. Growing a huge block moves its
 * page tables with mremap instead of copying the bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "internal.h"

#define CACHE_SLOTS 16
#define CACHE_MAX_BYTES ((size_t)64 << 20)
#define CACHE_DELAY_MS 2000
#define HDR offsetof(shi_segment, pages)

static pthread_mutex_t huge_lock = PTHREAD_MUTEX_INITIALIZER;
static shi_segment *live_list;                 /* every live huge block, for the walk */
static shi_segment *cache[CACHE_SLOTS];
static size_t cache_bytes;

void shi_huge_lock(void) { pthread_mutex_lock(&huge_lock); }
void shi_huge_unlock(void) { pthread_mutex_unlock(&huge_lock); }

static void live_push(shi_segment *seg) {
    seg->prev = NULL;
    seg->next = live_list;
    if (live_list) live_list->prev = seg;
    live_list = seg;
}

static void live_remove(shi_segment *seg) {
    if (seg->prev) seg->prev->next = seg->next; else live_list = seg->next;
    if (seg->next) seg->next->prev = seg->prev;
}

static void cache_trim_locked(uint64_t now, bool force) {
    for (unsigned i = 0; i < CACHE_SLOTS; i++) {
        shi_segment *seg = cache[i];
        if (seg && (force || now - seg->huge_freed_at >= CACHE_DELAY_MS)) {
            cache[i] = NULL;
            cache_bytes -= seg->map_size;
            shi_os_unmap(seg, seg->map_size);
        }
    }
}

/* The smallest cached mapping that fits, or else the largest one, to be grown: either way
 * the pages it already has need no fresh page faults. */
static shi_segment *cache_pick_locked(size_t total) {
    int fit = -1, big = -1;
    for (unsigned i = 0; i < CACHE_SLOTS; i++) {
        shi_segment *seg = cache[i];
        if (!seg) continue;
        if (seg->map_size >= total && (fit < 0 || seg->map_size < cache[fit]->map_size)) fit = (int)i;
        if (big < 0 || seg->map_size > cache[big]->map_size) big = (int)i;
    }
    int pick = fit >= 0 ? fit : big;
    if (pick < 0) return NULL;
    shi_segment *seg = cache[pick];
    cache[pick] = NULL;
    cache_bytes -= seg->map_size;
    return seg;
}

/* Caches a freed mapping, merged with cached mappings right before and after it: pieces of
 * one split mapping become one again, so a later request too big for either piece still
 * finds its pages. Returns NULL, or what did not fit (merged), for the caller to unmap
 * after unlocking. */
static shi_segment *cache_put_locked(shi_segment *seg, uint64_t now) {
    for (unsigned i = 0; i < CACHE_SLOTS; i++) {
        shi_segment *c = cache[i];
        if (!c) continue;
        if ((uint8_t *)c + c->map_size == (uint8_t *)seg) {
            cache[i] = NULL;
            cache_bytes -= c->map_size;
            c->map_size += seg->map_size;
            seg = c;
        } else if ((uint8_t *)seg + seg->map_size == (uint8_t *)c) {
            cache[i] = NULL;
            cache_bytes -= c->map_size;
            seg->map_size += c->map_size;
        }
    }
    if (cache_bytes + seg->map_size > CACHE_MAX_BYTES) return seg;
    for (unsigned i = 0; i < CACHE_SLOTS; i++) {
        if (!cache[i]) {
            seg->huge_freed_at = now;
            cache[i] = seg;
            cache_bytes += seg->map_size;
            return NULL;
        }
    }
    return seg;
}

/* Makes a cached mapping fit `total` bytes: a long one is split, a tail of over three
 * quarters goes back to the OS; a short mapping grows (in place, or moved by the kernel
 * without copying). */
static shi_segment *cache_fit(shi_segment *seg, size_t total) {
    size_t have = seg->map_size;
    size_t keep = shi_align_up(total, SH_SEG_SIZE);
    if (have > keep + SH_MEDIUM_MAX + HDR) {
        /* The segments beyond the request stay cached, faulted in, for the next huge block
         * (whose mapping is always longer than SH_MEDIUM_MAX + HDR). */
        shi_segment *tail = (shi_segment *)((uint8_t *)seg + keep);
        tail->map_size = have - keep;
        seg->map_size = keep;
        pthread_mutex_lock(&huge_lock);
        shi_segment *left = cache_put_locked(tail, shi_clock_ms());
        pthread_mutex_unlock(&huge_lock);
        if (left) shi_os_unmap(left, left->map_size);
        return seg;
    }
    if (have >= total && have / 4 <= total) return seg;  /* keep the faulted-in tail */
    if (have > total) {
        shi_os_unmap((uint8_t *)seg + total, have - total);
        seg->map_size = total;
        return seg;
    }
    if (shi_os_remap(seg, have, total)) {
        seg->map_size = total;
        return seg;
    }
    shi_segment *moved = shi_os_move(seg, have, total, SH_SEG_SIZE);
    if (!moved) {
        shi_os_unmap(seg, have);
        return NULL;
    }
    moved->map_size = total;
    return moved;
}

/* Where the user pointer sits in the mapping: below the segment size, right after the
 * header, rounded up to `align`. From the segment size up the user pointer starts a 4 MiB
 * unit, so the header goes in the 4 MiB just before it (the nearest place a segment can
 * start): the mapping is placed so that seg + 4 MiB is aligned to `align`, and it is 4 MiB
 * longer than the block whatever the alignment, instead of `align` bytes longer. */
static size_t user_offset(size_t align) {
    return align >= SH_SEG_SIZE ? SH_SEG_SIZE : shi_align_up(HDR, align);
}

void *shi_huge_alloc(size_t n, size_t align, bool *ret_fresh) {
    if (align < SH_ALIGN) align = SH_ALIGN;
    size_t offset = user_offset(align);
    size_t units_back = offset >> SH_SEG_SHIFT;  /* 0 or 1 */
    if (n > ((size_t)1 << 47)) { errno = ENOMEM; return NULL; }
    size_t total = shi_align_up(offset + n, SH_OS_PAGE);
    shi_segment *seg = NULL;
    pthread_mutex_lock(&huge_lock);
    if (align <= SH_SEG_SIZE) seg = cache_pick_locked(total);
    cache_trim_locked(shi_clock_ms(), false);
    pthread_mutex_unlock(&huge_lock);
    if (seg) seg = cache_fit(seg, total);
    if (ret_fresh) *ret_fresh = seg == NULL;
    if (!seg) {
        seg = align > SH_SEG_SIZE ? shi_os_map_aligned_at(total, align, offset)
                                  : shi_os_map_aligned(total, SH_SEG_SIZE);
        if (!seg) { errno = ENOMEM; return NULL; }
        seg->map_size = total;
    }
    seg->kind = SEG_HUGE;
    seg->huge_offset = offset;
    seg->huge_usable = total - offset;  /* a bigger cached mapping keeps its tail unseen */
    uint8_t *user = (uint8_t *)seg + offset;
    shi_segmap_set(seg, units_back, user, true);
    pthread_mutex_lock(&huge_lock);
    live_push(seg);
    pthread_mutex_unlock(&huge_lock);
    atomic_fetch_add_explicit(&shi_g.huge_live, (int64_t)seg->huge_usable, memory_order_relaxed);
    return user;
}

size_t shi_huge_usable(shi_segment *seg) { return seg->huge_usable; }

void shi_huge_free(shi_segment *seg, void *p) {
    if (unlikely(p != (uint8_t *)seg + seg->huge_offset))
        shi_invalid_free(p, "it points inside a huge block, not at its start");
    size_t units_back = seg->huge_offset >> SH_SEG_SHIFT;
    shi_segmap_set(seg, units_back, p, false);
    atomic_fetch_sub_explicit(&shi_g.huge_live, (int64_t)seg->huge_usable, memory_order_relaxed);
    uint64_t now = shi_clock_ms();
    pthread_mutex_lock(&huge_lock);
    live_remove(seg);
    cache_trim_locked(now, false);
    shi_segment *left = units_back == 0 && !shi_g.checked ? cache_put_locked(seg, now) : seg;
    pthread_mutex_unlock(&huge_lock);
    if (left) shi_os_unmap(left, left->map_size);
    else shi_purge_note(seg->map_size);
}

/* Resizes in place or by moving page tables; NULL if neither worked (the caller copies). */
void *shi_huge_realloc(shi_segment *seg, size_t n) {
    size_t offset = seg->huge_offset;
    if (offset >= SH_SEG_SIZE || n > ((size_t)1 << 47)) return NULL;
    size_t total = shi_align_up(offset + n, SH_OS_PAGE);
    size_t old = seg->map_size;
    shi_segment *nseg = seg;
    if (total <= old && total >= old / 2) {
        /* fits in the mapping; a tail of less than half is not worth giving back */
    } else if (shi_os_remap(seg, old, total)) {
        nseg->map_size = total;
    } else {
        pthread_mutex_lock(&huge_lock);
        live_remove(seg);
        pthread_mutex_unlock(&huge_lock);
        shi_segmap_set(seg, 0, NULL, false);
        nseg = shi_os_move(seg, old, total, SH_SEG_SIZE);
        if (!nseg) nseg = seg;  /* still mapped where it was */
        shi_segmap_set(nseg, 0, NULL, true);
        pthread_mutex_lock(&huge_lock);
        live_push(nseg);
        pthread_mutex_unlock(&huge_lock);
        if (nseg == seg) return NULL;
        nseg->map_size = total;
    }
    size_t usable = total - offset;
    atomic_fetch_add_explicit(&shi_g.huge_live, (int64_t)usable - (int64_t)nseg->huge_usable,
                              memory_order_relaxed);
    nseg->huge_usable = usable;
    return (uint8_t *)nseg + offset;
}

bool shi_huge_pending(void) { return __atomic_load_n(&cache_bytes, __ATOMIC_RELAXED) != 0; }

void shi_huge_trim(bool force) {
    pthread_mutex_lock(&huge_lock);
    cache_trim_locked(shi_clock_ms(), force);
    pthread_mutex_unlock(&huge_lock);
}

void shi_huge_walk_locked(shi_walk_emit emit, void *ctx) {
    for (shi_segment *seg = live_list; seg; seg = seg->next)
        emit(ctx, (uint8_t *)seg + seg->huge_offset, seg->huge_usable, 1, SH_BLOCK_HUGE);
}
