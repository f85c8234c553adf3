/*
 * src/trace/heap_types.h — a heap block takes its type from what reaches it: a C block
 * reached by a `struct node *` is a `struct node` (an array of them when it holds several),
 * by an `int *` an `int[n]`, by a `char *` a `char[n]` (its text up to the NUL); a block only
 * `void *` reaches keeps its bytes. Decoded once, here, by the value decoder; renderers
 * draw block->value.
 *
 *     shi_heap_types_read(&(shi_heap_typer){.d = d, .read_mem = read_mem, .arg = tr}, step);
 *
 * Which pointer wins when several reach one block (docs/trace-json.md, "Heap block"): only
 * pointers to the block's first byte count; a typed pointer beats a `char *`, which beats
 * `void *`; among equals the first found, in this order: the stack's variables (innermost
 * frame first, each frame's in declaration order, fields and elements in order), then the
 * static region's, then the pointers inside blocks already typed (block by block, by
 * address, repeated until nothing changes), so a list's nodes reached only through `next`
 * are `struct node` too. Blocks an owning handle holds (Rust's String, Vec, Box; C's
 * sh_string, sh_vec, sh_box) keep what the handle says, and Rust programs are not typed
 * this way at all (their handles type their blocks).
 */
#ifndef SH_TRACE_HEAP_TYPES_H
#define SH_TRACE_HEAP_TYPES_H

#include "trace/dwarf.h"
#include "trace/model.h"
#include "trace/static_region.h"

typedef struct shi_heap_typer {
    const shi_dwarf *d;
    bool (*read_mem)(void *arg, uint64_t addr, void *buf, size_t len);
    void *arg;
    const shi_step *prev;   /* the step before (NULL: none): a block whose decoded value is
                               unchanged borrows that step's instead of keeping a copy */
    const shi_static_reader *statics;   /* links the pointers inside blocks to the static
                               region (globals, literals); NULL: not linked */
} shi_heap_typer;

/* Sets type and value of the step's blocks; after its frames, statics and blocks are read
 * and the frames' pointers linked (target_block). */
void shi_heap_types_read(const shi_heap_typer *r, shi_step *s);

#endif
