/*
 * src/trace/engine/launch.h — runs a program under the tracer's process control (trace/proc/proc.h)
 * and stops it when its memory layout is worth drawing: at main, once malloc has made the
 * [heap], or as it exits. `stackheap layout -- ./prog` is this plus trace/engine/layout.h.
 *
 *     shi_launch l;
 *     char err[256];
 *     if (shi_launch_run(argv, SHI_STOP_HEAP, &l, err, sizeof err) == 0) {
 *         shi_layout_read(l.pid, &layout);   // drawn, then
 *         shi_launch_end(&l);
 *     }
 */
#ifndef SH_TRACE_LAUNCH_H
#define SH_TRACE_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct shi_proc;

typedef enum shi_stop_at {
    SHI_STOP_MAIN,          /* at the breakpoint on main: the heap may not exist yet */
    SHI_STOP_HEAP,          /* after main, when a call to libc's sbrk or brk (malloc growing
                               its heap) returns with the [heap] made; at exit if never */
    SHI_STOP_EXIT           /* as the program exits: everything it ever mapped */
} shi_stop_at;

typedef struct shi_launch {
    struct shi_proc *proc;  /* the traced program, stopped; shi_launch_end kills it */
    pid_t pid;              /* its process id */
    bool aslr_off;          /* personality(ADDR_NO_RANDOMIZE) took effect */
    const char *stopped;    /* where it stopped, for the title: "at main", ... */
} shi_launch;

/* Starts argv[0] (found on PATH like a shell does) with ASLR off and stops it as asked.
 * On failure -1 with why in err ("no such program 'nope' (check the path; ...)"); no
 * child is left. */
int shi_launch_run(char **argv, shi_stop_at at, shi_launch *ret_launch, char *err,
                   size_t errlen);
/* The file a shell would run for `name`: itself if it has a '/', else the first executable
 * in PATH (as exec does, so the DWARF read is the program's). malloc'd. NULL with errno
 * (ENOENT, EACCES) and the one message every command gives in err when there is none or it
 * cannot run: "no such program './nope' (check the path)", "'./a.txt' is not executable
 * (...)". err may be NULL. */
char *shi_launch_find_program(const char *name, char *err, size_t errlen);
/* Refuses, before it runs, a program stackheap cannot draw truly: -1 with the reason and
 * what to do in err ("'./p' is a 32-bit program (built with -m32?): ..."). A 32-bit or
 * non-x86-64 ELF always; with `tracing`, one built with a sanitizer that replaces malloc
 * (address, thread, memory, leak; `stackheap layout` may draw its memory). `prog` names it
 * in the message. 0 for anything else, also a file that is not ELF (exec tells). */
int shi_launch_check(const char *path, const char *prog, bool tracing, char *err,
                     size_t errlen);
/* Kills and reaps the program; accepts a launch already ended. */
void shi_launch_end(shi_launch *launch);

#endif
