/* tests/cli/args.c — a program reading its arguments (tests/cli/args_facts.py runs it with
 * `one` and `two words`, and reads the trace at the line marked `facts`). */
#include <stdio.h>
#include <string.h>

int main(int argc, char *argv[]) {
    char *first = argv[1];
    size_t n = strlen(first);
    printf("%d %s %zu\n", argc, argv[2], n);   /* facts */
    return 0;
}
