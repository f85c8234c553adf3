/*
 * tests/own/test_checked.c — checked mode: use after move or drop, double drop, leaks at
 * exit. The binary re-executes itself with STACKHEAP_CHECK=1 so every build tests it.
 */
#include <stdint.h>

#include "helpers.h"

SH_TEST(test_checked_mode_is_on) {
    CHECK(sh_heap_checked());
}

SH_DEATH_TEST(test_use_after_move_panics, SIGABRT, "use of moved value: 'numbers'") {
    sh_auto(sh_vec_i32) numbers = sh_vec_from(sh_vec_i32, 1);
    sh_auto(sh_vec_i32) other = sh_move(numbers);
    sh_vec_push(&numbers, 2);
}

SH_DEATH_TEST(test_move_of_moved_value_panics, SIGABRT, "use of moved value: 'a'") {
    sh_auto(sh_string) a = sh_string_from("x");
    sh_auto(sh_string) b = sh_move(a);
    sh_auto(sh_string) c = sh_move(a);
}

SH_DEATH_TEST(test_foreach_over_moved_value_panics, SIGABRT, "use of moved value: 'v'") {
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1);
    sh_auto(sh_vec_i32) w = sh_move(v);
    sh_vec_foreach(it, &v) (void)*it;
}

SH_DEATH_TEST(test_use_after_drop_panics, SIGABRT, "use of dropped value: 's'") {
    sh_auto(sh_string) s = sh_string_from("x");
    sh_string_drop(&s);
    sh_string_push(&s, 'y');
}

SH_DEATH_TEST(test_double_drop_panics, SIGABRT,
              "double drop of a String: it was already dropped; it was allocated here "
              "(sh_string_from(\"twice\"))") {
    sh_string s = sh_string_from("twice");
    sh_string_drop(&s);
    sh_string_drop(&s);
}

SH_DEATH_TEST(test_double_drop_of_bitwise_copy_panics, SIGABRT, "double drop of a Vec") {
    sh_vec_i32 a = sh_vec_from(sh_vec_i32, 1, 2);
    sh_vec_i32 copy = a;                /* a copy, not a move: two owners of one block */
    sh_vec_i32_drop(&a);
    sh_vec_i32_drop(&copy);
}

SH_DEATH_TEST(test_double_drop_of_box_panics, SIGABRT, "double drop of a Box") {
    sh_box_i32 b = sh_box_new(sh_box_i32, 1);
    sh_box_i32_drop(&b);
    sh_box_i32_drop(&b);
}

SH_TEST(test_explicit_drop_then_scope_exit_is_not_a_double_drop) {
    sh_auto(sh_string) s = sh_string_from("once");
    sh_string_drop(&s);
}

SH_TEST(test_moved_value_can_be_reassigned) {
    sh_auto(sh_vec_i32) a = sh_vec_from(sh_vec_i32, 1);
    sh_auto(sh_vec_i32) b = sh_move(a);
    a = sh_vec_from(sh_vec_i32, 2, 3);
    CHECK_EQ(sh_vec_len(&a), 2);
    CHECK_EQ(sh_vec_len(&b), 1);
}

/* ---- the leak report: a child process that leaks two values and drops one ---- */

static const int leak_line_string = __LINE__ + 3;
static const int leak_line_vec = __LINE__ + 5;
static void leak_two_values(void) {
    sh_string s = sh_string_from("Hello");
    sh_vec_i32 numbers = sh_vec_new(sh_vec_i32);
    sh_string dropped = sh_string_from("dropped");
    sh_vec_push(&numbers, 1);
    sh_string_drop(&dropped);
    (void)s;
}

static void no_leaks(void) {
    sh_auto(sh_string) s = sh_string_from("Hello");
    sh_auto(sh_vec_i32) v = sh_vec_from(sh_vec_i32, 1, 2);
}

/* This program's path: argv[0], not /proc/self/exe, which under Valgrind is Valgrind. */
static const char *self_path = "/proc/self/exe";

/* Runs this binary as a child doing `what`, returns what it wrote to stderr. */
static char *child_stderr(const char *what) {
    static char out[8192];
    char cmd[512];
    snprintf(cmd, sizeof cmd, "SH_OWN_CHILD=%s '%s' 2>&1 >/dev/null", what, self_path);
    FILE *f = popen(cmd, "r");
    CHECK(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    CHECK_EQ(pclose(f), 0);     /* a leak is reported, not fatal */
    return out;
}

SH_TEST(test_leaks_reported_at_exit_with_where_allocated) {
    char *err = child_stderr("leak");
    char want[512];
    snprintf(want, sizeof want, "stackheap: leaked: a String of 6 bytes allocated at %s:%d "
             "(sh_string_from(\"Hello\")) was never dropped\n", __FILE__, leak_line_string);
    if (!strstr(err, want)) fprintf(stderr, "got:\n%s\nwanted:\n%s", err, want);
    CHECK(strstr(err, want));
    snprintf(want, sizeof want, "stackheap: leaked: a Vec of 16 bytes allocated at %s:%d "
             "(numbers) was never dropped\n", __FILE__, leak_line_vec);
    if (!strstr(err, want)) fprintf(stderr, "got:\n%s\nwanted:\n%s", err, want);
    CHECK(strstr(err, want));
    CHECK(strstr(err, "stackheap: 2 owned values leaked (22 bytes)\n"));
    CHECK(!strstr(err, "dropped\")"));
}

SH_TEST(test_no_leak_report_when_everything_dropped) {
    char *err = child_stderr("clean");
    if (*err) fprintf(stderr, "unexpected:\n%s", err);
    CHECK_EQ(strlen(err), 0);
}

/* Last before main: #line renames what follows. */
SH_DEATH_TEST(test_use_after_move_names_the_line, SIGABRT,
              "stackheap: panicked at user.c:27:\nuse of moved value: 'name'\n") {
    sh_auto(sh_string) name = sh_string_from("Hello");
    sh_auto(sh_string) taken = sh_move(name);
#line 27 "user.c"
    (void)sh_string_len(&name);
}

int main(int argc, char **argv) {
    if (argc > 0 && strchr(argv[0], '/')) self_path = argv[0];
    const char *child = getenv("SH_OWN_CHILD");
    if (child) {
        if (strcmp(child, "leak") == 0) leak_two_values();
        else no_leaks();
        return 0;
    }
    if (!getenv("STACKHEAP_CHECK")) {   /* checked mode is decided before the first allocation */
        setenv("STACKHEAP_CHECK", "1", 1);
        execv(self_path, argv);
        perror("execv");
        return 1;
    }
    return sh_test_main();
}
