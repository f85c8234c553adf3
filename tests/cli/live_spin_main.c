/* tests/cli/live_spin_main.c — main, built with -g, calls live_spin.c's endless loop. */
#include <stdio.h>

void spin(void);

int main(void) {
    int before = 7;
    printf("spinning\n");
    spin();
    return before;
}
