/* tests/cli/live_marker.c — leaves a file behind when it runs (argv[1]): a tracer that
 * refuses its options must not have run it. */
#include <stdio.h>

int main(int argc, char **argv) {
    FILE *f = argc > 1 ? fopen(argv[1], "w") : NULL;
    if (f) fclose(f);
    return 0;
}
