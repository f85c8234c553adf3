/* tests/cli/recurse_back.c — a recursion deeper than a step keeps (main and the innermost
 * 99 frames), going down and coming back: the window of frames moves one way, then the
 * other (JSON version 2's "cut" and "insert", tests/cli/json2_facts.py). */
#include <stdio.h>

static int down(int n) {
    int here = n * 2;
    if (n == 0) return 0;
    int r = down(n - 1);
    return r + here;
}

int main(void) {
    int total = down(115);
    printf("%d\n", total);
    return 0;
}
