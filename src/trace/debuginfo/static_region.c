/*
 * src/trace/debuginfo/static_region.c — the Static/Global region of a step (static_region.h).
 */
#include "trace/debuginfo/static_region.h"
#include "core/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    LITERAL_MAX = 256,   /* bytes of a literal measured */
    LITERAL_SHOWN = 16,  /* its chars kept as elements (the NUL too), as arrays keep 16 */
    ARGS_MAX = 64        /* arguments shown */
};

static bool no_reg(void *arg, int regno, uint64_t *ret) {
    (void)arg; (void)regno; (void)ret;
    return false;
}

static void read_variables(const shi_static_reader *r, shi_step *s) {
    size_t n;
    const shi_dwarf_static *st = shi_dwarf_statics(r->d, &n);
    shi_dwarf_target t = {.read_reg = no_reg, .read_mem = r->read_mem, .arg = r->arg,
                          .load_bias = r->bias};
    for (size_t i = 0; i < n; i++) {
        shi_var *v = shi_step_add_static(s, st[i].name, st[i].type_name, st[i].size,
                                         st[i].function);
        v->addr = r->bias + st[i].addr;
        Dwarf_Die type;
        if (!dwarf_offdie(shi_dwarf_handle(r->d), st[i].type, &type) ||
            shi_dwarf_read_value(r->d, &type, v->addr, &t, &v->value) != 0)
            v->value.kind = SHI_VAL_UNREADABLE;
    }
}

/* The region's variable holding addr, or -1. */
static int64_t static_of(const shi_step *s, uint64_t addr) {
    for (size_t i = 0; i < s->statics.nvars; i++) {
        const shi_var *v = &s->statics.vars[i];
        if (v->addr && addr >= v->addr && addr < v->addr + (v->size ? v->size : 1))
            return (int64_t)i;
    }
    return -1;
}

typedef struct literals {
    uint64_t *addr;
    const char **quoted;   /* in the pointer's text */
    size_t n, cap;
} literals;

/* A C char pointer's text is its address and the string, 0x555555556010 "hi": the string. */
static const char *string_part(const shi_value *v) {
    const char *q = v->text ? strchr(v->text, ' ') : NULL;
    return q && q[1] == '"' ? q + 1 : NULL;
}

/* Char pointers into the executable, past every variable: string literals. */
static void find_literals(const shi_static_reader *r, const shi_step *s, const shi_value *v,
                          literals *out) {
    if (v->kind == SHI_VAL_POINTER && string_part(v) && v->addr && v->target_block < 0 &&
        v->addr >= r->exe_start && v->addr < r->exe_end && static_of(s, v->addr) < 0) {
        for (size_t i = 0; i < out->n; i++)
            if (out->addr[i] == v->addr) return;
        if (out->n == out->cap) {   /* two arrays, one capacity */
            SHI_GROW(out->addr, out->cap, out->n + 1);
            SHI_RESIZE(out->quoted, out->cap);
        }
        out->quoted[out->n] = string_part(v);
        out->addr[out->n++] = v->addr;
    }
    for (size_t i = 0; i < v->nfields; i++) find_literals(r, s, v->fields[i].value, out);
}

/* The text at addr as a variable of the region (a literal, an argument), named by its text
 * as the pointer's own text writes it ("hi\t", gdb's escapes), a char array of its bytes up
 * to the NUL. */
static shi_var *add_text(const shi_static_reader *r, shi_step *s, uint64_t addr,
                         const char *quoted) {
    unsigned char bytes[LITERAL_SHOWN];
    char c = 1, type[32], text[8];
    size_t len = 0;
    while (len < LITERAL_MAX && r->read_mem(r->arg, addr + len, &c, 1) && c) {
        if (len < LITERAL_SHOWN) bytes[len] = (unsigned char)c;
        len++;
    }
    snprintf(type, sizeof type, "char[%zu]", len + 1);
    shi_var *v = shi_step_add_static(s, quoted, type, len + 1, NULL);
    v->addr = addr;
    v->value.kind = SHI_VAL_ARRAY;   /* a char array, as read_value gives one */
    v->value.at = addr;
    v->value.type = shi_trace_strdup(type);
    size_t shown = len + 1 < LITERAL_SHOWN ? len + 1 : LITERAL_SHOWN;
    for (size_t i = 0; i < shown; i++) {
        shi_field *f = shi_value_add_field(&v->value, NULL);
        unsigned char b = i < len ? bytes[i] : 0;
        bool plain = b >= 0x20 && b < 0x7f && b != '\'' && b != '\\';
        if (plain) snprintf(text, sizeof text, "'%c'", b);
        else snprintf(text, sizeof text, "'\\%03o'", b);   /* '\000', as C values write it */
        shi_value_set_char(f->value, b, text);
        f->value->type = shi_trace_strdup("char");
        f->value->at = addr + i;
        f->offset = i;
        f->size = 1;
    }
    v->value.truncated = len + 1 - shown;
    shi_value_set_text(&v->value, quoted);
    return v;
}

/* Whether literal i starts inside another one the step reaches, before that one's NUL: a
 * pointer walking "ab" (hash's `s++`) reaches "b", which is not a literal of its own; it
 * links to "ab" by its address (link, static_of). */
static bool inside_other(const shi_static_reader *r, const literals *lit, size_t i) {
    for (size_t k = 0; k < lit->n; k++) {
        uint64_t a = lit->addr[k];
        if (a >= lit->addr[i] || lit->addr[i] - a > LITERAL_MAX) continue;
        char c = 1;
        uint64_t at = a;
        while (at < lit->addr[i] && r->read_mem(r->arg, at, &c, 1) && c) at++;
        if (at == lit->addr[i]) return true;
    }
    return false;
}

/* Adds the literals found, those inside another left out. */
static void add_literals(const shi_static_reader *r, shi_step *s, const literals *lit) {
    for (size_t i = 0; i < lit->n; i++)
        if (!inside_other(r, lit, i)) add_text(r, s, lit->addr[i], lit->quoted[i])->literal = true;
}

/* The program's arguments, when main takes them: the array its `char **` parameter points
 * to, up to its NULL (decoded element by element as `char *`, as the frame's own pointers
 * are), named argv, and each text it points to. exec put them above the stack, outside any
 * frame: the lesson draws them with the static data, as values that live the whole run. */
static void add_arguments(const shi_static_reader *r, shi_step *s) {
    const shi_frame *main_frame = s->nframes ? &s->frames[0] : NULL;
    if (!main_frame || !main_frame->function || strcmp(main_frame->function, "main") != 0)
        return;
    const shi_var *argv = NULL;
    for (size_t i = 0; i < main_frame->nvars && !argv; i++) {
        const shi_var *v = &main_frame->vars[i];
        if (v->is_param && v->value.kind == SHI_VAL_POINTER && v->value.addr &&
            v->value.pointee && v->type && strcmp(v->type, "char **") == 0)
            argv = v;
    }
    Dwarf_Die elem;
    if (!argv || !dwarf_offdie(shi_dwarf_handle(r->d), argv->value.pointee, &elem)) return;
    uint64_t base = argv->value.addr, word = 1;
    size_t n = 0;
    while (n < ARGS_MAX && r->read_mem(r->arg, base + 8 * n, &word, 8) && word) n++;
    if (word) return;   /* no NULL where the array should end: not exec's array */
    char type[32];
    snprintf(type, sizeof type, "char *[%zu]", n + 1);
    shi_var *arr = shi_step_add_static(s, "argv", type, 8 * (n + 1), NULL);
    arr->addr = base;
    arr->argument = true;
    arr->value.kind = SHI_VAL_ARRAY;
    arr->value.at = base;
    arr->value.type = shi_trace_strdup(type);
    shi_dwarf_target t = {.read_reg = no_reg, .read_mem = r->read_mem, .arg = r->arg,
                          .load_bias = r->bias};
    for (size_t i = 0; i <= n; i++) {
        shi_field *f = shi_value_add_field(&arr->value, NULL);
        f->offset = 8 * i;
        f->size = 8;
        if (shi_dwarf_read_value(r->d, &elem, base + 8 * i, &t, f->value) != 0)
            f->value->kind = SHI_VAL_UNREADABLE;
    }
    /* the texts after the array: adding variables moves the array (s->statics grows) */
    size_t at = (size_t)(arr - s->statics.vars);
    for (size_t i = 0; i < n; i++) {
        const shi_value *p = s->statics.vars[at].value.fields[i].value;
        if (p->kind != SHI_VAL_POINTER || !string_part(p)) continue;
        char *quoted = shi_trace_strdup(string_part(p));
        add_text(r, s, p->addr, quoted)->argument = true;
        free(quoted);
    }
}

static void link(shi_step *s, shi_value *v) {
    if (v->kind == SHI_VAL_POINTER)
        v->target_static = v->addr && v->target_block < 0 ? static_of(s, v->addr) : -1;
    for (size_t i = 0; i < v->nfields; i++) link(s, v->fields[i].value);
}

void shi_static_region_link_value(const shi_static_reader *r, shi_step *s, shi_value *v) {
    literals lit = {0};
    find_literals(r, s, v, &lit);
    add_literals(r, s, &lit);
    free(lit.addr);
    free(lit.quoted);
    link(s, v);
}

void shi_static_region_read(const shi_static_reader *r, shi_step *s) {
    read_variables(r, s);
    add_arguments(r, s);
    literals lit = {0};
    for (size_t f = 0; f < s->nframes; f++)
        for (size_t i = 0; i < s->frames[f].nvars; i++)
            find_literals(r, s, &s->frames[f].vars[i].value, &lit);
    for (size_t i = 0; i < s->statics.nvars; i++)
        find_literals(r, s, &s->statics.vars[i].value, &lit);
    add_literals(r, s, &lit);
    free(lit.addr);
    free(lit.quoted);
    for (size_t f = 0; f < s->nframes; f++)
        for (size_t i = 0; i < s->frames[f].nvars; i++) link(s, &s->frames[f].vars[i].value);
    /* the region's pointers into the heap (a global list's head) link as the frames' do */
    for (size_t i = 0; i < s->statics.nvars; i++) {
        shi_step_link_value(s, &s->statics.vars[i].value);
        link(s, &s->statics.vars[i].value);
    }
}
