/*
 * tests/heap/helpers.h — what the heap's test programs share.
 *
 * A pattern that depends on a block's address, size and a seed, so a block handed out twice,
 * moved wrongly by realloc or scribbled on by a neighbour shows up as a mismatch naming the
 * address; a way to run a piece of code in a child and check that it panics (signal, message,
 * and the address the message names); and a few readings of the process (RSS, overcommit).
 *
 *     void *p = sh_malloc(n);
 *     pat_fill(p, n, seed);
 *     pat_check(p, p, n, seed, n);      // exits with a message if a byte differs
 *     expect_panic(free_it, p, "double free", p);
 *
 * Everything is static so each test program stays one translation unit.
 */
#ifndef SH_TESTS_HEAP_HELPERS_H
#define SH_TESTS_HEAP_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include <stackheap/heap.h>

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

/* Sizes well inside each tier: small <= 32 KiB, medium up to about 2 MiB, huge beyond. */
#define SMALL_SIZE  ((size_t)1000)
#define MEDIUM_SIZE (256 * KiB)
#define HUGE_SIZE   (8 * MiB)

/* splitmix64: a seed of 0 or a small integer still gives a good stream. */
static inline uint64_t mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rand64(uint64_t *state) {
    *state += 0x9E3779B97F4A7C15ull;
    return mix64(*state);
}

/* Uniform in [lo, hi]; the modulo bias does not matter for picking test sizes. */
static inline size_t rand_between(uint64_t *state, size_t lo, size_t hi) {
    return lo + (size_t)(rand64(state) % (hi - lo + 1));
}

/*
 * The pattern of a block that lived at `addr` with `size` bytes: word k is base + k * step,
 * and byte j is byte j % 8 (in memory order) of word j / 8. Words are written whole, so
 * filling a few MiB stays cheap even in a Debug build.
 */
static inline uint64_t pat_base(const void *addr, size_t size, uint64_t seed) {
    return mix64(seed ^ (uint64_t)(uintptr_t)addr ^ ((uint64_t)size << 20));
}
#define PAT_STEP 0xD1B54A32D192ED03ull

static inline void pat_fill(void *p, size_t size, uint64_t seed) {
    uint64_t w = pat_base(p, size, seed);
    unsigned char *b = p;
    size_t words = size / 8;
    for (size_t k = 0; k < words; k++, w += PAT_STEP)
        memcpy(b + 8 * k, &w, 8);
    unsigned char last[8];
    memcpy(last, &w, 8);
    for (size_t j = 8 * words; j < size; j++)
        b[j] = last[j % 8];
}

/* Finds the first of the `len` bytes at p that differs from the pattern a block of `size`
 * bytes at `pat_addr` was filled with; returns len if they all match. pat_addr differs from
 * p when realloc moved the block. */
static inline size_t pat_find_mismatch(const void *p, const void *pat_addr, size_t size,
                                       uint64_t seed, size_t len) {
    uint64_t w = pat_base(pat_addr, size, seed);
    const unsigned char *b = p;
    size_t words = len / 8, k = 0;
    for (; k < words; k++, w += PAT_STEP) {
        uint64_t v;
        memcpy(&v, b + 8 * k, 8);   /* inlined even at -O0, unlike memcmp */
        if (v != w) break;
    }
    unsigned char cur[8];
    for (size_t j = 8 * k; j < len; j++) {
        if (j % 8 == 0 && j != 8 * k) w += PAT_STEP;
        memcpy(cur, &w, 8);
        if (b[j] != cur[j % 8]) return j;
    }
    return len;
}

/* Fails loudly, naming the block, the offset and the bytes, if the pattern is broken. */
static inline void pat_check_at(const char *file, int line, const void *p, const void *pat_addr,
                                size_t size, uint64_t seed, size_t len) {
    size_t j = pat_find_mismatch(p, pat_addr, size, seed, len);
    if (j == len) return;
    uint64_t w = pat_base(pat_addr, size, seed) + (uint64_t)(j / 8) * PAT_STEP;
    unsigned char want[8];
    memcpy(want, &w, 8);
    fprintf(stderr,
            "%s:%d: pattern broken in block %p (size %zu, seed %" PRIu64 ", filled at %p): "
            "byte %zu at %p is 0x%02x, expected 0x%02x\n",
            file, line, p, size, seed, pat_addr, j, (const void *)((const char *)p + j),
            ((const unsigned char *)p)[j], want[j % 8]);
    /* The word found there often tells what wrote it: a free-list link is a heap address. */
    uint64_t found = 0;
    size_t at = j & ~(size_t)7;
    memcpy(&found, (const char *)p + at, len - at < 8 ? len - at : 8);
    fprintf(stderr, "    the word at offset %zu reads 0x%016" PRIx64 "\n", at, found);
    _exit(1);
}
#define pat_check(p, pat_addr, size, seed, len) \
    pat_check_at(__FILE__, __LINE__, (p), (pat_addr), (size), (seed), (len))

static inline int is_aligned(const void *p, size_t alignment) {
    return ((uintptr_t)p & (alignment - 1)) == 0;
}

/* Resident set size of this process in bytes (second field of /proc/self/statm). */
static inline size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? resident * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

/* 1 when the kernel hands out any amount of address space (vm.overcommit_memory = 1): then
 * even a 64 TiB mapping succeeds and "bigger than the machine" cannot be told by mmap. */
static inline int overcommit_always(void) {
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    if (!f) return 0;
    int mode = 0;
    if (fscanf(f, "%d", &mode) != 1) mode = 0;
    fclose(f);
    return mode == 1;
}

static inline double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads everything from fd into a static buffer (NUL-terminated). */
static inline const char *read_all(int fd) {
    static char buf[65536];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) != 0) {
        if (r < 0) { if (errno == EINTR) continue; break; }
        n += (size_t)r;
    }
    buf[n] = 0;
    return buf;
}

/* 1 if the text names the address as a hex number (0x..., any zero padding, any case). */
static inline int text_names_address(const char *text, const void *addr) {
    for (const char *s = text; (s = strstr(s, "0x")) != NULL; s += 2) {
        char *end;
        unsigned long long v = strtoull(s + 2, &end, 16);
        if (end != s + 2 && v == (unsigned long long)(uintptr_t)addr) return 1;
    }
    return 0;
}

/*
 * Runs fn(arg) in a child with stderr captured and fails unless the child dies of SIGABRT
 * with `message` on stderr and the address `addr` named in it (addr NULL: not checked).
 * The child inherits the caller's heap, so a block set up (and maybe freed) before the call
 * is the same block in the child. A child that hangs is killed by its alarm.
 */
static inline void expect_panic_at(const char *file, int line, void (*fn)(void *), void *arg,
                                   const char *message, const void *addr) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        close(fds[1]);
        alarm(30);
        fn(arg);
        fprintf(stderr, "(the call returned normally)\n");
        _exit(0);
    }
    close(fds[1]);
    const char *err = read_all(fds[0]);
    close(fds[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    int died_right = WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
    int said_it = strstr(err, message) != NULL;
    int named_it = addr == NULL || text_names_address(err, addr);
    if (died_right && said_it && named_it) return;
    fprintf(stderr, "%s:%d: expected a panic with SIGABRT, \"%s\" and the address %p; got ",
            file, line, message, addr);
    if (WIFSIGNALED(st)) fprintf(stderr, "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else fprintf(stderr, "exit status %d", WEXITSTATUS(st));
    fprintf(stderr, " and stderr:\n%s\n", err);
    _exit(1);
}
#define expect_panic(fn, arg, message, addr) \
    expect_panic_at(__FILE__, __LINE__, (fn), (arg), (message), (addr))

/* Runs fn(arg) in a child and fails unless it exits 0 with nothing at all on stderr. */
static inline void expect_clean_run_at(const char *file, int line, void (*fn)(void *), void *arg) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        close(fds[1]);
        alarm(120);
        fn(arg);
        fflush(NULL);
        _exit(0);
    }
    close(fds[1]);
    const char *err = read_all(fds[0]);
    close(fds[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && err[0] == 0) return;
    fprintf(stderr, "%s:%d: expected a clean run; got ", file, line);
    if (WIFSIGNALED(st)) fprintf(stderr, "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else fprintf(stderr, "exit status %d", WEXITSTATUS(st));
    fprintf(stderr, " and stderr:\n%s\n", err);
    _exit(1);
}
#define expect_clean_run(fn, arg) expect_clean_run_at(__FILE__, __LINE__, (fn), (arg))

/* ---- memory given back ------------------------------------------------------------------- */

/* RSS under AddressSanitizer is mostly the sanitizer's: there only the heap's own counts hold. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

#define WAIT_SECONDS 5.0   /* docs/heap.md promises about 1-2 s; the machine is shared */

static inline size_t committed_now(void) {
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    return st.committed;
}

/* Sleeps (no heap call: usleep makes none) until committed, and RSS where it means something,
 * are within `slack` of the baselines; fails after WAIT_SECONDS. Returns the seconds it took. */
static inline double wait_for_return(size_t committed0, size_t rss0, size_t slack, const char *what) {
    double t0 = now_seconds();
    for (;;) {
        size_t c = committed_now(), r = rss_bytes();
        double waited = now_seconds() - t0;
        if (c <= committed0 + slack && (SANITIZED || r <= rss0 + slack)) {
            printf("%s: back in %.2f s (committed %.1f MiB, RSS %.1f MiB)\n", what, waited,
                   (double)c / MiB, (double)r / MiB);
            return waited;
        }
        if (waited > WAIT_SECONDS) {
            fprintf(stderr, "%s: after %.1f s committed is %.1f MiB (was %.1f), RSS %.1f MiB "
                    "(was %.1f)\n", what, waited, (double)c / MiB, (double)committed0 / MiB,
                    (double)r / MiB, (double)rss0 / MiB);
            _exit(1);
        }
        usleep(20 * 1000);  /* fine enough to tell the purger's 25 ms passes from 250 ms ones */
    }
}

#endif
