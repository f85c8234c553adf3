/*
 * src/trace/engine/layout.h — reading a process's memory layout (trace/model/layout.h):
 * every mapping of /proc/PID/maps (read by trace/proc/maps.h) named as the lesson names it.
 * `stackheap layout` draws it; this file decides, the command only asks.
 *
 *     shi_layout l;
 *     if (shi_layout_read(pid, &l) == 0) {
 *         const shi_region *heap = shi_layout_find(&l, "[heap]");
 *         shi_layout_free(&l);
 *     }
 */
#ifndef SH_TRACE_LAYOUT_H
#define SH_TRACE_LAYOUT_H

#include <sys/types.h>

#include "trace/model/layout.h"

/* Reads /proc/PID/maps and classifies every mapping. -1 with errno (ESRCH: no such
 * process, EACCES: not ours to read) and nothing to free on failure. */
int shi_layout_read(pid_t pid, shi_layout *ret_layout);

#endif
