/*
 * src/trace/engine/live_blocks.h — the program's live heap blocks as the engine tracks them
 * from one step to the next: found by address or by number in constant time, walked in
 * address order (kept in order as blocks come and go, not sorted again at every step), each
 * with the contents last copied into a step and the pointers found in them, so that a step
 * handles again only the blocks whose bytes changed.
 *
 *     shi_live live = {0};
 *     live_block *b = shi_live_add(&live, 0x5555555592a0);   // zeroed but for addr
 *     b->size = 32;
 *     shi_live_number(&live, b, 1);                          // now found by id 1 too
 *     size_t n;
 *     const size_t *order = shi_live_sorted(&live, &n);      // slots, lowest address first
 *     live_block *first = shi_live_slot(&live, order[0]);
 *     shi_live_remove(&live, first);
 *     shi_live_free(&live);
 *
 * A block's slot (shi_live_slot_of) stays its own while it lives; a live_block * stays valid
 * until the next shi_live_add.
 */
#ifndef SH_TRACE_LIVE_BLOCKS_H
#define SH_TRACE_LIVE_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/model/model.h"

enum { LIVE_BYTES = 64 };   /* a block's first bytes, copied into each step for drawing */

typedef struct live_block {
    uint64_t addr, size, id;
    const char *file;   /* owned by the shi_dwarf */
    int line;
    uint64_t pc;        /* where the user's code called for it (a return address) */
    bool hidden;        /* made by the line the step stops at: shown from the next step */
    bool on_behalf;     /* made by a library for a user line (strdup, fopen, read_line) */
    bool waiting;       /* such a block not reached by the program yet: no number, no
                           events, not drawn, not a leak */
    bool returned;      /* such a block the library call returned to the user's line */
    char *owner;        /* its owner's path at `owner_step`, the latest step that typed or
                           owned it (NULL: typed, owned by no named handle) */
    size_t owner_step;  /* that step's index + 1; 0: none yet */
    /* what the last step it was copied into saw: its first bytes (valid: `copied`) and the
     * words among them that point into blocks (whose ids, as that step numbered them) */
    bool copied;
    unsigned char bytes[LIVE_BYTES];
    size_t nbytes;
    shi_block_ptr *ptrs;
    size_t nptrs;
    /* the set's own: */
    bool in_use;        /* the slot holds a live block */
    bool fresh;         /* added or moved since the order was made: not in it yet */
} live_block;

/* An open-addressing table from a nonzero key (an address, an id) to a slot. */
typedef struct shi_live_map {
    uint64_t *keys;     /* 0: empty */
    size_t *slots;
    size_t cap, n;      /* cap: a power of two */
} shi_live_map;

typedef struct shi_live {
    live_block *pool;   /* by slot; free slots are chained through `free_slots` */
    size_t npool, cap_pool;
    size_t *free_slots;
    size_t nfree, cap_free;
    shi_live_map by_addr, by_id;
    size_t *order;      /* the slots by address, as of the last shi_live_sorted */
    size_t norder;
    size_t *fresh;      /* slots added or moved since then */
    size_t nfresh, cap_fresh;
    size_t gone;        /* slots in `order` removed or moved since then */
    size_t count;       /* live blocks */
    /* what a step holds of the blocks changed since the last step: a block came, went,
     * moved, changed size or number, or was hidden or shown (pointers found in unchanged
     * bytes may then lead elsewhere); the engine clears it once a step is made */
    bool changed;
} shi_live;

/* A new block at addr (none may be live there: remove it first), all else zero. */
live_block *shi_live_add(shi_live *l, uint64_t addr);
/* Gives b its number, by which shi_live_by_id finds it (0: none). */
void shi_live_number(shi_live *l, live_block *b, uint64_t id);
/* The block starting at addr, or NULL. */
live_block *shi_live_at(const shi_live *l, uint64_t addr);
/* The block numbered id, or NULL. */
live_block *shi_live_by_id(const shi_live *l, uint64_t id);
/* realloc moved b to addr, where it now is `size` bytes (a block still at addr goes). */
void shi_live_move(shi_live *l, live_block *b, uint64_t addr, uint64_t size);
/* Takes b out (its owner and pointers freed). */
void shi_live_remove(shi_live *l, live_block *b);
/* The live blocks' slots, lowest address first (valid until the set changes). */
const size_t *shi_live_sorted(shi_live *l, size_t *ret_n);
static inline live_block *shi_live_slot(const shi_live *l, size_t slot) {
    return &l->pool[slot];
}
static inline size_t shi_live_slot_of(const shi_live *l, const live_block *b) {
    return (size_t)(b - l->pool);
}
void shi_live_free(shi_live *l);

#endif
