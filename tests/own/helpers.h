/* tests/own/helpers.h — shared by the own module's tests. */
#ifndef SH_TESTS_OWN_HELPERS_H
#define SH_TESTS_OWN_HELPERS_H

#include <stackheap/heap.h>
#include <stackheap/own.h>

#include "check.h"

/* Heap blocks in use now: a value that was dropped gave its block back. In checked mode the
 * first owned value also allocates the registry of owned values: make that happen first. */
static inline long live_blocks(void) {
    static int warm;
    if (!warm) {
        warm = 1;
        sh_string s = sh_string_from("warm up");
        sh_string_drop(&s);
    }
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    return (long)st.live_blocks;
}

#define CHECK_LEN_CAP(v, l, c) do { CHECK_EQ((v).len, (l)); CHECK_EQ((v).cap, (c)); } while (0)

#endif
