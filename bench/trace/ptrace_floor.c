/* bench/trace/ptrace_floor.c — the floor under any tracer that stops the program at every
 * step: a bare ptrace stop and resume, nothing recorded. Single-steps PROGRAM N times
 * (PTRACE_SINGLESTEP, waitpid, PTRACE_GETREGS: the least a step can cost) and prints the
 * steps per second; `pin` binds both processes to one CPU first, as stackheap does.
 *
 *     cc -O2 -o ptrace_floor bench/trace/ptrace_floor.c
 *     ./ptrace_floor 200000 ./loop pin     # 200000 steps 3.835 s 52151 steps/s 19.18 us/step
 *
 * stackheap's steps/s on loop.c cannot go above this figure while each step is a stop. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: ptrace_floor STEPS PROGRAM [pin]\n");
        return 2;
    }
    long n = atol(argv[1]);
    if (argc > 3 && strcmp(argv[3], "pin") == 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(sched_getcpu(), &one);
        sched_setaffinity(0, sizeof one, &one);   /* the child inherits it */
    }
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        execl(argv[2], argv[2], (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) return 1;
    struct timespec a, b;
    struct user_regs_struct r;
    clock_gettime(CLOCK_MONOTONIC, &a);
    long i;
    for (i = 0; i < n; i++) {
        if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0 || waitpid(pid, &st, 0) != pid ||
            !WIFSTOPPED(st))
            break;
        ptrace(PTRACE_GETREGS, pid, NULL, &r);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%ld steps %.3f s %.0f steps/s %.2f us/step\n", i, s, (double)i / s, s / (double)i * 1e6);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return 0;
}
