/*
 * src/cli/maps.c — a process's mappings from /proc/PID/maps, each named as the lesson
 * names it: code, static data, heap, stack, and what the lesson leaves out (libraries,
 * anonymous mmaps, the kernel's pages).
 *
 * The maps file is the kernel's own account, so nothing here guesses an address: the
 * executable is whatever /proc/PID/exe names, [heap] is the brk area, [stack] the main
 * thread's stack.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char *const kind_names[SHI_REGION_KIND_COUNT] = {
    [SHI_REGION_CODE] = "code",           [SHI_REGION_RODATA] = "rodata",
    [SHI_REGION_STATIC] = "static",       [SHI_REGION_HEAP] = "heap",
    [SHI_REGION_LIBRARY] = "library",     [SHI_REGION_ANONYMOUS] = "anonymous",
    [SHI_REGION_STACK] = "stack",         [SHI_REGION_KERNEL] = "kernel",
};


const char *shi_cli_region_kind_name(shi_region_kind kind) { return kind_names[kind]; }

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

/* "start-end perms offset dev inode   path"; the path may hold spaces, or be absent. */
static int parse_line(const char *line, shi_region *r) {
    int path_at = 0;
    unsigned long long start, end, offset;
    if (sscanf(line, "%llx-%llx %4s %llx %*s %*s %n", &start, &end, r->perms, &offset,
               &path_at) < 4)
        return -1;
    r->start = start, r->end = end, r->offset = offset;
    const char *p = path_at ? line + path_at : "";
    size_t len = strcspn(p, "\n");
    r->path = strndup(p, len);
    if (!r->path) return -1;
    strip_deleted(r->path);
    return 0;
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

static int append(shi_layout *l, size_t *cap, const shi_region *r) {
    if (l->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        shi_region *n = realloc(l->regions, ncap * sizeof *n);
        if (!n) return -1;
        l->regions = n, *cap = ncap;
    }
    l->regions[l->count++] = *r;
    return 0;
}

static int read_regions(FILE *f, shi_layout *l) {
    char *line = NULL;
    size_t linecap = 0, cap = 0;
    int status = 0;
    while (getline(&line, &linecap, f) > 0) {
        shi_region r = {0};
        if (parse_line(line, &r) != 0) continue;   /* a format we do not know: skip it */
        if (append(l, &cap, &r) != 0) { free(r.path); status = -1; break; }
    }
    if (ferror(f)) status = -1;   /* errno from the read: EACCES when the check is late */
    free(line);
    return status;
}

static void classify_all(shi_layout *l) {
    if (!l->exe)   /* unreadable exe link: the lowest file mapping is the executable */
        for (size_t i = 0; i < l->count && !l->exe; i++)
            if (l->regions[i].path[0] == '/') l->exe = strdup(l->regions[i].path);
    for (size_t i = 0; i < l->count; i++)
        l->regions[i].kind = classify(&l->regions[i], i ? &l->regions[i - 1] : NULL, l->exe);
}

int shi_cli_layout_read(pid_t pid, shi_layout *ret_layout) {
    char name[64];
    snprintf(name, sizeof name, "/proc/%d/maps", (int)pid);
    shi_layout l = {.pid = pid};
    FILE *f = fopen(name, "r");
    if (!f) {
        if (errno == ENOENT) errno = ESRCH;
        return -1;
    }
    int status = read_regions(f, &l);
    int saved = errno;
    fclose(f);
    if (status == 0 && l.count == 0) status = -1, saved = ENODATA;   /* a zombie: no memory */
    if (status != 0) {
        shi_cli_layout_free(&l);
        errno = saved;
        return -1;
    }
    l.exe = read_exe_path(pid);
    l.stack_limit = read_stack_limit(pid);
    classify_all(&l);
    *ret_layout = l;
    return 0;
}

void shi_cli_layout_free(shi_layout *layout) {
    if (!layout) return;
    for (size_t i = 0; i < layout->count; i++) free(layout->regions[i].path);
    free(layout->regions);
    free(layout->exe);
    *layout = (shi_layout){0};
}

const shi_region *shi_cli_layout_find(const shi_layout *layout, const char *path) {
    for (size_t i = 0; i < layout->count; i++)
        if (strstr(layout->regions[i].path, path)) return &layout->regions[i];
    return NULL;
}
