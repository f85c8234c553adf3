/*
 * src/stack/internal.h — the stack's layout, shared by the files of src/stack.
 *
 * A stack is a region from the heap and an offset into it, `top` (the stack pointer).
 * Each frame starts with its bookkeeping, struct sh_stack_frame, written into the region
 * itself where `top` was (rounded up to 16), as a real frame starts with the saved frame
 * pointer; its allocations follow:
 *
 *     base                                                                    base+capacity
 *     |pad|frame 0 hdr|alloc|pad|alloc|pad|frame 1 hdr|alloc|alloc|  free ...      |
 *         ^offset 0                   ^offset 1 (top when frame 1 was pushed)   ^top
 *
 * Popping a frame sets `top` back to its offset: one store frees the frame and every
 * allocation in it. Frames are linked both ways so a walk can go bottom to top.
 */
#ifndef SH_STACK_INTERNAL_H
#define SH_STACK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <stackheap/stack.h>

#define SHI_FUNC __attribute__((visibility("hidden")))
#define SH_API __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Frames' bookkeeping is aligned like any allocation, so the frame's first allocation with
 * the default alignment needs no padding. */
#define SHI_STACK_FRAME_ALIGN 16

struct sh_stack_frame {
    sh_stack_frame *prev;  /* the frame below, NULL for the bottom one */
    sh_stack_frame *next;  /* the frame above, NULL for the top one */
    const char *name;      /* the caller's string, not a copy */
    size_t offset;         /* top before the push: what a pop restores */
    size_t depth;          /* 0 for the bottom frame */
    uintptr_t guard;       /* the frame's address mixed with a constant: a write over
                              the bookkeeping shows when the frame is popped */
};

_Static_assert(sizeof(struct sh_stack_frame) == SH_STACK_FRAME_OVERHEAD,
               "SH_STACK_FRAME_OVERHEAD in stack.h must match the frame bookkeeping");

/* The hot fields (base, top, capacity, top_frame) come first and are declared in stack.h,
 * so the bump is inlined into the caller. base is SH_STACK_MAX_ALIGN-aligned, so aligning
 * offsets aligns addresses; top is the bytes in use from base: the stack pointer. */
struct sh_stack {
    shi_stack_hot hot;
    size_t high_water;     /* highest top seen at a pop; stats take the max with top (see
                              pop in stack.c: this keeps the compare off the alloc path) */
    size_t depth;          /* frames on the stack */
    sh_stack_frame *bottom;
};

static inline size_t shi_stack_align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

static inline bool shi_stack_valid_alignment(size_t a) {
    return a != 0 && (a & (a - 1)) == 0 && a <= SH_STACK_MAX_ALIGN;
}

static inline uintptr_t shi_stack_guard_of(const sh_stack_frame *f) {
    return (uintptr_t)f ^ (uintptr_t)0x5a17c4f3a11ed5a1u;
}

/* The frame's name as a message shows it: "frame 'parse'", or "frame #2" if unnamed. */
SHI_FUNC const char *shi_stack_label(const sh_stack_frame *f, char *buf, size_t size);

#endif
