/* tests/cli/whose_lib.c — a shared library of the user's own (built with -g): the block it
 * allocates for its caller is the caller's. */
#include <stdlib.h>

struct pair { int a, b; };

struct pair *make_pair(int a, int b) {
    struct pair *p = malloc(sizeof *p);
    p->a = a;
    p->b = b;
    return p;
}
