/*
 * src/trace/engine/tracer.c — `stackheap run`'s engine: breakpoints on every is_stmt address of the
 * user's lines, continue, and at each stop that is a new line or a new frame record a step.
 *
 * Calls are caught at each shown function's first instruction and returns at the return
 * address (a shadow stack of calls, so calls at the same depth stay apart); a stop that
 * would merge into the last step makes one when a call or return waits for it.
 *
 * Frames come from the call frame information (unwind.c), so Rust and code without frame
 * pointers are walked as well as gcc -O0's; breakpoints inside a function's prologue are
 * left out, so every local has its final home at a stop. Heap
 * blocks are numbered in allocation order (addresses are reused, numbers are not) and only
 * the program's are shown: those its own code allocated, and those a library allocated for
 * one of its lines once the program reaches them (strdup's copy; libc's stdio buffers stay
 * hidden). Rust's panic hook runs unwatched (docs/trace-json.md, "Which blocks are the
 * program's").
 */
#define _GNU_SOURCE   /* sigabbrev_np */
#include "trace/engine/tracer.h"
#include "core/grow.h"
#include "core/panic.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "trace/debuginfo/dwarf.h"
#include "trace/model/narrate.h"
#include "trace/model/source.h"
#include "trace/debuginfo/heap_types.h"
#include "trace/engine/launch.h"
#include "trace/engine/live_blocks.h"
#include "trace/debuginfo/static_region.h"
#include "trace/proc/proc.h"
#include "trace/debuginfo/unwind.h"

/* A step keeps the innermost MAX_FRAMES - 1 frames and main: deep recursion would otherwise
 * copy thousands of frames into every step. */
enum { MAX_FRAMES = 100 };

typedef struct alloc_site {
    const char *file;   /* owned by the shi_dwarf */
    int line;
    uint64_t pc;        /* the user frame's return address into the allocating call */
    uint64_t sp;        /* the user frame's rsp once that call has returned */
} alloc_site;

typedef struct frame_info {
    const shi_function *fn;
    shi_uregs regs;       /* the frame's registers, as far as the unwinder restored them */
    uint64_t pc, cfa;
    uint64_t ret_addr;    /* where it returns to; 0 if the unwinder could not tell */
    bool top;             /* pc is where it stopped, not a return address */
    const char *file;
    int line;
    size_t act;           /* its call in tracer.acts, or SIZE_MAX if none matched */
    uint64_t id;          /* that call's number (0: none) */
} frame_info;

/* One call of a shown function, from the breakpoint on its first instruction to the one on
 * its return address: the shadow stack that tells apart calls at the same depth (sibling
 * recursive calls, a qsort comparator's calls reuse one CFA) and sees frames go without a
 * return (longjmp, a panic unwinding). */
typedef struct activation {
    const shi_function *fn;
    uint64_t cfa, ret_addr;
    uint64_t id;          /* 1, 2, ... in call order */
    int max_line;         /* the furthest line this call has shown in a step (0: none yet) */
} activation;

/* A source line with a line breakpoint: a call that reached it stopped there. */
typedef struct stop_line {
    const char *file;     /* owned by the shi_dwarf */
    int line;
} stop_line;

/* A local of the innermost frame not yet set at a step, declared on the line running: its
 * bytes then, so that when the line calls a function the caller's local shows its value
 * once the line has set it (`int a = 4; int r = sq(a);`: a = 4 in sq's steps, r still ?),
 * and a loop on the line shows its counter once it goes round. */
typedef struct unset_local {
    uint64_t call_id, addr, bits;
} unset_local;

/* A C++ object a step showed in a frame (a local of class type): a destructor called on
 * its address names it, though the variable may have left DWARF's scope by then (clang
 * ends a block's scope before the destructor calls at its closing brace). */
typedef struct cxx_object {
    uint64_t addr;
    char *name, *type;
} cxx_object;

/* A shown function's first instruction, where each of its calls is caught. */
typedef struct entry_point {
    uint64_t addr;        /* run-time address */
    const shi_function *fn;
} entry_point;

/* Why the watchdog killed the program. */
enum { WHY_NONE, WHY_TIMEOUT, WHY_INTERRUPT };

/* A thread that kills the program when the caller's interrupt flag is raised or when the
 * program spends `timeout` seconds of CPU time without a new step (a loop in code without
 * -g makes no stop at all: the tracer would wait in waitpid for ever). It kills only while
 * the program runs (the tracer is in shi_proc_cont, `running` under `lock`), so a step is
 * never read from a dying process; at a stop the tracer looks at the flag itself. */
typedef struct watchdog {
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool quit, running;       /* under lock */
    pid_t pid;
    clockid_t cpu;            /* the program's CPU clock */
    bool has_cpu;
    unsigned timeout;
    const volatile sig_atomic_t *interrupt;
    atomic_size_t steps;      /* steps made so far: progress resets the timeout */
    atomic_int why;           /* WHY_*: set before the kill */
} watchdog;

typedef struct tracer {
    shi_dwarf *d;
    shi_proc *p;
    shi_unwinder *uw;
    shi_sources *src;
    shi_trace *t;
    uint64_t bias, exe_start, exe_end;
    bool static_exe;     /* no libc.so mapped: libc's code is the executable's own */
    struct user_regs_struct regs;
    shi_live live;            /* the program's live blocks (and those waiting for it) */
    struct shown_block *heap_shown;   /* copy_blocks': the blocks shown in the step, */
    size_t cap_heap_shown;
    shi_proc_span *spans;        /* the ranges they are read in, */
    size_t cap_spans;
    unsigned char *span_bytes;   /* and what was read */
    size_t cap_span_bytes;
    alloc_site *sites;        /* the lines that allocated (heap events' tags index them) */
    size_t nsites, cap_sites;
    uint64_t next_id;
    shi_event *pending;       /* events since the last step (texts malloc'd) */
    size_t npending, cap_pending;
    const char *last_file;    /* the line running since the last step */
    int last_line;
    size_t max_steps;
    uint64_t last_pc;         /* the last breakpoint stop */
    uint64_t step_pc;         /* the stop the last step was made at */
    size_t last_depth;        /* user frames on the stack at the last stop */
    frame_info prev[MAX_FRAMES];   /* the frames of the last step, innermost first */
    frame_info cur[MAX_FRAMES];    /* make_step's: this stop's frames (per tracer, not static,
                                      so two traces can run in one process at once) */
    activation *acts;         /* the calls on the stack, outermost first */
    size_t nacts, cap_acts;
    uint64_t next_call;
    entry_point *entries;     /* sorted by address */
    size_t nentries;
    bool entering;            /* a step at a call's entry: the callee is not shown yet */
    stop_line *stop_lines;    /* by line, then file */
    size_t nstop_lines;
    unset_local *unset, *unset_prev;   /* this step's and the last step's */
    size_t nunset, cap_unset, nunset_prev, cap_unset_prev;
    uint8_t *quiet;           /* per line row: stops without a step (UINT8_MAX: it made one) */
    const shi_function *fns;  /* the user's units' functions (shi_dwarf_functions) */
    bool *shown;              /* per function: drawn as a frame (the user's own code, main) */
    size_t nprev;
    uint64_t stack_top;       /* the [stack] mapping's end */
    uint64_t return_pc;       /* the return address of the last return not yet on a step */
    shi_step_fn on_step;      /* shi_tracer_opts.on_step: steps handed over as they are final */
    void *on_step_arg;
    size_t told;              /* steps handed to on_step so far */
    cxx_object *objs;         /* C++: the objects of the frames still on the stack, by age */
    size_t nobjs, cap_objs;
    watchdog wd;
} tracer;

/* Room for one more element in a growing array (core/grow.h: out of memory panics). */
static void *grow(void *arr, size_t n, size_t *cap, size_t elem) {
    return shi_grow_at(arr, cap, n + 1, elem, __FILE__, __LINE__);
}

/* ---- pending events ---------------------------------------------------------------------- */

static shi_event *pend(tracer *tr, shi_event_kind kind) {
    tr->pending = grow(tr->pending, tr->npending, &tr->cap_pending, sizeof *tr->pending);
    shi_event *e = &tr->pending[tr->npending++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    return e;
}

static void flush_pending(tracer *tr, shi_step *s) {
    for (size_t i = 0; i < tr->npending; i++) {
        shi_event *src = &tr->pending[i], *e = shi_step_add_event(s, src->kind);
        *e = *src;
        e->function = shi_trace_strdup(src->function);
        e->text = src->text_len ? shi_trace_memdup(src->text, src->text_len)
                                : shi_trace_strdup(src->text);
        e->value_type = src->value_type;   /* moved, not copied */
        free(src->function);
        free(src->text);
    }
    tr->npending = 0;
}

/* Whether one of the statements the step before stood at (a frame's line: a method's own
 * `self.items = Vec::new()`, or a caller's `v = make();` the callee returned to) assigns to
 * the handle `owner` names ("list.items": its last member, "items"), or through a
 * reference (`*r = String::from("new")`: r's target is not known from the text, but a
 * statement assigning through one is no container's growth). */
static bool assigns_to(tracer *tr, const shi_step *prev, const char *owner) {
    const char *name = strrchr(owner, '.');
    name = name ? name + 1 : owner;
    size_t n = strlen(name);
    for (size_t i = 0; prev && i < prev->nframes; i++) {
        const char *text = shi_sources_line(tr->src, prev->frames[i].file, prev->frames[i].line);
        const char *st = text ? text + strspn(text, " \t") : NULL;
        if (st && st[0] == '*') {
            const char *q = st + 1;
            while (*q == '_' || *q == '.' || isalnum((unsigned char)*q)) q++;
            q += strspn(q, " \t");
            if (q > st + 1 && q[0] == '=' && q[1] != '=') return true;
        }
        for (const char *at = text; at && (at = strstr(at, name)); at++) {
            if (at > text && (at[-1] == '_' || isalnum((unsigned char)at[-1])))
                continue;   /* the end of a longer name */
            const char *q = at + n + strspn(at + n, " \t");
            if (q[0] == '=' && q[1] != '=' && q[1] != '>') return true;   /* not ==, => */
        }
    }
    return false;
}

/* A container that grows by a new block (C++'s vector and string, Rust's HashMap: Rust's Vec
 * and String realloc) copies into it and frees the old one: no drop of the handle, which
 * owns the new block in this very step. Its free stays told; the drop goes. But a Rust
 * reassignment (`v = vec![3]`) drops the old value for real, its new block made in the same
 * step as well: a statement assigning to the handle keeps its drop. */
static void forget_growth_drops(tracer *tr, const shi_step *s, size_t n) {
    const shi_step *prev = s->index ? shi_trace_step(tr->t, s->index - 1) : NULL;
    bool rust = shi_dwarf_language(tr->d) == SHI_LANG_RUST;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        shi_event *e = &tr->pending[i];
        bool grew = false;
        for (size_t k = 0; e->kind == SHI_EV_DROP && e->function && !grew && k < s->nblocks; k++) {
            if (!s->blocks[k].owner || strcmp(s->blocks[k].owner, e->function) != 0) continue;
            for (size_t j = 0; j < n && !grew; j++)   /* the other block: new in this step */
                grew = tr->pending[j].kind == SHI_EV_ALLOC &&
                       tr->pending[j].block_id == s->blocks[k].id;
        }
        if (grew && rust && assigns_to(tr, prev, e->function)) grew = false;
        if (grew) {
            free(e->function);
            free(e->text);
            continue;
        }
        tr->pending[kept++] = *e;
    }
    memmove(tr->pending + kept, tr->pending + n, (tr->npending - n) * sizeof *tr->pending);
    tr->npending -= n - kept;
}

static void take_output(tracer *tr) {
    for (int fd = 1; fd <= 2; fd++) {
        size_t len = 0;
        char *out = shi_proc_take_output(tr->p, fd, &len);
        if (!out) continue;
        shi_event *e = pend(tr, SHI_EV_OUTPUT);
        e->text = out;
        e->text_len = len;   /* whole, NUL bytes and all */
    }
}

/* ---- heap -------------------------------------------------------------------------------- */

static bool unwind_read(void *arg, uint64_t addr, void *buf, size_t len) {
    return shi_proc_read(((tracer *)arg)->p, addr, buf, len) == 0;
}

static live_block *find_block(tracer *tr, uint64_t addr) {
    return shi_live_at(&tr->live, addr);
}

static bool in_exe(const tracer *tr, uint64_t addr) {
    return addr >= tr->exe_start && addr < tr->exe_end;
}

/* Whether pc (a return address in the executable) runs Rust's std proper, as opposed to
 * alloc or core, or std's allocator glue (__rdl_alloc): std allocates for itself (stdout's
 * buffer, the thread's name, the panic's payload) and for callers that keep the result
 * (read_line's String). By the line's file, not the unit's: with shared generics, alloc's
 * Vec code the program calls may be instantiated in std's unit. */
static bool in_rust_std(tracer *tr, uint64_t pc) {
    const char *file;
    if (!shi_dwarf_line_at(tr->d, pc - tr->bias - 1, &file, NULL) || !file) return false;
    /* std's own units name their files relative ("library/std/src/io/stdio.rs"), the copies
     * of its generic code in the user's unit absolute ("/rustc/<hash>/library/std/...") */
    const char *std = strncmp(file, "library/std/src/", 16) == 0 ? file
                    : strstr(file, "/library/std/src/");
    return std && !strstr(std, "/std/src/alloc.rs") && !strstr(std, "/std/src/sys/alloc/");
}

/* Whose allocation this is (the answer to a heap call stop, see classify_allocation). */
typedef enum whose {
    RUNTIME,      /* no user frame on the way (before main, after it, the runtime's threads) */
    PROGRAM,      /* the innermost user frame made it, directly or through code of the
                     executable's own (own.h's values, Vec::push, String::from) */
    ON_BEHALF,    /* a user line called a library (libc's strdup or printf, a shared library
                     of the user's, Rust's std): the program's only once the call returns it
                     or something of the program's reaches it (claim_reached) */
} whose;

/* Walks the allocating call's stack out to the innermost user frame. On PROGRAM or
 * ON_BEHALF, the user's line that allocated (or called the library that did). */
static whose user_allocation(tracer *tr, const shi_heap_event *h, const char **ret_file,
                             int *ret_line, uint64_t *ret_pc, uint64_t *ret_sp) {
    shi_uregs r;
    shi_uregs_from_user(&r, &h->regs);
    r.r[SHI_UREG_PC] = h->caller;            /* at the entry: the caller's registers but */
    r.r[SHI_UREG_RSP] = h->regs.rsp + 8;     /* the return address popped */
    bool library = false;
    for (int i = 0; i < 256; i++) {
        uint64_t pc = r.r[SHI_UREG_PC];
        const shi_function *fn = in_exe(tr, pc) ? shi_dwarf_function_at(tr->d, pc - tr->bias - 1)
                                                : NULL;
        if (fn && fn->is_user) {
            /* code inlined from elsewhere (Rust's #[inline(always)] Box::new) has its own
             * file's lines: the user's line is its call site, else the one running */
            uint64_t rel = pc - tr->bias - 1;
            if ((!shi_dwarf_line_at(tr->d, rel, ret_file, ret_line) ||
                 !shi_dwarf_is_user_file(tr->d, *ret_file)) &&
                !shi_dwarf_call_site(tr->d, rel, ret_file, ret_line)) {
                *ret_file = tr->last_file;
                *ret_line = tr->last_line;
            }
            *ret_line = shi_sources_statement_start(tr->src, *ret_file, *ret_line);
            *ret_pc = pc;
            *ret_sp = r.r[SHI_UREG_RSP];
            return library ? ON_BEHALF : PROGRAM;
        }
        /* a static executable carries libc's code, without debug information: it is a
         * library all the same (stdout's buffer, made in printf, is not the program's) */
        library = library || !in_exe(tr, pc) || in_rust_std(tr, pc) ||
                  (tr->static_exe && !shi_dwarf_line_at(tr->d, pc - tr->bias - 1, NULL, NULL));
        shi_uregs caller;
        uint64_t cfa;
        if (shi_unwind_step(tr->uw, &r, false, unwind_read, tr, &cfa, &caller) != 0) break;
        r = caller;
    }
    return RUNTIME;
}

/* A heap call's tag for an ON_BEHALF allocation: its site's number with this bit set. */
#define ON_BEHALF_TAG (UINT64_C(1) << 63)

/* The answer to a heap call stop (proc.h), at an allocating call's entry: 0 for the
 * runtime's allocations, else 1 + the index of the allocating line in tr->sites, with
 * ON_BEHALF_TAG for those made by a library for a user line. */
static uint64_t classify_allocation(tracer *tr, const shi_heap_event *call) {
    alloc_site site;
    whose w = user_allocation(tr, call, &site.file, &site.line, &site.pc, &site.sp);
    if (w == RUNTIME) return 0;
    uint64_t flag = w == ON_BEHALF ? ON_BEHALF_TAG : 0;
    /* what the library call gives back to the user's line is the program's even if nothing
     * keeps it (`puts(strdup(s))` leaks it) */
    if (w == ON_BEHALF) shi_proc_heap_watch_return(tr->p, call->tid, site.pc, site.sp);
    for (size_t i = tr->nsites; i-- > 0;)
        if (tr->sites[i].pc == site.pc && tr->sites[i].line == site.line &&
            tr->sites[i].file == site.file)
            return (i + 1) | flag;
    tr->sites = grow(tr->sites, tr->nsites, &tr->cap_sites, sizeof *tr->sites);
    tr->sites[tr->nsites++] = site;
    return tr->nsites | flag;
}

/* The C++ operator an allocation or free event was made by, as its text says it ("new",
 * "delete[]"); NULL for malloc & co. */
static char *op_text(shi_heap_op op) {
    static const char *const words[] = {[SHI_HEAP_OP_NEW] = "new", [SHI_HEAP_OP_NEW_ARRAY] = "new[]",
                                        [SHI_HEAP_OP_DELETE] = "delete",
                                        [SHI_HEAP_OP_DELETE_ARRAY] = "delete[]"};
    return op != SHI_HEAP_OP_NONE && (size_t)op < sizeof words / sizeof words[0]
               ? strdup(words[op]) : NULL;
}

/* A block the program allocated: `tag` is classify_allocation's answer (its site,
 * 1-based), `op` the C++ operator that made it, if one did. One made on its behalf waits,
 * unnumbered and unseen, until something of the program's reaches it (claim_reached). */
static void add_block(tracer *tr, uint64_t addr, uint64_t size, uint64_t tag, shi_heap_op op) {
    /* a block still at this address had a free that went unseen (inside the panic hook's
     * unwatched window): it is gone */
    live_block *gone = find_block(tr, addr);
    if (gone && !gone->waiting) {
        shi_event *e = pend(tr, SHI_EV_FREE);
        e->addr = gone->addr; e->size = gone->size; e->block_id = gone->id;
    }
    if (gone) shi_live_remove(&tr->live, gone);
    const alloc_site *site = &tr->sites[(tag & ~ON_BEHALF_TAG) - 1];
    live_block *b = shi_live_add(&tr->live, addr);
    b->size = size;
    b->file = site->file;
    b->line = site->line;
    b->pc = site->pc;
    b->on_behalf = b->waiting = (tag & ON_BEHALF_TAG) != 0;
    if (b->waiting) return;
    shi_live_number(&tr->live, b, ++tr->next_id);
    shi_event *e = pend(tr, SHI_EV_ALLOC);
    e->addr = addr; e->size = size; e->block_id = b->id;
    e->text = op_text(op);
}

/* The path of the handle that owned the block ("v[0]", "b.name"; the model's owner) at the
 * latest step where it was live: its free is that value's drop. A value declared in an
 * inner block may be out of DWARF's scope already at the closing brace's step (nothing
 * reaches its block there), hence the look a few steps back while nothing types the block;
 * a block typed but owned by no named handle (one inside a block a C pointer reaches) is
 * dropped unnamed. */
static const char *owner_of(const tracer *tr, const live_block *b) {
    return b->owner_step && b->owner_step + 16 > tr->t->nsteps ? b->owner : NULL;
}

/* After a step: each of its blocks that something types or owns remembers its owner there
 * (steps leave memory as they are committed; owner_of looks here). */
static void remember_owners(tracer *tr, const shi_step *s) {
    for (size_t i = 0; i < s->nblocks; i++) {
        const shi_block *sb = &s->blocks[i];
        if (!sb->owner && !sb->type) continue;
        /* looked up, not walked to: most of a big heap is neither typed nor owned */
        live_block *b = shi_live_at(&tr->live, sb->addr);
        if (!b || b->id != sb->id) continue;
        if (!b->owner != !sb->owner || (b->owner && strcmp(b->owner, sb->owner) != 0)) {
            free(b->owner);
            b->owner = sb->owner ? strdup(sb->owner) : NULL;
        }
        b->owner_step = s->index + 1;
    }
}

/* The waiting block `addr` lies inside, past its start: what a library call returns may
 * point after a header of its own (C++'s __cxa_allocate_exception gives the thrown object,
 * which follows the runtime's 128-byte record of it in the same block). */
static live_block *waiting_around(tracer *tr, uint64_t addr) {
    size_t n, lo = 0;
    const size_t *order = shi_live_sorted(&tr->live, &n);
    for (size_t hi = n; lo < hi;) {   /* the first block starting after addr */
        size_t mid = lo + (hi - lo) / 2;
        if (shi_live_slot(&tr->live, order[mid])->addr <= addr) lo = mid + 1;
        else hi = mid;
    }
    live_block *b = lo ? shi_live_slot(&tr->live, order[lo - 1]) : NULL;
    return b && b->waiting && addr < b->addr + b->size ? b : NULL;
}

/* A heap event about a block still waiting for the program to reach it (add_block): told
 * nowhere. True if it was one. */
static bool waiting_event(tracer *tr, const shi_heap_event *h) {
    bool moves = h->kind == SHI_HEAP_REALLOC;
    if (!moves && h->kind != SHI_HEAP_FREE && h->kind != SHI_HEAP_RESULT) return false;
    live_block *b = find_block(tr, moves ? h->old_ptr : h->ptr);
    if (!b && h->kind == SHI_HEAP_RESULT && h->ptr) b = waiting_around(tr, h->ptr);
    if (!b || !b->waiting) return false;
    if (moves) {
        shi_live_move(&tr->live, b, h->ptr, h->size);
    } else if (h->kind == SHI_HEAP_FREE) {
        shi_live_remove(&tr->live, b);
    } else {
        b->returned = true;
    }
    return true;
}

static void take_heap(tracer *tr) {
    shi_heap_event *ev = NULL;
    size_t n = shi_proc_take_heap_events(tr->p, &ev);
    for (size_t i = 0; i < n; i++) {
        const shi_heap_event *h = &ev[i];
        live_block *b;
        if (waiting_event(tr, h)) continue;
        switch (h->kind) {
        case SHI_HEAP_MALLOC: case SHI_HEAP_CALLOC: case SHI_HEAP_MEMALIGN:
            if (h->tag) add_block(tr, h->ptr, h->size, h->tag, h->op);
            break;
        case SHI_HEAP_RESULT:   /* what a library call returned: only waiting blocks care */
            break;
        case SHI_HEAP_REALLOC:
            if ((b = find_block(tr, h->old_ptr))) {
                shi_event *e = pend(tr, SHI_EV_REALLOC);
                e->old_addr = b->addr; e->addr = h->ptr; e->size = h->size; e->block_id = b->id;
                shi_live_move(&tr->live, b, h->ptr, h->size);
            } else if (h->tag) {
                add_block(tr, h->ptr, h->size, h->tag, SHI_HEAP_OP_NONE);
            }
            break;
        case SHI_HEAP_FREE:
            if ((b = find_block(tr, h->ptr))) {
                const char *owner = owner_of(tr, b);
                if (owner) {
                    shi_event *d = pend(tr, SHI_EV_DROP);
                    d->function = strdup(owner);
                    /* C++ says which destructor ran; a library type's is not a frame */
                    if (shi_dwarf_language(tr->d) == SHI_LANG_CPP) d->text = strdup("destructor");
                    d->addr = b->addr; d->size = b->size; d->block_id = b->id;
                }
                shi_event *e = pend(tr, SHI_EV_FREE);
                e->addr = b->addr; e->size = b->size; e->block_id = b->id;
                e->text = op_text(h->op);
                shi_live_remove(&tr->live, b);
            }
            break;
        }
    }
    free(ev);
}

/* A block shown in the step being made: where its first bytes were read to. */
typedef struct shown_block {
    live_block *lb;
    uint64_t provisional;   /* a waiting block's number in the step (ON_BEHALF_TAG | slot) */
    size_t at, len;         /* its bytes: tr->span_bytes + at */
    size_t range;           /* read with tr->spans[range] */
    bool ok;                /* read */
    bool same;              /* the bytes the last step copied, and no block came or went */
} shown_block;

/* Blocks this close are read as one range, gap and all: a syscall reading 4 KiB costs less
 * than one range more (the kernel finds and pins the pages of each range on its own), and a
 * heap of small blocks is one range. */
enum { RANGE_GAP = 4096, RANGE_MAX = 1 << 20 };

/* Reads the first bytes of every shown block, in few calls (tr->shown's at, len, ok). */
static void read_shown(tracer *tr, size_t n) {
    size_t nranges = 0, total = 0;
    for (size_t i = 0; i < n;) {   /* ranges, over blocks by address */
        uint64_t start = tr->heap_shown[i].lb->addr, end = start + tr->heap_shown[i].len;
        size_t j = i + 1;
        for (; j < n; j++) {
            uint64_t a = tr->heap_shown[j].lb->addr, e = a + tr->heap_shown[j].len;
            if (a > end + RANGE_GAP || e - start > RANGE_MAX) break;
            if (e > end) end = e;
        }
        SHI_GROW(tr->spans, tr->cap_spans, nranges + 1);
        tr->spans[nranges++] = (shi_proc_span){.addr = start, .len = end - start,
                                               .buf = (void *)total};   /* an offset for now */
        for (size_t k = i; k < j; k++) {
            tr->heap_shown[k].at = total + (tr->heap_shown[k].lb->addr - start);
            tr->heap_shown[k].range = nranges - 1;
        }
        total += end - start;
        i = j;
    }
    SHI_GROW(tr->span_bytes, tr->cap_span_bytes, total ? total : 1);
    for (size_t r = 0; r < nranges; r++)
        tr->spans[r].buf = tr->span_bytes + (size_t)tr->spans[r].buf;
    shi_proc_read_spans(tr->p, tr->spans, nranges);
    for (size_t i = 0; i < n; i++) {
        shown_block *b = &tr->heap_shown[i];
        /* a range that could not be read whole (a gap unmapped): its blocks one by one */
        b->ok = tr->spans[b->range].ok ||
                shi_proc_read(tr->p, b->lb->addr, tr->span_bytes + b->at, b->len) == 0;
    }
}

/* The step's heap: every live block the program has (hidden ones aside), its first bytes
 * and the words among them that point into blocks. A block whose bytes are those the last
 * step copied keeps the pointers found in them then, unless blocks came, went or moved
 * since (a word may lead elsewhere now). */
static void copy_blocks(tracer *tr, shi_step *s) {
    size_t nlive, n = 0;
    const size_t *order = shi_live_sorted(&tr->live, &nlive);
    SHI_GROW(tr->heap_shown, tr->cap_heap_shown, nlive ? nlive : 1);
    for (size_t i = 0; i < nlive; i++) {
        live_block *lb = shi_live_slot(&tr->live, order[i]);
        if (lb->hidden) continue;
        tr->heap_shown[n++] = (shown_block){
            .lb = lb, .provisional = ON_BEHALF_TAG | order[i],
            .len = lb->size < LIVE_BYTES ? lb->size : LIVE_BYTES};
    }
    read_shown(tr, n);
    bool relink = tr->live.changed;
    tr->live.changed = false;
    shi_block *blocks = shi_step_add_blocks(s, n);
    for (size_t i = 0; i < n; i++) {
        shown_block *sh = &tr->heap_shown[i];
        const live_block *lb = sh->lb;
        shi_block *b = &blocks[i];
        b->addr = lb->addr;
        b->size = lb->size;
        /* a waiting one under a provisional number: claim_reached numbers it or takes it
         * out again */
        b->id = lb->waiting ? sh->provisional : lb->id;
        b->alloc_file = shi_trace_strdup(lb->file);
        b->alloc_line = lb->line;
        if (sh->len && sh->ok) shi_block_set_bytes(b, tr->span_bytes + sh->at, sh->len);
        sh->same = !relink && lb->copied == (b->nbytes > 0) && lb->nbytes == b->nbytes &&
                   (!b->nbytes || memcmp(lb->bytes, b->bytes, b->nbytes) == 0);
        if (sh->same)   /* the words found last time, in the order of their offsets */
            for (size_t j = 0; j < lb->nptrs; j++)
                shi_block_add_ptr(b, lb->ptrs[j].offset, lb->ptrs[j].target_id);
    }
    /* pointers between blocks (a list's next), by looking at the copied words of the
     * blocks that changed */
    for (size_t i = 0; i < n; i++) {
        if (tr->heap_shown[i].same) continue;
        live_block *lb = tr->heap_shown[i].lb;
        shi_block *b = &s->blocks[i];
        for (size_t off = 0; off + 8 <= b->nbytes; off += 8) {
            uint64_t word;
            memcpy(&word, b->bytes + off, 8);
            int64_t t = word ? shi_step_block_at(s, word) : -1;
            if (t >= 0) shi_block_add_ptr(b, off, s->blocks[t].id);
        }
        lb->copied = b->nbytes > 0;
        lb->nbytes = b->nbytes;
        if (b->nbytes) memcpy(lb->bytes, b->bytes, b->nbytes);
        SHI_RESIZE(lb->ptrs, b->nptrs);
        if (b->nptrs) memcpy(lb->ptrs, b->ptrs, b->nptrs * sizeof *b->ptrs);
        lb->nptrs = b->nptrs;
    }
}

/* ---- blocks made on the program's behalf ------------------------------------------------ */

enum { SCAN_BYTES = 4096 };   /* how much of a block is searched for pointers to waiting ones */

static void reach_from_value(const shi_step *s, const shi_value *v, bool *reached) {
    uint64_t addr = v->kind == SHI_VAL_POINTER ? v->addr
                  : v->kind == SHI_VAL_OWNED ? v->owned.ptr : 0;
    int64_t bi = addr ? shi_step_block_at(s, addr) : -1;
    if (bi >= 0) reached[bi] = true;
    for (size_t i = 0; i < v->nfields; i++) reach_from_value(s, v->fields[i].value, reached);
}

/* The step's waiting blocks (made by a library for a user line) that the library call
 * returned to the line, or that the program reaches — from a variable, a static, or a word
 * of a block its own code allocated (strdup's copy in a node, getline's buffer, read_line's
 * String, the Strings of a Vec) — become the program's:
 * numbered now, their allocation told in this step (`deferred`: the pending events held for
 * the next one, at the end of the list). The others leave the step. Blocks a
 * library made are not searched: a FILE the program holds is its, the FILE's buffer and
 * cookie stay the library's. */
static void claim_reached(tracer *tr, shi_step *s, size_t deferred) {
    size_t waiting = 0;
    for (size_t i = 0; i < s->nblocks; i++) waiting += (s->blocks[i].id & ON_BEHALF_TAG) != 0;
    if (!waiting) return;
    bool *reached = calloc(s->nblocks, sizeof *reached);
    size_t *todo = malloc(s->nblocks * sizeof *todo), ntodo = 0;
    unsigned char *buf = malloc(SCAN_BYTES);
    if (!reached || !todo || !buf) SHI_PANIC("trace: out of memory");
    for (size_t f = 0; f < s->nframes; f++)
        for (size_t k = 0; k < s->frames[f].nvars; k++)
            reach_from_value(s, &s->frames[f].vars[k].value, reached);
    for (size_t k = 0; k < s->statics.nvars; k++)
        reach_from_value(s, &s->statics.vars[k].value, reached);
    for (size_t i = 0; i < s->nblocks; i++)
        if ((s->blocks[i].id & ON_BEHALF_TAG) &&
            shi_live_slot(&tr->live, s->blocks[i].id & ~ON_BEHALF_TAG)->returned)
            reached[i] = true;
    for (size_t i = 0; i < s->nblocks; i++) {
        const live_block *lb = shi_live_at(&tr->live, s->blocks[i].addr);
        if (lb && !lb->on_behalf) todo[ntodo++] = i;
    }
    while (ntodo) {
        const shi_block *b = &s->blocks[todo[--ntodo]];
        size_t n = b->size < SCAN_BYTES ? b->size : SCAN_BYTES;
        n &= ~(size_t)7;
        /* a small block's words are all in the step already (a heap of 100,000 of them
         * and one waiting stdout buffer would otherwise be read again at every step) */
        const unsigned char *words = b->bytes;
        if (!n) continue;
        if (n > b->nbytes) {
            if (shi_proc_read(tr->p, b->addr, buf, n) != 0) continue;
            words = buf;
        }
        for (size_t off = 0; off < n; off += 8) {
            uint64_t word;
            memcpy(&word, words + off, 8);
            int64_t t = word ? shi_step_block_at(s, word) : -1;
            if (t >= 0) reached[t] = true;
        }
    }
    for (size_t i = 0; i < s->nblocks; i++) {   /* numbered in address order */
        shi_block *b = &s->blocks[i];
        if (!(b->id & ON_BEHALF_TAG) || !reached[i]) continue;
        live_block *lb = shi_live_slot(&tr->live, b->id & ~ON_BEHALF_TAG);
        lb->waiting = false;
        shi_live_number(&tr->live, lb, ++tr->next_id);
        for (size_t j = 0; j < s->nblocks; j++)
            for (size_t k = 0; k < s->blocks[j].nptrs; k++)
                if (s->blocks[j].ptrs[k].target_id == b->id) s->blocks[j].ptrs[k].target_id = lb->id;
        b->id = lb->id;
        /* told after the line's other events, before those held for the next step */
        shi_event *e = pend(tr, SHI_EV_ALLOC), ev;
        e->addr = lb->addr; e->size = lb->size; e->block_id = lb->id;
        ev = *e;
        shi_event *at = &tr->pending[tr->npending - 1 - deferred];
        memmove(at + 1, at, deferred * sizeof *at);
        *at = ev;
    }
    for (size_t i = s->nblocks; i-- > 0;)
        if (s->blocks[i].id & ON_BEHALF_TAG) shi_step_remove_block(s, i);
    free(reached);
    free(todo);
    free(buf);
}

/* The same activation in another step: a frame is one by its CFA and function. */
static const shi_frame *find_frame(const shi_step *s, const char *function, uint64_t cfa) {
    for (size_t i = 0; s && i < s->nframes; i++)
        if (s->frames[i].cfa == cfa && strcmp(s->frames[i].function, function) == 0)
            return &s->frames[i];
    return NULL;
}

static const shi_var *frame_var(const shi_frame *f, const char *name) {
    for (size_t i = 0; f && i < f->nvars; i++)
        if (strcmp(f->vars[i].name, name) == 0) return &f->vars[i];
    return NULL;
}

/* ---- frames ------------------------------------------------------------------------------ */

typedef struct frame_target {
    tracer *tr;
    const frame_info *fi;
    const frame_info *caller;   /* the frame that called fi's, if it is shown; else NULL */
} frame_target;

enum { DWARF_XMM0 = 17, DWARF_XMM15 = 32 };

static bool read_reg(void *arg, int regno, uint64_t *ret) {
    frame_target *ft = arg;
    /* optimised code keeps a double in an SSE register: its low 8 bytes, in the innermost
     * frame only (every xmm is the caller's to save: an outer frame's are gone) */
    struct user_fpregs_struct fp;
    if (regno >= DWARF_XMM0 && regno <= DWARF_XMM15) {
        if (!ft->fi->top || shi_proc_get_fpregs(ft->tr->p, &fp) != 0) return false;
        const unsigned int *x = &fp.xmm_space[(regno - DWARF_XMM0) * 4];
        *ret = (uint64_t)x[1] << 32 | x[0];
        return true;
    }
    if (regno < 0 || regno >= SHI_UREG_COUNT || !shi_uregs_has(&ft->fi->regs, regno)) return false;
    *ret = ft->fi->regs.r[regno];
    return true;
}

static bool read_mem(void *arg, uint64_t addr, void *buf, size_t len) {
    frame_target *ft = arg;
    return shi_proc_read(ft->tr->p, addr, buf, len) == 0;
}

/* A parameter's value at its function's entry (DW_OP_entry_value, gcc -O2 once the register
 * that brought it is reused): the caller's call site says what it passed, evaluated with
 * the caller's registers as the unwinder restored them, as gdb shows `k=k@entry=-5`. */
static bool entry_value(void *arg, int regno, uint64_t *ret) {
    frame_target *ft = arg;
    const frame_info *c = ft->caller;
    if (!c || c->top || ft->fi->ret_addr != c->pc) return false;
    frame_target cft = {ft->tr, c, NULL};
    shi_dwarf_target t = {.read_reg = read_reg, .read_mem = read_mem, .arg = &cft,
                          .cfa = c->cfa, .load_bias = ft->tr->bias};
    return shi_dwarf_call_value(ft->tr->d, c->pc - ft->tr->bias, regno, &t, ret);
}

/* Whether the source line, indentation aside, starts with `prefix`. */
static bool line_starts(tracer *tr, const char *file, int line, const char *prefix) {
    const char *text = shi_sources_line(tr->src, file, line);
    if (!text) return false;
    text += strspn(text, " \t");
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Code the compiler wrote for an attribute (Rust's #[derive(Debug)] impls) carries the
 * attribute's line: not the user's statements, so neither breakpoints nor frames. */
static bool generated_line(tracer *tr, const char *file, int line) {
    return line_starts(tr, file, line, "#[");
}

/* Walks the stack from the stop's registers, innermost first, up to the user's main, by the
 * call frame information (no frame pointers needed). Frames of code that is not the user's
 * (libc, Rust's std, inline helpers from headers) are walked through but not shown. Returns
 * how many were kept; *ret_depth counts every user frame, also those past `max`. */
static size_t walk_frames(tracer *tr, const struct user_regs_struct *stop, frame_info *out,
                          size_t max, size_t *ret_depth) {
    shi_uregs r;
    shi_uregs_from_user(&r, stop);
    size_t n = 0, depth = 0;
    const shi_function *main_fn = shi_dwarf_main(tr->d);
    for (bool top = true;; top = false) {
        uint64_t pc = r.r[SHI_UREG_PC];
        uint64_t rel = pc - tr->bias - (top ? 0 : 1);
        const shi_function *fn = in_exe(tr, pc) ? shi_dwarf_function_at(tr->d, rel) : NULL;
        shi_uregs caller;
        uint64_t cfa = 0;
        int rc = shi_unwind_step(tr->uw, &r, top, unwind_read, tr, &cfa, &caller);
        bool entering = top && tr->entering && fn && rel == fn->low_pc;
        if (fn && tr->shown[fn - tr->fns] && !entering) {
            depth++;
            if (n < max || fn == main_fn) {
                frame_info *f = &out[n < max ? n++ : max - 1];
                *f = (frame_info){.fn = fn, .regs = r, .pc = pc, .cfa = cfa, .top = top,
                                  .ret_addr = rc == 0 ? caller.r[SHI_UREG_PC] : 0};
                if (rc != 0 && shi_uregs_has(&r, SHI_UREG_RBP)) f->cfa = r.r[SHI_UREG_RBP] + 16;
                if (!shi_dwarf_line_at(tr->d, rel, &f->file, &f->line)) {
                    f->file = fn->decl_file;
                    f->line = fn->decl_line;
                }
                /* a statement over several lines is one step, at its first line */
                f->line = shi_sources_statement_start(tr->src, f->file, f->line);
            }
        }
        if (fn == main_fn || rc != 0) break;
        r = caller;
    }
    if (ret_depth) *ret_depth = depth;
    return n;
}

static int by_stop_line(const void *a, const void *b) {
    const stop_line *x = a, *y = b;
    if (x->line != y->line) return (x->line > y->line) - (x->line < y->line);
    return strcmp(x->file, y->file);
}

/* Whether a call running this line would have stopped there (a line breakpoint is on it). */
static bool stops_at(const tracer *tr, const char *file, int line) {
    if (!file) return false;
    stop_line key = {file, line};
    return bsearch(&key, tr->stop_lines, tr->nstop_lines, sizeof key, by_stop_line) != NULL;
}

typedef struct vars_ctx {
    tracer *tr;
    shi_step *s;
    size_t frame;           /* index in s->frames */
    frame_target ft;
    shi_dwarf_target target;
    const shi_frame *prev;  /* the same frame in the previous step, or NULL */
    int seen_line;          /* the furthest line this call showed before (INT_MAX: unknown) */
    uint64_t call_id;       /* the frame's call (0: unknown) */
    bool top;               /* the innermost frame */
} vars_ctx;

/* The bytes of a small variable as one word (0 if unreadable). */
static uint64_t raw_bits(tracer *tr, uint64_t addr, size_t size) {
    uint64_t bits = 0;
    if (size && size <= 8 && shi_proc_read(tr->p, addr, &bits, size) != 0) bits = 0;
    return bits;
}

/* Whether a local declared on its frame's running line was set since the last step, where
 * it was the innermost frame's and not set yet: its bytes changed. */
static bool set_since(const tracer *tr, uint64_t call_id, uint64_t addr, uint64_t bits) {
    for (size_t i = 0; i < tr->nunset_prev; i++)
        if (tr->unset_prev[i].call_id == call_id && tr->unset_prev[i].addr == addr)
            return tr->unset_prev[i].bits != bits;
    return false;
}

static int on_var(const shi_dwarf_var *v, void *arg) {
    vars_ctx *c = arg;
    shi_frame *f = &c->s->frames[c->frame];
    shi_var *sv = shi_frame_add_var(f, v->name, v->type_name, v->size);
    sv->is_param = v->is_param;
    /* A local declared at or below the running line has not been set yet (`sum = ?`), nor
     * one whose line this call jumped over (a recursive call returning early: it never
     * stopped at or past the declaration, though it has a stop), unless an earlier step of
     * this same call already showed it (a loop going back). */
    const shi_var *pv = frame_var(c->prev, v->name);
    bool skipped = c->seen_line < v->decl_line && stops_at(c->tr, c->ft.fi->file, v->decl_line);
    bool uninit = v->not_yet ||
                  (!v->is_param && (v->decl_line >= f->line || skipped) &&
                   !(pv && pv->value.kind != SHI_VAL_UNINIT));
    shi_dwarf_loc loc;
    c->target.entry_regno = v->entry_regno;
    if (v->loc) {
        if (shi_dwarf_eval_location(v->loc, v->nloc, v->frame_base, v->nframe_base,
                                    &c->target, &loc) != 0) {
            sv->value.kind = SHI_VAL_UNREADABLE;
            return 0;
        }
    } else if (!shi_dwarf_var_const(v, &loc)) {
        loc.kind = SHI_LOC_OPTIMISED;   /* the compiler kept no location for it here */
    }
    if (loc.kind == SHI_LOC_OPTIMISED) {
        shi_value_set_optimised_out(&sv->value);
        return 0;
    }
    if (loc.kind == SHI_LOC_MEMORY) {
        sv->addr = loc.addr;
        Dwarf_Die type = v->type;
        c->target.frame_base = v->frame_base;   /* a C VLA's bounds are locals of the frame */
        c->target.nframe_base = v->nframe_base;
        size_t vla_size;
        char *vla_name;
        if (!v->size && shi_dwarf_vla_shape(c->tr->d, &type, &c->target, &vla_size, &vla_name)) {
            sv->size = vla_size;   /* int[4], 16 bytes: the lengths it has at this step */
            free(sv->type);
            sv->type = shi_trace_strdup(vla_name);
            free(vla_name);
        }
        bool same_line = uninit && !v->not_yet && !v->is_param && v->decl_line == f->line &&
                         c->call_id && sv->size && sv->size <= 8;
        if (same_line) {
            uint64_t bits = raw_bits(c->tr, loc.addr, sv->size);
            tracer *tr = c->tr;
            /* the innermost frame too: a loop on one line going round has set its counter
             * (`for (int i = 0; ...) sum += i;`), though the line was never left */
            if (set_since(tr, c->call_id, loc.addr, bits)) {
                uninit = false;
            } else if (c->top) {
                tr->unset = grow(tr->unset, tr->nunset, &tr->cap_unset, sizeof *tr->unset);
                tr->unset[tr->nunset++] = (unset_local){c->call_id, loc.addr, bits};
            }
        }
        if (uninit) sv->value.kind = SHI_VAL_UNINIT;
        else if (shi_dwarf_read_value(c->tr->d, &type, loc.addr, &c->target, &sv->value) != 0)
            sv->value.kind = SHI_VAL_UNREADABLE;
    } else if (v->not_yet) {
        sv->value.kind = SHI_VAL_UNINIT;
    } else {
        /* optimised code: a register, a computed value or a constant is given only where
         * the compiler knows the variable holds it, set or not by a line stopped at */
        Dwarf_Die type = v->type;
        shi_dwarf_read_located(c->tr->d, &type, &loc, &c->target, &sv->value);
    }
    return 0;
}

/* At a closing brace, a Rust value whose block (the lesson's `boxed`) has left DWARF's
 * scope but is not dropped yet: the drops run on this very line. It stays in the frame,
 * as it was at the step before, until its block is freed. */
static bool closing_brace(tracer *tr, const char *file, int line) {
    return line_starts(tr, file, line, "}");
}

static void carry_pending_drops(tracer *tr, shi_step *s, size_t frame, const shi_frame *pf) {
    const shi_step *prev = s->index ? shi_trace_step(tr->t, s->index - 1) : NULL;
    if (!pf || !prev || !closing_brace(tr, s->frames[frame].file, s->frames[frame].line)) return;
    for (size_t k = 0; k < pf->nvars; k++) {
        const shi_var *pv = &pf->vars[k];
        if (pv->value.kind != SHI_VAL_OWNED || pv->value.owned.stale || pv->value.target_block < 0)
            continue;
        if (shi_step_find_block(s, prev->blocks[pv->value.target_block].id) < 0) continue;
        shi_frame *f = &s->frames[frame];
        if (frame_var(f, pv->name)) continue;
        shi_var *v = shi_frame_add_var(f, pv->name, pv->type, pv->size);
        v->addr = pv->addr;
        v->is_param = pv->is_param;
        shi_value_copy(&v->value, &pv->value);
    }
}

/* What a returning frame gave back, from the registers at its return address, into
 * the event: an integer-like value in `value`, a float in `fvalue`. */
static bool return_value(tracer *tr, Dwarf_Off fn_die, uint64_t rax, uint64_t xmm0,
                         shi_event *e) {
    shi_value v;
    if (shi_dwarf_return_value(tr->d, fn_die, rax, xmm0, &v) != 0) {
        shi_value_clear(&v);
        return false;
    }
    bool ok = true;
    switch (v.kind) {
    case SHI_VAL_INT: e->value = v.i; break;
    case SHI_VAL_UINT: case SHI_VAL_CHAR: e->value = (int64_t)v.u; break;
    case SHI_VAL_BOOL: e->value = v.b; break;
    /* C's titles write an address in hex; Rust's keep the decimal they always had */
    case SHI_VAL_POINTER:
        e->value = (int64_t)v.addr;
        e->is_pointer = SHI_LANG_IS_C_FAMILY(shi_dwarf_language(tr->d));
        break;
    case SHI_VAL_FLOAT: e->fvalue = v.f; e->is_float = true; break;
    default: ok = false; break;
    }
    if (ok) e->value_type = shi_trace_strdup(v.type);
    shi_value_clear(&v);
    return ok;
}

/* ---- return values ----------------------------------------------------------------------- */

/* The index of the first line row at addr, or -1. */
static int64_t line_index(const tracer *tr, uint64_t addr) {
    size_t n;
    const shi_line *lines = shi_dwarf_lines(tr->d, &n);
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lines[mid].addr + tr->bias < addr) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && lines[lo].addr + tr->bias == addr ? (int64_t)lo : -1;
}

static bool is_line_break(const tracer *tr, uint64_t addr) {
    return line_index(tr, addr) >= 0;
}

/* A line breakpoint that has stopped the program QUIET_AFTER times without ever making a
 * step (the second row of a `for` line, reached only from its first) is taken out: a third
 * of all stops in a loop, and nothing shown changes. One that ever made a step stays. */
enum { QUIET_AFTER = 16 };

static void count_stop(tracer *tr, uint64_t addr, bool stepped) {
    int64_t i = line_index(tr, addr);
    if (i < 0) return;
    if (stepped) { tr->quiet[i] = UINT8_MAX; return; }
    if (tr->quiet[i] == UINT8_MAX) return;
    if (++tr->quiet[i] < QUIET_AFTER) return;
    for (size_t k = 0; k < tr->nacts; k++)
        if (tr->acts[k].ret_addr == addr) { tr->quiet[i]--; return; }   /* a return's, too */
    shi_proc_unbreak(tr->p, addr);
}

/* Whether a line breakpoint lies past addr (a return address) in its function. A return's
 * step waits for the next line stop, so the rest of the calling line (the value's store)
 * shows; with none left in the frame (clang gives a one-line function's body one row) the
 * frame would return first, and the next return pile onto the same step. */
static bool line_follows(const tracer *tr, uint64_t addr) {
    const shi_function *f = shi_dwarf_function_at(tr->d, addr - tr->bias);
    if (!f || !tr->shown[f - tr->fns]) return true;   /* not the program's: its next stop */
    size_t n;
    const shi_line *lines = shi_dwarf_lines(tr->d, &n);
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lines[mid].addr + tr->bias <= addr) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i < n && lines[i].addr < f->high_pc; i++)
        if (tr->quiet[i] != QUIET_AFTER) return true;   /* not taken out by count_stop */
    return false;
}

/* The shown function whose first instruction is at addr, or NULL. */
static const shi_function *entry_at(const tracer *tr, uint64_t addr) {
    size_t lo = 0, hi = tr->nentries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->entries[mid].addr < addr) lo = mid + 1;
        else hi = mid;
    }
    return lo < tr->nentries && tr->entries[lo].addr == addr ? tr->entries[lo].fn : NULL;
}

static int by_entry(const void *a, const void *b) {
    const entry_point *x = a, *y = b;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

/* Takes the return breakpoint out once no call on the stack returns there and no line
 * starts there. */
static void release_return(tracer *tr, uint64_t ret_addr) {
    if (!ret_addr || is_line_break(tr, ret_addr)) return;
    for (size_t k = tr->nacts; k-- > 0;)
        if (tr->acts[k].ret_addr == ret_addr) return;
    shi_proc_unbreak(tr->p, ret_addr);
}

/* Whether a variable's type is the class a destructor ("~Stack") belongs to: "Stack",
 * "const Stack", "struct Stack", "Stack<int>". */
static bool of_class(const char *type, const char *dtor) {
    if (!type) return false;
    static const char *const skip[] = {"const ", "struct ", "class ", "union "};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strncmp(type, skip[i], strlen(skip[i])) == 0) type += strlen(skip[i]);
    size_t n = strcspn(dtor + 1, "<");
    return strncmp(type, dtor + 1, n) == 0 && (type[n] == 0 || type[n] == '<');
}

/* In order: two variables of sibling scopes may share an address, the newer one counts. */
static void forget_object(tracer *tr, size_t i) {
    free(tr->objs[i].name);
    free(tr->objs[i].type);
    memmove(&tr->objs[i], &tr->objs[i + 1], (tr->nobjs - i - 1) * sizeof *tr->objs);
    tr->nobjs--;
}

/* After a C++ step: its innermost frame's objects are remembered (an outer frame's scopes
 * do not change while it waits for a call), those of frames gone (below the stack pointer)
 * forgotten. A deep recursion keeps one per frame: looked up newest first. */
static void remember_objects(tracer *tr, const shi_step *s) {
    for (size_t i = tr->nobjs; i-- > 0;)
        if (tr->objs[i].addr < tr->regs.rsp) forget_object(tr, i);
    const shi_frame *f = s->nframes ? &s->frames[s->nframes - 1] : NULL;
    for (size_t k = 0; f && k < f->nvars; k++) {
        const shi_var *v = &f->vars[k];
        if (v->value.kind != SHI_VAL_STRUCT || !v->addr || !v->type) continue;
        bool known = false;
        for (size_t i = tr->nobjs; i-- > 0 && !known;)
            known = tr->objs[i].addr == v->addr && strcmp(tr->objs[i].name, v->name) == 0 &&
                    strcmp(tr->objs[i].type, v->type) == 0;
        if (known) continue;
        tr->objs = grow(tr->objs, tr->nobjs, &tr->cap_objs, sizeof *tr->objs);
        tr->objs[tr->nobjs++] = (cxx_object){v->addr, strdup(v->name), strdup(v->type)};
    }
}

/* At a C++ destructor's entry (a user class's: its own frame follows), the variable it
 * destroys, when a frame held it (`this`, the first argument, is its address): as Rust's
 * drops at a scope's end, a drop event names it, with the destructor that ran as its text.
 * An object on the heap is told by its free (`delete p`). */
static void pend_destroyed(tracer *tr, const shi_function *fn) {
    if (shi_dwarf_language(tr->d) != SHI_LANG_CPP || fn->name[0] != '~') return;
    uint64_t self = tr->regs.rdi;
    for (size_t i = tr->nobjs; i-- > 0;) {
        if (tr->objs[i].addr != self || !of_class(tr->objs[i].type, fn->name)) continue;
        shi_event *e = pend(tr, SHI_EV_DROP);
        e->function = strdup(tr->objs[i].name);
        size_t len = strlen(fn->name) + 3;
        if ((e->text = malloc(len))) snprintf(e->text, len, "%s()", fn->name);
        forget_object(tr, i);   /* destroyed: its place may hold another object next */
        return;
    }
}

/* At a shown function's first instruction: a call. rsp holds the return address, so the
 * frame's CFA is rsp + 8 (before the prologue pushes anything). */
static void on_call(tracer *tr, const shi_function *fn) {
    uint64_t ret_addr = 0;
    if (shi_proc_read_u64(tr->p, tr->regs.rsp, &ret_addr) != 0) ret_addr = 0;
    tr->acts = grow(tr->acts, tr->nacts, &tr->cap_acts, sizeof *tr->acts);
    tr->acts[tr->nacts++] = (activation){.fn = fn, .cfa = tr->regs.rsp + 8,
                                         .ret_addr = ret_addr, .id = ++tr->next_call};
    if (ret_addr) shi_proc_break(tr->p, ret_addr);
    pend(tr, SHI_EV_CALL)->function = shi_trace_strdup(fn->name);
    pend_destroyed(tr, fn);
}

/* A call that went without returning (longjmp past it, a panic or a C++ exception
 * unwinding it): a return event whose text says how. */
static void pend_popped(tracer *tr, const activation *a, bool abnormal) {
    shi_event *e = pend(tr, SHI_EV_RETURN);
    e->function = shi_trace_strdup(a->fn->name);
    if (!abnormal) return;
    switch (shi_dwarf_language(tr->d)) {
    case SHI_LANG_C: e->text = strdup("longjmp"); break;
    /* a C++ program may longjmp too, but seldom: a throw is what unwinds its frames */
    case SHI_LANG_CPP: e->text = strdup("exception"); break;
    default: e->text = strdup("panic"); break;
    }
}

/* The newest call on the shadow stack went without a return. */
static void pop_act(tracer *tr, bool abnormal) {
    const activation *a = &tr->acts[tr->nacts - 1];
    pend_popped(tr, a, abnormal);
    uint64_t ra = a->ret_addr;
    tr->nacts--;
    release_return(tr, ra);
}

/* At a C++ call's entry, the calls on the shadow stack at or below its CFA are gone
 * without a return: a live caller's CFA is above its callee's. An unwinding that calls a
 * destructor of a frame it passes (clang's landing pads have no line to stop at first)
 * has popped the frames below that one. */
static void pop_unwound(tracer *tr, uint64_t cfa) {
    if (shi_dwarf_language(tr->d) != SHI_LANG_CPP) return;
    while (tr->nacts && tr->acts[tr->nacts - 1].cfa <= cfa) pop_act(tr, true);
}

/* At a breakpoint that may be a return address: the call returning right now (rsp back at
 * its CFA), with its value from rax / xmm0. Calls above it on the shadow stack went
 * without a return. Returns whether one returned. */
static bool on_return(tracer *tr, uint64_t addr) {
    size_t k = tr->nacts;
    while (k-- > 0)
        if (tr->acts[k].ret_addr == addr && tr->acts[k].cfa == tr->regs.rsp) break;
    if (k == SIZE_MAX) return false;
    for (size_t j = tr->nacts; j-- > k + 1;) pend_popped(tr, &tr->acts[j], true);
    activation a = tr->acts[k];
    tr->nacts = k;
    shi_event *e = pend(tr, SHI_EV_RETURN);
    e->function = shi_trace_strdup(a.fn->name);
    uint64_t xmm0 = 0;
    struct user_fpregs_struct fp;
    if (a.fn != shi_dwarf_main(tr->d) && shi_proc_get_fpregs(tr->p, &fp) == 0)
        memcpy(&xmm0, fp.xmm_space, sizeof xmm0);
    /* main's value is the exit code, told by the exit */
    if (a.fn != shi_dwarf_main(tr->d)) e->has_value = return_value(tr, a.fn->die, tr->regs.rax, xmm0, e);
    tr->return_pc = addr;
    release_return(tr, addr);
    return true;
}

/* Whether a call or a return waits for its step: a stop that would merge into the last
 * step makes one then, so each call and each return has a step. */
static bool call_pending(const tracer *tr) {
    for (size_t i = 0; i < tr->npending; i++)
        if (tr->pending[i].kind == SHI_EV_CALL || tr->pending[i].kind == SHI_EV_RETURN)
            return true;
    return false;
}

static bool return_pending(const tracer *tr) {
    for (size_t i = 0; i < tr->npending; i++)
        if (tr->pending[i].kind == SHI_EV_RETURN) return true;
    return false;
}

/* Lines the walked frames up with the shadow stack: calls newer than the innermost frame
 * went without a return (pending events say so); each frame gets its call. The walk and
 * the stack are both ordered (a newer frame has a lower CFA). */
static void match_calls(tracer *tr, frame_info *fr, size_t n, size_t depth) {
    const shi_function *main_fn = shi_dwarf_main(tr->d);
    while (tr->nacts) {
        const activation *a = &tr->acts[tr->nacts - 1];
        bool gone = !n || a->cfa < fr[0].cfa || (a->cfa == fr[0].cfa && a->fn != fr[0].fn);
        if (!gone) break;
        /* the program's end: main and whatever exit left are returns, not jumps */
        pop_act(tr, n > 0);
    }
    size_t j = tr->nacts;
    for (size_t i = 0; i < n; i++) {
        fr[i].act = SIZE_MAX;
        fr[i].id = 0;
        /* main past a deep recursion's left-out middle: the outermost call */
        if (i == n - 1 && depth > n && fr[i].fn == main_fn && tr->nacts &&
            tr->acts[0].fn == main_fn)
            j = 1;
        while (j > 0 && tr->acts[j - 1].cfa < fr[i].cfa) j--;
        if (j > 0 && tr->acts[j - 1].cfa == fr[i].cfa && tr->acts[j - 1].fn == fr[i].fn) {
            fr[i].act = j - 1;
            fr[i].id = tr->acts[j - 1].id;
            j--;
        }
    }
}

enum { NO_STEP, STEP_MADE, STEP_LIMIT };

/* Rust's `vec![1, 2, 3]` allocates before its line's first breakpoint: the stop that starts
 * the line already has the block. Such allocations (made from the innermost frame, at this
 * very line, by code before the stop, the frame coming from another line) belong to the
 * step after the line: their blocks are hidden from this step and their events moved to the
 * end of the pending list, which keeps them past the flush. Returns how many were moved. */
static size_t defer_early_allocations(tracer *tr, const frame_info *fr, size_t n, uint64_t pc,
                                      const shi_step *prev, const uint64_t *prev_ids,
                                      size_t nprev_ids) {
    if (!n || !fr[0].id) return 0;
    for (size_t k = 0; prev && k < nprev_ids; k++) {
        if (prev_ids[k] != fr[0].id || nprev_ids - 1 - k >= prev->nframes) continue;
        const shi_frame *pf = &prev->frames[nprev_ids - 1 - k];
        if (pf->line == fr[0].line && pf->file && fr[0].file && strcmp(pf->file, fr[0].file) == 0)
            return 0;   /* the call was on this line already: a loop on one line going round */
        break;
    }
    uint64_t lo = tr->bias + fr[0].fn->low_pc, hi = tr->bias + fr[0].fn->high_pc;
    size_t moved = 0;
    for (size_t i = 0; i < tr->npending - moved;) {
        shi_event *e = &tr->pending[i];
        live_block *b = NULL;
        if (e->kind == SHI_EV_ALLOC) b = shi_live_by_id(&tr->live, e->block_id);
        if (!b || b->line != fr[0].line || !b->file || strcmp(b->file, fr[0].file) != 0 ||
            b->pc >= pc || b->pc < lo || b->pc >= hi) {
            i++;
            continue;
        }
        b->hidden = true;
        tr->live.changed = true;
        shi_event ev = *e;
        memmove(e, e + 1, (tr->npending - i - 1) * sizeof *e);
        tr->pending[tr->npending - 1] = ev;
        moved++;
    }
    return moved;
}

/* Records a step for the stop at pc; `force`: even if nothing moved (a crash). NO_STEP
 * when it was the same line in the same frame, STEP_LIMIT when max_steps are recorded. */
static int make_step(tracer *tr, uint64_t pc, bool force) {
    frame_info *fr = tr->cur;
    size_t depth;
    size_t n = walk_frames(tr, &tr->regs, fr, MAX_FRAMES, &depth);
    tr->last_depth = depth;
    const shi_step *prev = shi_trace_last(tr->t);
    const char *file = n ? fr[0].file : tr->last_file;
    int line = n ? fr[0].line : tr->last_line;
    /* One line may have several is_stmt addresses (a `for`'s parts): one step, unless the
     * program jumped back to where it already went since the step (a loop going round the
     * same line again). A jump further back is the line's own start: clang's `while`
     * ends in a row of its line that jumps to the condition's, one step as gdb's. */
    bool back = pc <= tr->last_pc && pc >= tr->step_pc;
    tr->last_pc = pc;
    if (!force && !back && prev && n == prev->nframes && n &&
        prev->frames[n - 1].cfa == fr[0].cfa && prev->line == line && file && prev->file &&
        strcmp(prev->file, file) == 0 && !call_pending(tr))
        return NO_STEP;
    if (!force && tr->t->nsteps >= tr->max_steps) return STEP_LIMIT;
    tr->step_pc = pc;

    /* Calls and returns were caught as they happened (on_call, on_return); frames gone
     * without either are named here. The previous step's frames by call, for their
     * variables' earlier values. */
    match_calls(tr, fr, n, depth);
    uint64_t prev_ids[MAX_FRAMES];
    size_t nprev_ids = tr->nprev;
    for (size_t i = 0; i < nprev_ids; i++) prev_ids[i] = tr->prev[i].id;
    memcpy(tr->prev, fr, n * sizeof *fr);
    tr->nprev = n;

    size_t deferred = defer_early_allocations(tr, fr, n, pc, prev, prev_ids, nprev_ids);

    /* A return's step is the calling line's, though the stop is often the next line's (the
     * rest of the calling line, `head = push(..)`'s store, ran up to here): as gdb's
     * `finish` says where it returned to. The line of the call instruction (return address
     * - 1), for a call ending its line has the next line's first address as return address. */
    const char *step_file = file;
    int step_line = line;
    if (tr->return_pc && return_pending(tr) && n && in_exe(tr, tr->return_pc) &&
        shi_dwarf_function_at(tr->d, tr->return_pc - tr->bias - 1) == fr[0].fn) {
        const char *cf;
        int cl;
        if (shi_dwarf_line_at(tr->d, tr->return_pc - tr->bias - 1, &cf, &cl) &&
            shi_dwarf_is_user_file(tr->d, cf)) {
            step_file = cf;
            step_line = shi_sources_statement_start(tr->src, cf, cl);
        }
    }
    tr->return_pc = 0;

    shi_step *s = shi_trace_add_step(tr->t);
    prev = s->index ? shi_trace_step(tr->t, s->index - 1) : NULL;
    s->file = shi_trace_strdup(step_file);
    s->line = step_line;
    if (step_line != line && step_file == file) s->stop_line = line;
    s->depth = depth;
    for (size_t i = 0; i < n; i++) {
        const frame_info *fi = &fr[n - 1 - i];
        shi_frame *f = shi_step_push_frame(s, fi->fn->name, fi->file, fi->line);
        f->cfa = fi->cfa;
    }
    copy_blocks(tr, s);
    for (size_t i = 0; i < n; i++) {
        const frame_info *fi = &fr[n - 1 - i];
        const shi_frame *pf = NULL;
        if (fi->id) {   /* the same call, else none: a sibling call at its CFA is another */
            for (size_t k = 0; k < nprev_ids && prev && !pf; k++)
                if (prev_ids[k] == fi->id && nprev_ids - 1 - k < prev->nframes)
                    pf = &prev->frames[nprev_ids - 1 - k];
        } else {
            pf = find_frame(prev, fi->fn->name, fi->cfa);
        }
        activation *a = fi->act != SIZE_MAX ? &tr->acts[fi->act] : NULL;
        const frame_info *caller = i > 0 ? &fr[n - i] : NULL;
        vars_ctx c = {.tr = tr, .s = s, .frame = i, .prev = pf, .ft = {tr, fi, caller},
                      .seen_line = a ? a->max_line : INT_MAX, .call_id = fi->id,
                      .top = i == n - 1};
        c.target = (shi_dwarf_target){.read_reg = read_reg, .read_mem = read_mem, .arg = &c.ft,
                                      .cfa = fi->cfa, .load_bias = tr->bias,
                                      .entry_value = entry_value};
        uint64_t rel = fi->pc - tr->bias - (fi->top ? 0 : 1);
        shi_dwarf_vars_at(tr->d, rel, on_var, &c);
        carry_pending_drops(tr, s, i, c.prev);
        shi_frame *f = &s->frames[i];
        for (size_t k = 0; k < f->nvars; k++) shi_step_link_value(s, &f->vars[k].value);
        if (a && f->line > a->max_line) a->max_line = f->line;
    }
    /* the innermost frame says the step's line too, once its locals were read at the stop's */
    if (n && step_line != line) {
        shi_frame *top = &s->frames[n - 1];
        free(top->file);
        top->file = shi_trace_strdup(step_file);
        top->line = step_line;
    }
    /* the unset locals of this step become the last step's */
    unset_local *u = tr->unset_prev;
    size_t cap = tr->cap_unset_prev;
    tr->unset_prev = tr->unset; tr->cap_unset_prev = tr->cap_unset; tr->nunset_prev = tr->nunset;
    tr->unset = u; tr->cap_unset = cap; tr->nunset = 0;
    shi_static_reader statics = {.d = tr->d, .read_mem = unwind_read, .arg = tr,
                                 .bias = tr->bias, .exe_start = tr->exe_start,
                                 .exe_end = tr->exe_end};
    shi_static_region_read(&statics, s);
    claim_reached(tr, s, deferred);
    shi_heap_types_read(&(shi_heap_typer){.d = tr->d, .read_mem = unwind_read, .arg = tr,
                                          .load_bias = tr->bias, .prev = prev,
                                          .statics = &statics}, s);
    forget_growth_drops(tr, s, tr->npending - deferred);
    /* the allocations held back are the next step's: their events stay pending */
    size_t flushed = tr->npending - deferred;
    tr->npending = flushed;
    flush_pending(tr, s);
    if (deferred) {
        memmove(tr->pending, tr->pending + flushed, deferred * sizeof *tr->pending);
        tr->npending = deferred;
        size_t nlive;
        const size_t *order = shi_live_sorted(&tr->live, &nlive);
        for (size_t i = 0; i < nlive; i++) shi_live_slot(&tr->live, order[i])->hidden = false;
        tr->live.changed = true;
    }
    remember_owners(tr, s);
    if (shi_dwarf_language(tr->d) == SHI_LANG_CPP) remember_objects(tr, s);
    tr->last_file = file;
    tr->last_line = line;
    /* The return step stood at another line's first address, titled by the calling line
     * (the next statement, a `for`'s increment, the `}`): that line gets its own step too, at
     * the same stop, as gdb's `next` after `finish` stops there. Else a line of one is_stmt
     * row had none (most of clang's, some of gcc's), and a second row made one by chance. */
    if (step_line != line && !force && !tr->entering)
        return make_step(tr, pc, false);
    return STEP_MADE;
}

/* ---- stack overflow ---------------------------------------------------------------------- */

/* A fault just below the stack pointer, in or under the [stack] mapping's lowest page, is the
 * stack running into its guard gap (the kernel grows the mapping up to RLIMIT_STACK). */
static bool stack_overflow(tracer *tr, uint64_t fault) {
    uint64_t rsp = tr->regs.rsp;
    if (fault > rsp + 4096 || fault + (1u << 20) < rsp) return false;
    shi_map *maps;
    size_t n;
    if (shi_proc_maps(tr->p, &maps, &n) != 0) return false;
    bool hit = false;
    for (size_t i = 0; i < n; i++)
        if (maps[i].path && strcmp(maps[i].path, "[stack]") == 0) {
            tr->stack_top = maps[i].end;
            hit = fault < maps[i].start + 4096;
        }
    shi_maps_free(maps, n);
    return hit;
}

static void overflow_text(tracer *tr, char *buf, size_t len) {
    uint64_t used = tr->stack_top - tr->regs.rsp, lim = tr->t->stack_limit;
    char limit[64];
    if (lim == UINT64_MAX) snprintf(limit, sizeof limit, "unlimited");
    else snprintf(limit, sizeof limit, "%.1f MiB", lim / 1048576.0);
    snprintf(buf, len, "stack overflow: %zu frames deep, %.1f MiB of stack used; the limit is "
             "%s (ulimit -s)", tr->last_depth, used / 1048576.0, limit);
}

/* ---- live: steps handed over, the watchdog ------------------------------------------------ */

/* Hands the steps made since the last call to on_step, narrated, before the program runs
 * on: a step is final once made, except the trace's last, which gets the run's closing
 * events. So the last is held when the run is about to end on it (`hold_last`: the exit
 * stop, the step budget spent). */
static void tell_steps(tracer *tr, bool hold_last) {
    size_t upto = tr->t->nsteps;
    if (hold_last && upto) upto--;
    for (; tr->told < upto; tr->told++) {
        shi_narrate_step(tr->t, tr->src, tr->told);
        if (tr->on_step) tr->on_step(tr->on_step_arg, tr->t, tr->told);
    }
    /* the last told step may still gain the run's closing events (and be titled again) */
    if (tr->told > 1) shi_trace_commit(tr->t, tr->told - 1);
}

static double cpu_seconds(const watchdog *w) {
    struct timespec ts;
    if (!w->has_cpu || clock_gettime(w->cpu, &ts) != 0) return 0;
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

enum { WATCH_MS = 50 };   /* how often the watchdog looks: the delay of a Ctrl-C */

static void *watchdog_main(void *arg) {
    watchdog *w = arg;
    size_t seen = SIZE_MAX;
    double since = 0;
    pthread_mutex_lock(&w->lock);
    while (!w->quit) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WATCH_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&w->wake, &w->lock, &until);
        if (w->quit) break;
        double now = cpu_seconds(w);
        size_t steps = atomic_load(&w->steps);
        if (steps != seen) { seen = steps; since = now; }
        int why = w->interrupt && *w->interrupt ? WHY_INTERRUPT
                : w->has_cpu && now - since >= w->timeout ? WHY_TIMEOUT : WHY_NONE;
        if (why && w->running) {
            atomic_store(&w->why, why);
            kill(w->pid, SIGKILL);
            break;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void watchdog_start(watchdog *w, pid_t pid, unsigned timeout,
                           const volatile sig_atomic_t *interrupt) {
    w->pid = pid;
    w->timeout = timeout;
    w->interrupt = interrupt;
    w->has_cpu = clock_getcpuclockid(pid, &w->cpu) == 0;
    atomic_init(&w->steps, 0);
    atomic_init(&w->why, WHY_NONE);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    /* the signals the caller handles (Ctrl-C) are for its threads, not this one */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    w->started = pthread_create(&w->thread, NULL, watchdog_main, w) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void watchdog_stop(watchdog *w) {
    if (!w->started) return;
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    w->started = false;
}

static void watchdog_running(watchdog *w, bool running) {
    if (!w->started) return;
    pthread_mutex_lock(&w->lock);
    w->running = running;
    pthread_mutex_unlock(&w->lock);
}

/* Why the run must end now (WHY_*): the watchdog killed the program, or the caller's
 * interrupt came while the program was stopped. */
static int stop_reason(const tracer *tr, const shi_tracer_opts *o) {
    int why = tr->wd.started ? atomic_load(&tr->wd.why) : WHY_NONE;
    if (why) return why;
    return o->interrupt && *o->interrupt ? WHY_INTERRUPT : WHY_NONE;
}

/* ---- the run ----------------------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b) {
    if (err && errlen) snprintf(err, errlen, fmt, a, b);
}

static bool in_prologue(const shi_function *fns, size_t nf, uint64_t addr) {
    for (size_t i = 0; i < nf; i++)
        if (addr >= fns[i].low_pc && addr < fns[i].entry) return true;
    return false;
}

static void finish(tracer *tr) {
    size_t n;
    const size_t *order = shi_live_sorted(&tr->live, &n);
    for (size_t i = 0; i < n; i++) {
        const live_block *b = shi_live_slot(&tr->live, order[i]);
        if (b->waiting) continue;
        char buf[512];
        snprintf(buf, sizeof buf, "block #%llu, %llu bytes, allocated at %s:%d",
                 (unsigned long long)b->id, (unsigned long long)b->size,
                 b->file ? b->file : "?", b->line);
        shi_trace_add_leak(tr->t, buf);
    }
    /* the steps told as the run went are narrated, but the last of them may have gained the
     * run's closing events since */
    shi_narrate(tr->t, tr->src, tr->told ? tr->told - 1 : 0);
}

/* Events after the last step (exit, a signal) go on the last step, or a step of their own. */
static void flush_to_last(tracer *tr) {
    if (!tr->t->nsteps) shi_trace_add_step(tr->t);
    flush_pending(tr, shi_trace_last(tr->t));
}

shi_trace *shi_tracer_run(char *const argv[], const shi_tracer_opts *o,
                          shi_tracer_info *ret_info, char *err, size_t errlen) {
    shi_tracer_opts opts = o ? *o : (shi_tracer_opts){0};
    size_t max_steps = opts.max_steps ? opts.max_steps : 10000;
    shi_tracer_info info = {0};
    tracer tr = {.max_steps = max_steps};
    char *path = shi_launch_find_program(argv[0], err, errlen);
    if (!path) return NULL;   /* errno and err say why, in shi_launch_run's words */
    if (shi_launch_check(path, argv[0], true, err, errlen) != 0) {
        free(path);
        errno = ENOEXEC;
        return NULL;
    }
    tr.d = shi_dwarf_open(path, err, errlen);
    free(path);
    if (!tr.d) return NULL;
    if (shi_dwarf_opt_level(tr.d))
        snprintf(info.opt_level, sizeof info.opt_level, "%s", shi_dwarf_opt_level(tr.d));
    tr.p = shi_proc_spawn(argv, &(shi_spawn_opts){.stdin_path = opts.stdin_path,
                                                 .capture_output = true,
                                                 .stop_at_exit = true}, err, errlen);
    if (!tr.p) {
        int e = errno;   /* why it could not start, for a library caller */
        shi_dwarf_close(tr.d);
        errno = e;
        return NULL;
    }
    if (shi_proc_watch_heap(tr.p) != 0 || shi_proc_exe_bias(tr.p, &tr.bias) != 0) {
        int e = errno;
        set_err(err, errlen, "%s: cannot watch its heap (%s)", argv[0], strerror(e));
        shi_proc_free(tr.p); shi_dwarf_close(tr.d);
        errno = e;
        return NULL;
    }
    tr.uw = shi_unwinder_new();
    tr.src = shi_sources_new();
    if (!tr.uw || !tr.src) SHI_PANIC("trace: out of memory");
    shi_module *mods; size_t nmods;
    if (shi_proc_modules(tr.p, &mods, &nmods) == 0) {
        tr.static_exe = true;
        for (size_t i = 0; i < nmods; i++) {
            const char *base = strrchr(mods[i].path, '/');
            if (base && strncmp(base + 1, "libc.so", 7) == 0) tr.static_exe = false;
            if (mods[i].is_exe) { tr.exe_start = mods[i].start; tr.exe_end = mods[i].end; }
            shi_unwinder_add_module(tr.uw, mods[i].path, mods[i].start, mods[i].end, mods[i].bias);
        }
        shi_modules_free(mods, nmods);
    }
    shi_proc_report_heap_calls(tr.p);

    tr.t = shi_trace_new(argv[0]);
    tr.t->language = shi_trace_strdup(shi_dwarf_language_name(tr.d));
    if (shi_dwarf_opt_level(tr.d)) tr.t->optimisation = shi_trace_strdup(shi_dwarf_opt_level(tr.d));
    tr.t->lines_only = shi_dwarf_lines_only(tr.d);
    for (size_t i = 1; argv[i]; i++) shi_trace_add_arg(tr.t, argv[i]);
    size_t nsrc;
    const char *const *srcs = shi_dwarf_source_files(tr.d, &nsrc);
    for (size_t i = 0; i < nsrc; i++) shi_trace_add_source(tr.t, srcs[i]);
    shi_proc_stack_limit(tr.p, &tr.t->stack_limit);
    tr.t->exit_code = -1;

    size_t nlines, nf;
    const shi_line *lines = shi_dwarf_lines(tr.d, &nlines);
    tr.quiet = calloc(nlines ? nlines : 1, 1);
    const shi_function *fns = shi_dwarf_functions(tr.d, &nf);
    tr.fns = fns;
    tr.shown = calloc(nf ? nf : 1, sizeof *tr.shown);
    if (!tr.quiet || !tr.shown) SHI_PANIC("trace: out of memory");
    for (size_t i = 0; i < nf; i++)
        tr.shown[i] = &fns[i] == shi_dwarf_main(tr.d) ||
                      (fns[i].is_user && !generated_line(&tr, fns[i].decl_file, fns[i].decl_line));
    tr.entries = calloc(nf ? nf : 1, sizeof *tr.entries);
    if (!tr.entries) SHI_PANIC("trace: out of memory");
    for (size_t i = 0; i < nf; i++)
        if (tr.shown[i] && fns[i].low_pc) {
            tr.entries[tr.nentries++] = (entry_point){.addr = tr.bias + fns[i].low_pc, .fn = &fns[i]};
            shi_proc_break(tr.p, tr.bias + fns[i].low_pc);
        }
    qsort(tr.entries, tr.nentries, sizeof *tr.entries, by_entry);
    tr.stop_lines = calloc(nlines ? nlines : 1, sizeof *tr.stop_lines);
    if (!tr.stop_lines) SHI_PANIC("trace: out of memory");
    for (size_t i = 0; i < nlines; i++)
        if (lines[i].is_stmt && !in_prologue(fns, nf, lines[i].addr) &&
            !generated_line(&tr, lines[i].file, lines[i].line)) {
            shi_proc_break(tr.p, tr.bias + lines[i].addr);
            tr.stop_lines[tr.nstop_lines++] = (stop_line){lines[i].file, lines[i].line};
        }
    qsort(tr.stop_lines, tr.nstop_lines, sizeof *tr.stop_lines, by_stop_line);
    /* Rust's default panic hook prints the message and, with RUST_BACKTRACE set, captures
     * and symbolises a backtrace: tens of thousands of allocations of std's own, none the
     * program's, at a stop or two and an unwinding each (20 s for a one-line panic). It runs
     * unwatched; the unwinding after it, with the drops of the user's values, is watched. */
    uint64_t hook = shi_dwarf_language(tr.d) == SHI_LANG_RUST
                  ? shi_proc_rust_symbol(tr.p, "std::panicking::default_hook") : 0;
    if (hook && !is_line_break(&tr, hook) && !entry_at(&tr, hook))
        shi_proc_heap_quiet_in(tr.p, hook);

    tr.on_step = opts.on_step;
    tr.on_step_arg = opts.on_step_arg;
    watchdog_start(&tr.wd, shi_proc_pid(tr.p), opts.timeout ? opts.timeout : SHI_TRACER_TIMEOUT,
                   opts.interrupt);
    bool exiting = false;
    for (;;) {
        shi_stop st;
        int why = stop_reason(&tr, &opts);
        int rc = 0;
        if (!why) {
            tell_steps(&tr, exiting || tr.t->nsteps >= max_steps);
            atomic_store(&tr.wd.steps, tr.t->nsteps);
            watchdog_running(&tr.wd, true);
            rc = shi_proc_cont(tr.p, &st);
            /* an allocating call's entry: whose it is, told while its stack is intact */
            while (rc == 0 && st.kind == SHI_STOP_HEAP_CALL) {
                shi_proc_heap_answer(tr.p, classify_allocation(&tr, shi_proc_heap_call(tr.p)));
                rc = shi_proc_cont(tr.p, &st);
            }
            watchdog_running(&tr.wd, false);
            why = stop_reason(&tr, &opts);
        }
        take_heap(&tr);
        take_output(&tr);
        if (why) {
            /* the program is killed (or about to be, by shi_proc_free): no step is read
             * from it; its output so far goes on the last step */
            shi_event *e = pend(&tr, SHI_EV_LIMIT);
            char buf[160];
            if (why == WHY_TIMEOUT) {
                snprintf(buf, sizeof buf, "no new line for %u s of CPU time (--timeout %u): "
                         "the program was killed", tr.wd.timeout, tr.wd.timeout);
                info.timed_out = true;
            } else {
                info.interrupted = *opts.interrupt;
                snprintf(buf, sizeof buf, "interrupted (SIG%s): the program was killed",
                         sigabbrev_np(info.interrupted) ? sigabbrev_np(info.interrupted) : "?");
            }
            e->text = strdup(buf);
            flush_to_last(&tr);
            break;
        }
        if (rc != 0 || st.kind == SHI_STOP_ERROR) {
            shi_event *e = pend(&tr, SHI_EV_LIMIT);
            char buf[128];
            snprintf(buf, sizeof buf, "tracing failed: %s", strerror(st.error ? st.error : errno));
            e->text = strdup(buf);
            flush_to_last(&tr);
            break;
        }
        if (st.kind == SHI_STOP_BREAKPOINT) {
            if (shi_proc_get_regs(tr.p, &tr.regs) != 0) continue;
            int made = NO_STEP;
            const shi_function *called = entry_at(&tr, st.addr);
            if (called) {
                pop_unwound(&tr, tr.regs.rsp + 8);
                /* a return not yet on a step gets one before the next call starts */
                if (return_pending(&tr)) {
                    tr.entering = true;
                    made = make_step(&tr, st.addr, false);
                    tr.entering = false;
                }
                if (made != STEP_LIMIT) on_call(&tr, called);
            } else if (tr.nacts && on_return(&tr, st.addr) && !is_line_break(&tr, st.addr)) {
                if (line_follows(&tr, st.addr)) continue;
                made = make_step(&tr, st.addr, false);   /* no line stop left: here */
            }
            /* a line row at a call's first instruction is a line stop only when the
             * function has no prologue (the prologue's rows have no breakpoints) */
            bool line_stop = is_line_break(&tr, st.addr) && (!called || called->entry == called->low_pc);
            if (made != STEP_LIMIT && line_stop)
                made = make_step(&tr, st.addr, false);
            else if (made == NO_STEP)
                continue;
            count_stop(&tr, st.addr, made != NO_STEP);
            if (made == STEP_LIMIT) {
                shi_event *e = pend(&tr, SHI_EV_LIMIT);
                char buf[160];
                snprintf(buf, sizeof buf, "stopped after %zu steps (--max-steps %zu): the "
                         "program was still running", max_steps, max_steps);
                e->text = strdup(buf);
                flush_to_last(&tr);
                info.limit_reached = true;
                break;
            }
        } else if (st.kind == SHI_STOP_SIGNAL) {
            int sig = st.signal;
            if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL) {
                bool regs = shi_proc_get_regs(tr.p, &tr.regs) == 0;
                if (regs) make_step(&tr, st.rip, true);
                shi_event *e = pend(&tr, SHI_EV_SIGNAL);
                e->value = sig; e->has_value = true;
                char buf[256];
                if (sig == SIGSEGV && regs && stack_overflow(&tr, st.fault_addr))
                    overflow_text(&tr, buf, sizeof buf);
                else if (sig == SIGSEGV)
                    snprintf(buf, sizeof buf, "SIGSEGV (invalid memory access at 0x%llx)",
                             (unsigned long long)st.fault_addr);
                else
                    snprintf(buf, sizeof buf, "SIG%s", sigabbrev_np(sig));
                e->text = strdup(buf);
                flush_to_last(&tr);
                tr.t->term_signal = sig;
                break;   /* the crash is the last step; shi_proc_free kills it */
            }
        } else if (st.kind == SHI_STOP_EXITING) {
            /* main has returned (or exit was called) and drops and frees have run: the last
             * picture, with the heap's leftovers still readable */
            if (shi_proc_get_regs(tr.p, &tr.regs) == 0) make_step(&tr, st.rip, true);
            exiting = true;
        } else if (st.kind == SHI_STOP_EXITED) {
            tr.t->exit_code = st.exit_code;
            shi_event *e = pend(&tr, SHI_EV_EXIT);
            e->value = st.exit_code; e->has_value = true;
            flush_to_last(&tr);
            break;
        } else if (st.kind == SHI_STOP_KILLED) {
            tr.t->term_signal = st.signal;
            shi_event *e = pend(&tr, SHI_EV_SIGNAL);
            e->value = st.signal; e->has_value = true;
            char buf[64];
            snprintf(buf, sizeof buf, "SIG%s", sigabbrev_np(st.signal));
            e->text = strdup(buf);
            flush_to_last(&tr);
            break;
        } else if (st.kind == SHI_STOP_EXEC) {
            info.exec_seen = true;
            shi_event *e = pend(&tr, SHI_EV_LIMIT);
            e->text = strdup("the program exec'd another program: tracing stopped there");
            flush_to_last(&tr);
            break;
        }
    }
    watchdog_stop(&tr.wd);
    /* Ctrl-C reaches the program too (one process group): it may have died of it before
     * the tracer saw the flag */
    if (!info.interrupted && opts.interrupt && *opts.interrupt) info.interrupted = *opts.interrupt;
    info.forks = shi_proc_forks(tr.p);
    info.threads = shi_proc_threads(tr.p);
    shi_proc_free(tr.p);
    finish(&tr);
    tell_steps(&tr, false);
    shi_trace_commit(tr.t, tr.t->nsteps);
    for (size_t i = 0; i < tr.npending; i++) {
        free(tr.pending[i].text);
        free(tr.pending[i].function);
        free(tr.pending[i].value_type);
    }
    free(tr.pending);
    shi_live_free(&tr.live);
    free(tr.heap_shown);
    free(tr.spans);
    free(tr.span_bytes);
    free(tr.sites);
    free(tr.acts);
    while (tr.nobjs) forget_object(&tr, tr.nobjs - 1);
    free(tr.objs);
    free(tr.entries);
    free(tr.stop_lines);
    free(tr.unset);
    free(tr.unset_prev);
    free(tr.quiet);
    free(tr.shown);
    shi_unwinder_free(tr.uw);
    shi_sources_free(tr.src);
    shi_dwarf_close(tr.d);
    if (ret_info) *ret_info = info;
    return tr.t;
}
