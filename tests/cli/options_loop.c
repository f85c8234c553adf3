/* tests/cli/options_loop.c — a loop that never ends: test_options.sh stops it with
 * --max-steps in each spelling and counts the steps of the JSON trace. */
int main(void) {
    volatile int i = 0;
    for (;;)
        i++;
}
