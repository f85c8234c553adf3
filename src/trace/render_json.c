/*
 * src/trace/render_json.c — a trace as JSON: stackheap's own versioned format and an
 * export in Online Python Tutor's trace format. Both are described field by field in
 * docs/trace-json.md; change that document with this file.
 *
 * Addresses are written as strings ("0x7fffffffe0c0"): JSON numbers are doubles in most
 * readers, exact only up to 2^53, and the tracee's addresses go above that.
 */
#include "trace/render.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/panic.h"

enum { SHI_JSON_VERSION = 1 };

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
static void jw_pre(jw *w) {
    if (w->after_key) { w->after_key = false; return; }
    if (w->depth == 0) return;
    if (!w->first[w->depth]) fputc(',', w->out);
    w->first[w->depth] = false;
    newline(w->out, w->depth);
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
    if (!empty) newline(w->out, w->depth);
    fputc(c, w->out);
}

static void jw_key(jw *w, const char *key) {
    jw_pre(w);
    shi_json_string(w->out, key, strlen(key));
    fputs(": ", w->out);
    w->after_key = true;
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
    return k == SHI_OWN_STRING ? "string" : k == SHI_OWN_VEC ? "vec" : "box";
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
    if (o->kind != SHI_OWN_BOX) {
        jw_key(w, "len"); jw_uint(w, o->len);
        jw_key(w, "cap"); jw_uint(w, o->cap);
    }
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
        break;
    case SHI_VAL_STRUCT: case SHI_VAL_ARRAY: json_fields(w, s, v); break;
    case SHI_VAL_OWNED: json_owned(w, s, v); break;
    default: break;
    }
    char *text = shi_render_value_text_in(v, w->language);
    jw_key(w, "text"); jw_str(w, text);
    free(text);
    jw_close(w, '}');
}

/* ---- stackheap's format: frames, blocks, events, steps ----------------------------------- */

static void json_var(jw *w, const shi_step *s, const shi_var *v) {
    jw_open(w, '{');
    jw_key(w, "name"); jw_str(w, v->name);
    jw_key(w, "type"); jw_str(w, v->type);
    jw_key(w, "size"); jw_uint(w, v->size);
    jw_key(w, "addr"); if (v->addr) jw_addr(w, v->addr); else jw_null(w);
    jw_key(w, "param"); jw_bool(w, v->is_param);
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
    for (size_t i = 0; i < f->nvars; i++) json_var(w, s, &f->vars[i]);
    jw_close(w, ']');
    jw_close(w, '}');
}

static void json_block(jw *w, const shi_block *b) {
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
    jw_key(w, "pointers");
    jw_open(w, '[');
    for (size_t i = 0; i < b->nptrs; i++) {
        jw_open(w, '{');
        jw_key(w, "offset"); jw_uint(w, b->ptrs[i].offset);
        jw_key(w, "block"); jw_uint(w, b->ptrs[i].target_id);
        jw_close(w, '}');
    }
    jw_close(w, ']');
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
    if (e->text) { jw_key(w, "text"); jw_str(w, e->text); }
    jw_close(w, '}');
}

static void json_step(jw *w, const shi_step *s) {
    jw_open(w, '{');
    jw_key(w, "index"); jw_uint(w, s->index);
    jw_key(w, "file"); jw_str(w, s->file);
    jw_key(w, "line"); jw_int(w, s->line);
    char *title = shi_render_step_title(s);
    jw_key(w, "title"); jw_str(w, title);
    free(title);
    jw_key(w, "depth"); jw_uint(w, s->depth > s->nframes ? s->depth : s->nframes);
    jw_key(w, "frames");
    jw_open(w, '[');
    for (size_t i = 0; i < s->nframes; i++) json_frame(w, s, &s->frames[i]);
    jw_close(w, ']');
    jw_key(w, "heap");
    jw_open(w, '[');
    for (size_t i = 0; i < s->nblocks; i++) json_block(w, &s->blocks[i]);
    jw_close(w, ']');
    jw_key(w, "events");
    jw_open(w, '[');
    for (size_t i = 0; i < s->nevents; i++) json_event(w, &s->events[i]);
    jw_close(w, ']');
    jw_close(w, '}');
}

static void jw_strings(jw *w, const char *key, char **arr, size_t n) {
    jw_key(w, key);
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++) jw_str(w, arr[i]);
    jw_close(w, ']');
}

int shi_render_json(const shi_trace *t, FILE *out) {
    jw w = {.out = out, .language = t->language};
    jw_open(&w, '{');
    jw_key(&w, "format"); jw_str(&w, "stackheap-trace");
    jw_key(&w, "version"); jw_int(&w, SHI_JSON_VERSION);
    jw_key(&w, "program"); jw_str(&w, t->program);
    jw_key(&w, "language"); jw_str(&w, t->language);
    jw_strings(&w, "argv", t->argv, t->argc);
    jw_strings(&w, "source_files", t->source_files, t->nsources);
    jw_key(&w, "stack_limit"); if (t->stack_limit) jw_uint(&w, t->stack_limit); else jw_null(&w);
    jw_key(&w, "exit_code"); if (t->exit_code >= 0) jw_int(&w, t->exit_code); else jw_null(&w);
    jw_key(&w, "signal"); if (t->term_signal) jw_int(&w, t->term_signal); else jw_null(&w);
    jw_strings(&w, "leaks", t->leaks_text, t->nleaks);
    jw_key(&w, "steps");
    jw_open(&w, '[');
    for (size_t i = 0; i < t->nsteps; i++) json_step(&w, &t->steps[i]);
    jw_close(&w, ']');
    jw_close(&w, '}');
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}

/* ---- Online Python Tutor's format -------------------------------------------------------- */
/*
 * OPT's trace is "memoryless": each entry holds the whole state. C values are encoded as
 * OPT's C backend encodes them: ["C_DATA", addr, type, value], ["C_ARRAY", addr, elem...],
 * ["C_STRUCT", addr, type, [field, value]...], "<UNINITIALIZED>" for a value not yet set;
 * heap objects are keyed by their address, so a pointer's value finds its block.
 */

static void jw_addr_off(jw *w, uint64_t base, uint64_t off) { jw_addr(w, base + off); }

static const char *opt_scalar_type(const shi_value *v) {
    switch (v->kind) {
    case SHI_VAL_FLOAT: return "float";
    case SHI_VAL_BOOL: return "bool";
    case SHI_VAL_CHAR: return "char";
    case SHI_VAL_POINTER: return "pointer";
    default: return "int";
    }
}

static void opt_value(jw *w, const shi_value *v, uint64_t addr, const char *type);

/* An owning handle as the struct it is; field addresses follow the order shown (8 bytes
 * each), which is C's sh_string layout and not necessarily Rust's. */
static void opt_owned(jw *w, const shi_value *v, uint64_t addr, const char *type) {
    const shi_owned *o = &v->owned;
    jw_str(w, "C_STRUCT"); jw_addr(w, addr); jw_str(w, type ? type : "?");
    jw_open(w, '[');
    jw_str(w, "ptr");
    jw_open(w, '[');
    jw_str(w, "C_DATA"); jw_addr(w, addr); jw_str(w, "pointer"); jw_addr(w, o->ptr);
    jw_close(w, ']');
    jw_close(w, ']');
    if (o->kind == SHI_OWN_BOX) return;
    const char *names[2] = {"len", "cap"};
    uint64_t vals[2] = {o->len, o->cap};
    for (int i = 0; i < 2; i++) {
        jw_open(w, '[');
        jw_str(w, names[i]);
        jw_open(w, '[');
        jw_str(w, "C_DATA"); jw_addr_off(w, addr, 8u * (uint64_t)(i + 1)); jw_str(w, "int");
        jw_uint(w, vals[i]);
        jw_close(w, ']');
        jw_close(w, ']');
    }
}

static void opt_scalar(jw *w, const shi_value *v) {
    switch (v->kind) {
    case SHI_VAL_UNINIT: jw_str(w, "<UNINITIALIZED>"); break;
    case SHI_VAL_INT: jw_int(w, v->i); break;
    case SHI_VAL_UINT: jw_uint(w, v->u); break;
    case SHI_VAL_FLOAT: jw_float(w, v->f); break;
    case SHI_VAL_BOOL: jw_bool(w, v->b); break;
    case SHI_VAL_POINTER: jw_addr(w, v->addr); break;
    case SHI_VAL_CHAR: {
        char *text = shi_render_value_text(v);
        jw_str(w, text);
        free(text);
        break;
    }
    default: jw_str(w, "<UNREADABLE>"); break;
    }
}

static void opt_value(jw *w, const shi_value *v, uint64_t addr, const char *type) {
    jw_open(w, '[');
    if (v->kind == SHI_VAL_OWNED) {
        opt_owned(w, v, addr, type);
    } else if (v->kind == SHI_VAL_STRUCT) {
        jw_str(w, "C_STRUCT"); jw_addr(w, addr); jw_str(w, type ? type : "struct");
        for (size_t i = 0; i < v->nfields; i++) {
            jw_open(w, '[');
            jw_str(w, v->fields[i].name ? v->fields[i].name : "?");
            opt_value(w, v->fields[i].value, addr, NULL);
            jw_close(w, ']');
        }
    } else if (v->kind == SHI_VAL_ARRAY) {
        jw_str(w, "C_ARRAY"); jw_addr(w, addr);
        for (size_t i = 0; i < v->nfields; i++) opt_value(w, v->fields[i].value, addr, NULL);
    } else {
        jw_str(w, "C_DATA"); jw_addr(w, addr);
        jw_str(w, v->kind == SHI_VAL_UNINIT ? "int" : opt_scalar_type(v));
        opt_scalar(w, v);
    }
    jw_close(w, ']');
}

/* The owner of block `bi` (its handle says how to read the bytes), or NULL. */
static const shi_value *opt_owner(const shi_step *s, int64_t bi) {
    for (size_t f = 0; f < s->nframes; f++)
        for (size_t i = 0; i < s->frames[f].nvars; i++) {
            const shi_value *v = &s->frames[f].vars[i].value;
            if (v->kind == SHI_VAL_OWNED && !v->owned.stale && v->target_block == bi) return v;
        }
    return NULL;
}

static uint64_t read_le(const shi_block *b, size_t off, size_t size) {
    uint64_t bits = 0;
    for (size_t k = 0; k < size && off + k < b->nbytes; k++)
        bits |= (uint64_t)b->bytes[off + k] << (8 * k);
    return bits;
}

/* One element of a block: an int read from its bytes, "<UNINITIALIZED>" past len. */
static void opt_elem(jw *w, const shi_block *b, size_t i, size_t size, bool live,
                     const char *type) {
    jw_open(w, '[');
    jw_str(w, "C_DATA"); jw_addr_off(w, b->addr, (uint64_t)i * size); jw_str(w, type);
    if (!live || (i + 1) * size > b->nbytes) jw_str(w, "<UNINITIALIZED>");
    else if (strcmp(type, "char") == 0) jw_strn(w, (const char *)b->bytes + i, 1);
    else {
        int shift = 64 - 8 * (int)size;
        jw_int(w, (int64_t)(read_le(b, i * size, size) << shift) >> shift);
    }
    jw_close(w, ']');
}

static void opt_block(jw *w, const shi_step *s, int64_t bi) {
    const shi_block *b = &s->blocks[bi];
    const shi_value *owner = opt_owner(s, bi);
    const shi_owned *o = owner ? &owner->owned : NULL;
    size_t esize = o && o->elem_size >= 1 && o->elem_size <= 8 ? o->elem_size : 1;
    char key[24];
    snprintf(key, sizeof key, "0x%" PRIx64, b->addr);
    jw_key(w, key);
    if (o && o->kind == SHI_OWN_BOX) {  /* one value, no array around it */
        opt_elem(w, b, 0, esize, true, "int");
        return;
    }
    const char *type = o && o->kind == SHI_OWN_STRING ? "char" : o ? "int" : "unsigned char";
    size_t count = o ? (size_t)(o->cap > o->len ? o->cap : o->len) : b->nbytes;
    if (count > 256) count = 256;  /* OPT draws every element: keep the page usable */
    jw_open(w, '[');
    jw_str(w, "C_ARRAY"); jw_addr(w, b->addr);
    for (size_t i = 0; i < count; i++) opt_elem(w, b, i, esize, !o || i < o->len, type);
    jw_close(w, ']');
}

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

static void opt_frame(jw *w, const shi_frame *f, uint64_t id, bool top) {
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
    jw_key(w, "line"); jw_int(w, f->line);
    jw_key(w, "encoded_locals");
    jw_open(w, '{');
    char key[256];
    for (size_t i = 0; i < f->nvars; i++) {
        opt_var_key(f, i, key, sizeof key);
        jw_key(w, key);
        opt_value(w, &f->vars[i].value, f->vars[i].addr, f->vars[i].type);
    }
    jw_close(w, '}');
    jw_key(w, "ordered_varnames");
    jw_open(w, '[');
    for (size_t i = 0; i < f->nvars; i++) {
        opt_var_key(f, i, key, sizeof key);
        jw_str(w, key);
    }
    jw_close(w, ']');
    jw_close(w, '}');
}

/* OPT's event: "call" on a function's first step, "return" when one returned or the program
 * ended, "exception" when it was killed; every other step is a "step_line". */
static const char *opt_event(const shi_step *s, const char **ret_msg) {
    const char *ev = "step_line";
    for (size_t i = 0; i < s->nevents; i++) {
        switch (s->events[i].kind) {
        case SHI_EV_SIGNAL: *ret_msg = s->events[i].text ? s->events[i].text : "signal";
            return "exception";
        case SHI_EV_CALL: ev = "call"; break;
        case SHI_EV_RETURN: case SHI_EV_EXIT: if (strcmp(ev, "call") != 0) ev = "return"; break;
        default: break;
        }
    }
    return ev;
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

static void opt_step(jw *w, const shi_step *s, const opt_ids *ids, const char *stdout_so_far,
                     size_t stdout_len) {
    const char *msg = NULL;
    const char *ev = opt_event(s, &msg);
    jw_open(w, '{');
    jw_key(w, "line"); jw_int(w, s->line);
    jw_key(w, "event"); jw_str(w, ev);
    if (msg) { jw_key(w, "exception_msg"); jw_str(w, msg); }
    jw_key(w, "func_name");
    jw_str(w, s->nframes ? s->frames[s->nframes - 1].function : "<none>");
    jw_key(w, "globals"); jw_open(w, '{'); jw_close(w, '}');
    jw_key(w, "ordered_globals"); jw_open(w, '['); jw_close(w, ']');
    jw_key(w, "stack_to_render");
    jw_open(w, '[');
    for (size_t d = 0; d < s->nframes; d++)
        opt_frame(w, &s->frames[d], ids->ids[d], d + 1 == s->nframes);
    jw_close(w, ']');
    jw_key(w, "heap");
    jw_open(w, '{');
    for (size_t i = 0; i < s->nblocks; i++) opt_block(w, s, (int64_t)i);
    jw_close(w, '}');
    jw_key(w, "stdout"); jw_strn(w, stdout_so_far ? stdout_so_far : "", stdout_len);
    jw_close(w, '}');
}

/* The first source file's text: OPT shows it beside the trace. */
static char *read_source(const shi_trace *t, size_t *ret_len) {
    *ret_len = 0;
    if (!t->nsources) return NULL;
    FILE *f = fopen(t->source_files[0], "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            char *p = realloc(buf, cap);
            if (!p) { free(buf); fclose(f); return NULL; }
            buf = p;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    *ret_len = n;
    return buf;
}

/* Appends the step's program output to the cumulative stdout OPT wants in every entry. */
static void append_output(char **buf, size_t *len, const shi_step *s) {
    for (size_t i = 0; i < s->nevents; i++) {
        const shi_event *e = &s->events[i];
        if (e->kind != SHI_EV_OUTPUT || !e->text) continue;
        size_t n = strlen(e->text);
        char *p = realloc(*buf, *len + n + 1);
        if (!p) SHI_PANIC("trace: out of memory");
        memcpy(p + *len, e->text, n + 1);
        *buf = p;
        *len += n;
    }
}

int shi_render_pytutor(const shi_trace *t, FILE *out) {
    jw w = {.out = out};
    size_t code_len;
    char *code = read_source(t, &code_len);
    jw_open(&w, '{');
    jw_key(&w, "code"); jw_strn(&w, code ? code : "", code_len);
    free(code);
    jw_key(&w, "trace");
    jw_open(&w, '[');
    opt_ids ids = {0};
    char *so_far = NULL;
    size_t so_far_len = 0;
    for (size_t i = 0; i < t->nsteps; i++) {
        const shi_step *s = &t->steps[i];
        opt_assign_ids(&ids, i ? &t->steps[i - 1] : NULL, s);
        append_output(&so_far, &so_far_len, s);
        opt_step(&w, s, &ids, so_far, so_far_len);
    }
    free(ids.ids);
    free(so_far);
    jw_close(&w, ']');
    jw_close(&w, '}');
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}
