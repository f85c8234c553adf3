/* bench/trace/heap_fill.c — allocates heap.c's blocks. Built without debug information,
 * so that the tracer runs it as one call instead of stepping through its loop: the
 * benchmark is about the steps after the heap is full, not about filling it. */
#include <stdlib.h>
#include <string.h>

void **fill(long n, size_t size) {
    void **blocks = malloc((size_t)n * sizeof *blocks);
    if (!blocks)
        abort();
    for (long i = 0; i < n; i++) {
        blocks[i] = malloc(size);
        if (!blocks[i])
            abort();
        memset(blocks[i], 0, size);
    }
    return blocks;
}
