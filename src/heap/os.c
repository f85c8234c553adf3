/*
 * os.c — the only file that calls mmap, munmap, mremap and madvise.
 * Also the segment map (internal.h): its leaves are mapped here, when the first segment in
 * a leaf's range is, so "is this pointer ours?" stays two loads and costs no address space
 * up front.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"


uint8_t *shi_segmap[SH_SEGMAP_TOP];

static void count_map(size_t size) {
    atomic_fetch_add_explicit(&shi_g.reserved, (int64_t)size, memory_order_relaxed);
    atomic_fetch_add_explicit(&shi_g.committed, (int64_t)size, memory_order_relaxed);
    atomic_fetch_add_explicit(&shi_g.os_maps, 1, memory_order_relaxed);
}

void *shi_os_map_meta(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void shi_os_unmap_meta(void *p, size_t size) {
    if (p) munmap(p, size);
}

/* ---- the segment map ------------------------------------------------------------------------ */

/* Makes sure the leaves covering [p, p + size) exist. Threads may race to map the same
 * leaf: the first to publish it wins and the others give theirs back. false: the range is
 * beyond the map, or no memory for a leaf. */
static bool segmap_cover(const void *p, size_t size) {
    uintptr_t first = (uintptr_t)p >> SH_SEG_SHIFT, last = ((uintptr_t)p + size - 1) >> SH_SEG_SHIFT;
    if (last >= SH_SEGMAP_ENTRIES || last < first) return false;
    for (uintptr_t i = first >> SH_SEGMAP_LEAF_BITS; i <= last >> SH_SEGMAP_LEAF_BITS; i++) {
        if (__atomic_load_n(&shi_segmap[i], __ATOMIC_ACQUIRE)) continue;
        uint8_t *leaf = shi_os_map_meta(SH_SEGMAP_LEAF), *none = NULL;
        if (!leaf) return false;
        if (!__atomic_compare_exchange_n(&shi_segmap[i], &none, leaf, false, __ATOMIC_RELEASE,
                                         __ATOMIC_ACQUIRE))
            shi_os_unmap_meta(leaf, SH_SEGMAP_LEAF);
    }
    return true;
}

static uint8_t *segmap_entry(uintptr_t unit) {
    uint8_t *leaf = unit < SH_SEGMAP_ENTRIES
                        ? __atomic_load_n(&shi_segmap[unit >> SH_SEGMAP_LEAF_BITS], __ATOMIC_ACQUIRE)
                        : NULL;
    if (unlikely(!leaf))
        shi_panic("segment map: no entry for %p, a segment os.c did not map",
                  (void *)(unit << SH_SEG_SHIFT));
    return &leaf[unit & (SH_SEGMAP_LEAF - 1)];
}

/* Marks the segment's first unit, and for an over-aligned huge block whose user pointer
 * lies in a later unit, that unit too with the distance back. */
void shi_segmap_set(void *seg, size_t units_back, const void *user, bool on) {
    uintptr_t unit = (uintptr_t)seg >> SH_SEG_SHIFT;
    __atomic_store_n(segmap_entry(unit), on ? SEGMAP_START : SEGMAP_NONE, __ATOMIC_RELEASE);
    if (units_back > 0) {
        uintptr_t u = (uintptr_t)user >> SH_SEG_SHIFT;
        __atomic_store_n(segmap_entry(u), on ? (uint8_t)(units_back + 1) : SEGMAP_NONE,
                         __ATOMIC_RELEASE);
    }
}

/* ---- segments and huge mappings ---------------------------------------------------------------- */

static bool well_placed(const void *p, size_t align, size_t at) {
    return (((uintptr_t)p + at) & (align - 1)) == 0;
}

/* A read-write mapping at exactly `want`, or NULL. (A kernel older than 4.17 takes
 * MAP_FIXED_NOREPLACE as a hint and may map elsewhere: that mapping goes back.) */
static void *map_exactly(void *want, size_t size) {
    void *p = mmap(want, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    if (p != want) {
        munmap(p, size);
        return NULL;
    }
    return p;
}

/* Reserves size + align bytes of address space, keeps the well-placed `size` bytes of it
 * and gives back both ends. The reservation is PROT_NONE, which the kernel does not charge
 * against the commit limit (a 1 GiB alignment costs no 1 GiB of it); the part kept is
 * charged when made writable, where a size beyond the machine fails as it should.
 * (MAP_NORESERVE would skip that charge for good.) */
static void *map_over(size_t size, size_t align, size_t at) {
    size_t over = size + align;
    if (over < size) return NULL;
    uint8_t *raw = mmap(NULL, over, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    uint8_t *p = (uint8_t *)(shi_align_up((uintptr_t)raw + at, align) - at);
    size_t lead = (size_t)(p - raw), tail = over - lead - size;
    if (lead) munmap(raw, lead);
    if (tail) munmap(p + size, tail);
    if (mprotect(p, size, PROT_READ | PROT_WRITE) != 0) {
        munmap(p, size);
        return NULL;
    }
    return p;
}

/* Near the address-space limit (ulimit -v) the over-mapping fails where `size` alone would
 * fit: map just `size`, keep it if it happens to be well placed, else try the well-placed
 * places just below it (the kernel fills address space downwards, so that is likely free)
 * and just above it. */
static void *map_tight(size_t size, size_t align, size_t at) {
    uint8_t *q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) return NULL;
    if (well_placed(q, align, at)) return q;
    munmap(q, size);
    uintptr_t below = (((uintptr_t)q + at) & ~(uintptr_t)(align - 1)) - at;
    if (below < (uintptr_t)q && below >= SH_SEG_SIZE) {
        void *p = map_exactly((void *)below, size);
        if (p) return p;
    }
    if (below + align > below) return map_exactly((void *)(below + align), size);
    return NULL;
}

static void *map_placed(size_t size, size_t align, size_t at, uintptr_t hint) {
    void *p = NULL;
    if (hint && well_placed((void *)hint, align, at)) p = map_exactly((void *)hint, size);
    if (!p) p = map_over(size, align, at);
    if (!p) p = map_tight(size, align, at);
    if (p && !segmap_cover(p, size)) {
        munmap(p, size);
        p = NULL;
    }
    return p;
}

/* Freed memory the heap keeps for reuse (empty small segments, huge mappings) holds address
 * space: when a mapping fails, it goes back before the second try. Medium arenas keep one
 * empty segment each; the caller may hold an arena's lock, so they are left alone. */
static void release_caches(void) {
    shi_small_trim(NULL, true);
    shi_huge_trim(true);
}

/* Maps `size` bytes at an address p such that p + at is aligned to `align` (a power of two
 * >= the OS page; `at` a multiple of the page): at 0 for a segment, at SH_SEG_SIZE for a
 * huge block whose header sits in the 4 MiB before its over-aligned user pointer. The
 * kernel often places a mapping well already; try the end of the last one first. The
 * segment map covers the mapping before it is returned. NULL with errno = ENOMEM. */
void *shi_os_map_aligned_at(size_t size, size_t align, size_t at) {
    static _Atomic uintptr_t hint;
    if (size == 0 || size > ((size_t)1 << SH_ADDR_BITS) || align > ((size_t)1 << 40)) {
        errno = ENOMEM;
        return NULL;
    }
    uintptr_t h = atomic_load_explicit(&hint, memory_order_relaxed);
    void *p = map_placed(size, align, at, h);
    if (!p) {
        release_caches();
        p = map_placed(size, align, at, 0);
    }
    if (!p) { errno = ENOMEM; return NULL; }
    atomic_store_explicit(&hint, (uintptr_t)p + size, memory_order_relaxed);
    count_map(size);
    return p;
}

void *shi_os_map_aligned(size_t size, size_t align) { return shi_os_map_aligned_at(size, align, 0); }

void shi_os_unmap(void *p, size_t size) {
    munmap(p, size);
    atomic_fetch_sub_explicit(&shi_g.reserved, (int64_t)size, memory_order_relaxed);
    atomic_fetch_sub_explicit(&shi_g.committed, (int64_t)size, memory_order_relaxed);
    atomic_fetch_add_explicit(&shi_g.os_unmaps, 1, memory_order_relaxed);
}

/* Gives the pages back; they read as zero when touched again. The caller accounts for
 * committed bytes, since only it knows whether the range had been purged before. */
void shi_os_purge(void *p, size_t size) {
    madvise(p, size, MADV_DONTNEED);
    atomic_fetch_add_explicit(&shi_g.os_purges, 1, memory_order_relaxed);
}

/* Grows or shrinks a mapping without moving it. */
bool shi_os_remap(void *p, size_t old_size, size_t new_size) {
    void *q = mremap(p, old_size, new_size, 0);
    if (q == MAP_FAILED) return false;
    int64_t d = (int64_t)new_size - (int64_t)old_size;
    atomic_fetch_add_explicit(&shi_g.reserved, d, memory_order_relaxed);
    atomic_fetch_add_explicit(&shi_g.committed, d, memory_order_relaxed);
    return true;
}

uint64_t shi_clock_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void shi_os_write(int fd, const char *s) {
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) { if (errno == EINTR) continue; return; }
        s += w;
        n -= (size_t)w;
    }
}

/* Moves a mapping to a new aligned place of a new size without copying: the kernel moves
 * the page tables. Returns the new address or NULL (the old mapping is then untouched). */
void *shi_os_move(void *p, size_t old_size, size_t new_size, size_t align) {
    void *dst = shi_os_map_aligned(new_size, align);
    if (!dst) return NULL;
    void *q = mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    if (q == MAP_FAILED) {
        shi_os_unmap(dst, new_size);
        return NULL;
    }
    /* the old range is gone; dst was counted when mapped */
    atomic_fetch_sub_explicit(&shi_g.reserved, (int64_t)old_size, memory_order_relaxed);
    atomic_fetch_sub_explicit(&shi_g.committed, (int64_t)old_size, memory_order_relaxed);
    return q;
}
