/*
 * src/trace/render/render_html.c — a trace as one self-contained HTML page (docs/html.md): the
 * lesson's scrollytelling page, where scrolling steps through the program with its source
 * beside the Stack | Heap diagram.
 *
 * The page is the template src/trace/render/html/page.html with its style (page.css), its script
 * (page.js), the JSON trace (shi_render_json, docs/trace-json.md) and the text of the
 * program's source files put in place of the template's markers:
 *
 *     @TITLE@    the program's name, HTML-escaped
 *     @CSS@      page.css            (inside <style>)
 *     @JS@       steps.js, page.js   (inside <script>)
 *     @TRACE@    the JSON trace      (inside <script type="application/json">)
 *     @SOURCES@  {"files": [{"path", "text", "error"}]}, the same way
 *
 * The four files are compiled into the binary (src/trace/render/html/assets.h), so the page needs
 * nothing at run time but the trace; the page itself loads nothing (no network, no fonts).
 * JSON sits inside <script> safely because every '<' in it is written \u003c: no "</script>"
 * or "<!--" can end or change the element, whatever the program's strings hold.
 */
#define _GNU_SOURCE   /* open_memstream */
#include "trace/render/render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace/render/html/assets.h"
#include "trace/model/source.h"

enum { SOURCE_MAX = 4 << 20 };   /* a source file larger than this is not put in the page */

/* Text for an HTML element's content or a quoted attribute. */
static void html_text(FILE *out, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* JSON text into a <script> element, compacted: the whitespace between tokens (the pretty
 * printer's line breaks and indentation: a third of a big trace) is left out, and '<',
 * which only occurs inside strings, is written \u003c (the same character to a reader).
 * Kept: a line break right before a '{', which only version 2 writes (one step a line;
 * version 1 indents every line), so the page finds each step without parsing the others. */
static void script_json(FILE *out, const char *json, size_t n) {
    bool in_string = false;
    size_t run = 0;   /* bytes of json[i - run, i) not yet written */
    for (size_t i = 0; i < n; i++) {
        char c = json[i];
        if (in_string) {
            if (c == '\\' && i + 1 < n) { i++; run += 2; continue; }   /* \" and \\ stay */
            if (c == '"') in_string = false;
            if (c != '<') { run++; continue; }
        } else if (c == '"') {
            in_string = true;
            run++;
            continue;
        } else if ((c != ' ' && c != '\n' && c != '\t' && c != '\r') ||
                   (c == '\n' && i + 1 < n && json[i + 1] == '{')) {
            run++;   /* a line break before a '{' is version 2's before a step: kept */
            continue;
        }
        fwrite(json + i - run, 1, run, out);   /* flush, then replace or drop this byte */
        run = 0;
        if (c == '<') fputs("\\u003c", out);
    }
    fwrite(json + n - run, 1, run, out);
}

/* The source files as JSON: each file's text, or why it could not be read. */
static void sources_json(const shi_trace *t, FILE *out) {
    fputs("{\"files\": [", out);
    for (size_t i = 0; i < t->nsources; i++) {
        const char *path = t->source_files[i];
        size_t len = 0;
        errno = 0;
        char *text = path ? shi_source_read_file(path, SOURCE_MAX, &len) : NULL;
        int err = errno;
        fputs(i ? ",\n  {\"path\": " : "\n  {\"path\": ", out);
        shi_json_string(out, path, path ? strlen(path) : 0);
        fputs(", \"text\": ", out);
        shi_json_string(out, text, len);
        fputs(", \"error\": ", out);
        if (text) {
            fputs("null", out);
        } else {
            char msg[300];
            snprintf(msg, sizeof msg, "cannot read %s: %s", path ? path : "(no name)",
                     err == EFBIG ? "larger than 4 MiB" : strerror(err ? err : ENOENT));
            shi_json_string(out, msg, strlen(msg));
        }
        fputc('}', out);
        free(text);
    }
    fputs("\n]}", out);
}

/* Renders `render` into memory and writes it as script JSON. */
static int embed_json(FILE *out, const shi_trace *t, int (*render)(const shi_trace *, FILE *)) {
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    if (!mem) return -1;
    int rc = render(t, mem);
    if (fclose(mem) != 0) rc = -1;
    if (rc == 0) script_json(out, buf, n);
    free(buf);
    return rc;
}

static int sources_render(const shi_trace *t, FILE *out) {
    sources_json(t, out);
    return ferror(out) ? -1 : 0;
}

int shi_render_html(const shi_trace *t, FILE *out) {
    const char *p = (const char *)shi_html_page_html;
    const char *end = p + shi_html_page_html_len;
    int rc = 0;
    while (p < end && rc == 0) {
        const char *at = memchr(p, '@', (size_t)(end - p));
        if (!at) { fwrite(p, 1, (size_t)(end - p), out); break; }
        fwrite(p, 1, (size_t)(at - p), out);
        p = at;
        size_t left = (size_t)(end - p);
#define MARK(s) (left >= sizeof(s) - 1 && !memcmp(p, s, sizeof(s) - 1) && (p += sizeof(s) - 1))
        if (MARK("@TITLE@")) {
            const char *slash = t->program ? strrchr(t->program, '/') : NULL;
            html_text(out, slash ? slash + 1 : t->program ? t->program : "program");
        } else if (MARK("@CSS@")) {
            fwrite(shi_html_page_css, 1, shi_html_page_css_len, out);
        } else if (MARK("@JS@")) {   /* steps.js first: page.js reads the steps with it */
            fwrite(shi_html_steps_js, 1, shi_html_steps_js_len, out);
            fwrite(shi_html_page_js, 1, shi_html_page_js_len, out);
        } else if (MARK("@TRACE@")) {
            rc = embed_json(out, t, shi_render_json);   /* version 2: steps.js reads it */
        } else if (MARK("@SOURCES@")) {
            rc = embed_json(out, t, sources_render);
        } else {
            fputc('@', out);   /* an @ that is not a marker */
            p++;
        }
#undef MARK
    }
    if (ferror(out)) rc = -1;
    return rc;
}
