// A parent and child holding each other: the child's back pointer a std::weak_ptr, so the
// cycle of std::shared_ptr is broken and both are freed at main's end.
#include <cstdio>
#include <memory>

struct Child;

struct Parent {
    std::shared_ptr<Child> child;
    int id = 1;
};

struct Child {
    std::weak_ptr<Parent> parent;
    int id = 2;
};

int main() {
    auto p = std::make_shared<Parent>();
    auto c = std::make_shared<Child>();
    p->child = c;
    c->parent = p;
    long users = c.use_count();
    if (auto back = c->parent.lock())
        users += back->id;
    printf("%ld\n", users);
    return 0;
}
