/*
 * src/trace/model/layout.c — the words for a layout's regions and its lookups (layout.h);
 * reading one from a process is the engine's (trace/engine/layout.c).
 */
#include "trace/model/layout.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[SHI_REGION_KIND_COUNT] = {
    [SHI_REGION_CODE] = "code",           [SHI_REGION_RODATA] = "rodata",
    [SHI_REGION_STATIC] = "static",       [SHI_REGION_HEAP] = "heap",
    [SHI_REGION_LIBRARY] = "library",     [SHI_REGION_ANONYMOUS] = "anonymous",
    [SHI_REGION_STACK] = "stack",         [SHI_REGION_KERNEL] = "kernel",
};

const char *shi_region_kind_name(shi_region_kind kind) { return kind_names[kind]; }

void shi_layout_free(shi_layout *layout) {
    if (!layout) return;
    for (size_t i = 0; i < layout->count; i++) free(layout->regions[i].path);
    free(layout->regions);
    free(layout->exe);
    *layout = (shi_layout){0};
}

const shi_region *shi_layout_find(const shi_layout *layout, const char *path) {
    for (size_t i = 0; i < layout->count; i++)
        if (strstr(layout->regions[i].path, path)) return &layout->regions[i];
    return NULL;
}
