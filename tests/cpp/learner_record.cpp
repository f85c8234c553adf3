// A struct holding a std::string and a std::vector<int>, passed by const reference and by
// value, returned by value, moved into another vector.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

struct Record {
    std::string name;
    std::vector<int> scores;
};

int total(const Record &r) {
    int sum = 0;
    for (int s : r.scores)
        sum += s;
    return sum;
}

Record with_bonus(Record r) {
    r.scores.push_back(10);
    return r;
}

Record make_record(const char *name) {
    Record r{name, {1, 2, 3}};
    return r;
}

int main() {
    Record ann = make_record("Ann, a name longer than fifteen");
    int t = total(ann);
    Record better = with_bonus(ann);
    std::vector<Record> all;
    all.push_back(std::move(better));
    printf("%d %zu\n", t + total(all[0]), ann.scores.size());
    return 0;
}
