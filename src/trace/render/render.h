/*
 * src/trace/render/render.h — drawing a trace: the lesson's "Stack | Heap" diagrams in a
 * terminal, a versioned JSON trace (docs/trace-json.md) and an export in Online Python
 * Tutor's trace format. Renderers only read the model.
 *
 *     shi_render_opts o = shi_render_opts_for(stdout);  // UTF-8? colour? width?
 *     shi_cursor *c = shi_cursor_new(t);
 *     for (size_t i = 0; i < t->nsteps; i++) {
 *         const shi_step *s = shi_cursor_step(c, i);
 *         shi_render_text(t, shi_cursor_prev(c), s, stdout, &o);
 *     }
 *     shi_cursor_free(c);
 *     shi_render_summary(t, stdout, &o);                // exit code, leaks
 *     shi_render_json(t, json_file);
 *
 * All return 0, or -1 when writing failed (errno from the stream).
 */
#ifndef SH_TRACE_RENDER_H
#define SH_TRACE_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "trace/model/layout.h"
#include "trace/model/model.h"

typedef struct shi_render_opts {
    bool utf8;    /* box-drawing characters and arrows; false: + - | -> */
    bool color;   /* ANSI colours; the caller decides (a terminal, NO_COLOR unset) */
    int width;    /* columns available (every line fits: wider values wrap); 0 means 100;
                     below 40, 40 */
} shi_render_opts;

/* Options for writing to `out`: colour when it is a terminal and NO_COLOR is unset, UTF-8
 * when the locale (LC_ALL, LC_CTYPE, LANG) says so, the width from COLUMNS, else the
 * terminal's, else (a file, a pipe) 100. */
shi_render_opts shi_render_opts_for(FILE *out);

/* One step: heading, file:line, the Stack | Heap diagram, then the step's events; `prev`,
 * the step before (NULL: none), for the blocks freed since. */
int shi_render_text(const shi_trace *t, const shi_step *prev, const shi_step *s, FILE *out,
                    const shi_render_opts *o);
/* The step's events worth a line of their own: program output, exit, signal, limits. */
int shi_render_events(const shi_trace *t, const shi_step *s, FILE *out,
                      const shi_render_opts *o);
/* The end of the run: how the program ended and the blocks it never freed. */
int shi_render_summary(const shi_trace *t, FILE *out, const shi_render_opts *o);

/* The JSON trace (docs/trace-json.md) in its newest version, 2: each step as what changed
 * since the one before; shi_render_json_version writes version 1 (every step whole) or 2. */
int shi_render_json(const shi_trace *t, FILE *out);
int shi_render_json_version(const shi_trace *t, FILE *out, int version);
/* The Python Tutor export repeats the whole state in every step, so it grows with steps x
 * state. Python Tutor's front end is never given more than 10 MiB by its own server
 * (v4-cokapi/cokapi.js, MAX_BUFFER_SIZE, the backends' output it passes on; its C backend
 * stops a program at 1,000 steps, vg_to_opt_trace.py's MAX_STEPS): an export past that is
 * refused. shi_render_pytutor_limited then writes nothing and returns SHI_RENDER_TOO_BIG;
 * *ret_fit says how many first steps fit, *ret_size how big the export is (or would be:
 * counted to its end, or up to SHI_PYTUTOR_COUNT_MAX, past which it says only "more");
 * either may be NULL; `limit` 0: any size, written as it goes (*ret_size 0).
 * shi_render_pytutor: SHI_PYTUTOR_MAX_BYTES. */
enum { SHI_RENDER_TOO_BIG = -2 };
#define SHI_PYTUTOR_MAX_BYTES ((size_t)10 << 20)
#define SHI_PYTUTOR_COUNT_MAX ((size_t)1 << 30)
int shi_render_pytutor(const shi_trace *t, FILE *out);
int shi_render_pytutor_limited(const shi_trace *t, FILE *out, size_t limit,
                               size_t *ret_size, size_t *ret_fit);
/* The trace as one self-contained HTML page (docs/html.md): the source beside the Stack |
 * Heap diagram, scrolling steps through the program. Reads the trace's source files. */
int shi_render_html(const shi_trace *t, FILE *out);

/* A process's memory layout (trace/model/layout.h) as the lesson's "Process Memory Layout":
 * high addresses at the top, one row per region, each with its range and size. */
typedef struct shi_layout_draw_opts {
    bool ascii;             /* ASCII only: --ascii, or the locale is not UTF-8 */
    bool colour;            /* ANSI colour: a terminal, and NO_COLOR not set */
    const char *title;      /* "./prog (pid 123, stopped at main)" */
    const char *note;       /* a line under the diagram, or NULL */
} shi_layout_draw_opts;
void shi_render_layout(const shi_layout *layout, const shi_layout_draw_opts *o, FILE *out);
/* The same regions as JSON: [{"name","kind","start","end","size","perms","path"}],
 * ascending addresses (docs/cli.md). */
void shi_render_layout_json(const shi_layout *layout, FILE *out);

/* JSON string escaping shared by both JSON writers: quotes included; control characters,
 * quotes and backslashes escaped; invalid UTF-8 bytes become \ufffd; "</" becomes "<\/"
 * so the text can sit inside an HTML <script>. `n` bytes of `s` (NULL writes null). */
void shi_json_string(FILE *out, const char *s, size_t n);

#endif
