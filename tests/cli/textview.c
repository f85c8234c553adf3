/* tests/cli/textview.c — a program whose values are wider than a narrow terminal: a struct
 * with a text, a float, an array and a pointer on the stack and on the heap, a long array,
 * a heap buffer of ten longs and a long heap text (tests/cli/textview_facts.py reads the
 * text view at the line marked `facts`). */
#include <stdlib.h>
#include <string.h>

struct person {
    const char *name;
    int age;
    double height_in_meters;
    long favourite_numbers[4];
    struct person *best_friend;
};

int main(void) {
    long squares[12] = {1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144};
    struct person ada = {"Ada Lovelace", 36, 1.65, {1815, 1843, 1852, 7}, NULL};
    struct person *bob = malloc(sizeof *bob);
    bob->name = "Bob";
    bob->age = 41;
    bob->height_in_meters = 1.8;
    bob->favourite_numbers[0] = 100000001;
    bob->favourite_numbers[1] = 200000002;
    bob->favourite_numbers[2] = 300000003;
    bob->favourite_numbers[3] = 400000004;
    bob->best_friend = &ada;
    long *buf = calloc(10, sizeof *buf);
    for (int i = 0; i < 10; i++)
        buf[i] = squares[i] * 1000003;
    char *msg = malloc(80);
    strcpy(msg, "a rather long message that does not fit in a narrow heap column");
    int done = 1;   /* facts */
    free(buf);
    free(msg);
    free(bob);
    return done - 1;
}
