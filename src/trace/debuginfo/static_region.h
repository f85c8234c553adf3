/*
 * src/trace/debuginfo/static_region.h — the lesson's third region, Static/Global, read at a step:
 * the values of the user's globals, file and function statics and .rodata constants
 * (shi_dwarf_statics), the string literals the step's pointers reach, and which of those
 * pointers point into the region (the frames', the region's own, those inside heap blocks).
 *
 *     shi_static_reader r = {.d = d, .read_mem = read_mem, .arg = tr, .bias = bias,
 *                            .exe_start = start, .exe_end = end};
 *     shi_static_region_read(&r, step);   // after its frames and blocks are filled
 *     shi_static_region_link_value(&r, step, &block->value);   // a block decoded later
 */
#ifndef SH_TRACE_STATIC_REGION_H
#define SH_TRACE_STATIC_REGION_H

#include "trace/debuginfo/dwarf.h"
#include "trace/model/model.h"

typedef struct shi_static_reader {
    const shi_dwarf *d;
    bool (*read_mem)(void *arg, uint64_t addr, void *buf, size_t len);
    void *arg;
    uint64_t bias;                  /* the executable's load bias */
    uint64_t exe_start, exe_end;    /* its mappings: where string literals live */
} shi_static_reader;

/* Fills s->statics and sets target_static of every pointer of the step (frames and the
 * region itself) that points into it; a char pointer into the executable that reaches no
 * variable adds the literal it points at (named by its text, `literal` set). */
void shi_static_region_read(const shi_static_reader *r, shi_step *s);

/* Links the pointers inside v (a heap block's decoded value, read after the region) to the
 * region (target_static), adding the literals they reach. */
void shi_static_region_link_value(const shi_static_reader *r, shi_step *s, shi_value *v);

#endif
