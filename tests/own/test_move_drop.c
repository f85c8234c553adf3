/* tests/own/test_move_drop.c — scope drop in reverse declaration order, moves, empty drops. */
#include "helpers.h"

/* Records which block each drop frees, by watching the handles' own drop functions. */
static char order[64];
static void record(char c) { size_t n = strlen(order); order[n] = c; order[n + 1] = 0; }

typedef sh_string rec_string;
static void rec_string_autodrop(rec_string *s) { record('n'); sh_string_autodrop(s); }
typedef sh_vec_i32 rec_vec;
static void rec_vec_autodrop(rec_vec *v) { record('v'); sh_vec_i32_autodrop(v); }
typedef sh_box_i32 rec_box;
static void rec_box_autodrop(rec_box *b) { record('b'); sh_box_i32_autodrop(b); }

static void lesson_scope(void) {
    sh_auto(rec_string) name = sh_string_from("Hello");
    sh_string_push_str(&name, ", world!");
    sh_auto(rec_vec) numbers = sh_vec_new(sh_vec_i32);
    sh_vec_push(&numbers, 1);
    sh_vec_push(&numbers, 2);
    sh_vec_push(&numbers, 3);
    sh_auto(rec_box) boxed = sh_box_new(sh_box_i32, 42);
    CHECK_EQ(*boxed.ptr, 42);
}

SH_TEST(test_scope_drop_order_is_boxed_numbers_name) {
    long before = live_blocks();
    order[0] = 0;
    lesson_scope();
    CHECK(strcmp(order, "bvn") == 0);
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_scope_drop_runs_on_early_return_and_break) {
    long before = live_blocks();
    for (int i = 0; i < 3; i++) {
        sh_auto(sh_string) s = sh_string_from("loop");
        if (i == 1) break;
    }
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_move_hands_value_over_and_empties_source) {
    sh_auto(sh_vec_i32) a = sh_vec_from(sh_vec_i32, 1, 2, 3);
    int *block = a.ptr;
    sh_auto(sh_vec_i32) b = sh_move(a);
    CHECK(b.ptr == block);
    CHECK_LEN_CAP(b, 3, 3);
    CHECK(a.ptr == SH_OWN_MOVED);
    CHECK_LEN_CAP(a, 0, 0);
}

SH_TEST(test_moved_from_drop_does_nothing) {
    long before = live_blocks();
    {
        sh_auto(sh_string) a = sh_string_from("x");
        sh_auto(sh_string) b = sh_move(a);
        sh_string_drop(&a);                 /* explicit drop of a moved-from handle */
        CHECK(strcmp(b.ptr, "x") == 0);
    }
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_move_of_box) {
    long before = live_blocks();
    {
        sh_auto(sh_box_i32) a = sh_box_new(sh_box_i32, 7);
        sh_auto(sh_box_i32) b = sh_move(a);
        CHECK(a.raw == SH_OWN_MOVED);
        CHECK_EQ(*b.ptr, 7);
    }
    CHECK_EQ(live_blocks(), before);
}

static sh_string make_greeting(const char *who) {
    sh_auto(sh_string) s = sh_string_from("Hi, ");
    sh_string_push_str(&s, who);
    return sh_move(s);                      /* returning: the scope drop sees a moved value */
}

SH_TEST(test_move_out_of_function_survives_scope_drop) {
    long before = live_blocks();
    {
        sh_auto(sh_string) g = make_greeting("Ada");
        CHECK(strcmp(g.ptr, "Hi, Ada") == 0);
        CHECK_EQ(live_blocks(), before + 1);
    }
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_explicit_drop_then_scope_drop_is_one_drop) {
    long before = live_blocks();
    {
        sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1);
        sh_vec_i32_drop(&v);
        CHECK_EQ(live_blocks(), before);
    }
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_drop_accepts_null_and_empty) {
    sh_string_drop(NULL);
    sh_vec_i32_drop(NULL);
    sh_box_i32_drop(NULL);
    sh_string s = sh_string_new();
    sh_string_drop(&s);
    sh_vec_u8 z = {0};
    sh_vec_u8_drop(&z);
    sh_box_i32 nb = {0};
    sh_box_i32_drop(&nb);
}

SH_TEST(test_moved_from_vec_reused_after_assignment) {
    sh_auto(sh_vec_i32) a = sh_vec_from(sh_vec_i32, 1);
    sh_auto(sh_vec_i32) b = sh_move(a);
    a = sh_vec_from(sh_vec_i32, 5, 6);      /* a moved-from handle may be assigned again */
    CHECK_EQ(sh_vec_len(&a), 2);
    CHECK_EQ(sh_vec_len(&b), 1);
}

int main(void) { return sh_test_main(); }
