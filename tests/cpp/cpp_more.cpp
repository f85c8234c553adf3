// tests/cpp/cpp_more.cpp — more of libstdc++ as handles (tests/cpp/cpp_more_facts.py):
// std::list, std::forward_list, std::deque, std::optional, std::unique_ptr<T[]>.
#include <deque>
#include <forward_list>
#include <list>
#include <memory>
#include <optional>
#include <utility>

int main() {
    std::list<int> lst = {10, 20, 30};
    lst.push_back(40);
    std::list<double> unused;   // no node type in the DWARF: nothing ever added
    std::forward_list<int> fwd = {7, 8, 9};
    std::deque<int> dq = {1, 2, 3};
    dq.push_front(0);
    std::optional<int> some = 5;
    std::optional<int> none;
    std::pair<int, double> pr{1, 2.5};
    std::unique_ptr<int[]> arr(new int[4]{1, 2, 3, 4});
    int n = lst.front() + fwd.front() + *some + pr.first + arr[3] + (none ? 1 : 0) + dq.front() + (int)unused.size();
    return n - 27;
}
