// A vector<std::string> growing: its buffers belong to the lines that grew it, and no
// std:: template code shows as a frame.
#include <cstdio>
#include <string>
#include <vector>

int main() {
    std::vector<std::string> names;
    names.push_back("a string too long for the small buffer");
    names.push_back("short");
    names.push_back("another string longer than fifteen");
    std::printf("%zu\n", names.size());
    return 0;
}
