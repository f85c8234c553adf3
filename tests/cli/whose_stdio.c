/* tests/cli/whose_stdio.c — much output through stdio (its buffers are libc's, allocated by
 * the first printf and fprintf) and one block of the program's own. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    int *squares = malloc(4 * sizeof *squares);
    for (int i = 0; i < 4; i++) {
        squares[i] = i * i;
        printf("square %d = %d\n", i, squares[i]);
        fprintf(stderr, "note %d\n", i);
    }
    puts("done");
    fflush(stdout);
    free(squares);
    return 0;
}
