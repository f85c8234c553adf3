/*
 * src/cli/launch.c — runs a program under ptrace and stops it when its layout is worth
 * drawing: at main, or a little later, once malloc has made the [heap].
 *
 * Why this way: at exec the kernel has mapped only the executable and the dynamic loader;
 * the shared libraries arrive before main, and the [heap] only when malloc first asks
 * brk for memory. So we break at main (its address from the ELF symbol table plus the PIE
 * load base from the maps), then watch the brk system calls until the heap exists. ASLR is
 * off (personality ADDR_NO_RANDOMIZE, as `setarch -R` does) so two runs draw the same
 * addresses. The child is killed when we are done (PTRACE_O_EXITKILL if we die first).
 */
#define _GNU_SOURCE   /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

#define TRAP_SYSCALL (SIGTRAP | 0x80)   /* a syscall stop, with PTRACE_O_TRACESYSGOOD */

static bool is_exit_event(int status) {
    return WIFSTOPPED(status) && (status >> 8) == (SIGTRAP | (PTRACE_EVENT_EXIT << 8));
}

/* ---- starting the child ------------------------------------------------------------------ */

static _Noreturn void child(char **argv, int err_fd) {
    ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    int persona = personality(0xffffffff);
    if (persona != -1) personality((unsigned long)persona | ADDR_NO_RANDOMIZE);
    execvp(argv[0], argv);
    int err = errno;   /* the parent explains it; a child's message could interleave */
    if (write(err_fd, &err, sizeof err) < 0) { /* the parent sees EOF and a 127 */ }
    _exit(127);
}

static void explain_exec_error(const char *prog, int err) {
    bool bare = !strchr(prog, '/');
    if (err == ENOENT)
        fprintf(stderr, "stackheap layout: no such program '%s' (check the path%s%s)\n", prog,
                bare ? "; a program in this directory needs ./, as in ./" : "", bare ? prog : "");
    else if (err == EACCES)
        fprintf(stderr, "stackheap layout: '%s' is not executable (is it a program? "
                        "chmod +x it if it is)\n", prog);
    else if (err == ENOEXEC)
        fprintf(stderr, "stackheap layout: '%s' is not a program this system can run "
                        "(neither an ELF executable nor a #! script)\n", prog);
    else
        fprintf(stderr, "stackheap layout: cannot run '%s': %s\n", prog, strerror(err));
}

/* Forks and execs; returns the pid stopped at its exec, or -1 (explained, child reaped). */
static pid_t spawn(char **argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) { perror("stackheap layout: pipe"); return -1; }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { perror("stackheap layout: fork"); close(fds[0]); close(fds[1]); return -1; }
    if (pid == 0) { close(fds[0]); child(argv, fds[1]); }
    close(fds[1]);
    int err = 0;
    ssize_t n = read(fds[0], &err, sizeof err);   /* EOF: exec closed the pipe, it worked */
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (n == (ssize_t)sizeof err) { explain_exec_error(argv[0], err); return -1; }
    if (!WIFSTOPPED(status)) {
        fprintf(stderr, "stackheap layout: '%s' ended before it started\n", argv[0]);
        return -1;
    }
    long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD;
    if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)opts) != 0) {
        perror("stackheap layout: ptrace");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
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

/* ---- where main is ----------------------------------------------------------------------- */

/* main's link-time address from .symtab (or .dynsym when stripped of .symtab); 0 if none. */
static uint64_t symbol_main(Elf *elf) {
    uint64_t found = 0;
    for (int pass = 0; pass < 2 && !found; pass++) {
        Elf_Scn *scn = NULL;
        while (!found && (scn = elf_nextscn(elf, scn))) {
            GElf_Shdr sh;
            if (!gelf_getshdr(scn, &sh) || sh.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB))
                continue;
            Elf_Data *data = elf_getdata(scn, NULL);
            size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            for (size_t i = 0; data && i < n && !found; i++) {
                GElf_Sym sym;
                if (!gelf_getsym(data, (int)i, &sym) || !sym.st_value) continue;
                const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
                if (name && !strcmp(name, "main") && GELF_ST_TYPE(sym.st_info) == STT_FUNC)
                    found = sym.st_value;
            }
        }
    }
    return found;
}

/* A PIE is linked at 0 and loaded anywhere: the base is where its first page landed. */
static uint64_t load_bias(Elf *elf, pid_t pid) {
    GElf_Ehdr eh;
    if (!gelf_getehdr(elf, &eh) || eh.e_type != ET_DYN) return 0;
    uint64_t first_vaddr = UINT64_MAX;
    for (size_t i = 0; i < eh.e_phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < first_vaddr)
            first_vaddr = ph.p_vaddr;
    }
    shi_layout l;
    if (first_vaddr == UINT64_MAX || shi_cli_layout_read(pid, &l) != 0) return 0;
    uint64_t bias = 0;
    for (size_t i = 0; i < l.count; i++)
        if (l.exe && !strcmp(l.regions[i].path, l.exe) && l.regions[i].offset == 0) {
            bias = l.regions[i].start - (first_vaddr & ~(uint64_t)0xfff);
            break;
        }
    shi_cli_layout_free(&l);
    return bias;
}

/* Where to break: main, or the entry point when the program has no symbol for main. */
static uint64_t find_breakpoint(pid_t pid, bool *ret_is_main) {
    char name[64];
    snprintf(name, sizeof name, "/proc/%d/exe", (int)pid);
    elf_version(EV_CURRENT);
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    uint64_t addr = 0;
    GElf_Ehdr eh;
    if (elf && gelf_getehdr(elf, &eh)) {
        uint64_t main_addr = symbol_main(elf);
        *ret_is_main = main_addr != 0;
        addr = (main_addr ? main_addr : eh.e_entry) + load_bias(elf, pid);
    }
    if (elf) elf_end(elf);
    close(fd);
    return addr;
}

/* ---- running it -------------------------------------------------------------------------- */

/* Continues (or runs to the next syscall) passing on any signal it stopped for; returns
 * the next stop's status, or -1 when the child is gone (it exited or was killed). */
static int resume(pid_t pid, int request, int *pending_sig) {
    if (ptrace(request, pid, NULL, (void *)(long)*pending_sig) != 0) return -1;
    *pending_sig = 0;
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) return -1;
    int sig = WSTOPSIG(status);
    if (sig != SIGTRAP && sig != TRAP_SYSCALL && !is_exit_event(status)) *pending_sig = sig;
    return status;
}

#if defined(__x86_64__)
static int run_to(pid_t pid, uint64_t addr) {
    errno = 0;
    long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)addr, NULL);
    if (errno) return -1;
    long trap = (long)(((unsigned long)word & ~0xffUL) | 0xcc);   /* int3 */
    if (ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)trap) != 0) return -1;
    int sig = 0;
    for (;;) {
        int status = resume(pid, PTRACE_CONT, &sig);
        if (status < 0 || is_exit_event(status)) return -1;
        struct user_regs_struct regs;
        if (WSTOPSIG(status) != SIGTRAP || ptrace(PTRACE_GETREGS, pid, NULL, &regs) != 0)
            continue;
        if (regs.rip - 1 != addr) continue;
        regs.rip = addr;   /* back over the int3, and the original instruction back */
        ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)word);
        return ptrace(PTRACE_SETREGS, pid, NULL, &regs);
    }
}

static bool heap_exists(pid_t pid) {
    shi_layout l;
    if (shi_cli_layout_read(pid, &l) != 0) return false;
    bool found = shi_cli_layout_find(&l, "[heap]") != NULL;
    shi_cli_layout_free(&l);
    return found;
}

/* Runs until a brk call has made the [heap] (1), or the program is exiting (0). */
static int run_to_heap(pid_t pid) {
    int sig = 0;
    for (;;) {
        int status = resume(pid, PTRACE_SYSCALL, &sig);
        if (status < 0) return -1;
        if (is_exit_event(status)) return 0;
        struct user_regs_struct regs;
        if (WSTOPSIG(status) != TRAP_SYSCALL || ptrace(PTRACE_GETREGS, pid, NULL, &regs) != 0)
            continue;
        bool brk_returned = regs.orig_rax == SYS_brk && (long)regs.rax != -ENOSYS;
        if (brk_returned && heap_exists(pid)) return 1;
    }
}
#else
static int run_to(pid_t pid, uint64_t addr) { (void)pid, (void)addr; errno = ENOSYS; return -1; }
static int run_to_heap(pid_t pid) { (void)pid; errno = ENOSYS; return -1; }
#endif

static int run_to_exit(pid_t pid) {
    int sig = 0;
    for (;;) {
        int status = resume(pid, PTRACE_CONT, &sig);
        if (status < 0) return -1;
        if (is_exit_event(status)) return 0;
    }
}

/* From main on, as far as `at` asks; sets the words for the title. */
static int run_past_main(pid_t pid, shi_stop_at at, bool is_main, shi_launch *l) {
    const char *at_start = is_main ? "at main" : "at its entry point (no symbol main)";
    l->stopped = at_start;
    if (at == SHI_STOP_MAIN) return 0;
    if (at == SHI_STOP_EXIT) {
        l->stopped = "as it exits";
        return run_to_exit(pid);
    }
    if (heap_exists(pid)) {
        l->stopped = is_main ? "at main (its heap already exists)" : at_start;
        return 0;
    }
    int r = run_to_heap(pid);
    l->stopped = r == 1 ? "after main, when malloc first grew the heap"
                        : "as it exits: it never grew a [heap]";
    return r < 0 ? -1 : 0;
}

int shi_cli_launch(char **argv, shi_stop_at at, shi_launch *ret_launch) {
    pid_t pid = spawn(argv);
    if (pid < 0) return -1;
    shi_launch l = {.pid = pid, .aslr_off = aslr_is_off(pid)};
    bool is_main = false;
    uint64_t bp = find_breakpoint(pid, &is_main);
    if (!bp) {
        fprintf(stderr, "stackheap layout: cannot read the ELF file of '%s' to find main: %s\n",
                argv[0], elf_errmsg(-1));
    } else if (run_to(pid, bp) != 0) {
        fprintf(stderr, "stackheap layout: '%s' ended before it reached %s\n", argv[0],
                is_main ? "main" : "its entry point");
    } else if (run_past_main(pid, at, is_main, &l) != 0) {
        fprintf(stderr, "stackheap layout: '%s' ended before it could be drawn\n", argv[0]);
    } else {
        *ret_launch = l;
        return 0;
    }
    shi_cli_launch_end(&l);
    return -1;
}

void shi_cli_launch_end(shi_launch *launch) {
    if (!launch || launch->pid <= 0) return;
    kill(launch->pid, SIGKILL);
    /* A tracee held in its exit stop is not woken by SIGKILL on current kernels: let it
     * go on (into its death) until it is gone. */
    int status;
    do ptrace(PTRACE_CONT, launch->pid, NULL, NULL);
    while (waitpid(launch->pid, &status, 0) == launch->pid && WIFSTOPPED(status));
    launch->pid = 0;
}
