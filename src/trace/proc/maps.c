/* src/trace/proc/maps.c — see maps.h: the one reader of /proc/PID/maps. */
#define _GNU_SOURCE
#include "trace/proc/maps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

int shi_maps_parse_line(const char *line, shi_map *ret) {
    unsigned long long start, end, off;
    char perms[5] = "";
    int pathpos = 0;
    if (sscanf(line, "%llx-%llx %4s %llx %*s %*s %n", &start, &end, perms, &off, &pathpos) < 4) {
        errno = EINVAL;
        return -1;
    }
    const char *path = pathpos > 0 ? line + pathpos : "";
    char *copy = strndup(path, strcspn(path, "\n"));
    if (!copy) return -1;
    *ret = (shi_map){.start = start, .end = end, .offset = off, .path = copy};
    memcpy(ret->perms, perms, sizeof ret->perms);
    return 0;
}

int shi_maps_parse(FILE *f, shi_map **ret, size_t *ret_n) {
    shi_map *m = NULL;
    size_t n = 0, cap = 0, linecap = 0;
    char *line = NULL;
    while (getline(&line, &linecap, f) > 0) {
        SHI_GROW(m, cap, n + 1);
        if (shi_maps_parse_line(line, &m[n]) == 0) n++;
    }
    free(line);
    if (ferror(f)) {   /* errno from the read: EACCES when the kernel's check comes late */
        int saved = errno;
        shi_maps_free(m, n);
        errno = saved;
        return -1;
    }
    *ret = m;
    *ret_n = n;
    return 0;
}

int shi_maps_read(pid_t pid, shi_map **ret, size_t *ret_n) {
    char name[64];
    snprintf(name, sizeof name, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(name, "r");
    if (!f) {
        if (errno == ENOENT) errno = ESRCH;
        return -1;
    }
    int rc = shi_maps_parse(f, ret, ret_n);
    int saved = errno;
    fclose(f);
    errno = saved;
    return rc;
}

void shi_maps_free(shi_map *m, size_t n) {
    if (!m) return;
    for (size_t i = 0; i < n; i++) free(m[i].path);
    free(m);
}
