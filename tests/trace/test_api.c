/*
 * tests/trace/test_api.c — the public tracer API (include/stackheap/trace.h): every
 * accessor read on traces of small programs whose values are known (checked with gdb
 * when this test was written: big = 40000000000, c = 65 'A', p = {x = 3, y = 4}, arr =
 * {1, 2, 3}, *hp = {x = 10, y = 20} at line 22, v = 5, h = 2.5 in half), the failures a
 * caller can handle (errno and message), the ones it cannot (panics), and two traces at
 * once. It uses the header alone, as a program linking libstackheap-trace.so does.
 */
#define _GNU_SOURCE
#include "check.h"
#include "programs.h"

#include <errno.h>
#include <pthread.h>
#include <stackheap/trace.h>
#include <sys/stat.h>

static const char facts_src[] =
    "#include <stdbool.h>\n"                       /* 1 */
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "\n"
    "struct point { int x; int y; };\n"            /* 5 */
    "static int counter = 7;\n"
    "\n"
    "double half(double v) {\n"
    "    double h = v / 2;\n"                      /* 9 */
    "    return h;\n"
    "}\n"
    "\n"
    "int main(void) {\n"
    "    unsigned long big = 40000000000UL;\n"     /* 14 */
    "    char c = 'A';\n"
    "    bool ok = true;\n"
    "    struct point p = {3, 4};\n"
    "    int arr[3] = {1, 2, 3};\n"
    "    struct point *hp = malloc(sizeof *hp);\n" /* 19 */
    "    hp->x = 10;\n"
    "    hp->y = 20;\n"
    "    double d = half(5.0);\n"                  /* 22 */
    "    int *leak = malloc(16);\n"
    "    free(hp);\n"                              /* 24 */
    "    counter++;\n"
    "    printf(\"done %d\\n\", counter);\n"      /* 26 */
    "    return 3;\n"
    "}\n";

static char facts_exe[256];

static sh_trace *run(const char *exe, const sh_trace_opts *o) {
    char *argv[] = {(char *)exe, NULL}, err[256];
    sh_trace *t = sh_trace_run(argv, o, err, sizeof err);
    if (!t) fprintf(stderr, "trace %s: %s\n", exe, err);
    CHECK(t != NULL);
    return t;
}

static sh_trace *facts(void) {
    if (!facts_exe[0]) strcpy(facts_exe, compile_program("facts", facts_src, "-O0"));
    return run(facts_exe, NULL);
}

/* The first step at `line` whose innermost frame is `fn`. */
static const sh_trace_step *at_line(sh_trace *t, sh_trace_reader *r, int line, const char *fn) {
    for (size_t i = 0; i < sh_trace_nsteps(t); i++) {
        const sh_trace_step *s = sh_trace_reader_step(r, i);
        size_t n = sh_trace_step_nframes(s);
        if (sh_trace_step_line(s) == line && n &&
            !strcmp(sh_trace_frame_function(sh_trace_step_frame(s, n - 1)), fn))
            return s;
    }
    fprintf(stderr, "no step at line %d in %s\n", line, fn);
    CHECK(0);
    return NULL;
}

static const sh_trace_var *var(const sh_trace_step *s, const char *name) {
    const sh_trace_frame *f = sh_trace_step_frame(s, sh_trace_step_nframes(s) - 1);
    for (size_t i = 0; i < sh_trace_frame_nvars(f); i++)
        if (!strcmp(sh_trace_var_name(sh_trace_frame_var(f, i)), name))
            return sh_trace_frame_var(f, i);
    fprintf(stderr, "no variable %s\n", name);
    CHECK(0);
    return NULL;
}

static const sh_trace_value *val(const sh_trace_step *s, const char *name) {
    return sh_trace_var_value(var(s, name));
}

/* The first event of this kind (and of function fn, unless NULL), its step in *ret_step. */
static const sh_trace_event *find_event_of(sh_trace *t, sh_trace_reader *r, sh_trace_ev kind,
                                           const char *fn, const sh_trace_step **ret_step) {
    for (size_t i = 0; i < sh_trace_nsteps(t); i++) {
        const sh_trace_step *s = sh_trace_reader_step(r, i);
        for (size_t k = 0; k < sh_trace_step_nevents(s); k++)
            if (sh_trace_event_kind(sh_trace_step_event(s, k)) == kind &&
                (!fn || (sh_trace_event_function(sh_trace_step_event(s, k)) &&
                        !strcmp(sh_trace_event_function(sh_trace_step_event(s, k)), fn)))) {
                if (ret_step) *ret_step = s;
                return sh_trace_step_event(s, k);
            }
    }
    return NULL;
}

static const sh_trace_event *find_event(sh_trace *t, sh_trace_reader *r, sh_trace_ev kind,
                                        const sh_trace_step **ret_step) {
    return find_event_of(t, r, kind, NULL, ret_step);
}

/* ---- the trace's facts ------------------------------------------------------------------- */

SH_TEST(test_trace_facts) {
    sh_trace *t = facts();
    CHECK(!strcmp(sh_trace_program(t), facts_exe));
    CHECK(!strcmp(sh_trace_language(t), "c"));
    CHECK_EQ(sh_trace_exit_code(t), 3);
    CHECK_EQ(sh_trace_signal(t), 0);
    CHECK_EQ(sh_trace_end_reason(t), SH_TRACE_END_PROGRAM);
    CHECK_EQ(sh_trace_interrupt_signal(t), 0);
    CHECK(!strcmp(sh_trace_opt_level(t), ""));
    CHECK_EQ(sh_trace_forks(t), 0);
    CHECK_EQ(sh_trace_threads(t), 0);
    CHECK_EQ(sh_trace_nleaks(t), 1);                       /* leak = malloc(16) */
    CHECK(strstr(sh_trace_leak(t, 0), "16 bytes") && strstr(sh_trace_leak(t, 0), ":23"));
    CHECK(sh_trace_nsteps(t) >= 19);                       /* a step per line at least */
    sh_trace_free(t);
    sh_trace_free(NULL);
    cleanup();
}

SH_TEST(test_opt_level_forks_and_threads) {
    const char *exe = compile_program("kids",
        "#include <pthread.h>\n#include <unistd.h>\n#include <sys/wait.h>\n"
        "static void *idle(void *a) { return a; }\n"
        "int main(void) {\n"
        "    pthread_t th;\n"
        "    pthread_create(&th, 0, idle, 0);\n"
        "    pthread_join(th, 0);\n"
        "    pid_t pid = fork();\n"
        "    if (pid == 0) _exit(0);\n"
        "    waitpid(pid, 0, 0);\n"
        "    return 0;\n"
        "}\n", "-O1 -pthread");
    sh_trace *t = run(exe, NULL);
    CHECK(!strcmp(sh_trace_opt_level(t), "-O1"));
    CHECK_EQ(sh_trace_forks(t), 1);
    CHECK_EQ(sh_trace_threads(t), 1);
    CHECK_EQ(sh_trace_exit_code(t), 0);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_a_crash_is_the_signal) {
    const char *exe = compile_program("crash",
        "int main(void) {\n    int *p = 0;\n    *p = 1;\n    return 0;\n}\n", "-O0");
    sh_trace *t = run(exe, NULL);
    CHECK_EQ(sh_trace_signal(t), SIGSEGV);
    CHECK_EQ(sh_trace_exit_code(t), -1);
    CHECK_EQ(sh_trace_end_reason(t), SH_TRACE_END_PROGRAM);
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *s;
    const sh_trace_event *e = find_event(t, r, SH_TRACE_EV_SIGNAL, &s);
    CHECK(e);
    CHECK_EQ(sh_trace_step_index(s), sh_trace_nsteps(t) - 1);   /* the last step */
    CHECK_EQ(sh_trace_step_line(s), 3);
    int64_t sig = 0;
    CHECK(sh_trace_event_value(e, &sig) && sig == SIGSEGV);
    size_t len = 0;
    const char *text = sh_trace_event_text(e, &len);
    CHECK(text && !strncmp(text, "SIGSEGV", 7) && len == strlen(text));
    CHECK(sh_trace_event_function(e) == NULL);
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

/* ---- steps, frames, variables ------------------------------------------------------------ */

SH_TEST(test_steps_lines_titles_and_frames) {
    sh_trace *t = facts();
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *s = sh_trace_reader_step(r, 0);
    CHECK_EQ(sh_trace_step_index(s), 0);
    CHECK_EQ(sh_trace_step_line(s), 14);
    CHECK(!strcmp(sh_trace_step_title(s), "main() called"));
    CHECK(strstr(sh_trace_step_file(s), "facts.c"));
    s = at_line(t, r, 9, "half");
    CHECK(!strcmp(sh_trace_step_title(s), "half() called"));
    CHECK_EQ(sh_trace_step_nframes(s), 2);
    CHECK_EQ(sh_trace_step_depth(s), 2);
    const sh_trace_frame *m = sh_trace_step_frame(s, 0), *h = sh_trace_step_frame(s, 1);
    CHECK(!strcmp(sh_trace_frame_function(m), "main"));
    CHECK(!strcmp(sh_trace_frame_function(h), "half"));
    CHECK(strstr(sh_trace_frame_file(h), "facts.c"));
    CHECK_EQ(sh_trace_frame_line(h), 9);
    CHECK_EQ(sh_trace_frame_line(m), 22);                  /* main waits at the call */
    CHECK_EQ(sh_trace_frame_nvars(m), 8);                  /* big c ok p arr hp d leak */
    CHECK_EQ(sh_trace_frame_nvars(h), 2);                  /* v h */
    const sh_trace_var *v = sh_trace_frame_var(h, 0);
    CHECK(!strcmp(sh_trace_var_name(v), "v"));
    CHECK(!strcmp(sh_trace_var_type(v), "double"));
    CHECK_EQ(sh_trace_var_size(v), 8);
    CHECK(sh_trace_var_is_param(v));
    CHECK(sh_trace_var_addr(v) >= 0x7f0000000000ull);   /* on the stack (ASLR off) */
    CHECK(!sh_trace_var_is_param(sh_trace_frame_var(h, 1)));
    /* the step after `h = v / 2`: h changed, v did not */
    s = at_line(t, r, 10, "half");
    CHECK(sh_trace_var_changed(var(s, "h")));
    CHECK(!sh_trace_var_changed(var(s, "v")));
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_reader_goes_anywhere_and_stops_at_the_end) {
    sh_trace *t = facts();
    sh_trace_reader *r = sh_trace_reader_new(t), *r2 = sh_trace_reader_new(t);
    size_t n = sh_trace_nsteps(t);
    int lines[64];
    CHECK(n < 64);
    for (size_t i = 0; i < n; i++) lines[i] = sh_trace_step_line(sh_trace_reader_step(r, i));
    for (size_t i = n; i-- > 0;)   /* backwards, and a second reader the other way */
        CHECK_EQ(sh_trace_step_line(sh_trace_reader_step(r, i)), lines[i]);
    for (size_t i = 0; i < n; i += 3) {
        CHECK_EQ(sh_trace_step_index(sh_trace_reader_step(r2, i)), i);
        CHECK_EQ(sh_trace_step_line(sh_trace_reader_step(r, n - 1 - i)), lines[n - 1 - i]);
    }
    errno = 0;
    CHECK(sh_trace_reader_step(r, n) == NULL && errno == ERANGE);
    CHECK(sh_trace_reader_step(r, (size_t)-1) == NULL);
    sh_trace_reader_free(r);
    sh_trace_reader_free(r2);
    sh_trace_reader_free(NULL);
    sh_trace_free(t);
    cleanup();
}

/* ---- values ------------------------------------------------------------------------------ */

SH_TEST(test_scalar_values) {
    sh_trace *t = facts();
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *s = at_line(t, r, 22, "main");
    const sh_trace_value *big = val(s, "big"), *c = val(s, "c"), *ok = val(s, "ok");
    CHECK_EQ(sh_trace_value_kind(big), SH_TRACE_UINT);
    CHECK(sh_trace_value_uint(big) == 40000000000ull);
    CHECK_EQ(sh_trace_value_int(big), 40000000000ll);
    CHECK(sh_trace_value_float(big) == 4e10);
    CHECK(!strcmp(sh_trace_value_text(s, big), "40000000000"));
    CHECK(!strcmp(sh_trace_value_type(big), "unsigned long"));
    CHECK_EQ(sh_trace_value_kind(c), SH_TRACE_CHAR);
    CHECK_EQ(sh_trace_value_int(c), 'A');
    CHECK(!strcmp(sh_trace_value_text(s, c), "'A'"));
    CHECK_EQ(sh_trace_value_kind(ok), SH_TRACE_BOOL);
    CHECK_EQ(sh_trace_value_int(ok), 1);
    CHECK(!strcmp(sh_trace_value_text(s, ok), "true"));
    const sh_trace_value *d = val(s, "d");             /* not yet: the lesson's `?` */
    CHECK_EQ(sh_trace_value_kind(d), SH_TRACE_UNINIT);
    CHECK(!strcmp(sh_trace_value_text(s, d), "?"));
    CHECK_EQ(sh_trace_value_int(d), 0);
    s = at_line(t, r, 10, "half");
    const sh_trace_value *h = val(s, "h");
    CHECK_EQ(sh_trace_value_kind(h), SH_TRACE_FLOAT);
    CHECK(sh_trace_value_float(h) == 2.5);
    CHECK_EQ(sh_trace_value_int(h), 2);
    CHECK(!strcmp(sh_trace_value_text(s, h), "2.5"));
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_struct_and_array_values) {
    sh_trace *t = facts();
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *s = at_line(t, r, 22, "main");
    const sh_trace_value *p = val(s, "p"), *arr = val(s, "arr");
    CHECK_EQ(sh_trace_value_kind(p), SH_TRACE_STRUCT);
    CHECK_EQ(sh_trace_value_nfields(p), 2);
    CHECK(!strcmp(sh_trace_value_field_name(p, 0), "x"));
    CHECK(!strcmp(sh_trace_value_field_name(p, 1), "y"));
    CHECK_EQ(sh_trace_value_int(sh_trace_value_field(p, 0)), 3);
    CHECK_EQ(sh_trace_value_int(sh_trace_value_field(p, 1)), 4);
    CHECK(!strcmp(sh_trace_value_text(s, p), "{x: 3, y: 4}"));
    CHECK(!strcmp(sh_trace_value_type(p), "struct point"));
    CHECK_EQ(sh_trace_value_kind(arr), SH_TRACE_ARRAY);
    CHECK_EQ(sh_trace_value_nfields(arr), 3);
    CHECK_EQ(sh_trace_value_truncated(arr), 0);
    for (size_t i = 0; i < 3; i++) {
        CHECK(sh_trace_value_field_name(arr, i) == NULL);
        CHECK_EQ(sh_trace_value_int(sh_trace_value_field(arr, i)), (int)i + 1);
    }
    CHECK(!strcmp(sh_trace_value_text(s, arr), "{1, 2, 3}"));   /* C's braces */
    CHECK_EQ(sh_trace_value_nfields(val(s, "big")), 0);
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_long_array_is_truncated) {
    const char *exe = compile_program("long_array",
        "int main(void) {\n    int a[1000] = {0};\n    a[999] = 1;\n    return a[999] - 1;\n}\n",
        "-O0");
    sh_trace *t = run(exe, NULL);
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *s = at_line(t, r, 3, "main");
    const sh_trace_value *a = val(s, "a");
    CHECK_EQ(sh_trace_value_kind(a), SH_TRACE_ARRAY);
    CHECK(sh_trace_value_truncated(a) > 0);
    CHECK_EQ(sh_trace_value_nfields(a) + sh_trace_value_truncated(a), 1000);
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_pointer_and_its_block) {
    sh_trace *t = facts();
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *s = at_line(t, r, 22, "main");   /* hp->x, hp->y written */
    const sh_trace_value *hp = val(s, "hp");
    CHECK_EQ(sh_trace_value_kind(hp), SH_TRACE_POINTER);
    CHECK_EQ(sh_trace_step_nblocks(s), 1);
    const sh_trace_block *b = sh_trace_value_target(s, hp);
    CHECK(b == sh_trace_step_block(s, 0));
    CHECK(sh_trace_value_addr(hp) == sh_trace_block_addr(b));
    CHECK_EQ(sh_trace_block_id(b), 1);
    CHECK_EQ(sh_trace_block_size(b), 8);
    CHECK(!strcmp(sh_trace_block_type(b), "struct point"));
    CHECK(sh_trace_block_owner(b) == NULL);             /* C's pointers own nothing */
    CHECK(strstr(sh_trace_block_alloc_file(b), "facts.c"));
    CHECK_EQ(sh_trace_block_alloc_line(b), 19);
    const sh_trace_value *bv = sh_trace_block_value(b);
    CHECK_EQ(sh_trace_value_kind(bv), SH_TRACE_STRUCT);
    CHECK(!strcmp(sh_trace_value_text(s, bv), "{x: 10, y: 20}"));
    size_t n = 0;
    const unsigned char *bytes = sh_trace_block_bytes(b, &n);
    int xy[2];
    CHECK(n == 8 && bytes);
    memcpy(xy, bytes, 8);
    CHECK(xy[0] == 10 && xy[1] == 20);
    /* a value that points nowhere in the heap, and one that is no pointer */
    CHECK(sh_trace_value_target(s, val(s, "p")) == NULL);
    CHECK(sh_trace_value_addr(val(s, "p")) == 0);
    CHECK(sh_trace_value_target(s, val(s, "d")) == NULL);
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_statics) {
    sh_trace *t = facts();
    sh_trace_reader *r = sh_trace_reader_new(t);
    int64_t seen[2];
    int lines[2] = {25, 26};   /* before and after counter++ */
    for (int k = 0; k < 2; k++) {
        const sh_trace_step *s = at_line(t, r, lines[k], "main");
        CHECK_EQ(sh_trace_step_nstatics(s), 1);
        const sh_trace_var *v = sh_trace_step_static(s, 0);
        CHECK(!strcmp(sh_trace_var_name(v), "counter"));
        CHECK(!strcmp(sh_trace_var_type(v), "int"));
        CHECK(sh_trace_var_addr(v) != 0);
        seen[k] = sh_trace_value_int(sh_trace_var_value(v));
    }
    CHECK(seen[0] == 7 && seen[1] == 8);
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

/* sh_string / sh_vec / sh_box: the lesson's owned values, with owners and drops. */
SH_TEST(test_owned_values_and_drops) {
    char exe[512];
    snprintf(exe, sizeof exe, "%s/lesson/heap_types", getenv("SH_BINARY_DIR"));
    sh_trace *t = run(exe, NULL);
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *s = at_line(t, r, 31, "main");   /* the printf: all three made */
    const sh_trace_value *numbers = val(s, "numbers");
    CHECK_EQ(sh_trace_value_kind(numbers), SH_TRACE_OWNED);
    CHECK_EQ(sh_trace_value_len(numbers), 3);
    CHECK_EQ(sh_trace_value_cap(numbers), 4);
    CHECK(!strcmp(sh_trace_value_text(s, numbers), "{ptr, len 3, cap 4}"));
    const sh_trace_block *b = sh_trace_value_target(s, numbers);
    CHECK(b && sh_trace_value_addr(numbers) == sh_trace_block_addr(b));
    CHECK(!strcmp(sh_trace_block_owner(b), "numbers"));
    CHECK_EQ(sh_trace_block_size(b), 16);
    const sh_trace_value *elems = sh_trace_block_value(b);
    CHECK(sh_trace_value_nfields(elems) >= 3);
    CHECK_EQ(sh_trace_value_int(sh_trace_value_field(elems, 2)), 3);
    CHECK_EQ(sh_trace_value_len(val(s, "name")), 13);
    CHECK_EQ(sh_trace_value_len(val(s, "boxed")), 0);          /* a box has neither */
    CHECK_EQ(sh_trace_value_len(val(s, "name")) + sh_trace_value_len(sh_trace_block_value(b)), 13);
    const sh_trace_step *ds;
    const sh_trace_event *e = find_event(t, r, SH_TRACE_EV_DROP, &ds);
    CHECK(e && !strcmp(sh_trace_event_function(e), "boxed"));   /* the first to go */
    CHECK(!strcmp(sh_trace_step_title(ds), "drop(boxed)"));
    sh_trace_reader_free(r);
    sh_trace_free(t);
}

/* ---- events ------------------------------------------------------------------------------ */

SH_TEST(test_events) {
    sh_trace *t = facts();
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *s;
    const sh_trace_event *e = find_event(t, r, SH_TRACE_EV_ALLOC, &s);
    CHECK(e);
    CHECK_EQ(sh_trace_event_block_id(e), 1);
    CHECK_EQ(sh_trace_event_size(e), 8);
    CHECK(sh_trace_event_function(e) == NULL && sh_trace_event_text(e, NULL) == NULL);
    e = find_event(t, r, SH_TRACE_EV_FREE, &s);
    CHECK(e && sh_trace_event_block_id(e) == 1);
    CHECK(!strcmp(sh_trace_step_title(s), "free(hp): block #1 freed"));
    e = find_event(t, r, SH_TRACE_EV_CALL, &s);
    CHECK(e && !strcmp(sh_trace_event_function(e), "main"));
    e = find_event_of(t, r, SH_TRACE_EV_CALL, "half", &s);
    CHECK(e && sh_trace_step_line(s) == 9);
    int64_t v = -1;
    CHECK(!sh_trace_event_value(e, &v) && v == 0);
    CHECK_EQ(sh_trace_event_block_id(e), 0);
    CHECK_EQ(sh_trace_event_size(e), 0);
    e = find_event_of(t, r, SH_TRACE_EV_RETURN, "half", &s);
    CHECK(e && !strcmp(sh_trace_event_function(e), "half"));
    CHECK(sh_trace_event_value(e, &v) && v == 2);        /* 2.5, truncated */
    CHECK(!strcmp(sh_trace_step_title(s), "half() returned 2.5"));
    e = find_event(t, r, SH_TRACE_EV_OUTPUT, &s);
    size_t len = 0;
    CHECK(e && sh_trace_event_text(e, &len) && len == 7);
    CHECK(!memcmp(sh_trace_event_text(e, NULL), "done 8\n", 7));
    e = find_event(t, r, SH_TRACE_EV_EXIT, &s);
    CHECK(e && sh_trace_event_value(e, &v) && v == 3);
    CHECK_EQ(sh_trace_step_index(s), sh_trace_nsteps(t) - 1);
    CHECK(find_event(t, r, SH_TRACE_EV_LIMIT, NULL) == NULL);
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

/* ---- options: the step budget, the callback, the interrupt, stdin ------------------------ */

SH_TEST(test_max_steps) {
    (void)facts();   /* builds it */
    sh_trace *t = run(facts_exe, &SH_TRACE_OPTS(.max_steps = 5));
    CHECK_EQ(sh_trace_end_reason(t), SH_TRACE_END_MAX_STEPS);
    CHECK(sh_trace_nsteps(t) <= 6);
    CHECK_EQ(sh_trace_exit_code(t), -1);
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_event *e = find_event(t, r, SH_TRACE_EV_LIMIT, NULL);
    CHECK(e && sh_trace_event_text(e, NULL));
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

typedef struct seen_steps {
    size_t n;
    int lines[64];
    char titles[64][96];
    char hp_text[64];
    volatile sig_atomic_t *stop;
    size_t stop_at;
} seen_steps;

static void on_step(void *arg, const sh_trace_step *s) {
    seen_steps *w = arg;
    CHECK_EQ(sh_trace_step_index(s), w->n);   /* in order, each once */
    CHECK(w->n < 64);
    w->lines[w->n] = sh_trace_step_line(s);
    snprintf(w->titles[w->n], sizeof w->titles[0], "%s", sh_trace_step_title(s));
    if (sh_trace_step_line(s) == 22 && sh_trace_step_nframes(s) == 1)
        snprintf(w->hp_text, sizeof w->hp_text, "%s",
                 sh_trace_value_text(s, sh_trace_block_value(sh_trace_step_block(s, 0))));
    w->n++;
    if (w->stop && w->n == w->stop_at) *w->stop = SIGINT;
}

SH_TEST(test_on_step_sees_every_step_as_it_comes) {
    (void)facts();
    seen_steps w = {0};
    sh_trace *t = run(facts_exe, &SH_TRACE_OPTS(.on_step = on_step, .on_step_arg = &w));
    CHECK(w.n >= sh_trace_nsteps(t) - 1 && w.n <= sh_trace_nsteps(t));
    sh_trace_reader *r = sh_trace_reader_new(t);
    for (size_t i = 0; i < w.n; i++) {
        const sh_trace_step *s = sh_trace_reader_step(r, i);
        CHECK_EQ(sh_trace_step_line(s), w.lines[i]);
        CHECK(!strcmp(sh_trace_step_title(s), w.titles[i]));
    }
    CHECK(!strcmp(w.hp_text, "{x: 10, y: 20}"));
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_interrupt) {
    (void)facts();
    static volatile sig_atomic_t stop;
    seen_steps w = {.stop = &stop, .stop_at = 4};
    sh_trace *t = run(facts_exe, &SH_TRACE_OPTS(.on_step = on_step, .on_step_arg = &w,
                                                .interrupt = &stop));
    CHECK_EQ(sh_trace_end_reason(t), SH_TRACE_END_INTERRUPTED);
    CHECK_EQ(sh_trace_interrupt_signal(t), SIGINT);
    CHECK(sh_trace_nsteps(t) < 19);
    CHECK_EQ(sh_trace_exit_code(t), -1);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_stdin_and_timeout) {
    const char *exe = compile_program("reads",
        "#include <stdio.h>\nint main(void) {\n    int n = 0;\n    scanf(\"%d\", &n);\n"
        "    return n;\n}\n", "-O0");
    char in[300];
    snprintf(in, sizeof in, "%s/in.txt", workdir());
    FILE *f = fopen(in, "w");
    CHECK(f);
    fputs("42\n", f);
    fclose(f);
    sh_trace *t = run(exe, &SH_TRACE_OPTS(.stdin_path = in, .timeout = 5));
    CHECK_EQ(sh_trace_exit_code(t), 42);
    sh_trace_free(t);
    /* a loop in code without -g reaches no new line: killed after 1 s of CPU time */
    char obj[300], cmd[1200];
    snprintf(obj, sizeof obj, "%s/spin.c", workdir());
    f = fopen(obj, "w");
    CHECK(f);
    fputs("void spin(void) { for (volatile long i = 0;; i++) {} }\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cc -O0 -c -o %s/spin.o %s", workdir(), obj);
    CHECK(system(cmd) == 0);
    char flags[400];
    snprintf(flags, sizeof flags, "-O0 %s/spin.o", workdir());
    exe = compile_program("spins", "void spin(void);\nint main(void) {\n    spin();\n}\n", flags);
    t = run(exe, &SH_TRACE_OPTS(.timeout = 1));
    CHECK_EQ(sh_trace_end_reason(t), SH_TRACE_END_TIMEOUT);
    sh_trace_free(t);
    cleanup();
}

/* ---- failures a caller handles ----------------------------------------------------------- */

static void expect_failure(char *const argv[], const sh_trace_opts *o, int want_errno,
                           const char *want_message) {
    char err[256] = "unchanged";
    errno = 0;
    sh_trace *t = sh_trace_run(argv, o, err, sizeof err);
    int e = errno;
    if (t || e != want_errno || !strstr(err, want_message))
        fprintf(stderr, "%s: got errno %d (%s), message '%s'\n", argv && argv[0] ? argv[0] : "-",
                e, strerror(e), err);
    CHECK(t == NULL);
    CHECK_EQ(e, want_errno);
    CHECK(strstr(err, want_message));
}

SH_TEST(test_no_such_program) {
    expect_failure((char *[]){"/nonexistent/prog", NULL}, NULL, ENOENT,
                   "no such program '/nonexistent/prog' (check the path)");
    expect_failure((char *[]){"sh-no-such-command-here", NULL}, NULL, ENOENT,
                   "no such program");
}

SH_TEST(test_not_elf) {
    char path[300];
    snprintf(path, sizeof path, "%s/script", workdir());
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs("#!/bin/sh\necho hi\n", f);
    fclose(f);
    chmod(path, 0755);
    expect_failure((char *[]){path, NULL}, NULL, ENOEXEC, "is not an ELF executable");
    cleanup();
}

SH_TEST(test_no_debug_information) {
    const char *exe = compile_program("nodebug", "int main(void) { return 0; }\n", "-g0");
    expect_failure((char *[]){(char *)exe, NULL}, NULL, ENODATA, "compile with -g");
    cleanup();
}

SH_TEST(test_not_executable) {
    char path[300];
    strcpy(path, compile_program("noexec", "int main(void) { return 0; }\n", "-O0"));
    chmod(path, 0644);
    expect_failure((char *[]){path, NULL}, NULL, EACCES, "not executable");
    cleanup();
}

SH_TEST(test_bad_arguments) {
    expect_failure((char *[]){NULL}, NULL, EINVAL, "no program given");
    expect_failure(NULL, NULL, EINVAL, "no program given");
    /* options made without SH_TRACE_OPTS: size 0 */
    expect_failure((char *[]){"/bin/true", NULL}, &(sh_trace_opts){.max_steps = 5}, EINVAL,
                   "SH_TRACE_OPTS");
    /* a newer caller's options with a field this library lacks, set */
    struct { sh_trace_opts o; long newer; } big = {SH_TRACE_OPTS(), 1};
    big.o.size = sizeof big;
    expect_failure((char *[]){"/bin/true", NULL}, &big.o, EINVAL, "does not know");
    /* ... and left zero: fine (runs, and fails only because /bin/true has no -g) */
    big.newer = 0;
    expect_failure((char *[]){"/bin/true", NULL}, &big.o, ENODATA, "");
}

/* ---- broken contracts panic -------------------------------------------------------------- */

SH_DEATH_TEST(test_null_trace_panics, SIGABRT, "sh_trace_nsteps: NULL handle") {
    sh_trace_nsteps(NULL);
}

SH_DEATH_TEST(test_null_value_panics, SIGABRT, "sh_trace_value_kind: NULL handle") {
    sh_trace_value_kind(NULL);
}

SH_DEATH_TEST(test_index_past_the_end_panics, SIGABRT,
              "sh_trace_step_frame: index out of bounds: the len is 1 but the index is 1") {
    sh_trace *t = facts();
    sh_trace_reader *r = sh_trace_reader_new(t);
    sh_trace_step_frame(sh_trace_reader_step(r, 0), 1);
}

/* ---- writing ----------------------------------------------------------------------------- */

static char *written(const sh_trace *t, sh_trace_format fmt, unsigned flags, int *ret_rc) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    *ret_rc = sh_trace_write(t, f, fmt, flags);
    fclose(f);
    return text;
}

SH_TEST(test_write_each_format) {
    sh_trace *t = facts();
    int rc;
    char *json = written(t, SH_TRACE_JSON, 0, &rc);
    CHECK(rc == 0 && json[0] == '{' && strstr(json, "\"steps\"") && strstr(json, "facts.c"));
    char *html = written(t, SH_TRACE_HTML, 0, &rc);
    CHECK(rc == 0 && strstr(html, "<html") && strstr(html, "</html>"));
    char *py = written(t, SH_TRACE_PYTUTOR, 0, &rc);
    CHECK(rc == 0 && strstr(py, "\"trace\"") && strstr(py, "\"code\""));
    char *text = written(t, SH_TRACE_TEXT, SH_TRACE_ASCII | SH_TRACE_NO_COLOR, &rc);
    CHECK(rc == 0 && strstr(text, "Summary") && strstr(text, "exit code: 3"));
    CHECK(strstr(text, "{x: 10, y: 20}"));
    for (const char *p = text; *p; p++) CHECK((unsigned char)*p < 0x80 && *p != '\033');
    /* the same as its parts: each step, then the summary */
    char *parts = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&parts, &len);
    sh_trace_reader *r = sh_trace_reader_new(t);
    for (size_t i = 0; i < sh_trace_nsteps(t); i++)
        CHECK(sh_trace_step_write(sh_trace_reader_step(r, i), f,
                                  SH_TRACE_ASCII | SH_TRACE_NO_COLOR) == 0);
    CHECK(sh_trace_write_summary(t, f, SH_TRACE_ASCII | SH_TRACE_NO_COLOR) == 0);
    fclose(f);
    CHECK(!strcmp(parts, text));
    free(json), free(html), free(py), free(text), free(parts);
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_json_versions_and_the_pytutor_limit) {
    sh_trace *t = facts();
    int rc;
    char *v1 = written(t, SH_TRACE_JSON_V1, 0, &rc);
    CHECK(rc == 0 && strstr(v1, "\"version\": 1") && strstr(v1, "\"frames\""));
    char *v2 = written(t, SH_TRACE_JSON, 0, &rc);
    CHECK(rc == 0 && strstr(v2, "\"version\":2") && strlen(v2) < strlen(v1));
    /* past the limit: refused, nothing written, its size and what fits said */
    char *text = NULL;
    size_t len = 0, size = 0, fit = 99;
    FILE *f = open_memstream(&text, &len);
    errno = 0;
    CHECK_EQ(sh_trace_write_pytutor(t, f, 200, &size, &fit), -1);
    CHECK_EQ(errno, EFBIG);
    fclose(f);
    CHECK_EQ(len, 0);
    CHECK(size > 200);
    CHECK(fit < sh_trace_nsteps(t));
    free(text);
    f = open_memstream(&text, &len);   /* no limit: written, as sh_trace_write writes it */
    CHECK_EQ(sh_trace_write_pytutor(t, f, 0, NULL, NULL), 0);
    fclose(f);
    char *py = written(t, SH_TRACE_PYTUTOR, 0, &rc);
    CHECK(rc == 0 && !strcmp(text, py));
    free(v1), free(v2), free(text), free(py);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_write_events_from) {
    sh_trace *t = facts();
    sh_trace_reader *r = sh_trace_reader_new(t);
    const sh_trace_step *last = sh_trace_reader_step(r, sh_trace_nsteps(t) - 1);
    size_t n = sh_trace_step_nevents(last);
    char *all = NULL, *none = NULL;
    size_t la = 0, ln = 0;
    FILE *f = open_memstream(&all, &la);
    CHECK(sh_trace_step_write_events(last, 0, f, SH_TRACE_NO_COLOR) == 0);
    fclose(f);
    f = open_memstream(&none, &ln);
    CHECK(sh_trace_step_write_events(last, n, f, SH_TRACE_NO_COLOR) == 0);
    fclose(f);
    CHECK(strstr(all, "exited with code 3"));
    CHECK_EQ(ln, 0);
    free(all), free(none);
    sh_trace_reader_free(r);
    sh_trace_free(t);
    cleanup();
}

SH_TEST(test_write_failures) {
    sh_trace *t = facts();
    int rc;
    errno = 0;
    free(written(t, (sh_trace_format)7, 0, &rc));
    CHECK(rc == -1 && errno == EINVAL);
    errno = 0;
    free(written(t, SH_TRACE_TEXT, 1u << 9, &rc));
    CHECK(rc == -1 && errno == EINVAL);
    FILE *full = fopen("/dev/full", "w");
    CHECK(full);
    setvbuf(full, NULL, _IONBF, 0);
    CHECK(sh_trace_write(t, full, SH_TRACE_JSON, 0) == -1);
    CHECK(sh_trace_write(t, full, SH_TRACE_TEXT, 0) == -1);
    fclose(full);
    sh_trace_free(t);
    cleanup();
}

/* ---- two traces ------------------------------------------------------------------------- */

static const char loop_src[] =
    "int main(void) {\n"
    "    int total = 0;\n"
    "    for (int i = 0; i < N; i++)\n"
    "        total += i;\n"
    "    return total % 100;\n"
    "}\n";

static char *json_of(const char *exe, size_t *ret_steps) {
    sh_trace *t = run(exe, NULL);
    int rc;
    char *json = written(t, SH_TRACE_JSON, 0, &rc);
    CHECK(rc == 0);
    *ret_steps = sh_trace_nsteps(t);
    sh_trace_free(t);
    return json;
}

SH_TEST(test_two_traces_read_side_by_side) {
    char a[256];
    strcpy(a, compile_program("loop_a", loop_src, "-O0 -DN=5"));
    const char *b = compile_program("loop_b", loop_src, "-O0 -DN=9");
    sh_trace *ta = run(a, NULL), *tb = run(b, NULL);
    CHECK_EQ(sh_trace_exit_code(ta), 10);
    CHECK_EQ(sh_trace_exit_code(tb), 36);
    CHECK(sh_trace_nsteps(tb) > sh_trace_nsteps(ta));
    sh_trace_reader *ra = sh_trace_reader_new(ta), *rb = sh_trace_reader_new(tb);
    /* `total` at each stop of line 4, interleaved: each reader its own trace's values */
    int64_t want_a = 0, want_b = 0;
    int ia = 0, ib = 0;
    for (size_t i = 0; i < sh_trace_nsteps(tb); i++) {
        const sh_trace_step *sb = sh_trace_reader_step(rb, i);
        const sh_trace_step *sa = i < sh_trace_nsteps(ta) ? sh_trace_reader_step(ra, i) : NULL;
        if (sa && sh_trace_step_line(sa) == 4 && sh_trace_step_nframes(sa) == 1) {
            CHECK_EQ(sh_trace_value_int(val(sa, "total")), want_a);
            want_a += ia++;
        }
        if (sh_trace_step_line(sb) == 4 && sh_trace_step_nframes(sb) == 1) {
            CHECK_EQ(sh_trace_value_int(val(sb, "total")), want_b);
            want_b += ib++;
        }
    }
    CHECK(ia == 5 && ib == 9);
    sh_trace_reader_free(ra), sh_trace_reader_free(rb);
    sh_trace_free(ta), sh_trace_free(tb);
    cleanup();
}

typedef struct job {
    const char *exe;
    char *json;
    size_t steps;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    j->json = json_of(j->exe, &j->steps);
    return NULL;
}

SH_TEST(test_two_traces_at_once_on_two_threads) {
    char a[256];
    strcpy(a, compile_program("loop_a", loop_src, "-O0 -DN=40"));
    const char *b = compile_program("loop_b", loop_src, "-O0 -DN=25");
    size_t na, nb;
    char *alone_a = json_of(a, &na), *alone_b = json_of(b, &nb);
    job jobs[2] = {{a, NULL, 0}, {b, NULL, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&th[i], NULL, run_job, &jobs[i]) == 0);
    for (int i = 0; i < 2; i++) CHECK(pthread_join(th[i], NULL) == 0);
    CHECK_EQ(jobs[0].steps, na);
    CHECK_EQ(jobs[1].steps, nb);
    CHECK(!strcmp(jobs[0].json, alone_a));
    CHECK(!strcmp(jobs[1].json, alone_b));
    free(alone_a), free(alone_b), free(jobs[0].json), free(jobs[1].json);
    cleanup();
}

int main(void) { return sh_test_main(); }
