/*
 * tests/trace/test_proc.c — process control: tiny C programs are compiled at test time and
 * run under the tracer. Every test ends by checking that no child is left behind.
 */
#define _GNU_SOURCE
#include "check.h"
#include "trace/proc/proc.h"
#include "programs.h"

#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* ---- helpers ----------------------------------------------------------------------------- */

/* cc -g -O0 and the test's own flags (-pthread) */
static const char *compile(const char *name, const char *src, const char *flags) {
    char cflags[256];
    snprintf(cflags, sizeof cflags, "-O0 %s", flags ? flags : "");
    return compile_program(name, src, cflags);
}

static shi_proc *spawn(const char *exe, bool capture) {
    char err[256] = "";
    char *argv[] = {(char *)exe, NULL};
    shi_proc *p = shi_proc_spawn(argv, &(shi_spawn_opts){.capture_output = capture}, err, sizeof err);
    if (!p) fprintf(stderr, "spawn: %s\n", err);
    CHECK(p != NULL);
    return p;
}

static void run_to_exit(shi_proc *p, int code) {
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0);
    CHECK_EQ(st.kind, SHI_STOP_EXITED);
    CHECK_EQ(st.exit_code, code);
    CHECK(!shi_proc_alive(p));
}

static void exe_range(shi_proc *p, uint64_t *start, uint64_t *end) {
    shi_module *m;
    size_t n;
    CHECK(shi_proc_modules(p, &m, &n) == 0);
    CHECK(n > 0 && m[0].is_exe);
    *start = m[0].start;
    *end = m[0].end;
    shi_modules_free(m, n);
}

/* ---- running ----------------------------------------------------------------------------- */

SH_TEST(test_exit_code_is_reported) {
    const char *exe = compile("exit3", "int main(void) { return 3; }\n", NULL);
    shi_proc *p = spawn(exe, false);
    CHECK(shi_proc_alive(p));
    run_to_exit(p, 3);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == -1);   /* nothing left to continue */
    CHECK_EQ(st.kind, SHI_STOP_ERROR);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_free_kills_a_running_tracee) {
    const char *exe = compile("loop", "int main(void) { for (;;) {} }\n", NULL);
    shi_proc *p = spawn(exe, false);
    shi_proc_free(p);   /* stopped at exec, never continued: killed and reaped */
    cleanup();
}

SH_TEST(test_aslr_off_addresses_repeat) {
    const char *exe = compile("addrs",
        "#include <stdio.h>\n#include <stdlib.h>\n"
        "int main(void) { int x = 1; void *b = malloc(32);\n"
        "  printf(\"%p %p\\n\", (void *)&x, b); free(b); return 0; }\n", NULL);
    char *out[2];
    for (int i = 0; i < 2; i++) {
        shi_proc *p = spawn(exe, true);
        run_to_exit(p, 0);
        out[i] = shi_proc_take_output(p, 1, NULL);
        CHECK(out[i] != NULL);
        shi_proc_free(p);
    }
    CHECK(strlen(out[0]) > 10);
    if (strcmp(out[0], out[1]) != 0) fprintf(stderr, "%s%s", out[0], out[1]);
    CHECK(strcmp(out[0], out[1]) == 0);
    free(out[0]);
    free(out[1]);
    cleanup();
}

/* ---- breakpoints, memory, registers ------------------------------------------------------ */

SH_TEST(test_breakpoint_at_main_is_hit_once) {
    const char *exe = compile("bpmain",
        "static int twice(int x) { return 2 * x; }\n"
        "int main(void) { return twice(2) - 4; }\n", NULL);
    shi_proc *p = spawn(exe, false);
    uint64_t main_addr = shi_proc_symbol(p, NULL, "main"), start, end, bias;
    CHECK(main_addr != 0);
    exe_range(p, &start, &end);
    CHECK(main_addr >= start && main_addr < end);
    CHECK(shi_proc_exe_bias(p, &bias) == 0);
    CHECK(bias == start);   /* a PIE's first page is its file offset 0, vaddr 0 */
    CHECK(shi_proc_break(p, main_addr) == 0);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0);
    CHECK_EQ(st.kind, SHI_STOP_BREAKPOINT);
    CHECK(st.addr == main_addr && st.rip == main_addr);
    struct user_regs_struct r;
    CHECK(shi_proc_get_regs(p, &r) == 0);
    CHECK(r.rip == main_addr);   /* rewound onto the replaced instruction */
    unsigned char code;
    CHECK(shi_proc_read(p, main_addr, &code, 1) == 0);
    CHECK(code != 0xcc);         /* the program's byte, not ours */
    run_to_exit(p, 0);           /* the original instruction ran correctly */
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_single_step_moves_one_instruction) {
    const char *exe = compile("step", "int main(void) { return 5; }\n", NULL);
    shi_proc *p = spawn(exe, false);
    uint64_t main_addr = shi_proc_symbol(p, NULL, "main");
    CHECK(shi_proc_break(p, main_addr) == 0);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_BREAKPOINT);
    CHECK(shi_proc_step(p, &st) == 0);   /* steps over the breakpoint's own instruction */
    CHECK_EQ(st.kind, SHI_STOP_STEP);
    CHECK(st.rip > main_addr && st.rip < main_addr + 16);
    uint64_t prev = st.rip;
    CHECK(shi_proc_step(p, &st) == 0);
    CHECK_EQ(st.kind, SHI_STOP_STEP);
    CHECK(st.rip != prev);
    run_to_exit(p, 5);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_variable_read_and_written_at_its_address) {
    const char *exe = compile("var",
        "int counter = 41;\n"
        "void marker(void) {}\n"
        "int main(void) { counter++; marker(); return counter; }\n", NULL);
    shi_proc *p = spawn(exe, false);
    uint64_t marker = shi_proc_symbol(p, NULL, "marker");
    uint64_t counter = shi_proc_symbol(p, NULL, "counter");
    CHECK(marker && counter);
    CHECK(shi_proc_break(p, marker) == 0);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_BREAKPOINT && st.addr == marker);
    int v = 0;
    CHECK(shi_proc_read(p, counter, &v, sizeof v) == 0);
    CHECK_EQ(v, 42);
    /* the return address is at [rsp] on entry: main's code */
    struct user_regs_struct r;
    CHECK(shi_proc_get_regs(p, &r) == 0);
    uint64_t ra, sp, start, end;
    CHECK(shi_proc_read_u64(p, r.rsp, &ra) == 0);
    exe_range(p, &start, &end);
    CHECK(ra >= start && ra < end);
    CHECK(shi_regs_dwarf_get(&r, 7, &sp) == 0 && sp == r.rsp);
    v = 7;
    CHECK(shi_proc_write(p, counter, &v, sizeof v) == 0);
    CHECK(shi_proc_read(p, 0, &v, sizeof v) == -1);   /* page 0 is not mapped */
    CHECK(shi_proc_unbreak(p, marker) == 0);
    CHECK(shi_proc_unbreak(p, marker) == -1 && errno == ENOENT);
    run_to_exit(p, 7);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_writing_code_under_a_breakpoint_keeps_it) {
    const char *exe = compile("patch", "void marker(void) {}\nint main(void) { marker(); return 0; }\n", NULL);
    shi_proc *p = spawn(exe, false);
    uint64_t marker = shi_proc_symbol(p, NULL, "marker");
    CHECK(shi_proc_break(p, marker) == 0);
    unsigned char orig[4], back[4];
    CHECK(shi_proc_read(p, marker, orig, 4) == 0);
    CHECK(shi_proc_write(p, marker, orig, 4) == 0);   /* same bytes: the int3 must stay */
    CHECK(shi_proc_read(p, marker, back, 4) == 0);
    CHECK(memcmp(orig, back, 4) == 0);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_BREAKPOINT);
    run_to_exit(p, 0);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_dwarf_register_numbers) {
    struct user_regs_struct r;
    memset(&r, 0, sizeof r);
    r.rax = 10; r.rdx = 11; r.rcx = 12; r.rbx = 13; r.rsi = 14; r.rdi = 15; r.rbp = 16;
    r.rsp = 17; r.r8 = 18; r.r15 = 25; r.rip = 26;
    const uint64_t want[] = {10, 11, 12, 13, 14, 15, 16, 17, 18};
    uint64_t v;
    for (int i = 0; i < 9; i++) { CHECK(shi_regs_dwarf_get(&r, i, &v) == 0); CHECK_EQ(v, want[i]); }
    CHECK(shi_regs_dwarf_get(&r, 15, &v) == 0 && v == 25);
    CHECK(shi_regs_dwarf_get(&r, 16, &v) == 0 && v == 26);
    CHECK(shi_regs_dwarf_get(&r, 17, &v) == -1 && errno == EINVAL);
    CHECK(shi_regs_dwarf_set(&r, 6, 99) == 0 && r.rbp == 99);
}

/* ---- libraries, limits ------------------------------------------------------------------- */

SH_TEST(test_libc_is_found_after_the_entry_point) {
    const char *exe = compile("libs", "int main(void) { return 0; }\n", NULL);
    shi_proc *p = spawn(exe, false);
    CHECK(shi_proc_symbol(p, "libc.so", "malloc") == 0);   /* only ld.so so far */
    shi_stop st;
    CHECK(shi_proc_run_to_entry(p, &st) == 0);
    shi_module *m;
    size_t n;
    CHECK(shi_proc_modules(p, &m, &n) == 0);
    const shi_module *libc = NULL;
    for (size_t i = 0; i < n; i++)
        if (strstr(m[i].path, "/libc.so")) libc = &m[i];
    CHECK(libc != NULL);
    uint64_t malloc_addr = shi_proc_symbol(p, "libc.so", "malloc");
    CHECK(malloc_addr > libc->start && malloc_addr < libc->end);
    shi_modules_free(m, n);
    shi_map *maps;
    CHECK(shi_proc_maps(p, &maps, &n) == 0);
    bool stack = false;
    for (size_t i = 0; i < n; i++) stack |= strcmp(maps[i].path, "[stack]") == 0;
    CHECK(stack);
    shi_maps_free(maps, n);
    run_to_exit(p, 0);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_stack_limit_is_the_tracees) {
    const char *exe = compile("limit", "int main(void) { return 0; }\n", NULL);
    struct rlimit rl = {8 << 20, RLIM_INFINITY};
    getrlimit(RLIMIT_STACK, &rl);
    rl.rlim_cur = 8 << 20;   /* the tracee inherits it */
    CHECK(setrlimit(RLIMIT_STACK, &rl) == 0);
    shi_proc *p = spawn(exe, false);
    uint64_t limit = 0;
    CHECK(shi_proc_stack_limit(p, &limit) == 0);
    CHECK(limit == 8u << 20);
    shi_proc_free(p);
    cleanup();
}

/* ---- heap -------------------------------------------------------------------------------- */

/* The program's own calls only: the runtime's (stdio buffers) are someone else's. */
static size_t user_events(shi_proc *p, shi_heap_event *all, size_t n) {
    uint64_t start, end;
    exe_range(p, &start, &end);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].caller >= start && all[i].caller < end) all[k++] = all[i];
    return k;
}

SH_TEST(test_heap_events_are_exactly_the_programs_calls) {
    const char *exe = compile("heap",
        "#include <stdlib.h>\n"
        "int main(void) {\n"
        "  char *a = malloc(10);\n"
        "  int *b = calloc(3, 4);\n"
        "  a = realloc(a, 100);\n"
        "  free(a);\n"
        "  free(b);\n"
        "  free(NULL);\n"
        "  return 0;\n"
        "}\n", NULL);
    shi_proc *p = spawn(exe, false);
    CHECK(shi_proc_watch_heap(p) == 0);
    uint64_t start, end;
    exe_range(p, &start, &end);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0);
    CHECK_EQ(st.kind, SHI_STOP_EXITED);
    shi_heap_event *ev;
    size_t n = shi_proc_take_heap_events(p, &ev);
    /* the events are read from a process that is gone: judge them against its exe range */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].caller >= start && ev[i].caller < end) ev[k++] = ev[i];
    for (size_t i = 0; i < k; i++)
        fprintf(stderr, "event %d size %llu ptr %#llx old %#llx\n", ev[i].kind,
                (unsigned long long)ev[i].size, (unsigned long long)ev[i].ptr,
                (unsigned long long)ev[i].old_ptr);
    CHECK_EQ(k, 5);
    CHECK(ev[0].kind == SHI_HEAP_MALLOC && ev[0].size == 10 && ev[0].ptr != 0);
    CHECK(ev[1].kind == SHI_HEAP_CALLOC && ev[1].size == 12 && ev[1].ptr != 0);
    CHECK(ev[2].kind == SHI_HEAP_REALLOC && ev[2].size == 100 && ev[2].old_ptr == ev[0].ptr);
    CHECK(ev[3].kind == SHI_HEAP_FREE && ev[3].ptr == ev[2].ptr);
    CHECK(ev[4].kind == SHI_HEAP_FREE && ev[4].ptr == ev[1].ptr);
    free(ev);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_heap_events_come_with_breakpoint_stops) {
    const char *exe = compile("heapbp",
        "#include <stdlib.h>\n#include <string.h>\n"
        "void marker(void) {}\n"
        "int main(void) { char *s = strdup(\"hello\"); marker(); free(s); marker(); return 0; }\n",
        NULL);
    shi_proc *p = spawn(exe, false);
    CHECK(shi_proc_watch_heap(p) == 0);
    CHECK(shi_proc_break(p, shi_proc_symbol(p, NULL, "marker")) == 0);
    shi_stop st;
    shi_heap_event *ev;
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_BREAKPOINT);
    size_t n = shi_proc_take_heap_events(p, &ev);
    /* strdup is libc's own caller of malloc: the call comes from libc, size 6 */
    bool found = false;
    uint64_t block = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == SHI_HEAP_MALLOC && ev[i].size == 6) { found = true; block = ev[i].ptr; }
    CHECK(found);
    char text[6];
    CHECK(shi_proc_read(p, block, text, 6) == 0);
    CHECK(strcmp(text, "hello") == 0);
    free(ev);
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_BREAKPOINT);
    n = shi_proc_take_heap_events(p, &ev);
    n = user_events(p, ev, n);
    CHECK_EQ(n, 1);
    CHECK(ev[0].kind == SHI_HEAP_FREE && ev[0].ptr == block);
    free(ev);
    run_to_exit(p, 0);
    shi_proc_free(p);
    cleanup();
}

/* With shi_proc_report_heap_calls, each allocating call's entry is a stop of its own, on
 * the thread that made it, and the tag it is answered with comes back on its event: how
 * the tracer tells whose a block is without this layer calling back into it. */
SH_TEST(test_heap_call_entries_are_stops_answered_with_a_tag) {
    const char *exe = compile("heapcall",
        "#include <pthread.h>\n#include <stdlib.h>\n"
        "static void *work(void *arg) { (void)arg; void *q = malloc(77); free(q); return NULL; }\n"
        "int main(void) {\n"
        "  void *a = malloc(10);\n"
        "  pthread_t t;\n"
        "  pthread_create(&t, NULL, work, NULL);\n"
        "  pthread_join(t, NULL);\n"
        "  free(a);\n"
        "  return 0;\n"
        "}\n", "-pthread");
    shi_proc *p = spawn(exe, false);
    CHECK(shi_proc_watch_heap(p) == 0);
    shi_proc_report_heap_calls(p);
    uint64_t start, end;
    exe_range(p, &start, &end);
    shi_stop st;
    int stops = 0, thread_stops = 0;
    for (;;) {
        CHECK(shi_proc_cont(p, &st) == 0);
        if (st.kind != SHI_STOP_HEAP_CALL) break;
        const shi_heap_event *c = shi_proc_heap_call(p);
        if (c->caller >= start && c->caller < end) {
            stops++;
            thread_stops += c->tid != shi_proc_pid(p);
            /* stopped at the entry: the size is still in rdi, the stack is readable */
            uint64_t ret;
            CHECK(shi_proc_read(p, c->regs.rsp, &ret, sizeof ret) == 0 && ret == c->caller);
            shi_proc_heap_answer(p, 1000 + c->regs.rdi);
        }
    }
    CHECK_EQ(st.kind, SHI_STOP_EXITED);
    CHECK_EQ(stops, 2);
    CHECK_EQ(thread_stops, 1);
    shi_heap_event *ev;
    size_t n = shi_proc_take_heap_events(p, &ev);
    int tagged = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].caller < start || ev[i].caller >= end || ev[i].kind != SHI_HEAP_MALLOC) continue;
        CHECK_EQ(ev[i].tag, 1000 + ev[i].size);
        tagged++;
    }
    CHECK_EQ(tagged, 2);
    free(ev);
    shi_proc_free(p);
    cleanup();
}

/* ---- signals, output, errors ------------------------------------------------------------- */

SH_TEST(test_segfault_reports_signal_and_address) {
    const char *exe = compile("segv",
        "int main(void) { int *volatile p = (int *)0x10; *p = 1; return 0; }\n", NULL);
    shi_proc *p = spawn(exe, false);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0);
    CHECK_EQ(st.kind, SHI_STOP_SIGNAL);
    CHECK_EQ(st.signal, SIGSEGV);
    CHECK(st.fault_addr == 0x10);
    uint64_t start, end;
    exe_range(p, &start, &end);
    CHECK(st.rip >= start && st.rip < end);   /* in main */
    CHECK(shi_proc_cont(p, &st) == 0);        /* the signal is delivered: it dies of it */
    CHECK_EQ(st.kind, SHI_STOP_KILLED);
    CHECK_EQ(st.signal, SIGSEGV);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_output_is_captured_per_stream) {
    const char *exe = compile("out",
        "#include <stdio.h>\n"
        "int main(void) { printf(\"hello out\\n\"); fprintf(stderr, \"oops\\n\"); return 0; }\n",
        NULL);
    shi_proc *p = spawn(exe, true);
    CHECK(shi_proc_take_output(p, 1, NULL) == NULL);
    run_to_exit(p, 0);
    size_t len = 0;
    char *out = shi_proc_take_output(p, 1, &len);
    char *err = shi_proc_take_output(p, 2, NULL);
    CHECK(out && strcmp(out, "hello out\n") == 0 && len == 10);
    CHECK(err && strcmp(err, "oops\n") == 0);
    CHECK(shi_proc_take_output(p, 1, NULL) == NULL);   /* taken once */
    free(out);
    free(err);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_output_larger_than_a_pipe_does_not_block) {
    const char *exe = compile("big",
        "#include <stdio.h>\n"
        "int main(void) { for (int i = 0; i < 100000; i++) printf(\"line %6d\\n\", i); return 0; }\n",
        NULL);
    shi_proc *p = spawn(exe, true);
    run_to_exit(p, 0);
    size_t len = 0;
    char *out = shi_proc_take_output(p, 1, &len);
    CHECK(out && len == 100000 * 12);
    free(out);
    shi_proc_free(p);
    cleanup();
}

/* stdout is a terminal: C stdio flushes each line, so it is there at the next stop. */
SH_TEST(test_output_line_arrives_at_the_stop_after_its_printf) {
    const char *exe = compile("lines",
        "#include <stdio.h>\n"
        "void marker(void) {}\n"
        "int main(void) {\n"
        "  printf(\"first %d\\n\", 1); marker();\n"
        "  printf(\"second\\n\"); printf(\"no newline\"); marker();\n"
        "  printf(\" yet\\n\"); return 0;\n"
        "}\n", NULL);
    shi_proc *p = spawn(exe, true);
    CHECK(shi_proc_break(p, shi_proc_symbol(p, NULL, "marker")) == 0);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_BREAKPOINT);
    size_t len = 0;
    char *out = shi_proc_take_output(p, 1, &len);
    CHECK(out && strcmp(out, "first 1\n") == 0 && len == 8);   /* no "\r" added */
    free(out);
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_BREAKPOINT);
    out = shi_proc_take_output(p, 1, NULL);
    CHECK(out && strcmp(out, "second\n") == 0);   /* a line without its "\n" waits */
    free(out);
    run_to_exit(p, 0);
    out = shi_proc_take_output(p, 1, NULL);
    CHECK(out && strcmp(out, "no newline yet\n") == 0);
    free(out);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_stdout_is_a_raw_terminal_and_stderr_a_pipe) {
    const char *exe = compile("isatty",
        "#include <stdio.h>\n#include <termios.h>\n#include <unistd.h>\n"
        "int main(void) {\n"
        "  struct termios t;\n"
        "  if (!isatty(1) || isatty(2) || tcgetattr(1, &t) != 0) return 1;\n"
        "  if ((t.c_oflag & OPOST) || (t.c_lflag & ECHO)) return 2;\n"
        "  fputs(\"a\\r\\nb\\n\\tc\\n\", stdout); return 0;\n"
        "}\n", NULL);
    shi_proc *p = spawn(exe, true);
    run_to_exit(p, 0);
    char *out = shi_proc_take_output(p, 1, NULL);
    CHECK(out && strcmp(out, "a\r\nb\n\tc\n") == 0);   /* the bytes as written */
    free(out);
    shi_proc_free(p);
    cleanup();
}

/* 1 MiB in one write(2) and _exit right after: most of it is still in the terminal's
 * buffers when the program is gone, and must be read from there, byte for byte. */
SH_TEST(test_a_megabyte_written_just_before_exit_is_not_lost) {
    const char *exe = compile("mega",
        "#include <stdlib.h>\n#include <unistd.h>\n"
        "int main(void) {\n"
        "  size_t n = 1 << 20; char *b = malloc(n);\n"
        "  for (size_t i = 0; i < n; i++) b[i] = (char)('a' + i % 26);\n"
        "  for (size_t off = 0; off < n;) { ssize_t w = write(1, b + off, n - off);\n"
        "    if (w <= 0) _exit(9); off += (size_t)w; }\n"
        "  write(2, \"done\\n\", 5);\n"
        "  _exit(0);\n"
        "}\n", NULL);
    for (int round = 0; round < 3; round++) {
        shi_proc *p = spawn(exe, true);
        run_to_exit(p, 0);
        size_t len = 0;
        char *out = shi_proc_take_output(p, 1, &len);
        CHECK(out != NULL);
        CHECK_EQ(len, (size_t)1 << 20);
        size_t bad = 0;
        for (size_t i = 0; i < len; i++) bad += out[i] != (char)('a' + i % 26);
        CHECK_EQ(bad, 0);
        free(out);
        char *err = shi_proc_take_output(p, 2, NULL);
        CHECK(err && strcmp(err, "done\n") == 0);
        free(err);
        shi_proc_free(p);
    }
    cleanup();
}

/* A megabyte of printf lines with a stop after each 4096th: nothing lost or doubled. */
SH_TEST(test_a_megabyte_of_lines_taken_at_stops_is_complete) {
    const char *exe = compile("megalines",
        "#include <stdio.h>\n"
        "void marker(void) {}\n"
        "int main(void) {\n"
        "  for (int i = 0; i < 65536; i++) { printf(\"%015d\\n\", i); if (i % 4096 == 0) marker(); }\n"
        "  return 0;\n"
        "}\n", NULL);
    shi_proc *p = spawn(exe, true);
    CHECK(shi_proc_break(p, shi_proc_symbol(p, NULL, "marker")) == 0);
    size_t total = 0, cap = (size_t)1 << 20, stops = 0;
    char *all = malloc(cap + 1);
    CHECK(all != NULL);
    shi_stop st;
    for (;;) {
        CHECK(shi_proc_cont(p, &st) == 0);
        size_t len = 0;
        char *out = shi_proc_take_output(p, 1, &len);
        if (out) {
            CHECK(total + len <= cap);
            memcpy(all + total, out, len);
            total += len;
            free(out);
        }
        if (st.kind != SHI_STOP_BREAKPOINT) break;
        /* at the stop after line i, the last line taken is line i */
        CHECK(total >= 16 && all[total - 1] == '\n');
        CHECK_EQ(strtol(all + total - 16, NULL, 10), (long)(stops * 4096));
        stops++;
    }
    CHECK_EQ(st.kind, SHI_STOP_EXITED);
    CHECK_EQ(stops, 16);
    CHECK_EQ(total, cap);
    all[total] = 0;
    for (size_t i = 0; i < 65536; i++) CHECK_EQ(strtol(all + 16 * i, NULL, 10), (long)i);
    free(all);
    shi_proc_free(p);
    cleanup();
}

/* The tracer's --stdin with captured output: the file in, the terminal out. */
SH_TEST(test_stdin_from_a_file_with_output_captured) {
    const char *exe = compile("upper",
        "#include <ctype.h>\n#include <stdio.h>\n"
        "int main(void) { int c; while ((c = getchar()) != EOF) putchar(toupper(c)); return 0; }\n",
        NULL);
    char in[256], err[256] = "";
    snprintf(in, sizeof in, "%s/upper.txt", workdir());
    FILE *f = fopen(in, "w");
    CHECK(f != NULL);
    fputs("abc\ndef\n", f);
    fclose(f);
    char *argv[] = {(char *)exe, NULL};
    shi_proc *p = shi_proc_spawn(argv, &(shi_spawn_opts){.stdin_path = in, .capture_output = true},
                                 err, sizeof err);
    CHECK(p != NULL);
    run_to_exit(p, 0);
    char *out = shi_proc_take_output(p, 1, NULL);
    CHECK(out && strcmp(out, "ABC\nDEF\n") == 0);
    free(out);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_stdin_comes_from_a_file) {
    const char *exe = compile("cat",
        "#include <stdio.h>\n"
        "int main(void) { int c, n = 0; while ((c = getchar()) != EOF) n++; return n; }\n", NULL);
    char in[256];
    snprintf(in, sizeof in, "%s/input.txt", workdir());
    FILE *f = fopen(in, "w");
    CHECK(f != NULL);
    fputs("12345", f);
    fclose(f);
    char err[256];
    char *argv[] = {(char *)exe, NULL};
    shi_proc *p = shi_proc_spawn(argv, &(shi_spawn_opts){.stdin_path = in}, err, sizeof err);
    CHECK(p != NULL);
    run_to_exit(p, 5);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_missing_program_gives_a_clear_error) {
    char err[256] = "";
    char *argv[] = {"/nonexistent/prog", NULL};
    CHECK(shi_proc_spawn(argv, NULL, err, sizeof err) == NULL);
    CHECK(strcmp(err, "/nonexistent/prog: no such file or directory") == 0);
    char *argv2[] = {"sh-no-such-command", NULL};
    CHECK(shi_proc_spawn(argv2, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "sh-no-such-command: command not found") == err);
    cleanup();
}

SH_TEST(test_not_executable_gives_a_clear_error) {
    char path[256], err[256] = "";
    snprintf(path, sizeof path, "%s/data.txt", workdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("not a program\n", f);
    fclose(f);
    chmod(path, 0644);
    char *argv[] = {path, NULL};
    CHECK(shi_proc_spawn(argv, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, path) == err && strstr(err, "not executable"));
    char *argv2[] = {"/bin/true", NULL};
    shi_spawn_opts o = {.stdin_path = "/nonexistent/input"};
    CHECK(shi_proc_spawn(argv2, &o, err, sizeof err) == NULL);
    CHECK(strstr(err, "/nonexistent/input: cannot open") == err);
    cleanup();
}

SH_TEST(test_spawn_failure_sets_errno) {
    char err[256] = "", path[256];
    char *argv[] = {"/nonexistent/prog", NULL};
    errno = 0;
    CHECK(shi_proc_spawn(argv, NULL, err, sizeof err) == NULL && errno == ENOENT);
    snprintf(path, sizeof path, "%s/plain.txt", workdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("text\n", f);
    fclose(f);
    chmod(path, 0644);
    char *argv2[] = {path, NULL};
    errno = 0;
    CHECK(shi_proc_spawn(argv2, NULL, err, sizeof err) == NULL && errno == EACCES);
    cleanup();
}

/* ---- the exit stop ----------------------------------------------------------------------- */

SH_TEST(test_exit_stop_comes_before_the_end_with_memory_readable) {
    const char *exe = compile("atexit",
        "#include <stdlib.h>\n"
        "int late = 1;\n"
        "int main(void) { void *b = malloc(100000); (void)b; late = 99; exit(3); }\n", NULL);
    char err[256];
    char *argv[] = {(char *)exe, NULL};
    shi_proc *p = shi_proc_spawn(argv, &(shi_spawn_opts){.stop_at_exit = true}, err, sizeof err);
    CHECK(p != NULL);
    uint64_t late = shi_proc_symbol(p, NULL, "late");
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0);
    CHECK_EQ(st.kind, SHI_STOP_EXITING);
    CHECK_EQ(st.exit_code, 3);
    CHECK(shi_proc_alive(p));
    int v = 0;
    CHECK(shi_proc_read(p, late, &v, sizeof v) == 0 && v == 99);
    shi_map *maps;
    size_t n;
    CHECK(shi_proc_maps(p, &maps, &n) == 0);
    bool heap = false;
    for (size_t i = 0; i < n; i++) heap |= strcmp(maps[i].path, "[heap]") == 0;
    CHECK(heap);
    shi_maps_free(maps, n);
    run_to_exit(p, 3);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_exit_stop_after_a_fatal_signal_and_free_there) {
    const char *exe = compile("segvexit",
        "int main(void) { int *volatile p = (int *)0x10; *p = 1; return 0; }\n", NULL);
    char err[256];
    char *argv[] = {(char *)exe, NULL};
    shi_spawn_opts o = {.stop_at_exit = true};
    shi_proc *p = shi_proc_spawn(argv, &o, err, sizeof err);
    CHECK(p != NULL);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_SIGNAL && st.signal == SIGSEGV);
    CHECK(shi_proc_cont(p, &st) == 0);
    CHECK_EQ(st.kind, SHI_STOP_EXITING);
    CHECK_EQ(st.signal, SIGSEGV);
    CHECK(shi_proc_cont(p, &st) == 0);
    CHECK_EQ(st.kind, SHI_STOP_KILLED);
    shi_proc_free(p);
    /* freed while held in the exit stop: killed and reaped, no hang */
    p = shi_proc_spawn(argv, &o, err, sizeof err);
    CHECK(p != NULL);
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_SIGNAL);
    CHECK(shi_proc_cont(p, &st) == 0 && st.kind == SHI_STOP_EXITING);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_exit_stop_with_threads_is_the_main_threads) {
    const char *exe = compile("threxit",
        "#include <pthread.h>\n"
        "static void *work(void *arg) { return arg; }\n"
        "int main(void) { pthread_t t; pthread_create(&t, 0, work, 0); pthread_join(t, 0); return 6; }\n",
        "-pthread");
    char err[256];
    char *argv[] = {(char *)exe, NULL};
    shi_proc *p = shi_proc_spawn(argv, &(shi_spawn_opts){.stop_at_exit = true}, err, sizeof err);
    CHECK(p != NULL);
    shi_stop st;
    CHECK(shi_proc_cont(p, &st) == 0);
    CHECK_EQ(st.kind, SHI_STOP_EXITING);   /* the thread's own exit is not reported */
    CHECK_EQ(st.exit_code, 6);
    CHECK_EQ(shi_proc_threads(p), 1);
    run_to_exit(p, 6);
    shi_proc_free(p);
    cleanup();
}

/* ---- forks and threads ------------------------------------------------------------------- */

SH_TEST(test_fork_is_reported_and_the_child_runs_free) {
    /* the child calls malloc: it must not run into a copy of our breakpoints */
    const char *exe = compile("forker",
        "#include <stdio.h>\n#include <stdlib.h>\n#include <sys/wait.h>\n#include <unistd.h>\n"
        "int main(void) {\n"
        "  pid_t pid = fork();\n"
        "  if (pid == 0) { char *s = malloc(20); free(s); printf(\"child\\n\"); return 4; }\n"
        "  int st; waitpid(pid, &st, 0);\n"
        "  printf(\"parent\\n\");\n"
        "  return WIFEXITED(st) && WEXITSTATUS(st) == 4 ? 0 : 1;\n"
        "}\n", NULL);
    shi_proc *p = spawn(exe, true);
    CHECK(shi_proc_watch_heap(p) == 0);
    run_to_exit(p, 0);
    CHECK_EQ(shi_proc_forks(p), 1);
    CHECK_EQ(shi_proc_threads(p), 0);
    char *out = shi_proc_take_output(p, 1, NULL);
    CHECK(out && strstr(out, "child\n") && strstr(out, "parent\n"));
    free(out);
    shi_proc_free(p);
    cleanup();
}

SH_TEST(test_threads_are_reported_and_their_heap_calls_counted) {
    const char *exe = compile("threads",
        "#include <pthread.h>\n#include <stdlib.h>\n"
        "static void *work(void *arg) { (void)arg; void *q = malloc(77); free(q); return NULL; }\n"
        "int main(void) {\n"
        "  pthread_t t[2];\n"
        "  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, work, NULL);\n"
        "  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);\n"
        "  return 0;\n"
        "}\n", "-pthread");
    shi_proc *p = spawn(exe, false);
    CHECK(shi_proc_watch_heap(p) == 0);
    uint64_t start, end;
    exe_range(p, &start, &end);
    run_to_exit(p, 0);
    CHECK_EQ(shi_proc_threads(p), 2);
    shi_heap_event *ev;
    size_t n = shi_proc_take_heap_events(p, &ev);
    int mallocs = 0, frees = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].caller < start || ev[i].caller >= end) continue;
        mallocs += ev[i].kind == SHI_HEAP_MALLOC && ev[i].size == 77;
        frees += ev[i].kind == SHI_HEAP_FREE;
    }
    CHECK_EQ(mallocs, 2);
    CHECK_EQ(frees, 2);
    free(ev);
    shi_proc_free(p);
    cleanup();
}

/* Threads in a malloc loop: a return breakpoint one thread releases can be the int3 another
 * thread is already trapping on. That trap is not the program's SIGTRAP (it was delivered
 * and killed the program before), and no call is lost. */
SH_TEST(test_threads_racing_through_malloc_are_not_killed) {
    const char *exe = compile("race",
        "#include <pthread.h>\n#include <stdlib.h>\n"
        "static void *work(void *arg) {\n"
        "  (void)arg;\n"
        "  for (int i = 0; i < 3000; i++) { void *q = malloc(77); free(q); }\n"
        "  return NULL;\n"
        "}\n"
        "int main(void) {\n"
        "  pthread_t t[2];\n"
        "  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, work, NULL);\n"
        "  for (int i = 0; i < 3000; i++) { void *q = malloc(33); free(q); }\n"
        "  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);\n"
        "  return 0;\n"
        "}\n", "-pthread");
    shi_proc *p = spawn(exe, false);
    CHECK(shi_proc_watch_heap(p) == 0);
    run_to_exit(p, 0);
    shi_heap_event *ev;
    size_t n = shi_proc_take_heap_events(p, &ev);
    int m77 = 0, m33 = 0;
    for (size_t i = 0; i < n; i++) {
        m77 += ev[i].kind == SHI_HEAP_MALLOC && ev[i].size == 77;
        m33 += ev[i].kind == SHI_HEAP_MALLOC && ev[i].size == 33;
    }
    CHECK_EQ(m77, 6000);
    CHECK_EQ(m33, 3000);
    free(ev);
    shi_proc_free(p);
    cleanup();
}

int main(void) { return sh_test_main(); }
