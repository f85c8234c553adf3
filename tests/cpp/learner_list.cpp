// A singly linked list a learner writes: new'd nodes, push_front, a destructor deleting
// them in a loop, a copy made by a copy constructor.
#include <cstdio>

struct Node {
    int value;
    Node *next;
};

class List {
public:
    List() : head(nullptr) {}
    List(const List &other) : head(nullptr) {
        Node **tail = &head;
        for (Node *n = other.head; n != nullptr; n = n->next) {
            *tail = new Node{n->value, nullptr};
            tail = &(*tail)->next;
        }
    }
    ~List() {
        Node *n = head;
        while (n != nullptr) {
            Node *next = n->next;
            delete n;
            n = next;
        }
    }
    void push_front(int v) { head = new Node{v, head}; }
    int sum() const {
        int total = 0;
        for (Node *n = head; n != nullptr; n = n->next)
            total += n->value;
        return total;
    }

private:
    Node *head;
};

int main() {
    List a;
    a.push_front(3);
    a.push_front(2);
    a.push_front(1);
    List b = a;
    b.push_front(0);
    int total = a.sum() + b.sum();
    printf("%d\n", total);
    return 0;
}
