/*
 * tests/pkg/consumer/malloc_user.c — a program that links the drop-in malloc
 * (stackheap-malloc.pc, stackheap::malloc) and includes nothing of stackheap: its malloc
 * and free are the stackheap heap's, so STACKHEAP_STATS=1 prints the heap's report at exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char *s = malloc(32);
    if (!s) return 1;
    strcpy(s, "malloc from stackheap");
    puts(s);
    free(s);
    return 0;
}
