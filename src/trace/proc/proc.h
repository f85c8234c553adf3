/*
 * src/trace/proc/proc.h — process control: run a program under ptrace, with ASLR off so its
 * addresses repeat from run to run, stop it at breakpoints, read its memory and registers,
 * find its libraries and symbols, and watch its heap (malloc & co.) from the outside.
 *
 *     char err[256];
 *     shi_proc *p = shi_proc_spawn(argv, &(shi_spawn_opts){.capture_output = true}, err, sizeof err);
 *     if (!p) { fprintf(stderr, "stackheap: %s\n", err); return 1; }   // "./prog: no such file"
 *     shi_proc_break(p, shi_proc_symbol(p, NULL, "main"));            // stopped at exec
 *     shi_stop st; shi_proc_cont(p, &st);                             // st.kind == SHI_STOP_BREAKPOINT
 *     shi_proc_free(p);                                               // kills and reaps it
 *
 * One tracee per shi_proc; the calls are not thread-safe and must come from the thread that
 * spawned it (ptrace ties a tracee to one tracer thread). From the first cont or step until
 * shi_proc_free, that thread and the program share one CPU (a stop is then a context switch,
 * not a cross-CPU wake-up), unless the thread was bound to a single CPU already. Only the main thread is reported:
 * threads are traced just enough to keep breakpoints and heap watching working; forked
 * children are detached (their breakpoints removed first) and counted (shi_proc_forks).
 * Functions returning int give 0 on success, -1 with errno set on failure.
 */
#ifndef SH_TRACE_PROC_H
#define SH_TRACE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "trace/proc/maps.h"

typedef struct shi_proc shi_proc;

/* ---- spawning ---------------------------------------------------------------------------- */

typedef struct shi_spawn_opts {
    const char *stdin_path;   /* the program's stdin is this file; NULL: inherited */
    bool capture_output;      /* stdout and stderr are read with shi_proc_take_output;
                                 false: passed through to ours. stdout is then a raw
                                 pseudo-terminal (isatty(1) is true, C stdio flushes each
                                 line, "\n" stays "\n"), stderr a pipe (isatty(2) false) */
    bool stop_at_exit;        /* report SHI_STOP_EXITING before the program's end, while its
                                 memory is still there to read (PTRACE_O_TRACEEXIT) */
} shi_spawn_opts;

/* Forks and execs argv[0] (searched in PATH like a shell) with ASLR off, traced; returns it
 * stopped right after exec (before the dynamic loader ran: only the executable and ld.so are
 * mapped). On failure returns NULL and writes a message naming the program into err, such as
 * "./prog: no such file or directory" or "./prog: not executable (permission denied)",
 * with errno the reason (exec's own: ENOENT, EACCES, ENOEXEC, ...). `o` may be NULL. */
shi_proc *shi_proc_spawn(char *const argv[], const shi_spawn_opts *o, char *err, size_t errlen);

/* Kills the tracee if still running, reaps it and every traced thread, frees p. NULL is fine. */
void shi_proc_free(shi_proc *p);

pid_t shi_proc_pid(const shi_proc *p);
bool shi_proc_alive(const shi_proc *p);
unsigned shi_proc_forks(const shi_proc *p);     /* fork/vfork children seen (detached) */
unsigned shi_proc_threads(const shi_proc *p);   /* threads started besides the main one */

/* Everything the program wrote to fd 1 (stdout) or 2 (stderr) since the last call, as a
 * NUL-terminated malloc'd string the caller frees (length in *ret_len if not NULL), or NULL
 * if nothing was written. Output is read while the program runs, so a chatty program never
 * blocks on a full pipe; at a stop, everything written before it is there (a C program's
 * printf of a whole line included, stdout being a terminal), and after the exit stop all
 * of it. Never blocks. Only with capture_output. */
char *shi_proc_take_output(shi_proc *p, int fd, size_t *ret_len);

/* ---- running ----------------------------------------------------------------------------- */

typedef enum shi_stop_kind {
    SHI_STOP_BREAKPOINT,  /* at `addr`, a breakpoint set with shi_proc_break; rip == addr */
    SHI_STOP_STEP,        /* one instruction done (shi_proc_step) */
    SHI_STOP_SIGNAL,      /* the program received `signal` (fault_addr for SIGSEGV/SIGBUS/
                             SIGILL/SIGFPE); the next cont/step delivers it unless
                             shi_proc_discard_signal is called */
    SHI_STOP_EXITED,      /* exited with `exit_code`; the process is gone */
    SHI_STOP_KILLED,      /* terminated by `signal`; the process is gone */
    SHI_STOP_EXEC,        /* the program exec'd another one: breakpoints and heap watching
                             are gone with the old image */
    SHI_STOP_EXITING,     /* only with stop_at_exit: the main thread is exiting (exit_code,
                             or `signal` if a signal ends it); memory, maps and registers
                             are still readable; the next cont gives EXITED or KILLED. (A
                             main thread ending by pthread_exit while others run stops here
                             too.) */
    SHI_STOP_HEAP_CALL,   /* only with shi_proc_report_heap_calls: an allocating call's entry,
                             on any thread (shi_proc_heap_call says which); answer it with
                             shi_proc_heap_answer, then cont again */
    SHI_STOP_ERROR        /* ptrace failed (errno in `error`); the tracee is in doubt */
} shi_stop_kind;

typedef struct shi_stop {
    shi_stop_kind kind;
    uint64_t addr;        /* BREAKPOINT: the breakpoint's address */
    uint64_t rip;         /* where the program is stopped (BREAKPOINT, STEP, SIGNAL) */
    int signal;           /* SIGNAL, KILLED */
    int si_code;          /* SIGNAL: siginfo's si_code (SEGV_MAPERR, ...) */
    uint64_t fault_addr;  /* SIGNAL: siginfo's si_addr for faults */
    int exit_code;        /* EXITED */
    int error;            /* ERROR: errno */
} shi_stop;

/* Continues until something from the list above happens. Heap events are collected on the
 * way (shi_proc_take_heap_events); only a call's entry may be a stop of its own
 * (shi_proc_report_heap_calls). If stopped on a breakpoint, the
 * original instruction is executed first. Returns 0, or -1 for SHI_STOP_ERROR. */
int shi_proc_cont(shi_proc *p, shi_stop *ret);
/* Executes one instruction of the main thread (stepping over a breakpoint byte correctly). */
int shi_proc_step(shi_proc *p, shi_stop *ret);
/* The signal reported by the last SIGNAL stop will not be delivered. */
void shi_proc_discard_signal(shi_proc *p);

/* Runs to the executable's entry point (AT_ENTRY): the dynamic loader has then mapped and
 * relocated every library, so libc's symbols can be found. Returns -1 if it exited first. */
int shi_proc_run_to_entry(shi_proc *p, shi_stop *ret);

/* ---- breakpoints ------------------------------------------------------------------------- */

/* int3 at addr (the original byte is saved and shown by shi_proc_read). Setting one twice is
 * fine; removing one not set gives -1/ENOENT. */
int shi_proc_break(shi_proc *p, uint64_t addr);
int shi_proc_unbreak(shi_proc *p, uint64_t addr);

/* ---- memory and registers ---------------------------------------------------------------- */

/* Reads len bytes at addr; breakpoint bytes read as the original code. -1/EFAULT if any part
 * is unmapped. Writes go through ptrace, so read-only code pages can be written too. */
int shi_proc_read(shi_proc *p, uint64_t addr, void *buf, size_t len);
int shi_proc_write(shi_proc *p, uint64_t addr, const void *buf, size_t len);
int shi_proc_read_u64(shi_proc *p, uint64_t addr, uint64_t *ret);
/* Many reads at once (a step copies the first bytes of every live block): a few
 * process_vm_readv calls of many ranges each instead of one call per range. Each span's
 * `ok` says whether its range was read (as shi_proc_read would have: breakpoint bytes
 * read as the original code). */
typedef struct shi_proc_span {
    uint64_t addr;
    void *buf;
    size_t len;
    bool ok;
} shi_proc_span;
void shi_proc_read_spans(shi_proc *p, shi_proc_span *spans, size_t n);

int shi_proc_get_regs(shi_proc *p, struct user_regs_struct *ret);
/* The main thread's x87/SSE registers (xmm0 holds a returned float or double). */
int shi_proc_get_fpregs(shi_proc *p, struct user_fpregs_struct *ret);
int shi_proc_set_regs(shi_proc *p, const struct user_regs_struct *r);

/* x86-64 DWARF register numbers: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp,
 * 8-15 r8-r15, 16 rip (the return address column). -1/EINVAL for any other number. */
int shi_regs_dwarf_get(const struct user_regs_struct *r, int regno, uint64_t *ret);
int shi_regs_dwarf_set(struct user_regs_struct *r, int regno, uint64_t value);

/* ---- memory map, modules, symbols -------------------------------------------------------- */

/* One mapped ELF file. `bias` is what to add to an address in the file (a symbol's value,
 * a DWARF address) to get the address in the process: the load base of a PIE or library,
 * 0 for a fixed-address executable. `start` is the lowest mapped address. */
typedef struct shi_module {
    char *path;
    uint64_t start, end, bias;
    bool is_exe;
} shi_module;

/* /proc/PID/maps as an array (trace/proc/maps.h); free with shi_maps_free. */
int shi_proc_maps(shi_proc *p, shi_map **ret, size_t *ret_n);

/* The executable and each mapped library (executable first); free with shi_modules_free. */
int shi_proc_modules(shi_proc *p, shi_module **ret, size_t *ret_n);
void shi_modules_free(shi_module *m, size_t n);
/* The executable's bias (PIE load base); -1/ESRCH if not mapped. */
int shi_proc_exe_bias(shi_proc *p, uint64_t *ret);
/* The path of the executable as the kernel sees it (/proc/PID/exe), malloc'd. */
char *shi_proc_exe_path(shi_proc *p);

/* The run-time address of a function or object `name` (ELF .symtab, else .dynsym) in the
 * module whose file name starts with `module` ("libc.so"), or in the executable if module
 * is NULL; 0 if not found. */
uint64_t shi_proc_symbol(shi_proc *p, const char *module, const char *name);

/* What an executable file is, read before it runs (proc follows 64-bit x86 programs only,
 * and a sanitizer's runtime takes malloc over): 0, or -1 with errno if it is not an ELF
 * file it can read. */
typedef struct shi_elf_facts {
    int elf_class;           /* ELFCLASS32 or ELFCLASS64 */
    int machine;             /* EM_X86_64, EM_386, ... */
    const char *sanitizer;   /* "address", "thread", "memory", "leak": its runtime is linked
                                in (a DT_NEEDED lib?san.so, or the __?san_init symbol); NULL */
} shi_elf_facts;
int shi_proc_elf_facts(const char *path, shi_elf_facts *ret);

/* The run-time address of the executable's Rust function at `path`
 * ("std::panicking::default_hook"), whichever mangling and crate hash it has; 0 if none. */
uint64_t shi_proc_rust_symbol(shi_proc *p, const char *path);

/* RLIMIT_STACK's soft limit of the tracee in bytes (UINT64_MAX for unlimited). */
int shi_proc_stack_limit(shi_proc *p, uint64_t *ret);

/* ---- heap watching ----------------------------------------------------------------------- */

typedef enum shi_heap_kind {
    SHI_HEAP_MALLOC,      /* malloc, and realloc(NULL, n) */
    SHI_HEAP_CALLOC,
    SHI_HEAP_REALLOC,     /* old_ptr moved/resized to ptr */
    SHI_HEAP_MEMALIGN,    /* posix_memalign, aligned_alloc, memalign */
    SHI_HEAP_FREE,        /* free(ptr), and realloc(ptr, 0) when it freed */
    SHI_HEAP_RESULT       /* a call watched by shi_proc_heap_watch_return came back: ptr is
                             its result (rax), caller where it returned to */
} shi_heap_kind;

/* Which C++ operator made or ended the block, when one did (libstdc++'s operator new calls
 * malloc, operator delete free: the outermost call is the operator's). */
typedef enum shi_heap_op {
    SHI_HEAP_OP_NONE,     /* malloc & co. called as themselves */
    SHI_HEAP_OP_NEW,      /* operator new (any variant: nothrow, aligned) */
    SHI_HEAP_OP_NEW_ARRAY,
    SHI_HEAP_OP_DELETE,   /* operator delete (any variant: sized, aligned) */
    SHI_HEAP_OP_DELETE_ARRAY
} shi_heap_op;

typedef struct shi_heap_event {
    shi_heap_kind kind;
    uint64_t ptr;         /* the block (result, or the argument of free) */
    uint64_t old_ptr;     /* REALLOC: the block before */
    uint64_t size;        /* bytes asked for (calloc: nmemb * size) */
    uint64_t caller;      /* the return address in the caller: which line allocated */
    pid_t tid;
    struct user_regs_struct regs;   /* at the function's entry ([rsp] is `caller`) */
    uint64_t tag;         /* shi_proc_heap_answer's at the call's entry (0 without) */
    shi_heap_op op;       /* MALLOC: new or new[]; FREE: delete or delete[] */
} shi_heap_event;

/* From now on, the entry of each outermost allocating call (not free) is a stop of its own
 * (SHI_STOP_HEAP_CALL), while the calling thread is stopped there and its stack is intact:
 * the tracer unwinds the caller's stack then to tell the program's allocations from the
 * runtime's. shi_proc_heap_call gives the call (kind, caller, tid, regs; ptr not known
 * yet); shi_proc_heap_answer's tag comes back as the call's event's `tag` (0 unanswered).
 * A stop, not a callback, so that this layer calls nothing above it. */
void shi_proc_report_heap_calls(shi_proc *p);
const shi_heap_event *shi_proc_heap_call(const shi_proc *p);
void shi_proc_heap_answer(shi_proc *p, uint64_t tag);

/* Puts breakpoints on malloc, calloc, realloc, reallocarray, free, posix_memalign,
 * aligned_alloc and memalign of the libc in use (running to the entry point first if libc
 * is not mapped yet; a static executable's own malloc is used otherwise), on libstdc++'s
 * operator new, new[], delete and delete[] when the program has it, and on
 * stackheap's sh_malloc family when the program has it (linked in or libstackheap.so). Only the outermost call per thread
 * counts: calloc or realloc calling malloc inside libc gives one event. free(NULL) and
 * failed allocations give none. Returns -1/ENOENT if no malloc was found. */
int shi_proc_watch_heap(shi_proc *p);
/* The call of task tid's that will return to ret_addr with rsp == sp (a library call made by
 * the program, seen from an allocation inside it) reports its result as a SHI_HEAP_RESULT
 * event when it does; for the tracer at a heap call stop. A few calls per thread at most
 * (nested ones, a callback's); more are ignored, as are repeats of one. */
int shi_proc_heap_watch_return(shi_proc *p, pid_t tid, uint64_t ret_addr, uint64_t sp);

/* Calls of the function at `addr` run unwatched: from its entry to its return, the calling
 * thread's heap calls give no events and cost no unwinding; while the program has one
 * thread, the heap functions' breakpoints are even out of memory, so they cost no stops.
 * For the runtime's own work that allocates by the ten thousand (Rust's panic hook printing
 * a backtrace). The breakpoint is never reported as a stop. */
int shi_proc_heap_quiet_in(shi_proc *p, uint64_t addr);
/* The events since the last call, oldest first; the array (malloc'd) is the caller's. */
size_t shi_proc_take_heap_events(shi_proc *p, shi_heap_event **ret);

#endif
