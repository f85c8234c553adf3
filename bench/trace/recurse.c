/* bench/trace/recurse.c — the "stack overflow" case of bench/trace/cases.sh: a function
 * that calls itself until the stack (ulimit -s 8192 in the runner) runs out and the
 * program dies of SIGSEGV. Each frame takes FRAME bytes more with alloca, which is no
 * variable the tracer reads, so FRAME sets the depth reached (8 MiB / FRAME frames) and
 * the steps taken without adding values to draw. */
#include <alloca.h>

#ifndef FRAME
#define FRAME 8192
#endif

long down(long depth) {
    volatile char *pad = alloca(FRAME);
    pad[0] = (char)depth;
    return down(depth + 1) + pad[0];
}

int main(void) {
    return (int)down(0);
}
