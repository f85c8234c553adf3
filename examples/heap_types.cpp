/*
 * examples/heap_types.cpp — the lesson's heap_types.rs in C++: a std::string, a
 * std::vector<int> and a std::unique_ptr<int>, each a small handle on the stack that owns
 * (or may own) a block on the heap.
 *
 *     build/examples/heap_types_cpp
 *     name=Hello, world!, numbers=[1, 2, 3], boxed=42
 *
 * C++ frees by destructors: at the closing brace boxed, numbers and name are destroyed in
 * reverse order of declaration, as Rust drops them, and each frees what it owns.
 */
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

int main() {
    // std::string: dynamically-sized text
    std::string name = "Hello";
    name += ", world!";  // heap buffer may be allocated
    // Stack: { ptr, len: 13, local buffer of 16 bytes }
    // libstdc++ keeps up to 15 chars in the handle itself (the small string
    // optimisation): "Hello, world!" stays on the stack, ptr points into name

    // std::vector<T>: dynamically-sized array
    std::vector<int> numbers;
    numbers.push_back(1);  // capacity 1: a block of 4 bytes
    numbers.push_back(2);  // capacity 2: a new block, the old one freed
    numbers.push_back(3);  // capacity 4
    // Stack: { begin, end, end of capacity }  (3 pointers)
    // Heap:  [1, 2, 3, _]

    // std::unique_ptr<T>: put a single value on the heap
    std::unique_ptr<int> boxed = std::make_unique<int>(42);
    // Stack: { ptr }  (8 bytes, just a pointer)
    // Heap:  42        (4 bytes, made by new)

    std::printf("name=%s, numbers=[%d, %d, %d], boxed=%d\n", name.c_str(), numbers[0],
                numbers[1], numbers[2], *boxed);
}   // Destruction order: boxed, numbers, name
    // Each destructor frees its heap allocation (delete, then the vector's buffer).
