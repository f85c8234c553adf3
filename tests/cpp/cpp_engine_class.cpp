// A class holding a raw new'd buffer: constructor, method (with this) and destructor are
// the user's frames; three objects in one scope are destroyed in reverse order.
#include <cstdio>

class Buffer {
public:
    explicit Buffer(int n) : len(n) {
        data = new int[n];
        for (int i = 0; i < n; i++) data[i] = i;
    }
    int sum() const {
        int total = 0;
        for (int i = 0; i < len; i++) total += data[i];
        return total;
    }
    ~Buffer() {
        delete[] data;
    }

private:
    int *data;
    int len;
};

int main() {
    int total = 0;
    {
        Buffer a(2);
        Buffer b(3);
        Buffer c(4);
        total = a.sum() + b.sum() + c.sum();
    }
    std::printf("%d\n", total);
    return 0;
}
