// A throw caught two frames up: the frames between are popped by the exception.
#include <cstdio>
#include <stdexcept>

int inner(int n) {
    if (n > 2) throw std::runtime_error("too big");
    return n;
}

int middle(int n) {
    int r = inner(n);
    return r + 1;
}

int main() {
    int got = 0;
    try {
        got = middle(5);
    } catch (const std::runtime_error &e) {
        got = -1;
    }
    std::printf("%d\n", got);
    return 0;
}
