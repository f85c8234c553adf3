/* tests/own/helpers.h — shared by the own module's tests. */
#ifndef SH_TESTS_OWN_HELPERS_H
#define SH_TESTS_OWN_HELPERS_H

#include <stackheap/heap.h>
#include <stackheap/own.h>

#include "check.h"

/* Heap blocks in use now: a value that was dropped gave its block back. */
static inline long live_blocks(void) {
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    return (long)st.live_blocks;
}

#define CHECK_LEN_CAP(v, l, c) do { CHECK_EQ((v).len, (l)); CHECK_EQ((v).cap, (c)); } while (0)

#endif
