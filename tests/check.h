/*
 * tests/check.h — the project's small test framework.
 *
 * One behaviour per test function; each test runs in its own forked child so that a crash
 * or an abort in one test is reported and the others still run (death tests rely on this).
 *
 *     SH_TEST(test_malloc_zero_returns_unique_pointer) { void *p = sh_malloc(0); CHECK(p); }
 *     SH_DEATH_TEST(test_double_free_panics, SIGABRT, "double free") { ... }
 *     int main(void) { return sh_test_main(); }
 *
 * The run ends with the line "N passed, N failed" and exits non-zero if any failed.
 */
#ifndef SH_TESTS_CHECK_H
#define SH_TESTS_CHECK_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*sh_test_fn)(void);
typedef struct sh_test_case {
    const char *name;
    sh_test_fn fn;
    int death_signal;           /* 0: must exit 0; else: must die of this signal */
    const char *death_message;  /* substring expected on stderr, or NULL */
} sh_test_case;

/* x, hidden from the optimiser. The public headers tell GCC what the allocators do (attrs.h:
 * alloc_size, malloc(sh_free), warn_unused_result), so it now warns at a freed pointer used,
 * an impossible size or a write past a block's end: what a test of the panics and the
 * ENOMEM paths does on purpose. Such a test passes the pointer or the size through
 * SH_OPAQUE (sh_free(SH_OPAQUE(p)) frees a copy GCC cannot tie to p), and the warnings stay
 * on for everything else. */
#define SH_OPAQUE(x)                                                                       \
    __extension__ ({ __typeof__(x) sh_opaque_ = (x); __asm__("" : "+r"(sh_opaque_)); sh_opaque_; })

#define SH_MAX_TESTS 512
static sh_test_case sh_tests[SH_MAX_TESTS];
static int sh_ntests;

static inline void sh_test_register(const char *name, sh_test_fn fn, int sig, const char *msg) {
    if (sh_ntests == SH_MAX_TESTS) { fprintf(stderr, "too many tests\n"); exit(2); }
    sh_tests[sh_ntests++] = (sh_test_case){name, fn, sig, msg};
}

#define SH_TEST(name) SH_DEATH_TEST(name, 0, NULL)
#define SH_DEATH_TEST(name, sig, msg)                                              \
    static void name(void);                                                        \
    __attribute__((constructor)) static void name##_register(void) {               \
        sh_test_register(#name, name, sig, msg);                                   \
    }                                                                              \
    static void name(void)

#define CHECK(cond) do { if (!(cond)) {                                            \
        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
        _exit(1); } } while (0)
#define CHECK_EQ(a, b) do { long long sh_a_ = (long long)(a), sh_b_ = (long long)(b); \
        if (sh_a_ != sh_b_) {                                                       \
        fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n",           \
                __FILE__, __LINE__, #a, #b, sh_a_, sh_b_); _exit(1); } } while (0)

/* Runs one test in a child; stderr goes to a pipe so a death test can read its message. */
static inline int sh_test_run_one(const sh_test_case *t) {
    int fds[2];
    if (pipe(fds) != 0) { perror("pipe"); return 0; }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 0; }
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        close(fds[1]);
        t->fn();
        fflush(NULL);
        _exit(0);
    }
    close(fds[1]);
    static char err[65536];
    size_t n = 0;
    ssize_t r;
    while ((r = read(fds[0], err + n, sizeof err - 1 - n)) > 0) n += (size_t)r;
    err[n] = 0;
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    int ok;
    if (t->death_signal == 0) {
        ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    } else {
        ok = WIFSIGNALED(st) && WTERMSIG(st) == t->death_signal &&
             (!t->death_message || strstr(err, t->death_message));
    }
    if (!ok) {
        printf("FAIL %s: ", t->name);
        if (WIFEXITED(st)) printf("exited %d", WEXITSTATUS(st));
        else printf("killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
        if (t->death_signal)
            printf("; expected signal %d with \"%s\"", t->death_signal,
                   t->death_message ? t->death_message : "");
        printf("\n%s", err);
    } else {
        printf("ok   %s\n", t->name);
    }
    return ok;
}

static inline int sh_test_main(void) {
    const char *only = getenv("SH_TEST_ONLY");
    int passed = 0, failed = 0;
    for (int i = 0; i < sh_ntests; i++) {
        if (only && !strstr(sh_tests[i].name, only)) continue;
        if (sh_test_run_one(&sh_tests[i])) passed++; else failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
