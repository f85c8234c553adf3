/* tests/cli/live_recurse.c — recursion without end: run under `ulimit -s 160` it overflows
 * its stack at once, and the tracer (which must not die of that limit) shows it. */
int down(int n) {
    int pad[16];
    pad[0] = n;
    return down(n + 1) + pad[0];
}

int main(void) {
    return down(0);
}
