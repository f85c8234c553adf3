// stack_types.rs -- Types that live on the stack (the lesson's program, as given).
#[allow(unused_variables, dead_code)]  // y, active and matrix are only looked at, as in the lesson
fn main() {
    // Integers: size known at compile time
    let x: i32 = 42;         // 4 bytes on the stack
    let y: u64 = 1_000_000;  // 8 bytes on the stack

    // Floating point
    let pi: f64 = 3.14159;   // 8 bytes on the stack

    // Booleans
    let active: bool = true;  // 1 byte on the stack

    // Tuples: size = sum of element sizes
    let point: (f64, f64) = (1.0, 2.0);  // 16 bytes

    // Fixed-size arrays: size = element_size * length
    let matrix: [i32; 9] = [0; 9];  // 36 bytes on stack

    // Structs with fixed-size fields
    struct Point3D {
        x: f64,  // 8 bytes
        y: f64,  // 8 bytes
        z: f64,  // 8 bytes
    }
    let origin = Point3D { x: 0.0, y: 0.0, z: 0.0 };
    // 24 bytes on the stack

    println!("x={}, pi={}, point={:?}", x, pi, point);
    println!("origin: ({}, {}, {})", origin.x, origin.y, origin.z);
}   // all stack memory freed instantly when main returns
