/*
 * src/trace/debuginfo/dwarf_internal.h — what the dwarf*.c files share: the reader's state and the
 * small DIE helpers. Nothing here is for the tracer; it uses dwarf.h.
 */
#ifndef SH_TRACE_DWARF_INTERNAL_H
#define SH_TRACE_DWARF_INTERNAL_H

#include <libelf.h>

#include "trace/debuginfo/dwarf.h"

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
    char opt_level[16];      /* main's unit was built with this -O flag ("-O2"), or
                                SHI_OPT_UNKNOWN; "" for -O0 */
    bool lines_only;         /* no variables, no types: -g1, -gline-tables-only */
    struct shi_dwarf_vtable *vtables;   /* Rust: the user's units' `<T as Trait>::{vtable}`s */
    size_t nvtables;
    struct shi_dwarf_memo *memo;   /* dwarf_vars.c: answers found once (behind a pointer, so
                                      that readers holding a const shi_dwarf fill it too) */
};

/* The memo (dwarf_vars.c, dwarf.c). A trace asks the same questions at every stop: the
 * variables in scope at the pcs of its breakpoints, the names of their types, the line at
 * a pc. Walking the scopes and spelling the names was 40 % of the tracer's own time on a
 * loop, the line 5 % more; the answers depend on the DWARF alone, so each is found once.
 * The tables are sorted by key (a few hundred entries: the pcs stopped at, the types shown). */
typedef struct memo_name {
    const void *die;      /* the type DIE's address in the loaded section: unique */
    char *name;
} memo_name;

typedef struct memo_scope {
    uint64_t pc;
    int count;            /* shi_dwarf_vars_at's answer: -1 (no user function) or how many */
    shi_dwarf_var *vars;  /* their type_name owned here */
    size_t cap;
} memo_scope;

typedef struct memo_line {
    uint64_t pc;
    bool ok;
    const char *file;     /* shi_dwarf_line_at's answer */
    int line;
} memo_line;

struct shi_dwarf_memo {
    memo_line *lines;
    size_t nlines, cap_lines;
    memo_name *names;
    size_t nnames, cap_names;
    memo_scope *scopes;
    size_t nscopes, cap_scopes;
};

/* The index of key in a table sorted by `field`, or where it goes (*ret_found false). */
#define MEMO_FIND(arr, n, field, key, ret_found) __extension__({ \
    size_t lo_ = 0, hi_ = (n); \
    while (lo_ < hi_) { \
        size_t mid_ = lo_ + (hi_ - lo_) / 2; \
        if ((arr)[mid_].field < (key)) lo_ = mid_ + 1; else hi_ = mid_; \
    } \
    *(ret_found) = lo_ < (n) && (arr)[lo_].field == (key); \
    lo_; })

/* dwarf_vars.c: the memo's life, from shi_dwarf_open to shi_dwarf_close. */
struct shi_dwarf_memo *shi_dwarf_memo_new(void);
void shi_dwarf_memo_free(struct shi_dwarf_memo *m);

/* A Rust trait object's vtable: where it lies (relative to the load base) and the concrete
 * type it was made for (its vtable_type's DW_AT_containing_type). */
typedef struct shi_dwarf_vtable {
    uint64_t addr;
    Dwarf_Off type;
} shi_dwarf_vtable;

/* The value reader's state, shared by dwarf_value.c and dwarf_rust_std.c. */
typedef struct shi_dwarf_reader {
    const shi_dwarf *d;
    const shi_dwarf_target *t;
} shi_dwarf_reader;

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
const char *shi_dwarf_decl_file(Dwarf_Die *die);
shi_field *shi_dwarf_field_at(shi_value *out, const char *name, uint64_t base, uint64_t off,
                              size_t size);

/* dwarf_statics.c: fills d->statics (at open) and frees it (at close). */
void shi_dwarf_load_statics(shi_dwarf *d);
void shi_dwarf_free_statics(shi_dwarf *d);

/* dwarf_value.c's decoding, for dwarf_rust_std.c: any value by its type (as read_value,
 * `depth` levels down); a member path's type and offset ("buf", "inner", "ptr"); the first
 * scalar at offset 0 down Rust's wrappers (NonNull { pointer }, Cell { value }); a generic's
 * template type parameter; an owned handle's element (name, size, DIE) set from a type. */
int shi_dwarf_read_any(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                       shi_value *out, int depth);
bool shi_dwarf_member_path(Dwarf_Die *agg, const char *const *path, Dwarf_Die *ret_type,
                           uint64_t *ret_off);
bool shi_dwarf_read_scalar(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                           uint64_t *ret, Dwarf_Die *ret_scalar);
bool shi_dwarf_template_param(Dwarf_Die *type, const char *name, Dwarf_Die *ret);
void shi_dwarf_set_elem(const shi_dwarf_reader *r, shi_value *out, Dwarf_Die *elem);
/* A wrapper read as the one member it wraps (std::array's _M_elems, std::optional's _M_value,
 * Rust's Cell's value.value): the member of type `mtype` at addr + off read into `out`, `out`
 * keeping its type name (the wrapper's) and lying at `addr`. */
int shi_dwarf_read_member_as(const shi_dwarf_reader *r, Dwarf_Die *mtype, uint64_t addr,
                             uint64_t off, shi_value *out, int depth);
/* A block holding `n` `elem`s (a type name; NULL: "?") at `at`: an array, named as the
 * program's language writes one (C++: int[4]; Rust: [i32; 4]); its elements are the
 * caller's. */
void shi_dwarf_array_block(const shi_dwarf *d, shi_value *out, const char *elem, uint64_t n,
                           uint64_t at);

/* dwarf_rust_std.c: Rust's Rc/Arc/Weak, Cell/RefCell, Box<dyn Trait>, Box<[T]>, HashMap,
 * HashSet and VecDeque. Which of them `type` (peeled) is, 0 for none; reading a value of
 * that kind (the handle, as read_value would); decoding the block a handle of theirs holds
 * (shi_dwarf_read_owned_block's part for them: -2 if `o` is not theirs). */
int shi_rust_std_kind(const shi_dwarf_reader *r, Dwarf_Die *type);
int shi_rust_std_read(const shi_dwarf_reader *r, int kind, Dwarf_Die *type, uint64_t addr,
                      shi_value *out, int depth);
int shi_rust_std_read_block(const shi_dwarf_reader *r, const shi_owned *o, shi_value *out);
/* Where the RawVec `buf` of a Vec or VecDeque (`owner`) keeps its buffer: the types and
 * offsets from owner's start of [0] ptr and [1] cap, whichever rustc's layout it is. */
bool shi_rust_raw_vec(Dwarf_Die *owner, Dwarf_Die ret_type[2], uint64_t ret_off[2]);
/* At open and close: the vtables of the user's units. */
void shi_rust_std_load_vtables(shi_dwarf *d);
void shi_rust_std_free_vtables(shi_dwarf *d);
/* dwarf_cxx_dyn.c: C++'s vtables (into the same array; freed by shi_rust_std_free_vtables),
 * and the dynamic type of the polymorphic object at addr (a Circle its Shape pointer holds),
 * false if it is its static type or not known; `room`: the bytes it may take. */
void shi_cxx_load_vtables(shi_dwarf *d);
bool shi_cxx_dynamic_type(const shi_dwarf *d, const shi_dwarf_target *t, Dwarf_Die *type,
                          uint64_t addr, size_t room, Dwarf_Die *ret);

/* dwarf_cxx_std.c: libstdc++'s std::string, vector, unique_ptr, shared_ptr, weak_ptr, map,
 * set, unordered_map, unordered_set and their nodes, as dwarf_rust_std.c does Rust's: which
 * of them `type` (peeled) is, 0 for none; reading a value of that kind; decoding the block
 * a handle of theirs holds (-2 if not theirs: a vector's and a unique_ptr's are Rust's Vec's
 * and Box's). The size of a type clang++ gives as a declaration only (std::string: 32), 0
 * for others. Whether a handle holds its data in itself (a short string). A C++ type's
 * name as a learner writes it: std::vector<int>, std::map<std::string, int> (malloc'd). */
int shi_cxx_std_kind(const shi_dwarf_reader *r, Dwarf_Die *type);
int shi_cxx_std_read(const shi_dwarf_reader *r, int kind, Dwarf_Die *type, uint64_t addr,
                     shi_value *out, int depth);
int shi_cxx_std_read_block(const shi_dwarf_reader *r, const shi_owned *o, shi_value *out);
size_t shi_cxx_std_decl_size(Dwarf_Die *type);
bool shi_cxx_std_inline(const shi_value *v);
/* A block a handle reaches besides its own: an unordered_map's bucket array (`ctrl`), where
 * it starts and its element type (a pointer to a node's base), for heap_types to type. */
bool shi_cxx_std_side_block(const shi_dwarf *d, const shi_owned *o, uint64_t *ret_addr,
                            Dwarf_Off *ret_elem);
char *shi_cxx_type_name(Dwarf_Die *type);
/* dwarf_value.c: `len` chars at addr as C writes a string ("abc", escaped as gdb does). */
void shi_dwarf_c_text(const shi_dwarf_reader *r, uint64_t addr, uint64_t len, shi_value *out);

/* dwarf_eval.c: `size` (1..8) bytes of the target's memory, little-endian, zero-extended. */
bool shi_dwarf_read_uint(const shi_dwarf_target *t, uint64_t addr, size_t size, uint64_t *ret);

#endif
