/*
 * tests/html/test_render_html.c — shi_render_html on traces built by hand: the page is one
 * file with the style, the script, the JSON trace and the sources in place of the
 * template's markers; nothing in the program's strings can end a <script> early; a source
 * that cannot be read is named with the reason. What the page shows in a browser is
 * tested by tests/html/test_page.sh.
 */
#define _GNU_SOURCE   /* open_memstream */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "trace/model/model.h"
#include "trace/render/render.h"

/* The page for `t`, as a string the caller frees. */
static char *page_of(const shi_trace *t) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    CHECK(f);
    CHECK_EQ(shi_render_html(t, f), 0);
    CHECK(fclose(f) == 0);
    return buf;
}

static size_t count(const char *hay, const char *needle) {
    size_t c = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) c++;
    return c;
}

/* A source file in a fresh temporary directory; returns its path (static buffer). */
static const char *temp_source(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/sh-html-test-XXXXXX");
    CHECK(mkdtemp(path));
    strcat(path, "/prog.c");
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs(text, f);
    CHECK(fclose(f) == 0);
    return path;
}

static void remove_source(const char *path) {
    char dir[64];
    snprintf(dir, sizeof dir, "%s", path);
    unlink(path);
    *strrchr(dir, '/') = 0;
    rmdir(dir);
}

/* Two steps of a program whose strings try to break out of the page. */
static shi_trace *hostile_trace(const char *source) {
    shi_trace *t = shi_trace_new("dir/<b>&prog");
    t->language = shi_trace_strdup("c");
    shi_trace_add_source(t, source);
    shi_step *s = shi_trace_add_step(t);
    s->file = shi_trace_strdup(source);
    s->line = 3;
    shi_frame *m = shi_step_push_frame(s, "main", source, 3);
    shi_var *v = shi_frame_add_var(m, "text", "char *", 8);
    shi_value_set_pointer(&v->value, 0x5555555592a0u, 0);
    shi_value_set_text(&v->value, "\"</script><!--<script>alert(1)</script>\"");
    shi_block *b = shi_step_add_block(s, 0x5555555592a0u, 16, 1);
    shi_block_set_bytes(b, "</script><!--", 14);
    shi_event *e = shi_step_add_event(s, SHI_EV_OUTPUT);
    e->text = shi_trace_strdup("</SCRIPT>\xe2\x80\xa8<!-- @TRACE@ @JS@\n");
    s = shi_trace_add_step(t);
    s->file = shi_trace_strdup(source);
    s->line = 4;
    shi_step_push_frame(s, "main", source, 4);
    e = shi_step_add_event(s, SHI_EV_EXIT);
    e->value = 0;
    t->exit_code = 0;
    return t;
}

SH_TEST(test_page_is_one_file_with_every_part_in_place) {
    const char *src = temp_source("int main(void) {\n    return 0;\n}\n");
    shi_trace *t = hostile_trace(src);
    char *page = page_of(t);
    CHECK(!strncmp(page, "<!DOCTYPE html>", 15));
    CHECK(strstr(page, "</html>"));
    CHECK(strstr(page, "id=\"sh-trace\""));
    CHECK(strstr(page, "id=\"sh-sources\""));
    CHECK(strstr(page, "{\"format\":\"stackheap-trace\",\"version\":2,"));   /* compact */
    CHECK(strstr(page, "--step-h"));            /* page.css */
    const char *reader = strstr(page, "var shSteps");   /* steps.js, before page.js uses it */
    CHECK(reader && strstr(reader, "function drawDiagram"));   /* page.js */
    /* the template's markers are all gone; the program's own "@TRACE@" text is data */
    CHECK(!strstr(page, "@CSS@") && !strstr(page, "@SOURCES@") && !strstr(page, "@TITLE@"));
    CHECK_EQ(count(page, "@TRACE@"), 1);   /* the output event's text, inside the JSON */
    /* the page loads nothing: no src= or href= to anything but data: and #step links */
    CHECK(!strstr(page, "src=\"http") && !strstr(page, "href=\"http") && !strstr(page, "url(http"));
    CHECK(strstr(page, "default-src 'none'"));
    free(page);
    shi_trace_free(t);
    remove_source(src);
}

SH_TEST(test_program_strings_cannot_end_a_script) {
    const char *src = temp_source("int main(void) {\n    return 0;\n}\n");
    shi_trace *t = hostile_trace(src);
    char *page = page_of(t);
    /* the three <script> elements the template has, and no more openings or closings */
    CHECK_EQ(count(page, "</script>"), 3);
    CHECK_EQ(count(page, "<script"), 3);
    CHECK(!strstr(page, "</SCRIPT>"));
    CHECK(!strstr(page, "<!--<"));
    CHECK(strstr(page, "\\u003c/script>") || strstr(page, "\\u003c\\/script>"));
    /* the title is HTML-escaped: the program's base name, "<b>&prog" */
    CHECK(strstr(page, "<title>&lt;b&gt;&amp;prog"));
    CHECK(!strstr(page, "<b>&prog"));
    /* U+2028 never appears raw (it ends a line in older JavaScript) */
    CHECK(!strstr(page, "\xe2\x80\xa8"));
    free(page);
    shi_trace_free(t);
    remove_source(src);
}

SH_TEST(test_sources_are_in_the_page) {
    const char *src = temp_source("int main(void) {\n    char *s = \"</script>\";\n}\n");
    shi_trace *t = hostile_trace(src);
    char *page = page_of(t);
    CHECK(strstr(page, "int main(void) {\\n    char *s = \\\"\\u003c\\/script>\\\";\\n}\\n"));
    CHECK(strstr(page, "\"error\":null"));
    free(page);
    shi_trace_free(t);
    remove_source(src);
}

SH_TEST(test_json_is_compact_but_strings_keep_their_spaces) {
    const char *src = temp_source("x\n");
    shi_trace *t = hostile_trace(src);
    shi_step *s = &t->steps[0];
    shi_event *e = shi_step_add_event(s, SHI_EV_OUTPUT);
    e->text = shi_trace_strdup("a  \"b\"\t \\ \n  c: [1, 2]");
    char *page = page_of(t);
    CHECK(strstr(page, "\"text\":\"a  \\\"b\\\"\\t \\\\ \\n  c: [1, 2]\""));
    const char *json = strstr(page, "id=\"sh-trace\">");
    CHECK(json);
    const char *end = strstr(json, "</script>");
    CHECK(end);
    /* no indentation left; version 2's line breaks kept, one before each step */
    size_t lines = 0;
    for (const char *nl = json; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++) {
        CHECK_EQ(nl[1], '{');
        lines++;
    }
    CHECK_EQ(lines, t->nsteps);
    CHECK(strstr(json, "\"push\":[{\"function\":\"main\","));
    free(page);
    shi_trace_free(t);
    remove_source(src);
}

SH_TEST(test_unreadable_source_is_named_with_the_reason) {
    shi_trace *t = hostile_trace("/nonexistent/dir/prog.c");
    char *page = page_of(t);
    CHECK(strstr(page, "\"text\":null,\"error\":\"cannot read /nonexistent/dir/prog.c: "
                       "No such file or directory\""));
    free(page);
    shi_trace_free(t);
}

SH_TEST(test_trace_without_steps_or_sources_still_makes_a_page) {
    shi_trace *t = shi_trace_new("empty");
    char *page = page_of(t);
    CHECK(strstr(page, "\"steps\":[]"));
    CHECK(strstr(page, "{\"files\":[]}"));
    CHECK(strstr(page, "</html>"));
    free(page);
    shi_trace_free(t);
}

SH_TEST(test_write_error_is_reported) {
    shi_trace *t = shi_trace_new("prog");
    FILE *f = fopen("/dev/full", "w");
    if (!f) { shi_trace_free(t); return; }   /* no /dev/full here: nothing to test */
    setvbuf(f, NULL, _IONBF, 0);
    CHECK_EQ(shi_render_html(t, f), -1);
    fclose(f);
    shi_trace_free(t);
}

int main(void) { return sh_test_main(); }
