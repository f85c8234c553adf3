/*
 * src/trace/engine/live_blocks.c — the live heap blocks by address, by number and in address
 * order (live_blocks.h).
 *
 * The order is mended, not remade: blocks added or moved since it was made wait in `fresh`,
 * and the next shi_live_sorted sorts those few and merges them into the rest. A program
 * that allocates 100,000 blocks and then touches one of them sorts nothing per step.
 */
#define _GNU_SOURCE   /* qsort_r */
#include "trace/engine/live_blocks.h"

#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/panic.h"

/* ---- the tables -------------------------------------------------------------------------- */

static size_t hash(uint64_t key, size_t cap) {
    return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 17) & (cap - 1);
}

static void map_grow(shi_live_map *m);

static void map_put(shi_live_map *m, uint64_t key, size_t slot) {
    if ((m->n + 1) * 4 > m->cap * 3) map_grow(m);
    size_t i = hash(key, m->cap);
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    m->n += !m->keys[i];
    m->keys[i] = key;
    m->slots[i] = slot;
}

static void map_grow(shi_live_map *m) {
    shi_live_map old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->n = 0;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->slots = malloc(m->cap * sizeof *m->slots);
    if (!m->keys || !m->slots) SHI_PANIC("trace: out of memory");
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) map_put(m, old.keys[i], old.slots[i]);
    free(old.keys);
    free(old.slots);
}

/* The position of key in the table, or SIZE_MAX. */
static size_t map_find(const shi_live_map *m, uint64_t key) {
    if (!m->n || !key) return SIZE_MAX;
    for (size_t i = hash(key, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == key) return i;
    return SIZE_MAX;
}

/* Takes key out only if it leads to `slot` (another block may hold the key now). Linear
 * probing without tombstones: the entries after the hole that could sit in it move up. */
static void map_del(shi_live_map *m, uint64_t key, size_t slot) {
    size_t i = map_find(m, key);
    if (i == SIZE_MAX || m->slots[i] != slot) return;
    m->n--;
    for (size_t j = (i + 1) & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
        if (!m->keys[j]) break;
        size_t home = hash(m->keys[j], m->cap);
        /* j's entry may fill the hole at i unless its home lies cyclically in (i, j] */
        if (i <= j ? (home > i && home <= j) : (home > i || home <= j)) continue;
        m->keys[i] = m->keys[j];
        m->slots[i] = m->slots[j];
        i = j;
    }
    m->keys[i] = 0;
}

static void map_free(shi_live_map *m) {
    free(m->keys);
    free(m->slots);
}

/* ---- blocks ------------------------------------------------------------------------------ */

static void mark_fresh(shi_live *l, size_t slot) {
    SHI_GROW(l->fresh, l->cap_fresh, l->nfresh + 1);
    l->fresh[l->nfresh++] = slot;
    l->pool[slot].fresh = true;
    l->changed = true;
}

live_block *shi_live_add(shi_live *l, uint64_t addr) {
    size_t slot;
    if (l->nfree) {
        slot = l->free_slots[--l->nfree];
    } else {
        SHI_GROW(l->pool, l->cap_pool, l->npool + 1);
        slot = l->npool++;
    }
    live_block *b = &l->pool[slot];
    *b = (live_block){.addr = addr, .in_use = true};
    map_put(&l->by_addr, addr, slot);
    l->count++;
    mark_fresh(l, slot);
    return b;
}

void shi_live_number(shi_live *l, live_block *b, uint64_t id) {
    size_t slot = shi_live_slot_of(l, b);
    if (b->id) map_del(&l->by_id, b->id, slot);
    b->id = id;
    if (id) map_put(&l->by_id, id, slot);
    l->changed = true;
}

live_block *shi_live_at(const shi_live *l, uint64_t addr) {
    size_t i = map_find(&l->by_addr, addr);
    return i == SIZE_MAX ? NULL : &l->pool[l->by_addr.slots[i]];
}

live_block *shi_live_by_id(const shi_live *l, uint64_t id) {
    size_t i = map_find(&l->by_id, id);
    return i == SIZE_MAX ? NULL : &l->pool[l->by_id.slots[i]];
}

void shi_live_remove(shi_live *l, live_block *b) {
    size_t slot = shi_live_slot_of(l, b);
    map_del(&l->by_addr, b->addr, slot);
    if (b->id) map_del(&l->by_id, b->id, slot);
    free(b->owner);
    free(b->ptrs);
    /* a slot in the order stays there until the order is mended; one only in `fresh`
     * leaves nothing behind (mending skips slots not in use) */
    if (!b->fresh) l->gone++;
    *b = (live_block){0};
    SHI_GROW(l->free_slots, l->cap_free, l->nfree + 1);
    l->free_slots[l->nfree++] = slot;
    l->count--;
    l->changed = true;
}

void shi_live_move(shi_live *l, live_block *b, uint64_t addr, uint64_t size) {
    size_t slot = shi_live_slot_of(l, b);
    l->changed = true;
    b->size = size;
    if (b->addr == addr) return;
    live_block *there = shi_live_at(l, addr);
    if (there) {
        shi_live_remove(l, there);
        b = &l->pool[slot];
    }
    map_del(&l->by_addr, b->addr, slot);
    b->addr = addr;
    map_put(&l->by_addr, addr, slot);
    if (!b->fresh) {
        l->gone++;   /* its old place in the order is left out when the order is mended */
        mark_fresh(l, slot);
    }
}

static int by_addr(const void *a, const void *b, void *arg) {
    const shi_live *l = arg;
    uint64_t x = l->pool[*(const size_t *)a].addr, y = l->pool[*(const size_t *)b].addr;
    return (x > y) - (x < y);
}

const size_t *shi_live_sorted(shi_live *l, size_t *ret_n) {
    if (l->nfresh || l->gone) {
        size_t *out = malloc((l->count ? l->count : 1) * sizeof *out), n = 0, f = 0;
        if (!out) SHI_PANIC("trace: out of memory");
        /* the order without its gone slots: removed, or fresh (moved, or reused by a new
         * block), which the fresh ones bring back in their new place */
        size_t kept = 0;
        for (size_t i = 0; i < l->norder; i++) {
            const live_block *b = &l->pool[l->order[i]];
            if (b->in_use && !b->fresh) l->order[kept++] = l->order[i];
        }
        /* the fresh ones still live, each once (a slot may have come and gone, or moved
         * twice), sorted and merged in */
        size_t k = 0;
        for (size_t i = 0; i < l->nfresh; i++) {
            live_block *b = &l->pool[l->fresh[i]];
            if (b->in_use && b->fresh) {
                b->fresh = false;
                l->fresh[k++] = l->fresh[i];
            }
        }
        qsort_r(l->fresh, k, sizeof *l->fresh, by_addr, l);
        for (size_t i = 0; i < kept; i++) {
            uint64_t addr = l->pool[l->order[i]].addr;
            while (f < k && l->pool[l->fresh[f]].addr < addr) out[n++] = l->fresh[f++];
            out[n++] = l->order[i];
        }
        while (f < k) out[n++] = l->fresh[f++];
        free(l->order);
        l->order = out;
        l->norder = n;
        l->nfresh = 0;
        l->gone = 0;
    }
    *ret_n = l->norder;
    return l->order;
}

void shi_live_free(shi_live *l) {
    for (size_t i = 0; i < l->npool; i++) {
        free(l->pool[i].owner);
        free(l->pool[i].ptrs);
    }
    free(l->pool);
    free(l->free_slots);
    map_free(&l->by_addr);
    map_free(&l->by_id);
    free(l->order);
    free(l->fresh);
    *l = (shi_live){0};
}
