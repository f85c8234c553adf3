/*
 * check.c — panics, and the checked mode (STACKHEAP_CHECK=1 or -DSTACKHEAP_CHECKED=ON).
 *
 * A checked block fills the slot its tier handed out (`base` to `end`: a small slot, a medium
 * block after its header, a huge mapping after the segment header), its user bytes as near
 * the end as their alignment allows:
 *
 *     base                  user                                                 end
 *     [ front guard 0xFD ... | the n bytes asked for | canary 0xFD ... | tag (8) ]
 *
 * The front guard (16 bytes in a small slot, 32 in a medium or huge block, the alignment when
 * that is more, and whatever the slot has to spare) holds the words the allocator writes into
 * a free block — the small free-list link, the medium bin links — so that the caller cannot
 * reach them by writing a little before the block or into a block it freed: a write before
 * the start lands on the guard, a write after free on bytes that are checked when the memory
 * is handed out again. The canary (fewer bytes than the alignment: none when n fills the
 * last 16-byte line) and the tag after it show a write past the end. The tag holds n, the
 * alignment and a check of both, so a damaged tag is seen; the user pointer follows from
 * them and the end of the slot. Bitmaps per small page (handed out; freed since the page was
 * made) and the medium headers' in-use flag tell a double free from a free of a slot never
 * handed out; the segment map and a bounds-checked walk of the medium blocks show an invalid
 * free. Each mistake ends the process with its name and the address.
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

#define FRONT_SMALL ((size_t)16) /* a small slot's guard: its free-list link and 8 more */
#define FRONT_BIG ((size_t)32)   /* a medium block's: its bin links and epoch, and 8 more */
#define TAG ((size_t)8)
#define GUARD_MAX ((size_t)4096) /* a front grown by a large alignment is guarded at its end */
/* A huge block's slot starts right after the segment header; the mapping's own user pointer
 * is at the alignment asked for, at or after it. */
#define HUGE_BASE shi_align_up(offsetof(shi_segment, pages), SH_ALIGN)

/* The two bitmaps of a small page: bit i of the first says slot i is handed out, bit i of the
 * second that it was freed since the page was made. A checked slot holds at least
 * FRONT_SMALL + TAG bytes, so it is of the 32-byte class or larger: a page of one slice has
 * at most 2048 slots, one of more slices fewer than 32, and both maps fit the 512 bytes each
 * slice has in slice 0. */
#define FREED_MAP_WORDS 32
_Static_assert(FRONT_SMALL + TAG > 16 && SH_SLICE_SIZE / 32 <= FREED_MAP_WORDS * 64 &&
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

static size_t front_min(const shi_segment *seg) {
    return seg->kind == SEG_SMALL ? FRONT_SMALL : FRONT_BIG;
}

/* The tag: n in bits 0-47, log2 of the alignment in 48-53, and in 54-63 the ten-bit chunks of
 * both XORed together, so that any one damaged bit, or byte in a chunk, shows. */
#define TAG_N_MASK (((uint64_t)1 << 48) - 1)

static uint64_t tag_check(uint64_t n, unsigned lg) {
    uint64_t f = 0x2D5;
    for (uint64_t v = n | (uint64_t)lg << 48; v; v >>= 10) f ^= v & 0x3FF;
    return f;
}

static uint64_t tag_make(size_t n, size_t align) {
    unsigned lg = (unsigned)__builtin_ctzll(align);
    return (uint64_t)n | (uint64_t)lg << 48 | tag_check(n, lg) << 54;
}

/* Where the user bytes of an n-byte block start in a slot ending at `end`. */
static uint8_t *user_at(const uint8_t *end, size_t n, size_t align) {
    return (uint8_t *)((uintptr_t)(end - TAG - n) & ~(uintptr_t)(align - 1));
}

/* The user pointer and size from the tag at the end of [base, end), or false if it cannot
 * be a block's. */
static bool read_tag(const uint8_t *base, const uint8_t *end, size_t front, uint8_t **ret_user,
                     size_t *ret_n) {
    size_t room = (size_t)(end - base);
    uint64_t t;
    memcpy(&t, end - TAG, 8);
    size_t n = (size_t)(t & TAG_N_MASK);
    unsigned lg = (unsigned)(t >> 48) & 63;
    if (t >> 54 != tag_check(n, lg) || lg < 4 || lg > 40 || room < front + TAG || n > room - front - TAG)
        return false;
    uint8_t *user = user_at(end, n, (size_t)1 << lg);
    if (user < base + front) return false;
    *ret_user = user;
    *ret_n = n;
    return true;
}

/* The user pointer of a block whose tag may be damaged: past the guard's first `front`
 * bytes, the first 16-byte line that is not all canary (the user bytes start on one). */
static uint8_t *user_of(const uint8_t *base, const uint8_t *end, size_t front) {
    uint8_t *user;
    size_t n;
    if (read_tag(base, end, front, &user, &n)) return user;
    const uint8_t *q = base + front;
    while (q + 16 < end - TAG && q[0] == CANARY && !memcmp(q, q + 1, 15)) q += 16;
    return (uint8_t *)q;
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
    if (read_tag(b.base, b.end, FRONT_SMALL, &b.user, &b.n)) {
        const uint8_t *q = b.user + b.n;
        while (q < b.end - TAG && *q == CANARY) q++;
        if (q == b.end - TAG) return;
    }
    shi_panic("heap overrun: the small block at %p was written past its end, into %s (at %p)",
              (void *)user_of(b.base, b.end, FRONT_SMALL), into, at);
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
    if (n > ((size_t)1 << 47)) { errno = ENOMEM; return NULL; }   /* the tag holds 48 bits */
    /* The guard takes `front` bytes before the block the tier hands out, aligned, so that the
     * user pointer is aligned too. An alignment this large always gets a huge mapping
     * (shi_alloc_any), whose user pointer already lies well past its header: the guard fits
     * in between, and asking for `align` more bytes would only cost address space. */
    bool small = align == SH_ALIGN && n <= SH_SMALL_MAX - FRONT_SMALL - TAG;
    size_t front = align >= SH_SEG_SIZE / 4 ? 0
                 : align > FRONT_BIG        ? align
                 : small                    ? FRONT_SMALL
                                            : FRONT_BIG;
    uint8_t *b;
    cblock c = {.n = n};
    for (;;) {
        b = shi_alloc_any(n + front + TAG, align);
        if (!b) return NULL;
        slot_of(shi_segment_lookup(b), b, &c);
        c.user = user_at(c.end, n, align);
        if (c.user >= c.base + front_min(c.seg) && c.user >= b) break;
        shi_free_any(b);  /* not the tier expected: ask again with room for any guard */
        front = align > FRONT_BIG ? align : FRONT_BIG;
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
    size_t guard = guard_size(&c);
    uint64_t tag = tag_make(n, align);
    memset(c.user - guard, CANARY, guard);
    memset(c.user, FRESH, n);
    memset(c.user + n, CANARY, (size_t)(c.end - TAG - c.user) - n);
    memcpy(c.end - TAG, &tag, 8);
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
        seg->huge_usable > seg->map_size - seg->huge_offset || seg->huge_usable < TAG)
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
                shi_panic("double free of %p (%s of a small block in a slot of %u bytes, already "
                          "free)", p, op, pg->bsize);
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
            /* where a block's user bytes start: past the guard, with less than 128 to spare */
            size_t off = (size_t)((uint8_t *)p - ret->base);
            if (shi_check_recently_freed(p) || (off % SH_ALIGN == 0 && off >= FRONT_BIG && off < FRONT_BIG + 128))
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
    if (!read_tag(ret->base, ret->end, front_min(seg), &ret->user, &ret->n))
        shi_panic("heap overrun: the %s block at %p (in a %zu-byte slot) was written past its end: "
                  "its size tag is overwritten", kind_name(seg), p, (size_t)(ret->end - ret->base));
    if ((uint8_t *)p != ret->user)
        shi_panic("invalid free of %p: it points inside a block, not at its start (%td bytes from "
                  "the start of the %zu-byte %s block at %p)", p, (uint8_t *)p - ret->user, ret->n,
                  kind_name(seg), (void *)ret->user);
}

/* The tail: the canary from the end of the request up to the tag. */
static void verify_tail(const cblock *c) {
    for (const uint8_t *q = c->user + c->n; q < c->end - TAG; q++) {
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
        shi_panic("heap corruption: the medium block header at %p, after a free block (its bytes "
                  "from %p), is damaged (a write after free, or an overrun from further back)",
                  header, (const void *)base);
    uint8_t *user;
    size_t n;
    if (read_tag(base, end, FRONT_BIG, &user, &n))
        shi_panic("heap overrun: the %zu-byte medium block at %p was written past its end, over "
                  "the next block's header (at %p)", n, (void *)user, header);
    shi_panic("heap overrun: the medium block at %p was written past its end, through its size "
              "tag and over the next block's header (at %p)", (void *)user_of(base, end, FRONT_BIG),
              header);
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
    if (!seg) return;
    if (seg->kind == SEG_HUGE) base = (uint8_t *)seg + HUGE_BASE;  /* the walk gives the mapping's */
    if (!read_tag(base, end, front_min(seg), &user, &n)) return;
    *addr = user;
    *size = n;
}
