/*
 * src/trace/debuginfo/dwarf_eval.c — evaluating DWARF location expressions: a small stack machine
 * over the operations gcc -O0 and rustc's debug builds emit. Location lists were already
 * resolved to one expression for the pc (dwarf_getlocation_addr in dwarf_vars.c).
 */
#include <dwarf.h>
#include <string.h>

#include "trace/debuginfo/dwarf_internal.h"

enum { STACK_MAX = 64 };

typedef struct machine {
    uint64_t stack[STACK_MAX];
    size_t n;
    const shi_dwarf_target *t;
    const Dwarf_Op *fb;
    size_t nfb;
} machine;

static bool push(machine *m, uint64_t v) {
    if (m->n == STACK_MAX) return false;
    m->stack[m->n++] = v;
    return true;
}

static bool pop(machine *m, uint64_t *ret) {
    if (m->n == 0) return false;
    *ret = m->stack[--m->n];
    return true;
}

static bool reg(const machine *m, int regno, uint64_t *ret) {
    return m->t->read_reg && m->t->read_reg(m->t->arg, regno, ret);
}

/* Reads `size` bytes (1..8) little-endian, zero-extended as DW_OP_deref_size says. */
bool shi_dwarf_read_uint(const shi_dwarf_target *t, uint64_t addr, size_t size, uint64_t *ret) {
    uint8_t buf[8] = {0};
    if (size == 0 || size > 8 || !t->read_mem || !t->read_mem(t->arg, addr, buf, size))
        return false;
    uint64_t v = 0;
    for (size_t i = size; i-- > 0;) v = v << 8 | buf[i];
    *ret = v;
    return true;
}

static bool mem(const machine *m, uint64_t addr, size_t size, uint64_t *ret) {
    return shi_dwarf_read_uint(m->t, addr, size, ret);
}

/* The frame base is a value: for a register location (Rust's reg7) it is the register's
 * content, for an address (C's call_frame_cfa) that address. */
static bool frame_base(const machine *m, uint64_t *ret) {
    if (!m->fb || m->nfb == 0) return false;
    shi_dwarf_loc loc;
    if (shi_dwarf_eval_location(m->fb, m->nfb, NULL, 0, m->t, &loc) != 0) return false;
    if (loc.kind == SHI_LOC_REGISTER) return reg(m, loc.regno, ret);
    if (loc.kind != SHI_LOC_MEMORY && loc.kind != SHI_LOC_VALUE) return false;
    *ret = loc.kind == SHI_LOC_MEMORY ? loc.addr : loc.value;
    return true;
}

static bool binary(machine *m, uint8_t atom) {
    uint64_t b, a;
    if (!pop(m, &b) || !pop(m, &a)) return false;
    switch (atom) {
    case DW_OP_plus: return push(m, a + b);
    case DW_OP_minus: return push(m, a - b);
    case DW_OP_mul: return push(m, a * b);
    case DW_OP_and: return push(m, a & b);
    case DW_OP_or: return push(m, a | b);
    case DW_OP_xor: return push(m, a ^ b);
    case DW_OP_shl: return push(m, b < 64 ? a << b : 0);
    case DW_OP_shr: return push(m, b < 64 ? a >> b : 0);
    case DW_OP_shra: return push(m, (uint64_t)((int64_t)a >> (b < 64 ? b : 63)));
    default: return false;
    }
}

static bool stack_op(machine *m, const Dwarf_Op *op) {
    uint64_t a, b;
    switch (op->atom) {
    case DW_OP_dup: return m->n > 0 && push(m, m->stack[m->n - 1]);
    case DW_OP_drop: return pop(m, &a);
    case DW_OP_over: return m->n > 1 && push(m, m->stack[m->n - 2]);
    case DW_OP_pick: return op->number < m->n && push(m, m->stack[m->n - 1 - op->number]);
    case DW_OP_swap:
        if (!pop(m, &a) || !pop(m, &b)) return false;
        return push(m, a) && push(m, b);
    case DW_OP_neg: return pop(m, &a) && push(m, -a);
    case DW_OP_not: return pop(m, &a) && push(m, ~a);
    default: return binary(m, op->atom);
    }
}

/* DW_OP_entry_value(DW_OP_regN): the register's value at the function's entry, asked of
 * the target (the caller's call site knows it). libdw keeps the inner expression to the
 * attribute: the variable's reader found its register (shi_dwarf_var.entry_regno). */
static bool entry_value(const machine *m, uint64_t *ret) {
    return m->t->entry_value && m->t->entry_regno >= 0 &&
           m->t->entry_value(m->t->arg, m->t->entry_regno, ret);
}

/* One operation that is not a register location or the final stack_value. */
static bool step(machine *m, const Dwarf_Op *op) {
    uint64_t a, v;
    uint8_t at = op->atom;
    if (at >= DW_OP_lit0 && at <= DW_OP_lit31) return push(m, at - DW_OP_lit0);
    if (at >= DW_OP_breg0 && at <= DW_OP_breg31)
        return reg(m, at - DW_OP_breg0, &v) && push(m, v + op->number);
    switch (at) {
    case DW_OP_addr: return push(m, op->number + m->t->load_bias);
    case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
    case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s:
    case DW_OP_constu: case DW_OP_consts:
        return push(m, op->number);
    case DW_OP_bregx: return reg(m, (int)op->number, &v) && push(m, v + op->number2);
    case DW_OP_fbreg: return frame_base(m, &v) && push(m, v + op->number);
    case DW_OP_call_frame_cfa: return push(m, m->t->cfa);
    case DW_OP_plus_uconst: return pop(m, &a) && push(m, a + op->number);
    case DW_OP_deref: return pop(m, &a) && mem(m, a, 8, &v) && push(m, v);
    case DW_OP_deref_size: return pop(m, &a) && mem(m, a, op->number, &v) && push(m, v);
    case DW_OP_nop: return true;
    case DW_OP_entry_value: case DW_OP_GNU_entry_value:
        return entry_value(m, &v) && push(m, v);
    default: return stack_op(m, op);
    }
}

/* A register location: the whole expression is one DW_OP_regN / DW_OP_regx. */
static bool register_location(const Dwarf_Op *op, shi_dwarf_loc *ret) {
    if (op->atom >= DW_OP_reg0 && op->atom <= DW_OP_reg31) {
        ret->regno = op->atom - DW_OP_reg0;
    } else if (op->atom == DW_OP_regx) {
        ret->regno = (int)op->number;
    } else {
        return false;
    }
    ret->kind = SHI_LOC_REGISTER;
    return true;
}

/* An expression without pieces. */
static int eval_simple(const Dwarf_Op *ops, size_t nops, const Dwarf_Op *fb, size_t nfb,
                       const shi_dwarf_target *t, shi_dwarf_loc *ret_loc) {
    if (nops == 1 && register_location(&ops[0], ret_loc)) {
        uint64_t v;   /* the content is a convenience: the caller may not have registers */
        if (reg(&(machine){.t = t}, ret_loc->regno, &v)) ret_loc->value = v, ret_loc->has_value = true;
        return 0;
    }
    if (nops == 1 && ops[0].atom == DW_OP_implicit_value) {
        /* libdw gives the block's length in number and its address in number2 */
        if (ops[0].number > SHI_LOC_BYTES_MAX || !ops[0].number2) return -1;
        ret_loc->kind = SHI_LOC_BYTES;
        ret_loc->nbytes = (size_t)ops[0].number;
        memcpy(ret_loc->bytes, (const void *)(uintptr_t)ops[0].number2, ret_loc->nbytes);
        return 0;
    }
    /* a value computed from one known only at the entry: when the caller's call site does
     * not give it (or gcc's typed arithmetic on it, DW_OP_convert, follows), optimised out */
    bool entry = false;
    for (size_t i = 0; i < nops; i++)
        entry = entry || ops[i].atom == DW_OP_entry_value ||
                ops[i].atom == DW_OP_GNU_entry_value || ops[i].atom == DW_OP_GNU_parameter_ref;
    machine m = {.t = t, .fb = fb, .nfb = nfb};
    for (size_t i = 0; i < nops; i++) {
        if (ops[i].atom == DW_OP_stack_value && i + 1 == nops) {
            if (!pop(&m, &ret_loc->value)) return -1;
            ret_loc->kind = SHI_LOC_VALUE;
            return 0;
        }
        if (!step(&m, &ops[i])) {
            if (!entry) return -1;
            ret_loc->kind = SHI_LOC_OPTIMISED;
            return 0;
        }
    }
    ret_loc->kind = SHI_LOC_MEMORY;
    return pop(&m, &ret_loc->addr) ? 0 : -1;
}

/* A piece's `size` bytes from where its expression says it is; false if unreadable. */
static bool piece_bytes(const shi_dwarf_target *t, const shi_dwarf_loc *part, unsigned char *buf,
                        size_t size) {
    uint64_t word = part->value;
    switch (part->kind) {
    case SHI_LOC_MEMORY: return t->read_mem && t->read_mem(t->arg, part->addr, buf, size);
    case SHI_LOC_REGISTER: case SHI_LOC_VALUE:   /* a word's low bytes, little-endian */
        if (part->kind == SHI_LOC_REGISTER && !part->has_value) return false;
        for (size_t i = 0; i < size; i++) buf[i] = i < 8 ? (unsigned char)(word >> (8 * i)) : 0;
        return true;
    case SHI_LOC_BYTES:
        memset(buf, 0, size);
        memcpy(buf, part->bytes, part->nbytes < size ? part->nbytes : size);
        return true;
    default: return false;
    }
}

/* A value in pieces (DW_OP_piece): a struct in two registers, a pair half in memory. Any
 * piece without a location makes the whole optimised out (gdb shows the other fields; a
 * learner is told the value is not there rather than shown half of it). */
static int eval_pieces(const Dwarf_Op *ops, size_t nops, const Dwarf_Op *fb, size_t nfb,
                       const shi_dwarf_target *t, shi_dwarf_loc *ret_loc) {
    size_t at = 0, start = 0;
    bool missing = false;
    for (size_t i = 0; i < nops; i++) {
        if (ops[i].atom != DW_OP_piece) continue;
        size_t size = (size_t)ops[i].number;
        if (size > SHI_LOC_BYTES_MAX - at) return -1;
        shi_dwarf_loc part = {0};
        if (i == start) missing = true;
        else if (eval_simple(ops + start, i - start, fb, nfb, t, &part) != 0) return -1;
        else if (part.kind == SHI_LOC_OPTIMISED) missing = true;
        else if (!piece_bytes(t, &part, ret_loc->bytes + at, size)) return -1;
        at += size;
        start = i + 1;
    }
    if (start != nops) return -1;   /* operations after the last piece: not a location */
    ret_loc->kind = missing ? SHI_LOC_OPTIMISED : SHI_LOC_BYTES;
    ret_loc->nbytes = at;
    return 0;
}

int shi_dwarf_eval_location(const Dwarf_Op *ops, size_t nops, const Dwarf_Op *fb, size_t nfb,
                            const shi_dwarf_target *t, shi_dwarf_loc *ret_loc) {
    memset(ret_loc, 0, sizeof *ret_loc);
    if (!ops || nops == 0) return -1;
    for (size_t i = 0; i < nops; i++)
        if (ops[i].atom == DW_OP_piece) return eval_pieces(ops, nops, fb, nfb, t, ret_loc);
    return eval_simple(ops, nops, fb, nfb, t, ret_loc);
}

bool shi_dwarf_var_const(const shi_dwarf_var *v, shi_dwarf_loc *ret_loc) {
    memset(ret_loc, 0, sizeof *ret_loc);
    if (!v->has_const || v->const_size > SHI_LOC_BYTES_MAX) return false;
    ret_loc->kind = SHI_LOC_BYTES;
    ret_loc->nbytes = v->const_size;
    if (v->const_block) memcpy(ret_loc->bytes, v->const_block, v->const_size);
    else
        for (size_t i = 0; i < 8; i++) ret_loc->bytes[i] = (unsigned char)(v->const_word >> (8 * i));
    return true;
}

/* ---- call sites ---------------------------------------------------------------------------- */

/* A call site's parameter passed in `regno`: its DW_AT_call_value. */
static bool site_param(Dwarf_Die *site, int regno, Dwarf_Attribute *ret_value) {
    Dwarf_Die p;
    if (dwarf_child(site, &p) != 0) return false;
    do {
        int tag = dwarf_tag(&p);
        Dwarf_Attribute a;
        Dwarf_Op *ops;
        size_t n;
        shi_dwarf_loc where;
        if ((tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter) ||
            !dwarf_attr(&p, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &n) != 0 ||
            n != 1 || !register_location(&ops[0], &where) || where.regno != regno)
            continue;
        return dwarf_attr(&p, DW_AT_call_value, ret_value) ||
               dwarf_attr(&p, DW_AT_GNU_call_site_value, ret_value);
    } while (dwarf_siblingof(&p, &p) == 0);
    return false;
}

/* The call site returning to ret_pc_rel, anywhere in `scope` (blocks, inlined calls). */
static bool find_site(Dwarf_Die *scope, uint64_t ret_pc_rel, Dwarf_Die *ret, int depth) {
    Dwarf_Die c;
    if (depth > 64 || dwarf_child(scope, &c) != 0) return false;
    do {
        int tag = dwarf_tag(&c);
        Dwarf_Attribute a;
        Dwarf_Addr at;
        if (tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) {
            /* DWARF 5 names the return address; gcc's GNU extension puts it in low_pc */
            if ((dwarf_attr(&c, DW_AT_call_return_pc, &a) || dwarf_attr(&c, DW_AT_low_pc, &a)) &&
                dwarf_formaddr(&a, &at) == 0 && at == ret_pc_rel) {
                *ret = c;
                return true;
            }
        } else if ((tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) &&
                   find_site(&c, ret_pc_rel, ret, depth + 1)) {
            return true;
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

bool shi_dwarf_call_value(const shi_dwarf *d, uint64_t ret_pc_rel, int regno,
                          const shi_dwarf_target *caller, uint64_t *ret) {
    const shi_function *f = shi_dwarf_function_at(d, ret_pc_rel - 1);
    Dwarf_Die sub, site;
    Dwarf_Attribute value;
    Dwarf_Op *ops;
    size_t n;
    shi_dwarf_loc loc;
    if (!f || !dwarf_offdie(shi_dwarf_handle(d), f->die, &sub) ||
        !find_site(&sub, ret_pc_rel, &site, 0) || !site_param(&site, regno, &value) ||
        dwarf_getlocation(&value, &ops, &n) != 0)
        return false;
    /* the value is the expression's result: no entry values of the caller's own here */
    shi_dwarf_target t = *caller;
    t.entry_value = NULL;
    if (shi_dwarf_eval_location(ops, n, NULL, 0, &t, &loc) != 0) return false;
    switch (loc.kind) {
    case SHI_LOC_MEMORY: *ret = loc.addr; return true;   /* the stack's top: the value */
    case SHI_LOC_VALUE: *ret = loc.value; return true;
    case SHI_LOC_REGISTER: *ret = loc.value; return loc.has_value;
    default: return false;
    }
}
