/*
 * src/trace/proc/proc_bp.c — the breakpoint table: int3 bytes written into the tracee's code,
 * each with the byte it replaced and the owners that keep it there.
 */
#define _GNU_SOURCE
#include "trace/proc/proc_internal.h"
#include "core/grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

shi_bp *shi_bp_find(shi_proc *p, uint64_t addr) {
    for (size_t i = 0; i < p->nbps; i++)
        if (p->bps[i].addr == addr) return &p->bps[i];
    return NULL;
}

shi_bp *shi_bp_get(shi_proc *p, uint64_t addr) {
    shi_bp *b = shi_bp_find(p, addr);
    if (b) return b;
    SHI_GROW(p->bps, p->bpcap, p->nbps + 1);
    unsigned char orig, int3 = 0xcc;
    if (shi_mem_read_raw(p->cur_tid, addr, &orig, 1) != 0) return NULL;
    if (shi_mem_write(p, addr, &int3, 1) != 0) return NULL;
    b = &p->bps[p->nbps++];
    *b = (shi_bp){.addr = addr, .orig = orig, .heap_fn = -1};
    return b;
}

int shi_bp_release(shi_proc *p, shi_bp *b) {
    if (b->user || b->heap_fn >= 0 || b->ret_refs > 0 || b->quiet) return 0;
    int rc = p->alive ? shi_mem_write(p, b->addr, &b->orig, 1) : 0;
    if (p->displaced == b->addr) p->displaced = 0;
    /* the table is unordered: the last entry fills the hole */
    *b = p->bps[--p->nbps];
    return rc;
}

/* A forked child has a copy of our int3 bytes: with no tracer, the first one it ran into
 * would kill it with SIGTRAP. */
int shi_bp_remove_from(shi_proc *p, pid_t pid) {
    int rc = 0;
    for (size_t i = 0; i < p->nbps; i++)
        if (shi_mem_peek_write(pid, p->bps[i].addr, &p->bps[i].orig, 1) != 0) rc = -1;
    return rc;
}

void shi_bp_forget_all(shi_proc *p) {
    p->nbps = 0;
    p->displaced = 0;
}

int shi_proc_break(shi_proc *p, uint64_t addr) {
    if (!p->alive) { errno = ESRCH; return -1; }
    if (addr == 0) { errno = EINVAL; return -1; }
    shi_bp *b = shi_bp_get(p, addr);
    if (!b) return -1;
    b->user = true;
    return 0;
}

int shi_proc_unbreak(shi_proc *p, uint64_t addr) {
    shi_bp *b = shi_bp_find(p, addr);
    if (!b || !b->user) { errno = ENOENT; return -1; }
    b->user = false;
    return shi_bp_release(p, b);
}
