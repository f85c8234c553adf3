/*
 * src/trace/dwarf_internal.h — what the dwarf*.c files share: the reader's state and the
 * small DIE helpers. Nothing here is for the tracer; it uses dwarf.h.
 */
#ifndef SH_TRACE_DWARF_INTERNAL_H
#define SH_TRACE_DWARF_INTERNAL_H

#include <libelf.h>

#include "trace/dwarf.h"

struct shi_dwarf {
    int fd;
    Elf *elf;
    Dwarf *dbg;
    shi_dwarf_lang lang;
    char *source_dir;        /* the directory of main's source: user files live under it */
    char **files;            /* the user's files, interned: shi_line.file points here */
    size_t nfiles;
    shi_line *lines;
    size_t nlines, lines_cap;
    shi_function *funcs;
    size_t nfuncs;
    Dwarf_Off *cus;          /* the user's compilation units (DIE offsets) */
    size_t ncus;
    Dwarf_Off main_die;
    shi_dwarf_static *statics;   /* see shi_dwarf_statics */
    size_t nstatics;
    char opt_level[8];       /* main's unit was built with this -O flag ("-O2"); "" for -O0 */
};

/* The DIE's DW_AT_type, typedefs and qualifiers kept; false if it has none (void). */
bool shi_dwarf_die_type(Dwarf_Die *die, Dwarf_Die *ret_type);
/* Follows typedef, const, volatile (and Rust's nothing) to the type that has the layout. */
void shi_dwarf_peel(Dwarf_Die *type, Dwarf_Die *ret);
/* A struct/union member's DW_AT_data_member_location (a constant); 0 if absent. */
uint64_t shi_dwarf_member_offset(Dwarf_Die *member);
/* Element count of an array type's first dimension: upper_bound + 1 (C) or count (Rust). */
bool shi_dwarf_array_count(Dwarf_Die *array, uint64_t *ret_count);
/* Every dimension of an array type, outermost first: C's int m[2][3] is one array type with
 * two subranges (2, 3). How many (at most `max`), 0 if one is unknown. */
size_t shi_dwarf_type_size(Dwarf_Die *type);
/* Rust spells paths in full: "alloc::vec::Vec<i32, alloc::alloc::Global>" -> "Vec<i32>". */
char *shi_dwarf_rust_short_name(const char *name);

/* Whether `file`, as the unit `cu` names it (maybe relatively), lies under main's directory. */
bool shi_dwarf_is_user_decl(const shi_dwarf *d, Dwarf_Die *cu, const char *file);

/* dwarf_statics.c: fills d->statics (at open) and frees it (at close). */
void shi_dwarf_load_statics(shi_dwarf *d);
void shi_dwarf_free_statics(shi_dwarf *d);

/* dwarf_eval.c: `size` (1..8) bytes of the target's memory, little-endian, zero-extended. */
bool shi_dwarf_read_uint(const shi_dwarf_target *t, uint64_t addr, size_t size, uint64_t *ret);

#endif
