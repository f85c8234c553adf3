/* tests/cli/typed_heap.c — heap blocks typed by the pointers that reach them
 * (tests/cli/typed_facts.py reads the facts at the line marked `facts`). */
#include <stdlib.h>
#include <string.h>

struct node { int v; struct node *next; };
struct tree { int key; struct tree *left, *right; };
struct pair { int a; double b; };

static struct tree *leaf(int key) {
    struct tree *t = malloc(sizeof *t);
    t->key = key;
    t->left = t->right = NULL;
    return t;
}

/* Inside it, the innermost frame's `long *` types buf's block, not main's `int *`. */
static long peek(long *words) {
    return words[0];   /* inner */
}

int main(void) {
    struct node *head = NULL;
    for (int i = 3; i >= 1; i--) {
        struct node *n = malloc(sizeof *n);
        n->v = i;
        n->next = head;
        head = n;
    }
    struct tree *root = leaf(2);
    root->left = leaf(1);
    root->right = leaf(3);
    int *buf = malloc(2 * sizeof *buf);
    buf[0] = 10;
    buf[1] = 20;
    buf = realloc(buf, 8 * sizeof *buf);
    for (int i = 2; i < 8; i++) buf[i] = 10 * (i + 1);
    char *name = malloc(32);
    strcpy(name, "hello heap");
    void *raw = malloc(8);
    memset(raw, 0xab, 8);
    struct pair *pairs = calloc(3, sizeof *pairs);
    pairs[1].a = 7;
    pairs[2].b = 2.5;
    long first = peek((long *)buf);
    char *alias = (char *)root;   /* a typed pointer beats a char pointer */
    void *any = buf;              /* and a void pointer */
    int done = alias != NULL && any != NULL && first != 0;   /* facts */
    free(raw);
    return done - 1;
}
