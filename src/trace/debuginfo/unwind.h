/*
 * src/trace/debuginfo/unwind.h — walking a stopped program's stack by its call frame information
 * (.eh_frame / .debug_frame, read with libdw), so frames are found without frame pointers:
 * Rust, and C built with -O1 and above, keep none. Each step turns one frame's registers
 * into its caller's: the CFA (canonical frame address, the caller's rsp) from the frame's
 * CFA rule, the return address and the saved registers from their rules.
 *
 *     shi_unwinder *u = shi_unwinder_new();
 *     shi_unwinder_add_module(u, "/path/prog", start, end, bias);      // each mapped ELF
 *     shi_uregs r; shi_uregs_from_user(&r, &regs);                      // the stop
 *     shi_uregs caller; uint64_t cfa;
 *     while (shi_unwind_step(u, &r, top, read, arg, &cfa, &caller) == 0) r = caller, top = false;
 *     shi_unwinder_free(u);
 *
 * Registers use the x86-64 DWARF numbering (0 rax ... 7 rsp, 8-15 r8-r15, 16 the return
 * address, i.e. the pc). Only registers the rules restore are valid in a caller.
 */
#ifndef SH_TRACE_UNWIND_H
#define SH_TRACE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

enum { SHI_UREG_RBP = 6, SHI_UREG_RSP = 7, SHI_UREG_PC = 16, SHI_UREG_COUNT = 17 };

typedef struct shi_uregs {
    uint64_t r[SHI_UREG_COUNT];
    uint32_t valid;       /* bit n: r[n] is known */
} shi_uregs;

typedef bool (*shi_unwind_read_fn)(void *arg, uint64_t addr, void *buf, size_t len);

typedef struct shi_unwinder shi_unwinder;

shi_unwinder *shi_unwinder_new(void);
void shi_unwinder_free(shi_unwinder *u);   /* accepts NULL */

/* A mapped ELF file: addresses in [start, end) belong to it; `bias` is added to its own
 * addresses (a PIE's or library's load base). Its CFI is read on first use; a file that
 * cannot be read or has none is remembered as such. -1/ENOMEM. */
int shi_unwinder_add_module(shi_unwinder *u, const char *path, uint64_t start, uint64_t end,
                            uint64_t bias);
/* Whether pc lies in a module added. */
bool shi_unwinder_knows(const shi_unwinder *u, uint64_t pc);

void shi_uregs_from_user(shi_uregs *ret, const struct user_regs_struct *r);
static inline bool shi_uregs_has(const shi_uregs *r, int n) { return (r->valid >> n) & 1; }

/* One frame up. `top`: r's pc is where the frame is stopped (else it is a return address,
 * and the call instruction before it is looked up). Gives the frame's CFA and the caller's
 * registers. Without CFI for the pc it falls back to the frame-pointer chain (cfa = rbp+16).
 * Returns 0, or -1 when there is no caller (the outermost frame, or the walk cannot go on:
 * no rule, unreadable memory, a CFA that does not grow). */
int shi_unwind_step(shi_unwinder *u, const shi_uregs *r, bool top, shi_unwind_read_fn read,
                    void *arg, uint64_t *ret_cfa, shi_uregs *ret_caller);

#endif
