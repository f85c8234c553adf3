// A class hierarchy: an abstract Shape, Circle and Rect, owned by a
// std::vector<std::unique_ptr<Shape>>, a loop calling the virtual area().
#include <cstdio>
#include <memory>
#include <vector>

struct Shape {
    virtual double area() const = 0;
    virtual ~Shape() {}
};

struct Circle : Shape {
    double r;
    explicit Circle(double r) : r(r) {}
    double area() const override { return 3.14159 * r * r; }
};

struct Rect : Shape {
    double w, h;
    Rect(double w, double h) : w(w), h(h) {}
    double area() const override { return w * h; }
};

int main() {
    std::vector<std::unique_ptr<Shape>> shapes;
    shapes.push_back(std::make_unique<Circle>(1.0));
    shapes.push_back(std::make_unique<Rect>(2.0, 3.0));
    double total = 0;
    for (const auto &s : shapes) {
        total += s->area();
    }
    printf("%.2f\n", total);
    return 0;
}
