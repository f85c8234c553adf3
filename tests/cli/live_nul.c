/* tests/cli/live_nul.c — output with a NUL byte in it: all three bytes must come through. */
#include <stdio.h>

int main(void) {
    fwrite("A\0B", 1, 3, stdout);
    fflush(stdout);
    return 0;
}
