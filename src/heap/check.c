/*
 * check.c — panics, and the checked mode (STACKHEAP_CHECK=1 or -DSTACKHEAP_CHECKED=ON).
 *
 * A checked block fills the slot its tier handed out (`base` to `end`: a small slot, a medium
 * block after its header, a huge mapping after the segment header) as
 *
 *     base                 user                                                          end
 *     [ front guard 0xFD.. | the n bytes asked for | canary 0xFD.. | end - user (8) | n (8) ]
 *
 * The front guard (32 bytes, or up to the alignment asked for) holds the words the allocator
 * writes into a free block — the small free-list link, the medium bin links — so that the
 * caller cannot reach them by writing a little before the block or into a block it freed: a
 * write before the start lands on the guard, a write after free on bytes that are checked
 * when the memory is handed out again. The canary between the end of what was asked for and
 * the two size tags shows a write past the end; the tags, counted from the end, find the user
 * pointer from the slot. Bitmaps per small page (handed out; freed since the page was made)
 * and the medium headers' in-use flag tell a double free from a free of a slot never handed
 * out; the segment map and a bounds-checked walk of the medium blocks show an invalid free.
 * Each mistake ends the process with its name and the address.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CANARY 0xFD
#define FRESH 0xAA   /* new blocks: reading before writing shows this pattern */
#define FREED SHI_CHECK_FREED  /* freed blocks: use after free reads this */

/* Recently freed addresses: a second free of a block whose memory has since merged with
 * its neighbours or gone back to the OS is still named a double free. */
#define FREED_RING 256
static const void *_Atomic freed_ring[FREED_RING];  /* lock-free: nothing to hold over fork */
static _Atomic unsigned freed_next;

static void note_freed(const void *p) {
    unsigned i = atomic_fetch_add_explicit(&freed_next, 1, memory_order_relaxed);
    atomic_store_explicit(&freed_ring[i % FREED_RING], p, memory_order_relaxed);
}

bool shi_check_recently_freed(const void *p) {
    for (unsigned i = 0; i < FREED_RING; i++)
        if (atomic_load_explicit(&freed_ring[i], memory_order_relaxed) == p) return true;
    return false;
}

void shi_panic(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n > sizeof msg - 2) n = (int)sizeof msg - 2;
    msg[n] = '\n';
    msg[n + 1] = 0;
    shi_os_write(2, "stackheap: ");
    shi_os_write(2, msg);
    abort();
}

void shi_invalid_free(const void *p, const char *why) {
    shi_panic("invalid free of %p: %s", p, why);
}

#define FRONT_MIN ((size_t)32)   /* the guard before the user bytes: at least the free links */
#define TAIL_MIN ((size_t)24)    /* at least 8 canary bytes, then the two size tags */
#define GUARD_MAX ((size_t)4096) /* a front grown by a large alignment is guarded at its end */
/* A huge block's slot starts right after the segment header; the mapping's own user pointer
 * is at the alignment asked for, at or after it. */
#define HUGE_BASE shi_align_up(offsetof(shi_segment, pages), SH_ALIGN)

/* The two bitmaps of a small page: bit i of the first says slot i is handed out, bit i of the
 * second that it was freed since the page was made. A checked slot has at least
 * FRONT_MIN + TAIL_MIN bytes, so a page of one slice has fewer than 2048 of them and one of
 * more slices fewer than 32: both maps fit the 512 bytes each slice has in slice 0. */
#define FREED_MAP_WORDS 32
_Static_assert(SH_SLICE_SIZE / (FRONT_MIN + TAIL_MIN) <= FREED_MAP_WORDS * 64 &&
               FREED_MAP_WORDS * 2 * 8 <= 512, "the checked-mode bitmaps fit their space");

static _Atomic uint64_t *slot_bit(shi_segment *seg, shi_page *pg, const void *slot, uint64_t *ret_mask) {
    size_t idx = (size_t)((const uint8_t *)slot - pg->start) / pg->bsize;
    *ret_mask = 1ull << (idx & 63);
    return shi_check_bits(seg, (size_t)(pg - seg->pages)) + idx / 64;
}

/* A checked block; see the layout above. */
typedef struct cblock {
    shi_segment *seg;
    shi_page *pg;          /* small blocks */
    uint8_t *base, *end;   /* the slot */
    uint8_t *user;
    size_t n;
} cblock;

static const char *kind_name(const shi_segment *seg) {
    return seg->kind == SEG_SMALL ? "small" : seg->kind == SEG_MEDIUM ? "medium" : "huge";
}

/* The user pointer and size from the tags at the end of [base, end), or false if they
 * cannot be a block's. */
static bool read_tags(const uint8_t *base, const uint8_t *end, uint8_t **ret_user, size_t *ret_n) {
    size_t dist, n, room = (size_t)(end - base);
    memcpy(&dist, end - 16, 8);
    memcpy(&n, end - 8, 8);
    if (room < FRONT_MIN + TAIL_MIN || dist % SH_ALIGN || dist > room - FRONT_MIN || dist < TAIL_MIN ||
        n > dist - TAIL_MIN)
        return false;
    *ret_user = (uint8_t *)end - dist;
    *ret_n = n;
    return true;
}

/* The user pointer of a block whose tags may be damaged: the front is FRONT_MIN unless the
 * block was aligned, so that is the best guess when the tags cannot be read. */
static uint8_t *user_of(const uint8_t *base, const uint8_t *end) {
    uint8_t *user;
    size_t n;
    return read_tags(base, end, &user, &n) ? user : (uint8_t *)base + FRONT_MIN;
}

/* The bytes the tier's statistics count for the block; what is not the request is the
 * checks' overhead, taken off the live figures. */
static size_t counted_bytes(const cblock *c) {
    return c->seg->kind == SEG_HUGE ? shi_huge_usable(c->seg) : (size_t)(c->end - c->base);
}

static size_t guard_size(const cblock *c) {
    size_t front = (size_t)(c->user - c->base);
    return front < GUARD_MAX ? front : GUARD_MAX;
}

/* The slot of a block the tier handed out at b. */
static void slot_of(shi_segment *seg, uint8_t *b, cblock *ret) {
    ret->seg = seg;
    switch (seg->kind) {
    case SEG_SMALL:
        ret->pg = shi_page_of(seg, b);
        ret->base = shi_small_block_start(ret->pg, b);  /* an aligned block starts inside it */
        ret->end = ret->base + ret->pg->bsize;
        break;
    case SEG_MEDIUM:
        ret->base = b;
        ret->end = b + shi_medium_usable(b);
        break;
    default:
        ret->base = (uint8_t *)seg + HUGE_BASE;
        ret->end = (uint8_t *)seg + seg->huge_offset + shi_huge_usable(seg);
    }
}

/* The small block in the slot before `slot`, when it is in use and its end is damaged: a
 * write that reached `slot` from there is that block's overrun, not a mistake made with the
 * slot's own block. `into` says what was hit, at `at`. */
static void blame_block_before(shi_segment *seg, shi_page *pg, uint8_t *slot, const char *into,
                               const void *at) {
    if (seg->kind != SEG_SMALL || slot == pg->start) return;
    cblock b = {.seg = seg, .pg = pg, .base = slot - pg->bsize, .end = slot};
    uint64_t mask;
    if (!(atomic_load(slot_bit(seg, pg, b.base, &mask)) & mask)) return;
    if (read_tags(b.base, b.end, &b.user, &b.n)) {
        const uint8_t *q = b.user + b.n;
        while (q < b.end - 16 && *q == CANARY) q++;
        if (q == b.end - 16) return;
    }
    shi_panic("heap overrun: the small block at %p was written past its end, into %s (at %p)",
              (void *)user_of(b.base, b.end), into, at);
}

/* A small slot was just taken off its page's free list: the link it held is the list's new
 * head, to be followed by the next allocation. It must be a slot of the page (or the end). */
static void verify_next_link(const cblock *c) {
    const shi_page *pg = c->pg;
    const uint8_t *next = (const uint8_t *)pg->free;
    if (!next || (next >= pg->start && next < pg->start + (size_t)pg->capacity * pg->bsize &&
                  (size_t)(next - pg->start) % pg->bsize == 0))
        return;
    blame_block_before(c->seg, c->pg, c->base, "the free slot after it", c->base);
    shi_panic("heap corruption: the free-list link of the freed small slot at %p is overwritten "
              "(it reads %p)", (void *)c->base, (const void *)next);
}

/* The first byte of [from, to) that is not the freed fill. With zero_ok, 16-byte lines of
 * zeros pass: a free medium block's pages given back to the OS, or never touched, read zero.
 * from and to are 8-byte aligned; lines are counted from a 16-byte boundary. */
static const uint8_t *first_written(const uint8_t *from, const uint8_t *to, bool zero_ok) {
    const uint64_t fill = 0x0101010101010101ull * FREED;
    for (const uint8_t *q = from; q < to;) {
        const uint8_t *line_end = (const uint8_t *)shi_align_up((uintptr_t)q + 1, 16);
        if (line_end > to) line_end = to;
        bool all_fill = true, all_zero = true;
        for (const uint8_t *r = q; r < line_end; r += 8) {
            uint64_t w;
            memcpy(&w, r, 8);
            all_fill &= w == fill;
            all_zero &= w == 0;
        }
        if (!all_fill && !(zero_ok && all_zero)) {
            /* in a line of zeros the write is what is neither zero nor fill */
            for (const uint8_t *r = q; r < line_end; r++)
                if (*r != FREED && !(zero_ok && *r == 0)) return r;
            for (const uint8_t *r = q; r < line_end; r++)
                if (*r != FREED) return r;
        }
        q = line_end;
    }
    return NULL;
}

/* Memory freed earlier is handed out again: it must still hold the fill put there by free,
 * except the allocator's own words (the small link, the medium links and epoch, all within
 * the front guard). Fresh small slots are not checked: only those freed since the page was
 * made. */
static void verify_reused(const cblock *c) {
    const uint8_t *w = c->seg->kind == SEG_SMALL ? first_written(c->base + 8, c->end, false)
                                                 : first_written(c->base + 24, c->end, true);
    if (!w) return;
    blame_block_before(c->seg, c->pg, c->base, "the free slot after it", c->base);
    shi_panic("heap write after free: %p, byte %td of the freed %s block at %p, was written "
                  "after the free (0x%02x, not 0xdd); seen when the memory was handed out again",
                  (const void *)w, w - c->user, kind_name(c->seg), (void *)c->user, *w);
}

void *shi_checked_malloc(size_t n, size_t align) {
    if (align < SH_ALIGN) align = SH_ALIGN;
    /* The guard takes `front` bytes before the block the tier hands out, aligned, so that
     * the user pointer is aligned too. An alignment this large always gets a huge mapping
     * (shi_alloc_any), whose user pointer already lies well past its header: the guard fits
     * in between, and asking for `align` more bytes would only cost address space. */
    size_t front = align >= SH_SEG_SIZE / 4 ? 0 : align > FRONT_MIN ? align : FRONT_MIN, want;
    uint8_t *b;
    cblock c = {.n = n};
    for (;;) {
        if (__builtin_add_overflow(n, front + TAIL_MIN, &want)) { errno = ENOMEM; return NULL; }
        b = shi_alloc_any(want, align);
        if (!b) return NULL;
        slot_of(shi_segment_lookup(b), b, &c);
        /* a huge block's user pointer is the first aligned one past a guard after the segment
         * header: b itself once the alignment is large */
        c.user = c.seg->kind == SEG_HUGE ? (uint8_t *)shi_align_up((uintptr_t)c.base + FRONT_MIN, align)
                                         : b + front;
        if ((size_t)(c.user - c.base) >= FRONT_MIN && (size_t)(c.end - c.user) >= n + TAIL_MIN) break;
        shi_free_any(b);  /* not the tier expected: ask again with room for the guard */
        front = align > FRONT_MIN ? align : FRONT_MIN;
    }
    if (c.seg->kind == SEG_SMALL) {
        uint64_t mask;
        _Atomic uint64_t *w = slot_bit(c.seg, c.pg, c.base, &mask);
        verify_next_link(&c);
        if (atomic_fetch_and(w + FREED_MAP_WORDS, ~mask) & mask) verify_reused(&c);
        atomic_fetch_or(w, mask);
    } else if (c.seg->kind == SEG_MEDIUM) {
        verify_reused(&c);
    }
    size_t guard = guard_size(&c), dist = (size_t)(c.end - c.user);
    memset(c.user - guard, CANARY, guard);
    memset(c.user, FRESH, n);
    memset(c.user + n, CANARY, dist - 16 - n);
    memcpy(c.end - 16, &dist, 8);
    memcpy(c.end - 8, &n, 8);
    /* statistics speak of what the program asked for, as sh_usable_size does */
    atomic_fetch_add(&shi_g.check_overhead[c.seg->kind], (int64_t)(counted_bytes(&c) - n));
    return c.user;
}

/* ---- finding and validating a block --------------------------------------------------------- */

/* A huge block's header sits just before its slot, where a long write before the block lands:
 * what free reads of it (sizes, offsets, the links of the list of live huge blocks) must hold
 * together. The links are read under the lock that guards them. */
static bool huge_link_sound(const shi_segment *s) {
    return !s || (shi_segment_lookup(s) == s && s->kind == SEG_HUGE);
}

static bool huge_header_sound(const shi_segment *seg) {
    if (seg->kind != SEG_HUGE || seg->map_size % SH_OS_PAGE || seg->huge_offset % SH_ALIGN ||
        seg->huge_offset < HUGE_BASE || seg->huge_offset >= seg->map_size ||
        seg->huge_usable > seg->map_size - seg->huge_offset || seg->huge_usable < TAIL_MIN)
        return false;
    shi_huge_lock();
    bool ok = huge_link_sound(seg->next) && huge_link_sound(seg->prev);
    shi_huge_unlock();
    return ok;
}

/* Finds the live block p should be the start of and reads its size tags; panics, naming the
 * mistake, unless p is exactly the user pointer of a block in use. */
static void find_live(void *p, const char *op, cblock *ret) {
    memset(ret, 0, sizeof *ret);
    shi_segment *seg = shi_segment_lookup(p);
    if (!seg) {
        if (shi_check_recently_freed(p)) shi_panic("double free of %p (%s of a huge block already freed)", p, op);
        shi_invalid_free(p, "it is not memory this heap handed out");
    }
    if (seg->kind == SEG_SMALL) {
        shi_page *pg = shi_page_of(seg, p);
        if (pg->slices == 0) {
            if (shi_check_recently_freed(p)) shi_panic("double free of %p (%s of a small block already freed)", p, op);
            shi_invalid_free(p, "it is not inside a block in use");
        }
        slot_of(seg, p, ret);
        uint64_t mask;
        _Atomic uint64_t *w = slot_bit(seg, pg, ret->base, &mask);
        if (!(atomic_load(w) & mask)) {
            if ((atomic_load(w + FREED_MAP_WORDS) & mask) || shi_check_recently_freed(p))
                shi_panic("double free of %p (%s of a block in a %u-byte small slot, already free)",
                          p, op, pg->bsize);
            shi_panic("invalid free of %p: it is in a small slot that was never allocated (the "
                      "%u-byte slot at %p)", p, pg->bsize, (void *)ret->base);
        }
    } else if (seg->kind == SEG_MEDIUM) {
        void *start = NULL;
        bool in_use = false;
        if (!shi_medium_is_block(seg, p, &start, &in_use)) {
            if (shi_check_recently_freed(p)) shi_panic("double free of %p (%s of a medium block already freed)", p, op);
            shi_invalid_free(p, "it is not inside a medium block");
        }
        slot_of(seg, start, ret);
        if (!in_use) {
            if (shi_check_recently_freed(p) || (uint8_t *)p == ret->base + FRONT_MIN)
                shi_panic("double free of %p (%s of a medium block, already free)", p, op);
            shi_invalid_free(p, "it points into a free medium block");
        }
    } else {
        if (!huge_header_sound(seg))
            shi_panic("heap underflow: the huge block at %p was written before its start, over the "
                      "header of its mapping (at %p)", p, (void *)seg);
        slot_of(seg, p, ret);
        if ((uint8_t *)p < ret->base || (uint8_t *)p >= ret->end)
            shi_invalid_free(p, "it points inside a huge block, not at its start");
    }
    if (!read_tags(ret->base, ret->end, &ret->user, &ret->n))
        shi_panic("heap overrun: the %s block at %p (a %zu-byte slot) was written past its end: its "
                  "size tags are overwritten", kind_name(seg), (void *)user_of(ret->base, ret->end),
                  (size_t)(ret->end - ret->base));
    if ((uint8_t *)p != ret->user)
        shi_panic("invalid free of %p: it points inside a block, not at its start (%td bytes from "
                  "the start of the %zu-byte %s block at %p)", p, (uint8_t *)p - ret->user, ret->n,
                  kind_name(seg), (void *)ret->user);
}

/* The tail: the canary from the end of the request up to the size tags. */
static void verify_tail(const cblock *c) {
    for (const uint8_t *q = c->user + c->n; q < c->end - 16; q++) {
        if (*q != CANARY)
            shi_panic("heap overrun: the %zu-byte %s block at %p was written past its end "
                      "(byte %zu, at %p, changed to 0x%02x)", c->n, kind_name(c->seg),
                      (void *)c->user, (size_t)(q - c->user) - c->n, (const void *)q, *q);
    }
}

/* The front guard: the bytes just before the user pointer. */
static void verify_front(const cblock *c) {
    size_t guard = guard_size(c);
    for (size_t i = 1; i <= guard; i++) {
        const uint8_t *q = c->user - i;
        if (*q == CANARY) continue;
        if (c->user - guard == c->base && c->base[0] != CANARY)
            blame_block_before(c->seg, c->pg, c->base, "the guard of the next block", c->user);
        shi_panic("heap underflow: the %zu-byte %s block at %p was written before its start "
                  "(byte -%zu, at %p, changed to 0x%02x)", c->n, kind_name(c->seg),
                  (void *)c->user, i, (const void *)q, *q);
    }
}

/* The medium walk found a header that cannot be one: whatever wrote there came from the block
 * before it, as an overrun while that block was in use or a write after it was freed. */
void shi_check_bad_header(const void *prev_start, size_t prev_usable, bool prev_in_use, const void *header) {
    if (!prev_start)
        shi_panic("heap corruption: the header of the first medium block of its segment (at %p) "
                  "is damaged", header);
    const uint8_t *base = prev_start, *end = base + prev_usable;
    if (!prev_in_use)
        shi_panic("heap corruption: the medium block header at %p, after the free block at %p, "
                  "is damaged (a write after free, or an overrun from further back)", header,
                  (const void *)(base + FRONT_MIN));
    uint8_t *user;
    size_t n;
    if (read_tags(base, end, &user, &n))
        shi_panic("heap overrun: the %zu-byte medium block at %p was written past its end, over "
                  "the next block's header (at %p)", n, (void *)user, header);
    shi_panic("heap overrun: the medium block at %p was written past its end, through its size "
              "tags and over the next block's header (at %p)", (void *)user_of(base, end), header);
}

void shi_checked_free(void *p) {
    cblock c;
    find_live(p, "free", &c);
    verify_front(&c);
    verify_tail(&c);
    if (c.seg->kind == SEG_SMALL) {
        uint64_t mask;
        _Atomic uint64_t *w = slot_bit(c.seg, c.pg, c.base, &mask);
        atomic_fetch_or(w + FREED_MAP_WORDS, mask);   /* before the handed-out bit goes */
        if (!(atomic_fetch_and(w, ~mask) & mask))
            shi_panic("double free of %p (a %u-byte small block, freed twice at once)", p, c.pg->bsize);
    }
    /* what the tier handed out: the slot, or a huge mapping's own user pointer */
    uint8_t *b = c.seg->kind == SEG_HUGE ? (uint8_t *)c.seg + c.seg->huge_offset : c.base;
    atomic_fetch_sub(&shi_g.check_overhead[c.seg->kind], (int64_t)(counted_bytes(&c) - c.n));
    if (c.seg->kind != SEG_HUGE) memset(c.base, FREED, (size_t)(c.end - c.base));
    note_freed(p);
    shi_free_any(b);
}

size_t shi_checked_usable(const void *p) {
    cblock c;
    find_live((void *)p, "usable_size or realloc", &c);
    return c.n;
}

/* What the walk reports for a block in use: where the caller's bytes start and how many were
 * asked for, as sh_usable_size says. The tags of a block another thread is setting up may not
 * be written yet: then the slot as it is. */
void shi_checked_walk_block(void **addr, size_t *size) {
    uint8_t *user, *base = *addr, *end = base + *size;
    size_t n;
    shi_segment *seg = shi_segment_lookup(base);
    if (seg && seg->kind == SEG_HUGE) base = (uint8_t *)seg + HUGE_BASE;  /* the walk gives the mapping's */
    if (!read_tags(base, end, &user, &n)) return;
    *addr = user;
    *size = n;
}
