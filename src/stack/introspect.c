/*
 * introspect.c — what a tracer or a test can see of a stack: its totals and its frames.
 */
#include <string.h>

#include "internal.h"

SH_API void sh_stack_get_stats(const sh_stack *st, sh_stack_stats *ret_stats) {
    memset(ret_stats, 0, sizeof *ret_stats);
    if (!st) return;
    ret_stats->base = st->hot.base;
    ret_stats->capacity = st->hot.capacity;
    ret_stats->used = st->hot.top;
    /* high_water is only updated at pops (see stack.c); the current top may be higher. */
    ret_stats->high_water = st->hot.top > st->high_water ? st->hot.top : st->high_water;
    ret_stats->depth = st->depth;
}

/* A frame ends where the next one was pushed, the top frame at the stack pointer. */
static sh_stack_frame_info info_of(const sh_stack *st, const sh_stack_frame *f) {
    size_t end = f->next ? f->next->offset : st->hot.top;
    size_t start = (size_t)((const unsigned char *)(f + 1) - st->hot.base);
    return (sh_stack_frame_info){
        .frame = f, .name = f->name, .depth = f->depth, .offset = f->offset,
        .size = end - f->offset, .start = st->hot.base + start, .used = end - start,
    };
}

SH_API size_t sh_stack_walk(const sh_stack *st, sh_stack_walk_fn fn, void *arg) {
    size_t n = 0;
    for (const sh_stack_frame *f = st ? st->bottom : NULL; f; f = f->next) {
        sh_stack_frame_info info = info_of(st, f);
        n++;
        if (fn(&info, arg)) break;
    }
    return n;
}
