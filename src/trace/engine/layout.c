/*
 * src/trace/engine/layout.c — a process's mappings (read by trace/proc/maps.c, the one parser of
 * /proc/PID/maps), each named as the lesson names it: code, static data, heap, stack, and
 * what the lesson leaves out (libraries, anonymous mmaps, the kernel's pages).
 *
 * The maps file is the kernel's own account, so nothing here guesses an address: the
 * executable is whatever /proc/PID/exe names, [heap] is the brk area, [stack] the main
 * thread's stack.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/engine/layout.h"
#include "trace/proc/maps.h"

/* A file replaced since it was mapped reads "path (deleted)"; it is still the same file. */
static void strip_deleted(char *path) {
    static const char suffix[] = " (deleted)";
    size_t n = strlen(path), s = sizeof suffix - 1;
    if (n > s && strcmp(path + n - s, suffix) == 0) path[n - s] = 0;
}

static char *read_exe_path(pid_t pid) {
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0) return NULL;   /* not ours to read: the first file mapping stands in */
    buf[n] = 0;
    strip_deleted(buf);
    return strdup(buf);
}

/* "Max stack size   8388608   unlimited   bytes": the soft limit, how far the stack may grow. */
static uint64_t read_stack_limit(pid_t pid) {
    char name[64], line[256];
    snprintf(name, sizeof name, "/proc/%d/limits", (int)pid);
    FILE *f = fopen(name, "r");
    if (!f) return 0;
    uint64_t limit = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Max stack size", 14) == 0) {
            limit = strtoull(line + 14, NULL, 10);   /* "unlimited" reads as 0 */
            break;
        }
    fclose(f);
    return limit;
}

static bool is_kernel_page(const char *path) {
    return !strcmp(path, "[vdso]") || !strcmp(path, "[vvar]") ||
           !strcmp(path, "[vsyscall]") || !strncmp(path, "[vvar_", 6);
}

/* The tail of .bss past the file's last page is anonymous memory right after the
 * executable's writable mapping: it is still the program's static data. */
static bool is_bss_tail(const shi_region *r, const shi_region *prev) {
    return prev && prev->kind == SHI_REGION_STATIC && prev->end == r->start &&
           r->path[0] == 0 && r->perms[1] == 'w';
}

static shi_region_kind classify(const shi_region *r, const shi_region *prev, const char *exe) {
    if (!strcmp(r->path, "[stack]")) return SHI_REGION_STACK;
    if (!strcmp(r->path, "[heap]")) return SHI_REGION_HEAP;
    if (is_kernel_page(r->path)) return SHI_REGION_KERNEL;
    if (is_bss_tail(r, prev)) return SHI_REGION_STATIC;
    if (r->path[0] == 0 || r->path[0] == '[') return SHI_REGION_ANONYMOUS;
    if (exe && !strcmp(r->path, exe)) {
        if (r->perms[2] == 'x') return SHI_REGION_CODE;
        return r->perms[1] == 'w' ? SHI_REGION_STATIC : SHI_REGION_RODATA;
    }
    return SHI_REGION_LIBRARY;
}

static void classify_all(shi_layout *l) {
    if (!l->exe)   /* unreadable exe link: the lowest file mapping is the executable */
        for (size_t i = 0; i < l->count && !l->exe; i++)
            if (l->regions[i].path[0] == '/') l->exe = strdup(l->regions[i].path);
    for (size_t i = 0; i < l->count; i++)
        l->regions[i].kind = classify(&l->regions[i], i ? &l->regions[i - 1] : NULL, l->exe);
}

int shi_layout_read(pid_t pid, shi_layout *ret_layout) {
    shi_map *m;
    size_t n;
    if (shi_maps_read(pid, &m, &n) != 0) return -1;
    if (n == 0) {   /* a zombie or a kernel thread: no memory */
        shi_maps_free(m, n);
        errno = ENODATA;
        return -1;
    }
    shi_layout l = {.pid = pid, .count = n, .regions = calloc(n, sizeof *l.regions)};
    if (!l.regions) { shi_maps_free(m, n); return -1; }
    for (size_t i = 0; i < n; i++) {   /* the paths change hands: m's array alone is freed */
        shi_region *r = &l.regions[i];
        *r = (shi_region){.start = m[i].start, .end = m[i].end, .offset = m[i].offset,
                          .path = m[i].path};
        memcpy(r->perms, m[i].perms, sizeof r->perms);
        strip_deleted(r->path);
    }
    free(m);
    l.exe = read_exe_path(pid);
    l.stack_limit = read_stack_limit(pid);
    classify_all(&l);
    *ret_layout = l;
    return 0;
}
