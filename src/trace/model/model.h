/*
 * src/trace/model/model.h — what a trace is made of: the steps of a traced program, each with
 * its stack (frames, their variables) and its heap (live blocks), plus the events that led
 * to it. The tracer fills it; the renderers (text, JSON, HTML) only read it.
 *
 *     shi_trace *t = shi_trace_new("examples/add.c");
 *     shi_step *s = shi_trace_add_step(t);            // a new step, copying nothing
 *     shi_frame *f = shi_step_push_frame(s, "main", "add.c", 4);
 *     shi_var *x = shi_frame_add_var(f, "x", "int", 4); shi_value_set_int(&x->value, 5);
 *     shi_trace_free(t);
 *
 * All strings are copied into the trace (owned by it); all arrays grow as needed; nothing
 * is freed until shi_trace_free. Sizes are in bytes; addresses are the tracee's.
 */
#ifndef SH_TRACE_MODEL_H
#define SH_TRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- values ------------------------------------------------------------------------------ */

typedef enum shi_value_kind {
    SHI_VAL_UNINIT = 0,   /* not yet initialised in the program: drawn as `?` (the lesson's) */
    SHI_VAL_INT,          /* signed integers and enums' underlying values */
    SHI_VAL_UINT,
    SHI_VAL_FLOAT,
    SHI_VAL_BOOL,
    SHI_VAL_CHAR,
    SHI_VAL_POINTER,      /* `addr`; `target_block` says which heap block it points into */
    SHI_VAL_STRUCT,       /* `fields`: named members (tuples: __0, __1 shown as .0, .1) */
    SHI_VAL_ARRAY,        /* `fields` unnamed; `truncated` elements not shown */
    SHI_VAL_OWNED,        /* String / Vec<T> / Box<T> / sh_string / sh_vec / sh_box: see below */
    SHI_VAL_UNREADABLE    /* the location could not be read (optimised out, no location) */
} shi_value_kind;

typedef struct shi_value shi_value;

typedef struct shi_field {
    char *name;           /* NULL for array elements */
    shi_value *value;
    size_t offset, size;  /* where it lies in its parent, in bytes (a bitfield: the bytes that
                             hold it); both 0 if unknown. Pointers into a variable are named
                             by them: &ps[1], &p.y */
} shi_field;

/* An owning handle as the lesson draws it: {ptr, len, cap} with an arrow to the block.
 * Rust's other containers (src/trace/debuginfo/dwarf_rust_std.c): Rc<T>/Arc<T> are SHI_OWN_RC (ptr:
 * the RcInner/ArcInner block: counts and value); HashMap/HashSet SHI_OWN_MAP (ptr: the
 * table's allocation, len its entries, cap its buckets); VecDeque SHI_OWN_DEQUE (len, cap,
 * head); BTreeMap/BTreeSet SHI_OWN_BTREE (ptr: the root node, len its entries, `head` the
 * root's height); Box<dyn Trait> a box of the concrete type; Box<[T]> a box with `slice`.
 * C++'s std::list and forward_list are SHI_OWN_LIST (ptr: the first node, len its elements,
 * `ctrl` the address of the list's own header node, where a std::list's last node points). */
typedef struct shi_owned {
    enum { SHI_OWN_STRING, SHI_OWN_VEC, SHI_OWN_BOX, SHI_OWN_RC, SHI_OWN_MAP,
           SHI_OWN_DEQUE, SHI_OWN_BTREE, SHI_OWN_LIST } kind;
    uint64_t ptr;
    uint64_t len, cap;    /* vec/string/deque/map (a map: entries, buckets); Box<[T]> and
                             a btree: the length in both; a box or an Rc has neither */
    bool shared;          /* Rc/Arc: every handle reaching the block owns a share of it (the
                             block lives while one does), so none of them is stale */
    bool slice;           /* Box<[T]>: the block holds `len` elements of elem_type */
    uint64_t head;        /* deque: the slot of the first element (it wraps at cap);
                             btree: the root node's height (0: a single leaf) */
    uint64_t ctrl;        /* map: hashbrown's control bytes, one per bucket, which follow
                             the buckets in the same block (ptr + buckets * elem_size,
                             rounded up to 16) */
    char *elem_type;      /* "i32", "u8", ... */
    size_t elem_size;
    uint64_t elem_die;    /* the element type (Box: the pointee) as the decoder's reference (a
                             DIE offset), 0 if unknown: what the block is decoded by
                             (shi_dwarf_read_owned_block) */
    bool stale;           /* the block was freed or another owner holds it: never drawn as owning */
    bool link;            /* a container's link between its own nodes (a C++ tree node's
                             left/right, a hash node's next): the node it reaches belongs to
                             the container, named by the container's path, not the link's */
} shi_owned;

/* Whether the handle has spare room to tell (a vector's cap): a tree's or a list's nodes are
 * one block each, a std::map has no capacity. */
static inline bool shi_owned_has_cap(const shi_owned *o) {
    return o->kind != SHI_OWN_BTREE && o->kind != SHI_OWN_LIST && o->kind != SHI_OWN_BOX &&
           o->kind != SHI_OWN_RC;
}

struct shi_value {
    shi_value_kind kind;
    union {
        int64_t i;
        uint64_t u;
        double f;
        bool b;
        uint64_t addr;    /* SHI_VAL_POINTER */
    };
    shi_owned owned;      /* SHI_VAL_OWNED */
    shi_field *fields;    /* SHI_VAL_STRUCT / SHI_VAL_ARRAY */
    size_t nfields;
    size_t truncated;     /* array elements or string bytes left out */
    int64_t target_block; /* index into the step's blocks a pointer/owned ptr points into, or -1 */
    int64_t target_static;/* SHI_VAL_POINTER: index into the step's statics.vars it points
                             into (a global, a string literal), or -1 */
    size_t target_size;   /* SHI_VAL_POINTER: sizeof *p (0 for void * or unknown) */
    uint64_t pointee;     /* SHI_VAL_POINTER: its pointee type, as the decoder's reference
                             (a DIE offset in the program's debug information), 0 for void *
                             or unknown; what a heap block it reaches is typed by */
    bool wide;            /* SHI_VAL_INT/UINT: a 128-bit integer (__int128): exact in `text`,
                             its low 64 bits in i/u */
    char *text;           /* a ready rendering for strings/chars ("Hello"), or NULL */
    char *type;           /* its type as the language spells it ("long int", "struct point",
                             "char *", "Point" for a typedef), or NULL if not known */
    uint64_t at;          /* where this value itself lives in the tracee (a field's or an
                             element's own address), 0 if not in memory or not known */
    char *variant;        /* SHI_VAL_STRUCT of a Rust enum: the active variant's name ("Some",
                             "None", "Circle"); its fields are the variant's. NULL otherwise */
    uint64_t freed_id;    /* SHI_VAL_POINTER: dangling, into the memory of the block with this
                             id, freed (or moved away by realloc) and not reused since: the
                             step's `freed` entry says which; 0 otherwise */
};

/* ---- stack ------------------------------------------------------------------------------- */

typedef struct shi_var {
    char *name;
    char *type;           /* as the language spells it: "i32", "(f64, f64)", "struct point" */
    size_t size;          /* bytes on the stack */
    uint64_t addr;        /* where it lives, 0 if in a register */
    bool is_param;
    bool changed;         /* its value differs from the previous step */
    shi_value value;
    char *scope;          /* the static region: the function a `static` local belongs to;
                             NULL for globals, file statics and literals */
    bool literal;         /* the static region: a string literal a pointer reaches ("hi"),
                             named by its text */
    bool argument;        /* the static region: the program's arguments, which exec puts above
                             the stack: the array main's argv points to (named argv) and its
                             texts (named by their text, as literals are) */
} shi_var;

typedef struct shi_frame {
    char *function;
    char *file;
    int line;             /* the current line in this frame */
    uint64_t cfa;         /* canonical frame address: identifies the frame across steps */
    shi_var *vars;
    size_t nvars;
    bool is_new;          /* pushed since the previous step */
} shi_frame;

/* ---- heap -------------------------------------------------------------------------------- */

typedef struct shi_block {
    uint64_t addr;
    size_t size;
    uint64_t id;          /* allocation number, 1, 2, ...: addresses are reused, ids are not */
    char *alloc_file;     /* the user's line that allocated it, if known */
    int alloc_line;
    unsigned char *bytes; /* a copy of the contents (up to `nbytes`), for drawing */
    size_t nbytes;
    bool is_new, grown;   /* since the previous step */
    bool changed;         /* the same block (not new, not grown) with other contents than at
                             the previous step: e->value = 1, grid[1][2] = 7 */
    bool value_borrowed;  /* `value` and `type` are the previous step's same block's,
                             unchanged (same contents, same links): that step owns and frees
                             them */
    bool owner_borrowed;  /* `owner` is the previous step's same block's (the same path): that
                             step owns and frees it */
    struct shi_block_ptr *ptrs;   /* words in the copy that point into live blocks */
    size_t nptrs;
    char *type;           /* what it holds: the owning handle's block type ("[String; 4]" for a
                             Vec<String>, "[u8; 5]" for a String, "Person" for a Box<Person>)
                             or the type a pointer reaching it gives it ("struct node",
                             "int[8]", "char[32]"); NULL if nothing types it (void *) */
    shi_value value;      /* its contents decoded as `type` (SHI_VAL_UNINIT when untyped);
                             pointers and handles inside link to their blocks as the stack's do */
    char *owner;          /* the path of the one handle that owns it ("v", "v[0]", "b.name",
                             "list.next", "s.items[2]"), NULL if no handle does (C's pointers
                             own nothing); its free is narrated drop(owner) */
    uint64_t typed_sig;   /* what `value` was decoded by (the claim's type or handle, the
                             block's place and size), summed up: while it and the bytes stay
                             the same, the next step copies the value instead of decoding */
} shi_block;

/* An aligned 8-byte word of a block holding an address inside another (or the same) block:
 * a linked list's `next`, a Vec<String>'s element pointers. Found by looking, not typed. */
typedef struct shi_block_ptr {
    size_t offset;        /* where in the block the word is */
    uint64_t target_id;   /* the block it points into */
} shi_block_ptr;

/* Memory a block left, freed or moved away from by realloc, that no live block covers
 * again: what a dangling pointer points into (the C lesson's use after free). */
typedef struct shi_freed {
    uint64_t addr;
    size_t size;
    uint64_t id;          /* the block that was there */
    bool moved;           /* realloc moved the block (it lives on elsewhere) */
} shi_freed;

/* ---- events and steps -------------------------------------------------------------------- */

typedef enum shi_event_kind {
    SHI_EV_CALL, SHI_EV_LINE, SHI_EV_RETURN, SHI_EV_ALLOC, SHI_EV_FREE, SHI_EV_REALLOC,
    SHI_EV_DROP, SHI_EV_EXIT, SHI_EV_SIGNAL, SHI_EV_OUTPUT, SHI_EV_LIMIT
} shi_event_kind;

typedef struct shi_event {
    shi_event_kind kind;
    char *function;       /* call/return/drop: the function or the dropped variable */
    uint64_t addr;        /* alloc/free/realloc: the block */
    uint64_t old_addr;    /* realloc: where it was */
    size_t size;
    uint64_t block_id;
    int64_t value;        /* return value, exit code, signal number */
    bool has_value;
    bool is_float;        /* return: a float or double, in `fvalue` (has_value set too) */
    bool is_pointer;      /* return: `value` is a C pointer (titles write it in hex) */
    double fvalue;
    char *value_type;     /* return: the value's type as the language spells it, or NULL */
    char *text;           /* output written by the program, signal name, limit message */
    size_t text_len;      /* output: its bytes in `text`, which may hold NUL bytes (a NUL
                             terminates it too); other kinds: 0 (a C string) */
} shi_event;

typedef struct shi_step {
    size_t index;         /* 0, 1, ... */
    char *file;
    int line;
    int stop_line;        /* the line the program stands at when it is not `line` (a return's
                             step shows the calling line, though the stop is often the next
                             line's first instruction, in the same file); 0: `line` */
    char *title;          /* "add() called", "numbers.push(3): cap 4", "drop(boxed)" */
    shi_frame *frames;    /* bottom (main) first */
    size_t nframes;
    size_t depth;         /* frames on the stack: more than nframes when a deep recursion's
                             middle is left out (between frames[0] and frames[1]) */
    shi_block *blocks;    /* live heap blocks, by address */
    size_t nblocks;
    shi_event *events;    /* what happened since the previous step */
    size_t nevents;
    shi_frame statics;    /* the static region: globals, file and function statics, const
                             data in .rodata, the string literals pointers reach; its vars
                             only (no function, file or cfa) */
    shi_freed *freed;     /* memory left by blocks since the run began, not reused, by address
                             (the 1,024 most recent) */
    size_t nfreed;
    bool freed_borrowed;  /* `freed` is the previous step's, the same: that step frees it */
} shi_step;

typedef struct shi_trace {
    char *program;        /* path of the traced executable */
    char *language;       /* "c" or "rust" */
    char **argv;
    size_t argc;
    char **source_files;  /* the user's source files, as named in DWARF */
    size_t nsources;
    shi_step *steps;      /* the steps still whole in memory: steps[0] is step `first`
                             (read them with shi_trace_step, or a cursor once committed) */
    size_t first;
    size_t nsteps;        /* steps in all, committed or not */
    size_t committed;     /* steps stored (shi_trace_commit): final */
    struct shi_store *store;  /* the committed steps, as what changed (model/store.c) */
    int exit_code;        /* -1 if it did not exit normally */
    int term_signal;      /* 0 if none */
    uint64_t stack_limit; /* RLIMIT_STACK of the tracee, bytes */
    char *optimisation;   /* how it was optimised: "-O2" (gcc says), "optimised" (the level
                             unknown: clang, rustc), NULL for -O0 */
    bool lines_only;      /* its debug information has no variables (gcc -g1) */
    char **leaks_text;    /* set at the end: blocks still live, named with their line */
    size_t nleaks;
} shi_trace;

shi_trace *shi_trace_new(const char *program);
void shi_trace_free(shi_trace *t);
shi_step *shi_trace_add_step(shi_trace *t);
shi_frame *shi_step_push_frame(shi_step *s, const char *function, const char *file, int line);
shi_var *shi_frame_add_var(shi_frame *f, const char *name, const char *type, size_t size);
/* A variable of the step's static region; `scope` (copied) is its function or NULL. */
shi_var *shi_step_add_static(shi_step *s, const char *name, const char *type, size_t size,
                             const char *scope);
/* Blocks are added by address, lowest first (a panic otherwise): they are searched by halves. */
shi_block *shi_step_add_block(shi_step *s, uint64_t addr, size_t size, uint64_t id);
/* n blocks at once (a step of a big heap adds them all; one at a time, the array would be
 * copied as it doubles): empty, for the caller to give each its addr, size and id, lowest
 * address first. Returns the first. */
shi_block *shi_step_add_blocks(shi_step *s, size_t n);
/* Takes blocks[i] out of the step, with the other blocks' pointers to it (no value may point
 * into it: the others' links are made again, as its successors move down one place). */
void shi_step_remove_block(shi_step *s, size_t i);
shi_event *shi_step_add_event(shi_step *s, shi_event_kind kind);
shi_field *shi_value_add_field(shi_value *v, const char *name);  /* allocates field->value */
char *shi_trace_strdup(const char *s);                           /* NULL stays NULL */
char *shi_trace_memdup(const char *s, size_t n);   /* n bytes (NULs too), then a NUL */
/* A C base type's name the other way round: gcc's DWARF spelling ("long int") to C's
 * ("long"), or with as_gcc back; any other name as it is. */
const char *shi_c_base_name(const char *name, bool as_gcc);

/* ---- storing and reading steps ------------------------------------------------------------
 *
 * A trace keeps each step as what changed since the one before (model/store.c), with a whole
 * copy now and then, so its memory grows with what the program changes, not with steps x
 * state. While recording, the newest steps are whole in memory; shi_trace_commit(t, n) says
 * steps below n are final: they are stored, and all but the newest of them leave memory.
 *
 *     shi_cursor *c = shi_cursor_new(t);
 *     for (size_t i = 0; i < t->nsteps; i++) {
 *         const shi_step *s = shi_cursor_step(c, i), *prev = shi_cursor_prev(c);
 *         ...
 *     }
 *     shi_cursor_free(c);
 */

/* Step i while it is whole in memory (not yet committed, or the newest committed one);
 * a panic otherwise (a programming error: read committed steps with a cursor). */
shi_step *shi_trace_step(shi_trace *t, size_t i);
/* The newest step, or NULL when there is none. */
shi_step *shi_trace_last(shi_trace *t);
/* Steps below `upto` are final: stored, and out of memory but for the newest of them. */
void shi_trace_commit(shi_trace *t, size_t upto);

typedef struct shi_cursor shi_cursor;
/* A reader of t's steps, any number at once (each keeps two whole steps). Reading needs
 * the steps committed or still whole; a cursor stays valid while t grows. */
shi_cursor *shi_cursor_new(const shi_trace *t);
void shi_cursor_free(shi_cursor *c);
/* Step i, whole, valid until the cursor moves. i + 1 after i costs what changed; any other
 * i at most the changes since the nearest whole copy. */
const shi_step *shi_cursor_step(shi_cursor *c, size_t i);
/* The step before the cursor's (NULL at step 0), valid as long as the cursor's step. */
const shi_step *shi_cursor_prev(const shi_cursor *c);

/* Pointers returned above point into arrays that grow by doubling: a shi_step * is valid
 * until the next shi_trace_add_step, a shi_frame * until the next push_frame on its step,
 * and so on. Indexes (step->index, target_block) stay valid. */

/* Setters: they set kind and payload; text is copied. */
void shi_value_set_int(shi_value *v, int64_t i);
void shi_value_set_uint(shi_value *v, uint64_t u);
void shi_value_set_float(shi_value *v, double f);
void shi_value_set_bool(shi_value *v, bool b);
void shi_value_set_char(shi_value *v, int64_t c, const char *text);
void shi_value_set_pointer(shi_value *v, uint64_t addr, int64_t target_block);
void shi_value_set_text(shi_value *v, const char *text);        /* replaces v->text */
/* The compiler dropped it (optimised code): SHI_VAL_UNREADABLE whose text is
 * SHI_OPTIMISED_OUT, the words every renderer shows ("<optimised out>" in the text view). */
#define SHI_OPTIMISED_OUT "optimised out"
void shi_value_set_optimised_out(shi_value *v);
bool shi_value_is_optimised_out(const shi_value *v);
/* An owning handle; `elem_type` is copied. A box has len 0, cap 0. */
void shi_value_set_owned(shi_value *v, int kind, uint64_t ptr, uint64_t len, uint64_t cap,
                         const char *elem_type, size_t elem_size, int64_t target_block);
void shi_block_add_ptr(shi_block *b, size_t offset, uint64_t target_id);
/* Frees what a value holds (fields, texts) and leaves it empty: for a value outside a trace. */
void shi_value_clear(shi_value *v);
/* A deep copy of src into dst (dst's old contents are not freed: pass a fresh value). */
void shi_value_copy(shi_value *dst, const shi_value *src);
/* Copies `n` bytes of the block's contents (for drawing) into the block. */
void shi_block_set_bytes(shi_block *b, const void *bytes, size_t n);
void shi_trace_add_source(shi_trace *t, const char *path);
void shi_trace_add_arg(shi_trace *t, const char *arg);
void shi_trace_add_leak(shi_trace *t, const char *text);

/* Sets the change marks of `s` (frame->is_new, var->changed, block->is_new/grown) by
 * comparing it with `prev` (NULL: the first step, everything is new). Frames are matched
 * by depth and function (and cfa when both are known), variables by name, blocks by id;
 * the static region's variables by name and scope (they are not new on the first step). */
void shi_step_mark_changes(shi_step *s, const shi_step *prev);
/* Deep comparison of two values, ignoring the stale and target_block bookkeeping. */
bool shi_value_equal(const shi_value *a, const shi_value *b);
/* The block with this allocation id in `s`, or -1. */
int64_t shi_step_find_block(const shi_step *s, uint64_t id);
/* The same, looked up first at `addr` (where it was in another step: a block moves only by
 * realloc), so matching every block of two steps costs no more than a search each. */
int64_t shi_step_find_block_near(const shi_step *s, uint64_t id, uint64_t addr);
/* For each block of s, the index of the same block (by id) in prev, or -1 (prev NULL: all
 * -1): both steps are walked by address, and the few blocks left over (moved by realloc) are
 * matched by id, so a step of a big heap costs one pass. ret: s->nblocks entries. */
void shi_step_match_blocks(const shi_step *s, const shi_step *prev, int64_t *ret);
/* The block (index in s) holding addr, or -1. */
int64_t shi_step_block_at(const shi_step *s, uint64_t addr);
/* Sets target_block of every pointer and owned handle in v (fields too) from the step's
 * blocks; a C char pointer into a block loses its string text (the block's box shows it). */
void shi_step_link_value(const shi_step *s, shi_value *v);
/* s->freed from prev's and the blocks gone or moved since prev, then every pointer of the
 * step (frames, statics, blocks' values) into that memory marked dangling (freed_id). */
void shi_step_mark_dangling(shi_step *s, const shi_step *prev);
/* The entry of s->freed for a dangling pointer's freed_id, or NULL. */
const shi_freed *shi_step_freed(const shi_step *s, uint64_t id);

#endif
