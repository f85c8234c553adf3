/*
 * measure — runs one command and reports its wall time and peak RSS.
 *
 *     measure [-p PRELOAD] [-e NAME=VALUE]... [-i IN] [-o OUT] [-t SECONDS] -- CMD [ARG]...
 *
 * LD_PRELOAD is set (or, without -p, removed) only in the child, between fork and exec,
 * so neither this tool nor the shell that calls it runs on the allocator being measured.
 * -i and -o redirect the child's stdin and stdout (stderr is left alone for diagnostics);
 * -t kills the child after that many seconds (default 300), so a hung allocator cannot
 * stall the whole benchmark run.
 *
 * Prints one line: "WALL_SECONDS MAXRSS_KIB USER_SECONDS SYS_SECONDS STATUS", where STATUS
 * is "ok", "exit:N", "signal:N" or "timeout". The exit code is 0 whenever that line was
 * printed, whatever the child did; 2 when the command could not be started at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENV 32

typedef struct options {
    const char *preload;     /* NULL: the child runs on the default allocator */
    const char *env[MAX_ENV];
    int nenv;
    const char *in, *out;
    unsigned timeout;
    char **argv;             /* the command */
} options;

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig) {
    (void)sig;
    timed_out = 1;
}

static void usage(void) {
    fprintf(stderr, "usage: measure [-p PRELOAD] [-e NAME=VALUE]... [-i IN] [-o OUT] "
                    "[-t SECONDS] -- CMD [ARG]...\n");
    exit(2);
}

static options parse(int argc, char **argv) {
    options o = {.timeout = 300};
    int c;
    /* '+': stop at the command, so its own options are not taken for ours. */
    while ((c = getopt(argc, argv, "+p:e:i:o:t:")) != -1) {
        switch (c) {
        case 'p': o.preload = optarg; break;
        case 'e':
            if (o.nenv == MAX_ENV || !strchr(optarg, '='))
                usage();
            o.env[o.nenv++] = optarg;
            break;
        case 'i': o.in = optarg; break;
        case 'o': o.out = optarg; break;
        case 't': o.timeout = (unsigned)strtoul(optarg, NULL, 10); break;
        default: usage();
        }
    }
    if (optind >= argc)
        usage();
    o.argv = argv + optind;
    return o;
}

static void redirect(const char *path, int fd, int flags) {
    int f = open(path, flags, 0644);
    if (f < 0 || dup2(f, fd) < 0) {
        fprintf(stderr, "measure: %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(f);
}

/* Runs in the forked child; never returns. */
static void exec_child(const options *o) {
    if (o->in)
        redirect(o->in, STDIN_FILENO, O_RDONLY);
    if (o->out)
        redirect(o->out, STDOUT_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
    for (int i = 0; i < o->nenv; i++)
        putenv((char *)o->env[i]);
    if (o->preload)
        setenv("LD_PRELOAD", o->preload, 1);
    else
        unsetenv("LD_PRELOAD");
    execvp(o->argv[0], o->argv);
    fprintf(stderr, "measure: %s: %s\n", o->argv[0], strerror(errno));
    _exit(127);
}

static double seconds(struct timeval tv) {
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double elapsed(const struct timespec *a, const struct timespec *b) {
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* wait4 until the child is gone; the alarm interrupts it (no SA_RESTART) to enforce -t. */
static int reap(pid_t pid, struct rusage *ru) {
    int status;
    for (;;) {
        if (wait4(pid, &status, 0, ru) == pid)
            return status;
        if (errno != EINTR) {
            perror("measure: wait4");
            exit(2);
        }
        if (timed_out)
            kill(pid, SIGKILL);
    }
}

static void describe(int status, char *buf, size_t len) {
    if (timed_out)
        snprintf(buf, len, "timeout");
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        snprintf(buf, len, "ok");
    else if (WIFEXITED(status))
        snprintf(buf, len, "exit:%d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "signal:%d", WTERMSIG(status));
}

int main(int argc, char **argv) {
    options o = parse(argc, argv);
    struct sigaction sa = {.sa_handler = on_alarm};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);

    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 2;
    }
    if (pid == 0)
        exec_child(&o);
    alarm(o.timeout);
    struct rusage ru;
    int status = reap(pid, &ru);
    clock_gettime(CLOCK_MONOTONIC, &end);
    alarm(0);

    if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return 2;   /* exec failed: the child said why; there is nothing to measure */
    char what[32];
    describe(status, what, sizeof what);
    printf("%.6f %ld %.3f %.3f %s\n", elapsed(&start, &end), ru.ru_maxrss,
           seconds(ru.ru_utime), seconds(ru.ru_stime), what);
    return 0;
}
