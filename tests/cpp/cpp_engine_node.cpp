// A user class on the heap: `delete n` runs ~Node() on block #1, then frees it.
#include <cstdio>

struct Node {
    int value;
    int *extra;
    explicit Node(int v) : value(v), extra(new int(v * 2)) {}
    ~Node() {
        delete extra;
    }
};

int main() {
    Node *n = new Node(21);
    std::printf("%d %d\n", n->value, *n->extra);
    delete n;
    return 0;
}
