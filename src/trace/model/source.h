/*
 * src/trace/model/source.h — the traced program's source text, read once per file: the text of a
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

#include <stddef.h>

typedef struct shi_sources shi_sources;

shi_sources *shi_sources_new(void);
void shi_sources_free(shi_sources *s);   /* accepts NULL */

/* Line `line` (1-based) with its newline, or NULL (no such file or line). */
const char *shi_sources_line(shi_sources *s, const char *path, int line);

/* The first line of the statement `line` belongs to: lines that begin inside an open ( or [
 * continue the line before. C and Rust strings, character literals and comments are
 * skipped when counting. `line` itself when the file cannot be read. */
int shi_sources_statement_start(shi_sources *s, const char *path, int line);

/* A whole file's bytes, NUL-terminated (the NUL not counted in *ret_len), malloc'd; NULL
 * with errno when it cannot be read: EFBIG when it holds more than `max` bytes (0: no
 * limit), EIO on a read error. The one file reader of the renderers that embed sources. */
char *shi_source_read_file(const char *path, size_t max, size_t *ret_len);

#endif
