// tests/cpp/cpp_more_throw.cpp — the exception object (tests/cpp/cpp_more_facts.py): made by
// the throw in check(), reached by the catch's e in main, freed at the catch's end.
#include <stdexcept>

int check(int n) {
    if (n < 0) throw std::invalid_argument("negative");
    return n;
}

int main() {
    int got = 0;
    try {
        got = check(-3);
    } catch (const std::exception &e) {
        got = e.what()[0] == 'n' ? -1 : -2;
    }
    return got + 1;
}
