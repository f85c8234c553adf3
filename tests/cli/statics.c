/* The static region (issue 10): globals, a file static, a function's static counter, a
 * const local array gcc puts in .rodata, and a pointer to a string literal. */
#include <stdio.h>

struct point { int x, y; };

int total = 5;
int squares[4] = {0, 1, 4, 9};
static struct point origin = {1, 2};

static int next_ticket(void) {
    static int count = 0;
    count++;
    return count;
}

int main(void) {
    const int primes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59};
    char *s = "hi";
    int *p = &squares[2];
    int a = next_ticket();
    int b = next_ticket();
    total = a + b;
    squares[3] = primes[4];
    origin.y = total;
    printf("%s %d %d %d\n", s, total, *p, origin.y);
    return 0;
}
