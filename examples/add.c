/*
 * examples/add.c — the lesson's add.rs in C: main calls add, add's frame is pushed on top
 * of main's, add returns and its frame is popped; sum is only known after the return.
 *
 *     build/examples/add
 *     sum = 15
 */
#include <stdint.h>
#include <stdio.h>

/* noinline: the lesson is about add's own stack frame, so the compiler must keep it. */
__attribute__((noinline)) static int32_t add(int32_t a, int32_t b);

int main(void) {
    int32_t x = 5;
    int32_t y = 10;
    int32_t sum = add(x, y);
    printf("sum = %d\n", sum);
}

static int32_t add(int32_t a, int32_t b) {
    int32_t result = a + b;
    return result;
}
