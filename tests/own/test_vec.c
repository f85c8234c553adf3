/* tests/own/test_vec.c — Vec<T>: layout, Rust's growth numbers, every operation. */
#include <stdint.h>

#include "helpers.h"

struct point { int x, y; };
SH_VEC_DECLARE(sh_vec_point, struct point)
struct big { uint8_t b[2000]; };
SH_VEC_DECLARE(sh_vec_big, struct big)
struct kib { uint8_t b[1024]; };
SH_VEC_DECLARE(sh_vec_kib, struct kib)
struct kib1 { uint8_t b[1025]; };
SH_VEC_DECLARE(sh_vec_kib1, struct kib1)

_Static_assert(sizeof(sh_vec_point) == 24, "a vec is {ptr, len, cap}");

SH_TEST(test_vec_layout_is_ptr_len_cap) {
    CHECK_EQ(sizeof(sh_vec_i32), 24);
    CHECK_EQ(sizeof(sh_vec_big), 24);
    CHECK_EQ(offsetof(sh_vec_i32, ptr), 0);
    CHECK_EQ(offsetof(sh_vec_i32, len), 8);
    CHECK_EQ(offsetof(sh_vec_i32, cap), 16);
}

SH_TEST(test_vec_new_does_not_allocate) {
    long before = live_blocks();
    sh_vec_i32 v = sh_vec_new(sh_vec_i32);
    CHECK(v.ptr == SH_OWN_EMPTY);
    CHECK_LEN_CAP(v, 0, 0);
    CHECK_EQ(live_blocks(), before);
    sh_vec_i32_drop(&v);
}

SH_TEST(test_vec_i32_lesson_numbers) {
    sh_auto(sh_vec_i32) numbers = sh_vec_new(sh_vec_i32);
    sh_vec_push(&numbers, 1);
    CHECK_LEN_CAP(numbers, 1, 4);
    sh_vec_push(&numbers, 2);
    sh_vec_push(&numbers, 3);
    CHECK_LEN_CAP(numbers, 3, 4);
    CHECK_EQ(numbers.ptr[0], 1);
    CHECK_EQ(numbers.ptr[2], 3);
}

static void check_growth(const size_t *caps, size_t n, sh_rawvec *v, void (*push)(sh_rawvec *)) {
    for (size_t i = 0; i < n; i++) {
        push(v);
        CHECK_EQ(v->len, i + 1);
        CHECK_EQ(v->cap, caps[i]);
    }
}
static void push_u8(sh_rawvec *r) { sh_vec_u8 *v = (sh_vec_u8 *)r; sh_vec_push(v, 7); }
static void push_i32(sh_rawvec *r) { sh_vec_i32 *v = (sh_vec_i32 *)r; sh_vec_push(v, 7); }
static void push_big(sh_rawvec *r) {
    sh_vec_big *v = (sh_vec_big *)r; sh_vec_push(v, (struct big){{1}});
}

SH_TEST(test_vec_u8_growth_starts_at_8) {
    static const size_t caps[] = {8, 8, 8, 8, 8, 8, 8, 8, 16, 16, 16, 16, 16, 16, 16, 16, 32};
    sh_auto(sh_vec_u8) v = sh_vec_new(sh_vec_u8);
    check_growth(caps, sizeof caps / sizeof *caps, &v.raw, push_u8);
}

SH_TEST(test_vec_i32_growth_doubles_from_4) {
    static const size_t caps[] = {4, 4, 4, 4, 8, 8, 8, 8, 16, 16, 16, 16, 16, 16, 16, 16, 32};
    sh_auto(sh_vec_i32) v = sh_vec_new(sh_vec_i32);
    check_growth(caps, sizeof caps / sizeof *caps, &v.raw, push_i32);
}

SH_TEST(test_vec_of_elements_over_1kib_grows_from_1) {
    static const size_t caps[] = {1, 2, 4, 4, 8};
    sh_auto(sh_vec_big) v = sh_vec_new(sh_vec_big);
    check_growth(caps, sizeof caps / sizeof *caps, &v.raw, push_big);
}

SH_TEST(test_vec_min_cap_boundary_is_1kib) {
    sh_auto(sh_vec_kib) a = sh_vec_new(sh_vec_kib);
    sh_vec_push(&a, (struct kib){{0}});
    CHECK_EQ(a.cap, 4);
    sh_auto(sh_vec_kib1) b = sh_vec_new(sh_vec_kib1);
    sh_vec_push(&b, (struct kib1){{0}});
    CHECK_EQ(b.cap, 1);
}

SH_TEST(test_vec_with_capacity_is_exact_then_doubles) {
    sh_auto(sh_vec_i32) v = sh_vec_with_capacity(sh_vec_i32, 3);
    CHECK_LEN_CAP(v, 0, 3);
    for (int i = 0; i < 4; i++) sh_vec_push(&v, i);
    CHECK_LEN_CAP(v, 4, 6);
}

SH_TEST(test_vec_with_capacity_zero_does_not_allocate) {
    sh_auto(sh_vec_i32) v = sh_vec_with_capacity(sh_vec_i32, 0);
    CHECK(v.ptr == SH_OWN_EMPTY);
    CHECK_LEN_CAP(v, 0, 0);
}

SH_TEST(test_vec_from_has_cap_equal_len) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    CHECK_LEN_CAP(v, 3, 3);
    CHECK_EQ(v.ptr[1], 2);
    sh_vec_push(&v, 4);
    CHECK_EQ(v.cap, 6);
}

SH_TEST(test_vec_reserve_amortized) {
    sh_auto(sh_vec_i32) v = sh_vec_new(sh_vec_i32);
    sh_vec_reserve(&v, 10);
    CHECK_LEN_CAP(v, 0, 10);
    for (int i = 0; i < 11; i++) sh_vec_push(&v, i);
    CHECK_LEN_CAP(v, 11, 20);
    sh_vec_reserve(&v, 5);              /* fits: unchanged */
    CHECK_EQ(v.cap, 20);
    sh_vec_reserve(&v, 100);            /* max(2 * 20, 111) */
    CHECK_EQ(v.cap, 111);
    sh_vec_reserve(&v, 101);            /* max(222, 112) */
    CHECK_EQ(v.cap, 222);
}

SH_TEST(test_vec_reserve_exact) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2);
    sh_vec_reserve_exact(&v, 3);
    CHECK_LEN_CAP(v, 2, 5);
    sh_vec_reserve_exact(&v, 1);
    CHECK_EQ(v.cap, 5);
}

SH_TEST(test_vec_shrink_to_fit) {
    sh_auto(sh_vec_i32) v = sh_vec_new(sh_vec_i32);
    for (int i = 0; i < 5; i++) sh_vec_push(&v, i);
    CHECK_EQ(v.cap, 8);
    sh_vec_shrink_to_fit(&v);
    CHECK_LEN_CAP(v, 5, 5);
    CHECK_EQ(v.ptr[4], 4);
}

SH_TEST(test_vec_shrink_to_fit_empty_frees) {
    long before = live_blocks();
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1);
    sh_vec_clear(&v);
    sh_vec_shrink_to_fit(&v);
    CHECK_LEN_CAP(v, 0, 0);
    CHECK(v.ptr == SH_OWN_EMPTY);
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_vec_pop) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2);
    int x = 0;
    CHECK(sh_vec_pop(&v, &x));
    CHECK_EQ(x, 2);
    CHECK(sh_vec_pop(&v, &x));
    CHECK_EQ(x, 1);
    x = 99;
    CHECK(!sh_vec_pop(&v, &x));
    CHECK_EQ(x, 99);
    CHECK_LEN_CAP(v, 0, 2);
}

SH_TEST(test_vec_insert_shifts_right) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 3);
    sh_vec_insert(&v, 1, 2);
    sh_vec_insert(&v, 0, 0);
    sh_vec_insert(&v, 4, 4);
    CHECK_EQ(v.len, 5);
    for (int i = 0; i < 5; i++) CHECK_EQ(v.ptr[i], i);
    CHECK_EQ(v.cap, 8);
}

SH_TEST(test_vec_remove_shifts_left) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 10, 20, 30);
    CHECK_EQ(sh_vec_remove(&v, 0), 10);
    CHECK_EQ(v.len, 2);
    CHECK_EQ(v.ptr[0], 20);
    CHECK_EQ(v.ptr[1], 30);
}

SH_TEST(test_vec_swap_remove_moves_last) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 10, 20, 30, 40);
    CHECK_EQ(sh_vec_swap_remove(&v, 1), 20);
    CHECK_EQ(v.len, 3);
    CHECK_EQ(v.ptr[1], 40);
}

SH_TEST(test_vec_truncate_keeps_cap) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    sh_vec_truncate(&v, 5);
    CHECK_LEN_CAP(v, 3, 3);
    sh_vec_truncate(&v, 1);
    CHECK_LEN_CAP(v, 1, 3);
    sh_vec_clear(&v);
    CHECK_LEN_CAP(v, 0, 3);
}

SH_TEST(test_vec_at_is_an_lvalue) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    sh_vec_at(&v, 2) = 9;
    CHECK_EQ(sh_vec_at(&v, 2), 9);
}

SH_TEST(test_vec_get_is_null_out_of_bounds) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    CHECK_EQ(*sh_vec_get(&v, 0), 1);
    CHECK(sh_vec_get(&v, 3) == NULL);
}

SH_TEST(test_vec_slice_points_at_start) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3, 4);
    int *s = sh_vec_slice(&v, 1, 3);
    CHECK_EQ(s[0], 2);
    CHECK_EQ(s[1], 3);
    CHECK(sh_vec_slice(&v, 4, 4) == v.ptr + 4);
}

SH_TEST(test_vec_foreach_visits_in_order) {
    sh_auto(sh_vec_point) v = sh_vec_from(sh_vec_point, {1, 2}, {3, 4}, {5, 6});
    int sum = 0, n = 0;
    sh_vec_foreach(p, &v) { sum += p->x * 10 + p->y; n++; }
    CHECK_EQ(n, 3);
    CHECK_EQ(sum, 12 + 34 + 56);
}

SH_TEST(test_vec_foreach_empty_runs_zero_times) {
    sh_auto(sh_vec_i32) v = sh_vec_new(sh_vec_i32);
    int n = 0;
    sh_vec_foreach(it, &v) n += *it;
    CHECK_EQ(n, 0);
}

SH_TEST(test_vec_clone_is_deep_with_cap_len) {
    sh_auto(sh_vec_i32) v = sh_vec_new(sh_vec_i32);
    for (int i = 0; i < 5; i++) sh_vec_push(&v, i);
    sh_auto(sh_vec_i32) c = sh_vec_clone(&v);
    CHECK_LEN_CAP(c, 5, 5);
    CHECK(c.ptr != v.ptr);
    c.ptr[0] = 42;
    CHECK_EQ(v.ptr[0], 0);
}

SH_TEST(test_vec_eq) {
    sh_auto(sh_vec_i32) a = sh_vec_from(sh_vec_i32, 1, 2, 3);
    sh_auto(sh_vec_i32) b = sh_vec_with_capacity(sh_vec_i32, 10);
    CHECK(!sh_vec_eq(&a, &b));
    sh_vec_push(&b, 1);
    sh_vec_push(&b, 2);
    sh_vec_push(&b, 3);
    CHECK(sh_vec_eq(&a, &b));
    sh_vec_at(&b, 2) = 4;
    CHECK(!sh_vec_eq(&a, &b));
}

SH_TEST(test_vec_len_cap_is_empty) {
    sh_auto(sh_vec_f64) v = sh_vec_new(sh_vec_f64);
    CHECK(sh_vec_is_empty(&v));
    sh_vec_push(&v, 1.5);
    CHECK_EQ(sh_vec_len(&v), 1);
    CHECK_EQ(sh_vec_cap(&v), 4);
    CHECK(!sh_vec_is_empty(&v));
}

SH_TEST(test_vec_push_of_own_element_survives_regrowth) {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 7);
    sh_vec_push(&v, v.ptr[0]);          /* v is full: the push reallocates */
    CHECK_EQ(v.ptr[1], 7);
}

SH_TEST(test_vec_ready_types_have_their_element_size) {
    CHECK_EQ(sizeof *((sh_vec_i8 *)0)->ptr, 1);
    CHECK_EQ(sizeof *((sh_vec_i16 *)0)->ptr, 2);
    CHECK_EQ(sizeof *((sh_vec_u32 *)0)->ptr, 4);
    CHECK_EQ(sizeof *((sh_vec_u64 *)0)->ptr, 8);
    CHECK_EQ(sizeof *((sh_vec_f32 *)0)->ptr, 4);
    CHECK_EQ(sizeof *((sh_vec_size *)0)->ptr, sizeof(size_t));
    CHECK_EQ(sizeof *((sh_vec_ptr *)0)->ptr, sizeof(void *));
    CHECK_EQ(sizeof *((sh_vec_bool *)0)->ptr, sizeof(bool));
}

SH_TEST(test_vec_drop_frees_block) {
    long before = live_blocks();
    sh_vec_i32 v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    CHECK_EQ(live_blocks(), before + 1);
    sh_vec_i32_drop(&v);
    CHECK_EQ(live_blocks(), before);
    CHECK(v.ptr == SH_OWN_DROPPED);
}

SH_TEST(test_vec_zero_initialised_is_empty) {
    sh_auto(sh_vec_i32) v = {0};
    CHECK_EQ(sh_vec_len(&v), 0);
    sh_vec_push(&v, 5);
    CHECK_LEN_CAP(v, 1, 4);
}

int main(void) { return sh_test_main(); }

SH_TEST(test_vec_extend_appends_a_copy_and_grows_as_rust) {
    sh_auto(sh_vec_i32) v = sh_vec_new(sh_vec_i32);
    int32_t a[3] = {1, 2, 3};
    sh_vec_extend(&v, a, 3);
    CHECK_EQ(v.len, 3);
    CHECK_EQ(v.cap, 4);           /* max(2 * 0, 3) raised to the minimum of 4, as Rust */
    sh_vec_extend(&v, a, 3);
    CHECK_EQ(v.len, 6);
    CHECK_EQ(v.cap, 8);           /* max(2 * 4, 6) */
    a[0] = 99;                    /* a copy, not a view */
    CHECK_EQ(v.ptr[0], 1);
    CHECK_EQ(v.ptr[3], 1);
    CHECK_EQ(v.ptr[5], 3);
    sh_vec_extend(&v, a, 0);
    CHECK_EQ(v.len, 6);
}

SH_TEST(test_vec_push_with_room_stays_in_place) {
    sh_auto(sh_vec_i32) v = sh_vec_with_capacity(sh_vec_i32, 8);
    int32_t *before = v.ptr;
    for (int i = 0; i < 8; i++) sh_vec_push(&v, i);
    CHECK(v.ptr == before);
    CHECK_EQ(v.len, 8);
    CHECK_EQ(v.ptr[7], 7);
    sh_vec_push(&v, 8);           /* full: the library call grows it to 16 */
    CHECK_EQ(v.cap, 16);
    CHECK_EQ(v.ptr[8], 8);
}
