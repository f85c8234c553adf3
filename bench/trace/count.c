/*
 * count — how big a trace is without keeping it: reads stdin to its end and prints
 * "BYTES LINES" where LINES counts the lines that start, after blanks, with PREFIX (or one
 * of its alternatives, split by '|'); with TAIL, also writes the input's last 4 KiB there
 * (where a trace says how it ended).
 *
 *     stackheap run --json /dev/stdout -- ./prog | count '"index":|{"line":' [TAIL]
 *
 * bench/trace/cases.sh pipes each JSON trace and text view through it: a trace of many
 * heap blocks runs to gigabytes, which a file would put on the disk for nothing.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: count PREFIX [TAIL] < FILE\n");
        return 2;
    }
    /* the alternatives, each at most 255 bytes */
    const char *alt[8];
    size_t alen[8], nalt = 0, plen = 0, have = 0;
    for (const char *p = argv[1]; nalt < 8; p++) {
        const char *bar = strchr(p, '|');
        alt[nalt] = p;
        alen[nalt] = bar ? (size_t)(bar - p) : strlen(p);
        if (alen[nalt] >= 256) alen[nalt] = 255;
        if (alen[nalt] > plen) plen = alen[nalt];
        nalt++;
        if (!bar) break;
        p = bar;
    }
    unsigned long long bytes = 0, lines = 0;
    char head[256];              /* the start of the current line, blanks skipped */
    int at_start = 1, blanks = 1;
    static char buf[1 << 16], last[4096];   /* last: a ring of the input's end */
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        for (size_t i = n > sizeof last ? n - sizeof last : 0; i < n; i++)
            last[(bytes + i) % sizeof last] = buf[i];
        bytes += n;
        for (size_t i = 0; i < n; i++) {
            char c = buf[i];
            if (c == '\n') {
                at_start = blanks = 1;
                have = 0;
                continue;
            }
            if (!at_start)
                continue;
            if (blanks && (c == ' ' || c == '\t'))
                continue;
            blanks = 0;
            head[have++] = c;
            int decided = 1;   /* a match, or no alternative can match any more */
            for (size_t a = 0; a < nalt; a++) {
                if (have < alen[a] && memcmp(head, alt[a], have) == 0) decided = 0;
                if (have == alen[a] && memcmp(head, alt[a], have) == 0) {
                    lines++;
                    decided = 1;
                    break;
                }
            }
            if (decided || have == plen) at_start = 0;
        }
    }
    printf("%llu %llu\n", bytes, lines);
    if (argc == 3) {
        FILE *f = fopen(argv[2], "w");
        if (!f) {
            perror(argv[2]);
            return 1;
        }
        size_t keep = bytes < sizeof last ? (size_t)bytes : sizeof last;
        for (unsigned long long i = bytes - keep; i < bytes; i++)
            fputc(last[i % sizeof last], f);
        fclose(f);
    }
    return ferror(stdin) ? 1 : 0;
}
