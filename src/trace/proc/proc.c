/*
 * src/trace/proc/proc.c — spawning a traced program, the wait loop behind cont and step, and
 * what a program that forks or starts threads needs: forked children are detached (our
 * int3 bytes taken out of their copy of the code first), threads and vfork children share
 * our breakpoints and so stay traced, their stops handled here and never reported.
 * Speed: a stop costs two context switches, so breakpoints are stepped over without a second
 * stop where possible (displace), and the tracer and the tracee share one CPU (pin_cpu).
 */
#define _GNU_SOURCE
#include "trace/proc/proc_internal.h"
#include "core/grow.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- tasks ------------------------------------------------------------------------------- */

static shi_task *find_task(shi_proc *p, pid_t tid) {
    for (size_t i = 0; i < p->ntasks; i++)
        if (p->tasks[i].tid == tid) return &p->tasks[i];
    return NULL;
}

static shi_task *add_task(shi_proc *p, pid_t tid) {
    SHI_GROW(p->tasks, p->taskcap, p->ntasks + 1);
    shi_task *t = &p->tasks[p->ntasks++];
    *t = (shi_task){.tid = tid};
    return t;
}

static void remove_task(shi_proc *p, pid_t tid) {
    shi_task *t = find_task(p, tid);
    if (t && t != &p->tasks[0]) *t = p->tasks[--p->ntasks];
}

/* A new task's first stop can come before its parent's clone/fork event: kept here. */
static bool take_early(shi_proc *p, pid_t tid) {
    for (size_t i = 0; i < p->nearly; i++)
        if (p->early[i] == tid) { p->early[i] = p->early[--p->nearly]; return true; }
    return false;
}

static void add_early(shi_proc *p, pid_t tid) {
    SHI_GROW(p->early, p->earlycap, p->nearly + 1);
    p->early[p->nearly++] = tid;
}

/* ---- spawning ---------------------------------------------------------------------------- */

enum { STAGE_STDIN, STAGE_EXEC };
typedef struct exec_report { int stage, err; } exec_report;

static void child_fail(int fd, int stage) {
    exec_report r = {stage, errno};
    ssize_t w = write(fd, &r, sizeof r);
    (void)w;
    _exit(127);
}

/* Runs in the forked child: only async-signal-safe calls (the tracer may have threads). */
static void child_exec(char *const argv[], const shi_spawn_opts *o, int report, int outw, int errw) {
    if (o->stdin_path) {
        int fd = open(o->stdin_path, O_RDONLY);
        if (fd < 0) child_fail(report, STAGE_STDIN);
        dup2(fd, 0);
        close(fd);
    }
    if (o->capture_output) {
        dup2(outw, 1);
        dup2(errw, 2);
    }
    /* ASLR off so that addresses repeat from run to run; failure only costs that */
    int persona = personality(0xffffffff);
    if (persona != -1) personality((unsigned long)persona | ADDR_NO_RANDOMIZE);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) child_fail(report, STAGE_EXEC);
    execvp(argv[0], argv);
    child_fail(report, STAGE_EXEC);
}

static void exec_error(const char *prog, const shi_spawn_opts *o, exec_report r, char *err, size_t errlen) {
    if (r.stage == STAGE_STDIN) {
        snprintf(err, errlen, "%s: cannot open for reading as stdin: %s", o->stdin_path, strerror(r.err));
    } else if (r.err == ENOENT && !strchr(prog, '/')) {
        snprintf(err, errlen, "%s: command not found (not in PATH)", prog);
    } else if (r.err == ENOENT) {
        snprintf(err, errlen, "%s: no such file or directory", prog);
    } else if (r.err == EACCES) {
        snprintf(err, errlen, "%s: not executable (permission denied)", prog);
    } else if (r.err == ENOEXEC) {
        snprintf(err, errlen, "%s: not executable (unknown file format)", prog);
    } else {
        snprintf(err, errlen, "%s: cannot execute: %s", prog, strerror(r.err));
    }
    errno = r.err;
}

static void close_pair(int fds[2]) {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    fds[0] = fds[1] = -1;
}

/* The child reports why exec failed through a close-on-exec pipe: end of file means exec
 * worked. Then its first stop is the SIGTRAP that PTRACE_TRACEME gives at exec. */
static int await_exec(shi_proc *p, const char *prog, const shi_spawn_opts *o, int report, char *err, size_t errlen) {
    exec_report r;
    ssize_t n;
    do n = read(report, &r, sizeof r); while (n < 0 && errno == EINTR);
    int st;
    if (n == (ssize_t)sizeof r) {
        exec_error(prog, o, r, err, errlen);
        int e = errno;
        waitpid(p->pid, &st, 0);
        errno = e;
        return -1;
    }
    if (waitpid(p->pid, &st, __WALL) != p->pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
        snprintf(err, errlen, "%s: did not stop at exec under ptrace", prog);
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &st, __WALL);
        return -1;
    }
    long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK |
                PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
    if (o->stop_at_exit) opts |= PTRACE_O_TRACEEXIT;
    if (ptrace(PTRACE_SETOPTIONS, p->pid, NULL, (void *)opts) != 0) {
        snprintf(err, errlen, "%s: ptrace options refused: %s", prog, strerror(errno));
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &st, __WALL);
        return -1;
    }
    return 0;
}

shi_proc *shi_proc_spawn(char *const argv[], const shi_spawn_opts *o, char *err, size_t errlen) {
    static const shi_spawn_opts none;
    if (!o) o = &none;
    if (!argv || !argv[0]) { snprintf(err, errlen, "no program given"); return NULL; }
    shi_proc *p = calloc(1, sizeof *p);
    int report[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
    if (!p || pipe2(report, O_CLOEXEC) != 0 ||
        (o->capture_output && (shi_out_open_stdout(out) != 0 || pipe2(errp, O_CLOEXEC) != 0))) {
        snprintf(err, errlen, "%s: cannot start: %s", argv[0], strerror(errno));
        goto fail;
    }
    fflush(NULL);
    p->pid = fork();
    if (p->pid < 0) {
        snprintf(err, errlen, "%s: cannot fork: %s", argv[0], strerror(errno));
        goto fail;
    }
    if (p->pid == 0) child_exec(argv, o, report[1], out[1], errp[1]);
    close(report[1]); report[1] = -1;
    if (out[1] >= 0) { close(out[1]); out[1] = -1; }
    if (errp[1] >= 0) { close(errp[1]); errp[1] = -1; }
    if (await_exec(p, argv[0], o, report[0], err, errlen) != 0) goto fail;
    close_pair(report);
    p->alive = true;
    p->stop_at_exit = o->stop_at_exit;
    p->cur_tid = p->pid;
    if (!add_task(p, p->pid)) goto fail_alive;
    if (o->capture_output && shi_out_start(p, out[0], errp[0]) != 0) goto fail_alive;
    return p;
fail_alive:
    snprintf(err, errlen, "%s: out of memory", argv[0]);
    close_pair(out); close_pair(errp);
    out[0] = errp[0] = -1;
    shi_proc_free(p);
    return NULL;
fail:;
    int e = errno;   /* why it failed, for the caller */
    close_pair(report); close_pair(out); close_pair(errp);
    free(p);
    errno = e;
    return NULL;
}

/* ---- one CPU ----------------------------------------------------------------------------- */

/* The tracer and the tracee run in turn, never at once, handing over at every stop and
 * resume. On two CPUs each hand-over is a wake-up of the other CPU (an inter-processor
 * interrupt, a VM exit under a hypervisor, an idle CPU coming back); on one CPU it is a
 * plain context switch: 2.7x faster on a 2-CPU VM. So the calling thread and the tracee
 * (and its threads, which inherit it) are bound to the CPU the caller is on, from the first
 * cont or step to shi_proc_free; children it forks get the old affinity back when let go.
 * A CPU that another busy process shares would stay ours for the whole run: so every
 * PIN_REVISE resumes the caller is let loose for one stop (the scheduler wakes it where it
 * sees fit, an idle CPU if there is one) and both are bound again where it woke. */
enum { PIN_REVISE = 1024 };

static bool bind_both(shi_proc *p, int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) return false;
    if (cpu != p->pin_cpu && sched_setaffinity(p->pid, sizeof one, &one) != 0) return false;
    p->pin_cpu = cpu;
    return true;
}

static void pin_cpu(shi_proc *p) {
    if (p->pinned) {
        unsigned n = ++p->pin_starts % PIN_REVISE;
        if (n == PIN_REVISE - 1) {
            sched_setaffinity(0, sizeof p->saved_cpus, &p->saved_cpus);
        } else if (n == 0) {
            int cpu = sched_getcpu();
            if (cpu < 0 || !CPU_ISSET(cpu, &p->saved_cpus) || !bind_both(p, cpu))
                bind_both(p, p->pin_cpu);
        }
        return;
    }
    if (p->pin_tried) return;
    p->pin_tried = true;
    int cpu = sched_getcpu();
    if (cpu < 0 || sched_getaffinity(0, sizeof p->saved_cpus, &p->saved_cpus) != 0) return;
    /* already bound to one CPU (another shi_proc, or the user's taskset): left alone */
    if (CPU_COUNT(&p->saved_cpus) < 2 || !CPU_ISSET(cpu, &p->saved_cpus)) return;
    p->pin_cpu = -1;
    if (!bind_both(p, cpu)) {
        sched_setaffinity(0, sizeof p->saved_cpus, &p->saved_cpus);
        return;
    }
    p->pinned = true;
}

static void unpin_cpu(shi_proc *p) {
    if (p->pinned) sched_setaffinity(0, sizeof p->saved_cpus, &p->saved_cpus);
    p->pinned = false;
}

static void unpin_child(shi_proc *p, pid_t child) {
    if (p->pinned) sched_setaffinity(child, sizeof p->saved_cpus, &p->saved_cpus);
}

/* ---- teardown ---------------------------------------------------------------------------- */

/* After SIGKILL. A task held in its exit stop (stop_at_exit) is not woken by SIGKILL on
 * current kernels: it is let go on, into its end. */
static void reap(pid_t tid) {
    int st;
    ptrace(PTRACE_CONT, tid, NULL, NULL);
    for (;;) {
        pid_t r = waitpid(tid, &st, __WALL);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st)) return;
        if (WIFSTOPPED(st)) ptrace(PTRACE_CONT, tid, NULL, NULL);
    }
}

void shi_proc_free(shi_proc *p) {
    if (!p) return;
    if (p->alive) {
        /* vfork children and not yet adopted tasks are processes of their own */
        for (size_t i = 1; i < p->ntasks; i++)
            if (p->tasks[i].is_vfork_child) kill(p->tasks[i].tid, SIGKILL);
        for (size_t i = 0; i < p->nearly; i++) kill(p->early[i], SIGKILL);
        kill(p->pid, SIGKILL);
        for (size_t i = 1; i < p->ntasks; i++) reap(p->tasks[i].tid);
        for (size_t i = 0; i < p->nearly; i++) reap(p->early[i]);
        reap(p->pid);
        p->alive = false;
    }
    shi_out_stop(p);
    shi_mem_forget(p);
    unpin_cpu(p);
    free(p->tasks);
    free(p->early);
    free(p->deferred);
    free(p->bps);
    free(p->events);
    free(p);
}

pid_t shi_proc_pid(const shi_proc *p) { return p->pid; }
bool shi_proc_alive(const shi_proc *p) { return p->alive; }
unsigned shi_proc_forks(const shi_proc *p) { return p->forks; }
unsigned shi_proc_threads(const shi_proc *p) { return p->threads; }

/* ---- resuming ---------------------------------------------------------------------------- */

/* A status the wait loop must see before waiting again. */
static void defer(shi_proc *p, pid_t tid, int st) {
    SHI_GROW(p->deferred, p->deferredcap, p->ndeferred + 1);
    p->deferred[p->ndeferred].tid = tid;
    p->deferred[p->ndeferred].status = st;
    p->ndeferred++;
}

static int wait_tid(pid_t tid, int *st) {
    pid_t r;
    do r = waitpid(tid, st, __WALL); while (r < 0 && errno == EINTR);
    return r == tid ? 0 : -1;
}

/* While one task steps over a breakpoint, its byte is the original: any other task running
 * then would pass the breakpoint unseen (two threads in malloc at once). So the others are
 * stopped first. One that stops for a reason of its own keeps that status for the wait
 * loop; the SIGSTOP still pending for it is swallowed later (on_signal). */
static void hold_others(shi_proc *p, const shi_task *t) {
    for (size_t i = 0; i < p->ntasks; i++) {
        shi_task *u = &p->tasks[i];
        if (u == t || u->stopped) continue;
        u->held = syscall(SYS_tgkill, p->pid, u->tid, SIGSTOP) == 0;
    }
    for (size_t i = 0; i < p->ntasks; i++) {
        shi_task *u = &p->tasks[i];
        int st;
        if (!u->held) continue;
        if (wait_tid(u->tid, &st) != 0) { u->held = false; continue; }
        u->stopped = WIFSTOPPED(st);
        if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && (st >> 16) == 0) continue;
        u->held = false;
        defer(p, u->tid, st);
    }
}

/* Every resume goes through here: the main thread's cached registers are stale once it ran. */
static void resumed(shi_proc *p, shi_task *t) {
    t->stopped = false;
    if (t == &p->tasks[0]) p->regs_valid = false;
    shi_mem_stale(p);
}

static int task_regs(shi_proc *p, shi_task *t, struct user_regs_struct *r) {
    return t == &p->tasks[0] ? shi_main_get_regs(p, r) : shi_task_get_regs(t->tid, r);
}

static int set_task_regs(shi_proc *p, shi_task *t, const struct user_regs_struct *r) {
    return t == &p->tasks[0] ? shi_main_set_regs(p, r) : shi_task_set_regs(t->tid, r);
}

static void release_others(shi_proc *p) {
    for (size_t i = 0; i < p->ntasks; i++) {
        shi_task *u = &p->tasks[i];
        if (!u->held) continue;
        u->held = false;
        resumed(p, u);
        ptrace(PTRACE_CONT, u->tid, NULL, NULL);
    }
}

/* The classic way over a breakpoint: the original byte back, one instruction single-stepped,
 * the int3 back, then on. Two stops per breakpoint; used with several tasks (the others are
 * held meanwhile) and for shi_proc_step. */
static int step_over(shi_proc *p, shi_task *t, shi_bp *b, int sig, bool want_step) {
    if (p->ntasks > 1) hold_others(p, t);
    int rc = -1, st = 0;
    resumed(p, t);
    if (shi_mem_write(p, b->addr, &b->orig, 1) == 0 &&
        ptrace(PTRACE_SINGLESTEP, t->tid, NULL, (void *)(long)sig) == 0 && wait_tid(t->tid, &st) == 0) {
        unsigned char int3 = 0xcc;
        bool gone = WIFEXITED(st) || WIFSIGNALED(st);
        rc = gone || shi_mem_write(p, b->addr, &int3, 1) == 0 ? 0 : -1;
    }
    release_others(p);
    if (rc != 0) return -1;
    bool step_done = WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0;
    if (step_done && !want_step) {
        /* the original instruction ran: carry on */
        resumed(p, t);
        return ptrace(PTRACE_CONT, t->tid, NULL, NULL) == 0 || errno == ESRCH ? 0 : -1;
    }
    t->stepping = want_step && step_done;
    t->stopped = true;
    defer(p, t->tid, st);
    return 0;
}

/* The fast way over a breakpoint, one stop instead of two: a stop and a resume cost far more
 * than a syscall (two context switches), and the classic way makes a second stop for every
 * breakpoint. The original byte goes back and the main thread just continues; meanwhile
 * debug register 0 watches that address (an execute breakpoint), with x86's resume flag set
 * so that the instruction it stands on now runs once without triggering it. The int3 goes
 * back at the next stop, whatever stops (rearm): the register only covers the way from here
 * to there, a loop coming straight back to the same line included. It is the main thread's
 * own register, so only while there is one task; with more, step_over holds the others. */
enum { EFLAGS_RF = 1 << 16 };

static int set_dr(pid_t tid, int i, uint64_t v) {
    long off = (long)offsetof(struct user, u_debugreg) + i * (long)sizeof(long);
    return ptrace(PTRACE_POKEUSER, tid, (void *)off, (void *)(uintptr_t)v) == 0 ? 0 : -1;
}

static void dr_off(shi_proc *p) {
    if (p->dr0) set_dr(p->pid, 7, 0);
    p->dr0 = 0;
}

void shi_dr_forget(shi_proc *p, uint64_t addr) {
    if (p->dr0 == addr) dr_off(p);
    if (p->displaced == addr) p->displaced = 0;
}

static bool can_displace(shi_proc *p, const shi_task *t, bool step) {
    return !step && t == &p->tasks[0] && p->ntasks == 1 && !p->dr_refused &&
           shi_mem_can_write_running(p);
}

static int displace(shi_proc *p, shi_task *t, shi_bp *b, struct user_regs_struct *r, int sig) {
    if (p->dr0 != b->addr) {
        bool first = p->dr0 == 0;
        /* DR7 = 1: register 0 enabled (local), execute, length field 0 as x86 wants */
        if (set_dr(t->tid, 0, b->addr) != 0 || (first && set_dr(t->tid, 7, 1) != 0)) {
            p->dr_refused = true;
            return step_over(p, t, b, sig, false);
        }
        p->dr0 = b->addr;
        if (first && !p->dr_checked) p->dr_unproven = p->dr_checked = true;
    }
    if (p->dr_unproven) p->dr_regs = *r;
    if (!(r->eflags & EFLAGS_RF)) {
        r->eflags |= EFLAGS_RF;
        if (set_task_regs(p, t, r) != 0) return -1;
    }
    if (shi_mem_write(p, b->addr, &b->orig, 1) != 0) return -1;
    p->displaced = b->addr;
    t->stepping = false;
    resumed(p, t);
    long rc = ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)sig);
    return rc == 0 || errno == ESRCH ? 0 : -1;
}

/* The int3 taken out by displace goes back (at any stop, before anything else). */
static void rearm(shi_proc *p) {
    unsigned char int3 = 0xcc;
    if (p->displaced) shi_mem_write(p, p->displaced, &int3, 1);
    p->displaced = 0;
}

static int resume_task(shi_proc *p, shi_task *t, int sig, bool step) {
    struct user_regs_struct r;
    if (task_regs(p, t, &r) != 0) return errno == ESRCH ? 0 : -1;
    shi_bp *b = shi_bp_find(p, r.rip);
    if (b && can_displace(p, t, step)) return displace(p, t, b, &r, sig);
    /* a single step must not stop on the watched address without having moved */
    if (step && p->dr0 && t == &p->tasks[0]) dr_off(p);
    if (b) return step_over(p, t, b, sig, step);
    t->stepping = step;
    resumed(p, t);
    long rc = ptrace(step ? PTRACE_SINGLESTEP : PTRACE_CONT, t->tid, NULL, (void *)(long)sig);
    /* a task killed meanwhile reports its end to the wait loop */
    return rc == 0 || errno == ESRCH ? 0 : -1;
}

/* ---- the wait loop ----------------------------------------------------------------------- */

static int next_status(shi_proc *p, pid_t *ret_tid, int *ret_st) {
    if (p->ndeferred > 0) {
        *ret_tid = p->deferred[0].tid;
        *ret_st = p->deferred[0].status;
        memmove(p->deferred, p->deferred + 1, --p->ndeferred * sizeof *p->deferred);
        return 0;
    }
    /* with one task, never wait for -1: it would reap the caller's other children */
    pid_t want = p->ntasks > 1 ? -1 : p->pid;
    for (;;) {
        pid_t r = waitpid(want, ret_st, __WALL);
        if (r > 0) { *ret_tid = r; return 0; }
        if (errno != EINTR) return -1;
    }
}

static int stop_error(shi_stop *ret) {
    ret->kind = SHI_STOP_ERROR;
    ret->error = errno;
    return 1;
}

static int on_main_gone(shi_proc *p, int st, shi_stop *ret) {
    p->alive = false;
    if (WIFEXITED(st)) {
        ret->kind = SHI_STOP_EXITED;
        ret->exit_code = WEXITSTATUS(st);
    } else {
        ret->kind = SHI_STOP_KILLED;
        ret->signal = WTERMSIG(st);
    }
    return 1;
}

/* Signals whose default is to be ignored: not worth a stop, delivered as they come. */
static bool is_quiet_signal(int sig) {
    return sig == SIGCHLD || sig == SIGWINCH || sig == SIGURG || sig == SIGCONT;
}

static int on_signal(shi_proc *p, shi_task *t, int sig, shi_stop *ret) {
    t->stepping = false;
    bool is_main = t == &p->tasks[0];
    /* SIGSTOP injected back would only stop it again (no PTRACE_SEIZE group-stop handling) */
    if (sig == SIGSTOP) return resume_task(p, t, 0, false) == 0 ? 0 : stop_error(ret);
    if (!is_main || is_quiet_signal(sig))
        return resume_task(p, t, sig, false) == 0 ? 0 : stop_error(ret);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    ptrace(PTRACE_GETSIGINFO, t->tid, NULL, &si);
    struct user_regs_struct r;
    if (task_regs(p, t, &r) != 0) return stop_error(ret);
    ret->kind = SHI_STOP_SIGNAL;
    ret->signal = sig;
    ret->si_code = si.si_code;
    ret->rip = r.rip;
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP)
        ret->fault_addr = (uint64_t)(uintptr_t)si.si_addr;
    p->pending_signal = sig;
    return 1;
}

static bool same_regs(const struct user_regs_struct *a, const struct user_regs_struct *b) {
    struct user_regs_struct x = *a, y = *b;
    x.eflags = y.eflags = 0;   /* the resume flag */
    x.orig_rax = y.orig_rax = 0;
    return memcmp(&x, &y, sizeof x) == 0;
}

static int on_trap(shi_proc *p, shi_task *t, shi_stop *ret) {
    struct user_regs_struct r;
    if (task_regs(p, t, &r) != 0) return stop_error(ret);
    bool is_main = t == &p->tasks[0];
    if (t->stepping) {
        t->stepping = false;
        if (!is_main) return resume_task(p, t, 0, false) == 0 ? 0 : stop_error(ret);
        ret->kind = SHI_STOP_STEP;
        ret->rip = r.rip;
        return 1;
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    ptrace(PTRACE_GETSIGINFO, t->tid, NULL, &si);
    shi_bp *b;
    if (si.si_code == TRAP_HWBKPT) {
        /* debug register 0 (displace): it stops before the instruction, rip on it, and
         * the kernel has set the resume flag */
        b = shi_bp_find(p, r.rip);
        bool refused = p->dr_unproven && same_regs(&r, &p->dr_regs);
        p->dr_unproven = false;
        if (refused) {
            /* straight back where the first displaced run started, every register as it
             * was: the resume flag did not let the instruction run (or it jumps to itself,
             * and one round of it goes unseen); the classic way from now on */
            p->dr_refused = true;
            dr_off(p);
            return resume_task(p, t, 0, false) == 0 ? 0 : stop_error(ret);
        }
        /* an address no longer watched (its breakpoint was removed): on */
        if (!b) return resume_task(p, t, 0, false) == 0 ? 0 : stop_error(ret);
    } else {
        b = shi_bp_find(p, r.rip - 1);
        bool int3 = si.si_code == SI_KERNEL || si.si_code == TRAP_BRKPT;
        unsigned char byte;
        if (!b && int3 && shi_mem_read_raw(t->tid, r.rip - 1, &byte, 1) == 0 && byte != 0xcc) {
            /* an int3 that is gone: another thread's stop removed it (a return breakpoint
             * released) while this one was already trapping on it. Not the program's
             * SIGTRAP: back onto the original instruction, and on. */
            r.rip -= 1;
            if (set_task_regs(p, t, &r) != 0) return stop_error(ret);
            return resume_task(p, t, 0, false) == 0 ? 0 : stop_error(ret);
        }
        if (!b || !int3) return on_signal(p, t, SIGTRAP, ret);   /* the program's own */
        p->dr_unproven = false;
        r.rip -= 1;   /* back onto the instruction the int3 replaced */
        /* the resume flag now saves displace a second SETREGS */
        if (p->dr0 && !p->dr_refused) r.eflags |= EFLAGS_RF;
        if (set_task_regs(p, t, &r) != 0) return stop_error(ret);
    }
    uint64_t addr = b->addr;
    bool user = b->user;
    shi_heap_on_break(p, t, b, &r);   /* may release b */
    if (p->heap_call_new) {
        /* the call's entry first; its task resumes (or the main thread's own breakpoint
         * here is reported) at the next cont */
        p->heap_call_new = false;
        p->heap_call_tid = t->tid;
        p->heap_call_bp = user && is_main;
        ret->kind = SHI_STOP_HEAP_CALL;
        ret->addr = addr;
        ret->rip = addr;
        return 1;
    }
    if (user && is_main) {
        ret->kind = SHI_STOP_BREAKPOINT;
        ret->addr = addr;
        ret->rip = addr;
        return 1;
    }
    return resume_task(p, t, 0, false) == 0 ? 0 : stop_error(ret);
}

/* A new task's first stop (SIGSTOP) or its parent's event can come first, in any order. */
static void adopt(shi_proc *p, pid_t tid, bool vfork_child) {
    shi_task *nt = add_task(p, tid);
    if (!nt) return;
    nt->is_vfork_child = vfork_child;
    if (take_early(p, tid)) ptrace(PTRACE_CONT, tid, NULL, NULL);
    else nt->fresh = true;
}

static void detach_fork_child(shi_proc *p, pid_t child) {
    if (!take_early(p, child)) {
        int st;
        pid_t r;
        do r = waitpid(child, &st, __WALL); while (r < 0 && errno == EINTR);
        if (r < 0 || !WIFSTOPPED(st)) return;
    }
    shi_bp_remove_from(p, child);
    unpin_child(p, child);
    ptrace(PTRACE_DETACH, child, NULL, NULL);
}

static int on_event(shi_proc *p, shi_task *t, int event, shi_stop *ret) {
    pid_t tid = t->tid;
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
    pid_t child = (pid_t)msg;
    switch (event) {
    case PTRACE_EVENT_FORK:
        p->forks++;
        detach_fork_child(p, child);
        break;
    case PTRACE_EVENT_VFORK:
        /* it runs in our memory, breakpoints included, until it execs or exits */
        p->forks++;
        adopt(p, child, true);
        break;
    case PTRACE_EVENT_CLONE:
        p->threads++;
        adopt(p, child, false);
        break;
    case PTRACE_EVENT_EXEC:
        if (t->is_vfork_child) {
            unpin_child(p, t->tid);
            ptrace(PTRACE_DETACH, t->tid, NULL, NULL);
            remove_task(p, t->tid);
            return 0;
        }
        /* a new image: our breakpoints and heap state went with the old one, and exec
         * cleared the debug registers */
        shi_bp_forget_all(p);
        shi_mem_forget(p);
        p->dr0 = 0;
        p->regs_valid = false;
        p->heap_watching = false;
        p->ntasks = 1;
        p->tasks[0] = (shi_task){.tid = p->pid};
        ret->kind = SHI_STOP_EXEC;
        return 1;
    case PTRACE_EVENT_EXIT:
        /* msg is the wait status the end will have */
        if (!p->stop_at_exit || tid != p->pid) break;
        ret->kind = SHI_STOP_EXITING;
        if (WIFSIGNALED((int)msg)) ret->signal = WTERMSIG((int)msg);
        else ret->exit_code = WEXITSTATUS((int)msg);
        return 1;
    default:
        break;
    }
    t = find_task(p, tid);   /* adopting may have moved the task array */
    return !t || resume_task(p, t, 0, false) == 0 ? 0 : stop_error(ret);
}

/* Returns 1 when ret holds a stop to report, 0 when the task was resumed (or is gone). */
static int handle(shi_proc *p, pid_t tid, int st, shi_stop *ret) {
    shi_mem_stale(p);   /* whichever task this is, it ran (and maybe others with it) */
    if (p->displaced) {
        /* whatever stopped, displace's int3 goes back first; not into a new image (exec)
         * or a process that is gone */
        bool main_exec = tid == p->pid && WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_EXEC;
        bool main_gone = tid == p->pid && !WIFSTOPPED(st);
        if (main_exec || main_gone) p->displaced = 0;
        else rearm(p);
    }
    shi_task *t = find_task(p, tid);
    p->cur_tid = t ? tid : p->pid;
    if (t) t->stopped = WIFSTOPPED(st);
    if (!t) {
        if (WIFSTOPPED(st)) add_early(p, tid);
        return 0;
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
        if (tid == p->pid) return on_main_gone(p, st, ret);
        remove_task(p, tid);
        return 0;
    }
    if (!WIFSTOPPED(st)) return 0;
    int sig = WSTOPSIG(st), event = st >> 16;
    if (t->fresh && sig == SIGSTOP) {
        t->fresh = false;
        return resume_task(p, t, 0, false) == 0 ? 0 : stop_error(ret);
    }
    if (sig == SIGTRAP && event) return on_event(p, t, event, ret);
    if (sig == SIGTRAP) return on_trap(p, t, ret);
    return on_signal(p, t, sig, ret);
}

static int run_loop(shi_proc *p, shi_stop *ret) {
    for (;;) {
        pid_t tid;
        int st;
        if (next_status(p, &tid, &st) != 0) { stop_error(ret); break; }
        if (handle(p, tid, st, ret)) break;
    }
    /* a heap call's stop: its task is the stopped one, its memory and registers are read */
    p->cur_tid = ret->kind == SHI_STOP_HEAP_CALL ? p->heap_call_tid : p->pid;
    /* no drain of the output here: shi_proc_take_output drains first, and the reader thread
     * keeps the program from blocking meanwhile (two reads per stop saved) */
    return ret->kind == SHI_STOP_ERROR ? -1 : 0;
}

static int start(shi_proc *p, shi_stop *ret, bool step) {
    memset(ret, 0, sizeof *ret);
    if (!p->alive) {
        errno = ESRCH;
        stop_error(ret);
        return -1;
    }
    pin_cpu(p);
    p->drained = false;
    if (p->heap_call_tid) {
        /* on from a heap call's entry: that task was never resumed; nor was the main thread,
         * if its breakpoint there is still to report */
        shi_task *t = find_task(p, p->heap_call_tid);
        p->heap_call_tid = 0;
        if (p->heap_call_bp) {
            p->heap_call_bp = false;
            ret->kind = SHI_STOP_BREAKPOINT;
            ret->addr = ret->rip = p->heap_call.regs.rip;
            return 0;
        }
        if (t) {
            if (resume_task(p, t, 0, step && t == &p->tasks[0]) != 0) {
                stop_error(ret);
                return -1;
            }
            return run_loop(p, ret);
        }
    }
    int sig = p->pending_signal;
    p->pending_signal = 0;
    if (resume_task(p, &p->tasks[0], sig, step) != 0) {
        stop_error(ret);
        return -1;
    }
    return run_loop(p, ret);
}

int shi_proc_cont(shi_proc *p, shi_stop *ret) { return start(p, ret, false); }
int shi_proc_step(shi_proc *p, shi_stop *ret) { return start(p, ret, true); }
void shi_proc_discard_signal(shi_proc *p) { p->pending_signal = 0; }

/* ---- the entry point --------------------------------------------------------------------- */

static uint64_t auxv_entry(pid_t pid) {
    char name[64];
    snprintf(name, sizeof name, "/proc/%d/auxv", (int)pid);
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    Elf64_auxv_t a;
    uint64_t entry = 0;
    while (read(fd, &a, sizeof a) == (ssize_t)sizeof a && a.a_type != AT_NULL)
        if (a.a_type == AT_ENTRY) entry = a.a_un.a_val;
    close(fd);
    return entry;
}

int shi_proc_run_to_entry(shi_proc *p, shi_stop *ret) {
    memset(ret, 0, sizeof *ret);
    uint64_t entry = auxv_entry(p->pid);
    if (!entry) { errno = ENOENT; return -1; }
    /* a static executable has no loader to run first: exec stopped it at its entry */
    struct user_regs_struct r;
    shi_task *t = find_task(p, p->pid);
    if (t && task_regs(p, t, &r) == 0 && r.rip == entry) {
        *ret = (shi_stop){.kind = SHI_STOP_BREAKPOINT, .addr = entry, .rip = entry};
        return 0;
    }
    shi_bp *existing = shi_bp_find(p, entry);
    bool had = existing && existing->user;
    if (!had && shi_proc_break(p, entry) != 0) return -1;
    int rc;
    do rc = shi_proc_cont(p, ret);
    while (rc == 0 && ((ret->kind == SHI_STOP_BREAKPOINT && ret->addr != entry) ||
                       ret->kind == SHI_STOP_HEAP_CALL));   /* none of the program's yet */
    if (!had && p->alive) shi_proc_unbreak(p, entry);
    if (rc == 0 && ret->kind != SHI_STOP_BREAKPOINT) { errno = ESRCH; return -1; }
    return rc;
}
