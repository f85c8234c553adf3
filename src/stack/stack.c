/*
 * stack.c — a stack's life, its frames and the pointer bump (the layout: internal.h).
 *
 * The bump itself is inlined from stack.h; the alloc calls here are its slow path, where
 * every failure is sorted out. Pop is a few compares and one store to `top`. Everything that
 * can go wrong leaves the stack as it was and either returns NULL with errno or panics;
 * the panic paths are out of line so they cost nothing when not taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include <stackheap/heap.h>

#include "core/panic.h"
#include "internal.h"

/* Far below SIZE_MAX, so that offset + alignment can never wrap. */
#define MAX_CAPACITY ((size_t)1 << 47)

SH_API sh_stack *sh_stack_new(size_t capacity) {
    if (capacity == 0) { errno = EINVAL; return NULL; }
    if (capacity > MAX_CAPACITY) { errno = ENOMEM; return NULL; }
    sh_stack *st = sh_malloc(sizeof *st);
    if (!st) return NULL;
    /* Aligning the base as strictly as any allocation lets the bump align offsets only. */
    st->hot.base = sh_aligned_alloc(SH_STACK_MAX_ALIGN, capacity);
    if (!st->hot.base) { sh_free(st); errno = ENOMEM; return NULL; }
    st->hot.capacity = capacity;
    st->hot.top = st->high_water = st->depth = 0;
    st->bottom = st->hot.top_frame = NULL;
    return st;
}

SH_API void sh_stack_destroy(sh_stack *st) {
    if (!st) return;
    sh_free(st->hot.base);
    sh_free(st);
}

/* ---- panics ---------------------------------------------------------------------------- */

const char *shi_stack_label(const sh_stack_frame *f, char *buf, size_t size) {
    if (f->name) snprintf(buf, size, "frame '%s'", f->name);
    else snprintf(buf, size, "frame #%zu", f->depth);
    return buf;
}

__attribute__((noreturn, cold, noinline))
static void panic_no_stack(const char *what, const char *file, int line) {
    shi_panic_at(file, line, "cannot %s: the stack is NULL (sh_stack_default or sh_stack_new failed?)", what);
}

__attribute__((noreturn, cold, noinline))
static void panic_no_frame(size_t size, const char *file, int line) {
    shi_panic_at(file, line, "cannot allocate %zu bytes on the stack: no frame is pushed "
                 "(push one first: sh_stack_push or sh_stack_scope)", size);
}

__attribute__((noreturn, cold, noinline))
static void panic_bad_alignment(size_t alignment, const char *file, int line) {
    shi_panic_at(file, line, "invalid stack alignment %zu: it must be a power of two from 1 to %d",
                 alignment, SH_STACK_MAX_ALIGN);
}

/* What `alignment` still allows: the bytes left after padding `top` to it. */
static size_t left_at(const sh_stack *st, size_t alignment) {
    size_t start = shi_stack_align_up(st->hot.top, alignment);
    return start > st->hot.capacity ? 0 : st->hot.capacity - start;
}

__attribute__((noreturn, cold, noinline))
static void panic_overflow(const sh_stack *st, size_t size, size_t alignment, const char *file, int line) {
    char label[256];
    shi_panic_at(file, line, "stack overflow: %s asked for %zu bytes, %zu left",
                 shi_stack_label(st->hot.top_frame, label, sizeof label), size, left_at(st, alignment));
}

__attribute__((noreturn, cold, noinline))
static void panic_push_overflow(const sh_stack *st, const char *name, const char *file, int line) {
    size_t need = shi_stack_align_up(st->hot.top, SHI_STACK_FRAME_ALIGN) - st->hot.top + sizeof(sh_stack_frame);
    shi_panic_at(file, line, "stack overflow: cannot push frame '%s', it needs %zu bytes, %zu left",
                 name ? name : "(unnamed)", need, st->hot.capacity - st->hot.top);
}

/* Finds f among the frames below the top, so the message can name it without reading
 * memory that may not be a frame at all. */
static const sh_stack_frame *find_below_top(const sh_stack *st, const sh_stack_frame *f) {
    for (const sh_stack_frame *g = st->hot.top_frame->prev; g; g = g->prev)
        if (g == f) return g;
    return NULL;
}

__attribute__((noreturn, cold, noinline))
static void panic_bad_pop(const sh_stack *st, const sh_stack_frame *f, const char *file, int line) {
    char top[256], given[256];
    if (!st->hot.top_frame)
        shi_panic_at(file, line, "cannot pop a frame: the stack has no frame pushed");
    shi_stack_label(st->hot.top_frame, top, sizeof top);
    if (!f)
        shi_panic_at(file, line, "cannot pop a NULL frame (a failed sh_stack_push?); the top is %s", top);
    if (find_below_top(st, f))
        shi_panic_at(file, line, "cannot pop %s: it is not the top frame, %s is "
                     "(frames pop in LIFO order)", shi_stack_label(f, given, sizeof given), top);
    shi_panic_at(file, line, "cannot pop the frame at %p: it is not on this stack (popped already, "
                 "or from another stack); the top is %s", (const void *)f, top);
}

__attribute__((noreturn, cold, noinline))
static void panic_overwritten(const sh_stack_frame *f, const char *file, int line) {
    shi_panic_at(file, line, "the stack frame at %p was overwritten: something wrote past the end of "
                 "an allocation in the frame below it", (const void *)f);
}

/* ---- frames ---------------------------------------------------------------------------- */

static sh_stack_frame *push(sh_stack *st, const char *name) {
    size_t at = shi_stack_align_up(st->hot.top, SHI_STACK_FRAME_ALIGN);
    if (unlikely(at > st->hot.capacity || st->hot.capacity - at < sizeof(sh_stack_frame))) return NULL;
    sh_stack_frame *f = (sh_stack_frame *)(st->hot.base + at);
    *f = (sh_stack_frame){.prev = st->hot.top_frame, .name = name, .offset = st->hot.top,
                          .depth = st->depth, .guard = shi_stack_guard_of(f)};
    if (st->hot.top_frame) st->hot.top_frame->next = f;
    else st->bottom = f;
    st->hot.top_frame = f;
    st->depth++;
    st->hot.top = at + sizeof *f;
    return f;
}

SH_API sh_stack_frame *sh_stack_push_at(sh_stack *st, const char *name, const char *file, int line) {
    if (unlikely(!st)) panic_no_stack("push a frame", file, line);
    sh_stack_frame *f = push(st, name);
    if (unlikely(!f)) errno = ENOMEM;
    return f;
}

SH_API sh_stack_frame *sh_stack_xpush_at(sh_stack *st, const char *name, const char *file, int line) {
    if (unlikely(!st)) panic_no_stack("push a frame", file, line);
    sh_stack_frame *f = push(st, name);
    if (unlikely(!f)) panic_push_overflow(st, name, file, line);
    return f;
}

SH_API void sh_stack_pop_at(sh_stack *st, sh_stack_frame *f, const char *file, int line) {
    if (unlikely(!st)) panic_no_stack("pop a frame", file, line);
    if (unlikely(f != st->hot.top_frame || !f)) panic_bad_pop(st, f, file, line);
    if (unlikely(f->guard != shi_stack_guard_of(f))) panic_overwritten(f, file, line);
    /* top only ever falls here, so the highest top is always seen at a pop or is the
     * current one: the alloc path needs no high-water compare. */
    if (st->hot.top > st->high_water) st->high_water = st->hot.top;
    st->hot.top = f->offset;
    st->hot.top_frame = f->prev;
    if (f->prev) f->prev->next = NULL;
    else st->bottom = NULL;
    st->depth--;
}

/* ---- the bump ---------------------------------------------------------------------------- */

/* The checks every allocation shares. Returns the offset of the block, or SIZE_MAX with the
 * errno the plain call reports. */
static inline size_t bump(sh_stack *st, size_t size, size_t alignment, const char *file, int line) {
    if (unlikely(!st)) panic_no_stack("allocate", file, line);
    if (unlikely(!st->hot.top_frame)) panic_no_frame(size, file, line);
    if (unlikely(!shi_stack_valid_alignment(alignment))) { errno = EINVAL; return SIZE_MAX; }
    size_t start = shi_stack_align_up(st->hot.top, alignment);
    if (unlikely(start > st->hot.capacity || size > st->hot.capacity - start)) { errno = ENOMEM; return SIZE_MAX; }
    st->hot.top = start + size;
    return start;
}

SH_API void *sh_stack_alloc_at(sh_stack *st, size_t size, size_t alignment, const char *file, int line) {
    size_t at = bump(st, size, alignment, file, line);
    return likely(at != SIZE_MAX) ? st->hot.base + at : NULL;
}

SH_API void *sh_stack_xalloc_at(sh_stack *st, size_t size, size_t alignment, const char *file, int line) {
    size_t at = bump(st, size, alignment, file, line);
    if (likely(at != SIZE_MAX)) return st->hot.base + at;
    if (!shi_stack_valid_alignment(alignment)) panic_bad_alignment(alignment, file, line);
    panic_overflow(st, size, alignment, file, line);
}
