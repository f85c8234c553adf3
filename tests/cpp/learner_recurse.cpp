// A recursive function building a std::string, then a stack overflow: deep recursion of a
// function with a std::array<int, 1000> local.
#include <array>
#include <cstdio>
#include <string>

std::string countdown(int n) {
    if (n == 0)
        return "go";
    std::string rest = countdown(n - 1);
    return std::to_string(n) + " " + rest;
}

int deep(int n) {
    std::array<int, 1000> big;
    big[0] = n;
    big[999] = n;
    return deep(n + 1) + big[0];
}

int main() {
    std::string s = countdown(3);
    printf("%s\n", s.c_str());
    return deep(0);
}
