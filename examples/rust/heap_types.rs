// heap_types.rs -- Types that use the heap (the lesson's program, as given).
fn main() {
    // String: dynamically-sized text
    let mut name = String::from("Hello");
    name.push_str(", world!");  // heap buffer may be reallocated
    // Stack: { ptr, len: 13, capacity: ... }
    // Heap:  "Hello, world!"

    // Vec<T>: dynamically-sized array
    let mut numbers: Vec<i32> = Vec::new();
    numbers.push(1);
    numbers.push(2);
    numbers.push(3);
    // Stack: { ptr, len: 3, capacity: 4 }
    // Heap:  [1, 2, 3, _]

    // Box<T>: put a single value on the heap
    let boxed: Box<i32> = Box::new(42);
    // Stack: { ptr }  (8 bytes, just a pointer)
    // Heap:  42        (4 bytes)

    println!("name={}, numbers={:?}, boxed={}", name, numbers, boxed);
}   // Drop order: boxed, numbers, name
    // Each one frees its heap allocation automatically.
