/* tests/own/test_string.c — String and &str: layout, the lesson's numbers, every operation. */
#include "helpers.h"

SH_TEST(test_string_layout_is_ptr_len_cap) {
    CHECK_EQ(sizeof(sh_string), 24);
    CHECK_EQ(offsetof(sh_string, ptr), 0);
    CHECK_EQ(offsetof(sh_string, len), 8);
    CHECK_EQ(offsetof(sh_string, cap), 16);
    CHECK_EQ(sizeof(sh_str), 16);
}

SH_TEST(test_string_lesson_numbers) {
    sh_auto(sh_string) name = sh_string_from("Hello");
    CHECK_LEN_CAP(name, 5, 5);
    sh_string_push_str(&name, ", world!");
    CHECK_LEN_CAP(name, 13, 13);
    CHECK(strcmp(name.ptr, "Hello, world!") == 0);
}

SH_TEST(test_string_new_is_empty_c_string_without_allocating) {
    long before = live_blocks();
    sh_auto(sh_string) s = sh_string_new();
    CHECK_LEN_CAP(s, 0, 0);
    CHECK(s.ptr == SH_OWN_EMPTY);
    CHECK(strcmp(s.ptr, "") == 0);
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_string_new_push_str_starts_at_8) {
    sh_auto(sh_string) s = sh_string_new();
    sh_string_push_str(&s, "Hello");
    CHECK_LEN_CAP(s, 5, 8);
    sh_string_push_str(&s, ", world!");   /* max(16, 13) */
    CHECK_LEN_CAP(s, 13, 16);
}

SH_TEST(test_string_from_empty_does_not_allocate) {
    long before = live_blocks();
    sh_auto(sh_string) s = sh_string_from("");
    CHECK_LEN_CAP(s, 0, 0);
    CHECK_EQ(live_blocks(), before);
}

SH_TEST(test_string_push_char_growth) {
    static const size_t caps[] = {8, 8, 8, 8, 8, 8, 8, 8, 16};
    sh_auto(sh_string) s = sh_string_new();
    for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
        sh_string_push(&s, (char)('a' + i));
        CHECK_LEN_CAP(s, i + 1, caps[i]);
    }
    CHECK(strcmp(s.ptr, "abcdefghi") == 0);
}

SH_TEST(test_string_is_nul_terminated_after_every_change) {
    sh_auto(sh_string) s = sh_string_with_capacity(3);
    sh_string_push_str(&s, "abc");
    CHECK_EQ(s.ptr[3], 0);
    sh_string_truncate(&s, 1);
    CHECK(strcmp(s.ptr, "a") == 0);
    sh_string_push(&s, 'z');
    CHECK(strcmp(s.ptr, "az") == 0);
    CHECK_EQ(sh_string_pop(&s), 'z');
    CHECK(strcmp(s.ptr, "a") == 0);
}

SH_TEST(test_string_with_capacity_exact) {
    sh_auto(sh_string) s = sh_string_with_capacity(20);
    CHECK_LEN_CAP(s, 0, 20);
    CHECK(strcmp(s.ptr, "") == 0);
}

SH_TEST(test_string_from_bytes_and_from_str) {
    sh_auto(sh_string) a = sh_string_from_bytes("abcdef", 3);
    CHECK_LEN_CAP(a, 3, 3);
    CHECK(strcmp(a.ptr, "abc") == 0);
    sh_auto(sh_string) b = sh_string_from_str(sh_str_from("xyz"));
    CHECK(sh_string_eq_str(&b, "xyz"));
}

SH_TEST(test_string_push_str_of_itself) {
    sh_auto(sh_string) s = sh_string_from("ab");
    sh_string_push_str(&s, s.ptr);        /* regrows while reading itself */
    CHECK(strcmp(s.ptr, "abab") == 0);
}

SH_TEST(test_string_push_view_and_bytes) {
    sh_auto(sh_string) s = sh_string_new();
    sh_string_push_view(&s, sh_str_from("ab"));
    sh_string_push_bytes(&s, "cdef", 2);
    CHECK(sh_string_eq_str(&s, "abcd"));
}

SH_TEST(test_string_format_appends) {
    sh_auto(sh_string) s = sh_string_from("x=");
    sh_string_format(&s, "%d, y=%s", 42, "ok");
    CHECK(strcmp(s.ptr, "x=42, y=ok") == 0);
    CHECK_EQ(s.len, 10);
    CHECK_EQ(s.cap, 10);          /* one reserve: max(2 * 2, 10) */
}

SH_TEST(test_string_format_long_text) {
    sh_auto(sh_string) s = sh_string_new();
    for (int i = 0; i < 1000; i++) sh_string_format(&s, "%04d", i);
    CHECK_EQ(s.len, 4000);
    CHECK(memcmp(s.ptr + 3996, "0999", 5) == 0);
}

SH_TEST(test_string_pop_empty_is_minus_one) {
    sh_auto(sh_string) s = sh_string_new();
    CHECK_EQ(sh_string_pop(&s), -1);
}

SH_TEST(test_string_insert_and_insert_str) {
    sh_auto(sh_string) s = sh_string_from("ace");
    sh_string_insert(&s, 1, 'b');
    sh_string_insert(&s, 3, 'd');
    sh_string_insert_str(&s, 0, ">>");
    sh_string_insert_str(&s, s.len, "!");
    CHECK(strcmp(s.ptr, ">>abcde!") == 0);
}

SH_TEST(test_string_insert_str_of_itself) {
    sh_auto(sh_string) s = sh_string_from("ab");
    sh_string_insert_str(&s, 1, s.ptr);
    CHECK(strcmp(s.ptr, "aabb") == 0);
}

SH_TEST(test_string_remove_returns_byte) {
    sh_auto(sh_string) s = sh_string_from("abc");
    CHECK_EQ(sh_string_remove(&s, 1), 'b');
    CHECK(strcmp(s.ptr, "ac") == 0);
    CHECK_LEN_CAP(s, 2, 3);
}

SH_TEST(test_string_truncate_and_clear_keep_cap) {
    sh_auto(sh_string) s = sh_string_from("Hello");
    sh_string_truncate(&s, 10);
    CHECK_LEN_CAP(s, 5, 5);
    sh_string_truncate(&s, 2);
    CHECK(strcmp(s.ptr, "He") == 0);
    sh_string_clear(&s);
    CHECK_LEN_CAP(s, 0, 5);
    CHECK(strcmp(s.ptr, "") == 0);
}

SH_TEST(test_string_reserve_and_reserve_exact) {
    sh_auto(sh_string) s = sh_string_from("Hello");
    sh_string_reserve(&s, 1);             /* max(10, 6) */
    CHECK_EQ(s.cap, 10);
    sh_string_reserve(&s, 5);             /* fits */
    CHECK_EQ(s.cap, 10);
    sh_string_reserve_exact(&s, 7);
    CHECK_EQ(s.cap, 12);
    CHECK(strcmp(s.ptr, "Hello") == 0);
}

SH_TEST(test_string_shrink_to_fit) {
    sh_auto(sh_string) s = sh_string_new();
    sh_string_push_str(&s, "abc");
    CHECK_EQ(s.cap, 8);
    sh_string_shrink_to_fit(&s);
    CHECK_LEN_CAP(s, 3, 3);
    CHECK(strcmp(s.ptr, "abc") == 0);
    sh_string_clear(&s);
    sh_string_shrink_to_fit(&s);
    CHECK_LEN_CAP(s, 0, 0);
    CHECK(strcmp(s.ptr, "") == 0);
}

SH_TEST(test_string_slice_and_as_str) {
    sh_auto(sh_string) s = sh_string_from("Hello, world!");
    sh_str w = sh_string_slice(&s, 7, 12);
    CHECK_EQ(w.len, 5);
    CHECK(memcmp(w.ptr, "world", 5) == 0);
    sh_str all = sh_string_as_str(&s);
    CHECK_EQ(all.len, 13);
    CHECK(all.ptr == s.ptr);
    CHECK(sh_str_eq(sh_string_slice(&s, 0, 5), sh_str_from("Hello")));
}

SH_TEST(test_string_cstr_never_null) {
    sh_string z = {0};
    CHECK(strcmp(sh_string_cstr(&z), "") == 0);
    sh_auto(sh_string) s = sh_string_from("hi");
    CHECK(strcmp(sh_string_cstr(&s), "hi") == 0);
}

SH_TEST(test_string_at_indexes_bytes) {
    sh_auto(sh_string) s = sh_string_from("abc");
    CHECK_EQ(sh_string_at(&s, 1), 'b');
    sh_string_at(&s, 1) = 'B';
    CHECK(strcmp(s.ptr, "aBc") == 0);
}

SH_TEST(test_string_clone_is_deep_with_cap_len) {
    sh_auto(sh_string) s = sh_string_new();
    sh_string_push_str(&s, "abc");
    sh_auto(sh_string) c = sh_string_clone(&s);
    CHECK_LEN_CAP(c, 3, 3);
    CHECK(c.ptr != s.ptr);
    CHECK(sh_string_eq(&c, &s));
    c.ptr[0] = 'X';
    CHECK(!sh_string_eq(&c, &s));
}

SH_TEST(test_string_eq_compares_bytes_not_cap) {
    sh_auto(sh_string) a = sh_string_from("abc");
    sh_auto(sh_string) b = sh_string_with_capacity(64);
    sh_string_push_str(&b, "abc");
    CHECK(sh_string_eq(&a, &b));
    CHECK(sh_string_eq_str(&a, "abc"));
    CHECK(!sh_string_eq_str(&a, "abd"));
    CHECK(!sh_string_eq_str(&a, "ab"));
}

SH_TEST(test_string_len_cap_is_empty_macros) {
    sh_auto(sh_string) s = sh_string_from("abc");
    CHECK_EQ(sh_string_len(&s), 3);
    CHECK_EQ(sh_string_cap(&s), 3);
    CHECK(!sh_string_is_empty(&s));
}

SH_TEST(test_string_drop_frees_block) {
    long before = live_blocks();
    sh_string s = sh_string_from("abc");
    CHECK_EQ(live_blocks(), before + 1);
    sh_string_drop(&s);
    CHECK_EQ(live_blocks(), before);
    CHECK(strcmp(s.ptr, "") == 0);
}

SH_TEST(test_str_eq) {
    CHECK(sh_str_eq(sh_str_from("a"), sh_str_from("a")));
    CHECK(!sh_str_eq(sh_str_from("a"), sh_str_from("b")));
    CHECK(sh_str_eq(sh_str_from(""), (sh_str){NULL, 0}));
}

int main(void) { return sh_test_main(); }
