/*
 * src/trace/render/render_json.c — a trace as JSON: stackheap's own versioned format and an
 * export in Online Python Tutor's trace format. Both are described field by field in
 * docs/trace-json.md; change that document with this file.
 *
 * Addresses are written as strings ("0x7fffffffe0c0"): JSON numbers are doubles in most
 * readers, exact only up to 2^53, and the tracee's addresses go above that.
 */
#define _GNU_SOURCE   /* open_memstream */
#include "trace/render/render.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/panic.h"
#include "trace/model/delta.h"
#include "trace/model/source.h"
#include "trace/model/text.h"

enum { SHI_JSON_VERSION = 2 };   /* the newest, written unless asked otherwise */

/* ---- strings ----------------------------------------------------------------------------- */

static bool cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* The length of the well-formed UTF-8 sequence at `s` (at most `n` bytes), 0 if there is
 * none: overlong forms, surrogates and code points above U+10FFFF are not well-formed. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return n >= 2 && cont(s[1]) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || !cont(s[1]) || !cont(s[2])) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;   /* overlong */
        if (c == 0xED && s[1] > 0x9F) return 0;   /* UTF-16 surrogates */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || !cont(s[1]) || !cont(s[2]) || !cont(s[3])) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;   /* overlong */
        if (c == 0xF4 && s[1] > 0x8F) return 0;   /* above U+10FFFF */
        return 4;
    }
    return 0;
}

static void escape_byte(FILE *out, unsigned char c, unsigned char next) {
    switch (c) {
    case '"': fputs("\\\"", out); return;
    case '\\': fputs("\\\\", out); return;
    case '\b': fputs("\\b", out); return;
    case '\f': fputs("\\f", out); return;
    case '\n': fputs("\\n", out); return;
    case '\r': fputs("\\r", out); return;
    case '\t': fputs("\\t", out); return;
    case '<': fputs(next == '/' ? "<\\" : "<", out); return;  /* "</script>" stays inert */
    default: break;
    }
    if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
}

void shi_json_string(FILE *out, const char *str, size_t n) {
    if (!str) { fputs("null", out); return; }
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        /* most bytes need no escape: one write for the run of them */
        size_t run = 0;
        while (i + run < n && s[i + run] >= 0x20 && s[i + run] < 0x7f && s[i + run] != '"' &&
               s[i + run] != '\\' && s[i + run] != '<')
            run++;
        if (run) {
            fwrite(s + i, 1, run, out);
            i += run;
            continue;
        }
        size_t len = utf8_seq(s + i, n - i);
        if (len == 0) {
            fputs("\\ufffd", out);  /* one replacement per bad byte, as browsers decode */
            i++;
        } else if (len == 1) {
            escape_byte(out, s[i], i + 1 < n ? s[i + 1] : 0);
            i++;
        } else if (len == 3 && s[i] == 0xE2 && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            /* U+2028 and U+2029 end a line in JavaScript source: escaped for <script> */
            fprintf(out, "\\u%04x", s[i + 2] == 0xA8 ? 0x2028 : 0x2029);
            i += 3;
        } else {
            fwrite(s + i, 1, len, out);
            i += len;
        }
    }
    fputc('"', out);
}

/* ---- a small pretty-printing writer ------------------------------------------------------ */

enum { JW_MAX_DEPTH = 64 };

typedef struct jw {
    FILE *out;
    int depth;
    bool first[JW_MAX_DEPTH];
    bool after_key;
    const char *language;   /* the trace's: values' text in its notation */
    int version;            /* of stackheap's format being written (values' text rule) */
    bool compact;           /* no spaces, no indentation: a line break only before the
                               elements of the container at depth `break_at` */
    int break_at;
    /* containers opened only when something is written into them (a patch's keys): the
     * key and bracket of each, outermost first */
    struct jw_lazy { char key[24]; bool has_key; char c; } lazy[8];
    int nlazy;
} jw;

/* A line break and the indentation of `depth` (at most JW_MAX_DEPTH deep), in one write. */
static void newline(FILE *out, int depth) {
    static const char spaces[] = "\n                                                          "
                                 "                                                                      ";
    size_t n = 1 + 2 * (size_t)depth;
    if (n > sizeof spaces - 1) n = sizeof spaces - 1;
    fwrite(spaces, 1, n, out);
}

/* Before any value: the comma and the line break its place in the container needs. */
static void jw_flush_lazy(jw *w);

static void jw_pre(jw *w) {
    if (w->nlazy) jw_flush_lazy(w);
    if (w->after_key) { w->after_key = false; return; }
    if (w->depth == 0) return;
    if (!w->first[w->depth]) fputc(',', w->out);
    w->first[w->depth] = false;
    if (!w->compact) newline(w->out, w->depth);
    else if (w->depth == w->break_at) fputc('\n', w->out);
}

static void jw_open(jw *w, char c) {
    jw_pre(w);
    fputc(c, w->out);
    if (w->depth + 1 >= JW_MAX_DEPTH) SHI_PANIC("trace: JSON nested too deep");
    w->first[++w->depth] = true;
}

static void jw_close(jw *w, char c) {
    bool empty = w->first[w->depth];
    w->depth--;
    if (!empty && !w->compact) newline(w->out, w->depth);
    else if (!empty && w->depth + 1 == w->break_at) fputc('\n', w->out);
    fputc(c, w->out);
}

static void jw_key(jw *w, const char *key) {
    jw_pre(w);
    shi_json_string(w->out, key, strlen(key));
    fputs(w->compact ? ":" : ": ", w->out);
    w->after_key = true;
}

/* `key` (NULL in an array) and a container, written only when something goes into it
 * before its jw_lazy_close: a patch leaves out what did not change without looking twice. */
static void jw_lazy_open(jw *w, const char *key, char c) {
    if (w->nlazy == (int)(sizeof w->lazy / sizeof w->lazy[0])) jw_flush_lazy(w);
    struct jw_lazy *l = &w->lazy[w->nlazy++];
    l->has_key = key != NULL;
    if (key) snprintf(l->key, sizeof l->key, "%s", key);
    l->c = c;
}

static void jw_lazy_index(jw *w, size_t i, char c) {
    char key[24];
    snprintf(key, sizeof key, "%zu", i);
    jw_lazy_open(w, key, c);
}

static void jw_flush_lazy(jw *w) {
    int n = w->nlazy;
    w->nlazy = 0;
    for (int i = 0; i < n; i++) {
        if (w->lazy[i].has_key) jw_key(w, w->lazy[i].key);
        jw_open(w, w->lazy[i].c);
    }
}

static void jw_lazy_close(jw *w, char c) {
    if (w->nlazy) w->nlazy--;   /* nothing went in: it was never written */
    else jw_close(w, c);
}

static void jw_str(jw *w, const char *s) {
    jw_pre(w);
    shi_json_string(w->out, s, s ? strlen(s) : 0);
}

static void jw_strn(jw *w, const char *s, size_t n) { jw_pre(w); shi_json_string(w->out, s, n); }
/* Decimal digits without printf's format parsing: integers are most of a trace. */
static void put_u64(FILE *out, uint64_t v) {
    char buf[24];
    char *p = buf + sizeof buf;
    do { *--p = (char)('0' + v % 10); v /= 10; } while (v);
    fwrite(p, 1, (size_t)(buf + sizeof buf - p), out);
}

static void jw_int(jw *w, int64_t v) {
    jw_pre(w);
    if (v < 0) { fputc('-', w->out); put_u64(w->out, (uint64_t)0 - (uint64_t)v); }
    else put_u64(w->out, (uint64_t)v);
}
static void jw_uint(jw *w, uint64_t v) { jw_pre(w); put_u64(w->out, v); }
static void jw_bool(jw *w, bool v) { jw_pre(w); fputs(v ? "true" : "false", w->out); }
static void jw_null(jw *w) { jw_pre(w); fputs("null", w->out); }

static void jw_addr(jw *w, uint64_t a) {
    char tmp[24];
    snprintf(tmp, sizeof tmp, "0x%" PRIx64, a);
    jw_str(w, tmp);
}

/* JSON has no NaN or infinity: those are written as null (the text field says which). */
static void jw_float(jw *w, double f) {
    jw_pre(w);
    if (isfinite(f)) fprintf(w->out, "%.17g", f);
    else fputs("null", w->out);
}

/* ---- stackheap's format: values ---------------------------------------------------------- */

static const char *value_kind_name(shi_value_kind k) {
    static const char *const names[] = {
        [SHI_VAL_UNINIT] = "uninit", [SHI_VAL_INT] = "int", [SHI_VAL_UINT] = "uint",
        [SHI_VAL_FLOAT] = "float", [SHI_VAL_BOOL] = "bool", [SHI_VAL_CHAR] = "char",
        [SHI_VAL_POINTER] = "pointer", [SHI_VAL_STRUCT] = "struct", [SHI_VAL_ARRAY] = "array",
        [SHI_VAL_OWNED] = "owned", [SHI_VAL_UNREADABLE] = "unreadable",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

static const char *owned_kind_name(int k) {
    static const char *const names[] = {[SHI_OWN_STRING] = "string", [SHI_OWN_VEC] = "vec",
                                        [SHI_OWN_BOX] = "box", [SHI_OWN_RC] = "rc",
                                        [SHI_OWN_MAP] = "map", [SHI_OWN_DEQUE] = "deque",
                                        [SHI_OWN_BTREE] = "btree", [SHI_OWN_LIST] = "list"};
    return k >= 0 && (size_t)k < sizeof names / sizeof names[0] ? names[k] : "box";
}

/* The id of the block at index `bi` of the step: ids stay the same from step to step. */
static void jw_block_ref(jw *w, const shi_step *s, int64_t bi) {
    if (bi >= 0 && (size_t)bi < s->nblocks) jw_uint(w, s->blocks[bi].id);
    else jw_null(w);
}

static void json_value(jw *w, const shi_step *s, const shi_value *v);

static void json_owned(jw *w, const shi_step *s, const shi_value *v) {
    const shi_owned *o = &v->owned;
    jw_key(w, "owned"); jw_str(w, owned_kind_name(o->kind));
    jw_key(w, "ptr"); jw_addr(w, o->ptr);
    if ((o->kind != SHI_OWN_BOX || o->slice) && o->kind != SHI_OWN_RC) {
        jw_key(w, "len"); jw_uint(w, o->len);
        jw_key(w, "cap"); jw_uint(w, o->cap);
    }
    if (o->kind == SHI_OWN_DEQUE) { jw_key(w, "head"); jw_uint(w, o->head); }
    if (o->kind == SHI_OWN_BTREE) { jw_key(w, "height"); jw_uint(w, o->head); }
    if (o->kind == SHI_OWN_MAP) { jw_key(w, "ctrl"); jw_addr(w, o->ctrl); }
    if (o->shared) { jw_key(w, "shared"); jw_bool(w, true); }
    jw_key(w, "elem_type"); jw_str(w, o->elem_type);
    jw_key(w, "elem_size"); jw_uint(w, o->elem_size);
    jw_key(w, "stale"); jw_bool(w, o->stale);
    jw_key(w, "block"); jw_block_ref(w, s, o->stale ? -1 : v->target_block);
}

static void json_fields(jw *w, const shi_step *s, const shi_value *v) {
    bool array = v->kind == SHI_VAL_ARRAY;
    jw_key(w, array ? "elements" : "fields");
    jw_open(w, '[');
    for (size_t i = 0; i < v->nfields; i++) {
        if (array) { json_value(w, s, v->fields[i].value); continue; }
        jw_open(w, '{');
        jw_key(w, "name"); jw_str(w, v->fields[i].name);
        jw_key(w, "value"); json_value(w, s, v->fields[i].value);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_key(w, "truncated"); jw_uint(w, v->truncated);
}

/* Whether an integer's text is the decimal form of its value as written: version 2 leaves
 * such a text out (a reader puts it back), and most values of a trace are such integers. */
static bool text_is_decimal(const shi_value *v, const char *text) {
    if (!text || (v->kind != SHI_VAL_INT && v->kind != SHI_VAL_UINT)) return false;
    if (v->wide && v->text) return strcmp(text, v->text) == 0;
    char dec[24];
    if (v->kind == SHI_VAL_INT) snprintf(dec, sizeof dec, "%" PRId64, v->i);
    else snprintf(dec, sizeof dec, "%" PRIu64, v->u);
    return strcmp(text, dec) == 0;
}

static void json_value(jw *w, const shi_step *s, const shi_value *v) {
    jw_open(w, '{');
    jw_key(w, "kind"); jw_str(w, value_kind_name(v->kind));
    switch (v->kind) {
    case SHI_VAL_INT: case SHI_VAL_UINT:
        jw_key(w, "value");
        if (v->wide && v->text) { jw_pre(w); fputs(v->text, w->out); }   /* __int128: exact */
        else if (v->kind == SHI_VAL_INT) jw_int(w, v->i);
        else jw_uint(w, v->u);
        break;
    case SHI_VAL_CHAR: jw_key(w, "value"); jw_int(w, v->i); break;
    case SHI_VAL_FLOAT: jw_key(w, "value"); jw_float(w, v->f); break;
    case SHI_VAL_BOOL: jw_key(w, "value"); jw_bool(w, v->b); break;
    case SHI_VAL_POINTER:
        jw_key(w, "addr"); jw_addr(w, v->addr);
        jw_key(w, "block"); jw_block_ref(w, s, v->target_block);
        if (v->freed_id) { jw_key(w, "freed"); jw_uint(w, v->freed_id); }   /* dangling */
        jw_key(w, "static");
        if (v->target_static >= 0 && (size_t)v->target_static < s->statics.nvars)
            jw_uint(w, (uint64_t)v->target_static);
        else jw_null(w);
        break;
    case SHI_VAL_STRUCT: case SHI_VAL_ARRAY:
        if (v->variant) { jw_key(w, "variant"); jw_str(w, v->variant); }
        json_fields(w, s, v);
        break;
    case SHI_VAL_OWNED: json_owned(w, s, v); break;
    default: break;
    }
    char *text = shi_value_text_in(v, w->language);
    if (w->version < 2 || !text_is_decimal(v, text)) { jw_key(w, "text"); jw_str(w, text); }
    free(text);
    jw_close(w, '}');
}

/* ---- stackheap's format: frames, blocks, events, steps ----------------------------------- */

/* A variable: a frame's (`param`), or the static region's (its `function`, and its literal
 * and argument marks), the same keys around them. */
static void json_var(jw *w, const shi_step *s, const shi_var *v, bool in_statics) {
    jw_open(w, '{');
    jw_key(w, "name"); jw_str(w, v->name);
    if (in_statics) {
        jw_key(w, "function"); jw_str(w, v->scope);
        jw_key(w, "literal"); jw_bool(w, v->literal);
        jw_key(w, "argument"); jw_bool(w, v->argument);
    }
    jw_key(w, "type"); jw_str(w, v->type);
    jw_key(w, "size"); jw_uint(w, v->size);
    jw_key(w, "addr"); if (v->addr) jw_addr(w, v->addr); else jw_null(w);
    if (!in_statics) { jw_key(w, "param"); jw_bool(w, v->is_param); }
    jw_key(w, "changed"); jw_bool(w, v->changed);
    jw_key(w, "value"); json_value(w, s, &v->value);
    jw_close(w, '}');
}

static void json_frame(jw *w, const shi_step *s, const shi_frame *f) {
    jw_open(w, '{');
    jw_key(w, "function"); jw_str(w, f->function);
    jw_key(w, "file"); jw_str(w, f->file);
    jw_key(w, "line"); jw_int(w, f->line);
    jw_key(w, "cfa"); if (f->cfa) jw_addr(w, f->cfa); else jw_null(w);
    jw_key(w, "new"); jw_bool(w, f->is_new);
    jw_key(w, "vars");
    jw_open(w, '[');
    for (size_t i = 0; i < f->nvars; i++) json_var(w, s, &f->vars[i], false);
    jw_close(w, ']');
    jw_close(w, '}');
}

static void json_block(jw *w, const shi_step *s, const shi_block *b) {
    jw_open(w, '{');
    jw_key(w, "id"); jw_uint(w, b->id);
    jw_key(w, "addr"); jw_addr(w, b->addr);
    jw_key(w, "size"); jw_uint(w, b->size);
    jw_key(w, "alloc_file"); jw_str(w, b->alloc_file);
    jw_key(w, "alloc_line"); if (b->alloc_line > 0) jw_int(w, b->alloc_line); else jw_null(w);
    jw_key(w, "bytes_hex");
    jw_pre(w);
    fputc('"', w->out);
    for (size_t i = 0; i < b->nbytes; i++) fprintf(w->out, "%02x", b->bytes[i]);
    fputc('"', w->out);
    jw_key(w, "new"); jw_bool(w, b->is_new);
    jw_key(w, "grown"); jw_bool(w, b->grown);
    jw_key(w, "changed"); jw_bool(w, b->changed);
    jw_key(w, "pointers");
    jw_open(w, '[');
    for (size_t i = 0; i < b->nptrs; i++) {
        jw_open(w, '{');
        jw_key(w, "offset"); jw_uint(w, b->ptrs[i].offset);
        jw_key(w, "block"); jw_uint(w, b->ptrs[i].target_id);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_key(w, "type"); jw_str(w, b->type);
    jw_key(w, "value"); if (b->type) json_value(w, s, &b->value); else jw_null(w);
    jw_key(w, "owner"); jw_str(w, b->owner);
    jw_close(w, '}');
}

static const char *event_kind_name(shi_event_kind k) {
    static const char *const names[] = {
        [SHI_EV_CALL] = "call", [SHI_EV_LINE] = "line", [SHI_EV_RETURN] = "return",
        [SHI_EV_ALLOC] = "alloc", [SHI_EV_FREE] = "free", [SHI_EV_REALLOC] = "realloc",
        [SHI_EV_DROP] = "drop", [SHI_EV_EXIT] = "exit", [SHI_EV_SIGNAL] = "signal",
        [SHI_EV_OUTPUT] = "output", [SHI_EV_LIMIT] = "limit",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

/* Only the fields an event of its kind uses, so a reader never meets a meaningless 0. */
static void json_event(jw *w, const shi_event *e) {
    jw_open(w, '{');
    jw_key(w, "kind"); jw_str(w, event_kind_name(e->kind));
    if (e->function) { jw_key(w, "function"); jw_str(w, e->function); }
    bool heap = e->kind == SHI_EV_ALLOC || e->kind == SHI_EV_FREE || e->kind == SHI_EV_REALLOC;
    if (heap) {
        jw_key(w, "addr"); jw_addr(w, e->addr);
        jw_key(w, "size"); jw_uint(w, e->size);
        jw_key(w, "block_id"); jw_uint(w, e->block_id);
    }
    if (e->kind == SHI_EV_REALLOC) { jw_key(w, "old_addr"); jw_addr(w, e->old_addr); }
    if (e->has_value || e->kind == SHI_EV_EXIT || e->kind == SHI_EV_SIGNAL) {
        jw_key(w, "value");
        if (e->is_float) jw_float(w, e->fvalue); else jw_int(w, e->value);
    }
    if (e->text) {
        jw_key(w, "text");
        jw_strn(w, e->text, e->text_len ? e->text_len : strlen(e->text));
    }
    jw_close(w, '}');
}

static void json_step(jw *w, const shi_step *s) {
    jw_open(w, '{');
    jw_key(w, "index"); jw_uint(w, s->index);
    jw_key(w, "file"); jw_str(w, s->file);
    jw_key(w, "line"); jw_int(w, s->line);
    char *title = shi_step_title(s);
    jw_key(w, "title"); jw_str(w, title);
    free(title);
    jw_key(w, "depth"); jw_uint(w, s->depth > s->nframes ? s->depth : s->nframes);
    jw_key(w, "frames");
    jw_open(w, '[');
    for (size_t i = 0; i < s->nframes; i++) json_frame(w, s, &s->frames[i]);
    jw_close(w, ']');
    jw_key(w, "heap");
    jw_open(w, '[');
    for (size_t i = 0; i < s->nblocks; i++) json_block(w, s, &s->blocks[i]);
    jw_close(w, ']');
    jw_key(w, "statics");
    jw_open(w, '[');
    for (size_t i = 0; i < s->statics.nvars; i++) json_var(w, s, &s->statics.vars[i], true);
    jw_close(w, ']');
    jw_key(w, "events");
    jw_open(w, '[');
    for (size_t i = 0; i < s->nevents; i++) json_event(w, &s->events[i]);
    jw_close(w, ']');
    jw_close(w, '}');
}

/* ---- stackheap's format, version 2: each step as a patch on the one before ----------------
 *
 * The model's diff (shi_step_diff) says which frames stay, which variables and blocks are
 * not the same; each is written with the v1 object writers above, a kept one as the v1 keys
 * that differ. The change marks are per step: a reader turns every mark off, then on for
 * what the patch says (docs/trace-json.md), so a mark that went off costs nothing and one
 * that stayed on is written again.
 */

static bool same_str(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The v1 keys of variable `v` that differ from `p`, its place in the step before. `value`
 * marks it changed unless `changed` says otherwise. */
static void json_var_patch(jw *w, const shi_step *ps, const shi_var *p, const shi_step *s,
                           const shi_var *v, bool in_statics, size_t index) {
    jw_lazy_index(w, index, '{');
    if (!same_str(p->name, v->name)) { jw_key(w, "name"); jw_str(w, v->name); }
    if (in_statics) {
        if (!same_str(p->scope, v->scope)) { jw_key(w, "function"); jw_str(w, v->scope); }
        if (p->literal != v->literal) { jw_key(w, "literal"); jw_bool(w, v->literal); }
        if (p->argument != v->argument) { jw_key(w, "argument"); jw_bool(w, v->argument); }
    }
    if (!same_str(p->type, v->type)) { jw_key(w, "type"); jw_str(w, v->type); }
    if (p->size != v->size) { jw_key(w, "size"); jw_uint(w, v->size); }
    if (p->addr != v->addr) {
        jw_key(w, "addr");
        if (v->addr) jw_addr(w, v->addr); else jw_null(w);
    }
    if (!in_statics && p->is_param != v->is_param) { jw_key(w, "param"); jw_bool(w, v->is_param); }
    bool value = !shi_value_same(ps, &p->value, s, &v->value);
    if (v->changed != value) { jw_key(w, "changed"); jw_bool(w, v->changed); }
    if (value) { jw_key(w, "value"); json_value(w, s, &v->value); }
    jw_lazy_close(w, '}');
}

/* A list of variables (a kept frame's, the static region's) as a var-list patch: "nvars"
 * when it got shorter, then "vars": the changed ones (the diff's, and those marked changed,
 * which a diff of two marked steps cannot see) as patches, the new ones whole. */
static void json_vars_patch(jw *w, const shi_step *ps, const shi_var *pv, const shi_step *s,
                            const shi_var *v, const shi_vars_delta *d, bool in_statics) {
    if (d->after < d->before) { jw_key(w, "nvars"); jw_uint(w, d->after); }
    jw_lazy_open(w, "vars", '{');
    size_t k = 0;
    for (size_t i = 0; i < d->after; i++) {
        while (k < d->nchanged && d->changed[k] < i) k++;
        bool listed = k < d->nchanged && d->changed[k] == i;
        if (i >= d->before) {
            char key[24];
            snprintf(key, sizeof key, "%zu", i);
            jw_key(w, key);
            json_var(w, s, &v[i], in_statics);
        } else if (listed || v[i].changed) {
            json_var_patch(w, ps, &pv[i], s, &v[i], in_statics, i);
        }
    }
    jw_lazy_close(w, '}');
}

static bool block_marked(const shi_block *b) { return b->is_new || b->grown || b->changed; }

/* Whether block `b` of `s` must be put: the diff lists it and more than its marks going off
 * changed, or a mark is on (marks are per step). */
static bool block_put(const shi_step *ps, const shi_step *s, const shi_block *b, bool listed) {
    if (block_marked(b)) return true;
    if (!listed) return false;
    int64_t k = shi_step_find_block_near(ps, b->id, b->addr);
    if (k < 0) return true;
    shi_block was = ps->blocks[k];
    was.is_new = was.grown = was.changed = false;
    return !shi_block_same(ps, &was, s, b);
}

static void json_heap_patch(jw *w, const shi_step *ps, const shi_step *s, const shi_step_delta *d) {
    jw_lazy_open(w, "heap", '{');
    if (d->ngone) {
        jw_key(w, "gone");
        jw_open(w, '[');
        for (size_t i = 0; i < d->ngone; i++) jw_uint(w, d->gone[i]);
        jw_close(w, ']');
    }
    jw_lazy_open(w, "put", '[');
    size_t k = 0;
    for (size_t i = 0; i < s->nblocks; i++) {
        while (k < d->nput && d->put[k] < i) k++;
        if (block_put(ps, s, &s->blocks[i], k < d->nput && d->put[k] == i))
            json_block(w, s, &s->blocks[i]);
    }
    jw_lazy_close(w, ']');
    jw_lazy_close(w, '}');
}

static void json_step_patch(jw *w, const shi_step *ps, const shi_step *s) {
    static const shi_step empty;
    shi_step_delta d;
    shi_step_diff(ps, s, &d);
    if (!ps) ps = &empty;
    jw_open(w, '{');
    jw_key(w, "line"); jw_int(w, s->line);
    if (ps == &empty || !same_str(ps->file, s->file)) { jw_key(w, "file"); jw_str(w, s->file); }
    char *title = shi_step_title(s), plain[32];
    snprintf(plain, sizeof plain, "line %d", s->line);
    if (!title || strcmp(title, plain) != 0) { jw_key(w, "title"); jw_str(w, title); }
    free(title);
    if (s->depth > s->nframes) { jw_key(w, "depth"); jw_uint(w, s->depth); }
    if (s->nevents) {
        jw_key(w, "events");
        jw_open(w, '[');
        for (size_t i = 0; i < s->nevents; i++) json_event(w, &s->events[i]);
        jw_close(w, ']');
    }
    if (d.cut) { jw_key(w, "cut"); jw_uint(w, d.cut); }
    if (d.insert) {
        jw_key(w, "insert");
        jw_open(w, '[');
        for (size_t i = 1; i <= d.insert; i++) json_frame(w, s, &s->frames[i]);
        jw_close(w, ']');
    }
    if (d.pop) { jw_key(w, "pop"); jw_uint(w, d.pop); }
    jw_lazy_open(w, "frames", '{');
    size_t k = 0;
    for (size_t i = 0; i < d.kept; i++) {
        size_t pi = shi_delta_prev_frame(&d, i);
        if (pi == SIZE_MAX) continue;   /* inserted whole */
        const shi_frame *pf = &ps->frames[pi], *f = &s->frames[i];
        while (k < d.nframes && d.frames[k].frame < i) k++;
        shi_vars_delta none = {.before = pf->nvars, .after = f->nvars};
        const shi_vars_delta *vd = k < d.nframes && d.frames[k].frame == i ? &d.frames[k].vars
                                                                          : &none;
        jw_lazy_index(w, i, '{');
        if (!same_str(pf->function, f->function)) { jw_key(w, "function"); jw_str(w, f->function); }
        if (!same_str(pf->file, f->file)) { jw_key(w, "file"); jw_str(w, f->file); }
        if (pf->line != f->line) { jw_key(w, "line"); jw_int(w, f->line); }
        if (pf->cfa != f->cfa) {
            jw_key(w, "cfa");
            if (f->cfa) jw_addr(w, f->cfa); else jw_null(w);
        }
        json_vars_patch(w, ps, pf->vars, s, f->vars, vd, false);
        jw_lazy_close(w, '}');
    }
    jw_lazy_close(w, '}');
    if (s->nframes > d.kept) {
        jw_key(w, "push");
        jw_open(w, '[');
        for (size_t i = d.kept; i < s->nframes; i++) json_frame(w, s, &s->frames[i]);
        jw_close(w, ']');
    }
    jw_lazy_open(w, "statics", '{');
    json_vars_patch(w, ps, ps->statics.vars, s, s->statics.vars, &d.statics, true);
    jw_lazy_close(w, '}');
    json_heap_patch(w, ps, s, &d);
    jw_close(w, '}');
    shi_step_delta_free(&d);
}

/* ---- stackheap's format: the document ---------------------------------------------------- */

static void jw_strings(jw *w, const char *key, char **arr, size_t n) {
    jw_key(w, key);
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++) jw_str(w, arr[i]);
    jw_close(w, ']');
}

int shi_render_json_version(const shi_trace *t, FILE *out, int version) {
    if (version < 1 || version > SHI_JSON_VERSION) SHI_PANIC("trace: no JSON version %d", version);
    /* version 2: compact, one step a line (a reader can stream it) */
    jw w = {.out = out, .language = t->language, .version = version, .compact = version >= 2};
    jw_open(&w, '{');
    jw_key(&w, "format"); jw_str(&w, "stackheap-trace");
    jw_key(&w, "version"); jw_int(&w, version);
    jw_key(&w, "program"); jw_str(&w, t->program);
    jw_key(&w, "language"); jw_str(&w, t->language);
    jw_strings(&w, "argv", t->argv, t->argc);
    jw_strings(&w, "source_files", t->source_files, t->nsources);
    jw_key(&w, "stack_limit"); if (t->stack_limit) jw_uint(&w, t->stack_limit); else jw_null(&w);
    jw_key(&w, "optimisation"); if (t->optimisation) jw_str(&w, t->optimisation); else jw_null(&w);
    jw_key(&w, "variables"); jw_bool(&w, !t->lines_only);
    char *note = shi_trace_build_note(t, t->program);
    jw_key(&w, "build_note"); if (note) jw_str(&w, note); else jw_null(&w);
    free(note);
    jw_key(&w, "exit_code"); if (t->exit_code >= 0) jw_int(&w, t->exit_code); else jw_null(&w);
    jw_key(&w, "signal"); if (t->term_signal) jw_int(&w, t->term_signal); else jw_null(&w);
    jw_strings(&w, "leaks", t->leaks_text, t->nleaks);
    jw_key(&w, "steps");
    w.break_at = 2;   /* the steps' elements */
    jw_open(&w, '[');
    shi_cursor *cur = shi_cursor_new(t);
    for (size_t i = 0; i < t->nsteps; i++) {
        const shi_step *s = shi_cursor_step(cur, i);
        if (version == 1) json_step(&w, s);
        else json_step_patch(&w, shi_cursor_prev(cur), s);
    }
    shi_cursor_free(cur);
    jw_close(&w, ']');
    jw_close(&w, '}');
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}

int shi_render_json(const shi_trace *t, FILE *out) {
    return shi_render_json_version(t, out, SHI_JSON_VERSION);
}

/* ---- Online Python Tutor's format -------------------------------------------------------- */
/*
 * OPT's trace is "memoryless": each entry holds the whole state. Values are encoded as OPT's
 * C backend (opt-cpp-backend) encodes them, so that OPT's own front end, run with
 * `lang: 'c'` (`lang: 'cpp'` for a C++ trace: one backend, one encoding for both, a class
 * a C_STRUCT by its name and a method's `this` a pointer to it), draws them:
 *
 *     ["C_DATA", addr, type, value]          a scalar; type as gcc names it ("long int"),
 *                                            "pointer" for every pointer (value: "0x...")
 *     ["C_STRUCT", addr, tag, [field, encoded]...]   tag without "struct "
 *     ["C_ARRAY", addr, encoded...]          each element with its own address
 *
 * The front end keys pointer arrows by address ("cdata_" + addr): every value carries its
 * own address, and a pointer's value finds the element it points to, or the heap block
 * keyed by that address. Two pointers written at one address would stop it ("Assertion
 * Failure"), so a value without an address of its own gets a made-up one (see opt_fake).
 */

/* Made-up addresses start here: the kernel's half of the address space, which no object of
 * a user program occupies, so they never meet a real one. */
#define OPT_FAKE_BASE UINT64_C(0xffff800000000000)

typedef struct opt_ctx {
    jw *w;
    const shi_trace *t;
    const shi_step *s;
    bool rust;
    uint64_t next_fake;   /* made-up addresses handed out in this step */
    uint64_t *ptr_at;     /* addresses of the pointers written in this step (open addressing) */
    size_t ptr_cap, nptr;
} opt_ctx;

static uint64_t opt_fake(opt_ctx *c) { return OPT_FAKE_BASE + 8 * c->next_fake++; }

static void opt_reset(opt_ctx *c, const shi_step *s) {
    c->s = s;
    c->next_fake = 0;
    c->nptr = 0;
    if (c->ptr_at) memset(c->ptr_at, 0, c->ptr_cap * sizeof *c->ptr_at);
}

/* Records `addr` as a pointer's address in this step; false if one was written there. */
static bool opt_claim(opt_ctx *c, uint64_t addr) {
    if (2 * (c->nptr + 1) > c->ptr_cap) {
        size_t ncap = c->ptr_cap ? 2 * c->ptr_cap : 64;
        uint64_t *old = c->ptr_at, *p = calloc(ncap, sizeof *p);
        if (!p) SHI_PANIC("trace: out of memory");
        size_t ocap = c->ptr_cap;
        c->ptr_at = p;
        c->ptr_cap = ncap;
        c->nptr = 0;
        for (size_t i = 0; i < ocap; i++)
            if (old[i]) opt_claim(c, old[i]);
        free(old);
    }
    size_t i = (size_t)((addr * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (c->ptr_cap - 1);
    for (; c->ptr_at[i]; i = (i + 1) & (c->ptr_cap - 1))
        if (c->ptr_at[i] == addr) return false;
    c->ptr_at[i] = addr ? addr : 1;   /* 0 marks a free slot */
    c->nptr++;
    return true;
}

static bool starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_pointer_type(const char *type) {
    size_t n = strlen(type);
    return (n && type[n - 1] == '*') || type[0] == '&' || starts_with(type, "*const ") ||
           starts_with(type, "*mut ");
}

/* A type's name as the C backend writes it: qualifiers dropped, a struct, union or enum by
 * its tag alone ("point"), an anonymous one "<anonymous>", any pointer "pointer". `type` is
 * the name the model has (NULL: one made from the value's kind). */
static const char *opt_type(const char *type, shi_value_kind kind) {
    if (kind == SHI_VAL_POINTER) return "pointer";
    if (kind == SHI_VAL_CHAR) return "char";   /* a String's bytes too: one-character strings */
    if (!type) {
        switch (kind) {
        case SHI_VAL_UINT: return "unsigned int";
        case SHI_VAL_FLOAT: return "double";
        case SHI_VAL_BOOL: return "_Bool";
        case SHI_VAL_CHAR: return "char";
        default: return "int";
        }
    }
    for (bool more = true; more;) {
        more = false;
        if (starts_with(type, "const ")) type += 6, more = true;
        if (starts_with(type, "volatile ")) type += 9, more = true;
    }
    if (is_pointer_type(type)) return "pointer";
    type = shi_c_base_name(type, true);  /* the model has "long", the backend "long int" */
    static const char *const tags[] = {"struct ", "union ", "enum "};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (starts_with(type, tags[i])) {
            const char *tag = type + strlen(tags[i]);
            return tag[0] == '{' ? "<anonymous>" : tag;
        }
    return type;
}

/* A char as the C backend writes it: a one-character string, "\0" (two characters) for
 * the terminator, "???" for a byte that is not a character on its own. A Rust char
 * (`scalar`) is a Unicode scalar value, written as that character. */
static void opt_char(opt_ctx *c, uint64_t ch, bool scalar) {
    char buf[4];
    size_t n = 0;
    if (ch == 0) { jw_str(c->w, "\\0"); return; }
    if (ch < 0x80) {
        buf[n++] = (char)ch;
    } else if (scalar && ch < 0x800) {
        buf[n++] = (char)(0xC0 | (ch >> 6));
        buf[n++] = (char)(0x80 | (ch & 0x3F));
    } else if (scalar && ch < 0x10000 && (ch < 0xD800 || ch > 0xDFFF)) {
        buf[n++] = (char)(0xE0 | (ch >> 12));
        buf[n++] = (char)(0x80 | ((ch >> 6) & 0x3F));
        buf[n++] = (char)(0x80 | (ch & 0x3F));
    } else if (scalar && ch >= 0x10000 && ch <= 0x10FFFF) {
        buf[n++] = (char)(0xF0 | (ch >> 18));
        buf[n++] = (char)(0x80 | ((ch >> 12) & 0x3F));
        buf[n++] = (char)(0x80 | ((ch >> 6) & 0x3F));
        buf[n++] = (char)(0x80 | (ch & 0x3F));
    } else {
        jw_str(c->w, "???");
        return;
    }
    jw_strn(c->w, buf, n);
}

/* ["C_DATA", addr, type, ...: the header of a scalar; a pointer's address is claimed, and a
 * second pointer at an address already used gets a made-up one. */
static void opt_data_head(opt_ctx *c, uint64_t addr, const char *ctype) {
    if (strcmp(ctype, "pointer") == 0 && !opt_claim(c, addr)) addr = opt_fake(c);
    jw_open(c->w, '[');
    jw_str(c->w, "C_DATA");
    jw_addr(c->w, addr);
    jw_str(c->w, ctype);
}

static void opt_scalar(opt_ctx *c, const shi_value *v) {
    jw *w = c->w;
    switch (v->kind) {
    case SHI_VAL_UNINIT: jw_str(w, "<UNINITIALIZED>"); break;
    case SHI_VAL_INT: jw_int(w, v->i); break;
    case SHI_VAL_UINT: jw_uint(w, v->u); break;
    case SHI_VAL_FLOAT: jw_float(w, v->f); break;
    case SHI_VAL_BOOL: jw_int(w, v->b ? 1 : 0); break;   /* as the backend: 0 or 1 */
    case SHI_VAL_POINTER: jw_addr(w, v->addr); break;
    /* Rust's char is a code point; a String's bytes (u8) are bytes, as C's chars */
    case SHI_VAL_CHAR: opt_char(c, v->u, c->rust && v->type && strcmp(v->type, "char") == 0); break;
    default: jw_str(w, v->text ? v->text : "<UNREADABLE>"); break;
    }
}

static void opt_value(opt_ctx *c, const shi_value *v, const char *type, uint64_t addr);

/* An owning handle as the struct it is: ptr, then len and cap (not a box). Their addresses
 * are the handle's plus 0, 8 and 16, sh_string's layout (the model has no offsets for
 * them; Rust orders them differently). */
static void opt_owned(opt_ctx *c, const shi_value *v, const char *type, uint64_t addr) {
    jw *w = c->w;
    const shi_owned *o = &v->owned;
    jw_str(w, "C_STRUCT"); jw_addr(w, addr); jw_str(w, type ? opt_type(type, v->kind) : "?");
    jw_open(w, '[');
    jw_str(w, "ptr");
    opt_data_head(c, addr, "pointer"); jw_addr(w, o->ptr); jw_close(w, ']');
    jw_close(w, ']');
    if (o->kind == SHI_OWN_BOX || o->kind == SHI_OWN_RC) return;
    const char *names[2] = {"len", "cap"};
    uint64_t vals[2] = {o->len, o->cap};
    for (int i = 0; i < 2; i++) {
        jw_open(w, '[');
        jw_str(w, names[i]);
        opt_data_head(c, addr + 8u * (uint64_t)(i + 1), c->rust ? "usize" : "size_t");
        jw_uint(w, vals[i]);
        jw_close(w, ']');
        jw_close(w, ']');
    }
}

enum { OPT_MAX_DIMS = 8 };

/* Whether v is an array of `dims[0]` arrays of `dims[1]` ... of values that are no arrays. */
static bool opt_rectangular(const shi_value *v, const uint64_t *dims, size_t n) {
    if (n == 0) return v->kind != SHI_VAL_ARRAY;
    if (v->kind != SHI_VAL_ARRAY || v->truncated || v->nfields != dims[0]) return false;
    for (size_t i = 0; i < v->nfields; i++)
        if (!opt_rectangular(v->fields[i].value, dims + 1, n - 1)) return false;
    return true;
}

/* The dimensions of a matrix (C's int m[2][3], read as rows), 0 if v is none. */
static size_t opt_dims(const shi_value *v, uint64_t *dims) {
    size_t n = 0;
    for (const shi_value *cur = v; cur->kind == SHI_VAL_ARRAY && cur->nfields &&
                                   n < OPT_MAX_DIMS; cur = cur->fields[0].value)
        dims[n++] = cur->nfields;
    return n >= 2 && opt_rectangular(v, dims, n) ? n : 0;
}

/* A matrix's elements in memory order: the backend gives them flat, after the dimensions. */
static void opt_leaves(opt_ctx *c, const shi_value *v, size_t depth) {
    if (depth == 0) { opt_value(c, v, NULL, 0); return; }
    for (size_t i = 0; i < v->nfields; i++) opt_leaves(c, v->fields[i].value, depth - 1);
}

/* An array's elements by address, as memory holds them (the front end keys its drawing by
 * address): a map's or a deque's elements come in the order the program iterates them.
 * Elements lying outside [lo, hi) are left out (hi 0: none are): a B-tree's root block
 * lists the entries of the nodes below it, which are blocks of their own. */
static void opt_elements(opt_ctx *c, const shi_value *v, uint64_t lo, uint64_t hi) {
    size_t n = v->nfields, order[64];
    if (n > 64) n = 64;
    for (size_t i = 0; i < n; i++) {   /* insertion sort by address; unknown (0) stay put */
        size_t k = i;
        uint64_t at = v->fields[i].value->at;
        while (k > 0 && at && v->fields[order[k - 1]].value->at > at) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    for (size_t i = 0; i < n; i++) {
        const shi_value *e = v->fields[order[i]].value;
        if (hi && e->at && (e->at < lo || e->at >= hi)) continue;
        opt_value(c, e, NULL, 0);
    }
}

/* One value: `type` is the declared type when the value has none of its own (a variable
 * not set yet), `addr` its address when it has none (0: a made-up one). */
static void opt_value(opt_ctx *c, const shi_value *v, const char *type, uint64_t addr) {
    jw *w = c->w;
    uint64_t dims[OPT_MAX_DIMS];
    size_t ndims;
    if (v->type) type = v->type;
    if (v->at) addr = v->at;
    if (!addr) addr = opt_fake(c);
    if (v->kind == SHI_VAL_OWNED) {
        jw_open(w, '[');
        opt_owned(c, v, type, addr);
        jw_close(w, ']');
    } else if (v->kind == SHI_VAL_STRUCT) {
        jw_open(w, '[');
        jw_str(w, "C_STRUCT"); jw_addr(w, addr); jw_str(w, type ? opt_type(type, v->kind) : "?");
        for (size_t i = 0; i < v->nfields; i++) {
            jw_open(w, '[');
            jw_str(w, v->fields[i].name ? v->fields[i].name : "?");
            opt_value(c, v->fields[i].value, NULL, 0);
            jw_close(w, ']');
        }
        jw_close(w, ']');
    } else if (v->kind == SHI_VAL_ARRAY && (ndims = opt_dims(v, dims)) > 0) {
        jw_open(w, '[');
        jw_str(w, "C_MULTIDIMENSIONAL_ARRAY"); jw_addr(w, addr);
        jw_open(w, '[');
        for (size_t k = 0; k < ndims; k++) jw_uint(w, dims[k]);
        jw_close(w, ']');
        opt_leaves(c, v, ndims);
        jw_close(w, ']');
    } else if (v->kind == SHI_VAL_ARRAY) {
        jw_open(w, '[');
        jw_str(w, "C_ARRAY"); jw_addr(w, addr);
        opt_elements(c, v, 0, 0);
        jw_close(w, ']');
    } else {
        const char *ctype = opt_type(type, v->kind);
        /* a char is written as one: a String's bytes (u8 to Rust) are the backend's chars */
        if (v->kind == SHI_VAL_CHAR && !strstr(ctype, "char")) ctype = "char";
        opt_data_head(c, addr, ctype);
        opt_scalar(c, v);
        jw_close(w, ']');
    }
}

/* ---- Online Python Tutor: heap blocks ---------------------------------------------------- */

static uint64_t read_le(const shi_block *b, size_t off, size_t size) {
    uint64_t bits = 0;
    for (size_t k = 0; k < size && off + k < b->nbytes; k++)
        bits |= (uint64_t)b->bytes[off + k] << (8 * k);
    return bits;
}

static bool name_in(const char *type, const char *const *names) {
    for (; *names; names++)
        if (strcmp(type, *names) == 0) return true;
    return false;
}

/* What an element type's name says its bytes are: the handle's element type is all the
 * model gives for a block's contents. */
typedef enum elem_kind { ELEM_SIGNED, ELEM_UNSIGNED, ELEM_FLOAT, ELEM_BOOL, ELEM_CHAR,
                         ELEM_POINTER } elem_kind;

static elem_kind elem_kind_of(const char *type, size_t size) {
    static const char *const floats[] = {"f32", "f64", "float", "double", NULL};
    static const char *const bools[] = {"bool", "_Bool", NULL};
    static const char *const unsigneds[] = {"u8", "u16", "u32", "u64", "usize", "size_t",
                                            "uint8_t", "uint16_t", "uint32_t", "uint64_t",
                                            "uintptr_t", NULL};
    if (!type) return ELEM_UNSIGNED;
    if (name_in(type, floats) && (size == 4 || size == 8)) return ELEM_FLOAT;
    if (name_in(type, bools)) return ELEM_BOOL;
    if (strcmp(type, "char") == 0) return ELEM_CHAR;
    if (is_pointer_type(type) && size == 8) return ELEM_POINTER;
    if (name_in(type, unsigneds) || strstr(type, "unsigned")) return ELEM_UNSIGNED;
    return ELEM_SIGNED;
}

/* Whether the model found a pointer to a live block at byte `off` of `b`. */
static bool ptr_word_at(const shi_block *b, size_t off) {
    for (size_t i = 0; i < b->nptrs; i++)
        if (b->ptrs[i].offset == off) return true;
    return false;
}

enum { OPT_MAX_ELEMS = 256 };   /* OPT draws every element: keep the page usable */

/* A block no handle explains: its bytes, as "unsigned char" (0 to 255, as the backend
 * writes one), except the words the model found pointing into live blocks, written as
 * pointers so the front end draws their arrows (a linked list's next). */
static void opt_bytes(opt_ctx *c, const shi_block *b) {
    size_t n = b->nbytes < OPT_MAX_ELEMS ? b->nbytes : OPT_MAX_ELEMS;
    for (size_t i = 0; i < n;) {
        if (i % 8 == 0 && i + 8 <= b->nbytes && ptr_word_at(b, i)) {
            opt_data_head(c, b->addr + i, "pointer");
            jw_addr(c->w, read_le(b, i, 8));
            jw_close(c->w, ']');
            i += 8;
            continue;
        }
        opt_data_head(c, b->addr + i, "unsigned char");
        jw_uint(c->w, b->bytes[i]);
        jw_close(c->w, ']');
        i++;
    }
}

/* A text the model gives as one quoted literal ("Hello", a String's block): one "char" per
 * byte, as the backend writes a char array, from the literal's escapes (\" \\ \n \u{7}). */
static void opt_text_chars(opt_ctx *c, uint64_t addr, const char *text) {
    const char *p = text[0] == '"' ? text + 1 : text;
    for (size_t i = 0; *p && *p != '"' && i < OPT_MAX_ELEMS; i++) {
        uint64_t ch = (unsigned char)*p++;
        if (ch == '\\' && *p == 'u' && p[1] == '{') {
            ch = strtoull(p + 2, (char **)&p, 16);
            if (*p == '}') p++;
        } else if (ch == '\\' && *p) {
            ch = *p == 'n' ? '\n' : *p == 't' ? '\t' : (unsigned char)*p;
            p++;
        }
        opt_data_head(c, addr + i, "char");
        opt_char(c, ch, false);
        jw_close(c->w, ']');
    }
}

/* A typed block (what its handle holds, or what its pointer's type says): its elements in
 * the element type's encoding (a struct node: one C_STRUCT; an int[8]: eight C_DATA "int";
 * a Vec<f64>'s slots: C_DATA "double", the unused ones "<UNINITIALIZED>"), as decoded by
 * the tracer (arrays: their first 16 elements). */
static void opt_typed(opt_ctx *c, const shi_block *b) {
    const shi_value *v = &b->value;
    if (v->kind == SHI_VAL_ARRAY && v->text && !v->nfields) { opt_text_chars(c, b->addr, v->text); return; }
    if (v->kind != SHI_VAL_ARRAY) { opt_value(c, v, b->type, b->addr); return; }
    opt_elements(c, v, b->addr, b->addr + (b->size ? b->size : 1));
}

/* A heap block, keyed by its address, always a C_ARRAY as the backend writes one. */
static void opt_block(opt_ctx *c, int64_t bi) {
    jw *w = c->w;
    const shi_block *b = &c->s->blocks[bi];
    char key[24];
    snprintf(key, sizeof key, "0x%" PRIx64, b->addr);
    jw_key(w, key);
    jw_open(w, '[');
    jw_str(w, "C_ARRAY"); jw_addr(w, b->addr);
    if (b->type) opt_typed(c, b);
    else opt_bytes(c, b);
    jw_close(w, ']');
}

/* ---- Online Python Tutor: source files and lines ----------------------------------------- */

/* The trace's source files as one text, OPT showing one: the first as it is, each next one
 * after a comment line naming it. A step's line is its line in this text. */
typedef struct opt_code {
    char *text;
    size_t len;
    int *first_line;   /* per source file: its line 1 is line first_line + 1 of the text */
    size_t n;
} opt_code;

static void code_add(opt_code *code, const char *s, size_t n) {
    SHI_RESIZE(code->text, code->len + n + 1);
    memcpy(code->text + code->len, s, n);
    code->len += n;
    code->text[code->len] = 0;
}

static int count_lines(const char *s, size_t n) {
    int lines = 0;
    for (size_t i = 0; i < n; i++) lines += s[i] == '\n';
    return lines;
}

static void opt_code_read(opt_code *code, const shi_trace *t) {
    code->n = t->nsources;
    code->first_line = calloc(t->nsources ? t->nsources : 1, sizeof *code->first_line);
    if (!code->first_line) SHI_PANIC("trace: out of memory");
    code_add(code, "", 0);
    for (size_t i = 0; i < t->nsources; i++) {
        if (i > 0) {
            if (code->len && code->text[code->len - 1] != '\n') code_add(code, "\n", 1);
            const char *base = strrchr(t->source_files[i], '/');
            base = base ? base + 1 : t->source_files[i];
            char head[512];
            int hn = snprintf(head, sizeof head, "/* ---- %s ---- */\n", base);
            code_add(code, head, hn > 0 && (size_t)hn < sizeof head ? (size_t)hn : 0);
        }
        code->first_line[i] = count_lines(code->text, code->len);
        size_t n;
        char *text = shi_source_read_file(t->source_files[i], 0, &n);
        if (!text) {
            const char *missing = "/* (this file could not be read) */\n";
            code_add(code, missing, strlen(missing));
        } else {
            code_add(code, text, n);
        }
        free(text);
    }
}

/* The line of `file`:`line` in the code text. */
static int opt_line(const opt_code *code, const shi_trace *t, const char *file, int line) {
    if (!file || line <= 0) return line;
    for (size_t i = 0; i < code->n; i++)
        if (strcmp(t->source_files[i], file) == 0) return code->first_line[i] + line;
    /* DWARF may name a file relatively in one place and absolutely in another */
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    for (size_t i = 0; i < code->n; i++) {
        const char *b = strrchr(t->source_files[i], '/');
        if (strcmp(b ? b + 1 : t->source_files[i], base) == 0) return code->first_line[i] + line;
    }
    return line;
}

/* ---- Online Python Tutor: frames, events, steps ------------------------------------------ */

/* A variable's key in encoded_locals: its name, with "#2", "#3" for a name shadowing an
 * earlier one in the same frame (Rust's `let x = x + 1;`), since JSON keys must differ. */
static void opt_var_key(const shi_frame *f, size_t i, char *buf, size_t size) {
    const char *name = f->vars[i].name ? f->vars[i].name : "?";
    size_t seen = 0;
    for (size_t k = 0; k < i; k++)
        if (f->vars[k].name && strcmp(f->vars[k].name, name) == 0) seen++;
    if (seen) snprintf(buf, size, "%s#%zu", name, seen + 1);
    else snprintf(buf, size, "%s", name);
}

/* A static variable's key in globals: its name; a function's static as gdb names it,
 * next_ticket::count (two functions may each have a `count`); "#2" for a second one of
 * that name (two blocks of one function), since JSON keys must differ. */
static void opt_global_key(const shi_frame *st, size_t i, char *buf, size_t size) {
    size_t seen = 0;
    for (size_t k = 0; k < i; k++)
        seen += same_str(st->vars[k].name, st->vars[i].name) &&
                same_str(st->vars[k].scope, st->vars[i].scope);
    const shi_var *v = &st->vars[i];
    int n = v->scope ? snprintf(buf, size, "%s::%s", v->scope, v->name ? v->name : "?")
                     : snprintf(buf, size, "%s", v->name ? v->name : "?");
    if (seen && n > 0 && (size_t)n < size) snprintf(buf + n, size - (size_t)n, "#%zu", seen + 1);
}

/* The static region as the C backend writes its globals: name to encoded value, and the
 * names in order. String literals are there too, so that a char pointer's arrow finds them. */
static void opt_globals(opt_ctx *c, const shi_step *s) {
    jw *w = c->w;
    char key[300];
    jw_key(w, "globals");
    jw_open(w, '{');
    for (size_t i = 0; i < s->statics.nvars; i++) {
        const shi_var *v = &s->statics.vars[i];
        opt_global_key(&s->statics, i, key, sizeof key);
        jw_key(w, key);
        opt_value(c, &v->value, v->type, v->addr);
    }
    jw_close(w, '}');
    jw_key(w, "ordered_globals");
    jw_open(w, '[');
    for (size_t i = 0; i < s->statics.nvars; i++) {
        opt_global_key(&s->statics, i, key, sizeof key);
        jw_str(w, key);
    }
    jw_close(w, ']');
}

/* A function's return value, as the Python backend gives one (the C backend gives none):
 * the local "__return__" of the returning frame, on its last step, drawn "Return value". */
static void opt_return_value(opt_ctx *c, const shi_event *e) {
    jw *w = c->w;
    const char *type = e->value_type;
    jw_key(w, "__return__");
    if (e->is_float) {
        opt_data_head(c, opt_fake(c), type ? opt_type(type, SHI_VAL_FLOAT) : "double");
        jw_float(w, e->fvalue);
        jw_close(w, ']');
        return;
    }
    elem_kind k = type ? elem_kind_of(opt_type(type, SHI_VAL_INT), 8) : ELEM_SIGNED;
    if (type && is_pointer_type(type)) k = ELEM_POINTER;
    opt_data_head(c, opt_fake(c), k == ELEM_POINTER ? "pointer" : type ? opt_type(type, SHI_VAL_INT)
                                                                       : "int");
    switch (k) {
    case ELEM_POINTER: jw_addr(w, (uint64_t)e->value); break;
    case ELEM_CHAR:
        opt_char(c, (uint64_t)e->value & (c->rust ? UINT64_MAX : 0xFF), c->rust);
        break;
    case ELEM_BOOL: jw_int(w, e->value != 0); break;
    case ELEM_UNSIGNED: jw_uint(w, (uint64_t)e->value); break;
    default: jw_int(w, e->value); break;
    }
    jw_close(w, ']');
}

static void opt_frame(opt_ctx *c, const opt_code *code, const shi_frame *f, uint64_t id,
                      bool top, const shi_event *ret) {
    jw *w = c->w;
    jw_open(w, '{');
    jw_key(w, "func_name"); jw_str(w, f->function);
    jw_key(w, "frame_id"); jw_uint(w, id);
    char hash[256];
    snprintf(hash, sizeof hash, "%s_f%" PRIu64, f->function ? f->function : "?", id);
    jw_key(w, "unique_hash"); jw_str(w, hash);
    jw_key(w, "is_highlighted"); jw_bool(w, top);
    jw_key(w, "is_parent"); jw_bool(w, false);
    jw_key(w, "is_zombie"); jw_bool(w, false);
    jw_key(w, "parent_frame_id_list"); jw_open(w, '['); jw_close(w, ']');
    jw_key(w, "line"); jw_int(w, opt_line(code, c->t, f->file, f->line));
    jw_key(w, "encoded_locals");
    jw_open(w, '{');
    char key[256];
    for (size_t i = 0; i < f->nvars; i++) {
        opt_var_key(f, i, key, sizeof key);
        jw_key(w, key);
        opt_value(c, &f->vars[i].value, f->vars[i].type, f->vars[i].addr);
    }
    if (ret) opt_return_value(c, ret);
    jw_close(w, '}');
    jw_key(w, "ordered_varnames");
    jw_open(w, '[');
    for (size_t i = 0; i < f->nvars; i++) {
        opt_var_key(f, i, key, sizeof key);
        jw_str(w, key);
    }
    if (ret) jw_str(w, "__return__");
    jw_close(w, ']');
    jw_close(w, '}');
}

static const shi_event *find_event(const shi_step *s, shi_event_kind kind) {
    for (size_t i = 0; s && i < s->nevents; i++)
        if (s->events[i].kind == kind) return &s->events[i];
    return NULL;
}

/* Frame ids: a frame keeps its id while it stays on the stack; each call gets a new one. */
typedef struct opt_ids {
    uint64_t *ids;
    size_t n;
    uint64_t next;
} opt_ids;

static void opt_assign_ids(opt_ids *ids, const shi_step *prev, const shi_step *s) {
    uint64_t *nids = calloc(s->nframes ? s->nframes : 1, sizeof *nids);
    if (!nids) SHI_PANIC("trace: out of memory");
    bool same = prev != NULL;
    for (size_t d = 0; d < s->nframes; d++) {
        same = same && d < prev->nframes && d < ids->n && !s->frames[d].is_new &&
               prev->frames[d].cfa == s->frames[d].cfa && prev->frames[d].function &&
               s->frames[d].function &&
               strcmp(prev->frames[d].function, s->frames[d].function) == 0;
        nids[d] = same ? ids->ids[d] : ++ids->next;
    }
    free(ids->ids);
    ids->ids = nids;
    ids->n = s->nframes;
}

/* One entry of OPT's trace. `ev` is its event, `msg` its exception_msg (or NULL), `ret` the
 * return event whose value the top frame gives back at this step (or NULL). */
static void opt_step(opt_ctx *c, const opt_code *code, const shi_step *s, const opt_ids *ids,
                     const char *ev, const char *msg, const shi_event *ret,
                     const char *stdout_so_far, size_t stdout_len) {
    jw *w = c->w;
    opt_reset(c, s);
    jw_open(w, '{');
    jw_key(w, "line"); jw_int(w, opt_line(code, c->t, s->file, s->line));
    jw_key(w, "event"); jw_str(w, ev);
    if (msg) { jw_key(w, "exception_msg"); jw_str(w, msg); }
    jw_key(w, "func_name");
    jw_str(w, s->nframes ? s->frames[s->nframes - 1].function : "<none>");
    opt_globals(c, s);
    jw_key(w, "stack_to_render");
    jw_open(w, '[');
    for (size_t d = 0; d < s->nframes; d++) {
        bool top = d + 1 == s->nframes;
        opt_frame(c, code, &s->frames[d], ids->ids[d], top, top ? ret : NULL);
    }
    jw_close(w, ']');
    jw_key(w, "heap");
    jw_open(w, '{');
    for (size_t i = 0; i < s->nblocks; i++) opt_block(c, (int64_t)i);
    jw_close(w, '}');
    jw_key(w, "stdout"); jw_strn(w, stdout_so_far ? stdout_so_far : "", stdout_len);
    jw_close(w, '}');
}

/* Appends the step's program output to the cumulative stdout OPT wants in every entry. */
static void append_output(char **buf, size_t *len, const shi_step *s) {
    for (size_t i = 0; i < s->nevents; i++) {
        const shi_event *e = &s->events[i];
        if (e->kind != SHI_EV_OUTPUT || !e->text) continue;
        size_t n = e->text_len ? e->text_len : strlen(e->text);
        SHI_RESIZE(*buf, *len + n + 1);
        memcpy(*buf + *len, e->text, n + 1);
        *len += n;
    }
}

/*
 * Events, as the C backend places them: the first entry is a "step_line"; a function's
 * first step is its "call"; its last step (the one before the stack loses it) is its
 * "return", with the value in "__return__"; the program's last step is a "return" too, as
 * main's. A crash is an "exception" with the signal's name. A run cut short (--max-steps)
 * ends with one more entry, "instruction_limit_reached" with the message, which the front
 * end takes off the trace and shows as a warning: every recorded step stays drawn.
 */
/* A stream that only counts what is written to it (into the size_t it is given). */
static ssize_t count_bytes(void *cookie, const char *buf, size_t n) {
    (void)buf;
    *(size_t *)cookie += n;
    return (ssize_t)n;
}

int shi_render_pytutor_limited(const shi_trace *t, FILE *out, size_t limit,
                               size_t *ret_size, size_t *ret_fit) {
    /* written into memory first when limited: a refused export leaves `out` as it was */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = limit ? open_memstream(&buf, &len) : out;
    if (!mem) return -1;
    if (ret_fit) *ret_fit = t->nsteps;
    if (ret_size) *ret_size = 0;   /* not counted without a limit */
    jw w = {.out = mem};
    opt_ctx c = {.w = &w, .t = t, .rust = t->language && strcmp(t->language, "rust") == 0};
    opt_code code = {0};
    opt_code_read(&code, t);
    jw_open(&w, '{');
    jw_key(&w, "code"); jw_strn(&w, code.text, code.len);
    jw_key(&w, "trace");
    jw_open(&w, '[');
    opt_ids ids = {0};
    char *so_far = NULL;
    size_t so_far_len = 0;
    /* a step's arrow needs the next step's events: a cursor a step ahead */
    shi_cursor *cur = shi_cursor_new(t), *ahead = shi_cursor_new(t);
    bool refused = false;
    size_t counted = 0;
    FILE *sink = NULL;
    bool limited = t->nsteps && find_event(shi_cursor_step(ahead, t->nsteps - 1), SHI_EV_LIMIT);
    for (size_t i = 0; i < t->nsteps; i++) {
        const shi_step *s = shi_cursor_step(cur, i);
        const shi_step *next = i + 1 < t->nsteps ? shi_cursor_step(ahead, i + 1) : NULL;
        opt_assign_ids(&ids, shi_cursor_prev(cur), s);
        append_output(&so_far, &so_far_len, s);
        const char *ev = i > 0 && find_event(s, SHI_EV_CALL) ? "call" : "step_line";
        const char *msg = NULL;
        const shi_event *ret = NULL, *sig = find_event(s, SHI_EV_SIGNAL);
        const shi_event *returned = find_event(next, SHI_EV_RETURN);
        if (sig) {
            ev = "exception";
            msg = sig->text ? sig->text : "signal";
        } else if (returned && s->nframes) {
            ev = "return";   /* the tracer records the first return, the innermost, first */
            if (returned->has_value) ret = returned;
        } else if (!next && !limited) {
            ev = "return";
        }
        opt_step(&c, &code, s, &ids, ev, msg, ret, so_far, so_far_len);
        const shi_event *stop = next ? NULL : find_event(s, SHI_EV_LIMIT);
        if (stop && !sig)
            opt_step(&c, &code, s, &ids, "instruction_limit_reached",
                     stop->text ? stop->text : "stopped: step limit reached", NULL, so_far,
                     so_far_len);
        if (!refused && limit) {
            long at = ftell(mem);
            if (at > 0 && (size_t)at > limit) {
                /* refused: the rest only counted, to say how big it would be */
                if (ret_fit) *ret_fit = i;
                refused = true;
                counted = (size_t)at;
                cookie_io_functions_t counter = {.write = count_bytes};
                w.out = sink = fopencookie(&counted, "w", counter);
                if (!sink) break;
            }
        } else if (refused && (fflush(sink), counted > SHI_PYTUTOR_COUNT_MAX)) {
            break;   /* enough to say "more than" */
        }
    }
    shi_cursor_free(cur);
    shi_cursor_free(ahead);
    free(ids.ids);
    free(so_far);
    free(c.ptr_at);
    free(code.text);
    free(code.first_line);
    jw_close(&w, ']');
    jw_close(&w, '}');
    fputc('\n', w.out);
    if (sink) fclose(sink);
    if (!limit) return ferror(out) ? -1 : 0;
    if (ret_size) *ret_size = refused ? counted : (size_t)ftell(mem);
    int rc = fclose(mem) == 0 ? 0 : -1;
    if (refused) rc = SHI_RENDER_TOO_BIG;
    else if (rc == 0 && fwrite(buf, 1, len, out) != len) rc = -1;
    free(buf);
    return rc == 0 && ferror(out) ? -1 : rc;
}

int shi_render_pytutor(const shi_trace *t, FILE *out) {
    return shi_render_pytutor_limited(t, out, SHI_PYTUTOR_MAX_BYTES, NULL, NULL);
}
