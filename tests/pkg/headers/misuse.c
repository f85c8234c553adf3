/*
 * tests/pkg/headers/misuse.c — mistakes the headers' attributes (stackheap/attrs.h) let the
 * user's compiler see. Built once per MISUSE_* by tests/pkg/headers_clean.sh with -Werror,
 * each must fail with the warning named; built with none defined, it must compile cleanly,
 * so that each failure is the mistake's and not the file's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stackheap/heap.h>
#include <stackheap/own.h>
#include <stackheap/stack.h>

#if defined(MISUSE_UNUSED_WALK)
static int first_only(const sh_heap_block *block, void *arg) {
    (void)block;
    (void)arg;
    return 1;
}
#endif

int main(void) {
#if defined(MISUSE_UNUSED_MALLOC)          /* warn_unused_result: -Wunused-result */
    sh_malloc(16);
#elif defined(MISUSE_UNUSED_STRING)        /* a constructor's value dropped: a leak */
    sh_string_from("leaked");
#elif defined(MISUSE_UNUSED_STACK)
    sh_stack_new(4096);
#elif defined(MISUSE_UNUSED_WALK)          /* a failure gone unseen */
    sh_heap_walk(first_only, NULL);
#elif defined(MISUSE_NONNULL)              /* nonnull: -Wnonnull */
    return sh_posix_memalign(NULL, 16, 16);
#elif defined(MISUSE_OVERFLOW)             /* alloc_size: GCC's -Wstringop-overflow */
    char *p = (char *)sh_malloc(4);
    strcpy(p, "hello");
    sh_free(p);
#elif defined(MISUSE_TOO_BIG)              /* alloc_size: GCC's -Walloc-size-larger-than */
    void *p = sh_malloc(SIZE_MAX);
    sh_free(p);
#elif defined(MISUSE_DEALLOC)              /* malloc(sh_free): GCC's -Wmismatched-dealloc */
    free(sh_malloc(16));
#endif
    return 0;
}
