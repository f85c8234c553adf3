/*
 * stackheap/trace.h — the tracer as a library: run a program built with `cc -g -O0` (or
 * rustc -g) under the tracer and read what `stackheap run` draws, step by step: each step's
 * line and title, its frames and their variables, the heap's blocks, the typed values, the
 * events. An editor plugin, a notebook or a teaching site can use it without the command.
 * Link with -lstackheap-trace (docs/trace-api.md).
 *
 *     char err[256];
 *     sh_trace *t = sh_trace_run((char *[]){"./add", NULL}, NULL, err, sizeof err);
 *     if (!t) { fprintf(stderr, "%s\n", err); return 1; }     // errno says which failure
 *     sh_trace_reader *r = sh_trace_reader_new(t);
 *     for (size_t i = 0; i < sh_trace_nsteps(t); i++) {
 *         const sh_trace_step *s = sh_trace_reader_step(r, i);   // 22 "add() called"
 *         printf("%d %s\n", sh_trace_step_line(s), sh_trace_step_title(s));
 *     }
 *     sh_trace_reader_free(r);
 *     if (sh_trace_write(t, stdout, SH_TRACE_JSON, 0) != 0)    // or TEXT, HTML, PYTUTOR
 *         perror("write");
 *     sh_trace_free(t);
 *
 * Handles are opaque; their layout is not part of the ABI, only these functions are.
 *
 * Lifetimes. A trace stores its steps as what changed since the one before, and a reader
 * rebuilds the step asked for. So a step handle, and everything reached through it (frames,
 * variables, values, blocks, events and every string they return), is valid until the next
 * sh_trace_reader_step on the same reader or sh_trace_reader_free, whichever comes first;
 * copy what must live longer. A step handed to the on-step callback is valid during the
 * call. The trace's own facts (program, language, leaks) live until sh_trace_free. Free
 * every reader before its trace.
 *
 * Threads. One trace per thread: a trace and its readers are used by one thread at a time.
 * Traces do not share state, so several threads may each run and read their own at once.
 * on_step is called on the thread that called sh_trace_run. The tracer needs a deep stack
 * (`stackheap run` gives it a thread with 64 MiB): a process under a small `ulimit -s`
 * should call sh_trace_run on a thread of its own.
 *
 * C++: the header compiles as C++ too; SH_TRACE_OPTS there is a value to name, not to take
 * the address of (docs/headers.md). Ignoring what sh_trace_run, the reader calls or the
 * whole-trace writers return is a warning (stackheap/attrs.h).
 *
 * Errors. A call that can fail for a reason the caller can handle returns NULL or -1 with
 * errno set (and sh_trace_run a message in err). A broken contract — a NULL handle, an index
 * past the end of a frame's variables — is a programming error: it panics with a message
 * and aborts, as the rest of the library does.
 */
#ifndef STACKHEAP_TRACE_H
#define STACKHEAP_TRACE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attrs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sh_trace sh_trace;                /* a traced run, whole */
typedef struct sh_trace_reader sh_trace_reader;  /* reads a trace's steps, one at a time */
typedef struct sh_trace_step sh_trace_step;      /* one stop of the program */
typedef struct sh_trace_frame sh_trace_frame;    /* a function's frame on the stack */
typedef struct sh_trace_var sh_trace_var;        /* a variable: local, parameter or static */
typedef struct sh_trace_value sh_trace_value;    /* a typed value, decoded */
typedef struct sh_trace_block sh_trace_block;    /* a live heap block */
typedef struct sh_trace_event sh_trace_event;    /* what happened since the step before */

/* ---- running a program ------------------------------------------------------------------- */

/* Called with each step as soon as it is final, while the program waits (a prompt it wrote
 * before reading its stdin is in the step handed over before it reads). Only the trace's
 * last step can gain events after (its exit, a signal, a limit): read it again from the
 * finished trace for those. The step is valid during the call only. */
typedef void (*sh_trace_step_fn)(void *arg, const sh_trace_step *step);

/* What a zero option means. */
enum { SH_TRACE_MAX_STEPS_DEFAULT = 10000, SH_TRACE_TIMEOUT_DEFAULT = 60 };

/* Options. `size` comes first and must be sizeof(sh_trace_opts) as the caller was built
 * (SH_TRACE_OPTS sets it), so fields can be added at the end without breaking callers.
 * Zero fields mean the defaults. */
typedef struct sh_trace_opts {
    size_t size;
    size_t max_steps;          /* stop after this many steps (a limit event ends the trace);
                                  0: SH_TRACE_MAX_STEPS_DEFAULT */
    unsigned timeout;          /* kill the program after this many seconds of CPU time without
                                  a new step (a loop in code without -g), so a program waiting
                                  for its input waits as long as it likes; 0:
                                  SH_TRACE_TIMEOUT_DEFAULT */
    const char *stdin_path;    /* the program's stdin; NULL: this process's */
    sh_trace_step_fn on_step;  /* NULL: none */
    void *on_step_arg;
    const volatile sig_atomic_t *interrupt;   /* when it turns nonzero (a signal number set
                                  by a SIGINT handler, say), the program is killed and the
                                  trace so far returned; NULL: none */
} sh_trace_opts;

#ifndef __cplusplus
#define SH_TRACE_OPTS(...) ((sh_trace_opts){.size = sizeof(sh_trace_opts), __VA_ARGS__})
#else
/* C++ has no compound literals, and designated initializers only from C++20, in declaration
 * order (g++ and clang++ take them in C++11 and later as an extension, which __extension__
 * keeps quiet; g++ before 14 also warns of the fields left out, which they mean to leave at
 * zero). The result is a temporary: name it, then pass its address.
 *     sh_trace_opts opts = SH_TRACE_OPTS(.max_steps = 100, .timeout = 5);
 *     sh_trace *t = sh_trace_run(argv, &opts, err, sizeof err);                              */
#define SH_TRACE_OPTS(...)                                                                 \
    (__extension__ ({                                                                      \
        _Pragma("GCC diagnostic push")                                                     \
        _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")                 \
        sh_trace_opts shi_opts_ = {.size = sizeof(sh_trace_opts), __VA_ARGS__};            \
        _Pragma("GCC diagnostic pop")                                                      \
        shi_opts_; }))
#endif

/* Runs argv[0] (a path, or a name looked up in PATH) with argv under the tracer, to its end
 * or a limit, and returns its trace. The program is always killed and reaped before this
 * returns. opts may be NULL (the defaults). On failure NULL, a message in err (errlen
 * bytes, may be 0) and errno:
 *   ENOENT   no such program                 ENOEXEC  not an ELF executable (or not one
 *   ENODATA  no debug information: "compile with -g"  this system can run)
 *   EACCES   not executable                  EINVAL   argv empty, or opts->size wrong
 *   other    from the system (fork, ptrace, reading the file)                            */
/* Accepts NULL. */
void sh_trace_free(sh_trace *t);
SH_DEALLOC(sh_trace_free, 1) SH_WARN_UNUSED
sh_trace *sh_trace_run(char *const argv[], const sh_trace_opts *opts, char *err,
                       size_t errlen);

/* ---- the trace's facts ------------------------------------------------------------------- */

const char *sh_trace_program(const sh_trace *t);    /* argv[0] as given */
const char *sh_trace_language(const sh_trace *t);   /* "c" or "rust" */
size_t sh_trace_nsteps(const sh_trace *t);
int sh_trace_exit_code(const sh_trace *t);          /* -1 if it did not exit (a signal, a limit) */
int sh_trace_signal(const sh_trace *t);             /* the signal that killed it, or 0 */
size_t sh_trace_nleaks(const sh_trace *t);          /* blocks never freed */
/* Leak i in words: "block #2, 16 bytes, allocated at /src/list.c:12". i < sh_trace_nleaks. */
const char *sh_trace_leak(const sh_trace *t, size_t i);

/* Why the run ended. */
typedef enum sh_trace_end {
    SH_TRACE_END_PROGRAM = 0,      /* the program ended by itself (exit or a signal) */
    SH_TRACE_END_MAX_STEPS = 1,    /* opts.max_steps */
    SH_TRACE_END_TIMEOUT = 2,      /* opts.timeout */
    SH_TRACE_END_INTERRUPTED = 3   /* *opts.interrupt; sh_trace_interrupt_signal says which */
} sh_trace_end;
sh_trace_end sh_trace_end_reason(const sh_trace *t);
int sh_trace_interrupt_signal(const sh_trace *t);   /* the value *interrupt had, or 0 */
/* The -O flag the program was built with ("-O2"), "optimised" when the compiler records
 * no level (clang, rustc) but the code shows it: values may be missing; "" for -O0. */
const char *sh_trace_opt_level(const sh_trace *t);
/* What a reader must be told of the build, or "": optimised code ("./p was compiled with
 * -O2: values the compiler dropped show as optimised out, ..."), or debug information
 * without variables (gcc -g1, clang -gline-tables-only, rustc -C debuginfo=1). */
const char *sh_trace_build_note(const sh_trace *t);
/* Child processes and threads the program started: only its main thread is traced. */
unsigned sh_trace_forks(const sh_trace *t);
unsigned sh_trace_threads(const sh_trace *t);

/* ---- reading steps ----------------------------------------------------------------------- */

/* A reader: any number per trace. Stepping to i + 1 after i costs what changed between
 * them; any other i costs at most the changes since the nearest whole copy. */
void sh_trace_reader_free(sh_trace_reader *r);      /* accepts NULL */
SH_DEALLOC(sh_trace_reader_free, 1) SH_RETURNS_NONNULL SH_WARN_UNUSED
sh_trace_reader *sh_trace_reader_new(const sh_trace *t);
/* Step i, valid until this reader moves (see Lifetimes); NULL with errno = ERANGE when
 * i >= sh_trace_nsteps. */
SH_WARN_UNUSED const sh_trace_step *sh_trace_reader_step(sh_trace_reader *r, size_t i);

size_t sh_trace_step_index(const sh_trace_step *s);
const char *sh_trace_step_file(const sh_trace_step *s);    /* as DWARF names it; NULL if unknown */
int sh_trace_step_line(const sh_trace_step *s);
/* What the step did, as the diagram's heading says it: "add() called", "line 7",
 * "numbers.push(3): cap 4", "main() returned; drop(boxed)". */
const char *sh_trace_step_title(const sh_trace_step *s);

/* Frames, bottom (main) first. depth >= nframes: a deep recursion's middle is left out,
 * between frame 0 and frame 1. */
size_t sh_trace_step_nframes(const sh_trace_step *s);
const sh_trace_frame *sh_trace_step_frame(const sh_trace_step *s, size_t i);
size_t sh_trace_step_depth(const sh_trace_step *s);
/* The static region: globals, statics, the string literals pointers reach. */
size_t sh_trace_step_nstatics(const sh_trace_step *s);
const sh_trace_var *sh_trace_step_static(const sh_trace_step *s, size_t i);
/* Live heap blocks, by address. */
size_t sh_trace_step_nblocks(const sh_trace_step *s);
const sh_trace_block *sh_trace_step_block(const sh_trace_step *s, size_t i);
/* What happened since the step before, in order. */
size_t sh_trace_step_nevents(const sh_trace_step *s);
const sh_trace_event *sh_trace_step_event(const sh_trace_step *s, size_t i);

const char *sh_trace_frame_function(const sh_trace_frame *f);
const char *sh_trace_frame_file(const sh_trace_frame *f);
int sh_trace_frame_line(const sh_trace_frame *f);   /* the line this frame stands at */
size_t sh_trace_frame_nvars(const sh_trace_frame *f);
const sh_trace_var *sh_trace_frame_var(const sh_trace_frame *f, size_t i);

const char *sh_trace_var_name(const sh_trace_var *v);
const char *sh_trace_var_type(const sh_trace_var *v);   /* as the language spells it */
uint64_t sh_trace_var_addr(const sh_trace_var *v);      /* in the program; 0: a register */
size_t sh_trace_var_size(const sh_trace_var *v);
bool sh_trace_var_is_param(const sh_trace_var *v);
bool sh_trace_var_changed(const sh_trace_var *v);       /* differs from the step before */
const sh_trace_value *sh_trace_var_value(const sh_trace_var *v);

/* ---- values ------------------------------------------------------------------------------ */

typedef enum sh_trace_kind {
    SH_TRACE_UNINIT = 0,      /* not yet initialised: the diagram's `?` */
    SH_TRACE_INT = 1,         /* signed integers, enums */
    SH_TRACE_UINT = 2,
    SH_TRACE_FLOAT = 3,
    SH_TRACE_BOOL = 4,
    SH_TRACE_CHAR = 5,
    SH_TRACE_POINTER = 6,     /* sh_trace_value_addr; sh_trace_value_target: its block */
    SH_TRACE_STRUCT = 7,      /* named fields (a Rust enum: the active variant's) */
    SH_TRACE_ARRAY = 8,       /* unnamed elements */
    SH_TRACE_OWNED = 9,       /* String, Vec<T>, Box<T>, sh_string, sh_vec, sh_box, Rc, ...:
                                 {ptr, len, cap} with an arrow to its block */
    SH_TRACE_UNREADABLE = 10  /* optimised out, or no location */
} sh_trace_kind;

sh_trace_kind sh_trace_value_kind(const sh_trace_value *v);
const char *sh_trace_value_type(const sh_trace_value *v);   /* NULL if not known */
/* The value as the diagram writes it ("15", "?", "(1.0, 2.0)", "{1, 2}" in C, "\"Hello\"",
 * "{ptr, len 3, cap 4}"), in the step's language, valid as the step is. */
const char *sh_trace_value_text(const sh_trace_step *s, const sh_trace_value *v);
/* Numbers: INT, CHAR and BOOL as int64_t, UINT as uint64_t, FLOAT as double; each accessor
 * converts from the other numeric kinds as C does. 0 for any other kind. */
int64_t sh_trace_value_int(const sh_trace_value *v);
uint64_t sh_trace_value_uint(const sh_trace_value *v);
double sh_trace_value_float(const sh_trace_value *v);
/* POINTER: the address it holds; OWNED: its ptr. 0 otherwise. */
uint64_t sh_trace_value_addr(const sh_trace_value *v);
/* The live block a POINTER or OWNED value points into in step s (the step it was read
 * from), or NULL (NULL, dangling, into the stack or a static). */
const sh_trace_block *sh_trace_value_target(const sh_trace_step *s, const sh_trace_value *v);
/* OWNED: len and cap (a String's bytes, a Vec's elements; a Box has neither: 0). */
uint64_t sh_trace_value_len(const sh_trace_value *v);
uint64_t sh_trace_value_cap(const sh_trace_value *v);
/* STRUCT fields and ARRAY elements; a name is NULL for an element. Elements left out of a
 * long array: sh_trace_value_truncated. */
size_t sh_trace_value_nfields(const sh_trace_value *v);
const sh_trace_value *sh_trace_value_field(const sh_trace_value *v, size_t i);
const char *sh_trace_value_field_name(const sh_trace_value *v, size_t i);
size_t sh_trace_value_truncated(const sh_trace_value *v);

/* ---- heap blocks ------------------------------------------------------------------------- */

uint64_t sh_trace_block_id(const sh_trace_block *b);     /* 1, 2, ...: never reused */
uint64_t sh_trace_block_addr(const sh_trace_block *b);
size_t sh_trace_block_size(const sh_trace_block *b);
const char *sh_trace_block_type(const sh_trace_block *b);  /* "int[8]", "[u8; 5]"; NULL: untyped */
/* The handle that owns it ("v", "list.next", "v[0]"), or NULL (C pointers own nothing). */
const char *sh_trace_block_owner(const sh_trace_block *b);
const sh_trace_value *sh_trace_block_value(const sh_trace_block *b);  /* decoded as its type */
/* A copy of its first bytes, *ret_len of them (a long block's copy stops short). */
const unsigned char *sh_trace_block_bytes(const sh_trace_block *b, size_t *ret_len);
/* The user's line that allocated it: file NULL and line 0 if not known. */
const char *sh_trace_block_alloc_file(const sh_trace_block *b);
int sh_trace_block_alloc_line(const sh_trace_block *b);

/* ---- events ------------------------------------------------------------------------------ */

typedef enum sh_trace_ev {
    SH_TRACE_EV_CALL = 0, SH_TRACE_EV_LINE = 1, SH_TRACE_EV_RETURN = 2,
    SH_TRACE_EV_ALLOC = 3, SH_TRACE_EV_FREE = 4, SH_TRACE_EV_REALLOC = 5,
    SH_TRACE_EV_DROP = 6, SH_TRACE_EV_EXIT = 7, SH_TRACE_EV_SIGNAL = 8,
    SH_TRACE_EV_OUTPUT = 9, SH_TRACE_EV_LIMIT = 10
} sh_trace_ev;

sh_trace_ev sh_trace_event_kind(const sh_trace_event *e);
/* CALL, RETURN: the function; DROP: the dropped handle's path. NULL otherwise. */
const char *sh_trace_event_function(const sh_trace_event *e);
/* ALLOC, FREE, REALLOC: the block's id and size (REALLOC: the new size). 0 otherwise. */
uint64_t sh_trace_event_block_id(const sh_trace_event *e);
size_t sh_trace_event_size(const sh_trace_event *e);
/* RETURN: the value returned (a float's truncated; a pointer's address); EXIT: the exit
 * code; SIGNAL: the signal. false when there is none (a void function). */
bool sh_trace_event_value(const sh_trace_event *e, int64_t *ret_value);
/* OUTPUT: the bytes the program wrote (*ret_len of them; may hold NULs); SIGNAL: its name;
 * LIMIT: what stopped the run. NULL otherwise. ret_len may be NULL. */
const char *sh_trace_event_text(const sh_trace_event *e, size_t *ret_len);

/* ---- writing ----------------------------------------------------------------------------- */

typedef enum sh_trace_format {
    SH_TRACE_TEXT = 0,     /* every step's Stack | Heap diagram, then the summary */
    SH_TRACE_JSON = 1,     /* the JSON trace, version 2: each step as what changed since the
                              one before (docs/trace-json.md, docs/read_trace.py) */
    SH_TRACE_HTML = 2,     /* the self-contained lesson page (docs/html.md) */
    SH_TRACE_PYTUTOR = 3,  /* Online Python Tutor's trace, as its C backend writes it; refused
                              past SH_TRACE_PYTUTOR_MAX (sh_trace_write_pytutor) */
    SH_TRACE_JSON_V1 = 4   /* the JSON trace, version 1: every step whole */
} sh_trace_format;

/* Text flags: colour only when `out` is a terminal and NO_COLOR is unset, UTF-8 box drawing
 * when the locale says so, the width from COLUMNS or the terminal (else 100); these flags
 * turn the first two off. Other formats ignore them. */
enum { SH_TRACE_ASCII = 1u << 0, SH_TRACE_NO_COLOR = 1u << 1 };

/* The whole trace. 0, or -1 with errno when writing failed (EINVAL: an unknown format;
 * EFBIG: a Python Tutor export past SH_TRACE_PYTUTOR_MAX, nothing written). */
SH_WARN_UNUSED
int sh_trace_write(const sh_trace *t, FILE *out, sh_trace_format format, unsigned flags);

/* Python Tutor's export repeats the whole stack and heap in every step, and its front end
 * is never handed more than 10 MiB by Python Tutor's own server: an export past `limit`
 * (0: none) is refused, -1 with errno EFBIG and nothing written; then *ret_size is its size
 * (counted up to SH_TRACE_PYTUTOR_COUNT_MAX, past which it is "more") and *ret_fit how many
 * first steps fit. Either pointer may be NULL. */
#define SH_TRACE_PYTUTOR_MAX ((size_t)10 << 20)
#define SH_TRACE_PYTUTOR_COUNT_MAX ((size_t)1 << 30)
SH_WARN_UNUSED
int sh_trace_write_pytutor(const sh_trace *t, FILE *out, size_t limit, size_t *ret_size,
                           size_t *ret_fit);
/* The three below write to a terminal as a run goes, as printf does; like printf, they
 * do not insist on their result being read (ferror(out) at the end tells the same).
 * One step's text diagram (heading, file:line, Stack | Heap, its events), as
 * `stackheap run` prints it: for a viewer that shows steps as they come (on_step). */
int sh_trace_step_write(const sh_trace_step *s, FILE *out, unsigned flags);
/* The step's events from event `from` on that the text view gives a line (output, exit,
 * signal, limit): what a step shown during the run gained when the run ended on it. */
int sh_trace_step_write_events(const sh_trace_step *s, size_t from, FILE *out,
                               unsigned flags);
/* The text view's last part: how the program ended, its leaks. */
int sh_trace_write_summary(const sh_trace *t, FILE *out, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif
