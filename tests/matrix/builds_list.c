/* tests/matrix/builds_list.c — a linked list built, summed and freed: the program
 * tests/matrix/builds.sh traces as a static executable and optimised (heap blocks linked by
 * pointers, a sum known at the printf). */
#include <stdio.h>
#include <stdlib.h>

struct node {
    int value;
    struct node *next;
};

int main(void) {
    struct node *head = NULL;
    for (int i = 1; i <= 3; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i * 10;
        n->next = head;
        head = n;
    }
    int sum = 0;
    for (struct node *p = head; p; p = p->next) sum += p->value;
    printf("sum = %d\n", sum);
    while (head) {
        struct node *next = head->next;
        free(head);
        head = next;
    }
    return 0;
}
