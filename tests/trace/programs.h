/*
 * tests/trace/programs.h — what the tests that run small C programs under the tracer share:
 * a scratch directory, compiling a program written in the test into it, and the cleanup
 * that also checks no child (tracee or zombie) was left behind.
 *
 *     const char *exe = compile_program("chain", "int main(void) { return 0; }\n", "-O1");
 *     exe = compile_program_with("clang", "chain", ..., "-O0");   // have_clang() first
 *     ...
 *     cleanup();   // removes the directory; fails if a child is still there
 *
 * Everything is static so each test program stays one translation unit.
 */
#ifndef SH_TESTS_TRACE_PROGRAMS_H
#define SH_TESTS_TRACE_PROGRAMS_H

#include <errno.h>
#include <sys/wait.h>

static char tmpdir[64];

static const char *workdir(void) {
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/sh_test_trace_XXXXXX");
        CHECK(mkdtemp(tmpdir) != NULL);
    }
    return tmpdir;
}

static void cleanup(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (tmpdir[0]) CHECK(system(cmd) == 0);
    int st;
    /* no zombie, no tracee left: we have no child at all */
    CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD);
}

/* Writes `src` to NAME.c and compiles it with `CC -g CFLAGS`; returns the executable's path
 * (static storage: the next call reuses it). */
static const char *compile_program_with(const char *cc, const char *name, const char *src,
                                        const char *cflags) {
    static char exe[256];
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/%s.c", workdir(), name);
    snprintf(exe, sizeof exe, "%s/%s", workdir(), name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(src, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s -g %s -o %s %s", cc, cflags ? cflags : "", exe, path);
    CHECK(system(cmd) == 0);
    return exe;
}

/* The same with `cc`. */
static const char *compile_program(const char *name, const char *src, const char *cflags) {
    return compile_program_with("cc", name, src, cflags);
}

/* Whether clang is installed, for the tests of what it writes differently from gcc. */
static inline int have_clang(void) {
    return system("command -v clang >/dev/null 2>&1") == 0;
}

#endif
