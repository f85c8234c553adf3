/* tests/cli/whose_returned.c — blocks a libc call returns to the program's line that nothing
 * keeps: still the program's, and its leaks (valgrind: 3 definitely lost). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t measure(const char *s) {
    return strlen(s);
}

int main(void) {
    size_t n = strlen(strdup("lost"));
    puts(strdup("also lost"));
    n += measure(strndup("gone too", 4));
    char *kept = strdup("kept");
    printf("%zu %s\n", n, kept);
    free(kept);
    return 0;
}
