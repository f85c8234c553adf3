/*
 * tests/trace/test_source.c — source text for titles and statement extents: where a
 * statement written over several lines starts, with brackets inside strings, character
 * literals, comments and Rust lifetimes not counted; missing files and lines.
 */
#include "check.h"
#include <errno.h>
#include "trace/model/source.h"

static char path[64];

static const char *write_source(const char *text) {
    strcpy(path, "/tmp/sh_test_source_XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    return path;
}

SH_TEST(test_a_call_over_three_lines_starts_at_its_first) {
    const char *p = write_source("int main(void) {\n"              /* 1 */
                                 "    printf(\"%d %d\\n\",\n"       /* 2 */
                                 "           f(1),\n"               /* 3 */
                                 "           g(2));\n"              /* 4 */
                                 "    return 0;\n"                  /* 5 */
                                 "}\n");
    shi_sources *s = shi_sources_new();
    CHECK_EQ(shi_sources_statement_start(s, p, 1), 1);
    CHECK_EQ(shi_sources_statement_start(s, p, 2), 2);
    CHECK_EQ(shi_sources_statement_start(s, p, 3), 2);
    CHECK_EQ(shi_sources_statement_start(s, p, 4), 2);
    CHECK_EQ(shi_sources_statement_start(s, p, 5), 5);
    CHECK(strcmp(shi_sources_line(s, p, 5), "    return 0;\n") == 0);
    shi_sources_free(s);
    unlink(p);
}

SH_TEST(test_brackets_in_strings_chars_and_comments_do_not_count) {
    const char *p = write_source("a(\")\", ')', x); // (\n"       /* 1: closed */
                                 "b = 1; /* ( [ */\n"              /* 2 */
                                 "/* a comment ( over\n"           /* 3 */
                                 "   two lines */ c = 2;\n"        /* 4 */
                                 "d = \"\\\"(\";\n"                /* 5: escaped quote */
                                 "e = 3;\n");                      /* 6 */
    shi_sources *s = shi_sources_new();
    for (int line = 1; line <= 6; line++) CHECK_EQ(shi_sources_statement_start(s, p, line), line);
    shi_sources_free(s);
    unlink(p);
}

SH_TEST(test_rust_lifetimes_and_vec_macro) {
    const char *p = write_source("fn f<'a>(s: &'a str) -> &'a str {\n"   /* 1 */
                                 "    let v = vec![\n"                    /* 2 */
                                 "        1,\n"                           /* 3 */
                                 "        2,\n"                           /* 4 */
                                 "    ];\n"                               /* 5 */
                                 "    s\n"                                /* 6 */
                                 "}\n");
    shi_sources *s = shi_sources_new();
    CHECK_EQ(shi_sources_statement_start(s, p, 2), 2);
    CHECK_EQ(shi_sources_statement_start(s, p, 4), 2);
    CHECK_EQ(shi_sources_statement_start(s, p, 5), 2);
    CHECK_EQ(shi_sources_statement_start(s, p, 6), 6);
    shi_sources_free(s);
    unlink(p);
}

SH_TEST(test_missing_file_or_line_gives_the_line_itself_and_null) {
    shi_sources *s = shi_sources_new();
    CHECK_EQ(shi_sources_statement_start(s, "/nonexistent/x.c", 7), 7);
    CHECK(shi_sources_line(s, "/nonexistent/x.c", 7) == NULL);
    const char *p = write_source("one\n");
    CHECK(shi_sources_line(s, p, 2) == NULL);
    CHECK(shi_sources_line(s, p, 0) == NULL);
    CHECK_EQ(shi_sources_statement_start(s, p, 9), 9);
    CHECK(shi_sources_line(s, NULL, 1) == NULL);
    shi_sources_free(s);
    shi_sources_free(NULL);
    unlink(p);
}

SH_TEST(test_read_file_whole_and_nul_terminated) {
    const char *p = write_source("one\ntwo\n");
    size_t n = 99;
    char *text = shi_source_read_file(p, 0, &n);
    CHECK(text != NULL);
    CHECK_EQ(n, 8);
    CHECK(strcmp(text, "one\ntwo\n") == 0);
    free(text);
    unlink(p);
}

SH_TEST(test_read_file_larger_than_its_limit_is_efbig) {
    static char big[20000];
    memset(big, 'x', sizeof big - 1);
    const char *p = write_source(big);
    size_t n;
    errno = 0;
    CHECK(shi_source_read_file(p, 10000, &n) == NULL);
    CHECK_EQ(errno, EFBIG);
    char *text = shi_source_read_file(p, sizeof big - 1, &n);   /* exactly at the limit */
    CHECK(text != NULL);
    CHECK_EQ(n, sizeof big - 1);
    free(text);
    unlink(p);
}

SH_TEST(test_read_file_missing_is_enoent) {
    size_t n = 5;
    errno = 0;
    CHECK(shi_source_read_file("/nonexistent/stackheap/x.c", 0, &n) == NULL);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(n, 0);
}

int main(void) { return sh_test_main(); }
