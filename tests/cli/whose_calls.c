/* tests/cli/whose_calls.c — strdup from a thread (its copy joined back), from qsort's
 * comparator (called from libc, once a comparison), and from a function a longjmp leaves:
 * each block the program's; valgrind: 2 definitely lost. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf env;

static void *work(void *arg) {
    char *s = strdup((const char *)arg);
    return s;
}

static int cmp(const void *a, const void *b) {
    char *t = strdup("cmp");
    free(t);
    return *(const int *)a - *(const int *)b;
}

static void deep(void) {
    char *x = strdup("before jump");
    (void)x;
    longjmp(env, 1);
}

int main(void) {
    pthread_t th;
    pthread_create(&th, NULL, work, "from thread");
    void *res;
    pthread_join(th, &res);
    int a[5] = {5, 3, 1, 4, 2};
    qsort(a, 5, sizeof a[0], cmp);
    if (setjmp(env) == 0) deep();
    char *after = strdup("after");
    printf("%s %s %d\n", (char *)res, after, a[0]);
    free(res);
    return 0;
}
