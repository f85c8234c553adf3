/*
 * bench/html/loop.c — a program that never ends, for bench/html/run.sh: every turn of the
 * loop calls a function and writes a heap block, so each step of its trace has two frames
 * or one, locals that change and a block with contents. `stackheap run --max-steps N`
 * stops it after N steps; the page of that trace is what the bench opens.
 */
#include <stdlib.h>

static long mix(int *values, int i) {
    int slot = i % 16;
    values[slot] = i;
    long sum = values[slot] + values[(slot + 1) % 16];
    return sum;
}

int main(void) {
    int *values = calloc(16, sizeof *values);
    long total = 0;
    for (int i = 0;; i++) {
        total += mix(values, i);
        if (total < 0) break;
    }
    free(values);
    return (int)(total & 1);
}
