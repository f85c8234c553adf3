/*
 * stackheap/stack.h — the stack: a LIFO frame allocator of fixed capacity.
 *
 * This is the lesson's "stack": a region with a stack pointer. Pushing a frame remembers
 * where the stack pointer was; allocating moves it up (a pointer bump, no search); popping
 * the frame moves it back, so everything allocated in the frame is freed at once, in O(1).
 * The region has a fixed size: running out is reported (NULL and ENOMEM, or a panic from
 * the x-variants), never a write past the end. The region comes from the heap module.
 *
 *     sh_stack *st = sh_stack_new(64 * 1024);          // NULL with errno = ENOMEM
 *     sh_stack_frame *f = sh_stack_push(st, "parse");  // the name is kept, not copied
 *     char *buf = sh_stack_alloc(st, 256);             // NULL with errno = ENOMEM if full
 *     sh_stack_pop(st, f);                             // buf and all else in f: freed
 *     sh_stack_destroy(st);
 *
 * Or, on this thread's own stack, for the rest of the enclosing block:
 *
 *     { sh_stack_scope("parse"); char *b = sh_stack_xalloc(sh_stack_default(), 256); ... }
 *
 * A stack is not locked: use it from one thread at a time. Broken contracts (popping with
 * no frame, popping a frame that is not the top one, allocating with no frame, a frame's
 * bookkeeping overwritten) panic with the caller's file:line and abort.
 */
#ifndef STACKHEAP_STACK_H
#define STACKHEAP_STACK_H

#include <stddef.h>

#include "attrs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sh_stack sh_stack;              /* opaque */
typedef struct sh_stack_frame sh_stack_frame;  /* a pushed frame; valid until popped */

/* Alignment of sh_stack_alloc and sh_stack_xalloc: enough for any C type. */
#define SH_STACK_ALIGN 16
/* The largest alignment the alloc calls accept (any power of two from 1 up to it). */
#define SH_STACK_MAX_ALIGN 4096
/* Bytes a frame's own bookkeeping takes at its start (the lesson's saved frame pointer),
 * plus up to 15 bytes of padding to align it. */
#define SH_STACK_FRAME_OVERHEAD 48
/* Capacity of each thread's default stack (sh_stack_default), as a typical thread stack. */
#define SH_STACK_DEFAULT_CAPACITY ((size_t)1024 * 1024)

/* ---- a stack ------------------------------------------------------------------------------ */

/* Frees the stack and everything on it, open frames included. NULL does nothing. */
void sh_stack_destroy(sh_stack *st);

/* A stack of exactly `capacity` bytes, 4096-aligned. NULL with errno = ENOMEM if the heap
 * has no memory, EINVAL if capacity is 0. (Not SH_MALLOC: a stack points to its region.) */
SH_DEALLOC(sh_stack_destroy, 1) SH_WARN_UNUSED sh_stack *sh_stack_new(size_t capacity);

/* This thread's stack, created on first use with SH_STACK_DEFAULT_CAPACITY and freed when
 * the thread exits. NULL with errno = ENOMEM if it could not be created; sh_stack_xdefault
 * panics instead. */
SH_WARN_UNUSED sh_stack *sh_stack_default(void);
#define sh_stack_xdefault() sh_stack_xdefault_at(__FILE__, __LINE__)

/* ---- frames ------------------------------------------------------------------------------- */

/* Pushes a frame. `name` (NULL for none) is kept as a pointer, not copied: it must outlive
 * the frame, a string literal is best. NULL with errno = ENOMEM if the frame's bookkeeping
 * (SH_STACK_FRAME_OVERHEAD) does not fit; the stack is then unchanged. */
#define sh_stack_push(st, name) sh_stack_push_at((st), (name), __FILE__, __LINE__)

/* The same, but a full stack panics: "stack overflow: cannot push frame 'parse', it needs
 * 48 bytes, 20 left". */
#define sh_stack_xpush(st, name) sh_stack_xpush_at((st), (name), __FILE__, __LINE__)

/* Pops frame f, which must be the top frame: everything allocated in it (and the frame
 * itself) is freed at once. Panics if the stack has no frame or f is not the top one. */
#define sh_stack_pop(st, f) sh_stack_pop_at((st), (f), __FILE__, __LINE__)

/* ---- allocation in the top frame ---------------------------------------------------------- */

/* `size` bytes in the top frame, aligned to SH_STACK_ALIGN (or `alignment`: a power of two
 * up to SH_STACK_MAX_ALIGN). A pointer bump: the memory is not zeroed. NULL with
 * errno = ENOMEM if it does not fit (the stack is then unchanged), errno = EINVAL for a bad
 * alignment. Size 0 gives a non-NULL, aligned pointer not to be dereferenced, which takes
 * no space but the alignment padding. Allocating with no frame pushed panics. */
#define sh_stack_alloc(st, size) \
    shi_stack_bump((st), (size), SH_STACK_ALIGN, 0, __FILE__, __LINE__)
#define sh_stack_alloc_aligned(st, size, alignment) \
    shi_stack_bump((st), (size), (alignment), 0, __FILE__, __LINE__)

/* The same, but never NULL: overflow panics with
 * "stack overflow: frame 'parse' asked for 4096 bytes, 1200 left" (left: what this
 * alignment still allows), and a bad alignment panics too. */
#define sh_stack_xalloc(st, size) \
    shi_stack_bump((st), (size), SH_STACK_ALIGN, 1, __FILE__, __LINE__)
#define sh_stack_xalloc_aligned(st, size, alignment) \
    shi_stack_bump((st), (size), (alignment), 1, __FILE__, __LINE__)

/* ---- scope: a frame popped when the enclosing block ends ---------------------------------- */

/* Pushes a frame on this thread's default stack (sh_stack_scope) or on `st`
 * (sh_stack_scope_on) and pops it when the enclosing block is left by any way: its end,
 * break, continue, return or goto. A statement at the start of a block, like a declaration:
 *
 *     int parse(const char *text) {
 *         sh_stack_scope("parse");
 *         char *copy = sh_stack_xalloc(sh_stack_default(), strlen(text) + 1);
 *         if (!*text) return -1;          // the frame is popped here too
 *         ...
 *     }
 *
 * Overflow on push, or no default stack, panics. Frames in one block pop in reverse order. */
#define sh_stack_scope(name) sh_stack_scope_on(sh_stack_xdefault(), (name))
#define sh_stack_scope_on(st, name)                                                        \
    __attribute__((cleanup(sh_stack_scope_end), unused)) sh_stack_scope_guard              \
    SHI_STACK_CAT(shi_stack_scope_, __COUNTER__) =                                         \
        sh_stack_scope_begin_at((st), (name), __FILE__, __LINE__)

/* ---- introspection (for the tracer and for tests) ----------------------------------------- */

typedef struct sh_stack_stats {
    void *base;            /* the first byte of the region */
    size_t capacity;       /* bytes in the region */
    size_t used;           /* bytes below the stack pointer: frames' bookkeeping included */
    size_t high_water;     /* the highest `used` since the stack was made */
    size_t depth;          /* frames pushed and not popped */
} sh_stack_stats;

/* st may be NULL (all zero) */
SH_NONNULL(2) void sh_stack_get_stats(const sh_stack *st, sh_stack_stats *ret_stats);

typedef struct sh_stack_frame_info {
    const sh_stack_frame *frame;  /* the handle sh_stack_push returned */
    const char *name;      /* NULL for an unnamed frame */
    size_t depth;          /* 0 for the bottom frame */
    size_t offset;         /* where the frame begins, from the base: `used` when it was
                              pushed, and again after it is popped */
    size_t size;           /* bytes the frame spans: bookkeeping, padding and allocations */
    void *start;           /* where its allocations begin (after the bookkeeping) */
    size_t used;           /* bytes allocated in it, alignment padding between them included */
} sh_stack_frame_info;

/* Calls fn once per frame, bottom to top; fn returns non-zero to stop early. fn must not
 * push, pop or allocate on this stack. Returns the number of frames visited. */
typedef int (*sh_stack_walk_fn)(const sh_stack_frame_info *frame, void *arg);
/* st may be NULL (no frames) */
SH_NONNULL(2) size_t sh_stack_walk(const sh_stack *st, sh_stack_walk_fn fn, void *arg);

/* ---- the functions behind the macros ------------------------------------------------------ */

/* No SH_NONNULL on st or f: a NULL one is a broken contract these report with a panic, a
 * check the attribute would let the compiler delete. A frame handle is what pops the frame:
 * dropping it is a bug. No SH_MALLOC on the allocs: a pop is no free the compiler can see,
 * and the next frame's block at the popped one's address is the lesson (a compiler told
 * the two cannot alias may fold their comparison). */
SH_WARN_UNUSED
sh_stack_frame *sh_stack_push_at(sh_stack *st, const char *name, const char *file, int line);
SH_WARN_UNUSED SH_RETURNS_NONNULL
sh_stack_frame *sh_stack_xpush_at(sh_stack *st, const char *name, const char *file, int line);
void sh_stack_pop_at(sh_stack *st, sh_stack_frame *f, const char *file, int line);
SH_ALLOC_SIZE(2) SH_ALLOC_ALIGN(3) SH_WARN_UNUSED
void *sh_stack_alloc_at(sh_stack *st, size_t size, size_t alignment, const char *file, int line);
SH_ALLOC_SIZE(2) SH_ALLOC_ALIGN(3) SH_WARN_UNUSED SH_RETURNS_NONNULL
void *sh_stack_xalloc_at(sh_stack *st, size_t size, size_t alignment, const char *file, int line);

SH_RETURNS_NONNULL sh_stack *sh_stack_xdefault_at(const char *file, int line);

/* The first fields of every sh_stack, here only so that the bump can be inlined: a call
 * would cost more than the bump itself. Private: read a stack with sh_stack_get_stats. */
typedef struct shi_stack_hot {
    unsigned char *base;
    size_t top;               /* the stack pointer, as an offset from base */
    size_t capacity;
    sh_stack_frame *top_frame;  /* NULL when no frame is pushed */
} shi_stack_hot;

/* The fast path of the four alloc macros; anything unusual (an error, a panic) is left to
 * the out-of-line calls. The alignment is a constant in most calls, so its check folds. */
SH_ALLOC_SIZE(2) SH_ALLOC_ALIGN(3) SH_WARN_UNUSED
static inline void *shi_stack_bump(sh_stack *st, size_t size, size_t alignment, int panics,
                                   const char *file, int line) {
    shi_stack_hot *h = (shi_stack_hot *)(void *)st;
    if (__builtin_expect(st != NULL && h->top_frame != NULL && (alignment & (alignment - 1)) == 0 &&
                         alignment - 1 < SH_STACK_MAX_ALIGN, 1)) {
        size_t start = (h->top + alignment - 1) & ~(alignment - 1);
        if (__builtin_expect(start <= h->capacity && size <= h->capacity - start, 1)) {
            h->top = start + size;
            return h->base + start;
        }
    }
    return panics ? sh_stack_xalloc_at(st, size, alignment, file, line)
                  : sh_stack_alloc_at(st, size, alignment, file, line);
}

/* What a scope remembers: the frame to pop and where the scope was opened, which a panic
 * at the pop names. */
typedef struct sh_stack_scope_guard {
    sh_stack *st;
    sh_stack_frame *frame;
    const char *file;
    int line;
} sh_stack_scope_guard;

SH_WARN_UNUSED
sh_stack_scope_guard sh_stack_scope_begin_at(sh_stack *st, const char *name, const char *file, int line);

static inline void sh_stack_scope_end(sh_stack_scope_guard *g) {
    sh_stack_pop_at(g->st, g->frame, g->file, g->line);
}

#define SHI_STACK_CAT_(a, b) a##b
#define SHI_STACK_CAT(a, b) SHI_STACK_CAT_(a, b)

#ifdef __cplusplus
}
#endif
#endif /* STACKHEAP_STACK_H */
