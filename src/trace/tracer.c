/*
 * src/trace/tracer.c — `stackheap run`'s engine: breakpoints on every is_stmt address of the
 * user's lines, continue, and at each stop that is a new line or a new frame record a step.
 *
 * Frames come from the rbp chain (gcc -O0 keeps frame pointers): a frame's CFA is rbp+16,
 * its return address sits at rbp+8 and the caller's rbp at [rbp]. Breakpoints inside a
 * function's prologue are left out, so rbp is always the frame's own at a stop. Heap
 * blocks are numbered in allocation order (addresses are reused, numbers are not) and only
 * those allocated from the executable's code are shown: libc's stdio buffers stay hidden.
 */
#define _GNU_SOURCE   /* sigabbrev_np */
#include "trace/tracer.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>

#include "trace/dwarf.h"
#include "trace/proc.h"
#include "trace/render.h"

enum { MAX_FRAMES = 4096, BLOCK_BYTES = 64 };

typedef struct live_block {
    uint64_t addr, size, id;
    const char *file;   /* owned by the shi_dwarf */
    int line;
} live_block;

typedef struct frame_info {
    const shi_function *fn;
    uint64_t pc, rbp, rsp, cfa;
    const char *file;
    int line;
} frame_info;

typedef struct tracer {
    shi_dwarf *d;
    shi_proc *p;
    shi_trace *t;
    uint64_t bias, exe_start, exe_end;
    struct user_regs_struct regs;
    live_block *blocks;
    size_t nblocks, cap_blocks;
    uint64_t next_id;
    shi_event *pending;       /* events since the last step (texts malloc'd) */
    size_t npending, cap_pending;
    const char *last_file;    /* the line running since the last step */
    int last_line;
    size_t max_steps;
    uint64_t last_pc;         /* the last breakpoint stop */
} tracer;

/* ---- pending events ---------------------------------------------------------------------- */

static shi_event *pend(tracer *tr, shi_event_kind kind) {
    if (tr->npending == tr->cap_pending) {
        tr->cap_pending = tr->cap_pending ? 2 * tr->cap_pending : 16;
        tr->pending = realloc(tr->pending, tr->cap_pending * sizeof *tr->pending);
        if (!tr->pending) abort();
    }
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
        e->text = shi_trace_strdup(src->text);
        free(src->function);
        free(src->text);
    }
    tr->npending = 0;
}

static void take_output(tracer *tr) {
    for (int fd = 1; fd <= 2; fd++) {
        char *out = shi_proc_take_output(tr->p, fd, NULL);
        if (out) pend(tr, SHI_EV_OUTPUT)->text = out;
    }
}

/* ---- heap -------------------------------------------------------------------------------- */

static live_block *find_block(tracer *tr, uint64_t addr) {
    for (size_t i = 0; i < tr->nblocks; i++)
        if (tr->blocks[i].addr == addr) return &tr->blocks[i];
    return NULL;
}

static bool in_exe(const tracer *tr, uint64_t addr) {
    return addr >= tr->exe_start && addr < tr->exe_end;
}

/* The user's line that called malloc: the caller's own line if it is a user line, else the
 * line that was running (libstackheap code linked into the program). */
static void alloc_line(tracer *tr, uint64_t caller, const char **ret_file, int *ret_line) {
    const char *file;
    int line;
    if (shi_dwarf_line_at(tr->d, caller - 1 - tr->bias, &file, &line) &&
        shi_dwarf_is_user_file(tr->d, file)) {
        *ret_file = file; *ret_line = line;
    } else {
        *ret_file = tr->last_file; *ret_line = tr->last_line;
    }
}

static void add_block(tracer *tr, uint64_t addr, uint64_t size, uint64_t caller) {
    if (tr->nblocks == tr->cap_blocks) {
        tr->cap_blocks = tr->cap_blocks ? 2 * tr->cap_blocks : 16;
        tr->blocks = realloc(tr->blocks, tr->cap_blocks * sizeof *tr->blocks);
        if (!tr->blocks) abort();
    }
    live_block *b = &tr->blocks[tr->nblocks++];
    *b = (live_block){.addr = addr, .size = size, .id = ++tr->next_id};
    alloc_line(tr, caller, &b->file, &b->line);
    shi_event *e = pend(tr, SHI_EV_ALLOC);
    e->addr = addr; e->size = size; e->block_id = b->id;
}

static void take_heap(tracer *tr) {
    shi_heap_event *ev = NULL;
    size_t n = shi_proc_take_heap_events(tr->p, &ev);
    for (size_t i = 0; i < n; i++) {
        const shi_heap_event *h = &ev[i];
        live_block *b;
        switch (h->kind) {
        case SHI_HEAP_MALLOC: case SHI_HEAP_CALLOC: case SHI_HEAP_MEMALIGN:
            if (in_exe(tr, h->caller)) add_block(tr, h->ptr, h->size, h->caller);
            break;
        case SHI_HEAP_REALLOC:
            if ((b = find_block(tr, h->old_ptr))) {
                shi_event *e = pend(tr, SHI_EV_REALLOC);
                e->old_addr = b->addr; e->addr = h->ptr; e->size = h->size; e->block_id = b->id;
                b->addr = h->ptr; b->size = h->size;
            } else if (in_exe(tr, h->caller)) {
                add_block(tr, h->ptr, h->size, h->caller);
            }
            break;
        case SHI_HEAP_FREE:
            if ((b = find_block(tr, h->ptr))) {
                shi_event *e = pend(tr, SHI_EV_FREE);
                e->addr = b->addr; e->size = b->size; e->block_id = b->id;
                *b = tr->blocks[--tr->nblocks];
            }
            break;
        }
    }
    free(ev);
}

static int by_addr(const void *a, const void *b) {
    const live_block *x = a, *y = b;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

static void copy_blocks(tracer *tr, shi_step *s) {
    if (tr->nblocks) qsort(tr->blocks, tr->nblocks, sizeof *tr->blocks, by_addr);
    for (size_t i = 0; i < tr->nblocks; i++) {
        const live_block *lb = &tr->blocks[i];
        shi_block *b = shi_step_add_block(s, lb->addr, lb->size, lb->id);
        b->alloc_file = shi_trace_strdup(lb->file);
        b->alloc_line = lb->line;
        unsigned char buf[BLOCK_BYTES];
        size_t n = lb->size < BLOCK_BYTES ? lb->size : BLOCK_BYTES;
        if (n && shi_proc_read(tr->p, lb->addr, buf, n) == 0) shi_block_set_bytes(b, buf, n);
    }
}

/* Which block a pointer points into (block index in s), or -1. */
static int64_t block_of(const shi_step *s, uint64_t addr) {
    for (size_t i = 0; i < s->nblocks; i++)
        if (addr >= s->blocks[i].addr && addr < s->blocks[i].addr + (s->blocks[i].size ? s->blocks[i].size : 1))
            return (int64_t)i;
    return -1;
}

static void link_value(const shi_step *s, shi_value *v) {
    if (v->kind == SHI_VAL_POINTER) v->target_block = v->addr ? block_of(s, v->addr) : -1;
    else if (v->kind == SHI_VAL_OWNED) v->target_block = v->owned.ptr ? block_of(s, v->owned.ptr) : -1;
    for (size_t i = 0; i < v->nfields; i++) link_value(s, v->fields[i].value);
}

/* ---- frames ------------------------------------------------------------------------------ */

typedef struct frame_target {
    tracer *tr;
    const frame_info *fi;
} frame_target;

static bool read_reg(void *arg, int regno, uint64_t *ret) {
    frame_target *ft = arg;
    switch (regno) {
    case 6: *ret = ft->fi->rbp; return true;
    case 7: *ret = ft->fi->rsp; return true;
    case 16: *ret = ft->fi->pc; return true;
    default: return shi_regs_dwarf_get(&ft->tr->regs, regno, ret) == 0;
    }
}

static bool read_mem(void *arg, uint64_t addr, void *buf, size_t len) {
    frame_target *ft = arg;
    return shi_proc_read(ft->tr->p, addr, buf, len) == 0;
}

/* Walks the rbp chain from the stop, innermost first, up to main. Returns how many. */
static size_t walk_frames(tracer *tr, uint64_t pc, frame_info *out, size_t max) {
    uint64_t rbp = tr->regs.rbp, rsp = tr->regs.rsp;
    size_t n = 0;
    const shi_function *main_fn = shi_dwarf_main(tr->d);
    for (bool top = true; n < max; top = false) {
        uint64_t rel = pc - tr->bias - (top ? 0 : 1);
        const shi_function *fn = shi_dwarf_function_at(tr->d, rel);
        if (!fn) break;
        frame_info *f = &out[n++];
        *f = (frame_info){.fn = fn, .pc = pc, .rbp = rbp, .rsp = rsp, .cfa = rbp + 16};
        if (!shi_dwarf_line_at(tr->d, rel, &f->file, &f->line)) { f->file = fn->decl_file; f->line = fn->decl_line; }
        if (fn == main_fn) break;
        uint64_t ret, caller_rbp;
        if (shi_proc_read_u64(tr->p, rbp + 8, &ret) || shi_proc_read_u64(tr->p, rbp, &caller_rbp))
            break;
        rsp = rbp + 16;
        rbp = caller_rbp;
        pc = ret;
    }
    return n;
}

typedef struct vars_ctx {
    tracer *tr;
    shi_step *s;
    size_t frame;           /* index in s->frames */
    frame_target ft;
    shi_dwarf_target target;
    const shi_frame *prev;  /* the same frame in the previous step, or NULL */
} vars_ctx;

static const shi_var *prev_var(const shi_frame *f, const char *name) {
    if (!f) return NULL;
    for (size_t i = 0; i < f->nvars; i++)
        if (strcmp(f->vars[i].name, name) == 0) return &f->vars[i];
    return NULL;
}

static int on_var(const shi_dwarf_var *v, void *arg) {
    vars_ctx *c = arg;
    shi_frame *f = &c->s->frames[c->frame];
    shi_var *sv = shi_frame_add_var(f, v->name, v->type_name, v->size);
    sv->is_param = v->is_param;
    /* A local declared at or below the running line has not been set yet (`sum = ?`),
     * unless an earlier step of this same frame already showed it (a loop going back). */
    const shi_var *pv = prev_var(c->prev, v->name);
    bool uninit = !v->is_param && v->decl_line >= f->line &&
                  !(pv && pv->value.kind != SHI_VAL_UNINIT);
    shi_dwarf_loc loc;
    if (!v->loc || shi_dwarf_eval_location(v->loc, v->nloc, v->frame_base, v->nframe_base,
                                           &c->target, &loc) != 0) {
        sv->value.kind = SHI_VAL_UNREADABLE;
        return 0;
    }
    if (loc.kind == SHI_LOC_MEMORY) {
        sv->addr = loc.addr;
        Dwarf_Die type = v->type;
        if (uninit) sv->value.kind = SHI_VAL_UNINIT;
        else if (shi_dwarf_read_value(c->tr->d, &type, loc.addr, &c->target, &sv->value) != 0)
            sv->value.kind = SHI_VAL_UNREADABLE;
    } else if (uninit) {
        sv->value.kind = SHI_VAL_UNINIT;
    } else {
        shi_value_set_uint(&sv->value, loc.value);
    }
    return 0;
}

static const shi_frame *matching_frame(const shi_step *prev, size_t depth, const frame_info *fi) {
    if (!prev || depth >= prev->nframes) return NULL;
    const shi_frame *f = &prev->frames[depth];
    return f->cfa == fi->cfa && strcmp(f->function, fi->fn->name) == 0 ? f : NULL;
}

/* The return value of fn from rax, by its DWARF return type (none for void). */
static bool return_value(tracer *tr, Dwarf_Off die_off, int64_t *ret) {
    Dwarf_Die die, type;
    Dwarf_Attribute a;
    if (!dwarf_offdie(shi_dwarf_handle(tr->d), die_off, &die)) return false;
    if (!dwarf_attr_integrate(&die, DW_AT_type, &a) || !dwarf_formref_die(&a, &type)) return false;
    while (dwarf_tag(&type) == DW_TAG_typedef || dwarf_tag(&type) == DW_TAG_const_type ||
           dwarf_tag(&type) == DW_TAG_volatile_type)
        if (!dwarf_attr(&type, DW_AT_type, &a) || !dwarf_formref_die(&a, &type)) return false;
    int tag = dwarf_tag(&type);
    if (tag != DW_TAG_base_type && tag != DW_TAG_pointer_type && tag != DW_TAG_enumeration_type)
        return false;
    int size = dwarf_bytesize(&type);
    Dwarf_Word enc = DW_ATE_signed;
    if (dwarf_attr(&type, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
    if (enc == DW_ATE_float) return false;
    uint64_t rax = tr->regs.rax;
    bool sign = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
    switch (size) {
    case 1: *ret = sign ? (int8_t)rax : (int64_t)(uint8_t)rax; break;
    case 2: *ret = sign ? (int16_t)rax : (int64_t)(uint16_t)rax; break;
    case 4: *ret = sign ? (int32_t)rax : (int64_t)(uint32_t)rax; break;
    case 8: *ret = (int64_t)rax; break;
    default: return false;
    }
    return true;
}

enum { NO_STEP, STEP_MADE, STEP_LIMIT };

/* Records a step for the stop at pc; `force`: even if nothing moved (a crash). NO_STEP
 * when it was the same line in the same frame, STEP_LIMIT when max_steps are recorded. */
static int make_step(tracer *tr, uint64_t pc, bool force) {
    static frame_info fr[MAX_FRAMES];
    size_t n = walk_frames(tr, pc, fr, MAX_FRAMES);
    const shi_step *prev = tr->t->nsteps ? &tr->t->steps[tr->t->nsteps - 1] : NULL;
    const char *file = n ? fr[0].file : tr->last_file;
    int line = n ? fr[0].line : tr->last_line;
    /* One line may have several is_stmt addresses (a `for`'s parts): one step, unless the
     * program jumped back (a loop going round the same line again). */
    bool back = pc <= tr->last_pc;
    tr->last_pc = pc;
    if (!force && !back && prev && n == prev->nframes && n &&
        prev->frames[n - 1].cfa == fr[0].cfa && prev->line == line && file && prev->file &&
        strcmp(prev->file, file) == 0)
        return NO_STEP;
    if (!force && tr->t->nsteps >= tr->max_steps) return STEP_LIMIT;

    /* calls and returns: frames are matched from the bottom by function and CFA */
    size_t common = 0;
    while (prev && common < n && matching_frame(prev, common, &fr[n - 1 - common])) common++;
    if (prev)
        for (size_t i = prev->nframes; i-- > common;) {
            shi_event *e = pend(tr, SHI_EV_RETURN);
            e->function = shi_trace_strdup(prev->frames[i].function);
            const shi_function *fn = NULL;
            size_t nf;
            const shi_function *fns = shi_dwarf_functions(tr->d, &nf);
            for (size_t k = 0; k < nf; k++)
                if (strcmp(fns[k].name, prev->frames[i].function) == 0) fn = &fns[k];
            /* rax holds the value of the outermost frame that returned */
            if (fn && i == common && common == n) e->has_value = return_value(tr, fn->die, &e->value);
        }
    for (size_t i = common; i < n; i++)
        pend(tr, SHI_EV_CALL)->function = shi_trace_strdup(fr[n - 1 - i].fn->name);

    shi_step *s = shi_trace_add_step(tr->t);
    prev = s->index ? &tr->t->steps[s->index - 1] : NULL;
    s->file = shi_trace_strdup(file);
    s->line = line;
    for (size_t i = 0; i < n; i++) {
        const frame_info *fi = &fr[n - 1 - i];
        shi_frame *f = shi_step_push_frame(s, fi->fn->name, fi->file, fi->line);
        f->cfa = fi->cfa;
    }
    copy_blocks(tr, s);
    for (size_t i = 0; i < n; i++) {
        vars_ctx c = {.tr = tr, .s = s, .frame = i, .prev = matching_frame(prev, i, &fr[n - 1 - i])};
        c.ft = (frame_target){tr, &fr[n - 1 - i]};
        c.target = (shi_dwarf_target){.read_reg = read_reg, .read_mem = read_mem, .arg = &c.ft,
                                      .cfa = fr[n - 1 - i].cfa, .load_bias = tr->bias};
        uint64_t rel = fr[n - 1 - i].pc - tr->bias - (i == n - 1 ? 0 : 1);
        shi_dwarf_vars_at(tr->d, rel, on_var, &c);
        shi_frame *f = &s->frames[i];
        for (size_t k = 0; k < f->nvars; k++) link_value(s, &f->vars[k].value);
    }
    flush_pending(tr, s);
    tr->last_file = file;
    tr->last_line = line;
    return STEP_MADE;
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
    for (size_t i = 0; i < tr->nblocks; i++) {
        const live_block *b = &tr->blocks[i];
        char buf[512];
        snprintf(buf, sizeof buf, "block #%llu, %llu bytes, allocated at %s:%d",
                 (unsigned long long)b->id, (unsigned long long)b->size,
                 b->file ? b->file : "?", b->line);
        shi_trace_add_leak(tr->t, buf);
    }
    for (size_t i = 0; i < tr->t->nsteps; i++) {
        shi_step *s = &tr->t->steps[i];
        shi_step_mark_changes(s, i ? &tr->t->steps[i - 1] : NULL);
        free(s->title);
        s->title = NULL;
        char *title = shi_render_step_title(s);
        s->title = shi_trace_strdup(title);
        free(title);
    }
}

/* Events after the last step (exit, a signal) go on the last step, or a step of their own. */
static void flush_to_last(tracer *tr) {
    if (!tr->t->nsteps) shi_trace_add_step(tr->t);
    flush_pending(tr, &tr->t->steps[tr->t->nsteps - 1]);
}

shi_trace *shi_tracer_run(char *const argv[], const shi_tracer_opts *o,
                          shi_tracer_info *ret_info, char *err, size_t errlen) {
    shi_tracer_opts opts = o ? *o : (shi_tracer_opts){0};
    size_t max_steps = opts.max_steps ? opts.max_steps : 10000;
    shi_tracer_info info = {0};
    tracer tr = {.max_steps = max_steps};
    tr.d = shi_dwarf_open(argv[0], err, errlen);
    if (!tr.d) return NULL;
    tr.p = shi_proc_spawn(argv, &(shi_spawn_opts){.stdin_path = opts.stdin_path,
                                                 .capture_output = true}, err, errlen);
    if (!tr.p) { shi_dwarf_close(tr.d); return NULL; }
    if (shi_proc_watch_heap(tr.p) != 0 || shi_proc_exe_bias(tr.p, &tr.bias) != 0) {
        set_err(err, errlen, "%s: cannot watch its heap (%s)", argv[0], strerror(errno));
        shi_proc_free(tr.p); shi_dwarf_close(tr.d);
        return NULL;
    }
    shi_module *mods; size_t nmods;
    if (shi_proc_modules(tr.p, &mods, &nmods) == 0) {
        for (size_t i = 0; i < nmods; i++)
            if (mods[i].is_exe) { tr.exe_start = mods[i].start; tr.exe_end = mods[i].end; }
        shi_modules_free(mods, nmods);
    }

    tr.t = shi_trace_new(argv[0]);
    tr.t->language = shi_trace_strdup(shi_dwarf_language_name(tr.d));
    for (size_t i = 1; argv[i]; i++) shi_trace_add_arg(tr.t, argv[i]);
    size_t nsrc;
    const char *const *srcs = shi_dwarf_source_files(tr.d, &nsrc);
    for (size_t i = 0; i < nsrc; i++) shi_trace_add_source(tr.t, srcs[i]);
    shi_proc_stack_limit(tr.p, &tr.t->stack_limit);
    tr.t->exit_code = -1;

    size_t nlines, nf;
    const shi_line *lines = shi_dwarf_lines(tr.d, &nlines);
    const shi_function *fns = shi_dwarf_functions(tr.d, &nf);
    for (size_t i = 0; i < nlines; i++)
        if (lines[i].is_stmt && !in_prologue(fns, nf, lines[i].addr))
            shi_proc_break(tr.p, tr.bias + lines[i].addr);

    for (;;) {
        shi_stop st;
        int rc = shi_proc_cont(tr.p, &st);
        take_heap(&tr);
        take_output(&tr);
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
            if (make_step(&tr, st.addr, false) == STEP_LIMIT) {
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
                if (shi_proc_get_regs(tr.p, &tr.regs) == 0) make_step(&tr, st.rip, true);
                shi_event *e = pend(&tr, SHI_EV_SIGNAL);
                e->value = sig; e->has_value = true;
                char buf[160];
                if (sig == SIGSEGV)
                    snprintf(buf, sizeof buf, "SIGSEGV (invalid memory access at 0x%llx)",
                             (unsigned long long)st.fault_addr);
                else
                    snprintf(buf, sizeof buf, "SIG%s", sigabbrev_np(sig));
                e->text = strdup(buf);
                flush_to_last(&tr);
                tr.t->term_signal = sig;
                break;   /* the crash is the last step; shi_proc_free kills it */
            }
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
    info.forks = shi_proc_forks(tr.p);
    info.threads = shi_proc_threads(tr.p);
    shi_proc_free(tr.p);
    finish(&tr);
    for (size_t i = 0; i < tr.npending; i++) { free(tr.pending[i].text); free(tr.pending[i].function); }
    free(tr.pending);
    free(tr.blocks);
    shi_dwarf_close(tr.d);
    if (ret_info) *ret_info = info;
    return tr.t;
}
