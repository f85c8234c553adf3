/* tests/cli/live_ask.c — an interactive program: a prompt, flushed, then a read of stdin
 * (test_live.sh: the prompt's step must be out before the program gets its input). */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    int n = 0;
    printf("pid %d\n", (int)getpid());
    printf("n? ");
    fflush(stdout);
    if (scanf("%d", &n) != 1) n = -1;
    int twice = 2 * n;
    printf("twice: %d\n", twice);
    return 0;
}
