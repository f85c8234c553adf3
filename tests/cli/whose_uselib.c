/* tests/cli/whose_uselib.c — keeps (and leaks) a block whose_lib.c's make_pair allocated. */
#include <stdio.h>

struct pair { int a, b; };
struct pair *make_pair(int a, int b);

int main(void) {
    struct pair *p = make_pair(3, 4);
    printf("%d\n", p->a + p->b);
    return 0;
}
