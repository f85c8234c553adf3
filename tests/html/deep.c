/* tests/html/deep.c — a recursion deeper than a step keeps (main and the innermost 99
 * frames): the page and its reader must draw the window of frames as it moves. */
static int down(int n) {
    if (n == 0) return 0;
    return down(n - 1) + 1;
}

int main(void) {
    return down(110) == 110 ? 0 : 1;
}
