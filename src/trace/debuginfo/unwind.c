/*
 * src/trace/debuginfo/unwind.c — the CFI unwinder (see unwind.h). libdw evaluates the CFI tables
 * into one frame's rules; this file applies them to registers with the DWARF expression
 * evaluator the variables use (dwarf_eval.c), so there is one evaluator in the tracer.
 */
#include "trace/debuginfo/unwind.h"
#include "core/grow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdw.h>
#include <libelf.h>

#include "trace/debuginfo/dwarf.h"

typedef struct module {
    char *path;
    uint64_t start, end, bias;
    bool loaded;          /* opened (successfully or not) */
    int fd;
    Elf *elf;
    Dwarf_CFI *cfi;       /* .eh_frame; NULL if none */
} module;

struct shi_unwinder {
    module *mods;
    size_t nmods, cap;
};

shi_unwinder *shi_unwinder_new(void) {
    return calloc(1, sizeof(shi_unwinder));
}

void shi_unwinder_free(shi_unwinder *u) {
    if (!u) return;
    for (size_t i = 0; i < u->nmods; i++) {
        module *m = &u->mods[i];
        if (m->cfi) dwarf_cfi_end(m->cfi);
        if (m->elf) elf_end(m->elf);
        if (m->fd >= 0) close(m->fd);
        free(m->path);
    }
    free(u->mods);
    free(u);
}

int shi_unwinder_add_module(shi_unwinder *u, const char *path, uint64_t start, uint64_t end,
                            uint64_t bias) {
    SHI_GROW(u->mods, u->cap, u->nmods + 1);
    char *p = strdup(path);
    if (!p) { errno = ENOMEM; return -1; }
    u->mods[u->nmods++] = (module){.path = p, .start = start, .end = end, .bias = bias, .fd = -1};
    return 0;
}

static module *module_of(const shi_unwinder *u, uint64_t pc) {
    for (size_t i = 0; i < u->nmods; i++)
        if (pc >= u->mods[i].start && pc < u->mods[i].end) return &u->mods[i];
    return NULL;
}

bool shi_unwinder_knows(const shi_unwinder *u, uint64_t pc) {
    return module_of(u, pc) != NULL;
}

static Dwarf_CFI *module_cfi(module *m) {
    if (!m->loaded) {
        m->loaded = true;
        elf_version(EV_CURRENT);
        m->fd = open(m->path, O_RDONLY | O_CLOEXEC);
        if (m->fd >= 0) m->elf = elf_begin(m->fd, ELF_C_READ_MMAP, NULL);
        if (m->elf) m->cfi = dwarf_getcfi_elf(m->elf);
    }
    return m->cfi;
}

void shi_uregs_from_user(shi_uregs *ret, const struct user_regs_struct *r) {
    const uint64_t v[SHI_UREG_COUNT] = {r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp,
                                        r->rsp, r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13,
                                        r->r14, r->r15, r->rip};
    memcpy(ret->r, v, sizeof v);
    ret->valid = (1u << SHI_UREG_COUNT) - 1;
}

/* ---- applying one frame's rules --------------------------------------------------------- */

typedef struct eval_ctx {
    const shi_uregs *r;
    shi_unwind_read_fn read;
    void *arg;
} eval_ctx;

static bool ctx_reg(void *arg, int regno, uint64_t *ret) {
    const eval_ctx *c = arg;
    if (regno < 0 || regno >= SHI_UREG_COUNT || !shi_uregs_has(c->r, regno)) return false;
    *ret = c->r->r[regno];
    return true;
}

static bool ctx_mem(void *arg, uint64_t addr, void *buf, size_t len) {
    const eval_ctx *c = arg;
    return c->read(c->arg, addr, buf, len);
}

/* The value an expression gives: a CFA expression's result, a register's saved value. */
static bool eval(const Dwarf_Op *ops, size_t nops, eval_ctx *c, uint64_t cfa, bool deref,
                 uint64_t *ret) {
    shi_dwarf_target t = {.read_reg = ctx_reg, .read_mem = ctx_mem, .arg = c, .cfa = cfa};
    shi_dwarf_loc loc;
    if (shi_dwarf_eval_location(ops, nops, NULL, 0, &t, &loc) != 0) return false;
    switch (loc.kind) {
    case SHI_LOC_MEMORY:
        if (!deref) { *ret = loc.addr; return true; }
        return c->read(c->arg, loc.addr, ret, sizeof *ret);
    case SHI_LOC_REGISTER: return ctx_reg(c, loc.regno, ret);
    case SHI_LOC_VALUE: *ret = loc.value; return true;
    default: return false;   /* pieces, implicit values: no CFA or saved register is one */
    }
}

static int apply_frame(Dwarf_Frame *f, const shi_uregs *r, eval_ctx *c, uint64_t *ret_cfa,
                       shi_uregs *out) {
    Dwarf_Op *ops;
    size_t nops;
    uint64_t cfa;
    if (dwarf_frame_cfa(f, &ops, &nops) != 0 || nops == 0 || !eval(ops, nops, c, 0, false, &cfa))
        return -1;
    Dwarf_Addr start, end;
    bool signalp;
    int ra = dwarf_frame_info(f, &start, &end, &signalp);
    if (ra < 0 || ra >= SHI_UREG_COUNT) return -1;
    *out = (shi_uregs){0};
    for (int n = 0; n < SHI_UREG_COUNT; n++) {
        Dwarf_Op mem[3];
        if (dwarf_frame_register(f, n, mem, &ops, &nops) != 0) continue;
        uint64_t v;
        if (nops == 0 && ops == NULL) {           /* same value */
            if (!shi_uregs_has(r, n)) continue;
            v = r->r[n];
        } else if (nops == 0) {                   /* undefined: clobbered by the call */
            continue;
        } else if (!eval(ops, nops, c, cfa, true, &v)) {
            continue;
        }
        out->r[n] = v;
        out->valid |= 1u << n;
    }
    /* the caller's pc is the return address; its stack pointer is the CFA by definition */
    if (!shi_uregs_has(out, ra)) return -1;
    out->r[SHI_UREG_PC] = out->r[ra];
    out->valid |= 1u << SHI_UREG_PC;
    out->r[SHI_UREG_RSP] = cfa;
    out->valid |= 1u << SHI_UREG_RSP;
    *ret_cfa = cfa;
    return 0;
}

/* gcc -O0's frames without CFI: push rbp; mov rsp, rbp. */
static int frame_pointer_step(const shi_uregs *r, eval_ctx *c, uint64_t *ret_cfa,
                              shi_uregs *out) {
    if (!shi_uregs_has(r, SHI_UREG_RBP)) return -1;
    uint64_t rbp = r->r[SHI_UREG_RBP], saved[2];
    if (rbp == 0 || !c->read(c->arg, rbp, saved, sizeof saved)) return -1;
    *out = (shi_uregs){0};
    out->r[SHI_UREG_RBP] = saved[0];
    out->r[SHI_UREG_PC] = saved[1];
    out->r[SHI_UREG_RSP] = rbp + 16;
    out->valid = 1u << SHI_UREG_RBP | 1u << SHI_UREG_PC | 1u << SHI_UREG_RSP;
    *ret_cfa = rbp + 16;
    return 0;
}

int shi_unwind_step(shi_unwinder *u, const shi_uregs *r, bool top, shi_unwind_read_fn read,
                    void *arg, uint64_t *ret_cfa, shi_uregs *ret_caller) {
    if (!shi_uregs_has(r, SHI_UREG_PC) || !shi_uregs_has(r, SHI_UREG_RSP)) return -1;
    uint64_t pc = r->r[SHI_UREG_PC];
    if (pc == 0) return -1;
    eval_ctx c = {.r = r, .read = read, .arg = arg};
    module *m = module_of(u, pc);
    Dwarf_CFI *cfi = m ? module_cfi(m) : NULL;
    int rc = -1;
    if (cfi) {
        Dwarf_Frame *f = NULL;
        /* a return address may be just past the function's end (a call to a noreturn fn) */
        uint64_t rel = pc - m->bias - (top ? 0 : 1);
        if (dwarf_cfi_addrframe(cfi, rel, &f) == 0) {
            rc = apply_frame(f, r, &c, ret_cfa, ret_caller);
            free(f);
        }
    }
    if (rc != 0) rc = frame_pointer_step(r, &c, ret_cfa, ret_caller);
    /* stacks grow down: a caller's frame lies above; anything else is a broken walk */
    if (rc == 0 && (ret_caller->r[SHI_UREG_RSP] <= r->r[SHI_UREG_RSP] ||
                    ret_caller->r[SHI_UREG_PC] == 0))
        rc = -1;
    return rc;
}
