/*
 * examples/heap_map.c — the lesson's heap at work: "the allocator must search for a free
 * block and manage fragmentation", told in six steps with real addresses.
 *
 *     build/examples/heap_map [--ascii]
 *
 * Every picture comes from sh_heap_walk and every number from the walk or from
 * sh_heap_get_stats. Each claim the story makes is checked against the walk first: if the
 * heap does not behave as told, the program says what it saw instead and exits with 1.
 * Its own bookkeeping lives in static arrays, so the heap holds only the story's blocks.
 */
#define _GNU_SOURCE   /* strcasestr */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stackheap/heap.h>

#define KiB ((size_t)1024)
#define SEG_MASK (((uintptr_t)4 << 20) - 1) /* medium blocks live in 4 MiB-aligned segments */
#define COLS 72                              /* width of a strip, in cells */
#define BIG (160 * KiB)                      /* steps 3 and 5: more than any hole holds */

/* Step 1's row: medium blocks (> 32 KiB) of mixed sizes, so the holes differ. */
static const size_t row_kib[8] = {64, 48, 96, 40, 80, 56, 112, 72};

typedef struct held { char letter; void *ptr; bool live; } held;
static held letters[16];   /* every medium block handed out, in order: A, B, ... */
static int nletters;

/* The medium blocks of A's segment, in address order, as one walk saw them. */
typedef struct view { uintptr_t seg; sh_heap_block b[64]; int n; } view;

typedef struct glyphs { const char *h, *v, *tl, *tr, *bl, *br, *free, *more, *rule; } glyphs;
static const glyphs utf8 = {"─", "│", "┌", "┐", "└", "┘", "·", "→", "──────────────"};
static const glyphs ascii = {"-", "|", "+", "+", "+", "+", ".", "->", "--------------"};
static const glyphs *g = &utf8;
static bool colour;
static uintptr_t base;     /* the strip shows [base, base + window) */
static size_t window;

/* ---- small helpers ----------------------------------------------------------------------- */

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fputs("heap_map: the heap did not behave as narrated: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* "64.0 KiB": a few rotating buffers, so one printf can show several sizes. */
static const char *human(size_t n) {
    static char buf[8][24];
    static unsigned next;
    char *s = buf[next++ % 8];
    if (n >= 1024 * KiB) snprintf(s, 24, "%.1f MiB", (double)n / (1024.0 * 1024.0));
    else if (n >= KiB) snprintf(s, 24, "%.1f KiB", (double)n / 1024.0);
    else snprintf(s, 24, "%zu B", n);
    return s;
}

static const char *ink(char letter) {   /* a colour per letter; free space dim */
    static const char *const codes[] = {"\033[1;36m", "\033[1;33m", "\033[1;35m",
                                        "\033[1;32m", "\033[1;34m", "\033[1;31m"};
    if (!colour) return "";
    return letter ? codes[(letter - 'A') % 6] : "\033[2m";
}
static const char *reset(void) { return colour ? "\033[0m" : ""; }

static held *get(char letter) { return &letters[letter - 'A']; }
static uintptr_t addr_of(char letter) { return (uintptr_t)get(letter)->ptr; }
static uintptr_t end_of(const sh_heap_block *b) { return (uintptr_t)b->addr + b->size; }

static char take(size_t size) {
    held *h = &letters[nletters];
    *h = (held){.letter = (char)('A' + nletters++), .ptr = sh_malloc(size), .live = true};
    if (!h->ptr) fail("sh_malloc(%zu) returned NULL", size);
    memset(h->ptr, h->letter, size);  /* the block is really ours to write */
    return h->letter;
}

static void drop(char letter) {
    sh_free(get(letter)->ptr);
    get(letter)->live = false;   /* the address is kept only to name the hole it leaves */
}

/* ---- the walk ---------------------------------------------------------------------------- */

static int collect(const sh_heap_block *b, void *arg) {
    view *v = arg;
    if (b->kind != SH_BLOCK_MEDIUM || ((uintptr_t)b->addr & ~SEG_MASK) != v->seg) return 0;
    if (v->n == (int)(sizeof v->b / sizeof v->b[0])) fail("more medium blocks than expected");
    v->b[v->n++] = *b;
    return 0;
}

static view look(void) {
    view v = {.seg = addr_of('A') & ~SEG_MASK};
    if (sh_heap_walk(collect, &v) != 0) fail("the heap walk could not be taken");
    return v;
}

/* The block at the letter's address, which must be in use or free as the story says. */
static const sh_heap_block *expect(const view *v, char letter, int in_use, int *ret_index) {
    for (int i = 0; i < v->n; i++) {
        if ((uintptr_t)v->b[i].addr != addr_of(letter) || v->b[i].in_use != in_use) continue;
        if (ret_index) *ret_index = i;
        return &v->b[i];
    }
    fail("the walk shows no %s block at %c's address %p", in_use ? "used" : "free", letter,
         get(letter)->ptr);
}

/* The letter of a block in use, matched by address with the pointers we hold. */
static char letter_of(const sh_heap_block *b) {
    for (int i = 0; i < nletters; i++)
        if (letters[i].live && letters[i].ptr == b->addr) return letters[i].letter;
    return '?';
}

/* Freed letters whose old address lies in the free block b: "A", or "C+D+E" after merging. */
static const char *was(const sh_heap_block *b, char *out) {
    char *o = out;
    for (int i = 0; i < nletters; i++) {
        uintptr_t p = (uintptr_t)letters[i].ptr;
        if (letters[i].live || p < (uintptr_t)b->addr || p >= end_of(b)) continue;
        o += sprintf(o, o == out ? " (was %c" : "+%c", letters[i].letter);
    }
    strcpy(o, o == out ? "" : ")");
    return out;
}

/* ---- drawing ----------------------------------------------------------------------------- */

static void heading(int n, const char *title) {
    printf("\n  %d. %s\n  %s%s%s\n", n, title, g->rule, g->rule, g->rule);
}

static void border(const char *left, const char *right) {
    printf("   %s", left);
    for (int i = 0; i < COLS; i++) fputs(g->h, stdout);
    printf("%s\n", right);
}

/* Each block paints the cells from the previous block's end to its own end, so the
 * boundary tags between blocks need no cells of their own. */
static void paint(const view *v, char *cell) {
    memset(cell, ' ', COLS);
    uintptr_t from = base;
    for (int i = 0; i < v->n; i++) {
        const sh_heap_block *b = &v->b[i];
        if ((uintptr_t)b->addr < base) continue;
        size_t c0 = (from - base) * COLS / window, c1 = (end_of(b) - base) * COLS / window;
        if (c1 > COLS) c1 = COLS;
        if (c1 <= c0 && c0 < COLS) c1 = c0 + 1;   /* every block gets at least one cell */
        for (size_t c = c0; c < c1; c++) cell[c] = b->in_use ? letter_of(b) : 0;
        from = end_of(b);
    }
}

static void draw(const view *v) {
    char cell[COLS], names[48];
    paint(v, cell);
    border(g->tl, g->tr);
    printf("   %s", g->v);
    for (int c = 0; c < COLS; c++) {
        if (c == 0 || cell[c] != cell[c - 1]) printf("%s%s", reset(), ink(cell[c]));
        if (cell[c]) putchar(cell[c]); else fputs(g->free, stdout);
    }
    const sh_heap_block *last = &v->b[v->n - 1];
    printf("%s%s", reset(), g->v);
    if (!last->in_use && end_of(last) > base + window)
        printf(" %s %s more free", g->more, human(end_of(last) - (base + window)));
    printf("\n");
    border(g->bl, g->br);
    printf("    %-*p%p\n    one cell = %s\n\n", COLS - 12, (void *)base, (void *)(base + window),
           human(window / COLS));
    for (int i = 0; i < v->n; i++) {
        const sh_heap_block *b = &v->b[i];
        if ((uintptr_t)b->addr < base) continue;
        char l = b->in_use ? letter_of(b) : 0;
        const char *note = b->in_use       ? ""
                           : i < v->n - 1 ? was(b, names)
                                          : ": the rest of the segment, not used yet";
        printf("   %s%s%s  %p  %10s  %s%s\n", ink(l), l ? (char[2]){l, 0} : g->free, reset(),
               b->addr, human(b->size), b->in_use ? "in use" : "free", note);
    }
}

/* ---- steps 1-5: medium blocks, the free-block search ------------------------------------- */

typedef struct holes { size_t count, total, largest; } holes;

/* Free blocks with a block in use after them: the rest of the segment is not a hole. */
static holes measure(const view *v) {
    holes h = {0};
    int last_used = -1;
    for (int i = 0; i < v->n; i++)
        if (v->b[i].in_use) last_used = i;
    for (int i = 0; i < last_used; i++) {
        if (v->b[i].in_use) continue;
        h.count++;
        h.total += v->b[i].size;
        if (v->b[i].size > h.largest) h.largest = v->b[i].size;
    }
    return h;
}

static void step1_row(void) {
    size_t planned = BIG;   /* bytes the strip must show: the row and step 3's block */
    for (int i = 0; i < 8; i++) {
        planned += row_kib[i] * KiB;
        take(row_kib[i] * KiB);
    }
    view v = look();
    int prev = -1, at;
    for (char l = 'A'; l <= 'H'; l++, prev = at)
        if (expect(&v, l, 1, &at) && l > 'A' && at != prev + 1)
            fail("%c does not follow %c", l, l - 1);
    /* A strip from A to a little past where step 3's block will end, in cells of 4 KiB steps. */
    base = addr_of('A');
    window = (planned / (COLS - 6) + 4 * KiB - 1) / (4 * KiB) * (4 * KiB) * COLS;
    heading(1, "Eight medium blocks in a row");
    printf("  sh_malloc hands out A to H (40-120 KiB each). Medium blocks are cut from the front\n"
           "  of one big free block, so they lie side by side in address order.\n\n");
    draw(&v);
}

static holes step2_holes(void) {
    for (char l = 'A'; l <= 'G'; l += 2) drop(l);
    view v = look();
    for (char l = 'A'; l <= 'H'; l++) expect(&v, l, (l - 'A') % 2, NULL);
    holes h = measure(&v);
    if (h.count != 4) fail("expected 4 holes, the walk shows %zu", h.count);
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    heading(2, "Free every other block: fragmentation");
    printf("  A, C, E and G are freed. Their neighbours are still in use, so nothing can merge:\n"
           "  the segment now has holes.\n\n");
    draw(&v);
    printf("\n   free in holes: %s in %zu holes, but the largest is %s: no request above\n"
           "   that fits in them (1 - largest / total = %.0f %% external fragmentation)\n",
           human(h.total), h.count, human(h.largest),
           100.0 * (1.0 - (double)h.largest / (double)h.total));
    printf("   sh_heap_get_stats: live %s in %zu blocks, committed %s, fragmentation %.1f %%\n"
           "   (1 - live / committed: the share of memory in use by the heap that holds no block;\n"
           "   the untouched rest of the segment is not committed and does not count)\n",
           human(st.live), st.live_blocks, human(st.committed), st.fragmentation * 100.0);
    return h;
}

static void step3_too_big(holes h) {
    if (BIG <= h.largest) fail("%s would fit in the %s hole", human(BIG), human(h.largest));
    char i = take(BIG);
    view v = look();
    int at_h, at_i;
    expect(&v, 'H', 1, &at_h);
    expect(&v, i, 1, &at_i);
    if (at_i != at_h + 1) fail("I did not land right after H");
    heading(3, "A block bigger than any hole");
    printf("  Ask for %s. There are %s free in holes, but no single hole is big enough,\n"
           "  so the search passes them by: I lands at %p, right after H.\n\n",
           human(BIG), human(h.total), get(i)->ptr);
    draw(&v);
}

static void step4_merge(void) {
    view before = look();
    const sh_heap_block *c = expect(&before, 'C', 0, NULL);
    uintptr_t e_end = end_of(expect(&before, 'E', 0, NULL));
    size_t header = addr_of('D') - end_of(c);   /* a free block ends where D's header begins */
    drop('D');
    /* The thread keeps the two medium blocks it freed last for its next requests of their
     * size, in use to their arena; sh_heap_trim hands them back, where they merge. */
    sh_heap_trim();
    view v = look();
    const sh_heap_block *m = expect(&v, 'C', 0, NULL);
    if (end_of(m) != e_end) fail("freeing D left no single free block from C's start to E's end");
    heading(4, "Free the block between two holes: coalescing");
    printf("  D is freed. (A thread keeps the two medium blocks of up to 256 KiB it freed last\n"
           "  for its next requests of their size; sh_heap_trim gives them to the arena now.)\n"
           "  Its boundary tags show both neighbours free, so C, D and E merge at once into one\n"
           "  free block of %s at %p: %zu bytes, the three blocks and the\n"
           "  %zu-byte headers of D and E, which are free space now.\n\n",
           human(m->size), m->addr, m->size, header);
    draw(&v);
}

static void step5_fits(void) {
    view before = look();
    const sh_heap_block merged = *expect(&before, 'C', 0, NULL);
    for (int i = 0; i < before.n; i++)  /* the story says: the smallest free block that fits */
        if (!before.b[i].in_use && before.b[i].size >= BIG && before.b[i].size < merged.size)
            fail("a free block smaller than the merged one also fits: %p", before.b[i].addr);
    char j = take(BIG);
    if (addr_of(j) < (uintptr_t)merged.addr || addr_of(j) + BIG > end_of(&merged))
        fail("J at %p is not inside the merged block at %p", get(j)->ptr, merged.addr);
    view v = look();
    int k;
    expect(&v, j, 1, &k);
    heading(5, "The same request again: now it fits");
    printf("  Ask for %s again. The search finds the merged block, the smallest free\n"
           "  block that fits (not the big rest of the segment): J lands at %p",
           human(BIG), get(j)->ptr);
    if (k + 1 < v.n && !v.b[k + 1].in_use && end_of(&v.b[k + 1]) == end_of(&merged))
        printf(",\n  and the %s left over stay free behind it", human(v.b[k + 1].size));
    printf(".\n\n");
    draw(&v);
}

/* ---- step 6: the small tier -------------------------------------------------------------- */

/* Small blocks from the walk. A page's slots sit one slot size apart and its never-used
 * tail comes last as one free block; in checked mode a used slot reports the size asked
 * for, so the slot size is read from the distance to the next block, not from the size. */
static sh_heap_block smalls[8192];
static int nsmall;

static int collect_small(const sh_heap_block *b, void *arg) {
    (void)arg;
    if (b->kind != SH_BLOCK_SMALL) return 0;
    if (nsmall == (int)(sizeof smalls / sizeof smalls[0])) fail("more small blocks than expected");
    smalls[nsmall++] = *b;
    return 0;
}

static uintptr_t addr(int i) { return i < nsmall ? (uintptr_t)smalls[i].addr : 0; }

static size_t slot_at(int i) { return i + 1 < nsmall ? addr(i + 1) - addr(i) : smalls[i].size; }

/* Prints the page starting at smalls[i] (a page has at least two entries); returns the next:
 * the page goes on while blocks follow one slot apart and no tail has been seen. */
static int print_page(int i) {
    size_t slot = slot_at(i), used = 0, nfree = 0;
    char first[17] = "";
    int k = i;
    for (; k < nsmall && (k == i || (addr(k) == addr(k - 1) + slot && smalls[k - 1].size <= slot));
         k++) {
        size_t n = smalls[k].in_use ? 1 : smalls[k].size / slot;   /* a tail is many slots */
        for (size_t s = used + nfree; s < used + nfree + n && s < 16; s++)
            first[s] = smalls[k].in_use ? '#' : '.';
        if (smalls[k].in_use) used++; else nfree += n;
    }
    printf("   page %p  slots of %8s  %3zu used %5zu free  %s", (void *)addr(i), human(slot), used,
           nfree, first);
    if (used + nfree > 16) printf(" +%zu more", used + nfree - 16);
    printf("\n");
    return k;
}

static void step6_small(void) {
    static const size_t asks[] = {24, 24, 24, 24, 24, 100, 100, 100, 1000, 1000, 20000};
    enum { N = sizeof asks / sizeof asks[0] };
    void *p[N];
    for (int i = 0; i < N; i++)
        if (!(p[i] = sh_malloc(asks[i]))) fail("sh_malloc(%zu) returned NULL", asks[i]);
    sh_free(p[1]);   /* a freed slot between used ones */
    if (sh_heap_walk(collect_small, NULL) != 0) fail("the heap walk could not be taken");
    for (int m = 0; m < N; m++) {   /* each block in a slot at least as big, the freed one free */
        int k = 0;
        while (k < nsmall && smalls[k].addr != p[m]) k++;
        if (k == nsmall || smalls[k].in_use != (m != 1) || slot_at(k) < asks[m])
            fail("the walk does not show the %zu-byte block %p in a %s slot big enough", asks[m],
                 p[m], m != 1 ? "used" : "free");
    }
    heading(6, "Small blocks: no search at all");
    printf("  Blocks of up to 32 KiB come from pages of equal slots, one size class per page,\n"
           "  owned by this thread: a request is rounded up to its class and takes a free slot.\n"
           "  Asked for: 5 x 24 B (the 2nd freed again), 3 x 100 B, 2 x 1000 B, 1 x 20000 B.\n\n");
    int pages = 0;
    for (int i = 0; i < nsmall; pages++) i = print_page(i);
    printf("   (# a slot in use, . a free one; %d pages)\n", pages);
    for (int i = 0; i < N; i++)
        if (i != 1) sh_free(p[i]);
}

/* ---- main -------------------------------------------------------------------------------- */

static bool utf8_locale(void) {   /* the first of LC_ALL, LC_CTYPE and LANG that is set decides */
    const char *v = getenv("LC_ALL");
    if (!v || !*v) v = getenv("LC_CTYPE");
    if (!v || !*v) v = getenv("LANG");
    return v && (strcasestr(v, "UTF-8") || strcasestr(v, "UTF8"));
}

int main(int argc, char **argv) {
    if (!utf8_locale()) g = &ascii;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ascii") != 0) {
            fprintf(stderr, "usage: %s [--ascii]\n", argv[0]);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
        g = &ascii;
    }
    if (sh_heap_checked()) {
        fprintf(stderr, "heap_map: the heap is in checked mode (STACKHEAP_CHECK=1 or a checked build): "
                        "its blocks carry guards and freed ones are held back, so the story told here "
                        "does not hold; run it on the normal heap\n");
        return 1;
    }
    const char *no_colour = getenv("NO_COLOR");
    colour = isatty(STDOUT_FILENO) && !(no_colour && *no_colour);

    printf("  The heap at work: the allocator searches for a free block and manages\n"
           "  fragmentation. Every address and size below comes from sh_heap_walk or\n"
           "  sh_heap_get_stats.\n");
    step1_row();
    step3_too_big(step2_holes());
    step4_merge();
    step5_fits();
    step6_small();

    for (int i = 0; i < nletters; i++)
        if (letters[i].live) drop(letters[i].letter);
    sh_heap_trim();   /* the two blocks freed last go back to the arena too */
    view v = look();
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    if (st.live != 0 || v.n != 1 || v.b[0].in_use)
        fail("after freeing everything: live %zu bytes, %d blocks in A's segment", st.live, v.n);
    printf("\n  Everything freed (and sh_heap_trim called): live %s, and A's segment is one free\n"
           "  block of %s again.\n", human(st.live), human(v.b[0].size));
    return 0;
}
