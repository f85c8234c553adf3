/* bench/trace/heap.c — the "many live heap blocks" case of bench/trace/cases.sh: NBLOCKS
 * blocks of 32 bytes stay live while a loop of TOUCHES iterations writes into one of them
 * (two steps per iteration), so each step's cost is measured against a big heap. The
 * blocks are allocated by fill() from heap_fill.c, built without -g, so that the tracer
 * does not also step through NBLOCKS iterations of the allocating loop. */
#include <stdlib.h>

#ifndef NBLOCKS
#define NBLOCKS 1000
#endif
#ifndef TOUCHES
#define TOUCHES 5000
#endif

void **fill(long n, size_t size);

int main(void) {
    void **blocks = fill(NBLOCKS, 32);
    long sum = 0;
    for (long i = 0; i < TOUCHES; i++) {
        sum += ++*(long *)blocks[(i * 7919) % NBLOCKS];
    }
    return sum > 0 ? 0 : 1;
}
