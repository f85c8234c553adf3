/*
 * tests/trace/test_maps.c — the one /proc/PID/maps parser (trace/proc/maps.h) and the layout
 * built on it (trace/engine/layout.h): lines the kernel writes, lines it does not, and this
 * process's own maps.
 */
#define _GNU_SOURCE
#include "check.h"
#include "trace/engine/layout.h"
#include "trace/proc/maps.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

SH_TEST(test_line_with_a_file) {
    shi_map m;
    CHECK(shi_maps_parse_line("7ffff7dd0000-7ffff7df6000 r--p 00028000 08:01 1234   "
                              "/usr/lib/x86_64-linux-gnu/libc.so.6\n", &m) == 0);
    CHECK(m.start == 0x7ffff7dd0000ull && m.end == 0x7ffff7df6000ull);
    CHECK(m.offset == 0x28000);
    CHECK(strcmp(m.perms, "r--p") == 0);
    CHECK(strcmp(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6") == 0);
    free(m.path);
}

SH_TEST(test_line_without_a_path_is_anonymous) {
    shi_map m;
    CHECK(shi_maps_parse_line("7ffff7fb0000-7ffff7fb3000 rw-p 00000000 00:00 0 \n", &m) == 0);
    CHECK(strcmp(m.path, "") == 0);
    CHECK(strcmp(m.perms, "rw-p") == 0);
    free(m.path);
}

SH_TEST(test_path_keeps_its_spaces) {
    shi_map m;
    CHECK(shi_maps_parse_line("400000-401000 r-xp 00000000 08:01 99 /tmp/my prog (deleted)\n",
                              &m) == 0);
    CHECK(strcmp(m.path, "/tmp/my prog (deleted)") == 0);
    free(m.path);
}

SH_TEST(test_not_a_maps_line_is_refused) {
    shi_map m;
    errno = 0;
    CHECK(shi_maps_parse_line("hello world\n", &m) == -1);
    CHECK_EQ(errno, EINVAL);
}

SH_TEST(test_parse_skips_unknown_lines_and_keeps_order) {
    static const char text[] =
        "55555554000-55555555000 r--p 00000000 08:01 7 /bin/prog\n"
        "garbage\n"
        "555555559000-55555557a000 rw-p 00000000 00:00 0 [heap]\n"
        "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n";
    FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
    shi_map *m;
    size_t n;
    CHECK(shi_maps_parse(f, &m, &n) == 0);
    fclose(f);
    CHECK_EQ(n, 3);
    CHECK(strcmp(m[1].path, "[heap]") == 0);
    CHECK(strcmp(m[2].path, "[stack]") == 0);
    shi_maps_free(m, n);
}

SH_TEST(test_read_own_process_finds_stack) {
    shi_map *m;
    size_t n;
    CHECK(shi_maps_read(getpid(), &m, &n) == 0);
    int stacks = 0;
    uint64_t here = (uint64_t)(uintptr_t)&n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].path, "[stack]") == 0) {
            stacks++;
            CHECK(here >= m[i].start && here < m[i].end);
        }
    CHECK_EQ(stacks, 1);
    shi_maps_free(m, n);
}

SH_TEST(test_no_such_process_is_esrch) {
    shi_map *m;
    size_t n;
    errno = 0;
    CHECK(shi_maps_read(0x7ffffff0, &m, &n) == -1);
    CHECK_EQ(errno, ESRCH);
    shi_layout l;
    errno = 0;
    CHECK(shi_layout_read(0x7ffffff0, &l) == -1);
    CHECK_EQ(errno, ESRCH);
}

SH_TEST(test_layout_names_own_regions) {
    shi_layout l;
    CHECK(shi_layout_read(getpid(), &l) == 0);
    const shi_region *st = shi_layout_find(&l, "[stack]");
    CHECK(st != NULL && st->kind == SHI_REGION_STACK);
    bool code = false;
    uint64_t fn = (uint64_t)(uintptr_t)&test_layout_names_own_regions;
    for (size_t i = 0; i < l.count; i++)
        if (fn >= l.regions[i].start && fn < l.regions[i].end)
            code = l.regions[i].kind == SHI_REGION_CODE;
    CHECK(code);
    CHECK(strcmp(shi_region_kind_name(SHI_REGION_HEAP), "heap") == 0);
    shi_layout_free(&l);
}

int main(void) { return sh_test_main(); }
