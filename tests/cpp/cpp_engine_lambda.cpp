// A lambda called from main: its body is a frame of its own (g++ declares its operator()
// nowhere but inside main's scope, as a member of a local class).
#include <cstdio>

int main() {
    int base = 10;
    auto add = [&](int k) {
        int sum = k + base;
        return sum;
    };
    int r = add(5);
    std::printf("%d\n", r);
    return 0;
}
