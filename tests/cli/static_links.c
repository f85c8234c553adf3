/* tests/cli/static_links.c — a list whose head is a global: the static region points into
 * the heap, and the nodes point back into it (a global counter, string literals that only
 * the nodes reach). tests/cli/static_links_facts.py reads the trace at the line marked
 * `facts`. */
#include <stdlib.h>

struct node {
    int value;
    const char *label;
    struct node *next;
    int *counter;
};

static struct node *head;
int hits;

static void push(int v, const char *label) {
    struct node *n = malloc(sizeof *n);
    n->value = v;
    n->label = label;
    n->next = head;
    n->counter = &hits;
    head = n;
    hits++;
}

int main(void) {
    push(1, "one");
    push(2, "two");
    int total = head->value + head->next->value;   /* facts */
    while (head) {
        struct node *next = head->next;
        free(head);
        head = next;
    }
    return total - 3;
}
