// A throw unwinding through a frame whose object owns a block: the unwinding runs its
// destructor (g dropped, its block freed by delete) between the two frames it pops.
#include <cstdio>
#include <stdexcept>

struct Guard {
    int *held;
    explicit Guard(int v) : held(new int(v)) {}
    ~Guard() { delete held; }
};

int inner(int n) {
    if (n > 2) throw std::runtime_error("too big");
    return n;
}

int middle(int n) {
    Guard g(n);
    int r = inner(n);
    return r + *g.held;
}

int main() {
    int got = 0;
    try {
        got = middle(5);
    } catch (const std::exception &e) {
        got = -1;
    }
    std::printf("%d\n", got);
    return 0;
}
