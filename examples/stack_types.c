/*
 * examples/stack_types.c — the lesson's stack_types.rs in C: values whose size is known at
 * compile time live in main's stack frame and vanish when main returns.
 *
 *     build/examples/stack_types
 *     x=42, pi=3.14159, point=(1.0, 2.0)
 *     origin: (0, 0, 0)
 *
 * The output is the Rust program's, byte for byte (tests/examples/compare_rust.sh checks
 * it). Rust's `{}` prints a float as its shortest exact form (3.14159, 0) and `{:?}` keeps
 * one decimal (1.0): here %g and %.1f give the same text for these values.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* y, active and matrix are only there to be looked at, as in the lesson. */
#pragma GCC diagnostic ignored "-Wunused-variable"

/* Rust's tuple (f64, f64): a struct whose fields are called .0 and .1 in Rust. */
typedef struct pair_f64 {
    double _0;
    double _1;
} pair_f64;

int main(void) {
    // Integers: size known at compile time
    int32_t x = 42;            // 4 bytes on the stack
    uint64_t y = 1000000;      // 8 bytes on the stack

    // Floating point
    double pi = 3.14159;       // 8 bytes on the stack

    // Booleans
    bool active = true;        // 1 byte on the stack

    // Tuples: size = sum of element sizes
    pair_f64 point = {1.0, 2.0};   // 16 bytes

    // Fixed-size arrays: size = element_size * length
    int32_t matrix[9] = {0};   // 36 bytes on the stack

    // Structs with fixed-size fields
    struct Point3D {
        double x;   // 8 bytes
        double y;   // 8 bytes
        double z;   // 8 bytes
    };
    struct Point3D origin = {0.0, 0.0, 0.0};
    // 24 bytes on the stack

    printf("x=%d, pi=%g, point=(%.1f, %.1f)\n", x, pi, point._0, point._1);
    printf("origin: (%g, %g, %g)\n", origin.x, origin.y, origin.z);
}   // all stack memory freed instantly when main returns
