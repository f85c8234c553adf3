/*
 * src/trace/render/render_layout.c — a layout (trace/model/layout.h) drawn as the lesson's
 * "Process Memory Layout" (high addresses at the top: stack, free space, heap, static, code), and
 * the same regions as JSON.
 *
 * A real process has more than the lesson shows: shared libraries and anonymous mmaps
 * between the stack and the heap, read-only data beside the code. Consecutive mappings of
 * one kind become one row, so the drawing keeps the lesson's shape with real addresses.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/render/render.h"

enum { INNER = 62, TITLE_W = 15, RANGE_W = 31, MAX_ITEMS = 64 };

/* The user half of x86-64 ends here; [vsyscall] above it is the kernel's, not drawn. */
#define USER_END 0x800000000000ULL

typedef struct glyphs {
    const char *h, *v, *tl, *tr, *bl, *br, *ml, *mr, *dash, *down, *up, *to, *sep;
} glyphs;

static const glyphs utf8 = {"─", "│", "┌", "┐", "└", "┘", "├", "┤", "─ ", "↓", "↑", "–", " · "};
static const glyphs ascii = {"-", "|", "+", "+", "+", "+", "+", "+", "- ", "v", "^", "-", ", "};

/* Rows: the lesson's regions; MAPPED gathers libraries, anonymous mmaps and kernel pages. */
typedef enum row_kind { ROW_STACK, ROW_MAPPED, ROW_HEAP, ROW_STATIC, ROW_RODATA, ROW_CODE,
                        ROW_FREE } row_kind;

typedef struct row {
    row_kind kind;
    uint64_t lo, hi, bytes;   /* the span it covers and how much of it is mapped */
    size_t first, last;       /* its regions: indices into the layout, first > last */
} row;

static const char *const row_titles[] = {"Stack", "Libraries, mmap", "Heap", "Static/Global",
                                         "Read-only data", "Code (text)", "free space"};
static const char *const row_colours[] = {"32", "34", "33", "35", "36", "36", "2"};

static row_kind row_of(shi_region_kind k) {
    switch (k) {
    case SHI_REGION_STACK: return ROW_STACK;
    case SHI_REGION_HEAP: return ROW_HEAP;
    case SHI_REGION_STATIC: return ROW_STATIC;
    case SHI_REGION_RODATA: return ROW_RODATA;
    case SHI_REGION_CODE: return ROW_CODE;
    default: return ROW_MAPPED;
    }
}

static void format_size(uint64_t bytes, char *buf, size_t len) {
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) { snprintf(buf, len, "%" PRIu64 " B", bytes); return; }
    double v = (double)bytes / 1024;
    int u = 0;
    while (v >= 1024 && u < 4) v /= 1024, u++;
    snprintf(buf, len, "%.1f %s", v, units[u]);
}

/* ---- grouping the regions into rows ------------------------------------------------------ */

/* Rows from the highest address down, free space between rows that do not touch. */
static size_t build_rows(const shi_layout *l, row *rows, size_t max) {
    size_t n = 0;
    for (size_t i = l->count; i-- > 0;) {
        const shi_region *r = &l->regions[i];
        if (r->start >= USER_END) continue;
        row_kind k = row_of(r->kind);
        if (n && rows[n - 1].kind == k) {
            rows[n - 1].lo = r->start, rows[n - 1].bytes += r->end - r->start;
            rows[n - 1].last = i;
            continue;
        }
        if (n && rows[n - 1].lo > r->end && n < max) {
            uint64_t upper = rows[n - 1].lo;
            rows[n++] = (row){ROW_FREE, r->end, upper, upper - r->end, 0, 0};
        }
        if (n < max) rows[n++] = (row){k, r->start, r->end, r->end - r->start, i, i};
    }
    return n;
}

/* No [heap]: the lesson's Heap row still belongs above the static data, empty. */
static size_t add_missing_heap(row *rows, size_t n, size_t max) {
    size_t at = n;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].kind == ROW_HEAP) return n;
        if (rows[i].kind == ROW_STATIC && at == n) at = i;
    }
    if (at == n || n == max) return n;
    memmove(&rows[at + 1], &rows[at], (n - at) * sizeof *rows);
    rows[at] = (row){ROW_HEAP, 0, 0, 0, 0, 0};
    return n + 1;
}

/* ---- printing ---------------------------------------------------------------------------- */

typedef struct painter {
    const glyphs *g;
    bool colour;
    FILE *out;
} painter;

static size_t display_width(const char *s) {   /* UTF-8: count the characters */
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void repeat(FILE *out, const char *s, size_t times) {
    for (size_t i = 0; i < times; i++) fputs(s, out);
}

static void border(const painter *p, const char *left, const char *fill, const char *right) {
    fputs("  ", p->out);
    fputs(left, p->out);
    if (!strcmp(fill, p->g->dash)) { repeat(p->out, fill, INNER / 2); if (INNER % 2) fputs(" ", p->out); }
    else repeat(p->out, fill, INNER);
    fputs(right, p->out);
    fputs("\n", p->out);
}

/* One line of a row; `title` (the first word of `text`) is coloured on a terminal. */
static void text_line(const painter *p, const char *text, size_t title_len, const char *colour,
                      const char *outside) {
    fprintf(p->out, "  %s ", p->g->v);
    if (p->colour && title_len) fprintf(p->out, "\033[1;%sm%.*s\033[0m%s", colour, (int)title_len, text,
                                       text + title_len);
    else fputs(text, p->out);
    size_t w = display_width(text) + 1;
    repeat(p->out, " ", w < INNER ? INNER - w : 0);
    fprintf(p->out, "%s%s%s\n", p->g->v, outside ? " " : "", outside ? outside : "");
}

/* Words joined with the separator, wrapped at the box's width, each line indented. */
static void wrapped_lines(const painter *p, char items[][80], size_t n) {
    char line[256] = "  ";
    for (size_t i = 0; i < n; i++) {
        size_t need = display_width(line) + display_width(p->g->sep) + display_width(items[i]);
        if (display_width(line) > 2 && need > INNER - 2) {
            text_line(p, line, 0, NULL, NULL);
            strcpy(line, "  ");
        }
        if (display_width(line) > 2) strcat(line, p->g->sep);
        size_t used = strlen(line), len = strlen(items[i]);
        if (len > sizeof line - used - 1) len = sizeof line - used - 1;   /* cut, never overflow */
        memcpy(line + used, items[i], len);
        line[used + len] = '\0';
    }
    if (display_width(line) > 2) text_line(p, line, 0, NULL, NULL);
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

typedef struct tally { const char *name; uint64_t bytes; size_t count; } tally;

static int by_size_desc(const void *a, const void *b) {
    const tally *x = a, *y = b;
    return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : strcmp(x->name, y->name);
}

/* "libc.so.6 1.9 MiB · anonymous 40.0 KiB (4) · [vdso] 8.0 KiB": what the mapped row holds. */
static void mapped_summary(const painter *p, const shi_layout *l, const row *r) {
    tally t[MAX_ITEMS];
    size_t n = 0;
    for (size_t i = r->last; i <= r->first; i++) {
        const shi_region *g = &l->regions[i];
        const char *name = g->kind == SHI_REGION_ANONYMOUS ? "anonymous" : base_name(g->path);
        size_t j = 0;
        while (j < n && strcmp(t[j].name, name)) j++;
        if (j == n && n == MAX_ITEMS) continue;
        if (j == n) t[n++] = (tally){name, 0, 0};
        t[j].bytes += g->end - g->start, t[j].count++;
    }
    if (n) qsort(t, n, sizeof *t, by_size_desc);
    char items[9][80], size[32];
    size_t shown = n > 8 ? 7 : n;
    for (size_t i = 0; i < shown; i++) {
        format_size(t[i].bytes, size, sizeof size);
        bool anon = !strcmp(t[i].name, "anonymous");
        if (anon && t[i].count > 1)
            snprintf(items[i], sizeof items[i], "%s %s (%zu maps)", t[i].name, size, t[i].count);
        else
            snprintf(items[i], sizeof items[i], "%s %s", t[i].name, size);
    }
    if (n > shown) snprintf(items[shown++], sizeof items[0], "%zu more", n - 7);
    wrapped_lines(p, items, shown);
}

static const char *row_description(const shi_layout *l, const row *r, const row *above,
                                   const row *below, char *buf, size_t len) {
    char limit[32];
    switch (r->kind) {
    case ROW_STACK:
        if (!l->stack_limit) return "  (function frames, local variables)";
        format_size(l->stack_limit, limit, sizeof limit);
        snprintf(buf, len, "  (function frames, local variables; may grow to %s)", limit);
        return buf;
    case ROW_HEAP: return "  (dynamic allocations: malloc, Box, String, Vec)";
    case ROW_STATIC: return "  (globals and statics: .data, .bss)";
    case ROW_CODE: return "  (machine code: main and every other function)";
    case ROW_RODATA:
        return below && below->kind == ROW_CODE ? "  (.rodata: string literals, constants)"
                                                : "  (ELF headers, tables for the loader)";
    case ROW_FREE:
        if (above && above->kind == ROW_STACK) return "  (unmapped: the stack grows down into it)";
        if (below && below->kind == ROW_HEAP) return "  (unmapped: the heap grows up into it)";
        return "  (unmapped)";
    default: return NULL;
    }
}

static void print_row(const painter *p, const shi_layout *l, const row *r, const row *above,
                      const row *below) {
    char text[256], size[32], range[64], buf[128];
    format_size(r->bytes, size, sizeof size);
    const char *title = row_titles[r->kind];
    if (r->kind == ROW_FREE)
        snprintf(range, sizeof range, "%s", "");
    else if (r->kind == ROW_HEAP && r->hi == 0)
        snprintf(range, sizeof range, "no [heap] yet"), snprintf(size, sizeof size, "-");
    else
        snprintf(range, sizeof range, "0x%" PRIx64 " %s 0x%" PRIx64, r->lo, p->g->to, r->hi);
    size_t pad = RANGE_W + strlen(range) - display_width(range);
    snprintf(text, sizeof text, "%-*s %-*s %*s", TITLE_W, title, (int)pad, range,
             INNER - 4 - TITLE_W - RANGE_W, size);
    char arrow[64] = "";
    if (r->kind == ROW_STACK) snprintf(arrow, sizeof arrow, "%s grows downward", p->g->down);
    if (r->kind == ROW_HEAP) snprintf(arrow, sizeof arrow, "%s grows upward", p->g->up);
    text_line(p, text, strlen(title), row_colours[r->kind], arrow[0] ? arrow : NULL);
    const char *d = row_description(l, r, above, below, buf, sizeof buf);
    if (d) text_line(p, d, 0, NULL, NULL);
    if (r->kind == ROW_MAPPED) mapped_summary(p, l, r);
}

static bool touches_free(const row *a, const row *b) {
    return a->kind == ROW_FREE || b->kind == ROW_FREE;
}

/* Where the heap really is when it is not (only) the [heap]: said under the diagram. */
static void heap_notes(const shi_layout *l, FILE *out) {
    const shi_region *shim = shi_layout_find(l, "libstackheap-malloc");
    uint64_t anon = 0, heap = 0;
    size_t nanon = 0;
    char size[32];
    for (size_t i = 0; i < l->count; i++) {
        uint64_t bytes = l->regions[i].end - l->regions[i].start;
        if (l->regions[i].kind == SHI_REGION_ANONYMOUS) anon += bytes, nanon++;
        if (l->regions[i].kind == SHI_REGION_HEAP) heap += bytes;
    }
    format_size(anon, size, sizeof size);
    if (shim)
        fprintf(out, "  The heap: malloc here is stackheap's (libstackheap-malloc.so); its blocks live\n"
               "  in anonymous mappings in the \"Libraries, mmap\" row (%zu, %s).\n", nanon, size);
    else if (!heap)
        fprintf(out, "  The heap: no [heap] yet: malloc has not asked the kernel (brk) for memory.\n"
               "  Blocks malloc maps directly (large ones) are in the anonymous mappings of the\n"
               "  \"Libraries, mmap\" row (%zu, %s).\n", nanon, size);
    else if (anon > heap)
        fprintf(out, "  The heap: more dynamic memory is outside [heap] than in it: %s in anonymous\n"
               "  mappings (\"Libraries, mmap\" row): large malloc blocks mapped directly, or an\n"
               "  allocator that maps its own segments (stackheap's heap does).\n", size);
}

static void kernel_note(const shi_layout *l, FILE *out) {
    for (size_t i = 0; i < l->count; i++)
        if (l->regions[i].start >= USER_END)
            fprintf(out, "  Not drawn: %s at 0x%" PRIx64 ", in the kernel's half of the address space.\n",
                   l->regions[i].path[0] ? l->regions[i].path : "a mapping", l->regions[i].start);
}

void shi_render_layout(const shi_layout *layout, const shi_layout_draw_opts *o, FILE *out) {
    painter p = {o->ascii ? &ascii : &utf8, o->colour, out};
    row rows[256];
    size_t n = build_rows(layout, rows, 255);
    n = add_missing_heap(rows, n, 256);
    static const char heading[] = "Process Memory Layout";
    fprintf(out, "  %s\n  ", heading);
    repeat(out, p.g->h, sizeof heading - 1);
    fprintf(out, "\n  %s\n\n  High addresses\n", o->title);
    border(&p, p.g->tl, p.g->h, p.g->tr);
    for (size_t i = 0; i < n; i++) {
        if (i) border(&p, p.g->ml, touches_free(&rows[i - 1], &rows[i]) ? p.g->dash : p.g->h,
                      p.g->mr);
        print_row(&p, layout, &rows[i], i ? &rows[i - 1] : NULL, i + 1 < n ? &rows[i + 1] : NULL);
    }
    border(&p, p.g->bl, p.g->h, p.g->br);
    fprintf(out, "  Low addresses\n\n");
    heap_notes(layout, out);
    kernel_note(layout, out);
    if (o->note) fprintf(out, "  %s\n", o->note);
}

/* ---- JSON -------------------------------------------------------------------------------- */

/* The trace's JSON string writer (trace/render/render.h): one escaper for every JSON we write. */
static void json_string(FILE *out, const char *s) { shi_json_string(out, s, strlen(s)); }

/* [{"name","kind","start","end","size","perms","path"}], ascending; docs/cli.md has it. */
void shi_render_layout_json(const shi_layout *l, FILE *out) {
    fprintf(out, "[");
    for (size_t i = 0; i < l->count; i++) {
        const shi_region *r = &l->regions[i];
        const char *name = r->start >= USER_END ? "Kernel pages" : row_titles[row_of(r->kind)];
        fprintf(out, "%s\n  {\"name\": ", i ? "," : "");
        json_string(out, name);
        fprintf(out, ", \"kind\": \"%s\", \"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64
               "\", \"size\": %" PRIu64 ", \"perms\": \"%s\", \"path\": ",
               shi_region_kind_name(r->kind), r->start, r->end, r->end - r->start, r->perms);
        json_string(out, r->path);
        fprintf(out, "}");
    }
    fprintf(out, "\n]\n");
}
