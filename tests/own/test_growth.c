/*
 * tests/own/test_growth.c — one growth sequence (pushes, push_str, reserve, shrink_to_fit),
 * printed as "label len cap" lines. Run with SH_OWN_PRINT_GROWTH=1 it prints the sequence
 * for rust_growth.sh, which compares it line by line with the same program in Rust; as a
 * test it checks a few of the lines against the numbers Rust gives.
 */
#include <stdint.h>

#include "helpers.h"

struct b1024 { uint8_t b[1024]; };
struct b1025 { uint8_t b[1025]; };
struct b2000 { uint8_t b[2000]; };
SH_VEC_DECLARE(vec_b1024, struct b1024)
SH_VEC_DECLARE(vec_b1025, struct b1025)
SH_VEC_DECLARE(vec_b2000, struct b2000)

static void line(sh_string *out, const char *label, size_t len, size_t cap) {
    sh_string_format(out, "%s %zu %zu\n", label, len, cap);
}
#define LINE(out, label, v) line(out, label, (v).len, (v).cap)

static void pushes(sh_string *out) {
    sh_auto(sh_vec_u8) a = sh_vec_new(sh_vec_u8);
    for (int i = 0; i < 40; i++) { sh_vec_push(&a, (uint8_t)i); LINE(out, "u8_push", a); }
    sh_auto(sh_vec_i32) b = sh_vec_new(sh_vec_i32);
    for (int i = 0; i < 40; i++) { sh_vec_push(&b, i); LINE(out, "i32_push", b); }
    sh_auto(sh_vec_u64) c = sh_vec_new(sh_vec_u64);
    for (int i = 0; i < 20; i++) { sh_vec_push(&c, (uint64_t)i); LINE(out, "u64_push", c); }
    sh_auto(vec_b1024) d = sh_vec_new(vec_b1024);
    for (int i = 0; i < 6; i++) { sh_vec_push(&d, (struct b1024){{0}}); LINE(out, "b1024_push", d); }
    sh_auto(vec_b1025) e = sh_vec_new(vec_b1025);
    for (int i = 0; i < 6; i++) { sh_vec_push(&e, (struct b1025){{0}}); LINE(out, "b1025_push", e); }
    sh_auto(vec_b2000) f = sh_vec_new(vec_b2000);
    for (int i = 0; i < 10; i++) { sh_vec_push(&f, (struct b2000){{0}}); LINE(out, "b2000_push", f); }
}

static void strings(sh_string *out) {
    sh_auto(sh_string) name = sh_string_from("Hello");
    LINE(out, "string_from", name);
    sh_string_push_str(&name, ", world!");
    LINE(out, "string_push_str", name);
    for (char ch = 'a'; ch <= 'z'; ch++) { sh_string_push(&name, ch); LINE(out, "string_push", name); }
    sh_auto(sh_string) s = sh_string_new();
    static const char *const parts[] = {"Hello", ", world!", "xxxxxxxxxxxxxxxxxxxx", "abc",
                                        "a much longer piece of text than any before it"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        sh_string_push_str(&s, parts[i]);
        LINE(out, "string_new_push_str", s);
    }
    sh_auto(sh_string) w = sh_string_with_capacity(3);
    LINE(out, "string_with_capacity", w);
    for (int i = 0; i < 8; i++) { sh_string_push_str(&w, "ab"); LINE(out, "string_wc_push_str", w); }
    sh_string_reserve(&w, 100);
    LINE(out, "string_reserve", w);
    sh_string_shrink_to_fit(&w);
    LINE(out, "string_shrink", w);
}

static void reserves(sh_string *out) {
    sh_auto(sh_vec_i32) v = sh_vec_new(sh_vec_i32);
    sh_vec_reserve(&v, 10);
    LINE(out, "reserve_10", v);
    for (int i = 0; i < 11; i++) sh_vec_push(&v, i);
    LINE(out, "push_11", v);
    sh_vec_reserve(&v, 5);
    LINE(out, "reserve_5", v);
    sh_vec_reserve(&v, 100);
    LINE(out, "reserve_100", v);
    sh_vec_reserve_exact(&v, 500);
    LINE(out, "reserve_exact_500", v);
    sh_vec_shrink_to_fit(&v);
    LINE(out, "shrink", v);
    sh_vec_truncate(&v, 3);
    sh_vec_shrink_to_fit(&v);
    LINE(out, "truncate_3_shrink", v);
    sh_vec_push(&v, 1);
    LINE(out, "push_after_shrink", v);
    sh_vec_clear(&v);
    sh_vec_shrink_to_fit(&v);
    LINE(out, "clear_shrink", v);
    sh_auto(sh_vec_u8) b = sh_vec_new(sh_vec_u8);
    sh_vec_reserve(&b, 3);
    LINE(out, "u8_reserve_3", b);
    sh_auto(sh_vec_i32) c = sh_vec_with_capacity(sh_vec_i32, 5);
    for (int i = 0; i < 7; i++) sh_vec_push(&c, i);
    LINE(out, "with_capacity_5_push_7", c);
    sh_auto(sh_vec_i32) d = sh_vec_clone(&c);
    LINE(out, "clone", d);
}

static sh_string sequence(void) {
    sh_string out = sh_string_new();
    pushes(&out);
    strings(&out);
    reserves(&out);
    return out;
}

/* Numbers Rust prints for this sequence (checked against rustc by rust_growth.sh). */
SH_TEST(test_growth_sequence_matches_rust_numbers) {
    sh_auto(sh_string) out = sequence();
    static const char *const expected[] = {
        "u8_push 1 8\n", "u8_push 9 16\n", "u8_push 17 32\n", "u8_push 33 64\n",
        "i32_push 1 4\n", "i32_push 5 8\n", "i32_push 33 64\n",
        "b1024_push 1 4\n", "b1025_push 1 1\n", "b1025_push 3 4\n", "b2000_push 2 2\n",
        "string_from 5 5\n", "string_push_str 13 13\n", "string_push 14 26\n",
        "string_new_push_str 5 8\n", "string_new_push_str 13 16\n",
        "reserve_10 0 10\n", "push_11 11 20\n", "reserve_5 11 20\n", "reserve_100 11 111\n",
        "reserve_exact_500 11 511\n", "shrink 11 11\n", "truncate_3_shrink 3 3\n",
        "push_after_shrink 4 6\n", "clear_shrink 0 0\n", "u8_reserve_3 0 8\n",
        "with_capacity_5_push_7 7 10\n", "clone 7 7\n",
    };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
        if (!strstr(out.ptr, expected[i])) fprintf(stderr, "missing: %s", expected[i]);
        CHECK(strstr(out.ptr, expected[i]));
    }
}

int main(void) {
    if (getenv("SH_OWN_PRINT_GROWTH")) {
        sh_auto(sh_string) out = sequence();
        fputs(out.ptr, stdout);
        return 0;
    }
    return sh_test_main();
}
