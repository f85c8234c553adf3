/* bench/trace/loop.c — the program bench/trace/run.sh traces: two steps per iteration
 * (the body, then the `for` line), so ITERS iterations make 2 * ITERS + 5 steps. No
 * library call, so that gdb's `step` stays in this file as stackheap does. */
#ifndef ITERS
#define ITERS 50000
#endif

int main(void) {
    int n = ITERS;
    long sum = 0;
    for (int i = 0; i < n; i++) {
        sum += i;
    }
    return sum == (long)n * (n - 1) / 2 ? 0 : 1;
}
