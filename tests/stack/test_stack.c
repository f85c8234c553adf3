/*
 * tests/stack/test_stack.c — the stack module, one behaviour per test.
 *
 * Each test runs in a forked child (check.h), so every test starts with no default stack
 * and a heap that the others have not touched. Death tests check the exact panic text.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stackheap/heap.h>
#include <stackheap/stack.h>

#include "check.h"

#define HDR SH_STACK_FRAME_OVERHEAD

static size_t used_of(const sh_stack *st) {
    sh_stack_stats s;
    sh_stack_get_stats(st, &s);
    return s.used;
}

static size_t depth_of(const sh_stack *st) {
    sh_stack_stats s;
    sh_stack_get_stats(st, &s);
    return s.depth;
}

static int is_aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

/* ---- the bump ------------------------------------------------------------------------- */

SH_TEST(test_alloc_is_contiguous_and_aligned_for_every_alignment) {
    sh_stack *st = sh_stack_new(64 * 1024);
    CHECK(st);
    for (size_t a = 1; a <= SH_STACK_MAX_ALIGN; a *= 2) {
        sh_stack_frame *f = sh_stack_push(st, "align");
        /* a block of a multiple of a: the next one starts right at its end */
        unsigned char *p = sh_stack_alloc_aligned(st, a * 2, a);
        unsigned char *q = sh_stack_alloc_aligned(st, a, a);
        CHECK(p && q);
        CHECK(is_aligned(p, a));
        CHECK(q == p + a * 2);
        /* an odd size: the next block is the end rounded up to the alignment, no further */
        unsigned char *r = sh_stack_alloc_aligned(st, 3, 1);
        unsigned char *s = sh_stack_alloc_aligned(st, 1, a);
        CHECK(r == q + a);
        CHECK(is_aligned(s, a));
        CHECK((size_t)(s - (r + 3)) < a);
        memset(p, 0xAB, a * 3);
        sh_stack_pop(st, f);
    }
    sh_stack_destroy(st);
}

/* The macros take an inline path; the library's own calls are what other languages and the
 * error cases reach, and must place blocks the same way. */
SH_TEST(test_out_of_line_alloc_places_blocks_as_the_inline_bump_does) {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "calls"));
    unsigned char *a = sh_stack_alloc_at(st, 5, 1, __FILE__, __LINE__);
    unsigned char *b = sh_stack_xalloc_at(st, 8, 64, __FILE__, __LINE__);
    unsigned char *c = sh_stack_alloc_aligned(st, 3, 1);
    CHECK(a && b && c);
    CHECK(is_aligned(b, 64));
    CHECK(b - a < 64 + 5);
    CHECK(c == b + 8);
    CHECK_EQ(used_of(st), (size_t)(c + 3 - a) + HDR);
    sh_stack_destroy(st);
}

SH_TEST(test_default_alignment_is_16) {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, NULL));
    CHECK(sh_stack_alloc_aligned(st, 1, 1));
    void *p = sh_stack_alloc(st, 8);
    CHECK(is_aligned(p, SH_STACK_ALIGN));
    CHECK_EQ(SH_STACK_ALIGN, 16);
    sh_stack_destroy(st);
}

SH_TEST(test_stack_base_is_aligned_and_capacity_exact) {
    sh_stack *st = sh_stack_new(12345);
    sh_stack_stats s;
    sh_stack_get_stats(st, &s);
    CHECK(is_aligned(s.base, SH_STACK_MAX_ALIGN));
    CHECK_EQ(s.capacity, 12345);
    CHECK_EQ(s.used, 0);
    CHECK_EQ(s.high_water, 0);
    CHECK_EQ(s.depth, 0);
    sh_stack_destroy(st);
}

SH_TEST(test_zero_size_alloc_is_non_null_aligned_and_takes_no_space) {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "zero"));
    size_t before = used_of(st);
    void *p = sh_stack_alloc(st, 0);
    CHECK(p != NULL);
    CHECK(is_aligned(p, SH_STACK_ALIGN));
    CHECK_EQ(used_of(st), before);
    sh_stack_destroy(st);
}

SH_TEST(test_alloc_exactly_filling_the_stack_succeeds) {
    sh_stack *st = sh_stack_new(HDR + 1000);
    CHECK(sh_stack_push(st, "fill"));
    char *p = sh_stack_alloc_aligned(st, 1000, 1);
    CHECK(p != NULL);
    memset(p, 1, 1000);
    CHECK_EQ(used_of(st), HDR + 1000);
    errno = 0;
    CHECK(sh_stack_alloc_aligned(st, 1, 1) == NULL);
    CHECK_EQ(errno, ENOMEM);
    CHECK(sh_stack_alloc_aligned(st, 0, 1) != NULL);   /* nothing asked, nothing needed */
    sh_stack_destroy(st);
}

/* ---- pop ------------------------------------------------------------------------------ */

SH_TEST(test_pop_frees_everything_and_the_next_alloc_reuses_the_address) {
    sh_stack *st = sh_stack_new(64 * 1024);
    sh_stack_frame *f = sh_stack_push(st, "first");
    size_t frame_start = used_of(st) - HDR;
    void *first = sh_stack_alloc(st, 100);
    for (int i = 0; i < 50; i++) CHECK(sh_stack_alloc(st, 200));
    CHECK(used_of(st) > 10000);
    sh_stack_pop(st, f);
    CHECK_EQ(used_of(st), frame_start);
    CHECK_EQ(depth_of(st), 0);
    CHECK(sh_stack_push(st, "second"));
    CHECK(sh_stack_alloc(st, 100) == first);
    sh_stack_destroy(st);
}

SH_TEST(test_pop_returns_to_an_unaligned_stack_pointer) {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "outer"));
    CHECK(sh_stack_alloc_aligned(st, 5, 1));
    size_t before = used_of(st);
    CHECK(before % 16 != 0);
    sh_stack_frame *inner = sh_stack_push(st, "inner");
    CHECK(sh_stack_alloc(st, 64));
    sh_stack_pop(st, inner);
    CHECK_EQ(used_of(st), before);
    sh_stack_destroy(st);
}

SH_TEST(test_nested_frames_pop_in_lifo_order_keeping_the_outer_data) {
    sh_stack *st = sh_stack_new(64 * 1024);
    sh_stack_frame *outer = sh_stack_push(st, "main");
    int *x = sh_stack_alloc(st, sizeof *x * 100);
    for (int i = 0; i < 100; i++) x[i] = i;
    size_t outer_used = used_of(st);
    sh_stack_frame *inner = sh_stack_push(st, "add");
    int *y = sh_stack_alloc(st, sizeof *y * 100);
    CHECK((char *)y > (char *)(x + 100));
    memset(y, 0xFF, sizeof *y * 100);
    CHECK_EQ(depth_of(st), 2);
    sh_stack_pop(st, inner);
    CHECK_EQ(used_of(st), outer_used);
    CHECK_EQ(depth_of(st), 1);
    for (int i = 0; i < 100; i++) CHECK_EQ(x[i], i);
    int *z = sh_stack_alloc(st, sizeof *z);   /* back in the outer frame, where y was */
    CHECK((char *)z < (char *)y);
    sh_stack_pop(st, outer);
    CHECK_EQ(used_of(st), 0);
    sh_stack_destroy(st);
}

/* ---- introspection -------------------------------------------------------------------- */

#define MAX_SEEN 8
typedef struct seen {
    size_t n;
    sh_stack_frame_info f[MAX_SEEN];
    size_t stop_after;
} seen;

static int collect(const sh_stack_frame_info *info, void *arg) {
    seen *s = arg;
    s->f[s->n++] = *info;
    return s->n == s->stop_after;
}

SH_TEST(test_walk_lists_named_frames_bottom_to_top_with_used_bytes) {
    sh_stack *st = sh_stack_new(64 * 1024);
    sh_stack_frame *fm = sh_stack_push(st, "main");
    CHECK(sh_stack_alloc_aligned(st, 100, 1));
    CHECK(sh_stack_alloc_aligned(st, 28, 1));
    sh_stack_frame *fu = sh_stack_push(st, NULL);
    sh_stack_frame *fa = sh_stack_push(st, "add");
    char *a = sh_stack_alloc(st, 12);
    seen s = {0};
    CHECK_EQ(sh_stack_walk(st, collect, &s), 3);
    CHECK_EQ(s.n, 3);
    CHECK(s.f[0].frame == fm && s.f[1].frame == fu && s.f[2].frame == fa);
    CHECK(strcmp(s.f[0].name, "main") == 0);
    CHECK(s.f[1].name == NULL);
    CHECK(strcmp(s.f[2].name, "add") == 0);
    for (size_t i = 0; i < 3; i++) CHECK_EQ(s.f[i].depth, i);
    CHECK_EQ(s.f[0].used, 128);
    CHECK_EQ(s.f[1].used, 0);
    CHECK_EQ(s.f[2].used, 12);
    CHECK(s.f[2].start == a);
    /* frames tile the used part of the stack: each ends where the next begins */
    CHECK_EQ(s.f[0].offset, 0);
    for (size_t i = 0; i + 1 < 3; i++) CHECK_EQ(s.f[i].offset + s.f[i].size, s.f[i + 1].offset);
    CHECK_EQ(s.f[2].offset + s.f[2].size, used_of(st));
    for (size_t i = 0; i < 3; i++) CHECK(s.f[i].size >= HDR + s.f[i].used);
    sh_stack_destroy(st);
}

SH_TEST(test_walk_stops_when_the_callback_says_so) {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "a"));
    CHECK(sh_stack_push(st, "b"));
    CHECK(sh_stack_push(st, "c"));
    seen s = {.stop_after = 2};
    CHECK_EQ(sh_stack_walk(st, collect, &s), 2);
    CHECK(strcmp(s.f[1].name, "b") == 0);
    sh_stack_destroy(st);
}

SH_TEST(test_walk_after_pop_no_longer_shows_the_frame) {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "a"));
    sh_stack_frame *b = sh_stack_push(st, "b");
    CHECK(sh_stack_alloc(st, 32));
    sh_stack_pop(st, b);
    seen s = {0};
    CHECK_EQ(sh_stack_walk(st, collect, &s), 1);
    CHECK(strcmp(s.f[0].name, "a") == 0);
    CHECK_EQ(s.f[0].used, 0);
    sh_stack_destroy(st);
}

SH_TEST(test_high_water_mark_survives_the_pop) {
    sh_stack *st = sh_stack_new(64 * 1024);
    sh_stack_frame *f = sh_stack_push(st, "peak");
    CHECK(sh_stack_alloc_aligned(st, 5000, 1));
    sh_stack_stats s;
    sh_stack_get_stats(st, &s);
    CHECK_EQ(s.high_water, HDR + 5000);   /* before any pop: the current top */
    sh_stack_pop(st, f);
    f = sh_stack_push(st, "smaller");
    CHECK(sh_stack_alloc_aligned(st, 100, 1));
    sh_stack_get_stats(st, &s);
    CHECK_EQ(s.used, HDR + 100);
    CHECK_EQ(s.high_water, HDR + 5000);
    sh_stack_destroy(st);
}

/* ---- failures the caller handles -------------------------------------------------------- */

SH_TEST(test_overflow_returns_null_enomem_and_leaves_the_stack_unchanged) {
    sh_stack *st = sh_stack_new(HDR + 1200);
    CHECK(sh_stack_push(st, "parse"));
    char *a = sh_stack_alloc(st, 192);
    size_t before = used_of(st);
    errno = 0;
    CHECK(sh_stack_alloc(st, 4096) == NULL);
    CHECK_EQ(errno, ENOMEM);
    CHECK_EQ(used_of(st), before);
    char *b = sh_stack_alloc(st, 1008);        /* exactly what is left */
    CHECK(b == a + 192);
    memset(b, 0, 1008);
    sh_stack_destroy(st);
}

SH_TEST(test_overflow_by_a_size_near_size_max_does_not_wrap) {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "wrap"));
    CHECK(sh_stack_alloc_aligned(st, 1, 1));
    errno = 0;
    CHECK(sh_stack_alloc_aligned(st, SH_OPAQUE(SIZE_MAX), 1) == NULL);
    CHECK_EQ(errno, ENOMEM);
    CHECK(sh_stack_alloc_aligned(st, SH_OPAQUE(SIZE_MAX - 8), 4096) == NULL);
    CHECK_EQ(errno, ENOMEM);
    sh_stack_destroy(st);
}

SH_TEST(test_bad_alignment_returns_null_einval) {
    sh_stack *st = sh_stack_new(64 * 1024);
    CHECK(sh_stack_push(st, "align"));
    size_t before = used_of(st);
    size_t bad[] = {0, 3, 24, 48, 8192, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        CHECK(sh_stack_alloc_aligned(st, 16, bad[i]) == NULL);
        CHECK_EQ(errno, EINVAL);
    }
    CHECK_EQ(used_of(st), before);
    sh_stack_destroy(st);
}

SH_TEST(test_push_overflow_returns_null_enomem) {
    sh_stack *st = sh_stack_new(HDR + 10);
    CHECK(sh_stack_push(st, "fits"));
    size_t before = used_of(st);
    errno = 0;
    CHECK(sh_stack_push(st, "does not") == NULL);
    CHECK_EQ(errno, ENOMEM);
    CHECK_EQ(used_of(st), before);
    CHECK_EQ(depth_of(st), 1);
    sh_stack_destroy(st);
}

SH_TEST(test_new_with_zero_capacity_is_einval_and_huge_is_enomem) {
    errno = 0;
    CHECK(sh_stack_new(0) == NULL);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(sh_stack_new(SIZE_MAX) == NULL);
    CHECK_EQ(errno, ENOMEM);
}

SH_TEST(test_destroy_accepts_null_and_a_stack_with_open_frames) {
    sh_stack_destroy(NULL);
    sh_heap_stats before, after;
    sh_heap_get_stats(&before);
    sh_stack *st = sh_stack_new(256 * 1024);
    CHECK(sh_stack_push(st, "open"));
    CHECK(sh_stack_alloc(st, 1000));
    CHECK(sh_stack_push(st, "also open"));
    sh_stack_destroy(st);
    sh_heap_get_stats(&after);
    CHECK_EQ(after.live, before.live);
}

/* ---- panics --------------------------------------------------------------------------- */

/* The overflowing call and its line are on one source line, so the expected message can name
 * the line exactly: called with st = NULL, only the line is returned. */
static int xalloc_overflow(sh_stack *st) {
    int line = __LINE__; if (st) CHECK(sh_stack_xalloc(st, 4096));
    return line;
}

static const char *overflow_message(void) {
    static char msg[512];
    snprintf(msg, sizeof msg, "stackheap: panicked at %s:%d:\n"
             "stack overflow: frame 'parse' asked for 4096 bytes, 1200 left\n",
             __FILE__, xalloc_overflow(NULL));
    return msg;
}

SH_DEATH_TEST(test_xalloc_overflow_panics_naming_frame_sizes_and_caller, SIGABRT, overflow_message()) {
    sh_stack *st = sh_stack_new(HDR + 1200);
    CHECK(sh_stack_push(st, "parse"));
    xalloc_overflow(st);
}

SH_DEATH_TEST(test_xalloc_overflow_counts_what_is_left_after_earlier_allocations, SIGABRT,
              "stack overflow: frame 'parse' asked for 4096 bytes, 1200 left\n") {
    sh_stack *st = sh_stack_new(HDR + 2000);
    CHECK(sh_stack_push(st, "parse"));
    CHECK(sh_stack_xalloc(st, 800));
    CHECK(sh_stack_xalloc(st, 4096));
}

SH_DEATH_TEST(test_xalloc_overflow_in_an_unnamed_frame_names_its_depth, SIGABRT,
              "stack overflow: frame #1 asked for 100 bytes, 0 left\n") {
    sh_stack *st = sh_stack_new(2 * HDR);
    CHECK(sh_stack_push(st, "outer"));
    CHECK(sh_stack_push(st, NULL));
    CHECK(sh_stack_xalloc(st, 100));
}

SH_DEATH_TEST(test_xalloc_bad_alignment_panics, SIGABRT,
              "invalid stack alignment 48: it must be a power of two from 1 to 4096\n") {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "align"));
    CHECK(sh_stack_xalloc_aligned(st, 16, 48));
}

SH_DEATH_TEST(test_xpush_overflow_panics, SIGABRT,
              "stack overflow: cannot push frame 'deep', it needs 48 bytes, 20 left\n") {
    sh_stack *st = sh_stack_new(2 * HDR + 20);
    CHECK(sh_stack_push(st, "outer"));
    CHECK(sh_stack_xalloc(st, HDR));
    sh_stack_frame *deep = sh_stack_xpush(st, "deep");   /* panics */
    (void)deep;
}

SH_DEATH_TEST(test_pop_without_a_frame_panics, SIGABRT,
              "cannot pop a frame: the stack has no frame pushed\n") {
    sh_stack *st = sh_stack_new(4096);
    sh_stack_frame *f = sh_stack_push(st, "once");
    sh_stack_pop(st, f);
    sh_stack_pop(st, f);
}

SH_DEATH_TEST(test_pop_of_a_frame_below_the_top_panics, SIGABRT,
              "cannot pop frame 'outer': it is not the top frame, frame 'inner' is "
              "(frames pop in LIFO order)\n") {
    sh_stack *st = sh_stack_new(4096);
    sh_stack_frame *outer = sh_stack_push(st, "outer");
    CHECK(sh_stack_push(st, "inner"));
    sh_stack_pop(st, outer);
}

SH_DEATH_TEST(test_pop_of_a_frame_already_popped_panics, SIGABRT,
              "is not on this stack (popped already, or from another stack); the top is frame 'a'\n") {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "a"));
    sh_stack_frame *b = sh_stack_push(st, "b");
    sh_stack_pop(st, b);
    sh_stack_pop(st, b);
}

SH_DEATH_TEST(test_pop_of_null_panics, SIGABRT,
              "cannot pop a NULL frame (a failed sh_stack_push?); the top is frame 'a'\n") {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "a"));
    sh_stack_pop(st, NULL);
}

SH_DEATH_TEST(test_alloc_without_a_frame_panics, SIGABRT,
              "cannot allocate 64 bytes on the stack: no frame is pushed") {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_alloc(st, 64));
}

SH_DEATH_TEST(test_alloc_on_a_null_stack_panics, SIGABRT, "cannot allocate: the stack is NULL") {
    CHECK(sh_stack_alloc(NULL, 64));
}

SH_DEATH_TEST(test_frame_overwritten_by_a_write_past_an_allocation_panics_at_pop, SIGABRT,
              "was overwritten: something wrote past the end of an allocation in the frame below it\n") {
    sh_stack *st = sh_stack_new(4096);
    CHECK(sh_stack_push(st, "outer"));
    char *buf = sh_stack_alloc(st, 16);
    sh_stack_frame *inner = sh_stack_push(st, "inner");
    memset(SH_OPAQUE(buf), 'x', 16 + HDR);   /* the overrun: through inner's bookkeeping */
    sh_stack_pop(st, inner);
}

/* ---- the scope macro -------------------------------------------------------------------- */

static size_t default_used(void) { return used_of(sh_stack_default()); }
static size_t default_depth(void) { return depth_of(sh_stack_default()); }

SH_TEST(test_scope_pushes_a_named_frame_and_pops_it_at_block_end) {
    size_t before = default_used();
    {
        sh_stack_scope("parse");
        CHECK_EQ(default_depth(), 1);
        seen s = {0};
        sh_stack_walk(sh_stack_default(), collect, &s);
        CHECK(strcmp(s.f[0].name, "parse") == 0);
        CHECK(sh_stack_xalloc(sh_stack_default(), 500));
        CHECK(default_used() >= before + 500);
    }
    CHECK_EQ(default_used(), before);
    CHECK_EQ(default_depth(), 0);
}

SH_TEST(test_scope_pops_on_break_and_continue) {
    size_t before = default_used();
    for (int i = 0; i < 10; i++) {
        sh_stack_scope("loop");
        CHECK(sh_stack_xalloc(sh_stack_default(), 100));
        CHECK_EQ(default_depth(), 1);      /* last iteration's frame is gone */
        if (i < 5) continue;
        break;
    }
    CHECK_EQ(default_used(), before);
    CHECK_EQ(default_depth(), 0);
}

static int early_return(int fail) {
    sh_stack_scope("early");
    char *buf = sh_stack_xalloc(sh_stack_default(), 256);
    if (fail) return -1;
    buf[0] = 1;
    return (int)default_depth();
}

SH_TEST(test_scope_pops_on_early_return) {
    CHECK_EQ(early_return(1), -1);
    CHECK_EQ(default_depth(), 0);
    CHECK_EQ(default_used(), 0);
    CHECK_EQ(early_return(0), 1);
    CHECK_EQ(default_depth(), 0);
}

SH_TEST(test_scopes_in_one_block_pop_in_reverse_order) {
    sh_stack *st = sh_stack_new(4096);
    {
        sh_stack_scope_on(st, "first");
        sh_stack_scope_on(st, "second");
        CHECK_EQ(depth_of(st), 2);
        CHECK(sh_stack_xalloc(st, 10));
    }   /* a pop in declaration order would panic: "second" is the top */
    CHECK_EQ(depth_of(st), 0);
    CHECK_EQ(used_of(st), 0);
    sh_stack_destroy(st);
}

SH_DEATH_TEST(test_scope_whose_frame_was_popped_by_hand_panics_at_block_end, SIGABRT,
              "cannot pop a frame: the stack has no frame pushed\n") {
    sh_stack *st = sh_stack_new(4096);
    {
        sh_stack_scope_on(st, "twice");
        seen s = {0};
        sh_stack_walk(st, collect, &s);
        sh_stack_pop(st, (sh_stack_frame *)s.f[0].frame);
    }
}

/* ---- the per-thread default stack ------------------------------------------------------- */

SH_TEST(test_default_stack_is_created_once_with_the_default_capacity) {
    sh_stack *a = sh_stack_default();
    CHECK(a != NULL);
    CHECK(sh_stack_default() == a);
    sh_stack_stats s;
    sh_stack_get_stats(a, &s);
    CHECK_EQ(s.capacity, SH_STACK_DEFAULT_CAPACITY);
    CHECK_EQ(SH_STACK_DEFAULT_CAPACITY, 1024 * 1024);
}

#define NTHREADS 4

typedef struct thread_report {
    int id;
    sh_stack *stack;
    size_t used_in_frame;
    int data_intact;
} thread_report;

static pthread_barrier_t all_allocated;

static void *use_default_stack(void *arg) {
    thread_report *r = arg;
    sh_stack *st = sh_stack_default();
    r->stack = st;
    sh_stack_scope_on(st, "worker");
    size_t n = 1000 * (size_t)(r->id + 1);   /* a different amount in each thread */
    unsigned char *p = sh_stack_xalloc_aligned(st, n, 1);
    memset(p, r->id, n);
    r->used_in_frame = used_of(st);
    pthread_barrier_wait(&all_allocated);    /* every thread's frame is live at once */
    r->data_intact = 1;
    for (size_t i = 0; i < n; i++) if (p[i] != r->id) r->data_intact = 0;
    return NULL;
}

SH_TEST(test_default_stacks_are_independent_across_threads) {
    pthread_t t[NTHREADS];
    thread_report r[NTHREADS];
    pthread_barrier_init(&all_allocated, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++) {
        r[i] = (thread_report){.id = i};
        CHECK(pthread_create(&t[i], NULL, use_default_stack, &r[i]) == 0);
    }
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < NTHREADS; i++) {
        CHECK(r[i].data_intact);
        CHECK_EQ(r[i].used_in_frame, HDR + 1000 * (size_t)(i + 1));
        for (int j = 0; j < i; j++) CHECK(r[i].stack != r[j].stack);
    }
    pthread_barrier_destroy(&all_allocated);
    CHECK_EQ(default_depth(), 0);   /* the main thread's own stack saw none of it */
}

static void *hold_default_stack(void *arg) {
    size_t *live_inside = arg;
    sh_stack_scope("worker");
    CHECK(sh_stack_xalloc(sh_stack_default(), 4096));
    sh_heap_stats s;
    sh_heap_get_stats(&s);
    *live_inside = s.live;
    return NULL;
}

SH_TEST(test_default_stack_is_freed_at_thread_exit) {
    sh_heap_stats before, after;
    sh_stack *mine = sh_stack_default();   /* the heap and this thread's stack set up first */
    (void)mine;
    sh_heap_get_stats(&before);
    for (int round = 0; round < 3; round++) {
        pthread_t t;
        size_t live_inside = 0;
        CHECK(pthread_create(&t, NULL, hold_default_stack, &live_inside) == 0);
        pthread_join(t, NULL);
        CHECK(live_inside >= before.live + SH_STACK_DEFAULT_CAPACITY);
    }
    sh_heap_get_stats(&after);
    CHECK_EQ(after.live, before.live);
}

int main(void) { return sh_test_main(); }
