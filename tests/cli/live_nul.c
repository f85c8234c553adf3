/* tests/cli/live_nul.c — output with a NUL byte in it: all three bytes must come through;
 * an empty line first, which the text view draws as an empty output line. */
#include <stdio.h>

int main(void) {
    fwrite("\nA\0B", 1, 4, stdout);
    fflush(stdout);
    return 0;
}
