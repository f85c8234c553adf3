/*
 * src/trace/proc/proc_heap.c — watching malloc & co. from outside: a breakpoint on each
 * function's entry reads the arguments, a temporary one on the return address reads the
 * result. Only the outermost call per thread counts, so libc calling its own malloc from
 * realloc or valloc gives one event, not two.
 */
#define _GNU_SOURCE
#include "trace/proc/proc_internal.h"
#include "core/grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* libc's functions first (fn_names), then C++'s operators (cxx_fns) */
enum { FN_MALLOC, FN_CALLOC, FN_REALLOC, FN_FREE, FN_POSIX_MEMALIGN, FN_ALIGNED_ALLOC,
       FN_MEMALIGN, FN_VALLOC, FN_REALLOCARRAY, FN_LIBC_COUNT,
       FN_NEW = FN_LIBC_COUNT, FN_NEW_ARRAY, FN_DELETE, FN_DELETE_ARRAY, FN_COUNT };

static const char *const fn_names[FN_LIBC_COUNT] = {
    "malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign", "valloc",
    "reallocarray",
};

/* stackheap's own heap (sh_malloc & co., include/stackheap/heap.h) never calls malloc: a
 * program that uses it, directly or through own.h's strings, vecs and boxes, is watched
 * there too. The arguments have the same meaning as libc's namesakes. */
static const struct { const char *name; int fn; } sh_fns[] = {
    {"sh_malloc", FN_MALLOC}, {"sh_calloc", FN_CALLOC}, {"sh_realloc", FN_REALLOC},
    {"sh_free", FN_FREE}, {"sh_posix_memalign", FN_POSIX_MEMALIGN},
    {"sh_aligned_alloc", FN_ALIGNED_ALLOC}, {"sh_reallocarray", FN_REALLOCARRAY},
};

/* libstdc++'s operators by their mangled names (the Itanium ABI's, which clang++ shares):
 * the plain ones, nothrow, C++17's aligned, C++14's sized deletes. Each calls malloc or
 * free, a nested call that counts no more. The first argument is the size or the block. */
static const struct { const char *name; int fn; } cxx_fns[] = {
    {"_Znwm", FN_NEW}, {"_ZnwmRKSt9nothrow_t", FN_NEW}, {"_ZnwmSt11align_val_t", FN_NEW},
    {"_ZnwmSt11align_val_tRKSt9nothrow_t", FN_NEW},
    {"_Znam", FN_NEW_ARRAY}, {"_ZnamRKSt9nothrow_t", FN_NEW_ARRAY},
    {"_ZnamSt11align_val_t", FN_NEW_ARRAY}, {"_ZnamSt11align_val_tRKSt9nothrow_t", FN_NEW_ARRAY},
    {"_ZdlPv", FN_DELETE}, {"_ZdlPvm", FN_DELETE}, {"_ZdlPvSt11align_val_t", FN_DELETE},
    {"_ZdlPvmSt11align_val_t", FN_DELETE},
    {"_ZdaPv", FN_DELETE_ARRAY}, {"_ZdaPvm", FN_DELETE_ARRAY},
    {"_ZdaPvSt11align_val_t", FN_DELETE_ARRAY}, {"_ZdaPvmSt11align_val_t", FN_DELETE_ARRAY},
};

static bool frees(int fn) { return fn == FN_FREE || fn == FN_DELETE || fn == FN_DELETE_ARRAY; }

static shi_heap_op op_of(int fn) {
    switch (fn) {
    case FN_NEW: return SHI_HEAP_OP_NEW;
    case FN_NEW_ARRAY: return SHI_HEAP_OP_NEW_ARRAY;
    case FN_DELETE: return SHI_HEAP_OP_DELETE;
    case FN_DELETE_ARRAY: return SHI_HEAP_OP_DELETE_ARRAY;
    default: return SHI_HEAP_OP_NONE;
    }
}

static void push_event(shi_proc *p, shi_heap_event ev) {
    SHI_GROW(p->events, p->evcap, p->nevents + 1);
    p->events[p->nevents++] = ev;
}

/* What the call did, from its arguments and its result; failed calls leave no trace. */
static void finish_call(shi_proc *p, shi_task *t, const struct user_regs_struct *r) {
    const shi_heap_call *c = &t->call;
    uint64_t res = r->rax;
    shi_heap_event ev = {.caller = c->ret_addr, .tid = t->tid, .ptr = res, .regs = c->regs,
                         .tag = c->tag, .op = op_of(c->fn)};
    switch (c->fn) {
    case FN_MALLOC: case FN_NEW: case FN_NEW_ARRAY:
        ev.kind = SHI_HEAP_MALLOC; ev.size = c->a0; break;
    case FN_VALLOC: ev.kind = SHI_HEAP_MEMALIGN; ev.size = c->a0; break;
    case FN_CALLOC: ev.kind = SHI_HEAP_CALLOC; ev.size = c->a0 * c->a1; break;
    case FN_ALIGNED_ALLOC:
    case FN_MEMALIGN: ev.kind = SHI_HEAP_MEMALIGN; ev.size = c->a1; break;
    case FN_POSIX_MEMALIGN:
        ev.kind = SHI_HEAP_MEMALIGN;
        ev.size = c->a2;
        ev.ptr = 0;
        if ((int)res == 0) shi_proc_read_u64(p, c->a0, &ev.ptr);
        break;
    case FN_REALLOC:
    case FN_REALLOCARRAY:
        ev.size = c->fn == FN_REALLOC ? c->a1 : c->a1 * c->a2;
        if (c->a0 == 0) {
            ev.kind = SHI_HEAP_MALLOC;
        } else if (res == 0 && ev.size == 0) {
            /* glibc's realloc(p, 0) frees p and returns NULL */
            ev.kind = SHI_HEAP_FREE;
            ev.ptr = c->a0;
            ev.size = 0;
        } else {
            ev.kind = SHI_HEAP_REALLOC;
            ev.old_ptr = c->a0;
        }
        break;
    default:
        return;
    }
    if (ev.ptr != 0) push_event(p, ev);
}

static void enter_call(shi_proc *p, shi_task *t, int fn, const struct user_regs_struct *r) {
    if (t->call.active) return;   /* nested: libc calling itself */
    uint64_t ret_addr;
    if (shi_proc_read_u64(p, r->rsp, &ret_addr) != 0)  return;
    if (frees(fn)) {
        /* free returns nothing worth waiting for; free(NULL) does nothing. delete's own
         * free comes next as an event of its own, about a block gone already. */
        if (r->rdi != 0)
            push_event(p, (shi_heap_event){.kind = SHI_HEAP_FREE, .ptr = r->rdi,
                                           .caller = ret_addr, .tid = t->tid, .regs = *r,
                                           .op = op_of(fn)});
        return;
    }
    shi_bp *rb = shi_bp_get(p, ret_addr);
    if (!rb) return;
    rb->ret_refs++;
    t->call = (shi_heap_call){.active = true, .fn = fn, .a0 = r->rdi, .a1 = r->rsi, .a2 = r->rdx,
                              .ret_addr = ret_addr, .sp_after = r->rsp + 8, .regs = *r};
    if (p->heap_calls) {
        static const shi_heap_kind kinds[FN_COUNT] = {
            [FN_MALLOC] = SHI_HEAP_MALLOC, [FN_CALLOC] = SHI_HEAP_CALLOC,
            [FN_REALLOC] = SHI_HEAP_REALLOC, [FN_REALLOCARRAY] = SHI_HEAP_REALLOC,
            [FN_POSIX_MEMALIGN] = SHI_HEAP_MEMALIGN, [FN_ALIGNED_ALLOC] = SHI_HEAP_MEMALIGN,
            [FN_MEMALIGN] = SHI_HEAP_MEMALIGN, [FN_VALLOC] = SHI_HEAP_MEMALIGN,
            [FN_NEW] = SHI_HEAP_MALLOC, [FN_NEW_ARRAY] = SHI_HEAP_MALLOC};
        p->heap_call = (shi_heap_event){.kind = kinds[fn], .caller = ret_addr, .tid = t->tid,
                                        .regs = *r, .op = op_of(fn)};
        p->heap_call_new = true;
    }
}

/* The heap functions' int3s out of memory (paused) or back: no stop at all for them. */
static int pause_heap(shi_proc *p, bool paused) {
    if (p->heap_paused == paused) return 0;
    unsigned char int3 = 0xcc;
    int rc = 0;
    for (size_t i = 0; i < p->nbps; i++) {
        shi_bp *b = &p->bps[i];
        /* a heap function's entry that is nothing else's breakpoint */
        if (paused && b->heap_fn >= 0 && !b->user && b->ret_refs == 0) {
            shi_dr_forget(p, b->addr);
            if (shi_mem_write(p, b->addr, &b->orig, 1) != 0) rc = -1;
            b->paused = true;
        } else if (!paused && b->paused) {
            if (shi_mem_write(p, b->addr, &int3, 1) != 0) rc = -1;
            b->paused = false;
        }
    }
    p->heap_paused = paused;
    return rc;
}

int shi_proc_heap_quiet_in(shi_proc *p, uint64_t addr) {
    if (!p->alive) { errno = ESRCH; return -1; }
    shi_bp *b = shi_bp_get(p, addr);
    if (!b) return -1;
    b->quiet = true;
    return 0;
}

/* The entry of a quiet function (start) or the return of its call (end) on task t. */
static void quiet_call(shi_proc *p, shi_task *t, shi_bp *b, const struct user_regs_struct *r,
                       bool start) {
    if (start) {
        uint64_t ret;
        shi_bp *rb;
        if (t->quiet_ret || shi_proc_read_u64(p, r->rsp, &ret) != 0 || !(rb = shi_bp_get(p, ret)))
            return;
        rb->ret_refs++;
        t->quiet_ret = ret;
        t->quiet_sp = r->rsp + 8;
        if (p->ntasks == 1) pause_heap(p, true);
        return;
    }
    t->quiet_ret = 0;
    pause_heap(p, false);
    b->ret_refs--;
    shi_bp_release(p, b);
}

static shi_task *task_of(shi_proc *p, pid_t tid) {
    for (size_t i = 0; i < p->ntasks; i++)
        if (p->tasks[i].tid == tid) return &p->tasks[i];
    return NULL;
}

int shi_proc_heap_watch_return(shi_proc *p, pid_t tid, uint64_t ret_addr, uint64_t sp) {
    shi_task *t = task_of(p, tid);
    if (!t) { errno = ESRCH; return -1; }
    for (int i = 0; i < t->nwatch; i++)
        if (t->watch[i].ret == ret_addr && t->watch[i].sp == sp) return 0;
    if (t->nwatch == (int)(sizeof t->watch / sizeof t->watch[0])) { errno = ENOSPC; return -1; }
    shi_bp *rb = shi_bp_get(p, ret_addr);
    if (!rb) return -1;
    rb->ret_refs++;
    t->watch[t->nwatch].ret = ret_addr;
    t->watch[t->nwatch].sp = sp;
    t->nwatch++;
    return 0;
}

/* A watched call returning at b: its result as an event. Watches of calls popped without a
 * return are dropped. The table may change: b is found again (NULL if gone). */
static shi_bp *watched_return(shi_proc *p, shi_task *t, shi_bp *b,
                              const struct user_regs_struct *r) {
    uint64_t addr = b->addr;
    for (int i = 0; i < t->nwatch; i++) {
        if (t->watch[i].ret != b->addr || t->watch[i].sp != r->rsp) continue;
        push_event(p, (shi_heap_event){.kind = SHI_HEAP_RESULT, .ptr = r->rax,
                                       .caller = b->addr, .tid = t->tid});
        t->watch[i] = t->watch[--t->nwatch];
        b->ret_refs--;
        shi_bp_release(p, b);   /* if it was nothing else's */
        break;
    }
    /* a longjmp or an unwinding past a watched call: that call will not return */
    for (int i = 0; i < t->nwatch;)
        if (t->watch[i].sp < r->rsp && t->watch[i].ret != addr) {
            shi_bp *wb = shi_bp_find(p, t->watch[i].ret);
            t->watch[i] = t->watch[--t->nwatch];
            if (wb && --wb->ret_refs == 0) shi_bp_release(p, wb);
        } else {
            i++;
        }
    return shi_bp_find(p, addr);
}

void shi_heap_on_break(shi_proc *p, shi_task *t, shi_bp *b, const struct user_regs_struct *r) {
    if (t->nwatch && !(b = watched_return(p, t, b, r))) return;
    /* the return of this thread's outermost call: rsp tells it from a recursive one */
    if (t->call.active && t->call.ret_addr == b->addr && r->rsp == t->call.sp_after) {
        finish_call(p, t, r);
        t->call.active = false;
        b->ret_refs--;
        shi_bp_release(p, b);
        return;
    }
    if (t->quiet_ret && t->quiet_ret == b->addr && r->rsp == t->quiet_sp) {
        quiet_call(p, t, b, r, false);
        return;
    }
    int fn = b->heap_fn;
    if (b->quiet) quiet_call(p, t, b, r, true);   /* may move the table: b is not used after */
    if (fn >= 0 && p->heap_watching && !t->quiet_ret) enter_call(p, t, fn, r);
}

static bool libc_mapped(shi_proc *p) {
    shi_module *mods;
    size_t n;
    if (shi_proc_modules(p, &mods, &n) != 0) return false;
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) {
        const char *base = strrchr(mods[i].path, '/');
        found = base && strncmp(base + 1, "libc.so", 7) == 0;
    }
    shi_modules_free(mods, n);
    return found;
}

int shi_proc_watch_heap(shi_proc *p) {
    if (!p->alive) { errno = ESRCH; return -1; }
    if (!libc_mapped(p)) {
        /* right after exec only ld.so is there: let it load the libraries */
        shi_stop st;
        if (shi_proc_run_to_entry(p, &st) != 0) return -1;
    }
    /* a static executable carries its own malloc */
    const char *module = libc_mapped(p) ? "libc.so" : NULL;
    int found = 0;
    for (int fn = 0; fn < FN_LIBC_COUNT; fn++) {
        uint64_t addr = shi_proc_symbol(p, module, fn_names[fn]);
        if (!addr) continue;
        shi_bp *b = shi_bp_get(p, addr);
        if (!b) return -1;
        /* aligned_alloc is memalign in glibc: one address, the same arguments */
        if (b->heap_fn < 0) b->heap_fn = fn;
        found |= fn == FN_MALLOC;
    }
    for (size_t i = 0; i < sizeof sh_fns / sizeof sh_fns[0]; i++) {
        uint64_t addr = shi_proc_symbol(p, NULL, sh_fns[i].name);
        if (!addr) addr = shi_proc_symbol(p, "libstackheap.so", sh_fns[i].name);
        if (!addr) continue;
        shi_bp *b = shi_bp_get(p, addr);
        if (!b) return -1;
        if (b->heap_fn < 0) b->heap_fn = sh_fns[i].fn;
    }
    for (size_t i = 0; i < sizeof cxx_fns / sizeof cxx_fns[0]; i++) {
        /* g++ -static links libstdc++'s operators into the executable, as it does malloc */
        uint64_t addr = shi_proc_symbol(p, "libstdc++.so", cxx_fns[i].name);
        if (!addr) addr = shi_proc_symbol(p, NULL, cxx_fns[i].name);
        if (!addr) continue;
        shi_bp *b = shi_bp_get(p, addr);
        if (!b) return -1;
        if (b->heap_fn < 0) b->heap_fn = cxx_fns[i].fn;
    }
    if (!found) { errno = ENOENT; return -1; }
    p->heap_watching = true;
    return 0;
}

void shi_proc_report_heap_calls(shi_proc *p) { p->heap_calls = true; }

const shi_heap_event *shi_proc_heap_call(const shi_proc *p) { return &p->heap_call; }

void shi_proc_heap_answer(shi_proc *p, uint64_t tag) {
    for (size_t i = 0; i < p->ntasks; i++)
        if (p->tasks[i].tid == p->heap_call.tid && p->tasks[i].call.active)
            p->tasks[i].call.tag = tag;
}

size_t shi_proc_take_heap_events(shi_proc *p, shi_heap_event **ret) {
    size_t n = p->nevents;
    *ret = p->events;
    p->events = NULL;
    p->nevents = p->evcap = 0;
    return n;
}
