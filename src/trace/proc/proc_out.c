/*
 * src/trace/proc/proc_out.c — the program's stdout (a pseudo-terminal) and stderr (a pipe).
 *
 * stdout is a pseudo-terminal so that C stdio, seeing a terminal, flushes it line by line:
 * on a pipe it would be fully buffered and every printf would come out at exit, all in the
 * last step. The terminal is raw (cfmakeraw: no "\n" to "\r\n", no echo), so the bytes
 * read are the bytes written. stderr stays a pipe: stdio never buffers it, and a pipe keeps
 * isatty(2) honest. If no pseudo-terminal can be had, stdout is a pipe too (then a C
 * program's output arrives when its buffer fills or at exit).
 *
 * The tracer spends its time in waitpid; a program that writes more than a pipe or a
 * terminal holds between two stops would block in write() and never stop again. So a
 * thread drains both while the program runs, and the tracer drains them once more at
 * every stop: each piece of output lands with the step during which it was written. A
 * pipe has the bytes as soon as write() returns; a terminal passes them on from a kernel
 * worker, but a read of the master side waits for that worker before it says "nothing"
 * (EAGAIN), so a drain at a stop still sees all of it. Once the program (and every
 * process that inherited the terminal) has closed it, reading the master gives what is
 * left, then EIO: that is its end of file.
 */
#define _GNU_SOURCE
#include "trace/proc/proc_internal.h"
#include "core/grow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* A raw pseudo-terminal: fds[0] the master (ours), fds[1] the terminal (the program's). */
static int open_pty(int fds[2]) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -1;
    char name[128];
    struct termios t;
    int s = -1;
    if (grantpt(m) == 0 && unlockpt(m) == 0 && ptsname_r(m, name, sizeof name) == 0 &&
        (s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) >= 0 && tcgetattr(s, &t) == 0) {
        cfmakeraw(&t);
        struct winsize ws = {.ws_row = 24, .ws_col = 80};
        if (tcsetattr(s, TCSANOW, &t) == 0 && ioctl(m, TIOCSWINSZ, &ws) == 0) {
            fds[0] = m;
            fds[1] = s;
            return 0;
        }
    }
    if (s >= 0) close(s);
    close(m);
    return -1;
}

int shi_out_open_stdout(int fds[2]) {
    return open_pty(fds) == 0 ? 0 : pipe2(fds, O_CLOEXEC);
}

static int append(shi_outbuf *b, const char *data, size_t n) {
    SHI_GROW(b->data, b->cap, b->len + n + 1);
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

/* Reads what is there without blocking; closes the fd at end of file. Lock held. */
static void drain_one(shi_outbuf *b) {
    char buf[8192];
    while (!b->eof) {
        ssize_t n = read(b->fd, buf, sizeof buf);
        if (n > 0) { append(b, buf, (size_t)n); continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        b->eof = true;   /* EOF; EIO from a terminal's master once every writer closed it
                            (what was left has been read); or an error we cannot do better
                            with. The reader's poll may still hold the fd, so it is closed
                            only at teardown */
    }
}

/* A drain at every stop, where mostly nothing was written: one poll says which of the two
 * has bytes (or its end) in one syscall, where a read of each saying EAGAIN took two. Like
 * that read, a terminal master's poll waits for the kernel worker that passes the bytes on
 * before it says "nothing". */
void shi_out_drain(shi_proc *p) {
    if (!p->capturing) return;
    pthread_mutex_lock(&p->out_lock);
    struct pollfd fds[2];
    for (int i = 0; i < 2; i++) fds[i] = (struct pollfd){p->out[i].eof ? -1 : p->out[i].fd, POLLIN, 0};
    int n;
    do n = poll(fds, 2, 0); while (n < 0 && errno == EINTR);
    for (int i = 0; i < 2; i++)
        if (n != 0 && (n < 0 || fds[i].revents)) drain_one(&p->out[i]);
    pthread_mutex_unlock(&p->out_lock);
}

static void *reader_main(void *arg) {
    shi_proc *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->out_lock);
        struct pollfd fds[3] = {{p->out[0].eof ? -1 : p->out[0].fd, POLLIN, 0},
                                {p->out[1].eof ? -1 : p->out[1].fd, POLLIN, 0},
                                {p->wake[0], POLLIN, 0}};
        pthread_mutex_unlock(&p->out_lock);
        if (fds[0].fd < 0 && fds[1].fd < 0) return NULL;
        if (poll(fds, 3, -1) < 0 && errno != EINTR) return NULL;
        if (fds[2].revents) return NULL;
        shi_out_drain(p);
    }
}

int shi_out_start(shi_proc *p, int outfd, int errfd) {
    p->out[0] = (shi_outbuf){.fd = outfd};
    p->out[1] = (shi_outbuf){.fd = errfd};
    fcntl(outfd, F_SETFL, O_NONBLOCK);
    fcntl(errfd, F_SETFL, O_NONBLOCK);
    if (pipe2(p->wake, O_CLOEXEC) != 0) return -1;
    pthread_mutex_init(&p->out_lock, NULL);
    p->capturing = true;
    if (pthread_create(&p->reader, NULL, reader_main, p) != 0) return -1;
    p->reader_running = true;
    return 0;
}

void shi_out_stop(shi_proc *p) {
    if (!p->capturing) return;
    if (p->reader_running) {
        char c = 1;
        ssize_t w = write(p->wake[1], &c, 1);
        (void)w;
        pthread_join(p->reader, NULL);
    }
    close(p->wake[0]);
    close(p->wake[1]);
    for (int i = 0; i < 2; i++) {
        if (p->out[i].fd >= 0) close(p->out[i].fd);
        free(p->out[i].data);
    }
    pthread_mutex_destroy(&p->out_lock);
    p->capturing = false;
}

char *shi_proc_take_output(shi_proc *p, int fd, size_t *ret_len) {
    if (!p->capturing || (fd != 1 && fd != 2)) return NULL;
    /* one drain per stop serves both streams: nothing new arrives while it is stopped */
    if (!p->drained || !p->alive) shi_out_drain(p);
    p->drained = true;
    pthread_mutex_lock(&p->out_lock);
    shi_outbuf *b = &p->out[fd - 1];
    char *s = NULL;
    if (b->len > 0) {
        s = b->data;
        if (ret_len) *ret_len = b->len;
        b->data = NULL;
        b->len = b->cap = 0;
    }
    pthread_mutex_unlock(&p->out_lock);
    return s;
}
