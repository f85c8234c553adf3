/*
 * alloc.c — the public allocation calls and the dispatch to the three tiers.
 *
 * The fast paths: malloc of up to 1 KiB is one table load and a free-list pop; free of a
 * small block owned by the calling thread is a segment-map load and a free-list push.
 * Everything else (other sizes, other threads' blocks, checked mode) takes the slow path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "internal.h"

#define SH_API __attribute__((visibility("default")))

static inline bool mul_overflows(size_t a, size_t b, size_t *ret) {
    return __builtin_mul_overflow(a, b, ret);
}

/* ---- tier dispatch ------------------------------------------------------------------------- */

/* Medium and huge blocks are counted in the process totals: they take a lock anyway. */
static void *count_big(void *p) {
    if (p) {
        atomic_fetch_add_explicit(&shi_g.xallocs, 1, memory_order_relaxed);
        shi_stats_sample_peak();
    }
    return p;
}

static void count_big_free(void) {
    atomic_fetch_add_explicit(&shi_g.xfrees, 1, memory_order_relaxed);
}

/* An allocation by a thread past its exit (another key's destructor, glibc's own clean-up):
 * a heap for this one call, handed back at once; the block lives on in its pages, which the
 * next thread (or the purger) takes over with the heap. */
static SH_NOINLINE void *late_alloc(size_t n, size_t align) {
    shi_theap *h = shi_theap_claim();
    if (!h) { errno = ENOMEM; return NULL; }
    shi_tl_heap = h;
    void *p = shi_alloc_any(n, align);
    shi_tl_heap = &shi_exited_heap;
    shi_theap_release(h);
    return p;
}

void *shi_alloc_any(size_t n, size_t align) {
    shi_theap *h = shi_theap_get();
    if (unlikely(!h)) {
        if (shi_tl_heap == &shi_exited_heap) return late_alloc(n, align);
        errno = ENOMEM;
        return NULL;
    }
    if (align <= SH_ALIGN) {
        if (n <= SH_SMALL_MAX) return shi_small_alloc(h, n);
        if (n <= SH_MEDIUM_MAX) {
            void *p = h->mcache_n ? shi_medium_cache_take(h, n) : NULL;
            return p ? p : count_big(shi_medium_alloc(h, n, SH_ALIGN));
        }
        return count_big(shi_huge_alloc(n, SH_ALIGN, NULL));
    }
    /* Blocks of a class whose size is a multiple of the alignment are all aligned, as pages
     * start on 64 KiB boundaries. Otherwise ask for more and step forward to the boundary;
     * the page is marked so that free finds the block start. */
    if (n == 0) n = 1;  /* with n = 0 the aligned address could be the next block's start */
    if (n <= SH_SMALL_MAX && align <= 4096) {
        size_t cs = shi_class_size(shi_size_class(n));
        if ((cs & (align - 1)) == 0) return shi_small_alloc_slow(h, n);
        if (n + align - SH_ALIGN <= SH_SMALL_MAX) {
            uint8_t *b = shi_small_alloc_slow(h, n + align - SH_ALIGN);
            if (!b) return NULL;
            uint8_t *p = (uint8_t *)shi_align_up((uintptr_t)b, align);
            if (p != b) {
                shi_segment *seg = shi_segment_of(b);
                shi_page *pg = shi_page_of(seg, b);
                __atomic_or_fetch(&pg->flags, PAGE_HAS_ALIGNED, __ATOMIC_RELAXED);
            }
            return p;
        }
    }
    return count_big(n + align <= SH_MEDIUM_MAX && align < SH_SEG_SIZE / 4 ? shi_medium_alloc(h, n, align)
                                                                            : shi_huge_alloc(n, align, NULL));
}

/* p's segment known (not NULL): the tier's free. */
static inline void free_in(void *p, shi_segment *seg) {
    switch (seg->kind) {
    case SEG_SMALL: {
        shi_page *pg = shi_page_of(seg, p);
        if (unlikely(pg->slices == 0)) shi_invalid_free(p, "it is not inside a block in use");
        shi_small_free_slow(seg, pg, p);
        return;
    }
    case SEG_MEDIUM:
        if (unlikely(((uintptr_t)p & (SH_ALIGN - 1)) != 0))
            shi_invalid_free(p, "it is not the start of a block");
        if (shi_medium_cache_put(shi_tl_heap, seg, p)) return;
        shi_medium_free(seg, p);
        count_big_free();
        return;
    case SEG_HUGE:
        shi_huge_free(seg, p);
        count_big_free();
        return;
    default:
        shi_invalid_free(p, "its segment header is damaged");
    }
}

void shi_free_any(void *p) {
    shi_segment *seg = shi_segment_lookup(p);
    if (unlikely(!seg)) shi_invalid_free(p, "it is not memory this heap handed out");
    free_in(p, seg);
}

static SH_NOINLINE void free_slow(void *p, shi_segment *seg) {
    if (unlikely(!seg)) {
        if (shi_g.checked && shi_check_recently_freed(p))
            shi_panic("double free of %p (a block already freed)", p);
        shi_invalid_free(p, "it is not memory this heap handed out (or it was freed already)");
    }
    if (shi_g.checked) { shi_checked_free(p); return; }
    free_in(p, seg);
}

size_t shi_usable_any(const void *p) {
    shi_segment *seg = shi_segment_lookup(p);
    if (unlikely(!seg)) shi_invalid_free(p, "usable_size was given memory this heap did not hand out");
    switch (seg->kind) {
    case SEG_SMALL: return shi_small_usable(shi_page_of(seg, p), p);
    case SEG_MEDIUM: return shi_medium_usable(p);
    default: return shi_huge_usable(seg) - (size_t)((const uint8_t *)p - ((uint8_t *)seg + seg->huge_offset));
    }
}

/* ---- the public calls ------------------------------------------------------------------------ */

/* The first allocation of the process lands here: the mode must be known before it. */
static SH_NOINLINE void *malloc_slow(size_t n) {
    shi_ensure_init();
    if (shi_g.checked) return shi_checked_malloc(n, SH_ALIGN);
    return shi_alloc_any(n, SH_ALIGN);
}

/* Takes a block from the page's free list: the one its thread freed last, likely still in
 * the cache. NULL if the list is empty. */
static inline void *page_pop(shi_theap *h, shi_page *pg) {
    shi_block *b = pg->free;
    if (unlikely(b == NULL)) return NULL;
    pg->free = b->next;
    pg->used++;
    h->live += pg->bsize;
    h->allocs++;
    return b;
}

SH_API void *sh_malloc(size_t n) {
    shi_theap *h = shi_tl_heap;
    void *b = NULL;
    if (likely(n <= SH_DIRECT_MAX)) {
        b = page_pop(h, h->direct[(n + 15) >> 4]);
    } else if (n <= SH_SMALL_MAX && h->fast) {
        /* larger small sizes: the class's current page, without the dispatch below */
        shi_page *pg = h->queues[shi_size_class(n)].first;
        if (pg) b = page_pop(h, pg);
    }
    return likely(b != NULL) ? b : malloc_slow(n);
}

SH_API void sh_free(void *p) {
    if (unlikely(!p)) return;
    shi_segment *seg = shi_segment_lookup(p);
    if (likely(seg != NULL && seg->kind == SEG_SMALL)) {
        shi_page *pg = shi_page_of(seg, p);
        shi_theap *h = shi_tl_heap;
        /* The last block of a page among others goes to the slow path, which decides about
         * the emptied page; a page alone in its queue stays, as the slow path would keep it.
         * So do a pointer between slot starts and the block freed last (at the head of a free
         * list): the slow path names those mistakes. */
        shi_block *b = p;
        if (likely(atomic_load_explicit(&pg->heap, memory_order_relaxed) == h && pg->flags == 0 &&
                   (pg->used > 1 || (pg->next == NULL && pg->prev == NULL)) &&
                   b != pg->free && shi_small_at_slot(pg, p))) {
            b->next = pg->free;
            pg->free = b;
            pg->used--;
            h->live -= pg->bsize;
            h->frees++;
            return;
        }
        /* another thread's block, or a page's last: no second lookup */
        if (likely(!shi_g.checked && pg->slices != 0)) {
            shi_small_free_slow(seg, pg, p);
            return;
        }
    }
    free_slow(p, seg);
}

SH_API void *sh_calloc(size_t count, size_t size) {
    size_t n;
    if (unlikely(mul_overflows(count, size, &n))) { errno = ENOMEM; return NULL; }
    /* A huge block fresh from the OS is zero already: touching it would only cost RSS. */
    if (n > SH_MEDIUM_MAX && shi_theap_get() && !shi_g.checked) {
        bool fresh = false;
        void *p = count_big(shi_huge_alloc(n, SH_ALIGN, &fresh));
        if (p && !fresh) memset(p, 0, n);
        return p;
    }
    void *p = sh_malloc(n);
    if (p) memset(p, 0, n);
    return p;
}

SH_API size_t sh_usable_size(const void *p) {
    if (!p) return 0;
    shi_ensure_init();
    if (shi_g.checked) return shi_checked_usable(p);
    return shi_usable_any(p);
}

/* A block that has to move to grow is likely a buffer being grown: a quarter more room than
 * asked lets the next few reallocs stay in place instead of copying again. */
static size_t growth_room(size_t n) {
    size_t ask = n + n / 4;
    return ask > SH_MEDIUM_MAX ? SH_MEDIUM_MAX : ask;
}

SH_API void *sh_realloc(void *p, size_t n) {
    if (!p) return sh_malloc(n);
    if (n == 0) { sh_free(p); return NULL; }
    shi_ensure_init();
    if (shi_g.checked) {
        size_t old = shi_checked_usable(p);
        void *q = shi_checked_malloc(n, SH_ALIGN);
        if (!q) return NULL;
        memcpy(q, p, old < n ? old : n);
        shi_checked_free(p);
        return q;
    }
    shi_segment *seg = shi_segment_lookup(p);
    if (unlikely(!seg)) shi_invalid_free(p, "realloc was given memory this heap did not hand out");
    size_t old = shi_usable_any(p);
    switch (seg->kind) {
    case SEG_SMALL:
        /* stay when it fits and would not waste more than half the block */
        if (n <= old && n >= old / 2) return p;
        break;
    case SEG_MEDIUM:
        if (n > SH_SMALL_MAX / 2 && n <= SH_MEDIUM_MAX) {
            if (shi_medium_resize_in_place(seg, p, n)) return p;
            void *q = n > old ? shi_medium_grow_back(seg, p, growth_room(n)) : NULL;
            if (q) return q;
        }
        break;
    case SEG_HUGE:
        if (n > SH_MEDIUM_MAX) {
            void *q = shi_huge_realloc(seg, n);
            if (q) return q;
        }
        break;
    }
    size_t ask = seg->kind != SEG_HUGE && n > old && n <= SH_MEDIUM_MAX ? growth_room(n) : n;
    void *q = sh_malloc(ask);
    if (!q && ask != n) q = sh_malloc(n);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    sh_free(p);
    return q;
}

SH_API void *sh_reallocarray(void *p, size_t count, size_t size) {
    size_t n;
    if (unlikely(mul_overflows(count, size, &n))) { errno = ENOMEM; return NULL; }
    return sh_realloc(p, n);
}

static bool valid_alignment(size_t a) { return a != 0 && (a & (a - 1)) == 0; }

SH_API void *sh_aligned_alloc(size_t alignment, size_t size) {
    if (!valid_alignment(alignment)) { errno = EINVAL; return NULL; }
    if (alignment <= SH_ALIGN) return sh_malloc(size);
    if (size > ((size_t)1 << 47) || alignment > ((size_t)1 << 40)) { errno = ENOMEM; return NULL; }
    shi_ensure_init();
    if (shi_g.checked) return shi_checked_malloc(size, alignment);
    return shi_alloc_any(size, alignment);
}

SH_API int sh_posix_memalign(void **ret_ptr, size_t alignment, size_t size) {
    if (!valid_alignment(alignment) || alignment < sizeof(void *)) return EINVAL;
    int saved = errno;
    void *p = sh_aligned_alloc(alignment, size);
    if (!p) { int e = errno; errno = saved; return e ? e : ENOMEM; }
    *ret_ptr = p;
    return 0;
}

SH_API int sh_heap_checked(void) {
    shi_ensure_init();
    return shi_g.checked;
}
