// Word counting: a std::map<std::string, int> filled from a std::vector<std::string>,
// printed with a range-for over the map and structured bindings.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

int main() {
    std::vector<std::string> words = {"the", "cat", "saw", "the", "dog"};
    std::map<std::string, int> counts;
    for (const std::string &w : words) {
        counts[w]++;
    }
    for (const auto &[word, n] : counts) {
        printf("%s %d\n", word.c_str(), n);
    }
    return 0;
}
