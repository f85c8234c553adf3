/* tests/cli/live_recurse.c — recursion without end: run under `ulimit -s 160` it overflows
 * its stack at once, and the tracer (which must not die of that limit) shows it. */
int down(int n) {
    char pad[2000];   /* big frames: the overflow comes after some 80 calls */
    pad[0] = (char)n;
    return down(n + 1) + pad[0];
}

int main(void) {
    return down(0);
}
