/* tests/cli/whose.c — blocks libc allocates for the program, each kept by a char * of its
 * own: strdup, strndup, asprintf, getline (its buffer grown by the second, longer line),
 * open_memstream (the buffer handed over at fclose) and realpath. A FILE it opens is its
 * too; the FILE's buffer is libc's. Four are never freed (valgrind: 4 definitely lost). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char *name = strdup("alice");
    char *part = strndup("bobcat", 3);
    char *msg = NULL;
    int n = asprintf(&msg, "%s has %d", name, 42);
    const char *lines = "short\n"
        "a much longer line than the first one, past the 120 bytes of the buffer that getline "
        "starts with, so that it has to grow it\n";
    FILE *words = fmemopen((char *)lines, strlen(lines), "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got = getline(&line, &cap, words);
    got = getline(&line, &cap, words);
    fclose(words);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    fprintf(mem, "memstream %d", n);
    fclose(mem);
    char *where = realpath("/usr/../tmp", NULL);
    printf("%s %s %s %zd %s %s\n", name, part, msg, got, text, where);
    free(part);
    free(where);
    return 0;   /* facts: name, msg, line, text leak */
}
