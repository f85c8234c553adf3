/*
 * src/trace/model/strbuf.h — the growing string the model's text (text.c) and the text view
 * (render/render_text.c) build their lines in: grown by core/grow.h, so running out of memory
 * panics as everywhere else. Static inline: each file gets the few it uses.
 *
 *     sbuf b = {0};
 *     sb_printf(&b, "%d bytes", 24);
 *     char *text = sb_take(&b);   // the caller's to free
 */
#ifndef SH_TRACE_STRBUF_H
#define SH_TRACE_STRBUF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/panic.h"

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static inline void sb_addn(sbuf *b, const char *s, size_t n) {
    SHI_GROW(b->p, b->cap, b->n + n + 1);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static inline void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3)))
static inline void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) { sb_addn(b, tmp, (size_t)n); return; }
    char *big = malloc((size_t)n + 1);
    if (!big) SHI_PANIC("trace: out of memory (%d bytes)", n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_addn(b, big, (size_t)n);
    free(big);
}

static inline void sb_rep(sbuf *b, const char *s, int times) {
    for (int i = 0; i < times; i++) sb_add(b, s);
}

/* Hands the text over to the caller (never NULL). */
static inline char *sb_take(sbuf *b) {
    if (!b->p) sb_add(b, "");
    char *p = b->p;
    *b = (sbuf){0};
    return p;
}

#endif
