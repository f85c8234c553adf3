/*
 * src/trace/debuginfo/dwarf_statics.c — the static region's variables: those of the user's units
 * whose location is a fixed address (DW_OP_addr, or clang's DW_OP_addrx). Globals and file statics are children of
 * the unit (Rust's statics: of its namespaces), a function's statics and the const locals
 * gcc moves to .rodata are children of the function or of a block inside it. Found once,
 * when the program is opened: a step only reads their bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "trace/debuginfo/dwarf_internal.h"
#include "core/grow.h"

bool shi_dwarf_loc_static_addr(Dwarf_Attribute *a, const Dwarf_Op *ops, size_t nops,
                               uint64_t *ret_addr) {
    if (!ops || nops != 1) return false;
    if (ops[0].atom == DW_OP_addr) {
        if (ret_addr) *ret_addr = ops[0].number;
        return true;
    }
    /* DWARF 5's DW_OP_addrx (clang's, for every global) holds an index into the unit's
     * .debug_addr, not the address: libdw resolves it through the attribute it came from. */
    if (ops[0].atom != DW_OP_addrx && ops[0].atom != DW_OP_GNU_addr_index) return false;
    Dwarf_Attribute entry;
    Dwarf_Addr addr;
    if (!a || dwarf_getlocation_attr(a, &ops[0], &entry) != 0 || dwarf_formaddr(&entry, &addr) != 0)
        return false;
    if (ret_addr) *ret_addr = addr;
    return true;
}

static bool is_artificial(Dwarf_Die *die) {
    Dwarf_Attribute a;
    bool yes = false;
    return dwarf_attr(die, DW_AT_artificial, &a) && dwarf_formflag(&a, &yes) == 0 && yes;
}

static void add_static(shi_dwarf *d, Dwarf_Die *cu, Dwarf_Die *var, const char *function) {
    Dwarf_Attribute a;
    Dwarf_Op *ops;
    size_t nops;
    uint64_t addr;
    /* the definition carries the location; a declaration (extern) does not */
    if (!dwarf_attr(var, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &nops) != 0 ||
        !shi_dwarf_loc_static_addr(&a, ops, nops, &addr) || is_artificial(var))
        return;
    Dwarf_Attribute na;
    const char *name = dwarf_attr_integrate(var, DW_AT_name, &na) ? dwarf_formstring(&na) : NULL;
    const char *file = shi_dwarf_decl_file(var);   /* follows DW_AT_specification */
    if (!name || !file || !shi_dwarf_is_user_decl(d, cu, file)) return;   /* libc's, std's */
    /* the compiler's (__func__) and stackheap's own macros' (sh_vec_push's shi_site_) */
    if (strncmp(name, "__", 2) == 0 || strncmp(name, "shi_", 4) == 0) return;
    for (size_t i = 0; i < d->nstatics; i++)   /* one object, seen twice (inlined code) */
        if (d->statics[i].addr == addr) return;
    Dwarf_Die type;
    bool typed = shi_dwarf_die_type(var, &type);
    SHI_RESIZE(d->statics, d->nstatics + 1);
    shi_dwarf_static *s = &d->statics[d->nstatics];
    *s = (shi_dwarf_static){.name = name, .function = function, .addr = addr,
                            .type_name = shi_dwarf_type_name(d, typed ? &type : NULL),
                            .size = typed ? shi_dwarf_type_size(&type) : 0,
                            .type = typed ? dwarf_dieoffset(&type) : 0, .file = file};
    dwarf_decl_line(var, &s->line);
    if (!s->type_name || !typed) { free(s->type_name); return; }
    d->nstatics++;
}

static void walk(shi_dwarf *d, Dwarf_Die *cu, Dwarf_Die *scope, const char *function, int depth) {
    Dwarf_Die child;
    if (depth > 32 || dwarf_child(scope, &child) != 0) return;
    do {
        switch (dwarf_tag(&child)) {
        case DW_TAG_variable: add_static(d, cu, &child, function); break;
        case DW_TAG_subprogram: walk(d, cu, &child, dwarf_diename(&child), depth + 1); break;
        case DW_TAG_lexical_block: walk(d, cu, &child, function, depth + 1); break;
        case DW_TAG_namespace: if (!function) walk(d, cu, &child, NULL, depth + 1); break;
        default: break;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
}

static bool declared_before(const shi_dwarf_static *a, const shi_dwarf_static *b) {
    int files = strcmp(a->file, b->file);
    return files < 0 || (files == 0 && a->line < b->line);
}

/* A unit's statics in the order of their declarations: gcc writes their DIEs so, clang
 * writes a function's statics with the function, before the globals declared after them. An
 * insertion sort: it is stable, and a unit has few. */
static void sort_declared(shi_dwarf_static *s, size_t n) {
    for (size_t i = 1; i < n; i++) {
        shi_dwarf_static x = s[i];
        size_t j = i;
        for (; j > 0 && declared_before(&x, &s[j - 1]); j--) s[j] = s[j - 1];
        s[j] = x;
    }
}

void shi_dwarf_load_statics(shi_dwarf *d) {
    for (size_t i = 0; i < d->ncus; i++) {
        Dwarf_Die cudie;
        size_t first = d->nstatics;
        if (dwarf_offdie(d->dbg, d->cus[i], &cudie)) walk(d, &cudie, &cudie, NULL, 0);
        sort_declared(d->statics + first, d->nstatics - first);
    }
}

void shi_dwarf_free_statics(shi_dwarf *d) {
    for (size_t i = 0; i < d->nstatics; i++) free(d->statics[i].type_name);
    free(d->statics);
    d->statics = NULL;
    d->nstatics = 0;
}

const shi_dwarf_static *shi_dwarf_statics(const shi_dwarf *d, size_t *ret_n) {
    *ret_n = d->nstatics;
    return d->statics;
}
