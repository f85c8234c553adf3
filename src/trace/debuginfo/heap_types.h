/*
 * src/trace/debuginfo/heap_types.h — a heap block takes its type from what reaches it, and has one
 * owner. Decided once, here, for every renderer (they draw block->value and name drops by
 * block->owner; docs/trace-json.md, "Heap block" and "Owned blocks and owners").
 *
 *     shi_heap_types_read(&(shi_heap_typer){.d = d, .read_mem = read_mem, .arg = tr,
 *                                           .prev = prev}, step);
 *
 * Owning handles (Rust's String, Vec<T>, Box<T>; C's sh_string, sh_vec_*, sh_box_*) are
 * found anywhere: in the frames' and the static region's variables (their fields, elements
 * and enum variants) and in the blocks already typed, until nothing changes. A handle types
 * the block it points to the start of by shi_dwarf_read_owned_block (a String: its text; a
 * Vec<T>: [T; cap]; a Box<T>: T), so a Vec<String>'s strings and a list of Box<Node> are all
 * typed. One owner per block: a handle is stale when its block is gone or its place (the
 * same variable and field path in the same frame, or the same block and element) was stale
 * with the same bits at the previous step; of the others, the one whose place did not hold
 * the block at the previous step owns it (after v.push(s), v[0]); failing that, the last
 * found (the innermost frame's, the later declared, one inside a block). The rest are
 * stale. block->owner is the owner's path ("v[0]", "b.name", "list.next", "*b").
 *
 * C blocks no handle holds take their type from the pointers that reach them: a `struct
 * node *` makes a `struct node` (an array of them when it holds several), an `int *` an
 * `int[n]`, a `char *` a `char[n]` (its text up to the NUL); a block only `void *` reaches
 * keeps its bytes. Which pointer wins: only pointers to the block's first byte count; a
 * typed pointer beats a `char *`, which beats `void *`; among equals the first found, in
 * this order: the stack's variables (innermost frame first, each frame's in declaration
 * order, fields and elements in order), then the static region's, then the pointers inside
 * blocks already typed (by address, repeated until nothing changes), so a list's nodes
 * reached only through `next` are `struct node` too. Pointers own nothing: a handle inside
 * a block only a pointer reaches has no owner path. Rust's references and raw pointers type
 * nothing.
 */
#ifndef SH_TRACE_HEAP_TYPES_H
#define SH_TRACE_HEAP_TYPES_H

#include "trace/debuginfo/dwarf.h"
#include "trace/model/model.h"
#include "trace/debuginfo/static_region.h"

typedef struct shi_heap_typer {
    const shi_dwarf *d;
    bool (*read_mem)(void *arg, uint64_t addr, void *buf, size_t len);
    void *arg;
    uint64_t load_bias;     /* where the binary is loaded: vtable addresses are relative to it */
    const shi_step *prev;   /* the step before (NULL: none): a block whose decoded value is
                               unchanged borrows that step's instead of keeping a copy */
    const shi_static_reader *statics;   /* links the pointers inside blocks to the static
                               region (globals, literals); NULL: not linked */
} shi_heap_typer;

/* Sets type, value and owner of the step's blocks, and the stale mark of every handle in
 * the step; after its frames, statics and blocks are read and the frames' pointers and
 * handles linked (target_block). */
void shi_heap_types_read(const shi_heap_typer *r, shi_step *s);

#endif
