/*
 * tests/trace/test_unwind.c — the CFI unwinder on real stacks: programs compiled here with
 * frame pointers omitted (so only the call frame information can find the callers), stopped
 * at a breakpoint, walked up to main; the frame-pointer fallback; a crash inside libc walked
 * back into the program; bad input (no caller, no registers) refused.
 */
#define _GNU_SOURCE
#include "check.h"
#include "trace/debuginfo/dwarf.h"
#include "trace/proc/proc.h"
#include "trace/debuginfo/unwind.h"
#include "programs.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>

/* Three calls deep; every function keeps a local so each has a frame of its own. */
static const char chain_src[] =
    "__attribute__((noinline)) int leaf(int n) { volatile int k = n * 2; return k; }\n"
    "__attribute__((noinline)) int mid(int n) { volatile int k = leaf(n + 1); return k + 1; }\n"
    "__attribute__((noinline)) int top(int n) { volatile int k = mid(n + 1); return k + 1; }\n"
    "int main(void) { return top(1) == 8 ? 0 : 1; }\n";

typedef struct stopped {
    shi_proc *p;
    shi_dwarf *d;
    shi_unwinder *u;
    uint64_t bias;
    struct user_regs_struct regs;
} stopped;

static bool read_mem(void *arg, uint64_t addr, void *buf, size_t len) {
    return shi_proc_read(arg, addr, buf, len) == 0;
}

/* Runs exe to the entry of function `at` (or to a crash when at is NULL). `all`: every
 * mapped module's CFI, else none (only the frame-pointer fallback). */
static stopped stop_in(const char *exe, const char *at, bool all) {
    stopped s = {0};
    char err[256] = "";
    char *argv[] = {(char *)exe, NULL};
    s.d = shi_dwarf_open(exe, err, sizeof err);
    CHECK(s.d != NULL);
    s.p = shi_proc_spawn(argv, NULL, err, sizeof err);
    CHECK(s.p != NULL);
    shi_stop st;
    CHECK(shi_proc_run_to_entry(s.p, &st) == 0);
    CHECK(shi_proc_exe_bias(s.p, &s.bias) == 0);
    s.u = shi_unwinder_new();
    CHECK(s.u != NULL);
    shi_module *m;
    size_t n;
    CHECK(shi_proc_modules(s.p, &m, &n) == 0);
    for (size_t i = 0; i < n && all; i++)
        CHECK(shi_unwinder_add_module(s.u, m[i].path, m[i].start, m[i].end, m[i].bias) == 0);
    shi_modules_free(m, n);
    if (at) {
        uint64_t addr = shi_proc_symbol(s.p, NULL, at);
        CHECK(addr != 0);
        CHECK(shi_proc_break(s.p, addr) == 0);
        CHECK(shi_proc_cont(s.p, &st) == 0);
        CHECK_EQ(st.kind, SHI_STOP_BREAKPOINT);
    } else {
        CHECK(shi_proc_cont(s.p, &st) == 0);
        CHECK_EQ(st.kind, SHI_STOP_SIGNAL);
        CHECK_EQ(st.signal, SIGSEGV);
    }
    CHECK(shi_proc_get_regs(s.p, &s.regs) == 0);
    return s;
}

static void stopped_free(stopped *s) {
    shi_unwinder_free(s->u);
    shi_proc_free(s->p);
    shi_dwarf_close(s->d);
    cleanup();
}

/* The names of the program's functions on the stack, innermost first, comma-separated;
 * frames outside its code are counted as "?" once per run of them. */
static void walk(stopped *s, char *out, size_t len, size_t *ret_frames) {
    shi_uregs r, caller;
    shi_uregs_from_user(&r, &s->regs);
    out[0] = 0;
    size_t frames = 0;
    bool in_other = false;
    for (bool top = true; frames < 64; top = false) {
        uint64_t pc = r.r[SHI_UREG_PC];
        const shi_function *fn = shi_dwarf_function_at(s->d, pc - s->bias - (top ? 0 : 1));
        if (fn || !in_other) {
            size_t used = strlen(out);
            snprintf(out + used, len - used, "%s%s", used ? "," : "", fn ? fn->name : "?");
        }
        in_other = !fn;
        frames++;
        if (fn && strcmp(fn->name, "main") == 0) break;
        uint64_t cfa;
        if (shi_unwind_step(s->u, &r, top, read_mem, s->p, &cfa, &caller) != 0) break;
        CHECK(cfa == caller.r[SHI_UREG_RSP]);
        r = caller;
    }
    *ret_frames = frames;
}

SH_TEST(test_cfi_walks_a_stack_without_frame_pointers) {
    const char *exe = compile_program("chain", chain_src, "-O1 -fomit-frame-pointer");
    stopped s = stop_in(exe, "leaf", true);
    char names[256];
    size_t n;
    walk(&s, names, sizeof names, &n);
    CHECK(strcmp(names, "leaf,mid,top,main") == 0);
    CHECK_EQ(n, 4);
    stopped_free(&s);
}

SH_TEST(test_cfi_walks_gcc_O0_frames_too) {
    const char *exe = compile_program("chain0", chain_src, "-O0");
    stopped s = stop_in(exe, "leaf", true);
    char names[256];
    size_t n;
    walk(&s, names, sizeof names, &n);
    CHECK(strcmp(names, "leaf,mid,top,main") == 0);
    stopped_free(&s);
}

SH_TEST(test_frame_pointer_fallback_without_cfi) {
    /* no module added: only the rbp chain; at the entry of a -O0 function rbp is still the
     * caller's, so the walk starts one frame out from there */
    const char *exe = compile_program("chainfp", chain_src, "-O0");
    stopped s = stop_in(exe, "leaf", false);
    CHECK(!shi_unwinder_knows(s.u, s.regs.rip));
    shi_uregs r, caller;
    shi_uregs_from_user(&r, &s.regs);
    uint64_t cfa;
    CHECK(shi_unwind_step(s.u, &r, true, read_mem, s.p, &cfa, &caller) == 0);
    CHECK_EQ(cfa, s.regs.rbp + 16);
    const shi_function *fn = shi_dwarf_function_at(s.d, caller.r[SHI_UREG_PC] - s.bias - 1);
    CHECK(fn != NULL && strcmp(fn->name, "top") == 0);   /* mid's frame is skipped: rbp's */
    stopped_free(&s);
}

SH_TEST(test_crash_inside_libc_walks_back_to_the_caller) {
    const char *exe = compile_program("strlen_null",
        "#include <string.h>\n"
        "__attribute__((noinline)) unsigned long measure(const char *s) { return strlen(s); }\n"
        "int main(int argc, char **argv) { (void)argv; return (int)measure(argc > 5 ? \"x\" : 0); }\n",
        "-O1 -fomit-frame-pointer");
    stopped s = stop_in(exe, NULL, true);
    char names[256];
    size_t n;
    walk(&s, names, sizeof names, &n);
    CHECK(strcmp(names, "?,measure,main") == 0 || strcmp(names, "?,main") == 0);
    CHECK(strstr(names, "main") != NULL);
    stopped_free(&s);
}

SH_TEST(test_step_refuses_missing_registers_and_a_zero_pc) {
    shi_unwinder *u = shi_unwinder_new();
    CHECK(u != NULL);
    shi_uregs r = {0}, caller;
    uint64_t cfa;
    CHECK(shi_unwind_step(u, &r, true, read_mem, NULL, &cfa, &caller) == -1);   /* none valid */
    r.valid = 1u << SHI_UREG_PC | 1u << SHI_UREG_RSP;
    CHECK(shi_unwind_step(u, &r, true, read_mem, NULL, &cfa, &caller) == -1);   /* pc 0 */
    CHECK(shi_unwinder_add_module(u, "/nonexistent/lib.so", 0x1000, 0x2000, 0) == 0);
    r.r[SHI_UREG_PC] = 0x1800;
    r.r[SHI_UREG_RSP] = 0x7000;
    CHECK(shi_unwinder_knows(u, 0x1800));
    /* an unreadable module and no rbp: no caller, no crash */
    CHECK(shi_unwind_step(u, &r, true, read_mem, NULL, &cfa, &caller) == -1);
    shi_unwinder_free(u);
    shi_unwinder_free(NULL);
}

int main(void) { return sh_test_main(); }
