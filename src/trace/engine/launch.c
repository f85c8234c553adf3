/*
 * src/trace/engine/launch.c — runs a program under the tracer's process control (trace/proc/proc.h)
 * and stops it when its layout is worth drawing: at main, a little later once malloc has
 * made the [heap], or as it exits.
 *
 * Why this way: at exec the kernel has mapped only the executable and the dynamic loader;
 * the shared libraries arrive before main, and the [heap] only when malloc first asks brk
 * for memory. So we break at main (proc finds it in the ELF symbols, plus the PIE load
 * base), then put breakpoints on libc's sbrk and brk, the calls glibc's malloc grows the
 * heap with, and look at the maps each time one returns. proc runs the program with ASLR
 * off (as `setarch -R` does), so two runs draw the same addresses, and stop_at_exit gives
 * a stop while an exiting program's memory is still there. The program is killed when we
 * are done (and if we die first).
 */
#include "trace/engine/launch.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/engine/layout.h"
#include "trace/proc/proc.h"

/* ---- starting the program ---------------------------------------------------------------- */

/* The one set of words for a program that cannot be started, whichever command asked:
 * found by shi_launch_find_program before the run, or by exec itself (a race). */
static void explain_spawn_error(const char *prog, int e, bool is_dir, char *err, size_t errlen) {
    bool bare = !strchr(prog, '/');
    if (!err || !errlen) return;
    if (e == ENOENT)
        snprintf(err, errlen, "no such program '%s' (%s%s)", prog,
                 bare ? "not in PATH; a program in this directory needs ./, as in ./"
                      : "check the path", bare ? prog : "");
    else if (e == EACCES && is_dir)
        snprintf(err, errlen, "'%s' is a directory, not a program", prog);
    else if (e == EACCES)
        snprintf(err, errlen, "'%s' is not executable (is it a program? chmod +x it if it is)",
                 prog);
    else if (e == ENOEXEC)
        snprintf(err, errlen, "'%s' is not a program this system can run (neither an ELF "
                              "executable nor a #! script)", prog);
    else
        snprintf(err, errlen, "cannot run '%s': %s", prog, strerror(e));
}

/* What exec would say of `path`: 0 if it may run it, else the errno. */
static int runnable(const char *path, bool *ret_is_dir) {
    struct stat st;
    *ret_is_dir = false;
    if (stat(path, &st) != 0) return errno;
    if (S_ISDIR(st.st_mode)) { *ret_is_dir = true; return EACCES; }
    if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0) return EACCES;
    return 0;
}

char *shi_launch_find_program(const char *name, char *err, size_t errlen) {
    bool is_dir = false;
    int e = ENOENT;
    char *found = NULL;
    if (strchr(name, '/')) {
        e = runnable(name, &is_dir);
        if (!e && !(found = strdup(name))) e = ENOMEM;
    } else {
        const char *env = getenv("PATH");
        char *paths = strdup(env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
        char *save = NULL;
        for (char *dir = paths ? strtok_r(paths, ":", &save) : NULL; dir && !found;
             dir = strtok_r(NULL, ":", &save)) {
            size_t len = strlen(dir) + strlen(name) + 2;
            char *cand = malloc(len);
            if (!cand) break;
            snprintf(cand, len, "%s/%s", *dir ? dir : ".", name);
            bool d;
            if (runnable(cand, &d) == 0) found = cand;   /* as exec, a PATH match must run */
            else free(cand);
        }
        free(paths);
    }
    if (!found) {
        explain_spawn_error(name, e, is_dir, err, errlen);
        errno = e;
    }
    return found;
}

/* A sanitizer's name for a user (which flag built it) and why it cannot be traced. */
static void sanitizer_words(const char *name, const char **ret_what, const char **ret_why) {
    const char *shadow = "whose runtime replaces malloc and reserves terabytes of shadow memory";
    *ret_why = shadow;
    if (strcmp(name, "address") == 0) *ret_what = "AddressSanitizer";
    else if (strcmp(name, "thread") == 0) *ret_what = "ThreadSanitizer";
    else if (strcmp(name, "memory") == 0) *ret_what = "MemorySanitizer";
    else {
        *ret_what = "LeakSanitizer";
        *ret_why = "whose runtime replaces malloc and stops under a tracer";
    }
}

int shi_launch_check(const char *path, const char *prog, bool tracing, char *err,
                     size_t errlen) {
    shi_elf_facts f;
    /* not an ELF file (a script, say): exec will say what it is */
    if (shi_proc_elf_facts(path, &f) != 0) return 0;
    if (f.elf_class == ELFCLASS32) {
        snprintf(err, errlen, "'%s' is a 32-bit program (built with -m32?): stackheap follows "
                              "64-bit x86-64 programs only; build it for x86-64 (without -m32)",
                 prog);
        return -1;
    }
    if (f.machine != EM_X86_64) {
        snprintf(err, errlen, "'%s' is not an x86-64 program (ELF machine %d): stackheap "
                              "follows x86-64 programs only; build it for x86-64", prog,
                 f.machine);
        return -1;
    }
    /* its malloc is the sanitizer's, not libc's, and the shadow memory it reserves
     * (terabytes) is no stack or heap of the program's: a trace would draw nothing true */
    if (tracing && f.sanitizer) {
        const char *what, *why;
        sanitizer_words(f.sanitizer, &what, &why);
        snprintf(err, errlen, "'%s' was built with %s (-fsanitize=%s), %s: its stack and heap "
                              "cannot be drawn; build it without -fsanitize=%s to trace it",
                 prog, what, f.sanitizer, why, f.sanitizer);
        return -1;
    }
    return 0;
}

static bool aslr_is_off(pid_t pid) {
    char name[64], buf[32] = "";
    snprintf(name, sizeof name, "/proc/%d/personality", (int)pid);
    FILE *f = fopen(name, "r");
    if (!f) return false;
    bool off = fgets(buf, sizeof buf, f) && (strtoul(buf, NULL, 16) & ADDR_NO_RANDOMIZE);
    fclose(f);
    return off;
}

static bool heap_exists(pid_t pid) {
    shi_layout l;
    if (shi_layout_read(pid, &l) != 0) return false;
    bool found = shi_layout_find(&l, "[heap]") != NULL;
    shi_layout_free(&l);
    return found;
}

/* ---- running it -------------------------------------------------------------------------- */

/* Continues to the next stop that is not a signal (the signal is passed on); returns its
 * kind, SHI_STOP_ERROR if tracing failed. */
static shi_stop_kind next_stop(shi_proc *p, shi_stop *st) {
    do {
        if (shi_proc_cont(p, st) != 0) return SHI_STOP_ERROR;
    } while (st->kind == SHI_STOP_SIGNAL);
    return st->kind;
}

/* To main, or to the entry point if the program has no symbol main (stripped). */
static int run_to_main(shi_proc *p, bool *ret_is_main) {
    shi_stop st;
    uint64_t main_addr = shi_proc_symbol(p, NULL, "main");
    *ret_is_main = main_addr != 0;
    if (!main_addr) return shi_proc_run_to_entry(p, &st);
    if (shi_proc_break(p, main_addr) != 0) return -1;
    while (next_stop(p, &st) == SHI_STOP_BREAKPOINT)
        if (st.addr == main_addr) return shi_proc_unbreak(p, main_addr);
    return -1;
}

static int run_to_exit(shi_proc *p) {
    shi_stop st;
    shi_stop_kind k;
    while ((k = next_stop(p, &st)) == SHI_STOP_BREAKPOINT) {}
    return k == SHI_STOP_EXITING ? 0 : -1;
}

/* Where a growth of the heap can be seen: libc's sbrk and brk (a static executable's own). */
enum { GROW_FNS = 2, MAX_PENDING = 8 };

static int break_on_growth(shi_proc *p, uint64_t fns[GROW_FNS]) {
    static const char *const names[GROW_FNS] = {"sbrk", "brk"};
    int n = 0;
    for (int i = 0; i < GROW_FNS; i++) {
        fns[i] = shi_proc_symbol(p, "libc.so", names[i]);
        if (!fns[i]) fns[i] = shi_proc_symbol(p, NULL, names[i]);
        if (fns[i] && shi_proc_break(p, fns[i]) == 0) n++;
        else fns[i] = 0;
    }
    return n;
}

/* Runs until a call to sbrk or brk returns with the [heap] made (1), or to the exit (0).
 * Each call's return address gets a breakpoint while it runs (sbrk may call brk). */
static int run_to_heap(shi_proc *p) {
    uint64_t fns[GROW_FNS], pending[MAX_PENDING];
    size_t npending = 0;
    if (break_on_growth(p, fns) == 0) return run_to_exit(p);
    shi_stop st;
    shi_stop_kind k;
    while ((k = next_stop(p, &st)) == SHI_STOP_BREAKPOINT) {
        size_t i = 0;
        while (i < npending && pending[i] != st.addr) i++;
        if (i < npending) {   /* a call returned */
            pending[i] = pending[--npending];
            shi_proc_unbreak(p, st.addr);
            if (heap_exists(shi_proc_pid(p))) return 1;
            continue;
        }
        struct user_regs_struct r;
        uint64_t ret_addr;
        if ((st.addr == fns[0] || st.addr == fns[1]) && npending < MAX_PENDING &&
            shi_proc_get_regs(p, &r) == 0 && shi_proc_read_u64(p, r.rsp, &ret_addr) == 0 &&
            shi_proc_break(p, ret_addr) == 0)
            pending[npending++] = ret_addr;
    }
    return k == SHI_STOP_EXITING ? 0 : -1;
}

/* From main on, as far as `at` asks; sets the words for the title. */
static int run_past_main(shi_proc *p, shi_stop_at at, bool is_main, shi_launch *l) {
    const char *at_start = is_main ? "at main" : "at its entry point (no symbol main)";
    l->stopped = at_start;
    if (at == SHI_STOP_MAIN) return 0;
    if (at == SHI_STOP_EXIT) {
        l->stopped = "as it exits";
        return run_to_exit(p);
    }
    if (heap_exists(l->pid)) {
        l->stopped = is_main ? "at main (its heap already exists)" : at_start;
        return 0;
    }
    int r = run_to_heap(p);
    l->stopped = r == 1 ? "after main, when malloc first grew the heap"
                        : "as it exits: it never grew a [heap]";
    return r < 0 ? -1 : 0;
}

int shi_launch_run(char **argv, shi_stop_at at, shi_launch *ret_launch, char *err,
                   size_t errlen) {
    char why[512];
    char *path = shi_launch_find_program(argv[0], err, errlen);
    if (!path) return -1;
    int bad = shi_launch_check(path, argv[0], false, err, errlen);
    free(path);
    if (bad) return -1;
    shi_proc *p = shi_proc_spawn(argv, &(shi_spawn_opts){.stop_at_exit = true}, why, sizeof why);
    if (!p) {
        explain_spawn_error(argv[0], errno, false, err, errlen);
        return -1;
    }
    shi_launch l = {.proc = p, .pid = shi_proc_pid(p), .aslr_off = aslr_is_off(shi_proc_pid(p))};
    bool is_main = false;
    if (run_to_main(p, &is_main) != 0) {
        snprintf(err, errlen, "'%s' ended before it reached %s", argv[0],
                 is_main ? "main" : "its entry point");
    } else if (run_past_main(p, at, is_main, &l) != 0) {
        snprintf(err, errlen, "'%s' ended before it could be drawn", argv[0]);
    } else {
        *ret_launch = l;
        return 0;
    }
    shi_launch_end(&l);
    return -1;
}

void shi_launch_end(shi_launch *launch) {
    if (!launch) return;
    shi_proc_free(launch->proc);   /* kills and reaps it, even held in its exit stop */
    launch->proc = NULL;
    launch->pid = 0;
}
