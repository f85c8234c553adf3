/*
 * src/trace/model/source.c — source files for titles and statement extents (see source.h).
 */
#include "trace/model/source.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

typedef struct file {
    char *path;
    char **lines;         /* lines[0] is line 1 */
    int *start;           /* start[i]: the statement start of line i + 1 */
    size_t nlines;
} file;

struct shi_sources {
    file *v;
    size_t n;
};

shi_sources *shi_sources_new(void) {
    return calloc(1, sizeof(shi_sources));
}

void shi_sources_free(shi_sources *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t k = 0; k < s->v[i].nlines; k++) free(s->v[i].lines[k]);
        free(s->v[i].lines);
        free(s->v[i].start);
        free(s->v[i].path);
    }
    free(s->v);
    free(s);
}

/* Bracket depth through one line; `block` carries a block comment across lines. A ' starts a
 * character literal only when it closes within a few bytes (Rust's lifetimes 'a do not). */
static int scan(const char *p, int depth, bool *block) {
    while (*p) {
        if (*block) {
            if (p[0] == '*' && p[1] == '/') { *block = false; p += 2; } else p++;
            continue;
        }
        if (p[0] == '/' && p[1] == '/') break;
        if (p[0] == '/' && p[1] == '*') { *block = true; p += 2; continue; }
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1]) p++;
            if (*p) p++;
            continue;
        }
        if (*p == '\'') {
            const char *q = p + 1;
            if (*q == '\\' && q[1]) q += 2; else if (*q) q++;
            while (*q && *q != '\'' && q - p < 12) q++;
            if (*q == '\'') { p = q + 1; continue; }
        }
        if (*p == '(' || *p == '[') depth++;
        else if ((*p == ')' || *p == ']') && depth > 0) depth--;
        p++;
    }
    return depth;
}

static void load(file *f) {
    FILE *in = fopen(f->path, "r");
    if (!in) return;
    char *line = NULL;
    size_t cap = 0, room = 0;
    int depth = 0, start = 1;
    bool block = false;
    while (getline(&line, &cap, in) >= 0) {
        if (f->nlines == room) {   /* two arrays, one capacity */
            SHI_GROW(f->lines, room, f->nlines + 1);
            SHI_RESIZE(f->start, room);
        }
        int number = (int)f->nlines + 1;
        if (depth == 0) start = number;
        f->start[f->nlines] = start;
        f->lines[f->nlines++] = strdup(line);
        depth = scan(line, depth, &block);
    }
    free(line);
    fclose(in);
}

static file *get(shi_sources *s, const char *path) {
    if (!s || !path) return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].path, path) == 0) return &s->v[i];
    SHI_RESIZE(s->v, s->n + 1);
    file *f = &s->v[s->n++];
    *f = (file){.path = strdup(path)};
    if (f->path) load(f);
    return f;
}

const char *shi_sources_line(shi_sources *s, const char *path, int line) {
    file *f = get(s, path);
    return f && line > 0 && (size_t)line <= f->nlines ? f->lines[line - 1] : NULL;
}

int shi_sources_statement_start(shi_sources *s, const char *path, int line) {
    file *f = get(s, path);
    return f && line > 0 && (size_t)line <= f->nlines ? f->start[line - 1] : line;
}

char *shi_source_read_file(const char *path, size_t max, size_t *ret_len) {
    *ret_len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0, got;
    do {
        SHI_GROW(buf, cap, len + 4096 + 1);   /* + 1: the NUL */
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0 && (!max || len <= max));
    int e = ferror(f) ? EIO : max && len > max ? EFBIG : 0;
    fclose(f);
    if (e) {
        free(buf);
        errno = e;
        return NULL;
    }
    buf[len] = 0;
    *ret_len = len;
    return buf;
}
