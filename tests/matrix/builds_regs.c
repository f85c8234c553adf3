/* tests/matrix/builds_regs.c — values optimised code keeps out of memory, for
 * tests/matrix/builds.sh at -O2: a negative int in a register, a double the compiler knows
 * (DW_AT_const_value), a struct passed in two registers (DW_OP_piece) and parameters known
 * only from the function's entry (DW_OP_entry_value). Run with no arguments: argc is 1. */
#include <stdio.h>

struct pair {
    long a;
    long b;
};

__attribute__((noinline)) long diff(struct pair p, int k) {
    long d = p.a - p.b;
    printf("%ld\n", d * k);
    return d;
}

int main(int argc, char **argv) {
    (void)argv;
    struct pair p = {argc + 2, -7 * argc};
    int neg = -5 * argc;
    double half = 2.5;
    long r = diff(p, neg);
    printf("%ld %d %f\n", r, neg, half);
    return 0;
}
