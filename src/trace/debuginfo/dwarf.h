/*
 * src/trace/debuginfo/dwarf.h — what the tracer learns from a program's debug information (elfutils
 * libdw): the user's source lines (where to put breakpoints), functions, the variables in
 * scope at a pc, where each one lives, and how to turn its bytes into a shi_value.
 *
 *     char err[256];
 *     shi_dwarf *d = shi_dwarf_open("build/examples/add", err, sizeof err);
 *     size_t n; const shi_line *lines = shi_dwarf_lines(d, &n);   // breakpoints: base + addr
 *     shi_dwarf_vars_at(d, pc - base, on_var, ctx);   // on_var: eval location, read value
 *     shi_dwarf_close(d);
 *
 * Addresses ("pc_rel") are relative to the load base: the programs are position-independent,
 * so DWARF's addresses are offsets; the tracer adds the base it reads from /proc/PID/maps.
 * For a caller's frame pass its return address minus one, so the pc is inside the call.
 *
 * The "user's" code is the compilation unit(s) holding the program's main (C: `main`; Rust:
 * the subprogram with DW_AT_main_subprogram, not rustc's ELF shim) and those whose source
 * lies in the same directory; a user file is a file of those units under that directory.
 * Rust compiles generic std code (String::from, Vec::push) into the user's unit with file
 * names under /rustc/: those lines are not the user's. Nor are C headers from elsewhere.
 */
#ifndef SH_TRACE_DWARF_H
#define SH_TRACE_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdw.h>

#include "trace/model/model.h"

typedef struct shi_dwarf shi_dwarf;

typedef enum shi_dwarf_lang { SHI_LANG_C, SHI_LANG_CPP, SHI_LANG_RUST, SHI_LANG_OTHER } shi_dwarf_lang;
/* C and C++: raw pointers, C's char literals, malloc'd blocks typed by their pointers. */
#define SHI_LANG_IS_C_FAMILY(l) ((l) == SHI_LANG_C || (l) == SHI_LANG_CPP)

/* One is_stmt row of the line table of a user file (line 0 rows dropped). */
typedef struct shi_line {
    uint64_t addr;        /* relative to the load base */
    const char *file;     /* owned by the shi_dwarf */
    int line;
    bool is_stmt;
} shi_line;

typedef struct shi_function {
    const char *name;     /* as written: "main", "add", "push<i32, alloc::alloc::Global>" */
    uint64_t low_pc, high_pc;   /* [low_pc, high_pc) */
    uint64_t entry;       /* first address after the prologue: a breakpoint here sees args */
    const char *decl_file;
    int decl_line;
    bool is_user;         /* declared in a user file (not std code compiled into the unit) */
    Dwarf_Off die;        /* the subprogram's DIE offset */
} shi_function;

/* Opens `path`. NULL with a message in err for: a missing file, not an ELF file, a stripped
 * binary, no debug information ("... has no debug information: compile with -g"). */
shi_dwarf *shi_dwarf_open(const char *path, char *err, size_t errlen);
void shi_dwarf_close(shi_dwarf *d);   /* accepts NULL */

shi_dwarf_lang shi_dwarf_language(const shi_dwarf *d);
const char *shi_dwarf_language_name(const shi_dwarf *d);   /* "c", "c++", "rust", "other" */
Dwarf *shi_dwarf_handle(const shi_dwarf *d);
/* The -O flag main's unit was compiled with ("-O2", "-Os"; gcc records it), SHI_OPT_UNKNOWN
 * for code that shows it was optimised without saying how (clang, rustc: a user function
 * inlined, a user variable dropped, DW_AT_call_all_calls), or NULL for -O0: optimised code keeps locals in
 * registers or drops them, and merges lines. */
#define SHI_OPT_UNKNOWN "optimised"
const char *shi_dwarf_opt_level(const shi_dwarf *d);
/* The user's units have lines and functions but no variable and no type (gcc -g1, clang
 * -gline-tables-only, rustc -C debuginfo=1): frames can be shown, their variables not. */
bool shi_dwarf_lines_only(const shi_dwarf *d);

/* The user's source files (absolute paths, as named in DWARF). */
const char *const *shi_dwarf_source_files(const shi_dwarf *d, size_t *ret_n);
bool shi_dwarf_is_user_file(const shi_dwarf *d, const char *file);

/* Every is_stmt row of the user's files, sorted by address (one address may repeat). */
const shi_line *shi_dwarf_lines(const shi_dwarf *d, size_t *ret_n);
/* The source line of any pc with line info (also std's): false if none. */
bool shi_dwarf_line_at(const shi_dwarf *d, uint64_t pc_rel, const char **ret_file, int *ret_line);

/* Where code inlined into a user function was called from: Rust's #[inline(always)]
 * Box::new at pc runs in `main` but its lines are boxed.rs's; this gives the user's line
 * (DW_AT_call_file/call_line of the outermost inlined call covering pc). False if pc is not
 * in inlined code or the call is not in a user file. */
bool shi_dwarf_call_site(const shi_dwarf *d, uint64_t pc_rel, const char **ret_file,
                         int *ret_line);

/* The functions of the user's compilation units, sorted by low_pc. */
const shi_function *shi_dwarf_functions(const shi_dwarf *d, size_t *ret_n);
const shi_function *shi_dwarf_function_at(const shi_dwarf *d, uint64_t pc_rel);
const shi_function *shi_dwarf_main(const shi_dwarf *d);   /* the user's main */

/* ---- variables ------------------------------------------------------------------------- */

/* A parameter or local in scope. Pointers stay valid until shi_dwarf_close, except
 * type_name, valid during the callback only. */
typedef struct shi_dwarf_var {
    const char *name;
    const char *type_name;        /* "int", "struct point", "int[9]", "(f64, f64)", "Vec<i32>" */
    size_t size;                  /* bytes; 0 if unknown */
    bool is_param;
    int decl_line;                /* a C local declared below the current line is not set yet */
    bool not_yet;                 /* Rust: declared by a later `let`, not in scope yet (`?`) */
    Dwarf_Die die, type;          /* the variable and its type */
    const Dwarf_Op *loc;          /* its location expression at this pc; NULL: optimised out
                                     (unless it has a constant value) */
    size_t nloc;
    int entry_regno;              /* loc has DW_OP_entry_value(DW_OP_regN): N; else -1 */
    bool has_const;               /* DW_AT_const_value: optimised code knew it at compile time */
    uint64_t const_word;          /* its value, if given as a number (const_block NULL) */
    const unsigned char *const_block;   /* its bytes, if given as a block */
    size_t const_size;
    const Dwarf_Op *frame_base;   /* the function's DW_AT_frame_base at this pc */
    size_t nframe_base;
} shi_dwarf_var;

/* Returns non-zero to stop the walk. */
typedef int (*shi_dwarf_var_fn)(const shi_dwarf_var *v, void *arg);

/* Calls fn for the params and the locals of the innermost function at pc_rel whose scope
 * covers the pc, outermost scope first (params, then locals in declaration order). Leaves
 * out compiler-made variables (artificial ones, Rust's println! `args`). Returns how many
 * were given, or -1 if no user function covers pc_rel. */
int shi_dwarf_vars_at(const shi_dwarf *d, uint64_t pc_rel, shi_dwarf_var_fn fn, void *arg);

/* The type's name as the language spells it; malloc'd (free it). */
char *shi_dwarf_type_name(const shi_dwarf *d, Dwarf_Die *type);

/* ---- the static region ------------------------------------------------------------------ */

/* A variable with a fixed address (a single DW_OP_addr location) defined by the user's units:
 * a global, a file `static`, a function's `static`, a local the compiler placed in .rodata
 * (gcc's `const int a[] = {...}`), a Rust `static`. Found once, at open; only those declared
 * in a user file. Pointers stay valid until shi_dwarf_close. */
typedef struct shi_dwarf_static {
    const char *name;
    const char *function;         /* the function it is declared in, NULL at file scope */
    char *type_name;
    size_t size;
    uint64_t addr;                /* relative to the load base */
    Dwarf_Off type;               /* its type's DIE */
    const char *file;             /* where it is declared */
    int line;
} shi_dwarf_static;

/* Every one of them, in the order of their declarations. */
const shi_dwarf_static *shi_dwarf_statics(const shi_dwarf *d, size_t *ret_n);
/* Whether a location expression (`ops`, read from the attribute `a`) is a fixed address,
 * DW_OP_addr or DW_OP_addrx, and which (relative to the load base; `ret_addr` may be NULL):
 * shi_dwarf_vars_at leaves such variables to shi_dwarf_statics. */
bool shi_dwarf_loc_static_addr(Dwarf_Attribute *a, const Dwarf_Op *ops, size_t nops,
                               uint64_t *ret_addr);

/* ---- locations ------------------------------------------------------------------------- */

/* How the evaluator reaches the stopped tracee (or a test's fake one). */
typedef struct shi_dwarf_target {
    bool (*read_reg)(void *arg, int dwarf_regno, uint64_t *ret_value);
    bool (*read_mem)(void *arg, uint64_t addr, void *buf, size_t len);
    void *arg;
    uint64_t cfa;         /* the frame's canonical frame address (libdwfl's unwinder gives it) */
    uint64_t load_bias;   /* added to DW_OP_addr: the binary is position-independent */
    const Dwarf_Op *frame_base;   /* the frame's DW_AT_frame_base, for the bounds of a C
                                     variable-length array (a local's location); may be NULL */
    size_t nframe_base;
    /* DW_OP_entry_value: the value DWARF register `regno` had when the frame's function was
     * entered (its caller's call site says, shi_dwarf_call_value); false if unknown, and
     * the value is optimised out. May be NULL. */
    bool (*entry_value)(void *arg, int regno, uint64_t *ret_value);
    int entry_regno;      /* the register DW_OP_entry_value names in the expression evaluated
                             (shi_dwarf_var.entry_regno); -1 or 0 with entry_value NULL */
} shi_dwarf_target;

enum { SHI_LOC_BYTES_MAX = 64 };

typedef struct shi_dwarf_loc {
    enum {
        SHI_LOC_MEMORY,
        SHI_LOC_REGISTER,
        SHI_LOC_VALUE,
        SHI_LOC_BYTES,      /* optimised code: the value itself, gathered from the places
                               its pieces are (DW_OP_piece) or written in the expression
                               (DW_OP_implicit_value, a DW_AT_const_value) */
        SHI_LOC_OPTIMISED   /* the expression says the value is gone here: a piece without
                               a location, or a value known only at the function's entry
                               (DW_OP_entry_value) */
    } kind;
    uint64_t addr;        /* SHI_LOC_MEMORY */
    int regno;            /* SHI_LOC_REGISTER: the DWARF register holding the value */
    uint64_t value;       /* SHI_LOC_VALUE (DW_OP_stack_value); also a register's content */
    bool has_value;       /* SHI_LOC_REGISTER: the register could be read (value is it) */
    unsigned char bytes[SHI_LOC_BYTES_MAX];   /* SHI_LOC_BYTES */
    size_t nbytes;
} shi_dwarf_loc;

/* Evaluates a location expression; the frame base expression is used by DW_OP_fbreg
 * (C: DW_OP_call_frame_cfa; Rust: DW_OP_reg7, i.e. rsp's value). 0, or -1 if an operation
 * is not supported or a register/memory read fails. */
int shi_dwarf_eval_location(const Dwarf_Op *ops, size_t nops, const Dwarf_Op *frame_base,
                            size_t nframe_base, const shi_dwarf_target *t,
                            shi_dwarf_loc *ret_loc);

/* ---- values ---------------------------------------------------------------------------- */

/* A C variable-length array's size and its type's name with the run-time lengths
 * ("int[4]"; malloc'd), its bounds evaluated in the target's frame. False if `type` is not
 * an array with a bound known only at run time, or a bound cannot be read. */
bool shi_dwarf_vla_shape(const shi_dwarf *d, Dwarf_Die *type, const shi_dwarf_target *t,
                         size_t *ret_size, char **ret_name);

/* What the function whose subprogram DIE is `fn_die` returned, from the registers the SysV
 * ABI returns scalars in (xmm0 for float and double, rax otherwise), decoded by its DWARF
 * return type as read_value decodes memory: integers, chars, bools, enums, pointers, floats.
 * -1 for void, aggregates and anything wider than a register. Clear `out` with
 * shi_value_clear. */
int shi_dwarf_return_value(const shi_dwarf *d, Dwarf_Off fn_die, uint64_t rax, uint64_t xmm0,
                           shi_value *out);

/* Decodes the object of type `type` at `addr` into `out` (fields allocated through the model):
 * base types, pointers, structs (by member offsets; bitfields by bit offset and size),
 * arrays (first 16 elements of each dimension, the rest counted in `truncated`; C's
 * multi-dimensional arrays as arrays of arrays; a variable-length array's bounds evaluated in
 * the target's frame), enums, Rust tuples, and owned handles (Rust String, Vec<T>, Box<T>;
 * C sh_string, sh_vec_*, sh_box_*; C++'s std::string, vector, unique_ptr, shared_ptr, map,
 * unordered_map: dwarf_cxx_std.c) as SHI_VAL_OWNED. C also gets: `long double` (x87, as a
 * double), `__int128` (wide, exact in text), `_Complex` (a struct {real, imag} with text
 * "1 + 2i"), char arrays with the string as text ("abc", up to the NUL), chars as 'a' and
 * char pointers as gdb shows them, 0x555555556010 "hi" (the string read where the pointer
 * points, if it can be read). Heap blocks of owned handles are never read: a Vec::new()
 * pointer dangles. Unreadable memory gives
 * SHI_VAL_UNREADABLE. 0 or -1. */
/* The value a call passed in DWARF register `regno`, from the call site whose return
 * address is ret_pc_rel (a user function's DW_TAG_call_site and its parameter's
 * DW_AT_call_value, gcc's DW_TAG_GNU_call_site too), evaluated in the caller's frame
 * `caller`. False if there is no such site or its value cannot be known. */
bool shi_dwarf_call_value(const shi_dwarf *d, uint64_t ret_pc_rel, int regno,
                          const shi_dwarf_target *caller, uint64_t *ret);
/* A variable's DW_AT_const_value as a location of its bytes (SHI_LOC_BYTES); false if it
 * has none. */
bool shi_dwarf_var_const(const shi_dwarf_var *v, shi_dwarf_loc *ret_loc);
/* A value that is not in memory (a register, DW_OP_stack_value, SHI_LOC_BYTES), decoded as
 * `type` as read_value would decode its bytes: an int in a register is signed, a pointer
 * points. 0, or -1 (SHI_VAL_UNREADABLE: a register that cannot be read, a type larger than
 * what the location holds). */
int shi_dwarf_read_located(const shi_dwarf *d, Dwarf_Die *type, const shi_dwarf_loc *loc,
                           const shi_dwarf_target *t, shi_value *out);
int shi_dwarf_read_value(const shi_dwarf *d, Dwarf_Die *type, uint64_t addr,
                         const shi_dwarf_target *t, shi_value *out);
/* `count` objects of type `elem` one after the other at `addr` (a heap block reached by an
 * `elem *`), decoded as read_value decodes a C array `elem[count]` (its type named so):
 * the first 16 elements, the rest counted in `truncated`; chars with the string as text. */
int shi_dwarf_read_array(const shi_dwarf *d, Dwarf_Die *elem, uint64_t count, uint64_t addr,
                         const shi_dwarf_target *t, shi_value *out);
/* The contents of the block an owning handle holds (`o` from a SHI_VAL_OWNED value: its kind,
 * ptr, len, cap, elem_die), decoded once, here, for every renderer:
 *   String  → SHI_VAL_ARRAY typed "[u8; cap]" with `text` its first `len` bytes as a quoted
 *             Rust literal ("Hello"), no fields;
 *   Vec<T>  → SHI_VAL_ARRAY typed "[T; cap]": the first 16 slots as fields, the first `len`
 *             of them decoded as T (a String element is itself SHI_VAL_OWNED), the rest
 *             SHI_VAL_UNINIT typed T (the lesson's `_`); slots not shown counted in `truncated`;
 *   Box<T>  → T's value at ptr.
 * Each value's `at` is its own address. -1 (out left SHI_VAL_UNREADABLE) if the element
 * type is unknown or the memory cannot be read. Clear `out` with shi_value_clear. */
int shi_dwarf_read_owned_block(const shi_dwarf *d, const shi_owned *o,
                               const shi_dwarf_target *t, shi_value *out);

/* The handles in a Vec's slots past those read_owned_block decodes (from `first` up to its
 * len, at most `max`), when its element type is itself a handle (Vec<String>, Vec<Box<T>>,
 * Vec<Vec<T>>): each a shi_owned as a decoded handle's (kind, ptr, len, cap, elem_die,
 * elem_size; elem_type NULL), all read at once, so a Vec of 2,000 Strings types all their
 * blocks at the cost of one read. How many are in *ret (malloc'd; free it), 0 if none or
 * the element is no handle. */
size_t shi_dwarf_more_handles(const shi_dwarf *d, const shi_owned *o, uint64_t first,
                              size_t max, const shi_dwarf_target *t, shi_owned **ret);

#endif
