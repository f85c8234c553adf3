/*
 * examples/heap_types.c — the lesson's heap_types.rs in C with <stackheap/own.h>: a String,
 * a Vec<i32> and a Box<i32>, each a small handle on the stack owning a block on the heap.
 *
 *     build/examples/heap_types
 *     name=Hello, world!, numbers=[1, 2, 3], boxed=42
 *
 * sh_auto(T) drops a variable when it goes out of scope, in reverse order of declaration
 * as Rust does: at the closing brace boxed, numbers and name free their heap blocks.
 */
#include <stdio.h>

#include <stackheap/own.h>

int main(void) {
    // String: dynamically-sized text
    sh_auto(sh_string) name = sh_string_from("Hello");
    sh_string_push_str(&name, ", world!");  // heap buffer may be reallocated
    // Stack: { ptr, len: 13, capacity: 13 }
    // Heap:  "Hello, world!"

    // Vec<T>: dynamically-sized array
    sh_auto(sh_vec_i32) numbers = sh_vec_new(sh_vec_i32);
    sh_vec_push(&numbers, 1);
    sh_vec_push(&numbers, 2);
    sh_vec_push(&numbers, 3);
    // Stack: { ptr, len: 3, capacity: 4 }
    // Heap:  [1, 2, 3, _]

    // Box<T>: put a single value on the heap
    sh_auto(sh_box_i32) boxed = sh_box_new(sh_box_i32, 42);
    // Stack: { ptr }  (8 bytes, just a pointer)
    // Heap:  42        (4 bytes)

    printf("name=%s, numbers=[%d, %d, %d], boxed=%d\n", sh_string_cstr(&name),
           sh_vec_at(&numbers, 0), sh_vec_at(&numbers, 1), sh_vec_at(&numbers, 2),
           *sh_box_get(&boxed));
}   // Drop order: boxed, numbers, name
    // Each one frees its heap allocation automatically.
