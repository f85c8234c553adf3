/*
 * overrun.c — a classic heap bug, caught by the checked mode.
 *
 *     STACKHEAP_CHECK=1 build/examples/overrun     # stops at the bad free, names the block
 *     build/examples/overrun                       # unchecked: the bug goes unseen
 *
 * The program copies a 24-character string into a 24-byte block: strcpy writes the
 * terminating zero one byte past the end. The word may come from the command line: with
 * only a constant, GCC would see the overflow itself at compile time (sh_malloc carries
 * alloc_size, see stackheap/attrs.h), and the checked mode is for the bugs it cannot see.
 */
#include <stdio.h>
#include <string.h>

#include <stackheap/heap.h>

int main(int argc, char **argv) {
    const char *word = argc > 1 ? argv[1] : "stack-vs-heap-lesson-001";  /* 24 characters */
    char *copy = sh_malloc(strlen(word));            /* forgot the + 1 for the '\0' */
    strcpy(copy, word);
    printf("copied \"%s\" into a %zu-byte block at %p (checked mode: %s)\n", copy,
           strlen(word), (void *)copy, sh_heap_checked() ? "on" : "off");
    fflush(stdout);
    sh_free(copy);
    puts("freed without complaint");
    return 0;
}
