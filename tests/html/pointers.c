/*
 * tests/html/pointers.c — a small C program for the lesson page's browser tests: an int
 * array, a string and a struct on the heap, each reached by a pointer on the stack, a call
 * with a return value, output with characters that must not break the page, and frees.
 * Built by tests/html/test_page.sh with `cc -g -O0`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    int value;
    struct node *next;
};

static int sum(const int *values, int n) {
    int total = 0;
    for (int i = 0; i < n; i++) total += values[i];
    return total;
}

int main(void) {
    int *numbers = malloc(4 * sizeof *numbers);
    numbers[0] = 1;
    numbers[1] = 2;
    numbers[2] = 3;
    numbers[3] = 4;
    char *text = malloc(16);
    strcpy(text, "</script><!--");
    struct node *head = malloc(sizeof *head);
    head->value = 7;
    head->next = NULL;
    int total = sum(numbers, 4);
    printf("%s %d\n", text, total);
    free(text);
    free(numbers);
    free(head);
    return 0;
}
