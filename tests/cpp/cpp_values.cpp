// tests/cpp/cpp_values.cpp — libstdc++'s containers as the lesson draws them (cpp_values_facts.py):
// a vector of strings (one long, one short), strings, a vector of ints, a shared_ptr made by
// make_shared and shared by two owners, one made from `new`, a map, an unordered_map, and a
// class with a std::string member, a method (this) and a constructor taking a reference, a set,
// and a struct derived from another.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

struct Shape {
    int sides;
};

struct Square : Shape {
    int side;
};

class Person {
public:
    std::string name;
    int age;
    Person(const std::string &n, int a) : name(n), age(a) {}
    int birthday() {
        age += 1;
        return age;
    }
};

int main() {
    std::vector<std::string> words;
    words.push_back("a string too long for the small buffer");
    words.push_back("short");
    std::string greeting = "hello, this is longer than fifteen";
    std::string tiny = "hi";
    std::vector<int> nums = {1, 2, 3};
    auto shared = std::make_shared<int>(42);
    auto other = shared;
    std::shared_ptr<Person> boss(new Person("Ada Lovelace, a long name", 36));
    std::map<std::string, int> ages;
    ages["bob"] = 25;
    ages["alice"] = 30;
    std::unordered_map<std::string, int> stock;
    stock["apples"] = 3;
    stock["pears"] = 5;
    std::set<int> primes = {7, 2, 5};
    Square sq;
    sq.sides = 4;
    sq.side = 3;
    Person p("Grace", 45);
    int n = p.birthday();
    return n - 46;
}
