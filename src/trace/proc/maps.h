/*
 * src/trace/proc/maps.h — a process's mappings as the kernel lists them in /proc/PID/maps: the
 * one parser of that file. The tracer (modules, the stack's end) and `stackheap layout`
 * (which names each mapping as the lesson does, trace/engine/layout.h) both read it through here.
 *
 *     shi_map *m; size_t n;
 *     if (shi_maps_read(pid, &m, &n) == 0) {
 *         for (size_t i = 0; i < n; i++) printf("%s\n", m[i].path);
 *         shi_maps_free(m, n);
 *     }
 */
#ifndef SH_TRACE_MAPS_H
#define SH_TRACE_MAPS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct shi_map {
    uint64_t start, end, offset;   /* [start, end), and the offset into the file */
    char perms[5];                 /* "r-xp" */
    char *path;                    /* "/usr/lib/x86_64-linux-gnu/libc.so.6", "[stack]", "" */
} shi_map;

/* "start-end perms offset dev inode   path": the path may hold spaces, or be absent.
 * 0 and *ret filled (path malloc'd), or -1: not a maps line (EINVAL). */
int shi_maps_parse_line(const char *line, shi_map *ret);

/* Every line of a maps file, in its order (ascending addresses); a line in a format we do
 * not know is skipped. -1 with errno when reading fails (nothing to free). */
int shi_maps_parse(FILE *f, shi_map **ret, size_t *ret_n);

/* /proc/PID/maps. -1 with errno: ESRCH no such process, EACCES/EPERM not ours to read. */
int shi_maps_read(pid_t pid, shi_map **ret, size_t *ret_n);

void shi_maps_free(shi_map *m, size_t n);

#endif
