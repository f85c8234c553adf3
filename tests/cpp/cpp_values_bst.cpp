// tests/cpp/cpp_values_bst.cpp — a binary search tree of unique_ptrs (cpp_values_facts.py): each
// node a block owned by its parent's left or right.
#include <memory>

struct Node {
    int key;
    std::unique_ptr<Node> left, right;
    explicit Node(int k) : key(k) {}
};

static void insert(std::unique_ptr<Node> &root, int key) {
    if (!root) {
        root = std::make_unique<Node>(key);
        return;
    }
    if (key < root->key) insert(root->left, key);
    else insert(root->right, key);
}

int main() {
    std::unique_ptr<Node> root;
    int keys[] = {5, 3, 8, 4};
    for (int k : keys) insert(root, k);
    return root->left->right->key - 4;
}
