// new/delete of a struct, new[]/delete[] of ints: the program's own allocations, typed by
// the pointers they are stored in.
#include <cstdio>

struct Point {
    int x;
    int y;
};

int main() {
    Point *p = new Point{3, 4};
    int *nums = new int[4]{1, 2, 3, 4};
    nums[2] = p->x + p->y;
    std::printf("%d %d\n", p->x, nums[2]);
    delete p;
    delete[] nums;
    return 0;
}
