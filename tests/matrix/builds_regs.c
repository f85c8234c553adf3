/* tests/matrix/builds_regs.c — values optimised code keeps out of memory, for
 * tests/matrix/builds.sh at -O2: a negative int in a register, a double the compiler knows
 * (DW_AT_const_value), a double in an SSE register, a struct passed in two registers and
 * parameters known only from the function's entry (DW_OP_entry_value). Run with no
 * arguments: argc is 1. */
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

__attribute__((noinline)) double scale(double v, double factor) {
    double s = v * factor;
    printf("%f\n", s);
    return s + 1.0;
}

int main(int argc, char **argv) {
    (void)argv;
    struct pair p = {argc + 2, -7 * argc};
    int neg = -5 * argc;
    double half = 2.5;
    long r = diff(p, neg);
    double big = scale(half * argc, 4.0);
    printf("%ld %d %f %f\n", r, neg, half, big);
    return 0;
}
