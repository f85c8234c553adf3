/*
 * check.c — panics, and the checked mode (STACKHEAP_CHECK=1 or -DSTACKHEAP_CHECKED=ON).
 *
 * A checked block is laid out as  [ user bytes | canary ... | requested size (8 bytes) ]
 * filling its slot: the canary between the end of what was asked for and the size tag
 * shows a write past the end; a bitmap per small page (a bit per slot) and the medium
 * headers' in-use flag show a double free; the segment map and a walk of the block
 * boundaries show an invalid free. Each ends the process with the address and what it was.
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
#define FREED 0xDD   /* freed blocks: use after free reads this */

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

static void put_tag(uint8_t *p, size_t usable, size_t n) {
    memcpy(p + usable - 8, &n, 8);
    memset(p + n, CANARY, usable - 8 - n);
}

static void verify_tag(const uint8_t *p, size_t usable, const char *kind) {
    size_t n;
    memcpy(&n, p + usable - 8, 8);
    if (n > usable - 16)
        shi_panic("heap overrun: the %s block at %p (%zu usable bytes) was written past its end: "
                  "its size tag is overwritten", kind, (const void *)p, usable - 16);
    for (size_t i = n; i < usable - 8; i++) {
        if (p[i] != CANARY)
            shi_panic("heap overrun: the %zu-byte %s block at %p was written past its end "
                      "(byte %zu, at %p, changed to 0x%02x)", n, kind, (const void *)p, i - n,
                      (const void *)(p + i), p[i]);
    }
}

static _Atomic uint64_t *small_bit(shi_segment *seg, shi_page *pg, const void *start, uint64_t *ret_mask) {
    size_t idx = (size_t)((const uint8_t *)start - pg->start) / pg->bsize;
    *ret_mask = 1ull << (idx & 63);
    return shi_check_bits(seg, (size_t)(pg - seg->pages)) + idx / 64;
}

void *shi_checked_malloc(size_t n, size_t align) {
    size_t want;
    if (__builtin_add_overflow(n, 16, &want)) { errno = ENOMEM; return NULL; }
    uint8_t *p = shi_alloc_any(want, align);
    if (!p) return NULL;
    size_t usable = shi_usable_any(p);
    shi_segment *seg = shi_segment_lookup(p);
    if (seg->kind == SEG_SMALL) {
        shi_page *pg = shi_page_of(seg, p);
        uint64_t mask;
        _Atomic uint64_t *w = small_bit(seg, pg, shi_small_block_start(pg, p), &mask);
        atomic_fetch_or(w, mask);
    }
    memset(p, FRESH, n);
    put_tag(p, usable, n);
    /* statistics speak of what the program asked for, as sh_usable_size does */
    atomic_fetch_add(&shi_g.check_overhead[seg->kind], (int64_t)(usable - n));
    return p;
}

static const char *kind_name(shi_segment *seg) {
    return seg->kind == SEG_SMALL ? "small" : seg->kind == SEG_MEDIUM ? "medium" : "huge";
}

/* Panics unless p is a live block; returns its usable size (slot, not request). `op` names
 * the call for the message. */
static size_t validate_live(void *p, const char *op) {
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
        uint8_t *start = shi_small_block_start(pg, p);
        if (start != p && !(pg->flags & PAGE_HAS_ALIGNED))
            shi_invalid_free(p, "it points inside a block, not at its start");
        uint64_t mask;
        _Atomic uint64_t *w = small_bit(seg, pg, start, &mask);
        if (!(atomic_load(w) & mask))
            shi_panic("double free of %p (%s of a %u-byte small block, already free)", p, op, pg->bsize);
        return shi_small_usable(pg, p);
    }
    if (seg->kind == SEG_MEDIUM) {
        bool in_use = false;
        if (!shi_medium_is_block(seg, p, &in_use)) {
            if (shi_check_recently_freed(p))
                shi_panic("double free of %p (%s of a medium block already freed)", p, op);
            shi_invalid_free(p, "it is not the start of a medium block");
        }
        if (!in_use) shi_panic("double free of %p (%s of a medium block, already free)", p, op);
        return shi_medium_usable(p);
    }
    if (p != (uint8_t *)seg + seg->huge_offset)
        shi_invalid_free(p, "it points inside a huge block, not at its start");
    return shi_usable_any(p);
}

void shi_checked_free(void *p) {
    size_t usable = validate_live(p, "free");
    shi_segment *seg = shi_segment_lookup(p);
    verify_tag(p, usable, kind_name(seg));
    if (seg->kind == SEG_SMALL) {
        shi_page *pg = shi_page_of(seg, p);
        uint64_t mask;
        _Atomic uint64_t *w = small_bit(seg, pg, shi_small_block_start(pg, p), &mask);
        if (!(atomic_fetch_and(w, ~mask) & mask))
            shi_panic("double free of %p (a %u-byte small block, freed twice at once)", p, pg->bsize);
    }
    size_t n;
    memcpy(&n, (const uint8_t *)p + usable - 8, 8);
    atomic_fetch_sub(&shi_g.check_overhead[seg->kind], (int64_t)(usable - n));
    if (seg->kind != SEG_HUGE) memset(p, FREED, usable);
    note_freed(p);
    shi_free_any(p);
}

size_t shi_checked_usable(const void *p) {
    size_t usable = validate_live((void *)p, "usable_size or realloc"), n;
    memcpy(&n, (const uint8_t *)p + usable - 8, 8);
    if (n > usable - 16) verify_tag(p, usable, kind_name(shi_segment_lookup(p)));
    return n;
}

/* What the walk reports for a block in use: the size asked for, as sh_usable_size does. */
size_t shi_checked_walk_size(const void *p, size_t usable) {
    size_t n;
    if (usable < 16) return usable;
    memcpy(&n, (const uint8_t *)p + usable - 8, 8);
    return n <= usable - 16 ? n : usable;
}
