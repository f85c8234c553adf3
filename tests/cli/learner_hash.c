/* tests/cli/learner_hash.c — a learner's hash table with chaining: an array of bucket
 * pointers, nodes holding strdup'd keys, two keys colliding in one bucket, then freed. */
#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;
    int value;
    struct entry *next;
};

#define NBUCKETS 4

static unsigned hash(const char *s)
{
    unsigned h = 0;
    while (*s)
        h = h * 31 + (unsigned char)*s++;
    return h % NBUCKETS;
}

static void put(struct entry **table, const char *key, int value)
{
    unsigned b = hash(key);
    struct entry *e = malloc(sizeof *e);
    e->key = strdup(key);
    e->value = value;
    e->next = table[b];
    table[b] = e;
}

int main(void)
{
    struct entry **table = calloc(NBUCKETS, sizeof *table);
    put(table, "ab", 1);
    put(table, "ba", 2);
    put(table, "c", 3); /* filled */
    for (int i = 0; i < NBUCKETS; i++) {
        struct entry *e = table[i];
        while (e) {
            struct entry *next = e->next;
            free(e->key);
            free(e);
            e = next;
        }
    }
    free(table);
    return 0;
}
