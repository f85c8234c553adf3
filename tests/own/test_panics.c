/* tests/own/test_panics.c — the panics every build has: bounds, capacity, allocation. */
#include <stdint.h>

#include "helpers.h"
#include "own/internal.h"

SH_DEATH_TEST(test_index_out_of_bounds_panics, SIGABRT,
              "index out of bounds: the len is 3 but the index is 5") {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    sh_vec_at(&v, 5) = 0;
}

SH_DEATH_TEST(test_index_out_of_bounds_names_the_callers_file, SIGABRT,
              "stackheap: panicked at " __FILE__ ":") {
    sh_auto(sh_vec_i32) v = sh_vec_new(sh_vec_i32);
    (void)sh_vec_at(&v, 0);
}

SH_DEATH_TEST(test_index_at_len_panics, SIGABRT,
              "index out of bounds: the len is 0 but the index is 0") {
    sh_auto(sh_vec_u8) v = sh_vec_new(sh_vec_u8);
    (void)sh_vec_at(&v, 0);
}

SH_DEATH_TEST(test_string_at_out_of_bounds_panics, SIGABRT,
              "index out of bounds: the len is 5 but the index is 5") {
    sh_auto(sh_string) s = sh_string_from("Hello");
    (void)sh_string_at(&s, 5);
}

SH_DEATH_TEST(test_vec_insert_past_len_panics, SIGABRT,
              "insertion index (is 4) should be <= len (is 3)") {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    sh_vec_insert(&v, 4, 0);
}

SH_DEATH_TEST(test_vec_remove_at_len_panics, SIGABRT,
              "removal index (is 3) should be < len (is 3)") {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    (void)sh_vec_remove(&v, 3);
}

SH_DEATH_TEST(test_vec_swap_remove_out_of_bounds_panics, SIGABRT,
              "swap_remove index (is 7) should be < len (is 3)") {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    (void)sh_vec_swap_remove(&v, 7);
}

SH_DEATH_TEST(test_vec_slice_end_past_len_panics, SIGABRT,
              "range end index 4 out of range for slice of length 3") {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    (void)sh_vec_slice(&v, 0, 4);
}

SH_DEATH_TEST(test_vec_slice_start_after_end_panics, SIGABRT,
              "slice index starts at 2 but ends at 1") {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
    (void)sh_vec_slice(&v, 2, 1);
}

SH_DEATH_TEST(test_string_slice_past_len_panics, SIGABRT,
              "byte index 7 is out of bounds of `Hello`") {
    sh_auto(sh_string) s = sh_string_from("Hello");
    (void)sh_string_slice(&s, 0, 7);
}

SH_DEATH_TEST(test_string_slice_backwards_panics, SIGABRT,
              "begin <= end (3 <= 1) when slicing `Hello`") {
    sh_auto(sh_string) s = sh_string_from("Hello");
    (void)sh_string_slice(&s, 3, 1);
}

SH_DEATH_TEST(test_string_insert_past_len_panics, SIGABRT,
              "insertion index (is 6) should be <= len (is 5)") {
    sh_auto(sh_string) s = sh_string_from("Hello");
    sh_string_insert(&s, 6, '!');
}

SH_DEATH_TEST(test_string_remove_at_len_panics, SIGABRT,
              "removal index (is 5) should be < len (is 5)") {
    sh_auto(sh_string) s = sh_string_from("Hello");
    (void)sh_string_remove(&s, 5);
}

SH_DEATH_TEST(test_with_capacity_overflow_panics, SIGABRT, "capacity overflow") {
    sh_auto(sh_vec_i32) v = sh_vec_with_capacity(sh_vec_i32, SIZE_MAX / 2);
}

SH_DEATH_TEST(test_reserve_len_plus_additional_overflow_panics, SIGABRT, "capacity overflow") {
    sh_auto(sh_vec_u8) v = sh_vec_from(sh_vec_u8, 1);
    sh_vec_reserve(&v, SIZE_MAX);
}

SH_DEATH_TEST(test_reserve_past_ptrdiff_max_panics, SIGABRT, "capacity overflow") {
    sh_auto(sh_vec_u64) v = sh_vec_new(sh_vec_u64);
    sh_vec_reserve_exact(&v, (size_t)PTRDIFF_MAX / 8 + 1);
}

SH_DEATH_TEST(test_string_capacity_counts_the_nul, SIGABRT, "capacity overflow") {
    sh_auto(sh_string) s = sh_string_with_capacity((size_t)PTRDIFF_MAX);
}

SH_DEATH_TEST(test_allocation_failure_panics_with_size, SIGABRT,
              "memory allocation of 9223372036854775807 bytes failed") {
    sh_auto(sh_vec_u8) v = sh_vec_with_capacity(sh_vec_u8, (size_t)PTRDIFF_MAX);
}

SH_DEATH_TEST(test_failed_regrowth_panics_with_size, SIGABRT,
              "memory allocation of 14 bytes failed") {
    sh_auto(sh_string) s = sh_string_from("Hello");
    shi_own_fail_nth = 1;
    sh_string_push_str(&s, ", world!");
}

SH_DEATH_TEST(test_failed_first_push_panics_with_size, SIGABRT,
              "memory allocation of 16 bytes failed") {
    sh_auto(sh_vec_i32) v = sh_vec_new(sh_vec_i32);
    shi_own_fail_nth = 1;
    sh_vec_push(&v, 1);
}

SH_DEATH_TEST(test_failed_box_panics_with_size, SIGABRT,
              "memory allocation of 8 bytes failed") {
    shi_own_fail_nth = 1;
    sh_auto(sh_box_f64) b = sh_box_new(sh_box_f64, 1.0);
}

SH_DEATH_TEST(test_box_get_after_move_panics_in_every_mode, SIGABRT,
              "use of moved value: 'a'") {
    sh_auto(sh_box_i32) a = sh_box_new(sh_box_i32, 1);
    sh_auto(sh_box_i32) b = sh_move(a);
    (void)*sh_box_get(&a);
}

SH_DEATH_TEST(test_box_get_after_drop_panics_in_every_mode, SIGABRT,
              "use of dropped value: 'a'") {
    sh_box_i32 a = sh_box_new(sh_box_i32, 1);
    sh_box_i32_drop(&a);
    (void)*sh_box_get(&a);
}

/* Last in the file: #line renames what follows. */
SH_DEATH_TEST(test_panic_names_the_callers_line, SIGABRT,
              "stackheap: panicked at user.c:500:\n"
              "index out of bounds: the len is 3 but the index is 5\n") {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2, 3);
#line 500 "user.c"
    (void)sh_vec_at(&v, 5);
}

int main(void) { return sh_test_main(); }
