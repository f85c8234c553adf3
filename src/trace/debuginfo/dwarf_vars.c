/*
 * src/trace/debuginfo/dwarf_vars.c — the variables in scope at a pc and their types' names, spelled
 * as the program's language spells them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "trace/debuginfo/dwarf_internal.h"
#include "core/grow.h"
#include "core/panic.h"

/* ---- DIE helpers -------------------------------------------------------------------------- */

bool shi_dwarf_die_type(Dwarf_Die *die, Dwarf_Die *ret_type) {
    Dwarf_Attribute a;
    return dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, ret_type);
}

void shi_dwarf_peel(Dwarf_Die *type, Dwarf_Die *ret) {
    *ret = *type;
    for (int guard = 0; guard < 16; guard++) {
        int tag = dwarf_tag(ret);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
            tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
            return;
        Dwarf_Die next;
        if (!shi_dwarf_die_type(ret, &next)) return;
        *ret = next;
    }
}

uint64_t shi_dwarf_member_offset(Dwarf_Die *member) {
    Dwarf_Attribute a;
    Dwarf_Word off = 0;
    if (dwarf_attr(member, DW_AT_data_member_location, &a)) dwarf_formudata(&a, &off);
    return off;
}

static bool first_subrange(Dwarf_Die *array, Dwarf_Die *ret) {
    if (dwarf_child(array, ret) != 0) return false;
    do {
        if (dwarf_tag(ret) == DW_TAG_subrange_type) return true;
    } while (dwarf_siblingof(ret, ret) == 0);
    return false;
}

static bool subrange_count(Dwarf_Die *sub, uint64_t *ret_count) {
    Dwarf_Attribute a;
    Dwarf_Word v;
    if (dwarf_attr(sub, DW_AT_count, &a) && dwarf_formudata(&a, &v) == 0) {
        *ret_count = v;   /* Rust */
        return true;
    }
    if (dwarf_attr(sub, DW_AT_upper_bound, &a) && dwarf_formudata(&a, &v) == 0) {
        *ret_count = v + 1;   /* C, lower bound 0 */
        return true;
    }
    return false;
}

bool shi_dwarf_array_count(Dwarf_Die *array, uint64_t *ret_count) {
    Dwarf_Die sub;
    return first_subrange(array, &sub) && subrange_count(&sub, ret_count);
}

size_t shi_dwarf_type_size(Dwarf_Die *type) {
    Dwarf_Word size;
    Dwarf_Die t = *type;
    /* clang++ declares std::string without defining it: its size is the ABI's */
    return dwarf_aggregate_size(&t, &size) == 0 ? (size_t)size : shi_cxx_std_decl_size(&t);
}

/* ---- type names --------------------------------------------------------------------------- */

/* Drops every "ident::" path segment and the default allocator argument. */
char *shi_dwarf_rust_short_name(const char *name) {
    static const char global[] = ", alloc::alloc::Global";
    char *out = malloc(strlen(name) + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (const char *p = name; *p;) {
        if (strncmp(p, global, sizeof global - 1) == 0) { p += sizeof global - 1; continue; }
        if (isalpha((unsigned char)*p) || *p == '_') {
            const char *q = p;
            while (isalnum((unsigned char)*q) || *q == '_') q++;
            if (q[0] == ':' && q[1] == ':') { p = q + 2; continue; }
            memcpy(out + o, p, (size_t)(q - p));
            o += (size_t)(q - p);
            p = q;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = 0;
    return out;
}

static char *fmt(const char *a, const char *b, const char *c) {
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static char *type_name(const shi_dwarf *d, Dwarf_Die *type, int depth);

static char *inner_name(const shi_dwarf *d, Dwarf_Die *type, int depth) {
    Dwarf_Die inner;
    if (!shi_dwarf_die_type(type, &inner)) return fmt(d->lang == SHI_LANG_RUST ? "()" : "void", "", "");
    return type_name(d, &inner, depth + 1);
}

/* An array type's dimensions as C writes them after the name: "[3][3]", "[]" for one whose
 * count is not known. */
static void c_dims(Dwarf_Die *type, char *dims, size_t size) {
    size_t o = 0;
    dims[0] = 0;
    Dwarf_Die sub;
    bool ok = dwarf_child(type, &sub) == 0;
    for (; ok; ok = dwarf_siblingof(&sub, &sub) == 0) {
        uint64_t count = 0;
        if (dwarf_tag(&sub) != DW_TAG_subrange_type || o >= size - 24) continue;
        o += (size_t)(subrange_count(&sub, &count)
                          ? sprintf(dims + o, "[%llu]", (unsigned long long)count)
                          : sprintf(dims + o, "[]"));
    }
}

/* C: "int[9]", "int[3][3]"; Rust: "[i32; 9]". */
static char *array_name(const shi_dwarf *d, Dwarf_Die *type, int depth) {
    char *elem = inner_name(d, type, depth);
    if (!elem) return NULL;
    if (d->lang == SHI_LANG_RUST) {
        Dwarf_Die sub;
        uint64_t count = 0;
        if (first_subrange(type, &sub)) subrange_count(&sub, &count);
        char *s = malloc(strlen(elem) + 32);
        if (s) sprintf(s, "[%s; %llu]", elem, (unsigned long long)count);
        free(elem);
        return s;
    }
    char dims[160];
    c_dims(type, dims, sizeof dims);
    char *s = fmt(elem, dims, "");
    free(elem);
    return s;
}

static char *named_or(const shi_dwarf *d, Dwarf_Die *type, const char *c_keyword) {
    const char *name = dwarf_diename(type);
    if (d->lang == SHI_LANG_RUST) return shi_dwarf_rust_short_name(name ? name : "?");
    return fmt(c_keyword, " ", name ? name : "{...}");
}

static bool starts_with_word(const char *s, const char *word) {
    size_t n = strlen(word);
    return strncmp(s, word, n) == 0 && s[n] == ' ';
}

/* A base type's name as C writes it. clang names every complex type "complex": which one it
 * is, its size says (gcc writes "complex double"). */
static const char *base_name(Dwarf_Die *type, const char *name) {
    Dwarf_Word size;
    if (name && strcmp(name, "complex") == 0 && dwarf_aggregate_size(type, &size) == 0)
        return size == 8 ? "float _Complex" : size == 16 ? "double _Complex" : "long double _Complex";
    return name ? shi_c_base_name(name, false) : "?";
}

static char *c_decl(const shi_dwarf *d, Dwarf_Die *type, const char *decl, int depth);

/* A C function type's parameter list: "(int, char *)", "(void)", "(const char *, ...)". */
static char *c_params(const shi_dwarf *d, Dwarf_Die *fn, int depth) {
    char *list = fmt("(", "", ""), *next;
    Dwarf_Die c, t;
    Dwarf_Attribute a;
    bool any = false, ok = dwarf_child(fn, &c) == 0;
    for (; ok && list; ok = dwarf_siblingof(&c, &c) == 0) {
        char *p = NULL;
        if (dwarf_tag(&c) == DW_TAG_formal_parameter)
            p = shi_dwarf_die_type(&c, &t) ? c_decl(d, &t, "", depth + 1) : fmt("void", "", "");
        else if (dwarf_tag(&c) == DW_TAG_unspecified_parameters)
            p = fmt("...", "", "");
        if (!p) continue;
        next = fmt(list, any ? ", " : "", p);
        free(p);
        free(list);
        list = next;
        any = true;
    }
    bool prototyped = false;
    if (dwarf_attr(fn, DW_AT_prototyped, &a)) dwarf_formflag(&a, &prototyped);
    next = list ? fmt(list, any || !prototyped ? "" : "void", ")") : NULL;
    free(list);
    return next;
}

/* A C type spelled as a declaration of nothing, `decl` being what is declared so far
 * inside out: "int", "const char *", "char *const", "int[2][3]", "const int[3]",
 * "int (*)[3]", "int (*)(int, char *)", "struct point *". */
static char *c_decl(const shi_dwarf *d, Dwarf_Die *type, const char *decl, int depth) {
    Dwarf_Die inner;
    bool has_inner = shi_dwarf_die_type(type, &inner);
    char *s, *in;
    if (depth > 16) return fmt("...", "", "");
    switch (dwarf_tag(type)) {
    case DW_TAG_pointer_type: case DW_TAG_reference_type: case DW_TAG_rvalue_reference_type: {
        /* a pointer to an array or a function needs brackets: int (*)[3]; C++'s
         * references are written as such: const std::string & */
        int it = has_inner ? dwarf_tag(&inner) : 0;
        bool wrap = it == DW_TAG_array_type || it == DW_TAG_subroutine_type;
        const char *op = dwarf_tag(type) == DW_TAG_pointer_type   ? "*"
                         : dwarf_tag(type) == DW_TAG_reference_type ? "&" : "&&";
        char *p = wrap ? fmt("(", op, decl) : fmt(op, decl, "");
        if (p && wrap) {
            char *closed = fmt(p, ")", "");
            free(p);
            p = closed;
        }
        if (!p) return NULL;
        s = has_inner ? c_decl(d, &inner, p, depth + 1) : fmt("void ", p, "");
        free(p);
        return s;
    }
    case DW_TAG_const_type: case DW_TAG_volatile_type: case DW_TAG_restrict_type: {
        const char *q = dwarf_tag(type) == DW_TAG_const_type      ? "const"
                        : dwarf_tag(type) == DW_TAG_volatile_type ? "volatile"
                                                                  : "restrict";
        if (has_inner && dwarf_tag(&inner) == DW_TAG_pointer_type) {   /* char *const p */
            char *qd = fmt(q, decl[0] ? " " : "", decl);
            s = qd ? c_decl(d, &inner, qd, depth + 1) : NULL;
            free(qd);
            return s;
        }
        /* const int; an array's qualifier is its elements' (const int[3]); never twice */
        in = has_inner ? c_decl(d, &inner, decl, depth + 1) : fmt("void", decl[0] ? " " : "", decl);
        if (!in || starts_with_word(in, q)) return in;
        s = fmt(q, " ", in);
        free(in);
        return s;
    }
    case DW_TAG_array_type: {
        char dims[160];
        c_dims(type, dims, sizeof dims);
        char *ad = fmt(decl, dims, "");
        s = ad ? (has_inner ? c_decl(d, &inner, ad, depth + 1) : fmt("void", ad, "")) : NULL;
        free(ad);
        return s;
    }
    case DW_TAG_subroutine_type: {
        char *params = c_params(d, type, depth);
        char *fd = params ? fmt(decl, params, "") : NULL;
        free(params);
        s = fd ? (has_inner ? c_decl(d, &inner, fd, depth + 1) : fmt("void ", fd, "")) : NULL;
        free(fd);
        return s;
    }
    default: break;
    }
    const char *name = dwarf_diename(type);
    int tag = dwarf_tag(type);
    bool cxx_named = d->lang == SHI_LANG_CPP && name &&
                     (tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
                      tag == DW_TAG_union_type || tag == DW_TAG_enumeration_type ||
                      tag == DW_TAG_typedef);
    switch (cxx_named ? -1 : tag) {
    case -1: in = shi_cxx_type_name(type); break;   /* std::vector<int>, Node: no `struct ` */
    case DW_TAG_structure_type: in = named_or(d, type, "struct"); break;
    case DW_TAG_union_type: in = named_or(d, type, "union"); break;
    case DW_TAG_enumeration_type: in = named_or(d, type, "enum"); break;
    case DW_TAG_base_type: in = fmt(base_name(type, name), "", ""); break;
    default: in = fmt(name ? name : "?", "", ""); break;
    }
    if (!in) return NULL;
    /* "int *", "int[3]", "int (*)[3]" */
    s = fmt(in, decl[0] && decl[0] != '[' ? " " : "", decl);
    free(in);
    return s;
}

static char *qualified(const shi_dwarf *d, Dwarf_Die *type, int depth) {
    char *inner = inner_name(d, type, depth);
    char *s = inner ? fmt(dwarf_tag(type) == DW_TAG_const_type ? "const " : "volatile ", inner, "")
                    : NULL;
    free(inner);
    return s;
}

static char *type_name(const shi_dwarf *d, Dwarf_Die *type, int depth) {
    if (depth > 16) return fmt("...", "", "");
    if (SHI_LANG_IS_C_FAMILY(d->lang)) return c_decl(d, type, "", depth);
    const char *name = dwarf_diename(type);
    char *inner, *s;
    switch (dwarf_tag(type)) {
    case DW_TAG_structure_type: return named_or(d, type, "struct");
    case DW_TAG_union_type: return named_or(d, type, "union");
    case DW_TAG_enumeration_type: return named_or(d, type, "enum");
    case DW_TAG_array_type: return array_name(d, type, depth);
    case DW_TAG_const_type: case DW_TAG_volatile_type: return qualified(d, type, depth);
    case DW_TAG_pointer_type: case DW_TAG_reference_type:
        if (name) break;   /* Rust names its pointers: "&i32", "Box<i32, ...>" */
        inner = inner_name(d, type, depth);
        s = inner ? fmt(inner, " *", "") : NULL;
        free(inner);
        return s;
    case DW_TAG_subroutine_type: return fmt("fn", "", "");
    default: break;
    }
    if (!name) return fmt("?", "", "");
    return d->lang == SHI_LANG_RUST ? shi_dwarf_rust_short_name(name) : fmt(name, "", "");
}

/* ---- the memo ---------------------------------------------------------------------------- */

struct shi_dwarf_memo *shi_dwarf_memo_new(void) {
    struct shi_dwarf_memo *m = calloc(1, sizeof *m);
    if (!m) SHI_PANIC("trace: out of memory");
    return m;
}

void shi_dwarf_memo_free(struct shi_dwarf_memo *m) {
    if (!m) return;
    for (size_t i = 0; i < m->nnames; i++) free(m->names[i].name);
    free(m->lines);
    for (size_t i = 0; i < m->nscopes; i++) {
        for (int k = 0; k < m->scopes[i].count; k++) free((char *)m->scopes[i].vars[k].type_name);
        free(m->scopes[i].vars);
    }
    free(m->names);
    free(m->scopes);
    free(m);
}

char *shi_dwarf_type_name(const shi_dwarf *d, Dwarf_Die *type) {
    if (!type) return fmt(d->lang == SHI_LANG_RUST ? "()" : "void", "", "");
    if (!type->addr) return type_name(d, type, 0);
    struct shi_dwarf_memo *m = d->memo;
    bool found;
    size_t i = MEMO_FIND(m->names, m->nnames, die, (const void *)type->addr, &found);
    if (!found) {
        char *name = type_name(d, type, 0);
        SHI_GROW(m->names, m->cap_names, m->nnames + 1);
        memmove(m->names + i + 1, m->names + i, (m->nnames - i) * sizeof *m->names);
        m->names[i] = (memo_name){.die = type->addr, .name = name};
        m->nnames++;
    }
    size_t n = strlen(m->names[i].name) + 1;
    char *copy = malloc(n);
    return copy ? memcpy(copy, m->names[i].name, n) : NULL;
}

/* ---- variables in scope ------------------------------------------------------------------- */

/* rustc's println! leaves `args` locals (the format arguments) in the user's scope. A C++
 * method's `this` is the compiler's too, but the reader's: it stays. The flag is also the
 * abstract origin's (a constructor's concrete copies name their parameters through it). */
static bool is_compiler_made(const shi_dwarf *d, Dwarf_Die *var, const char *type_text) {
    Dwarf_Attribute a;
    bool artificial = false;
    const char *name = dwarf_diename(var);
    if (dwarf_attr_integrate(var, DW_AT_artificial, &a) && dwarf_formflag(&a, &artificial) == 0 &&
        artificial && !(d->lang == SHI_LANG_CPP && name && strcmp(name, "this") == 0))
        return true;
    if (!name) return true;
    if (d->lang != SHI_LANG_RUST) return false;
    if (strcmp(name, "args") != 0) return false;
    /* [Argument; N] or a tuple of references to the printed values */
    return strstr(type_text, "Argument") || strncmp(type_text, "(&", 2) == 0;
}

typedef struct walk {
    const shi_dwarf *d;
    uint64_t pc;
    shi_dwarf_var_fn fn;
    void *arg;
    const Dwarf_Op *fb;
    size_t nfb;
    int count;
    bool stop;
} walk;

/* The register of the expression's DW_OP_entry_value (gcc -O2's parameter once the
 * register that brought it is reused), -1 if none: libdw gives the inner expression only
 * through the attribute. */
static int entry_register(Dwarf_Attribute *loc_attr, Dwarf_Op *ops, size_t nops) {
    for (size_t i = 0; i < nops; i++) {
        Dwarf_Attribute inner;
        Dwarf_Op *in;
        size_t n;
        if (ops[i].atom != DW_OP_entry_value && ops[i].atom != DW_OP_GNU_entry_value) continue;
        if (dwarf_getlocation_attr(loc_attr, &ops[i], &inner) != 0 ||
            dwarf_getlocation(&inner, &in, &n) != 0 || n != 1)
            return -1;
        if (in[0].atom >= DW_OP_reg0 && in[0].atom <= DW_OP_reg31) return in[0].atom - DW_OP_reg0;
        return in[0].atom == DW_OP_regx ? (int)in[0].number : -1;
    }
    return -1;
}

static void give_var(walk *w, Dwarf_Die *var, bool is_param, bool not_yet) {
    shi_dwarf_var v = {.die = *var, .is_param = is_param, .name = dwarf_diename(var),
                       .frame_base = w->fb, .nframe_base = w->nfb, .not_yet = not_yet};
    bool typed = shi_dwarf_die_type(var, &v.type);
    char *tname = shi_dwarf_type_name(w->d, typed ? &v.type : NULL);
    if (!tname || is_compiler_made(w->d, var, tname)) { free(tname); return; }
    v.type_name = tname;
    v.size = typed ? shi_dwarf_type_size(&v.type) : 0;
    dwarf_decl_line(var, &v.decl_line);
    Dwarf_Attribute a;
    Dwarf_Op *ops;
    size_t nops;
    v.entry_regno = -1;
    bool located = dwarf_attr_integrate(var, DW_AT_location, &a) &&
                   dwarf_getlocation_addr(&a, w->pc, &ops, &nops, 1) == 1;
    if (located) {
        v.loc = ops;
        v.nloc = nops;
        v.entry_regno = entry_register(&a, ops, nops);
    }
    /* optimised code may keep no place for a variable whose value it knew: x = 5 */
    Dwarf_Attribute ca;
    Dwarf_Block blk;
    Dwarf_Sword sw;
    if (!v.loc && dwarf_attr_integrate(var, DW_AT_const_value, &ca)) {
        if (dwarf_formblock(&ca, &blk) == 0) {
            v.const_block = blk.data;
            v.const_size = blk.length;
            v.has_const = true;
        } else if (dwarf_formsdata(&ca, &sw) == 0) {
            v.const_word = (uint64_t)sw;   /* its low bytes are the value's, signed or not */
            v.const_size = 8;
            v.has_const = true;
        }
    }
    /* a `static` local, or a const array gcc put in .rodata: the static region's */
    if (located && shi_dwarf_loc_static_addr(&a, v.loc, v.nloc, NULL)) { free(tname); return; }
    w->count++;
    if (w->fn && w->fn(&v, w->arg) != 0) w->stop = true;
    free(tname);
}

/* The lowest address of a block, whether it has low_pc/high_pc or DW_AT_ranges. */
static bool block_start(Dwarf_Die *block, Dwarf_Addr *ret) {
    if (dwarf_lowpc(block, ret) == 0) return true;
    Dwarf_Addr base, start, end;
    ptrdiff_t off = 0;
    bool found = false;
    while ((off = dwarf_ranges(block, off, &base, &start, &end)) > 0)
        if (!found || start < *ret) *ret = start, found = true;
    return found;
}

/* Rust's `let`s each open a block nested in the one before; at a pc before the next `let`
 * its variables are out of scope, yet they are in the frame already, as the lesson draws
 * `sum = ?` while add() runs. The chain of first blocks starting past the pc gives them. */
static void give_later(walk *w, Dwarf_Die *scope, int depth) {
    Dwarf_Die child, next;
    bool has_next = false;
    if (depth > 64 || dwarf_child(scope, &child) != 0) return;
    do {
        int tag = dwarf_tag(&child);
        Dwarf_Addr start;
        if (tag == DW_TAG_variable)
            give_var(w, &child, false, true);
        else if (tag == DW_TAG_lexical_block && !has_next && block_start(&child, &start) &&
                 start > w->pc)
            next = child, has_next = true;
    } while (!w->stop && dwarf_siblingof(&child, &child) == 0);
    if (has_next && !w->stop) give_later(w, &next, depth + 1);
}

/* Gives a scope's variables, then descends into the lexical block covering the pc (every
 * Rust `let` opens one). Inlined code's variables are its callee's: not descended into. */
static void give_scope(walk *w, Dwarf_Die *scope, int depth) {
    Dwarf_Die child, inner, later;
    bool has_inner = false, has_later = false;
    if (depth > 64 || dwarf_child(scope, &child) != 0) return;
    do {
        int tag = dwarf_tag(&child);
        Dwarf_Addr start;
        if (tag == DW_TAG_formal_parameter || tag == DW_TAG_variable)
            give_var(w, &child, tag == DW_TAG_formal_parameter, false);
        else if (tag == DW_TAG_lexical_block && !has_inner && dwarf_haspc(&child, w->pc) > 0)
            inner = child, has_inner = true;
        else if (tag == DW_TAG_lexical_block && !has_later && w->d->lang == SHI_LANG_RUST &&
                 block_start(&child, &start) && start > w->pc)
            later = child, has_later = true;
    } while (!w->stop && dwarf_siblingof(&child, &child) == 0);
    if (has_inner && !w->stop) give_scope(w, &inner, depth + 1);
    else if (has_later && !w->stop) give_later(w, &later, depth + 1);
}

static void set_frame_base(walk *w, Dwarf_Die *sub) {
    Dwarf_Attribute a;
    Dwarf_Op *ops;
    size_t nops;
    if (dwarf_attr_integrate(sub, DW_AT_frame_base, &a) &&
        dwarf_getlocation_addr(&a, w->pc, &ops, &nops, 1) == 1) {
        w->fb = ops;
        w->nfb = nops;
    }
}

/* The walk's variables into the memo's entry, their type names copied. */
static int keep_var(const shi_dwarf_var *v, void *arg) {
    memo_scope *e = arg;
    SHI_GROW(e->vars, e->cap, (size_t)e->count + 1);
    e->vars[e->count] = *v;
    e->vars[e->count].type_name = fmt(v->type_name, "", "");
    e->count++;
    return 0;
}

/* libdw's dwarf_getscopes gives up on rustc's units ("no address value"), and walking
 * down from the function's own DIE is cheaper anyway. */
static void find_vars(const shi_dwarf *d, memo_scope *e) {
    const shi_function *f = shi_dwarf_function_at(d, e->pc);
    Dwarf_Die sub;
    if (!f || !dwarf_offdie(d->dbg, f->die, &sub)) { e->count = -1; return; }
    walk w = {.d = d, .pc = e->pc, .fn = keep_var, .arg = e};
    set_frame_base(&w, &sub);
    give_scope(&w, &sub, 0);
}

int shi_dwarf_vars_at(const shi_dwarf *d, uint64_t pc_rel, shi_dwarf_var_fn fn, void *arg) {
    struct shi_dwarf_memo *m = d->memo;
    bool found;
    size_t i = MEMO_FIND(m->scopes, m->nscopes, pc, pc_rel, &found);
    if (!found) {
        memo_scope e = {.pc = pc_rel};
        find_vars(d, &e);
        SHI_GROW(m->scopes, m->cap_scopes, m->nscopes + 1);
        memmove(m->scopes + i + 1, m->scopes + i, (m->nscopes - i) * sizeof *m->scopes);
        m->scopes[i] = e;
        m->nscopes++;
    }
    const memo_scope *e = &m->scopes[i];
    if (e->count < 0) return -1;
    for (int k = 0; k < e->count; k++)
        if (fn && fn(&e->vars[k], arg) != 0) return k + 1;   /* as the walk counted */
    return e->count;
}
