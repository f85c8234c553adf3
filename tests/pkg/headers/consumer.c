/*
 * tests/pkg/headers/consumer.c — a user's program that includes every public header and uses
 * every macro and inline function of heap.h, stack.h, own.h (and trace.h's), compiled by
 * tests/pkg/headers_clean.sh as C11 (gcc, clang) and as C++17 (g++, clang++) with
 * -Wall -Wextra -Wcast-qual -Wconversion -Wsign-conversion -pedantic -Werror. One source for
 * both languages: what it needs to do differently in C++ is what a C++ user must too (a cast
 * from void *, a named sh_trace_opts).
 *
 * It checks what it computes, so that a macro which compiles but does the wrong thing in one
 * language fails too, and prints "consumer: ok" at the end.
 *
 *     consumer [TRACEE]   # TRACEE: a program built with -g for the trace.h part (optional)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stackheap/attrs.h>
#include <stackheap/heap.h>
#include <stackheap/own.h>
#include <stackheap/stack.h>
#include <stackheap/trace.h>

static int failures;

static void check_at(int ok, const char *what, int line) {
    if (ok) return;
    fprintf(stderr, "consumer.c:%d: %s\n", line, what);
    failures++;
}
#define CHECK(cond) check_at((cond) ? 1 : 0, #cond, __LINE__)

/* ---- heap.h --------------------------------------------------------------------------- */

static int count_block(const sh_heap_block *block, void *arg) {
    size_t *n = (size_t *)arg;
    if (block->in_use) (*n)++;
    return 0;
}

static void use_heap(void) {
    char *s = (char *)sh_malloc(32);
    CHECK(s != NULL);
    strcpy(s, "heap");
    char *t = (char *)sh_realloc(s, 4096);
    CHECK(t != NULL && strcmp(t, "heap") == 0);
    int *zeros = (int *)sh_calloc(8, sizeof(int));
    CHECK(zeros != NULL && zeros[7] == 0);
    int *more = (int *)sh_reallocarray(zeros, 16, sizeof(int));
    CHECK(more != NULL && more[0] == 0);
    void *aligned = sh_aligned_alloc(256, 100);
    CHECK(aligned != NULL && (uintptr_t)aligned % 256 == 0);
    void *pm = NULL;
    CHECK(sh_posix_memalign(&pm, 64, 10) == 0 && pm != NULL);
    CHECK(sh_usable_size(t) >= 4096 && sh_usable_size(NULL) == 0);

    sh_heap_stats st;
    sh_heap_get_stats(&st);
    CHECK(st.live_blocks >= 4);
    size_t in_use = 0;
    CHECK(sh_heap_walk(count_block, &in_use) == 0);
    CHECK(in_use >= 4);
    CHECK(sh_heap_checked() == 0 || sh_heap_checked() == 1);

    sh_free(pm);
    sh_free(aligned);
    sh_free(more);
    sh_free(t);
    sh_free(NULL);
    sh_heap_trim();
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        sh_heap_print_stats(devnull);
        close(devnull);
    }
}

/* ---- stack.h -------------------------------------------------------------------------- */

static int count_frame(const sh_stack_frame_info *frame, void *arg) {
    size_t *n = (size_t *)arg;
    (*n)++;
    return frame->name != NULL && strcmp(frame->name, "stop") == 0;
}

static size_t scoped_depth(void) {
    sh_stack_scope("scoped");
    char *b = (char *)sh_stack_xalloc(sh_stack_default(), 64);
    b[63] = 1;
    sh_stack_stats st;
    sh_stack_get_stats(sh_stack_xdefault(), &st);
    return st.depth;
}

static void use_stack(void) {
    sh_stack *st = sh_stack_new(64 * 1024);
    CHECK(st != NULL);
    if (!st) return;
    sh_stack_frame *f = sh_stack_push(st, "parse");
    CHECK(f != NULL);
    char *buf = (char *)sh_stack_alloc(st, 256);
    CHECK(buf != NULL && (uintptr_t)buf % SH_STACK_ALIGN == 0);
    char *wide = (char *)sh_stack_alloc_aligned(st, 10, SH_STACK_MAX_ALIGN);
    CHECK(wide != NULL && (uintptr_t)wide % SH_STACK_MAX_ALIGN == 0);
    sh_stack_frame *g = sh_stack_xpush(st, "stop");
    char *x = (char *)sh_stack_xalloc(st, 8);
    char *y = (char *)sh_stack_xalloc_aligned(st, 8, 32);
    CHECK(x != NULL && y != NULL && (uintptr_t)y % 32 == 0);
    size_t frames = 0;
    CHECK(sh_stack_walk(st, count_frame, &frames) == 2 && frames == 2);
    sh_stack_pop(st, g);
    sh_stack_stats stats;
    sh_stack_get_stats(st, &stats);
    CHECK(stats.depth == 1 && stats.capacity == 64 * 1024);
    CHECK(stats.used >= 256 + SH_STACK_FRAME_OVERHEAD);
    {
        sh_stack_scope_on(st, "inner");
        sh_stack_get_stats(st, &stats);
        CHECK(stats.depth == 2);
    }
    sh_stack_get_stats(st, &stats);
    CHECK(stats.depth == 1);
    sh_stack_pop(st, f);
    sh_stack_destroy(st);
    sh_stack_destroy(NULL);

    sh_stack_stats def;
    sh_stack_get_stats(sh_stack_xdefault(), &def);
    CHECK(def.capacity == SH_STACK_DEFAULT_CAPACITY);
    CHECK(scoped_depth() == def.depth + 1);
    sh_stack_get_stats(sh_stack_xdefault(), &def);
    CHECK(def.depth == 0);
}

/* ---- own.h ---------------------------------------------------------------------------- */

typedef struct point {
    int x, y;
} point;
SH_VEC_DECLARE(vec_point, point)
SH_BOX_DECLARE(box_point, point)

typedef struct person {
    sh_string name;
    int age;
} person;
static void person_drop(person *p) { sh_string_drop(&p->name); }
SH_VEC_DECLARE_DROP(vec_person, person, person_drop)
SH_BOX_DECLARE_DROP(box_person, person, person_drop)

/* A handle as a static. C++: sh_string_new() at namespace scope. C: zeroed, which counts as
 * fresh (a compound literal as a static's initialiser is a GNU extension -pedantic names). */
#ifdef __cplusplus
static sh_string greeting_static = sh_string_new();
#else
static sh_string greeting_static;
#endif

static void use_strings(void) {
    sh_auto(sh_string) name = sh_string_from("Hello");
    CHECK(sh_string_len(&name) == 5 && sh_string_cap(&name) == 5);
    sh_string_push_str(&name, ", world");
    sh_string_push(&name, '!');
    CHECK(sh_string_eq_str(&name, "Hello, world!"));
    sh_str view = sh_string_as_str(&name);
    CHECK(view.len == 13);
    char printed[32];
    snprintf(printed, sizeof printed, "%.*s", SH_STR_ARG(view));
    CHECK(strcmp(printed, "Hello, world!") == 0);
    sh_str hello = sh_string_slice(&name, 0, 5);
    CHECK(sh_str_eq(hello, sh_str_from("Hello")));

    sh_auto(sh_string) copy = sh_string_from_str(hello);
    sh_string_push_view(&copy, sh_str_from(" there"));
    sh_string_push_bytes(&copy, "!?", 1);
    sh_string_format(&copy, " %d+%d", 1, 2);
    CHECK(strcmp(sh_string_cstr(&copy), "Hello there! 1+2") == 0);
    CHECK(sh_string_pop(&copy) == '2');
    sh_string_insert(&copy, 0, '>');
    sh_string_insert_str(&copy, 1, "> ");
    CHECK(sh_string_remove(&copy, 0) == '>');
    CHECK(sh_string_at(&copy, 0) == '>');
    sh_string_truncate(&copy, 7);
    CHECK(strcmp(copy.ptr, "> Hello") == 0);
    sh_string_reserve(&copy, 100);
    sh_string_reserve_exact(&copy, 200);
    sh_string_shrink_to_fit(&copy);
    CHECK(sh_string_cap(&copy) == 7);

    sh_auto(sh_string) bytes = sh_string_from_bytes("abc", 2);
    sh_auto(sh_string) ab = sh_string_clone(&bytes);
    CHECK(sh_string_eq(&ab, &bytes));
    sh_string_clear(&ab);
    CHECK(sh_string_is_empty(&ab));
    sh_auto(sh_string) roomy = sh_string_with_capacity(16);
    CHECK(sh_string_cap(&roomy) == 16 && roomy.ptr != SH_OWN_EMPTY);

    sh_auto(sh_string) fresh = sh_string_new();
    CHECK(fresh.ptr == SH_OWN_EMPTY && sh_string_len(&fresh) == 0);
    CHECK(sh_string_len(&greeting_static) == 0);
    sh_string_push_str(&greeting_static, "hi");
    CHECK(strcmp(sh_string_cstr(&greeting_static), "hi") == 0);
    sh_string_drop(&greeting_static);
    sh_auto(sh_string) taken = sh_move(name);
    CHECK(name.ptr == SH_OWN_MOVED && sh_string_len(&taken) == 13);
    sh_string_drop(&copy);
    CHECK(copy.ptr == SH_OWN_DROPPED);
}

static void use_vecs(void) {
    sh_auto(sh_vec_i32) numbers = sh_vec_new(sh_vec_i32);
    sh_vec_push(&numbers, 1);
    CHECK(sh_vec_len(&numbers) == 1 && sh_vec_cap(&numbers) == 4);   /* Rust's first push */
    const int32_t more[] = {2, 3, 4, 5};
    sh_vec_extend(&numbers, more, 4);
    sh_vec_insert(&numbers, 0, 0);
    CHECK(sh_vec_remove(&numbers, 0) == 0);
    CHECK(sh_vec_swap_remove(&numbers, 0) == 1);      /* 5 moves to the front */
    int32_t last = 0;
    CHECK(sh_vec_pop(&numbers, &last) && last == 4);
    CHECK(sh_vec_at(&numbers, 0) == 5);
    sh_vec_at(&numbers, 0) = 6;
    CHECK(*sh_vec_get(&numbers, 1) == 2 && sh_vec_get(&numbers, 9) == NULL);
    int32_t *mid = sh_vec_slice(&numbers, 1, 3);
    CHECK(mid[0] == 2 && mid[1] == 3);
    int64_t sum = 0;
    sh_vec_foreach(it, &numbers) sum += *it;
    CHECK(sum == 11);

    sh_auto(sh_vec_i32) same = sh_vec_clone(&numbers);
    CHECK(sh_vec_eq(&same, &numbers));
    sh_vec_truncate(&same, 1);
    CHECK(sh_vec_len(&same) == 1);
    sh_vec_clear(&same);
    CHECK(sh_vec_is_empty(&same));
    sh_vec_reserve(&same, 10);
    sh_vec_reserve_exact(&same, 20);
    sh_vec_shrink_to_fit(&same);
    CHECK(sh_vec_cap(&same) == 0);

    sh_auto(sh_vec_u8) small = sh_vec_from(sh_vec_u8, 1, 2, 255);
    CHECK(sh_vec_len(&small) == 3 && sh_vec_at(&small, 2) == 255);
    sh_auto(sh_vec_f64) reals = sh_vec_with_capacity(sh_vec_f64, 5);
    CHECK(sh_vec_cap(&reals) == 5);
    sh_auto(vec_point) points = sh_vec_new(vec_point);
    point p = {1, 2};
    sh_vec_push(&points, p);
    CHECK(sh_vec_at(&points, 0).y == 2);

    sh_auto(vec_person) people = sh_vec_new(vec_person);
    person ann = {sh_string_from("Ann"), 31};
    sh_vec_push(&people, ann);
    person bob = {sh_string_from("Bob"), 42};
    sh_vec_push(&people, bob);
    vec_person_truncate(&people, 1);
    CHECK(sh_vec_len(&people) == 1 && strcmp(sh_vec_at(&people, 0).name.ptr, "Ann") == 0);
    vec_person_clear(&people);
    sh_auto(sh_vec_string) words = sh_vec_new(sh_vec_string);
    sh_vec_push(&words, sh_string_from("word"));
    sh_vec_string_drop(&words);
}

static void use_boxes(void) {
    sh_auto(sh_box_i32) boxed = sh_box_new(sh_box_i32, 42);
    CHECK(*sh_box_get(&boxed) == 42);
    point q = {3, 4};
    sh_auto(box_point) bp = sh_box_new(box_point, q);
    sh_box_get(&bp)->x = 5;
    point back = sh_box_into_inner(&bp);
    CHECK(back.x == 5 && back.y == 4 && bp.raw == SH_OWN_MOVED);
    person carl = {sh_string_from("Carl"), 7};
    sh_auto(box_person) owner = sh_box_new(box_person, carl);
    CHECK(sh_box_get(&owner)->age == 7);
    box_person_drop(&owner);
    CHECK(owner.raw == SH_OWN_DROPPED);
    sh_auto(sh_box_string) bs = sh_box_new(sh_box_string, sh_string_from("boxed"));
    CHECK(sh_string_len(sh_box_get(&bs)) == 5);
}

/* ---- trace.h -------------------------------------------------------------------------- */

static void on_step(void *arg, const sh_trace_step *step) {
    size_t *n = (size_t *)arg;
    (*n)++;
    (void)step;
}

static void use_trace(const char *tracee) {
    char err[256];
    char missing[] = "/nonexistent/stackheap-consumer-tracee";
    char *missing_argv[] = {missing, NULL};
    sh_trace_opts none = SH_TRACE_OPTS(.max_steps = 5);
    CHECK(none.size == sizeof(sh_trace_opts) && none.max_steps == 5 && none.timeout == 0);
    errno = 0;
    sh_trace *gone = sh_trace_run(missing_argv, &none, err, sizeof err);
    CHECK(gone == NULL && errno == ENOENT);
    sh_trace_free(gone);
    if (!tracee) return;

    size_t seen = 0;
    sh_trace_opts opts = SH_TRACE_OPTS(.max_steps = 1000, .on_step = on_step, .on_step_arg = &seen);
    char program[4096];
    snprintf(program, sizeof program, "%s", tracee);
    char *argv[] = {program, NULL};
    sh_trace *t = sh_trace_run(argv, &opts, err, sizeof err);
    CHECK(t != NULL);
    if (!t) {
        fprintf(stderr, "consumer: %s\n", err);
        return;
    }
    CHECK(sh_trace_nsteps(t) > 0 && seen > 0);
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *s = sh_trace_reader_step(r, 0);
    CHECK(s != NULL && sh_trace_step_title(s) != NULL);
    sh_trace_reader_free(r);
    FILE *out = fopen("/dev/null", "w");
    CHECK(out != NULL);
    if (out) {
        CHECK(sh_trace_write(t, out, SH_TRACE_JSON, SH_TRACE_ASCII | SH_TRACE_NO_COLOR) == 0);
        fclose(out);
    }
    sh_trace_free(t);
}

int main(int argc, char **argv) {
    use_heap();
    use_stack();
    use_strings();
    use_vecs();
    use_boxes();
    use_trace(argc > 1 ? argv[1] : NULL);
    if (failures) return 1;
    puts("consumer: ok");
    return 0;
}
