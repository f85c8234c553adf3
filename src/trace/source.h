/*
 * src/trace/source.h — the traced program's source text, read once per file: the text of a
 * line (for step titles) and where a statement spanning several lines starts, so a call
 * written over three lines is one step, not a hop between its lines.
 *
 *     shi_sources *src = shi_sources_new();
 *     const char *text = shi_sources_line(src, "/src/add.c", 12);   // NULL if unreadable
 *     int first = shi_sources_statement_start(src, "/src/add.c", 36);  // 35: inside printf(
 *     shi_sources_free(src);
 */
#ifndef SH_TRACE_SOURCE_H
#define SH_TRACE_SOURCE_H

typedef struct shi_sources shi_sources;

shi_sources *shi_sources_new(void);
void shi_sources_free(shi_sources *s);   /* accepts NULL */

/* Line `line` (1-based) with its newline, or NULL (no such file or line). */
const char *shi_sources_line(shi_sources *s, const char *path, int line);

/* The first line of the statement `line` belongs to: lines that begin inside an open ( or [
 * continue the line before. C and Rust strings, character literals and comments are
 * skipped when counting. `line` itself when the file cannot be read. */
int shi_sources_statement_start(shi_sources *s, const char *path, int line);

#endif
