/*
 * src/trace/proc/proc_internal.h — what a shi_proc holds, shared by proc*.c only.
 *
 * proc.c: spawn, wait loop, cont/step, fork and thread handling, teardown.
 * proc_mem.c: memory, registers, maps, modules, symbols, limits.
 * proc_bp.c: the breakpoint table.   proc_heap.c: heap watching.   proc_out.c: output.
 */
#ifndef SH_TRACE_PROC_INTERNAL_H
#define SH_TRACE_PROC_INTERNAL_H

#include "trace/proc/proc.h"

#include <pthread.h>
#include <sched.h>

/* A breakpoint can have several owners at once: the caller (a line), heap watching (the
 * entry of malloc) and pending returns of heap calls (the return address may well be the
 * first instruction of the caller's next line). It stays in memory while any owner does. */
typedef struct shi_bp {
    uint64_t addr;
    unsigned char orig;
    bool user;
    int heap_fn;          /* index into the watched functions, or -1 */
    int ret_refs;         /* heap calls (and quiet calls) waiting to return here */
    bool quiet;           /* the entry of a function whose calls go unwatched
                             (shi_proc_heap_quiet_in) */
    bool paused;          /* a heap function's, out of memory while a quiet call runs */
} shi_bp;

/* A heap call in progress on one thread: the outermost only (nested calls are libc's). */
typedef struct shi_heap_call {
    bool active;
    int fn;
    uint64_t a0, a1, a2;  /* rdi, rsi, rdx at entry */
    uint64_t ret_addr;
    uint64_t sp_after;    /* rsp once it returned: tells this return from a recursive one */
    struct user_regs_struct regs;   /* at entry: the caller's stack can be unwound from them */
    uint64_t tag;         /* shi_proc_heap_answer's, at the call's entry stop */
} shi_heap_call;

/* A traced task: the main thread, another thread, or a vfork child sharing our memory. */
typedef struct shi_task {
    pid_t tid;
    bool is_vfork_child;
    bool stepping;        /* PTRACE_SINGLESTEP requested: the next SIGTRAP is the step */
    bool fresh;           /* its first SIGSTOP (from being attached) is still to come */
    bool stopped;         /* its last stop was taken from waitpid and it was not resumed */
    bool held;            /* stopped by us while another task steps over a breakpoint */
    shi_heap_call call;
    uint64_t quiet_ret;   /* in a quiet call (shi_proc_heap_quiet_in): where it returns, */
    uint64_t quiet_sp;    /* and rsp once it has; 0: not in one */
    struct { uint64_t ret, sp; } watch[4];   /* shi_proc_heap_watch_return's calls */
    int nwatch;
} shi_task;

typedef struct shi_outbuf {
    int fd;               /* read end, non-blocking; closed only at teardown */
    bool eof;
    char *data;
    size_t len, cap;
} shi_outbuf;

struct shi_proc {
    pid_t pid;
    pid_t cur_tid;        /* a stopped task, the one ptrace's memory calls go through: while
                             another thread's stop is handled, the main one may be running */
    bool alive;
    int pending_signal;   /* to deliver on the next resume */
    bool stop_at_exit;    /* shi_spawn_opts.stop_at_exit: PTRACE_EVENT_EXIT of the main thread
                             is reported (SHI_STOP_EXITING) */
    unsigned forks, threads;

    shi_task *tasks;      /* tasks[0] is the main thread */
    size_t ntasks, taskcap;
    struct { pid_t tid; int status; } *deferred;   /* statuses caught while stepping over a
                                                     breakpoint, handled first, oldest first */
    size_t ndeferred, deferredcap;
    pid_t *early;         /* tids whose first stop came before their parent's clone event */
    size_t nearly, earlycap;

    shi_bp *bps;
    size_t nbps, bpcap;

    /* speed (proc.c): a stop and a resume cost two context switches, far more than any
       syscall; see displace() and pin_cpu() */
    bool regs_valid;      /* regs: the main thread's registers, fetched once per stop */
    struct user_regs_struct regs;
    int memfd;            /* /proc/PID/mem, for writes in one call (valid if memfd_open) */
    bool memfd_open, memfd_tried;
    uint64_t displaced;   /* a breakpoint whose int3 is out of memory while the main thread
                             runs on from it, debug register 0 watching it instead; 0: none */
    uint64_t dr0;         /* debug register 0's address, enabled; 0: debug registers off */
    bool dr_refused;      /* the kernel refused them, or the resume flag did not work */
    bool dr_unproven;     /* the first displaced run has not reached another stop yet */
    bool dr_checked;      /* that check was made (once per process) */
    struct user_regs_struct dr_regs;   /* the registers the first displaced run started with */
    bool pin_tried, pinned;   /* the calling thread and the tracee share one CPU */
    int pin_cpu;          /* which one */
    unsigned pin_starts;  /* cont/step calls since pinned: the choice is revised now and then */
    cpu_set_t saved_cpus; /* the calling thread's affinity before pinning */
    /* pages read during this stop (proc_mem.c): one read of the stack page serves the frame
       walk and every local; emptied whenever a task may have run or we wrote */
    struct { uint64_t page; bool valid; unsigned char bytes[4096]; } pages[4];
    unsigned next_page;

    bool heap_watching;
    bool heap_paused;     /* the heap functions' int3s are out (a quiet call, one task) */
    bool heap_calls;      /* shi_proc_report_heap_calls: a call's entry is a stop */
    bool heap_call_new;   /* enter_call made heap_call: the wait loop reports it */
    pid_t heap_call_tid;  /* reported, its task still at the entry: the next cont resumes it */
    bool heap_call_bp;    /* ...and the main thread's own breakpoint at that entry is due */
    shi_heap_event heap_call;
    uint64_t heap_addr[8];
    shi_heap_event *events;
    size_t nevents, evcap;

    bool drained;         /* the output was drained since the last resume */
    /* output: a reader thread drains stdout's pty and stderr's pipe so the program never
       blocks on them */
    bool capturing;
    shi_outbuf out[2];
    pthread_mutex_t out_lock;
    pthread_t reader;
    bool reader_running;
    int wake[2];          /* written to stop the reader */
};

/* proc_bp.c */
shi_bp *shi_bp_find(shi_proc *p, uint64_t addr);
shi_bp *shi_bp_get(shi_proc *p, uint64_t addr);   /* finds or inserts (int3 written) */
int shi_bp_release(shi_proc *p, shi_bp *b);       /* removes it if no owner is left */
int shi_bp_remove_from(shi_proc *p, pid_t pid);   /* writes the original bytes into pid */
void shi_bp_forget_all(shi_proc *p);

/* proc_mem.c */
int shi_mem_peek_write(pid_t pid, uint64_t addr, const void *buf, size_t len);
/* Writes into the traced program's memory, code included: one pwrite on /proc/PID/mem,
 * which needs no stopped task, else POKEDATA word by word through cur_tid. */
int shi_mem_write(shi_proc *p, uint64_t addr, const void *buf, size_t len);
bool shi_mem_can_write_running(shi_proc *p);   /* shi_mem_write works while it runs */
void shi_mem_forget(shi_proc *p);              /* its memory went away (exec, exit) */
void shi_mem_stale(shi_proc *p);               /* a task ran: the pages read are stale */
/* The main thread's registers, fetched once per stop and kept until it runs again. */
int shi_main_get_regs(shi_proc *p, struct user_regs_struct *r);
int shi_main_set_regs(shi_proc *p, const struct user_regs_struct *r);
int shi_mem_read_raw(pid_t pid, uint64_t addr, void *buf, size_t len);
int shi_task_get_regs(pid_t tid, struct user_regs_struct *r);
int shi_task_set_regs(pid_t tid, const struct user_regs_struct *r);

/* proc.c: debug register 0 stops watching addr, if it did (its breakpoint leaves memory). */
void shi_dr_forget(shi_proc *p, uint64_t addr);

/* proc_heap.c: called from the wait loop when task t stopped at breakpoint b (rip == addr). */
void shi_heap_on_break(shi_proc *p, shi_task *t, shi_bp *b, const struct user_regs_struct *r);

/* proc_out.c */
int shi_out_open_stdout(int fds[2]);   /* a raw pty (else a pipe): [0] ours, [1] the program's */
int shi_out_start(shi_proc *p, int outfd, int errfd);
void shi_out_drain(shi_proc *p);
void shi_out_stop(shi_proc *p);

#endif
