/*
 * src/trace/model/layout.h — a process's memory layout as the lesson draws it: its mappings,
 * each named code, static data, heap, stack, or what the lesson leaves out (libraries,
 * anonymous mmaps, the kernel's pages). The engine fills it (trace/engine/layout.h reads
 * /proc/PID/maps and names each mapping); the renderers draw it without reading a process.
 *
 *     const shi_region *heap = shi_layout_find(&l, "[heap]");
 *     printf("%s\n", shi_region_kind_name(heap->kind));   // "heap"
 *     shi_layout_free(&l);
 */
#ifndef SH_TRACE_MODEL_LAYOUT_H
#define SH_TRACE_MODEL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What a mapping holds, as the lesson names it. The JSON writes these names (docs/cli.md). */
typedef enum shi_region_kind {
    SHI_REGION_CODE,        /* the executable's r-x mapping: machine code (text) */
    SHI_REGION_RODATA,      /* the executable's read-only mappings: ELF headers, .rodata */
    SHI_REGION_STATIC,      /* the executable's writable mappings: .data, .bss */
    SHI_REGION_HEAP,        /* [heap]: the brk area malloc grows */
    SHI_REGION_LIBRARY,     /* any other file: shared libraries, mapped files */
    SHI_REGION_ANONYMOUS,   /* anonymous mmap: big malloc blocks, thread stacks, arenas */
    SHI_REGION_STACK,       /* [stack]: the main thread's stack */
    SHI_REGION_KERNEL,      /* [vdso], [vvar], [vsyscall]: pages the kernel provides */
    SHI_REGION_KIND_COUNT
} shi_region_kind;

typedef struct shi_region {
    uint64_t start, end;    /* [start, end), as in the maps file */
    char perms[5];          /* "r-xp" */
    uint64_t offset;        /* into the file */
    char *path;             /* "" for anonymous memory */
    shi_region_kind kind;
} shi_region;

typedef struct shi_layout {
    shi_region *regions;    /* ascending addresses, as the kernel lists them */
    size_t count;
    pid_t pid;
    char *exe;              /* the executable's path as the maps name it, or NULL */
    uint64_t stack_limit;   /* RLIMIT_STACK's soft limit in bytes; 0 unknown or unlimited */
} shi_layout;

void shi_layout_free(shi_layout *layout);
const char *shi_region_kind_name(shi_region_kind kind);   /* "code", "heap", ... */
/* The first region whose path contains `path` ("[heap]"), or NULL. */
const shi_region *shi_layout_find(const shi_layout *layout, const char *path);

#endif
