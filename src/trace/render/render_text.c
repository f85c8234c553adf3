/*
 * src/trace/render/render_text.c — one step as the lesson draws it: the stack on the left (the
 * innermost frame on top), the heap on the right, an arrow from each owning handle's
 * `ptr` line to its block, on the same row where the rows allow:
 *
 *     ┌──────────────────────────┐
 *     │ main                     │ ← top
 *     │ name : String (24 bytes) │       ┌─────────────────┐
 *     │   ptr ───────────────────│──────→│ "Hello, world!" │
 *     │   len: 13                │       └─────────────────┘
 *
 * The diagram is built as rows: the left column first (each row may name the block its
 * arrow points to), then the heap boxes are placed on the right so that a box's contents
 * sit on its owner's `ptr` row; a box that cannot (the rows are taken) is labelled `#id`
 * and the arrow becomes `──→ #id` inside the stack box instead.
 *
 * Every line fits the width (COLUMNS, the terminal's, else 100): a row, a value in a box, a
 * caption or a title too wide for its column wraps onto more rows (broken after ", " or at a
 * blank), never cut, so that what the JSON has the view shows too.
 */
#define _GNU_SOURCE  /* strcasestr */
#include "trace/render/render.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/grow.h"
#include "core/panic.h"
#include "trace/model/strbuf.h"
#include "trace/model/text.h"

/* Columns on a terminal: ANSI colour sequences take none, a UTF-8 character takes one. */
static int dwidth(const char *s) {
    int w = 0;
    while (*s) {
        if (*s == '\x1b') {
            while (*s && *s != 'm') s++;
            if (*s) s++;
            continue;
        }
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
        s++;
    }
    return w;
}

/* ---- glyphs and colours ------------------------------------------------------------------ */

typedef struct glyphs {
    const char *h, *v, *tl, *tr, *bl, *br, *lj, *rj, *tj, *bj, *head, *top, *ell;
} glyphs;

static const glyphs utf8_glyphs = {"─", "│", "┌", "┐", "└", "┘", "├", "┤", "┬", "┴", "→",
                                   "← top", "…"};
static const glyphs ascii_glyphs = {"-", "|", "+", "+", "+", "+", "+", "+", "+", "+", ">",
                                    "<- top", "..."};

typedef struct colors {
    const char *bold, *dim, *green, *yellow, *red, *cyan, *reset;
} colors;

static const colors ansi = {"\x1b[1m", "\x1b[2m", "\x1b[32m", "\x1b[33m", "\x1b[31m",
                            "\x1b[36m", "\x1b[0m"};
static const colors no_colors = {"", "", "", "", "", "", ""};

/* Everything one drawing needs, so the helpers take one argument for it. */
typedef struct ctx {
    const glyphs *g;
    const colors *c;
    int width;
    bool any_mark; /* a change mark was drawn: the legend is worth a line */
    bool first;    /* the first step: everything is new, so nothing is marked */
    bool c_lang;   /* a C program's trace: values in C's notation */
} ctx;

static ctx make_ctx(const shi_render_opts *o) {
    ctx x = {&utf8_glyphs, &no_colors, 100, false, false, false};
    if (o) {
        if (!o->utf8) x.g = &ascii_glyphs;
        if (o->color) x.c = &ansi;
        if (o->width > 0) x.width = o->width;
    }
    if (x.width < 40) x.width = 40;  /* narrower than this, no diagram is readable */
    return x;
}

/* Appends `s` cut to `maxw` columns, the cut marked with an ellipsis. `s` has no colour
 * sequences (colours are added around the pieces, never inside text that may be cut). */
static void sb_add_fit(sbuf *b, const char *s, int maxw, const glyphs *g) {
    if (dwidth(s) <= maxw) { sb_add(b, s); return; }
    int keep = maxw - dwidth(g->ell), w = 0;
    const char *p = s;
    while (*p && w < keep) {
        p++;
        while (((unsigned char)*p & 0xC0) == 0x80) p++;
        w++;
    }
    if (keep > 0) sb_addn(b, s, (size_t)(p - s));
    if (maxw >= dwidth(g->ell)) sb_add(b, g->ell);
}

/* ---- values as text ---------------------------------------------------------------------- */

/* The model's words for a value (model/text.h), in the trace's notation. */
static void add_value(sbuf *b, const shi_value *v, bool c) {
    char *text = shi_value_text_in(v, c ? "c" : NULL);
    sb_add(b, text);
    free(text);
}

/* ---- heap contents ----------------------------------------------------------------------- */

/* The cells of a block's box: what the owner says the bytes are. */
typedef struct cells {
    char **text;
    size_t n;
    size_t more;   /* elements left out for width */
} cells;

static void cells_add(cells *c, char *text) {
    SHI_RESIZE(c->text, c->n + 1);
    c->text[c->n++] = text;
}

static void cells_free(cells *c) {
    for (size_t i = 0; i < c->n; i++) free(c->text[i]);
    free(c->text);
}

/* Raw bytes, for a block nothing types (void *): the first few in hex. */
static void hex_cells(cells *c, const shi_block *blk) {
    sbuf b = {0};
    size_t n = blk->nbytes < 8 ? blk->nbytes : 8;
    for (size_t i = 0; i < n; i++) sb_printf(&b, "%s%02x", i ? " " : "", blk->bytes[i]);
    if (n < blk->nbytes) sb_add(&b, " ..");
    if (!n) sb_printf(&b, "%zu bytes", blk->size);
    cells_add(c, sb_take(&b));
}

static void add_block_value(sbuf *b, const ctx *x, const shi_step *s, const shi_value *v);

/* An owned block's cells, from its decoded value: a text is one cell ("Hello"), an array
 * one cell per slot with `_` for an unused one (a Vec's spare capacity) and as many as fit
 * in `maxw` columns, anything else one cell ({name: → #5, age: 30}). */
static void owned_cells(cells *c, const ctx *x, const shi_step *s, const shi_block *blk,
                        int maxw) {
    const shi_value *v = &blk->value;
    if (v->kind != SHI_VAL_ARRAY || v->text) {
        sbuf b = {0};
        add_block_value(&b, x, s, v);
        cells_add(c, sb_take(&b));
        return;
    }
    size_t total = v->nfields + v->truncated;
    int used = 1;
    for (size_t i = 0; i < v->nfields; i++) {
        sbuf b = {0};
        if (v->fields[i].value->kind == SHI_VAL_UNINIT) sb_add(&b, "_");
        else add_block_value(&b, x, s, v->fields[i].value);
        used += dwidth(b.p) + 3;
        if (used > maxw - 8 && i + 1 < total) {  /* room kept for the "+N" cell */
            free(b.p);
            c->more = total - i;
            return;
        }
        cells_add(c, sb_take(&b));
    }
    c->more = v->truncated;
    if (!c->n && !c->more) cells_add(c, shi_trace_strdup(" "));
}

/* The slots of an owned block's array left unused (`_`), for the caption. */
static size_t unused_slots(const shi_value *v) {
    size_t n = 0;
    if (v->kind != SHI_VAL_ARRAY || v->text) return 0;
    for (size_t i = 0; i < v->nfields; i++) n += v->fields[i].value->kind == SHI_VAL_UNINIT;
    if (n && v->fields[v->nfields - 1].value->kind == SHI_VAL_UNINIT) n += v->truncated;
    return n;
}

static bool c_place(sbuf *b, const shi_var *v, uint64_t addr, size_t size);
static bool named_by_text(const shi_var *v);

/* A dangling pointer, in place of an arrow: `(dangling: #2 freed)`, `(dangling: #2 moved
 * by realloc)`; its address is in the JSON. */
static void add_dangling(sbuf *b, const shi_step *s, const shi_value *v) {
    const shi_freed *f = shi_step_freed(s, v->freed_id);
    sb_printf(b, "(dangling: #%" PRIu64 " %s)", v->freed_id,
              f && f->moved ? "moved by realloc" : "freed");
}

/* A typed block's decoded value (block->value), in the trace's notation, except that a
 * pointer into a block is an arrow to it (`next: → #2`, `→ #2+8` into its middle) and a null
 * pointer is NULL (C) or null. */
static void add_block_value(sbuf *b, const ctx *x, const shi_step *s, const shi_value *v) {
    if (v->kind == SHI_VAL_POINTER && v->target_block >= 0 && (size_t)v->target_block < s->nblocks) {
        const shi_block *t = &s->blocks[v->target_block];
        sb_printf(b, "%s #%" PRIu64, x->g->head, t->id);
        if (v->addr != t->addr) sb_printf(b, "+%" PRIu64, v->addr - t->addr);
        return;
    }
    if (v->kind == SHI_VAL_POINTER && !v->addr) { sb_add(b, x->c_lang ? "NULL" : "null"); return; }
    if (v->kind == SHI_VAL_POINTER && v->freed_id) { add_dangling(b, s, v); return; }
    if (v->kind == SHI_VAL_POINTER && v->target_static >= 0 &&
        (size_t)v->target_static < s->statics.nvars &&
        !named_by_text(&s->statics.vars[v->target_static])) {   /* a global: &hits */
        const shi_var *g = &s->statics.vars[v->target_static];
        sbuf place = {0};
        if (x->c_lang && c_place(&place, g, v->addr, v->target_size)) sb_printf(b, "&%s", place.p);
        else if (v->addr == g->addr) sb_printf(b, "&%s", g->name);
        else add_value(b, v, x->c_lang);
        free(place.p);
        return;
    }
    if (v->kind == SHI_VAL_OWNED && !v->owned.stale && v->target_block >= 0 &&
        (size_t)v->target_block < s->nblocks) {   /* a handle inside: an arrow to its block */
        sb_printf(b, "%s #%" PRIu64, x->g->head, s->blocks[v->target_block].id);
        return;
    }
    if (v->kind == SHI_VAL_OWNED && v->owned.stale) { sb_add(b, "(stale)"); return; }
    if (v->kind == SHI_VAL_STRUCT && v->variant) {   /* Some(→ #3), None, Rect { w: 3 } */
        sb_add(b, v->variant);
        if (!v->nfields) return;
        bool tuple = shi_field_is_tuple(v->fields[0].name);
        sb_add(b, tuple ? "(" : " { ");
        for (size_t i = 0; i < v->nfields; i++) {
            if (i) sb_add(b, ", ");
            if (!tuple) sb_printf(b, "%s: ", v->fields[i].name);
            add_block_value(b, x, s, v->fields[i].value);
        }
        sb_add(b, tuple ? ")" : " }");
        return;
    }
    if ((v->kind != SHI_VAL_STRUCT && v->kind != SHI_VAL_ARRAY) || v->text) {
        add_value(b, v, x->c_lang);
        return;
    }
    bool tuple = v->nfields == 0 || shi_field_is_tuple(v->fields[0].name);
    bool array = v->kind == SHI_VAL_ARRAY;
    sb_add(b, array ? (x->c_lang ? "{" : "[") : tuple ? (x->c_lang ? "{" : "(") : "{");
    for (size_t i = 0; i < v->nfields; i++) {
        if (i) sb_add(b, ", ");
        if (!array && !tuple) sb_printf(b, "%s: ", v->fields[i].name);
        if (array && v->fields[i].value->kind == SHI_VAL_UNINIT) sb_add(b, "_");
        else add_block_value(b, x, s, v->fields[i].value);
    }
    if (v->truncated) sb_printf(b, "%s+%zu more", v->nfields ? ", " : "", v->truncated);
    sb_add(b, array ? (x->c_lang ? "}" : "]") : tuple ? (x->c_lang ? "}" : ")") : "}");
}

/* Where the piece of `p` that fits in `maxw` columns ends: after its last ", " when that
 * leaves the line a third full at least, else after its last blank, else after its last
 * ", ", else at maxw columns (one column per UTF-8 character, as dwidth counts). A quoted
 * text is kept whole where it can be (its blanks are broken at only when it is longer than
 * the line). `p` has no colour sequences. The whole of `p` when it fits. */
/* Whether q (in a piece from p) follows an arrow, "→" or "->". */
static bool after_arrow(const char *p, const char *q) {
    return (q - p >= 3 && memcmp(q - 3, "\xe2\x86\x92", 3) == 0) ||
           (q - p >= 2 && q[-2] == '-' && q[-1] == '>');
}

static const char *piece_end(const char *p, int maxw) {
    const char *q = p, *comma = NULL, *blank = NULL, *qblank = NULL;
    int comma_w = 0, depth = 0;
    bool quoted = false;
    int w = 0;
    while (*q && w < maxw) {
        /* a text, a note in parentheses ("(dangling: #2 freed)") and an arrow with its
         * target ("→ #4") break only where nothing else can */
        if (*q == '"' && (q == p || q[-1] != '\\')) quoted = !quoted;
        else if (!quoted && *q == '(') depth++;
        else if (!quoted && *q == ')' && depth) depth--;
        else if ((quoted || depth || after_arrow(p, q)) && q > p && q[0] == ' ') qblank = q + 1;
        else if (!quoted && q > p && q[0] == ',' && q[1] == ' ') { comma = q + 2; comma_w = w; }
        else if (!quoted && q > p && q[0] == ' ') blank = q + 1;
        q++;
        while (((unsigned char)*q & 0xC0) == 0x80) q++;
        w++;
    }
    if (!*q) return q;
    if (q[0] == ' ' && !quoted && !depth && !after_arrow(p, q))
        return q + 1;   /* the piece ends at a word's end */
    if (comma && comma_w >= maxw / 3) return comma;
    return blank ? blank : comma ? comma : qblank ? qblank : q;
}

/* Breaks plain `text` into lines of at most `maxw` columns (piece_end), calling
 * `line(arg, start, n)` for each, trailing blanks left out. */
static void break_lines(const char *text, int maxw, void (*line)(void *, const char *, size_t),
                        void *arg) {
    if (maxw < 1) maxw = 1;
    const char *p = text;
    if (!*p) {   /* an empty line (a program printing "\n") is one empty line */
        line(arg, p, 0);
        return;
    }
    do {
        const char *end = piece_end(p, maxw);
        if (end == p) end = p + 1;   /* unreachable: a piece holds one character at least */
        size_t n = (size_t)(end - p);
        while (n && p[n - 1] == ' ') n--;
        line(arg, p, n);
        p = end;
    } while (*p);
}

static void cell_line(void *arg, const char *s, size_t n) {
    char *line = malloc(n + 1);
    if (!line) SHI_PANIC("trace: out of memory");
    memcpy(line, s, n);
    line[n] = 0;
    cells_add(arg, line);
}

/* `text` in lines of at most `maxw` columns, broken after a ", " where one is near enough. */
static void wrap_cells(cells *c, const char *text, int maxw) {
    if (maxw < 8) maxw = 8;
    if (*text) break_lines(text, maxw, cell_line, c);
    if (!c->n) cells_add(c, shi_trace_strdup(" "));
}

/* `text` without its colour sequences. */
static void add_bare(sbuf *b, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '\x1b') { while (*p && *p != 'm') p++; if (!*p) break; continue; }
        sb_addn(b, p, 1);
    }
}

/* ---- the left column: frames and variables ----------------------------------------------- */

enum { ROW_TOP, ROW_SEP, ROW_BOTTOM, ROW_TEXT };

typedef struct lrow {
    int kind;
    sbuf text;          /* ROW_TEXT: the content, coloured */
    int64_t arrow;      /* the block (index) this row's arrow points to, or -1 */
    bool aligned;       /* the block's contents are on this row */
    const char *mark;   /* drawn right of the box: "← top" */
    size_t src;         /* wrapped rows: the row of the unwrapped layout it comes from */
} lrow;

typedef struct layout {
    lrow *rows;
    size_t n;
} layout;

static lrow *add_row(layout *l, int kind) {
    SHI_RESIZE(l->rows, l->n + 1);
    lrow *r = &l->rows[l->n++];
    *r = (lrow){.kind = kind, .arrow = -1};
    return r;
}

static void add_mark(ctx *x, sbuf *b, const char *color, const char *mark) {
    if (x->first) return;
    sb_printf(b, " %s%s%s", color, mark, x->c->reset);
    x->any_mark = true;
}

static void add_size(sbuf *b, size_t size) {
    sb_printf(b, " (%zu byte%s)", size, size == 1 ? "" : "s");
}

/* `name : type (N bytes)`: the head of every variable's row. */
static void add_var_head(ctx *x, sbuf *b, const shi_var *v) {
    sb_printf(b, "  %s%s%s : %s", x->c->bold, v->name ? v->name : "?", x->c->reset,
              v->type ? v->type : "?");
    add_size(b, v->size);
}

static void owned_rows(ctx *x, layout *l, const shi_var *v) {
    lrow *r = add_row(l, ROW_TEXT);
    add_var_head(x, &r->text, v);
    /* a C++ container's handle reads as what it holds: = [1, 2], = "hi", = {"one": 1} */
    if (v->value.text) sb_printf(&r->text, " = %s", v->value.text);
    if (v->changed) add_mark(x, &r->text, x->c->yellow, "*");
    const shi_owned *own = &v->value.owned;
    r = add_row(l, ROW_TEXT);
    sb_add(&r->text, "    ptr");
    if (own->stale) sb_printf(&r->text, " %s(stale: moved or freed)%s", x->c->dim, x->c->reset);
    else if (v->value.target_block >= 0) r->arrow = v->value.target_block;
    else if (v->addr && own->ptr >= v->addr && own->ptr < v->addr + v->size)   /* C++'s short string */
        sb_printf(&r->text, " = 0x%" PRIx64 " %s(in the object itself)%s", own->ptr, x->c->dim, x->c->reset);
    else sb_printf(&r->text, " = 0x%" PRIx64, own->ptr);
    if (own->kind == SHI_OWN_BOX || own->kind == SHI_OWN_RC) return;
    sb_printf(&add_row(l, ROW_TEXT)->text, "    len: %" PRIu64, own->len);
    if (!shi_owned_has_cap(own)) return;   /* a std::map's "cap: 4" was no capacity it has */
    sb_printf(&add_row(l, ROW_TEXT)->text, "    cap: %" PRIu64, own->cap);
}

/* The variable of the step a pointer points into, when it points into the stack: drawn as
 * `&origin` (the address is in the JSON). */
static const shi_var *stack_target(const shi_step *s, const shi_var *self) {
    if (self->value.kind != SHI_VAL_POINTER || self->value.target_block >= 0 || !self->value.addr)
        return NULL;
    for (size_t i = 0; i < s->nframes; i++)
        for (size_t k = 0; k < s->frames[i].nvars; k++) {
            const shi_var *v = &s->frames[i].vars[k];
            if (v != self && v->addr && v->size && self->value.addr >= v->addr &&
                self->value.addr < v->addr + v->size)
                return v;
        }
    return NULL;
}

/* The part of variable `v` at `addr` as C names it: ps[1], p.y, g[1][2], or v itself: the
 * outermost part that starts at addr and has the size of what the pointer points to (`size`,
 * sizeof *p; 0 for void *). Parts come from the value's fields (their offsets and sizes);
 * false when no part fits (a pointer into the middle of an int). */
static bool c_place(sbuf *b, const shi_var *v, uint64_t addr, size_t size) {
    const shi_value *cur = &v->value;
    size_t off = (size_t)(addr - v->addr), cur_size = v->size;
    sb_add(b, v->name ? v->name : "?");
    for (int guard = 0; guard < 32; guard++) {
        if (off == 0 && (size == 0 || cur_size == size)) return true;
        if (cur->kind != SHI_VAL_STRUCT && cur->kind != SHI_VAL_ARRAY) return false;
        const shi_field *f = NULL;
        if (cur->kind == SHI_VAL_ARRAY) {
            size_t esize = cur->nfields ? cur->fields[0].size : 0;
            if (!esize || off / esize >= cur->nfields + cur->truncated) return false;
            size_t i = off / esize;
            sb_printf(b, "[%zu]", i);
            if (i >= cur->nfields) {   /* past the elements kept: only a whole one is named */
                return off % esize == 0 && (size == 0 || size == esize);
            }
            f = &cur->fields[i];
        } else {
            for (size_t i = 0; i < cur->nfields && !f; i++)
                if (cur->fields[i].size && off >= cur->fields[i].offset &&
                    off < cur->fields[i].offset + cur->fields[i].size)
                    f = &cur->fields[i];
            if (!f) return false;
            if (f->name) sb_printf(b, ".%s", f->name);   /* an anonymous member adds nothing */
        }
        off -= f->offset;
        cur_size = f->size;
        cur = f->value;
    }
    return false;
}

/* A text of the static region named by its text: a literal, an argument's ("one"), a
 * char array (the argument array, argv, is an array of char *). */
static bool named_by_text(const shi_var *v) {
    return v->literal || (v->argument && v->type && strncmp(v->type, "char[", 5) == 0);
}

/* The variable of the static region a pointer points into (a global, not a text: a char
 * pointer's text already gives the literal's): drawn as `&squares[2]`. */
static const shi_var *static_target(const shi_step *s, const shi_var *self) {
    int64_t i = self->value.kind == SHI_VAL_POINTER ? self->value.target_static : -1;
    if (i < 0 || (size_t)i >= s->statics.nvars || named_by_text(&s->statics.vars[i]))
        return NULL;
    return &s->statics.vars[i];
}

/* Whether an owning handle lies inside v (a struct's String field, an Option<Box<T>>). */
static bool holds_handle(const shi_value *v) {
    if (v->kind == SHI_VAL_OWNED) return true;
    for (size_t i = 0; i < v->nfields; i++)
        if (holds_handle(v->fields[i].value)) return true;
    return false;
}

static void var_rows(ctx *x, layout *l, const shi_step *s, const shi_var *v) {
    if (v->value.kind == SHI_VAL_OWNED) { owned_rows(x, l, v); return; }
    lrow *r = add_row(l, ROW_TEXT);
    add_var_head(x, &r->text, v);
    const shi_var *t = stack_target(s, v);
    if (!t) t = static_target(s, v);
    sbuf place = {0};
    if (v->literal) {   /* its name is its text: "hi" : char[3] (3 bytes) */
        sb_printf(&r->text, " %sread-only%s", x->c->dim, x->c->reset);
    } else if (named_by_text(v)) {   /* an argument's text: its name says it all */
    } else if (t && x->c_lang && c_place(&place, t, v->value.addr, v->value.target_size)) {
        sb_printf(&r->text, " = &%s", place.p);   /* C: &ps[1], &p.y */
    } else if (t && x->c_lang && v->value.addr != t->addr) {
        sb_printf(&r->text, " = 0x%" PRIx64, v->value.addr);   /* no part of t starts there */
    } else if (t && v->value.addr == t->addr) {   /* a struct passed by pointer: p = &origin */
        sb_printf(&r->text, " = &%s", t->name);
    } else if (t) {
        sb_printf(&r->text, " = &%s + %" PRIu64, t->name, v->value.addr - t->addr);
    } else if (v->value.kind == SHI_VAL_POINTER && !v->value.addr && !v->value.text) {
        sb_add(&r->text, x->c_lang ? " = NULL" : " = null");   /* as in the blocks' boxes */
    } else if (v->value.kind == SHI_VAL_POINTER && v->value.freed_id) {   /* e = 0x… (dangling: #2 freed) */
        sb_printf(&r->text, " = 0x%" PRIx64 " %s", v->value.addr, x->c->red);
        add_dangling(&r->text, s, &v->value);
        sb_add(&r->text, x->c->reset);
    } else if (holds_handle(&v->value)) {   /* p = {name: → #5, age: 30} */
        sb_add(&r->text, " = ");
        add_block_value(&r->text, x, s, &v->value);
    } else {
        char *val = shi_value_text_in(&v->value, x->c_lang ? "c" : NULL);
        sb_printf(&r->text, " = %s", val);
        free(val);
    }
    free(place.p);
    if (v->value.kind == SHI_VAL_POINTER && v->value.target_block >= 0)
        r->arrow = v->value.target_block;
    if (v->changed) add_mark(x, &r->text, x->c->yellow, "*");
}

static void frame_rows(ctx *x, layout *l, const shi_step *s, const shi_frame *f, bool top) {
    lrow *r = add_row(l, ROW_TEXT);
    sb_printf(&r->text, "%s%s%s", x->c->bold, f->function ? f->function : "??", x->c->reset);
    if (f->is_new) add_mark(x, &r->text, x->c->green, "(new)");
    if (top) r->mark = x->g->top;
    for (size_t i = 0; i < f->nvars; i++) var_rows(x, l, s, &f->vars[i]);
}

static void stack_rows(ctx *x, layout *l, const shi_step *s) {
    add_row(l, ROW_TOP);
    if (!s->nframes) sb_add(&add_row(l, ROW_TEXT)->text, "(no frames)");
    for (size_t i = s->nframes; i-- > 0;) {
        frame_rows(x, l, s, &s->frames[i], i + 1 == s->nframes);
        if (i) add_row(l, ROW_SEP);
        if (i == 1 && s->depth > s->nframes) {   /* a deep recursion's middle, left out */
            sb_printf(&add_row(l, ROW_TEXT)->text, "%s%s %zu more frames%s", x->c->dim,
                      x->g->ell, s->depth - s->nframes, x->c->reset);
            add_row(l, ROW_SEP);
        }
    }
    add_row(l, ROW_BOTTOM);
}

/* The Static/Global region, the lesson's third: globals and file statics first, then each
 * function's statics under its name, then the program's arguments, then the string literals
 * pointers reach. */
static void static_rows(ctx *x, layout *l, const shi_step *s) {
    const shi_frame *st = &s->statics;
    add_row(l, ROW_TOP);
    for (size_t i = 0; i < st->nvars; i++)
        if (!st->vars[i].scope && !st->vars[i].literal && !st->vars[i].argument)
            var_rows(x, l, s, &st->vars[i]);
    bool rows = l->n > 1;
    for (size_t i = 0; i < st->nvars; i++) {
        const char *fn = st->vars[i].scope;
        bool first = fn != NULL;
        for (size_t k = 0; k < i && first; k++)
            first = !st->vars[k].scope || strcmp(st->vars[k].scope, fn) != 0;
        if (!first) continue;   /* each function once, where its first static is */
        if (rows) add_row(l, ROW_SEP);
        sb_printf(&add_row(l, ROW_TEXT)->text, "%sin %s()%s", x->c->bold, fn, x->c->reset);
        for (size_t k = i; k < st->nvars; k++)
            if (st->vars[k].scope && strcmp(st->vars[k].scope, fn) == 0)
                var_rows(x, l, s, &st->vars[k]);
        rows = true;
    }
    bool args = false;
    for (size_t i = 0; i < st->nvars; i++) {
        if (!st->vars[i].argument) continue;
        if (!args && rows) add_row(l, ROW_SEP);
        if (!args)
            sb_printf(&add_row(l, ROW_TEXT)->text, "%sarguments%s", x->c->bold, x->c->reset);
        args = rows = true;
        var_rows(x, l, s, &st->vars[i]);
    }
    bool literals = false;
    for (size_t i = 0; i < st->nvars; i++) {
        if (!st->vars[i].literal) continue;
        if (!literals && rows) add_row(l, ROW_SEP);
        if (!literals)
            sb_printf(&add_row(l, ROW_TEXT)->text, "%sstring literals%s", x->c->bold, x->c->reset);
        literals = true;
        var_rows(x, l, s, &st->vars[i]);
    }
    add_row(l, ROW_BOTTOM);
}

/* ---- the right column: heap boxes -------------------------------------------------------- */

typedef struct rcol {
    char **rows;  /* NULL: empty */
    size_t n;
} rcol;

static void rcol_set(rcol *rc, size_t row, char *text) {
    if (row >= rc->n) {
        SHI_RESIZE(rc->rows, row + 1);
        memset(rc->rows + rc->n, 0, (row + 1 - rc->n) * sizeof *rc->rows);
        rc->n = row + 1;
    }
    free(rc->rows[row]);
    rc->rows[row] = text;
}

/* A border line of a box: `left` + h * (cell width + 2) joined by `mid` + `right`. */
static char *box_border(const ctx *x, const int *w, size_t n, const char *left,
                        const char *mid, const char *right) {
    sbuf b = {0};
    sb_add(&b, left);
    for (size_t i = 0; i < n; i++) {
        if (i) sb_add(&b, mid);
        sb_rep(&b, x->g->h, w[i] + 2);
    }
    sb_add(&b, right);
    return sb_take(&b);
}

/* One row of cells, each right-aligned in its width; `n` cells from `text`, then blank ones
 * up to `ncols` (a grid's last row). */
static char *box_middle(const ctx *x, char *const *text, size_t n, const int *w, size_t ncols) {
    sbuf b = {0};
    sb_add(&b, x->g->v);
    for (size_t i = 0; i < ncols; i++) {
        const char *t = i < n ? text[i] : "";
        sb_printf(&b, " %*s%s ", w[i] - dwidth(t), "", t);
        sb_add(&b, x->g->v);
    }
    return sb_take(&b);
}

typedef struct caption_line {
    rcol *rc;
    size_t row;
    const char *color, *reset;
} caption_line;

static void rcol_line(void *arg, const char *s, size_t n) {
    caption_line *cl = arg;
    sbuf b = {0};
    sb_add(&b, cl->color);
    sb_addn(&b, s, n);
    sb_add(&b, cl->reset);
    rcol_set(cl->rc, cl->row++, sb_take(&b));
}

/* Plain `text` on rows from `row` on, in one colour, broken to `rw` columns (a break must
 * never fall inside a colour sequence, hence the colour per line); returns the next row. */
static size_t rcol_text(const ctx *x, rcol *rc, size_t row, const char *color, const char *text,
                        int rw) {
    caption_line cl = {rc, row, color, x->c->reset};
    break_lines(text, rw, rcol_line, &cl);
    return cl.row;
}

/* `#2 at 0x…, 16 bytes (new), room for 1 more` on rows from `row` on, wrapped to the
 * column; returns the next row. */
static size_t block_caption(ctx *x, rcol *rc, size_t row, const shi_block *blk, int rw) {
    sbuf plain = {0};
    sb_printf(&plain, "#%" PRIu64 " at 0x%" PRIx64 ", %zu byte%s", blk->id, blk->addr,
              blk->size, blk->size == 1 ? "" : "s");
    /* an owned block's type is its handle's, drawn on the stack; a pointer's block says it */
    if (blk->type && !blk->owner) sb_printf(&plain, ": %s", blk->type);
    const char *color = x->c->dim;
    if (!x->first && (blk->is_new || blk->grown || blk->changed)) {
        /* not `*`: after a type it reads as a pointer (struct entry *) */
        sb_add(&plain, blk->is_new ? " (new)" : blk->grown ? " (grown)" : " (changed)");
        color = blk->is_new ? x->c->green : x->c->yellow;
        x->any_mark = true;
    }
    size_t room = blk->owner ? unused_slots(&blk->value) : 0;
    if (room) sb_printf(&plain, ", room for %zu more", room);
    row = rcol_text(x, rc, row, color, plain.p, rw);
    free(plain.p);
    return row;
}

/* `text` in a one-column box from row `top`, wrapped over as many rows as it needs;
 * returns the row after the box. */
static size_t text_box(const ctx *x, rcol *rc, const char *text, size_t top, int rw) {
    cells c = {0};
    wrap_cells(&c, text, rw - 4);
    int w = 0;
    for (size_t i = 0; i < c.n; i++)
        if (dwidth(c.text[i]) > w) w = dwidth(c.text[i]);
    rcol_set(rc, top, box_border(x, &w, 1, x->g->tl, x->g->tj, x->g->tr));
    for (size_t i = 0; i < c.n; i++) {
        sbuf row = {0};
        sb_printf(&row, "%s %s%*s %s", x->g->v, c.text[i], w - dwidth(c.text[i]), "", x->g->v);
        rcol_set(rc, top + 1 + i, sb_take(&row));
    }
    rcol_set(rc, top + 1 + c.n, box_border(x, &w, 1, x->g->bl, x->g->bj, x->g->br));
    size_t next = top + 2 + c.n;
    cells_free(&c);
    return next;
}

/* A typed block: its decoded value in one box, wrapped over as many rows as it needs, its
 * type in the caption (`#3 at 0x…, 16 bytes: struct node`). */
static size_t place_typed(ctx *x, rcol *rc, const shi_step *s, int64_t bi, size_t top, int rw) {
    const shi_block *blk = &s->blocks[bi];
    sbuf text = {0};
    add_block_value(&text, x, s, &blk->value);
    size_t next = text_box(x, rc, text.p ? text.p : "", top, rw);
    free(text.p);
    return block_caption(x, rc, next, blk, rw);
}

/* Cells in a box of as many rows as the column needs: one row when they fit, else a grid
 * whose cells share one width (a vec's cells always do, as the lesson's [  1 |  2 |  _ ]).
 * Returns the row after the box. */
static size_t grid_box(const ctx *x, rcol *rc, const cells *c, bool uniform, size_t top, int rw) {
    size_t n = c->n;
    int *w = calloc(n ? n : 1, sizeof *w);
    if (!w) SHI_PANIC("trace: out of memory");
    int total = 1, widest = 2;
    for (size_t i = 0; i < n; i++) {
        w[i] = dwidth(c->text[i]);
        if (w[i] > widest) widest = w[i];
    }
    for (size_t i = 0; i < n; i++) total += (uniform ? widest : w[i]) + 3;
    size_t ncols = n;
    if (total > rw) {   /* a grid: as many cells a row as fit */
        uniform = true;
        ncols = (size_t)((rw - 1) / (widest + 3));
        if (ncols < 1) ncols = 1;
    }
    if (uniform)
        for (size_t i = 0; i < n; i++) w[i] = widest;
    rcol_set(rc, top, box_border(x, w, ncols, x->g->tl, x->g->tj, x->g->tr));
    size_t row = top + 1;
    for (size_t i = 0; i < n; i += ncols)
        rcol_set(rc, row++, box_middle(x, c->text + i, n - i < ncols ? n - i : ncols, w, ncols));
    rcol_set(rc, row++, box_border(x, w, ncols, x->g->bl, x->g->bj, x->g->br));
    free(w);
    return row;
}

/* How many rows a vec's cells may take before the rest is told as "+N" (what the JSON has of
 * a block's bytes fits in fewer). */
enum { GRID_ROWS = 8 };

/* Draws block `bi` with its top border on row `top`; returns the first row after it. */
static size_t place_block(ctx *x, rcol *rc, const shi_step *s, int64_t bi, size_t top, int rw) {
    const shi_block *blk = &s->blocks[bi];
    /* an owned block's text or slots are the lesson's cells ("Hello", [1, 2, 3, _]); any
     * other decoded value one box, wrapped ({name: → #5, age: 30}) */
    bool owned = blk->owner && blk->type &&
                 (blk->value.kind == SHI_VAL_ARRAY || blk->value.text);
    if (blk->type && !owned) return place_typed(x, rc, s, bi, top, rw);
    cells c = {0};
    if (owned) owned_cells(&c, x, s, blk, rw * GRID_ROWS);
    else hex_cells(&c, blk);
    if (c.more) {
        char more[32];
        snprintf(more, sizeof more, "+%zu", c.more);
        cells_add(&c, shi_trace_strdup(more));
    }
    bool slots = owned && !blk->value.text;   /* a vec's cells share one width */
    size_t next;
    if (c.n == 1 && dwidth(c.text[0]) > rw - 4)   /* one long value (a text): wrapped */
        next = text_box(x, rc, c.text[0], top, rw);
    else
        next = grid_box(x, rc, &c, slots, top, rw);
    cells_free(&c);
    next = block_caption(x, rc, next, blk, rw);
    /* no blank row after the caption: a String's or Vec's rows (header, ptr, len, cap)
     * are four, so the next handle's box can start on its header row, as in the lesson */
    if (!blk->nptrs || owned) return next;   /* an owned block's cells have their arrows */
    /* words pointing into blocks (a list's next): "+8 → #1" */
    sbuf plain = {0};
    for (size_t i = 0; i < blk->nptrs; i++)
        sb_printf(&plain, "%s+%zu %s #%" PRIu64, i ? ", " : "", blk->ptrs[i].offset,
                  x->g == &utf8_glyphs ? "→" : "->", blk->ptrs[i].target_id);
    next = rcol_text(x, rc, next, x->c->cyan, plain.p, rw);
    free(plain.p);
    return next;
}

/* Blocks live in the previous step and gone in this one: freed since then. */
static size_t freed_rows(ctx *x, rcol *rc, const shi_step *prev, const shi_step *s, size_t row,
                         int rw) {
    if (!prev) return row;
    for (size_t i = 0; i < prev->nblocks; i++) {
        const shi_block *b = &prev->blocks[i];
        if (shi_step_find_block_near(s, b->id, b->addr) >= 0) continue;
        sbuf plain = {0};
        sb_printf(&plain, "freed: #%" PRIu64 " at 0x%" PRIx64 ", %zu byte%s", b->id, b->addr,
                  b->size, b->size == 1 ? "" : "s");
        row = rcol_text(x, rc, row, x->c->red, plain.p, rw);
        free(plain.p);
        x->any_mark = true;
    }
    return row;
}

/* Places every block: owned ones beside their owner's ptr row when that row is still free
 * below the boxes placed so far, the rest after them. */
static void heap_column(ctx *x, layout *l, rcol *rc, const shi_step *prev, const shi_step *s,
                        int rw) {
    bool *placed = calloc(s->nblocks ? s->nblocks : 1, sizeof *placed);
    if (!placed) SHI_PANIC("trace: out of memory");
    size_t next = 1;  /* row 0 is the stack's top border: boxes start beside the frames */
    for (size_t r = 0; r < l->n; r++) {
        int64_t bi = l->rows[r].arrow;
        if (bi < 0 || (size_t)bi >= s->nblocks) { l->rows[r].arrow = -1; continue; }
        if (placed[bi] || r < next + 1) continue;  /* drawn as `──→ #id` instead */
        next = place_block(x, rc, s, bi, r - 1, rw);
        placed[bi] = true;
        l->rows[r].aligned = true;
    }
    for (size_t bi = 0; bi < s->nblocks; bi++)
        if (!placed[bi]) next = place_block(x, rc, s, (int64_t)bi, next, rw);
    if (!s->nblocks) rcol_set(rc, next++, shi_trace_strdup("(empty)"));
    freed_rows(x, rc, prev, s, next, rw);
    free(placed);
}

/* ---- putting the rows together ----------------------------------------------------------- */

enum { GAP = 8 };  /* columns between the stack box and the heap: the arrow's length */

/* Columns an arrow takes after its row's text when it cannot reach its box: " ─→ #id". */
static int arrow_width(const shi_step *s, int64_t arrow) {
    if (arrow < 0 || (size_t)arrow >= s->nblocks) return 0;
    return 5 + snprintf(NULL, 0, "%" PRIu64, s->blocks[arrow].id);
}

/* The inner width of a box of rows: what its widest row needs, at most `cap`; `s` set: its
 * arrows reach no box beside it (the static region's), so they are drawn whole. */
static int left_width(const layout *l, int cap, const shi_step *s) {
    int lw = 20;
    for (size_t r = 0; r < l->n; r++)
        if (l->rows[r].kind == ROW_TEXT) {
            /* a blank before the edge; an arrow that reaches its box: a blank and "──" */
            int64_t a = l->rows[r].arrow;
            int w = dwidth(l->rows[r].text.p ? l->rows[r].text.p : "") +
                    (a < 0 ? 2 : s ? 2 + arrow_width(s, a) : 4);
            if (w > lw) lw = w;
        }
    return lw > cap ? cap : lw;
}

/* The stack's cap: at most 55 % of the width, and the heap keeps 18 columns at least. */
static int stack_cap(const ctx *x) {
    int cap = x->width * 55 / 100;
    if (cap > x->width - 2 - 2 - GAP - 18) cap = x->width - 2 - 2 - GAP - 18;
    return cap;
}

typedef struct wrap_state {
    layout *out;
    const lrow *from;
    int indent;       /* a continuation line's blanks */
    bool first;
} wrap_state;

static void left_line(void *arg, const char *s, size_t n) {
    wrap_state *ws = arg;
    lrow *r = add_row(ws->out, ROW_TEXT);
    if (!ws->first) sb_printf(&r->text, "%*s", ws->indent, "");
    else r->mark = ws->from->mark;
    while (!ws->first && n && *s == ' ') { s++; n--; }
    sb_addn(&r->text, s, n);
    ws->first = false;
}

/* Rows too wide for the box's inner width `lw` become several: the text broken (piece_end)
 * and each further line indented under the row's own text; the first keeps the row's mark,
 * the last its arrow. An arrow row keeps room for a stub of its arrow, or, if `full[i]` (its
 * arrow did not reach its box), for the whole `─→ #id`. Wrapped rows lose their colours (a
 * break must not split a colour sequence). Returns the new layout; `l` stays as it was. */
static layout wrap_rows(const layout *l, int lw, const shi_step *s, const bool *full) {
    layout out = {0};
    for (size_t i = 0; i < l->n; i++) {
        const lrow *r = &l->rows[i];
        const char *text = r->text.p ? r->text.p : "";
        int room = lw - 2;   /* a blank before the box's right edge, as left_width keeps */
        if (r->arrow >= 0) room -= full[i] ? arrow_width(s, r->arrow) : 2;
        if (r->kind != ROW_TEXT || dwidth(text) <= room) {
            lrow *o = add_row(&out, r->kind);
            *o = *r;
            o->text = (sbuf){0};
            if (r->text.p) sb_add(&o->text, r->text.p);
            o->src = i;
            continue;
        }
        size_t first = out.n;
        sbuf bare = {0};
        add_bare(&bare, text);
        int indent = (int)strspn(bare.p, " ") + 4;
        if (indent > room / 2) indent = room / 2;
        wrap_state ws = {&out, r, indent, true};
        /* the first line full width; the others narrower by their indent */
        const char *p = bare.p, *end = piece_end(p, room);
        left_line(&ws, p, (size_t)(end - p));
        if (*end) break_lines(end, room - indent, left_line, &ws);
        for (size_t k = first; k < out.n; k++) out.rows[k].src = i;
        out.rows[out.n - 1].arrow = r->arrow;
        free(bare.p);
    }
    return out;
}

static void layout_free(layout *l) {
    for (size_t r = 0; r < l->n; r++) free(l->rows[r].text.p);
    free(l->rows);
    *l = (layout){0};
}

static void rcol_free(rcol *rc) {
    for (size_t r = 0; r < rc->n; r++) free(rc->rows[r]);
    free(rc->rows);
    *rc = (rcol){0};
}

static void left_text(const ctx *x, sbuf *line, const lrow *r, int lw, const shi_step *s) {
    const char *text = r->text.p ? r->text.p : "";
    sbuf body = {0};
    if (dwidth(text) > lw - 1) {
        /* wrap_rows made every row fit: this is a last resort, for a box narrower than a
         * row's indentation */
        sbuf bare = {0};
        add_bare(&bare, text);
        sb_add_fit(&body, bare.p ? bare.p : "", lw - 1, x->g);
        free(bare.p);
    } else {
        sb_add(&body, text);
    }
    if (r->arrow >= 0 && !r->aligned)
        sb_printf(&body, " %s%s #%" PRIu64, x->g->h, x->g->head, s->blocks[r->arrow].id);
    sb_add(line, x->g->v);
    sb_add(line, " ");
    sb_add(line, body.p);
    int used = 1 + dwidth(body.p);
    if (r->arrow >= 0 && r->aligned) {
        sb_printf(line, " %s", x->c->cyan);
        sb_rep(line, x->g->h, lw - used - 1);
        sb_add(line, x->c->reset);
    } else {
        sb_printf(line, "%*s", lw - used > 0 ? lw - used : 0, "");
    }
    sb_add(line, x->g->v);
    free(body.p);
}

static void left_part(const ctx *x, sbuf *line, const layout *l, size_t r, int lw,
                      const shi_step *s) {
    if (r >= l->n) { sb_printf(line, "%*s", lw + 2, ""); return; }
    const lrow *row = &l->rows[r];
    const glyphs *g = x->g;
    switch (row->kind) {
    case ROW_TOP: sb_add(line, g->tl); sb_rep(line, g->h, lw); sb_add(line, g->tr); break;
    case ROW_SEP: sb_add(line, g->lj); sb_rep(line, g->h, lw); sb_add(line, g->rj); break;
    case ROW_BOTTOM: sb_add(line, g->bl); sb_rep(line, g->h, lw); sb_add(line, g->br); break;
    default: left_text(x, line, row, lw, s); break;
    }
}

static void gap_part(const ctx *x, sbuf *line, const layout *l, size_t r) {
    const lrow *row = r < l->n ? &l->rows[r] : NULL;
    if (row && row->arrow >= 0 && row->aligned) {
        sb_add(line, x->c->cyan);
        sb_rep(line, x->g->h, GAP - 1);
        sb_add(line, x->g->head);
        sb_add(line, x->c->reset);
    } else if (row && row->mark) {
        sb_printf(line, " %s%s%s%*s", x->c->bold, row->mark, x->c->reset,
                  GAP - 1 - dwidth(row->mark) > 0 ? GAP - 1 - dwidth(row->mark) : 0, "");
    } else {
        sb_printf(line, "%*s", GAP, "");
    }
}

static void put_line(FILE *out, sbuf *line) {
    size_t n = line->n;
    while (n && line->p[n - 1] == ' ') n--;  /* no trailing blanks: diffs stay clean */
    fwrite(line->p, 1, n, out);
    fputc('\n', out);
    line->n = 0;
    if (line->p) line->p[0] = 0;
}

typedef struct out_lines {
    FILE *out;
    const char *color, *reset, *first, *next;   /* the colour, each line's lead */
    bool started;
    sbuf *last;    /* if set, the last line is kept here instead of written */
} out_lines;

static void out_line(void *arg, const char *s, size_t n) {
    out_lines *o = arg;
    if (o->last && o->last->n) { put_line(o->out, o->last); }
    sbuf tmp = {0}, *b = o->last ? o->last : &tmp;
    sb_printf(b, "%s%s", o->started ? o->next : o->first, o->color);
    sb_addn(b, s, n);
    sb_add(b, o->reset);
    o->started = true;
    if (!o->last) { put_line(o->out, b); free(tmp.p); }
}

/* Plain `text` as lines of at most `width` columns, each led by `first` (the first line) or
 * `next` (the others, which line up under it) and coloured as a whole. */
static void put_wrapped(FILE *out, int width, const char *color, const char *reset,
                        const char *first, const char *next, const char *text) {
    out_lines o = {out, color, reset, first, next, false, NULL};
    break_lines(text, width - dwidth(next), out_line, &o);
}

/* "Step 3: push() called" and the location on the right; a title too long for the line
 * wraps, and the location goes on its last line, or below it when it does not fit there. */
static void heading(ctx *x, FILE *out, const shi_step *s) {
    char *title = shi_step_title(s);
    sbuf line = {0}, loc = {0}, plain = {0};
    if (s->file) sb_printf(&loc, "%s:%d", s->file, s->line);
    sb_printf(&plain, "Step %zu: %s", s->index + 1, title);
    int lw = dwidth(loc.p ? loc.p : "");
    out_lines o = {out, x->c->bold, x->c->reset, "", "", false, &line};
    break_lines(plain.p, x->width, out_line, &o);
    int pad = x->width - dwidth(line.p) - lw;
    if (lw > x->width) {
        put_line(out, &line);
        put_wrapped(out, x->width, x->c->dim, x->c->reset, "", "", loc.p);
    } else {
        if (pad < 2) { put_line(out, &line); pad = x->width - lw; }
        sb_printf(&line, "%*s%s%s%s", pad, "", x->c->dim, loc.p ? loc.p : "", x->c->reset);
        put_line(out, &line);
    }
    sb_rep(&line, x->g->h, x->width);
    put_line(out, &line);
    free(title);
    free(line.p);
    free(loc.p);
    free(plain.p);
}

int shi_render_text(const shi_trace *t, const shi_step *prev, const shi_step *s, FILE *out,
                    const shi_render_opts *o) {
    ctx x = make_ctx(o);
    x.first = s->index == 0;
    x.c_lang = t->language && strcmp(t->language, "c") == 0;
    heading(&x, out, s);
    layout l0 = {0}, l = {0};
    stack_rows(&x, &l0, s);
    int lw = left_width(&l0, stack_cap(&x), NULL), rw;
    rcol rc = {0};
    /* Rows are wrapped as if every arrow reached its box beside it; a row whose arrow does
     * not needs room for its `─→ #id`: the box grows for it up to its cap, else the row is
     * wrapped again with that room; then the boxes are placed again (rows moved). A few
     * rounds at most: widths and rows only ever grow. */
    int cap = stack_cap(&x);
    bool *full = calloc(l0.n ? l0.n : 1, sizeof *full);
    if (!full) SHI_PANIC("trace: out of memory");
    for (int round = 0;; round++) {
        rw = x.width - 2 - (lw + 2) - GAP;
        if (rw < 16) rw = 16;
        l = wrap_rows(&l0, lw, s, full);
        heap_column(&x, &l, &rc, prev, s, rw);
        bool again = false;
        for (size_t r = 0; r < l.n; r++) {
            const lrow *row = &l.rows[r];
            if (row->arrow < 0 || row->aligned || full[row->src] ||
                dwidth(row->text.p ? row->text.p : "") + 2 + arrow_width(s, row->arrow) <= lw)
                continue;
            const lrow *orig = &l0.rows[row->src];
            int need = dwidth(orig->text.p ? orig->text.p : "") + 2 + arrow_width(s, row->arrow);
            if (need <= cap) lw = need > lw ? need : lw;
            else full[row->src] = true;
            again = true;
        }
        if (!again || round == 3) break;
        layout_free(&l);
        rcol_free(&rc);
    }
    free(full);
    layout_free(&l0);
    sbuf line = {0};
    sb_printf(&line, "  %sStack%s%*s%sHeap%s", x.c->bold, x.c->reset, lw + 2 + GAP - 5, "",
              x.c->bold, x.c->reset);
    put_line(out, &line);
    size_t nrows = l.n > rc.n ? l.n : rc.n;
    for (size_t r = 0; r < nrows; r++) {
        sb_add(&line, "  ");
        left_part(&x, &line, &l, r, lw, s);
        gap_part(&x, &line, &l, r);
        if (r < rc.n && rc.rows[r]) sb_add(&line, rc.rows[r]);
        put_line(out, &line);
    }
    if (s->statics.nvars) {   /* below Stack | Heap, as the lesson's layout has it */
        layout sl0 = {0};
        static_rows(&x, &sl0, s);
        int sw = left_width(&sl0, x.width - 4, s);   /* the region is alone on its rows */
        bool *all = calloc(sl0.n ? sl0.n : 1, sizeof *all);   /* no heap beside it */
        if (!all) SHI_PANIC("trace: out of memory");
        for (size_t r = 0; r < sl0.n; r++) all[r] = true;
        layout sl = wrap_rows(&sl0, sw, s, all);
        free(all);
        layout_free(&sl0);
        sb_printf(&line, "  %sStatic/Global%s", x.c->bold, x.c->reset);
        put_line(out, &line);
        for (size_t r = 0; r < sl.n; r++) {
            sb_add(&line, "  ");
            left_part(&x, &line, &sl, r, sw, s);
            put_line(out, &line);
        }
        for (size_t r = 0; r < sl.n; r++) free(sl.rows[r].text.p);
        free(sl.rows);
    }
    if (x.any_mark)
        put_wrapped(out, x.width, x.c->dim, x.c->reset, "  ", "    ",
                    "* changed since the previous step, (new) appeared since it");
    for (size_t r = 0; r < l.n; r++) free(l.rows[r].text.p);
    free(l.rows);
    for (size_t r = 0; r < rc.n; r++) free(rc.rows[r]);
    free(rc.rows);
    free(line.p);
    shi_render_events(t, s, out, o);
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}

/* ---- events and the summary -------------------------------------------------------------- */

/* The program's output, one line per line it wrote (wrapped when wider than the view),
 * control characters made visible and tabs expanded (a tab's width is the terminal's). */
/* The program's output as written, `n` bytes: a NUL byte shows as \0, other control
 * characters as \xNN, so nothing after them is lost from view. */
static void output_lines(const ctx *x, FILE *out, const char *text, size_t n) {
    const char *p = text, *end = text + n;
    sbuf first = {0}, next = {0};
    sb_printf(&first, "  %soutput%s %s ", x->c->cyan, x->c->reset, x->g->v);
    sb_printf(&next, "         %s ", x->g->v);
    while (p < end) {
        sbuf b = {0};
        for (; p < end && *p != '\n'; p++) {
            unsigned char ch = (unsigned char)*p;
            if (ch == '\t') sb_printf(&b, "%*s", 8 - (int)(b.n % 8), "");
            else if (ch == 0) sb_add(&b, "\\0");
            else if (ch < 32) sb_printf(&b, "\\x%02x", ch);
            else sb_addn(&b, (const char *)&ch, 1);
        }
        put_wrapped(out, x->width, "", "", first.p, next.p, b.p ? b.p : "");
        free(b.p);
        if (p < end) p++;
    }
    free(first.p);
    free(next.p);
}

int shi_render_events(const shi_trace *t, const shi_step *s, FILE *out,
                      const shi_render_opts *o) {
    (void)t;
    ctx x = make_ctx(o);
    for (size_t i = 0; i < s->nevents; i++) {
        const shi_event *e = &s->events[i];
        switch (e->kind) {
        case SHI_EV_OUTPUT:
            if (e->text)
                output_lines(&x, out, e->text, e->text_len ? e->text_len : strlen(e->text));
            break;
        case SHI_EV_EXIT:
            fprintf(out, "  %sthe program exited with code %" PRId64 "%s\n", x.c->bold,
                    e->value, x.c->reset);
            break;
        case SHI_EV_SIGNAL: {
            sbuf b = {0};
            sb_printf(&b, "the program was killed by %s", e->text ? e->text : "a signal");
            if (e->has_value) sb_printf(&b, " (signal %" PRId64 ")", e->value);
            put_wrapped(out, x.width, x.c->red, x.c->reset, "  ", "    ", b.p);
            free(b.p);
            break;
        }
        case SHI_EV_LIMIT: {
            sbuf b = {0};
            sb_printf(&b, "limit: %s", e->text ? e->text : "reached");
            put_wrapped(out, x.width, x.c->yellow, x.c->reset, "  ", "    ", b.p);
            free(b.p);
            break;
        }
        default: break;
        }
    }
    return ferror(out) ? -1 : 0;
}

int shi_render_summary(const shi_trace *t, FILE *out, const shi_render_opts *o) {
    ctx x = make_ctx(o);
    sbuf rule = {0};
    sb_rep(&rule, x.g->h, 7);
    fprintf(out, "%sSummary%s\n%s\n", x.c->bold, x.c->reset, rule.p);
    free(rule.p);
    fprintf(out, "  program: %s\n", t->program ? t->program : "?");
    fprintf(out, "  steps: %zu\n", t->nsteps);
    if (t->term_signal)
        fprintf(out, "  %skilled by signal %d (%s)%s\n", x.c->red, t->term_signal,
                strsignal(t->term_signal), x.c->reset);
    else if (t->exit_code >= 0)
        fprintf(out, "  exit code: %d\n", t->exit_code);
    else
        fprintf(out, "  did not exit (stopped by the tracer)\n");
    if (!t->nleaks) fprintf(out, "  leaks: none, every block was freed\n");
    else fprintf(out, "  %sleaks: %zu block%s never freed%s\n", x.c->red, t->nleaks,
                 t->nleaks == 1 ? "" : "s", x.c->reset);
    for (size_t i = 0; i < t->nleaks; i++)
        put_wrapped(out, x.width, "", "", "    ", "      ", t->leaks_text[i]);
    return ferror(out) ? -1 : 0;
}

/* ---- options from the environment -------------------------------------------------------- */

static bool locale_is_utf8(void) {
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
    }
    return false;
}

shi_render_opts shi_render_opts_for(FILE *out) {
    shi_render_opts o = {.utf8 = locale_is_utf8(), .color = false, .width = 100};
    const char *no_color = getenv("NO_COLOR");
    o.color = isatty(fileno(out)) && !(no_color && *no_color);
    /* COLUMNS first (a user's choice, and what a shell exports), else the terminal's own
     * width; a file or a pipe gets 100 */
    const char *cols = getenv("COLUMNS");
    struct winsize ws;
    if (cols && atoi(cols) > 0) o.width = atoi(cols);
    else if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        o.width = ws.ws_col;
    return o;
}
