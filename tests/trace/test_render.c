/*
 * tests/trace/test_render.c — the renderers on traces built by hand: the lesson's add()
 * (three steps: main, add called on top of main, add returned) and heap_types (a String,
 * a Vec<i32> and a Box<i32> with their blocks). The text drawing must show what the
 * lesson's diagrams show; the JSON must parse and carry the values; escaping must hold.
 */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "trace/model/model.h"
#include "trace/model/text.h"
#include "trace/render/render.h"

/* ---- the lesson's traces ----------------------------------------------------------------- */

static void add_int(shi_frame *f, const char *name, int64_t v, bool uninit, bool param) {
    shi_var *var = shi_frame_add_var(f, name, "i32", 4);
    var->is_param = param;
    var->addr = 0x7fffffffe000u + 4 * f->nvars;
    if (!uninit) shi_value_set_int(&var->value, v);
}

static void main_frame(shi_step *s, int line, bool sum_known) {
    shi_frame *m = shi_step_push_frame(s, "main", "add.rs", line);
    m->cfa = 0x7fffffffe100u;
    add_int(m, "x", 5, false, false);
    add_int(m, "y", 10, false, false);
    add_int(m, "sum", 15, !sum_known, false);
}

/* Step 1: main with x = 5, y = 10, sum = ?; step 2: add(5, 10) on top, result = 15;
 * step 3: add returned, sum = 15. */
static shi_trace *lesson_add(void) {
    shi_trace *t = shi_trace_new("target/add");
    t->language = shi_trace_strdup("rust");
    shi_trace_add_source(t, "add.rs");
    shi_step *s = shi_trace_add_step(t);
    s->file = shi_trace_strdup("add.rs");
    s->line = 5;
    main_frame(s, 5, false);
    shi_step_add_event(s, SHI_EV_CALL)->function = shi_trace_strdup("main");

    s = shi_trace_add_step(t);
    s->file = shi_trace_strdup("add.rs");
    s->line = 11;
    main_frame(s, 5, false);
    shi_frame *a = shi_step_push_frame(s, "add", "add.rs", 11);
    a->cfa = 0x7fffffffe0c0u;
    add_int(a, "a", 5, false, true);
    add_int(a, "b", 10, false, true);
    add_int(a, "result", 15, false, false);
    shi_step_add_event(s, SHI_EV_CALL)->function = shi_trace_strdup("add");

    s = shi_trace_add_step(t);
    s->file = shi_trace_strdup("add.rs");
    s->line = 6;
    main_frame(s, 6, true);
    shi_event *e = shi_step_add_event(s, SHI_EV_RETURN);
    e->function = shi_trace_strdup("add");
    e->value = 15;
    e->has_value = true;
    e = shi_step_add_event(s, SHI_EV_OUTPUT);
    e->text = shi_trace_strdup("sum = 15\n");
    e = shi_step_add_event(s, SHI_EV_EXIT);
    t->exit_code = 0;
    for (size_t i = 0; i < t->nsteps; i++)
        shi_step_mark_changes(&t->steps[i], i ? &t->steps[i - 1] : NULL);
    return t;
}

enum { NAME_BLOCK = 0, NUMBERS_BLOCK = 1, BOXED_BLOCK = 2 };

/* The decoded contents the tracer gives a block an owning handle holds (heap_types.c,
 * through shi_dwarf_read_owned_block): `cap` slots of `elem`, the first 16 as fields, all
 * unset (the caller sets the first len), the block's owner path and type. */
static shi_value *owned_slots(shi_block *b, const char *owner, const char *elem, size_t esize,
                              size_t cap) {
    char type[64];
    snprintf(type, sizeof type, "[%s; %zu]", elem, cap);
    b->owner = shi_trace_strdup(owner);
    b->type = shi_trace_strdup(type);
    shi_value *v = &b->value;
    v->kind = SHI_VAL_ARRAY;
    v->type = shi_trace_strdup(type);
    v->at = b->addr;
    size_t shown = cap < 16 ? cap : 16;
    for (size_t i = 0; i < shown; i++) {
        shi_field *f = shi_value_add_field(v, NULL);
        f->offset = i * esize;
        f->size = esize;
        f->value->type = shi_trace_strdup(elem);
        f->value->at = b->addr + i * esize;
        f->value->target_block = -1;
        f->value->target_static = -1;
    }
    v->truncated = cap - shown;
    return v;
}

/* A String's block: its text quoted, no elements. */
static void owned_string(shi_block *b, const char *owner, const char *text, size_t len,
                         size_t cap) {
    shi_value *v = owned_slots(b, owner, "u8", 1, 0);
    char type[32];
    snprintf(type, sizeof type, "[u8; %zu]", cap);
    free(b->type);
    b->type = shi_trace_strdup(type);
    free(v->type);
    v->type = shi_trace_strdup(type);
    char *q = malloc(len + 3);
    snprintf(q, len + 3, "\"%.*s\"", (int)len, text);
    shi_value_set_text(v, q);
    free(q);
}

/* A Box's block: one value of type `type`. */
static shi_value *owned_box(shi_block *b, const char *owner, const char *type) {
    b->owner = shi_trace_strdup(owner);
    b->type = shi_trace_strdup(type);
    b->value.type = shi_trace_strdup(type);
    b->value.at = b->addr;
    b->value.target_block = -1;
    b->value.target_static = -1;
    return &b->value;
}


static void heap_blocks(shi_step *s, bool with_box) {
    shi_block *b = shi_step_add_block(s, 0x5555555a2ad0u, 13, 1);
    shi_block_set_bytes(b, "Hello, world!", 13);
    owned_string(b, "name", "Hello, world!", 13, 13);
    b->alloc_file = shi_trace_strdup("heap_types.rs");
    b->alloc_line = 3;
    int32_t nums[4] = {1, 2, 3, 0};
    b = shi_step_add_block(s, 0x5555555a2af0u, 16, 2);
    shi_block_set_bytes(b, nums, sizeof nums);
    shi_value *slots = owned_slots(b, "numbers", "i32", 4, 4);
    for (int i = 0; i < 3; i++) shi_value_set_int(slots->fields[i].value, nums[i]);
    b->alloc_file = shi_trace_strdup("heap_types.rs");
    b->alloc_line = 10;
    if (!with_box) return;
    int32_t answer = 42;
    b = shi_step_add_block(s, 0x5555555a2b10u, 4, 3);
    shi_block_set_bytes(b, &answer, sizeof answer);
    shi_value_set_int(owned_box(b, "boxed", "i32"), answer);
    b->alloc_file = shi_trace_strdup("heap_types.rs");
    b->alloc_line = 18;
}

static void heap_vars(shi_step *s, bool with_box) {
    shi_frame *m = shi_step_push_frame(s, "main", "heap_types.rs", 20);
    shi_var *v = shi_frame_add_var(m, "name", "String", 24);
    shi_value_set_owned(&v->value, SHI_OWN_STRING, 0x5555555a2ad0u, 13, 13, "u8", 1,
                        NAME_BLOCK);
    v = shi_frame_add_var(m, "numbers", "Vec<i32>", 24);
    shi_value_set_owned(&v->value, SHI_OWN_VEC, 0x5555555a2af0u, 3, 4, "i32", 4,
                        NUMBERS_BLOCK);
    if (!with_box) return;
    v = shi_frame_add_var(m, "boxed", "Box<i32>", 8);
    shi_value_set_owned(&v->value, SHI_OWN_BOX, 0x5555555a2b10u, 0, 0, "i32", 4, BOXED_BLOCK);
}

/* heap_types at the println! line: every handle and its block. The step before it has
 * name and numbers only, so boxed and its block are what changed. */
static shi_trace *lesson_heap_types(void) {
    shi_trace *t = shi_trace_new("target/heap_types");
    t->language = shi_trace_strdup("rust");
    shi_step *s = shi_trace_add_step(t);
    s->file = shi_trace_strdup("heap_types.rs");
    s->line = 18;
    heap_vars(s, false);
    heap_blocks(s, false);
    s = shi_trace_add_step(t);
    s->file = shi_trace_strdup("heap_types.rs");
    s->line = 20;
    heap_vars(s, true);
    heap_blocks(s, true);
    shi_event *e = shi_step_add_event(s, SHI_EV_ALLOC);
    e->size = 4;
    e->block_id = 3;
    e->addr = 0x5555555a2b10u;
    shi_step_mark_changes(&t->steps[1], &t->steps[0]);
    return t;
}

/* ---- helpers ----------------------------------------------------------------------------- */

typedef int (*text_fn)(const shi_trace *, const shi_step *, FILE *, const shi_render_opts *);

/* The output of a renderer as a string (the caller frees). */
static char *render_step(const shi_trace *t, size_t step, bool utf8, bool color, int width) {
    shi_render_opts o = {.utf8 = utf8, .color = color, .width = width};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f);
    CHECK_EQ(shi_render_text(t, step ? &t->steps[step - 1] : NULL, &t->steps[step], f, &o), 0);
    fclose(f);
    printf("%s", buf);  /* in the test's log: what was checked */
    fflush(stdout);
    return buf;
}

static char *render_json_text(const shi_trace *t, bool pytutor) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f);
    /* version 1: every step whole, as these tests read the objects (version 2 writes the
     * same objects in patches; tests/cli/test_json2.sh holds it to version 1) */
    CHECK_EQ(pytutor ? shi_render_pytutor(t, f) : shi_render_json_version(t, f, 1), 0);
    fclose(f);
    return buf;
}

/* The line of `text` containing `needle`, copied (NULL if none). */
static char *line_with(const char *text, const char *needle) {
    const char *hit = strstr(text, needle);
    if (!hit) return NULL;
    const char *start = hit;
    while (start > text && start[-1] != '\n') start--;
    const char *end = strchr(hit, '\n');
    size_t n = end ? (size_t)(end - start) : strlen(start);
    char *line = malloc(n + 1);
    memcpy(line, start, n);
    line[n] = 0;
    return line;
}

static bool line_has(const char *text, const char *needle, const char *also) {
    char *line = line_with(text, needle);
    bool ok = line && strstr(line, also);
    if (!ok) fprintf(stderr, "no line with both '%s' and '%s'\n", needle, also);
    free(line);
    return ok;
}

/* Columns of the widest line (UTF-8 characters count one, colour sequences none). */
static int widest_line(const char *text) {
    int best = 0, w = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') { if (w > best) best = w; w = 0; continue; }
        if (*p == '\x1b') { while (*p && *p != 'm') p++; if (!*p) break; continue; }
        if (((unsigned char)*p & 0xC0) != 0x80) w++;
    }
    return w > best ? w : best;
}

/* ---- a small JSON validator (RFC 8259), so the test needs nothing else --------------- */

typedef struct jp { const unsigned char *p; } jp;

static void jp_ws(jp *j) { while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t') j->p++; }
static bool jp_value(jp *j, int depth);

static bool jp_utf8(jp *j) {
    unsigned char c = *j->p;
    int n = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c <= 0xDF ? 1 : -1;
    if (n < 0 || c > 0xF4) return false;
    for (int i = 1; i <= n; i++) if ((j->p[i] & 0xC0) != 0x80) return false;
    j->p += n + 1;
    return true;
}

static bool jp_string(jp *j) {
    if (*j->p++ != '"') return false;
    for (;;) {
        unsigned char c = *j->p;
        if (c == '"') { j->p++; return true; }
        if (c < 0x20) return false;  /* raw control characters (and the end) are not allowed */
        if (c >= 0x80) { if (!jp_utf8(j)) return false; continue; }
        j->p++;
        if (c != '\\') continue;
        c = *j->p++;
        if (c == 'u') {
            for (int i = 0; i < 4; i++, j->p++)
                if (!strchr("0123456789abcdefABCDEF", *j->p) || !*j->p) return false;
        } else if (!c || !strchr("\"\\/bfnrt", c)) {
            return false;
        }
    }
}

static bool jp_digits(jp *j) {
    if (*j->p < '0' || *j->p > '9') return false;
    while (*j->p >= '0' && *j->p <= '9') j->p++;
    return true;
}

static bool jp_number(jp *j) {
    if (*j->p == '-') j->p++;
    if (*j->p == '0') j->p++;
    else if (!jp_digits(j)) return false;
    if (*j->p == '.') { j->p++; if (!jp_digits(j)) return false; }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-') j->p++;
        if (!jp_digits(j)) return false;
    }
    return true;
}

static bool jp_container(jp *j, char close, bool object, int depth) {
    j->p++;
    jp_ws(j);
    if (*j->p == close) { j->p++; return true; }
    for (;;) {
        jp_ws(j);
        if (object) {
            if (!jp_string(j)) return false;
            jp_ws(j);
            if (*j->p++ != ':') return false;
        }
        if (!jp_value(j, depth + 1)) return false;
        jp_ws(j);
        if (*j->p == close) { j->p++; return true; }
        if (*j->p++ != ',') return false;
    }
}

static bool jp_value(jp *j, int depth) {
    if (depth > 200) return false;
    jp_ws(j);
    switch (*j->p) {
    case '{': return jp_container(j, '}', true, depth);
    case '[': return jp_container(j, ']', false, depth);
    case '"': return jp_string(j);
    case 't': if (strncmp((const char *)j->p, "true", 4)) return false; j->p += 4; return true;
    case 'f': if (strncmp((const char *)j->p, "false", 5)) return false; j->p += 5; return true;
    case 'n': if (strncmp((const char *)j->p, "null", 4)) return false; j->p += 4; return true;
    default: return jp_number(j);
    }
}

static bool json_valid(const char *text) {
    jp j = {(const unsigned char *)text};
    if (!jp_value(&j, 0)) return false;
    jp_ws(&j);
    return *j.p == 0;
}

/* Runs `checks` (Python, with `d` the parsed document) on `json` when python3 is here;
 * true when python3 is missing (the C validator and the substring checks still ran). */
static bool have_python(void) { return system("python3 -c '' >/dev/null 2>&1") == 0; }

static bool python_agrees(const char *json, const char *checks) {
    if (!have_python()) return true;
    char path[] = "/tmp/sh_test_render_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *py = fdopen(fd, "w");
    fprintf(py, "import json, sys\nd = json.load(sys.stdin)\n%s\n", checks);
    fclose(py);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "python3 %s", path);
    FILE *p = popen(cmd, "w");
    CHECK(p);
    fputs(json, p);
    int st = pclose(p);
    unlink(path);
    return st == 0;
}

/* ---- the model --------------------------------------------------------------------------- */

SH_TEST(test_model_grows_and_keeps_every_element) {
    shi_trace *t = shi_trace_new("prog");
    for (int i = 0; i < 1000; i++) {
        shi_step *s = shi_trace_add_step(t);
        s->line = i;
        shi_frame *f = shi_step_push_frame(s, "f", "f.c", i);
        for (int k = 0; k < 37; k++) shi_value_set_int(&shi_frame_add_var(f, "v", "int", 4)->value, k);
        for (int k = 0; k < 19; k++) shi_step_add_block(s, 0x1000u + 16u * (unsigned)k, 16, (uint64_t)k + 1);
        for (int k = 0; k < 5; k++) shi_step_add_event(s, SHI_EV_LINE);
    }
    CHECK_EQ(t->nsteps, 1000);
    for (size_t i = 0; i < t->nsteps; i++) {
        CHECK_EQ(t->steps[i].index, i);
        CHECK_EQ(t->steps[i].line, (int)i);
        CHECK_EQ(t->steps[i].frames[0].nvars, 37);
        CHECK_EQ(t->steps[i].frames[0].vars[36].value.i, 36);
        CHECK_EQ(t->steps[i].frames[0].vars[36].value.target_block, -1);
        CHECK_EQ(t->steps[i].blocks[18].id, 19);
        CHECK_EQ(t->steps[i].nevents, 5);
    }
    shi_trace_free(t);
}

SH_TEST(test_model_copies_strings) {
    char name[] = "x", type[] = "int", prog[] = "prog";
    shi_trace *t = shi_trace_new(prog);
    shi_var *v = shi_frame_add_var(shi_step_push_frame(shi_trace_add_step(t), "main", "m.c", 1),
                                   name, type, 4);
    name[0] = 'y';
    type[0] = 'X';
    prog[0] = 'Q';
    CHECK(strcmp(v->name, "x") == 0 && strcmp(v->type, "int") == 0);
    CHECK(strcmp(t->program, "prog") == 0);
    CHECK(shi_trace_strdup(NULL) == NULL);
    shi_trace_free(t);
}

SH_TEST(test_model_nested_fields_are_freed) {
    shi_trace *t = shi_trace_new("prog");
    shi_var *v = shi_frame_add_var(shi_step_push_frame(shi_trace_add_step(t), "main", "m.c", 1),
                                   "point", "(f64, f64)", 16);
    v->value.kind = SHI_VAL_STRUCT;
    shi_value_set_float(shi_value_add_field(&v->value, "__0")->value, 1.0);
    shi_field *f = shi_value_add_field(&v->value, "__1");
    f->value->kind = SHI_VAL_ARRAY;
    for (int i = 0; i < 9; i++) shi_value_set_int(shi_value_add_field(f->value, NULL)->value, i);
    shi_value_set_text(f->value, "ignored");
    shi_value_set_text(f->value, NULL);
    CHECK_EQ(v->value.nfields, 2);
    CHECK_EQ(f->value->nfields, 9);
    char *text = shi_value_text(&v->value);
    CHECK(strcmp(text, "(1.0, [0, 1, 2, 3, 4, 5, 6, 7, 8])") == 0);
    free(text);
    shi_trace_free(t);  /* ASan and valgrind builds: nothing may leak */
    shi_trace_free(NULL);
}

SH_TEST(test_model_marks_changes_between_steps) {
    shi_trace *t = lesson_add();
    CHECK(t->steps[1].frames[1].is_new);     /* add */
    CHECK(!t->steps[1].frames[0].is_new);    /* main */
    CHECK(!t->steps[2].frames[0].is_new);
    CHECK(t->steps[2].frames[0].vars[2].changed);   /* sum: ? -> 15 */
    CHECK(!t->steps[2].frames[0].vars[0].changed);  /* x */
    shi_trace_free(t);
    t = lesson_heap_types();
    CHECK(t->steps[1].blocks[BOXED_BLOCK].is_new);
    CHECK(!t->steps[1].blocks[NAME_BLOCK].is_new);
    t->steps[0].blocks[NUMBERS_BLOCK].size = 8;  /* as if numbers held 2 then grew */
    shi_step_mark_changes(&t->steps[1], &t->steps[0]);
    CHECK(t->steps[1].blocks[NUMBERS_BLOCK].grown);
    CHECK(!t->steps[1].blocks[NAME_BLOCK].grown);
    shi_trace_free(t);
}

SH_TEST(test_model_recursive_call_is_a_new_frame) {
    shi_trace *t = shi_trace_new("prog");
    shi_frame *f = shi_step_push_frame(shi_trace_add_step(t), "fact", "f.c", 1);
    f->cfa = 0x1000;
    f = shi_step_push_frame(shi_trace_add_step(t), "fact", "f.c", 1);
    f->cfa = 0x2000;  /* the same function at the same depth, another activation */
    shi_step_mark_changes(&t->steps[1], &t->steps[0]);
    CHECK(t->steps[1].frames[0].is_new);
    shi_trace_free(t);
}

/* A deep recursion: each step keeps main and the innermost frames, so depths shift from
 * one step to the next; frames are then matched by CFA, and the text says how many are out. */
static shi_trace *deep_recursion(void) {
    shi_trace *t = shi_trace_new("prog");
    for (int k = 0; k < 2; k++) {
        shi_step *s = shi_trace_add_step(t);
        s->depth = 200 + (size_t)k;   /* one more call at the second step */
        shi_frame *m = shi_step_push_frame(s, "main", "r.c", 9);
        m->cfa = 0x8000;
        for (int i = 0; i < 3; i++) {   /* the innermost three, deepest last */
            shi_frame *f = shi_step_push_frame(s, "down", "r.c", 3);
            f->cfa = 0x4000 - 0x100 * (uint64_t)(k + i);
        }
    }
    return t;
}

SH_TEST(test_model_left_out_frames_are_matched_by_cfa) {
    shi_trace *t = deep_recursion();
    shi_step_mark_changes(&t->steps[1], &t->steps[0]);
    const shi_step *s = &t->steps[1];
    CHECK(!s->frames[0].is_new);   /* main */
    CHECK(!s->frames[1].is_new);   /* cfa 0x3f00: the second one shown before */
    CHECK(!s->frames[2].is_new);   /* 0x3e00 */
    CHECK(s->frames[3].is_new);    /* 0x3d00: the new call */
    shi_trace_free(t);
}

/* ---- the text drawing -------------------------------------------------------------------- */

SH_TEST(test_text_add_step1_main_with_sum_uninitialised) {
    shi_trace *t = lesson_add();
    char *out = render_step(t, 0, true, false, 100);
    CHECK(strstr(out, "Step 1: main() called"));
    CHECK(strstr(out, "add.rs:5"));
    CHECK(line_has(out, "│ main", "← top"));
    CHECK(strstr(out, "x : i32 (4 bytes) = 5 "));
    CHECK(strstr(out, "y : i32 (4 bytes) = 10 "));
    CHECK(strstr(out, "sum : i32 (4 bytes) = ? "));
    CHECK(!strstr(out, "(new)"));  /* the first step: nothing to compare with */
    CHECK(strstr(out, "┌") && strstr(out, "└"));
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_text_add_step2_add_on_top_of_main) {
    shi_trace *t = lesson_add();
    char *out = render_step(t, 1, true, false, 100);
    CHECK(strstr(out, "Step 2: add() called"));
    CHECK(strstr(out, "add.rs:11"));
    char *add = strstr(out, "│ add"), *main_ = strstr(out, "│ main");
    CHECK(add && main_ && add < main_);           /* the innermost frame on top */
    CHECK(line_has(out, "│ add", "← top"));
    CHECK(line_has(out, "│ add", "(new)"));
    CHECK(!line_has(out, "│ main", "← top"));
    CHECK(strstr(out, "a : i32 (4 bytes) = 5 "));
    CHECK(strstr(out, "b : i32 (4 bytes) = 10 "));
    CHECK(strstr(out, "result : i32 (4 bytes) = 15 "));
    CHECK(strstr(out, "sum : i32 (4 bytes) = ? "));
    CHECK(strstr(out, "├") && strstr(out, "┤"));  /* the line between the frames */
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_text_add_step3_returned_and_sum_marked) {
    shi_trace *t = lesson_add();
    char *out = render_step(t, 2, true, false, 100);
    CHECK(strstr(out, "Step 3: add() returned 15"));
    CHECK(!strstr(out, "│ add"));
    CHECK(strstr(out, "sum : i32 (4 bytes) = 15 *"));
    CHECK(!strstr(out, "x : i32 (4 bytes) = 5 *"));
    CHECK(strstr(out, "output │ sum = 15\n"));
    CHECK(strstr(out, "exited with code 0"));
    CHECK(strstr(out, "* changed since the previous step"));
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_text_heap_types_arrows_on_their_owners_rows) {
    shi_trace *t = lesson_heap_types();
    char *out = render_step(t, 1, true, false, 100);
    CHECK(strstr(out, "Stack") && strstr(out, "Heap"));
    CHECK(strstr(out, "name : String (24 bytes)"));
    CHECK(strstr(out, "numbers : Vec<i32> (24 bytes)"));
    CHECK(strstr(out, "boxed : Box<i32> (8 bytes)"));
    CHECK(line_has(out, "──→│ \"Hello, world!\" │", "ptr ─"));
    CHECK(line_has(out, "──→│  1 │  2 │  3 │  _ │", "ptr ─"));
    CHECK(line_has(out, "──→│ 42 │", "ptr ─"));
    CHECK(strstr(out, "len: 13") && strstr(out, "cap: 13"));
    CHECK(strstr(out, "len: 3") && strstr(out, "cap: 4"));
    CHECK(strstr(out, "room for 1 more"));
    CHECK(line_has(out, "#3 at 0x5555555a2b10, 4 bytes", "(new)"));
    CHECK(!line_has(out, "#1 at 0x5555555a2ad0", "(new)"));
    CHECK(line_has(out, "boxed : Box<i32>", "*"));
    /* the three arrows in order, each on the row right after its owner's name */
    char *n = strstr(out, "Hello"), *v = strstr(out, "│  1 │"), *b = strstr(out, "│ 42 │");
    CHECK(n && v && b && n < v && v < b);
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_text_says_how_many_frames_are_left_out) {
    shi_trace *t = deep_recursion();
    char *out = render_step(t, 1, false, false, 100);
    CHECK(strstr(out, "... 197 more frames") != NULL);
    /* between main and the outermost frame shown: main's box is the last one */
    CHECK(strstr(out, "more frames") < strstr(out, "main"));
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_text_pointer_into_the_stack_names_its_variable) {
    shi_trace *t = shi_trace_new("prog");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *m = shi_step_push_frame(s, "main", "p.c", 7);
    shi_var *origin = shi_frame_add_var(m, "origin", "struct point", 8);
    origin->addr = 0x7fffffffe6a8;
    shi_frame *f = shi_step_push_frame(s, "by_pointer", "p.c", 3);
    shi_value_set_pointer(&shi_frame_add_var(f, "p", "struct point *", 8)->value, 0x7fffffffe6a8, -1);
    shi_value_set_pointer(&shi_frame_add_var(f, "q", "int *", 8)->value, 0x7fffffffe6ac, -1);
    shi_value_set_pointer(&shi_frame_add_var(f, "r", "int *", 8)->value, 0x1234, -1);
    char *out = render_step(t, 0, true, false, 100);
    CHECK(strstr(out, "p : struct point * (8 bytes) = &origin ") != NULL);
    CHECK(strstr(out, "q : int * (8 bytes) = &origin + 4") != NULL);
    CHECK(strstr(out, "r : int * (8 bytes) = 0x1234") != NULL);   /* nowhere known: the address */
    free(out);
    shi_trace_free(t);
}

/* A struct point {int x, y} value at `v`, its fields placed as DWARF places them. */
static void c_point(shi_value *v, int64_t x, int64_t y) {
    v->kind = SHI_VAL_STRUCT;
    shi_field *f = shi_value_add_field(v, "x");
    f->offset = 0, f->size = 4;
    shi_value_set_int(f->value, x);
    f = shi_value_add_field(v, "y");
    f->offset = 4, f->size = 4;
    shi_value_set_int(f->value, y);
}

static shi_var *c_pointer(shi_frame *f, const char *name, const char *type, uint64_t addr,
                          size_t target_size) {
    shi_var *v = shi_frame_add_var(f, name, type, 8);
    shi_value_set_pointer(&v->value, addr, -1);
    v->value.target_size = target_size;
    return v;
}

/* A step with the static region of tests/cli/statics.c: total, squares, next_ticket's count
 * at `count`, and the literal "hi" that main's s points to, as p points to squares[2]. */
static shi_step *statics_step(shi_trace *t, int64_t count) {
    shi_step *s = shi_trace_add_step(t);
    shi_var *v = shi_step_add_static(s, "total", "int", 4, NULL);
    v->addr = 0x555555558020;
    shi_value_set_int(&v->value, 5);
    v = shi_step_add_static(s, "squares", "int[4]", 16, NULL);
    v->addr = 0x555555558030;
    v->value.kind = SHI_VAL_ARRAY;
    for (int i = 0; i < 4; i++) {
        shi_field *f = shi_value_add_field(&v->value, NULL);
        f->offset = (size_t)(4 * i), f->size = 4;
        shi_value_set_int(f->value, i * i);
    }
    v = shi_step_add_static(s, "count", "int", 4, "next_ticket");
    v->addr = 0x555555558048;
    shi_value_set_int(&v->value, count);
    v = shi_step_add_static(s, "\"hi\"", "char[3]", 3, NULL);
    v->addr = 0x555555556020;
    v->literal = true;
    v->value.kind = SHI_VAL_ARRAY;
    shi_value_set_text(&v->value, "\"hi\"");
    shi_frame *m = shi_step_push_frame(s, "main", "statics.c", 21);
    shi_var *p = c_pointer(m, "s", "char *", 0x555555556020, 1);
    shi_value_set_text(&p->value, "0x555555556020 \"hi\"");
    p->value.target_static = 3;
    c_pointer(m, "p", "int *", 0x555555558038, 4)->value.target_static = 1;
    return s;
}

SH_TEST(test_model_static_changes_by_name_and_scope) {
    shi_trace *t = shi_trace_new("prog");
    statics_step(t, 0);
    statics_step(t, 1);
    shi_var *other = shi_step_add_static(&t->steps[1], "count", "int", 4, "other");
    shi_value_set_int(&other->value, 0);   /* another function's count: new, not changed from 0 */
    shi_step_mark_changes(&t->steps[0], NULL);
    shi_step_mark_changes(&t->steps[1], &t->steps[0]);
    for (size_t i = 0; i < t->steps[0].statics.nvars; i++) CHECK(!t->steps[0].statics.vars[i].changed);
    CHECK(!t->steps[1].statics.vars[0].changed);   /* total */
    CHECK(t->steps[1].statics.vars[2].changed);    /* next_ticket's count: 0 -> 1 */
    CHECK(t->steps[1].statics.vars[4].changed);    /* other's count appeared */
    shi_trace_free(t);
}

SH_TEST(test_text_static_region_below_stack_and_heap) {
    shi_trace *t = shi_trace_new("prog");
    t->language = shi_trace_strdup("c");
    statics_step(t, 2);
    char *out = render_step(t, 0, true, false, 100);
    const char *region = strstr(out, "Static/Global");
    CHECK(region && strstr(out, "Heap") < region);
    CHECK(line_has(region, "total : int (4 bytes) = 5", "│"));
    CHECK(strstr(region, "in next_ticket()") < strstr(region, "count : int (4 bytes) = 2"));
    CHECK(strstr(region, "\"hi\" : char[3] (3 bytes) read-only") != NULL);
    CHECK(strstr(out, "p : int * (8 bytes) = &squares[2]") < region);   /* by name, in the stack */
    CHECK(strstr(out, "s : char * (8 bytes) = 0x555555556020 \"hi\"") < region);
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_json_pointer_into_the_static_region_names_it) {
    shi_trace *t = shi_trace_new("prog");
    statics_step(t, 2);
    char *json = render_json_text(t, false);
    CHECK(strstr(json, "\"statics\"") != NULL);
    CHECK(strstr(json, "\"function\": \"next_ticket\"") != NULL);
    char *opt = render_json_text(t, true);
    CHECK(strstr(opt, "\"ordered_globals\"") != NULL);
    const char *key = strstr(opt, "\"next_ticket::count\"");   /* in globals, then in order */
    CHECK(key && strstr(key + 1, "\"next_ticket::count\"") > strstr(opt, "\"ordered_globals\""));
    free(opt);
    /* s points at the literal (index 3), p into squares (index 1) */
    CHECK(strstr(json, "\"static\": 3") != NULL);
    CHECK(strstr(json, "\"static\": 1") != NULL);
    free(json);
    shi_trace_free(t);
}

SH_TEST(test_text_c_pointer_into_the_stack_names_the_place_as_c_does) {
    shi_trace *t = shi_trace_new("prog");
    t->language = shi_trace_strdup("c");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *m = shi_step_push_frame(s, "main", "p.c", 9);
    shi_var *origin = shi_frame_add_var(m, "origin", "struct point", 8);
    origin->addr = 0x7fffffffe6a8;
    c_point(&origin->value, 1, 2);
    shi_var *ps = shi_frame_add_var(m, "ps", "struct point[20]", 160);
    ps->addr = 0x7fffffffe600;
    ps->value.kind = SHI_VAL_ARRAY;
    for (int i = 0; i < 16; i++) {
        shi_field *e = shi_value_add_field(&ps->value, NULL);
        e->offset = (size_t)i * 8, e->size = 8;
        c_point(e->value, i, -i);
    }
    ps->value.truncated = 4;
    c_pointer(m, "p", "struct point *", 0x7fffffffe6a8, 8);
    c_pointer(m, "py", "int *", 0x7fffffffe6ac, 4);
    c_pointer(m, "pp", "struct point *", 0x7fffffffe608, 8);
    c_pointer(m, "px", "int *", 0x7fffffffe610, 4);
    c_pointer(m, "far", "struct point *", 0x7fffffffe600 + 18 * 8, 8);
    c_pointer(m, "mid", "int *", 0x7fffffffe6aa, 4);   /* inside origin.x: no place starts there */
    c_pointer(m, "v", "void *", 0x7fffffffe600, 0);
    char *out = render_step(t, 0, true, false, 120);
    CHECK(strstr(out, "p : struct point * (8 bytes) = &origin ") != NULL);
    CHECK(strstr(out, "py : int * (8 bytes) = &origin.y ") != NULL);
    CHECK(strstr(out, "pp : struct point * (8 bytes) = &ps[1] ") != NULL);
    CHECK(strstr(out, "px : int * (8 bytes) = &ps[2].x ") != NULL);
    CHECK(strstr(out, "far : struct point * (8 bytes) = &ps[18] ") != NULL);   /* past the 16 kept */
    CHECK(strstr(out, "mid : int * (8 bytes) = 0x7fffffffe6aa ") != NULL);
    CHECK(strstr(out, "v : void * (8 bytes) = &ps ") != NULL);
    CHECK(strstr(out, "origin : struct point (8 bytes) = {x: 1, y: 2} ") != NULL);
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_text_c_arrays_in_braces_rust_arrays_in_brackets) {
    for (int c = 0; c < 2; c++) {
        shi_trace *t = shi_trace_new("prog");
        t->language = shi_trace_strdup(c ? "c" : "rust");
        shi_step *s = shi_trace_add_step(t);
        shi_frame *m = shi_step_push_frame(s, "main", "g.c", 3);
        shi_var *g = shi_frame_add_var(m, "g", c ? "int[2][2]" : "[[i32; 2]; 2]", 16);
        g->value.kind = SHI_VAL_ARRAY;
        for (int i = 0; i < 2; i++) {
            shi_value *row = shi_value_add_field(&g->value, NULL)->value;
            row->kind = SHI_VAL_ARRAY;
            for (int k = 0; k < 2; k++) shi_value_set_int(shi_value_add_field(row, NULL)->value, 2 * i + k + 1);
        }
        shi_event *e = shi_step_add_event(s, SHI_EV_RETURN);
        e->function = shi_trace_strdup("first");
        e->value = 0x5555555592a0;
        e->has_value = true;
        e->is_pointer = c;
        char *out = render_step(t, 0, true, false, 100);
        CHECK(strstr(out, c ? "= {{1, 2}, {3, 4}} " : "= [[1, 2], [3, 4]] ") != NULL);
        CHECK(strstr(out, c ? "first() returned 0x5555555592a0" : "first() returned 93824992252576") != NULL);
        free(out);
        char *json = render_json_text(t, false);
        CHECK(strstr(json, c ? "\"text\": \"{{1, 2}, {3, 4}}\"" : "\"text\": \"[[1, 2], [3, 4]]\"") != NULL);
        free(json);
        shi_trace_free(t);
    }
}

SH_TEST(test_json_wide_integer_is_exact) {
    shi_trace *t = shi_trace_new("prog");
    t->language = shi_trace_strdup("c");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *m = shi_step_push_frame(s, "main", "w.c", 3);
    shi_var *v = shi_frame_add_var(m, "ubig", "unsigned __int128", 16);
    shi_value_set_uint(&v->value, UINT64_MAX);
    v->value.wide = true;
    shi_value_set_text(&v->value, "340282366920938463463374607431768211455");
    char *json = render_json_text(t, false);
    CHECK(strstr(json, "\"value\": 340282366920938463463374607431768211455,") != NULL);
    free(json);
    shi_trace_free(t);
}

SH_TEST(test_text_ascii_fallback_is_pure_ascii) {
    shi_trace *t = lesson_heap_types();
    char *out = render_step(t, 1, false, false, 100);
    for (const char *p = out; *p; p++) CHECK((unsigned char)*p < 0x80);
    CHECK(line_has(out, "|------->| \"Hello, world!\" |", "ptr --"));
    CHECK(strstr(out, "|  1 |  2 |  3 |  _ |"));
    CHECK(strstr(out, "<- top"));
    CHECK(strstr(out, "+----+"));
    free(out);
    shi_trace_free(t);
    t = lesson_add();
    out = render_step(t, 1, false, false, 100);
    for (const char *p = out; *p; p++) CHECK((unsigned char)*p < 0x80);
    CHECK(line_has(out, "| add", "<- top"));
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_text_colour_only_when_asked) {
    shi_trace *t = lesson_heap_types();
    char *plain = render_step(t, 1, true, false, 100);
    CHECK(!strchr(plain, '\x1b'));
    char *col = render_step(t, 1, true, true, 100);
    CHECK(strstr(col, "\x1b["));
    CHECK(strstr(col, "\x1b[0m"));
    /* colour changes nothing else: the same columns */
    CHECK_EQ(widest_line(col), widest_line(plain));
    free(plain);
    free(col);
    shi_trace_free(t);
}

SH_TEST(test_text_freed_block_is_listed) {
    shi_trace *t = lesson_heap_types();
    shi_step *s = shi_trace_add_step(t);  /* after drop(boxed): name and numbers only */
    s->line = 21;
    heap_vars(s, false);
    heap_blocks(s, false);
    shi_step_add_event(s, SHI_EV_DROP)->function = shi_trace_strdup("boxed");
    char *out = render_step(t, 2, true, false, 100);
    CHECK(strstr(out, "Step 3: drop(boxed)"));
    CHECK(strstr(out, "freed: #3 at 0x5555555a2b10, 4 bytes"));
    CHECK(!strstr(out, "│ 42 │"));
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_text_second_pointer_to_a_block_gets_a_label) {
    shi_trace *t = shi_trace_new("prog");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *f = shi_step_push_frame(s, "main", "p.c", 3);
    shi_value_set_pointer(&shi_frame_add_var(f, "p", "int *", 8)->value, 0x4000, 0);
    shi_value_set_pointer(&shi_frame_add_var(f, "q", "int *", 8)->value, 0x4000, 0);
    unsigned char bytes[4] = {7, 0, 0, 0};
    shi_block_set_bytes(shi_step_add_block(s, 0x4000, 4, 1), bytes, 4);
    char *out = render_step(t, 0, true, false, 100);
    CHECK(line_has(out, "p : int * (8 bytes) = 0x4000", "─→│ 07 00 00 00 │"));
    CHECK(line_has(out, "q : int * (8 bytes) = 0x4000", "─→ #1"));
    free(out);
    shi_trace_free(t);
}

/* Two list nodes typed by the tracer (block->type, block->value): `head` reaches #1, #1's
 * next reaches #2, #2's next is NULL. */
static shi_trace *typed_list(void) {
    shi_trace *t = shi_trace_new("prog");
    t->language = shi_trace_strdup("c");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *f = shi_step_push_frame(s, "main", "l.c", 9);
    shi_value_set_pointer(&shi_frame_add_var(f, "head", "struct node *", 8)->value, 0x4000, 0);
    for (int i = 0; i < 2; i++) {
        shi_block *b = shi_step_add_block(s, 0x4000 + 0x20 * (uint64_t)i, 16, (uint64_t)i + 1);
        unsigned char bytes[16] = {(unsigned char)(i + 1)};
        shi_block_set_bytes(b, bytes, 16);
        b->type = shi_trace_strdup("struct node");
        b->value.kind = SHI_VAL_STRUCT;
        shi_value_set_int(shi_value_add_field(&b->value, "v")->value, i + 1);
        shi_field *next = shi_value_add_field(&b->value, "next");
        next->offset = 8;
        shi_value_set_pointer(next->value, i ? 0 : 0x4020, i ? -1 : 1);
    }
    return t;
}

SH_TEST(test_text_typed_block_draws_its_value_with_arrows) {
    shi_trace *t = typed_list();
    char *out = render_step(t, 0, true, false, 100);
    CHECK(line_has(out, "head : struct node *", "│ {v: 1, next: → #2} │"));
    CHECK(strstr(out, "│ {v: 2, next: NULL} │"));
    CHECK(strstr(out, "#1 at 0x4000, 16 bytes: struct node"));
    CHECK(!strstr(out, "01 00 00 00"));
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_text_typed_block_wraps_instead_of_cutting) {
    shi_trace *t = typed_list();
    shi_block *b = &t->steps[0].blocks[1];
    shi_value_clear(&b->value);
    free(b->type);
    b->type = shi_trace_strdup("int[12]");
    b->value.kind = SHI_VAL_ARRAY;
    for (int i = 0; i < 12; i++)
        shi_value_set_int(shi_value_add_field(&b->value, NULL)->value, 1000000 + i);
    char *out = render_step(t, 0, true, false, 80);
    CHECK(widest_line(out) <= 80);
    for (int i = 0; i < 12; i++) {   /* every element, none cut by the column */
        char num[16];
        snprintf(num, sizeof num, "%d", 1000000 + i);
        CHECK(strstr(out, num));
    }
    CHECK(strstr(out, "│ {1000000, "));
    CHECK(strstr(out, "1000011}"));
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_json_typed_block_has_type_and_value) {
    shi_trace *t = typed_list();
    char *json = render_json_text(t, false);
    CHECK(json_valid(json));
    CHECK(python_agrees(json,
        "h = {b['id']: b for b in d['steps'][0]['heap']}\n"
        "assert h[1]['type'] == 'struct node' and h[1]['value']['kind'] == 'struct'\n"
        "f = {x['name']: x['value'] for x in h[1]['value']['fields']}\n"
        "assert f['v']['value'] == 1 and f['next']['block'] == 2\n"
        "g = {x['name']: x['value'] for x in h[2]['value']['fields']}\n"
        "assert g['next']['block'] is None and g['next']['addr'] == '0x0'\n"));
    free(json);
    shi_trace_free(t);
}

SH_TEST(test_text_long_values_fit_the_width) {
    shi_trace *t = shi_trace_new("prog");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *f = shi_step_push_frame(s, "main", "p.rs", 3);
    char text[301];
    memset(text, 'a', 300);
    text[300] = 0;
    shi_var *v = shi_frame_add_var(f, "s", "String", 24);
    shi_value_set_owned(&v->value, SHI_OWN_STRING, 0x4000, 300, 300, "u8", 1, 0);
    shi_block *b = shi_step_add_block(s, 0x4000, 300, 1);
    shi_block_set_bytes(b, text, 300);
    owned_string(b, "s", text, 300, 300);
    v = shi_frame_add_var(f, "v", "Vec<i64>", 24);
    int64_t nums[100];
    for (int i = 0; i < 100; i++) nums[i] = 1000000 + i;
    shi_value_set_owned(&v->value, SHI_OWN_VEC, 0x8000, 100, 128, "i64", 8, 1);
    b = shi_step_add_block(s, 0x8000, 1024, 2);
    shi_block_set_bytes(b, nums, sizeof nums);
    shi_value *slots = owned_slots(b, "v", "i64", 8, 128);
    for (size_t i = 0; i < slots->nfields; i++) shi_value_set_int(slots->fields[i].value, nums[i]);
    v = shi_frame_add_var(f, "label", "&str", 16);
    v->value.kind = SHI_VAL_STRUCT;
    shi_value_set_text(&v->value, text);
    char *out = render_step(t, 0, true, false, 80);
    CHECK(widest_line(out) <= 80);
    CHECK(strstr(out, "\"aaaa"));
    CHECK(!strstr(out, "…"));   /* wrapped, not cut: the string's 300 and label's 300 */
    size_t as = 0;
    for (const char *p = out; *p; p++) as += *p == 'a';
    CHECK(as >= 600);
    CHECK(strstr(out, "│ 1000000 │"));
    CHECK(strstr(out, " +112 │"));  /* the 112 slots past the 16 decoded, counted */
    free(out);
    shi_trace_free(t);
}

/* Owned blocks are drawn from their decoded values alone, whatever handle typed them: a
 * Box<Person>'s struct with an arrow from its String field, a Vec<String>'s slots as arrows
 * and `_`; a value of a kind the renderers do not know (a handle kind added later) is drawn
 * as its text, in every view, and crashes none. */
SH_TEST(test_owned_blocks_drawn_from_their_values) {
    shi_trace *t = shi_trace_new("prog");
    t->language = shi_trace_strdup("rust");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *f = shi_step_push_frame(s, "main", "p.rs", 7);
    shi_var *v = shi_frame_add_var(f, "b", "Box<Person>", 8);
    shi_value_set_owned(&v->value, SHI_OWN_BOX, 0x4000, 0, 0, "Person", 32, 0);
    v = shi_frame_add_var(f, "v", "Vec<String>", 24);
    shi_value_set_owned(&v->value, SHI_OWN_VEC, 0x5000, 1, 3, "String", 24, 1);
    shi_block *b = shi_step_add_block(s, 0x4000, 32, 1);
    shi_value *person = owned_box(b, "b", "Person");
    person->kind = SHI_VAL_STRUCT;
    shi_value *name = shi_value_add_field(person, "name")->value;
    shi_value_set_owned(name, SHI_OWN_STRING, 0x6000, 3, 3, "u8", 1, 2);   /* block #3 */
    shi_value_set_int(shi_value_add_field(person, "age")->value, 30);
    b = shi_step_add_block(s, 0x5000, 72, 2);
    shi_value *slots = owned_slots(b, "v", "String", 24, 3);
    shi_value_set_owned(slots->fields[0].value, SHI_OWN_STRING, 0x6010, 2, 2, "u8", 1, 3);
    slots->fields[1].value->kind = (shi_value_kind)77;   /* a kind from the future */
    shi_value_set_text(slots->fields[1].value, "Rc(7)");
    b = shi_step_add_block(s, 0x6000, 3, 3);
    owned_string(b, "b.name", "Ann", 3, 3);
    b = shi_step_add_block(s, 0x6010, 2, 4);
    owned_string(b, "v[0]", "hi", 2, 2);
    char *out = render_step(t, 0, true, false, 120);
    CHECK(strstr(out, "{name: → #3, age: 30}"));
    CHECK(strstr(out, "→ #4 │"));
    CHECK(strstr(out, "Rc(7) │"));
    CHECK(line_has(out, "│     _ │", "→ #4"));
    CHECK(strstr(out, "\"Ann\""));
    free(out);
    char *json = render_json_text(t, false);
    CHECK(json_valid(json));
    CHECK(strstr(json, "\"owner\": \"b.name\""));
    free(json);
    json = render_json_text(t, true);
    CHECK(json_valid(json));
    free(json);
    shi_trace_free(t);
}

SH_TEST(test_text_stale_handle_draws_no_arrow) {
    shi_trace *t = shi_trace_new("prog");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *f = shi_step_push_frame(s, "main", "p.rs", 3);
    shi_var *v = shi_frame_add_var(f, "name", "String", 24);
    shi_value_set_owned(&v->value, SHI_OWN_STRING, 0x4000, 5, 5, "u8", 1, 0);
    v->value.owned.stale = true;
    shi_block_set_bytes(shi_step_add_block(s, 0x4000, 5, 1), "Hello", 5);
    char *out = render_step(t, 0, true, false, 100);
    CHECK(line_has(out, "ptr", "stale"));
    CHECK(!strstr(out, "──→│"));
    CHECK(strstr(out, "48 65 6c 6c 6f"));  /* no owner says what it is: raw bytes */
    free(out);
    shi_trace_free(t);
}

SH_TEST(test_title_from_events) {
    shi_step s = {.index = 4, .line = 9};
    shi_event e = {.kind = SHI_EV_ALLOC, .size = 16, .block_id = 2};
    s.events = &e;
    s.nevents = 1;
    char *title = shi_step_title(&s);
    CHECK(strcmp(title, "16 bytes allocated (block #2)") == 0);
    free(title);
    e = (shi_event){.kind = SHI_EV_FREE, .block_id = 2};
    title = shi_step_title(&s);
    CHECK(strcmp(title, "block #2 freed") == 0);
    free(title);
    e = (shi_event){.kind = SHI_EV_SIGNAL, .text = "SIGSEGV", .value = 11};
    title = shi_step_title(&s);
    CHECK(strcmp(title, "killed by SIGSEGV") == 0);
    free(title);
    s.nevents = 0;
    title = shi_step_title(&s);
    CHECK(strcmp(title, "line 9") == 0);
    free(title);
    s.title = "numbers.push(3)";
    title = shi_step_title(&s);
    CHECK(strcmp(title, "numbers.push(3)") == 0);
    free(title);
}

SH_TEST(test_events_output_signal_and_limit) {
    shi_trace *t = shi_trace_new("prog");
    shi_step *s = shi_trace_add_step(t);
    shi_step_add_event(s, SHI_EV_OUTPUT)->text = shi_trace_strdup("one\ntwo\x01\n");
    shi_event *e = shi_step_add_event(s, SHI_EV_SIGNAL);
    e->text = shi_trace_strdup("SIGSEGV");
    e->value = 11;
    e->has_value = true;
    shi_step_add_event(s, SHI_EV_LIMIT)->text = shi_trace_strdup("--max-steps 1000 reached");
    shi_render_opts o = {.utf8 = false, .width = 80};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ(shi_render_events(t, s, f, &o), 0);
    fclose(f);
    printf("%s", buf);
    CHECK(strstr(buf, "output | one\n"));
    CHECK(strstr(buf, "output | two\\x01\n"));  /* a control character made visible */
    CHECK(strstr(buf, "killed by SIGSEGV (signal 11)"));
    CHECK(strstr(buf, "limit: --max-steps 1000 reached"));
    free(buf);
    shi_trace_free(t);
}

SH_TEST(test_summary_names_leaks_and_the_end) {
    shi_trace *t = lesson_heap_types();
    shi_trace_add_leak(t, "block #2: 16 bytes allocated at heap_types.rs:10 (numbers)");
    t->exit_code = 3;
    shi_render_opts o = {.utf8 = true, .width = 80};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ(shi_render_summary(t, f, &o), 0);
    fclose(f);
    printf("%s", buf);
    CHECK(strstr(buf, "exit code: 3"));
    CHECK(strstr(buf, "leaks: 1 block never freed"));
    CHECK(strstr(buf, "16 bytes allocated at heap_types.rs:10 (numbers)"));
    free(buf);
    t->term_signal = 11;
    buf = NULL;
    f = open_memstream(&buf, &len);
    shi_render_summary(t, f, &o);
    fclose(f);
    CHECK(strstr(buf, "killed by signal 11"));
    free(buf);
    shi_trace_free(t);
}

SH_TEST(test_write_errors_are_reported) {
    FILE *full = fopen("/dev/full", "w");
    if (!full) return;  /* no /dev/full here: nothing to test with */
    setvbuf(full, NULL, _IONBF, 0);
    shi_trace *t = lesson_add();
    shi_render_opts o = {.utf8 = true, .width = 80};
    CHECK_EQ(shi_render_text(t, NULL, &t->steps[0], full, &o), -1);
    clearerr(full);
    CHECK_EQ(shi_render_json(t, full), -1);
    clearerr(full);
    CHECK_EQ(shi_render_pytutor(t, full), -1);
    fclose(full);
    shi_trace_free(t);
}

SH_TEST(test_opts_follow_the_environment) {
    setenv("LC_ALL", "", 1);
    setenv("LC_CTYPE", "en_US.UTF-8", 1);
    setenv("COLUMNS", "120", 1);
    setenv("NO_COLOR", "1", 1);
    FILE *f = tmpfile();
    shi_render_opts o = shi_render_opts_for(f);
    CHECK(o.utf8);
    CHECK(!o.color);  /* not a terminal, and NO_COLOR besides */
    CHECK_EQ(o.width, 120);
    setenv("LC_CTYPE", "C", 1);
    CHECK(!shi_render_opts_for(f).utf8);
    fclose(f);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static char *escaped(const char *s, size_t n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    shi_json_string(f, s, n);
    fclose(f);
    return buf;
}

#define CHECK_ESCAPE(in, want) do { char *got_ = escaped(in, sizeof(in) - 1);              \
        if (strcmp(got_, want) != 0) fprintf(stderr, "escaped: %s\n", got_);             \
        CHECK(strcmp(got_, want) == 0); CHECK(json_valid(got_)); free(got_); } while (0)

SH_TEST(test_json_escapes_quotes_backslashes_and_controls) {
    CHECK_ESCAPE("a\"b\\c", "\"a\\\"b\\\\c\"");
    CHECK_ESCAPE("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
    CHECK_ESCAPE("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
    CHECK_ESCAPE("nul\0inside", "\"nul\\u0000inside\"");
    CHECK_ESCAPE("</script>", "\"<\\/script>\"");
    CHECK_ESCAPE("a<b", "\"a<b\"");
    char *null = escaped(NULL, 0);
    CHECK(strcmp(null, "null") == 0);
    free(null);
}

SH_TEST(test_json_escapes_invalid_utf8) {
    CHECK_ESCAPE("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\xa6\x80", "\"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\xa6\x80\"");
    CHECK_ESCAPE("\xff", "\"\\ufffd\"");
    CHECK_ESCAPE("a\xc3", "\"a\\ufffd\"");                    /* cut short at the end */
    CHECK_ESCAPE("\xc0\xaf", "\"\\ufffd\\ufffd\"");          /* overlong '/' */
    CHECK_ESCAPE("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* a UTF-16 surrogate */
    CHECK_ESCAPE("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    CHECK_ESCAPE("\xe2\x80\xa8", "\"\\u2028\"");
}

SH_TEST(test_json_validator_rejects_bad_json) {
    /* the checks below rely on the validator: it must be able to say no */
    CHECK(json_valid("{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\"]}"));
    CHECK(!json_valid("{\"a\": [1, 2,]}"));
    CHECK(!json_valid("{\"a\": \"raw\nnewline\"}"));
    CHECK(!json_valid("{\"a\": \"\xff\"}"));
    CHECK(!json_valid("{\"a\": 01}"));
    CHECK(!json_valid("{\"a\": 1} x"));
    if (have_python()) CHECK(!python_agrees("{}", "assert d == {'x': 1}"));
}

/* Version 2: a step is what changed since the one before, one step a line. add's call
 * pushes its frame whole; its return pops it and patches main: the line, and sum's value
 * (marked changed by carrying it, its text "15" left out as the decimal of 15). */
SH_TEST(test_json_v2_writes_each_step_as_what_changed) {
    shi_trace *t = lesson_add();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f);
    CHECK_EQ(shi_render_json(t, f), 0);
    fclose(f);
    printf("%s", buf);
    CHECK(json_valid(buf));
    CHECK(strstr(buf, "{\"format\":\"stackheap-trace\",\"version\":2,"));
    CHECK(strstr(buf, "\"steps\":[\n{\"line\":5,\"file\":\"add.rs\",\"title\":\"main() called\","));
    CHECK(line_has(buf, "{\"line\":11,\"title\":\"add() called\",", "\"push\":[{\"function\":\"add\""));
    CHECK(!line_has(buf, "{\"line\":11,", "\"function\":\"main\""));   /* main is kept */
    CHECK(line_has(buf, "{\"line\":6,", "\"pop\":1,\"frames\":{\"0\":{\"line\":6,\"vars\":"
                                       "{\"2\":{\"value\":{\"kind\":\"int\",\"value\":15}}}}}"));
    CHECK(!strstr(buf, "\"index\""));
    CHECK(python_agrees(buf,
        "assert d['version'] == 2 and len(d['steps']) == 3\n"
        "assert d['steps'][1]['push'][0]['vars'][2]['value'] == {'kind': 'int', 'value': 15}\n"
        "assert 'frames' not in d['steps'][1] and 'statics' not in d['steps'][1]\n"));
    free(buf);
    shi_trace_free(t);
}

SH_TEST(test_json_lesson_add_parses_with_its_values) {
    shi_trace *t = lesson_add();
    char *json = render_json_text(t, false);
    printf("%s", json);
    CHECK(json_valid(json));
    CHECK(strstr(json, "\"format\": \"stackheap-trace\""));
    CHECK(strstr(json, "\"version\": 1"));
    CHECK(python_agrees(json,
        "assert d['format'] == 'stackheap-trace' and d['version'] == 1\n"
        "assert d['program'] == 'target/add' and d['language'] == 'rust'\n"
        "assert d['exit_code'] == 0 and d['signal'] is None and d['leaks'] == []\n"
        "s = d['steps']\n"
        "assert [x['index'] for x in s] == [0, 1, 2]\n"
        "assert s[0]['title'] == 'main() called' and s[1]['title'] == 'add() called'\n"
        "assert s[0]['frames'][0]['vars'][2]['name'] == 'sum'\n"
        "assert s[0]['frames'][0]['vars'][2]['value'] == {'kind': 'uninit', 'text': '?'}\n"
        "f = s[1]['frames']\n"
        "assert [x['function'] for x in f] == ['main', 'add']\n"
        "assert f[1]['new'] and not f[0]['new']\n"
        "r = f[1]['vars'][2]\n"
        "assert r['name'] == 'result' and r['type'] == 'i32' and r['size'] == 4\n"
        "assert r['value']['kind'] == 'int' and r['value']['value'] == 15\n"
        "assert f[1]['vars'][0]['param'] is True\n"
        "assert s[2]['frames'][0]['vars'][2]['value']['value'] == 15\n"
        "assert s[2]['frames'][0]['vars'][2]['changed'] is True\n"
        "ev = s[2]['events']\n"
        "assert ev[0] == {'kind': 'return', 'function': 'add', 'value': 15}\n"
        "assert ev[1] == {'kind': 'output', 'text': 'sum = 15\\n'}\n"
        "assert ev[2]['kind'] == 'exit' and ev[2]['value'] == 0\n"));
    free(json);
    shi_trace_free(t);
}

SH_TEST(test_json_heap_types_blocks_and_handles) {
    shi_trace *t = lesson_heap_types();
    char *json = render_json_text(t, false);
    CHECK(json_valid(json));
    CHECK(strstr(json, "\"bytes_hex\": \"48656c6c6f2c20776f726c6421\""));  /* Hello, world! */
    CHECK(python_agrees(json,
        "s = d['steps'][1]\n"
        "h = {b['id']: b for b in s['heap']}\n"
        "assert bytes.fromhex(h[1]['bytes_hex']) == b'Hello, world!'\n"
        "assert h[2]['size'] == 16 and h[2]['addr'] == '0x5555555a2af0'\n"
        "assert bytes.fromhex(h[2]['bytes_hex'])[:12] == bytes([1,0,0,0,2,0,0,0,3,0,0,0])\n"
        "assert h[3]['new'] and not h[1]['new'] and h[3]['alloc_line'] == 18\n"
        "v = {x['name']: x['value'] for x in s['frames'][0]['vars']}\n"
        "assert v['name']['owned'] == 'string' and v['name']['len'] == 13\n"
        "assert v['name']['cap'] == 13 and v['name']['block'] == 1\n"
        "assert v['numbers']['len'] == 3 and v['numbers']['cap'] == 4\n"
        "assert v['numbers']['elem_type'] == 'i32' and v['numbers']['block'] == 2\n"
        "assert v['boxed']['owned'] == 'box' and 'len' not in v['boxed']\n"
        "assert v['boxed']['block'] == 3 and v['boxed']['ptr'] == '0x5555555a2b10'\n"
        "e = s['events'][0]\n"
        "assert e == {'kind': 'alloc', 'addr': '0x5555555a2b10', 'size': 4, 'block_id': 3}\n"));
    free(json);
    shi_trace_free(t);
}

SH_TEST(test_json_hostile_strings_still_parse) {
    shi_trace *t = shi_trace_new("we\"ird\\prog\n\x01\xff</script>");
    shi_trace_add_arg(t, "--name=\xc3\x28");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *f = shi_step_push_frame(s, "f\"n", "a\tb.c", 1);
    shi_var *v = shi_frame_add_var(f, "x\ny", "char *", 8);
    shi_value_set_text(&v->value, "\"quoted\"\x02");
    v->value.kind = SHI_VAL_POINTER;
    v = shi_frame_add_var(f, "nan", "f64", 8);
    shi_value_set_float(&v->value, NAN);
    v = shi_frame_add_var(f, "inf", "f64", 8);
    shi_value_set_float(&v->value, -INFINITY);
    shi_step_add_event(s, SHI_EV_OUTPUT)->text = shi_trace_strdup("\x1b[31mred\x1b[0m\r\n");
    char *json = render_json_text(t, false);
    CHECK(json_valid(json));
    CHECK(python_agrees(json,
        "assert d['program'] == 'we\"ird\\\\prog\\n\\x01\\ufffd</script>'\n"
        "assert d['argv'] == ['--name=\\ufffd(']\n"
        "f = d['steps'][0]['frames'][0]\n"
        "assert f['function'] == 'f\"n' and f['file'] == 'a\\tb.c'\n"
        "assert f['vars'][0]['name'] == 'x\\ny'\n"
        "assert f['vars'][1]['value']['value'] is None\n"
        "assert f['vars'][2]['value']['value'] is None\n"
        "assert d['steps'][0]['events'][0]['text'] == '\\x1b[31mred\\x1b[0m\\r\\n'\n"));
    free(json);
    json = render_json_text(t, true);
    CHECK(json_valid(json));
    free(json);
    shi_trace_free(t);
}

/* ---- Online Python Tutor ----------------------------------------------------------------- */

SH_TEST(test_pytutor_has_the_required_keys) {
    shi_trace *t = lesson_add();
    char *json = render_json_text(t, true);
    printf("%s", json);
    CHECK(json_valid(json));
    CHECK(strstr(json, "\"stack_to_render\""));
    CHECK(strstr(json, "\"encoded_locals\""));
    CHECK(strstr(json, "\"<UNINITIALIZED>\""));
    CHECK(python_agrees(json,
        "assert set(d) == {'code', 'trace'} and len(d['trace']) == 3\n"
        "keys = {'line', 'event', 'func_name', 'stack_to_render', 'heap', 'globals',\n"
        "        'ordered_globals', 'stdout'}\n"
        "fkeys = {'func_name', 'encoded_locals', 'ordered_varnames', 'frame_id',\n"
        "         'is_highlighted', 'unique_hash', 'is_parent', 'is_zombie',\n"
        "         'parent_frame_id_list'}\n"
        "for e in d['trace']:\n"
        "    assert keys <= set(e), set(e)\n"
        "    for f in e['stack_to_render']:\n"
        "        assert fkeys <= set(f), set(f)\n"
        "        assert sorted(f['ordered_varnames']) == sorted(f['encoded_locals'])\n"
        "    assert [f['is_highlighted'] for f in e['stack_to_render']][-1] is True\n"
        "tr = d['trace']\n"
        "# as OPT's C backend: the first entry a step_line, add's last step its return\n"
        "assert [e['event'] for e in tr] == ['step_line', 'return', 'return']\n"
        "assert [e['func_name'] for e in tr] == ['main', 'add', 'main']\n"
        "assert [e['line'] for e in tr] == [5, 11, 6]\n"
        "assert [e['stdout'] for e in tr] == ['', '', 'sum = 15\\n']\n"
        "m0, m1, a1 = tr[0]['stack_to_render'][0], *tr[1]['stack_to_render']\n"
        "assert m0['frame_id'] == m1['frame_id'] != a1['frame_id']\n"
        "assert a1['unique_hash'] == 'add_f%d' % a1['frame_id']\n"
        "assert m0['encoded_locals']['sum'][3] == '<UNINITIALIZED>'\n"
        "assert a1['encoded_locals']['result'][0] == 'C_DATA'\n"
        "assert a1['encoded_locals']['result'][3] == 15\n"
        "assert a1['ordered_varnames'][-1] == '__return__'\n"
        "assert a1['encoded_locals']['__return__'][2:] == ['int', 15]\n"
        "assert '__return__' not in m1['encoded_locals']\n"
        "assert tr[2]['stack_to_render'][0]['encoded_locals']['sum'][3] == 15\n"));
    free(json);
    shi_trace_free(t);
}

SH_TEST(test_pytutor_heap_and_source) {
    char path[] = "/tmp/sh_test_src_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *src = "fn main() {\n    let s = \"tab\\there\";\n}\n";
    CHECK_EQ(write(fd, src, strlen(src)), (long long)strlen(src));
    close(fd);
    shi_trace *t = lesson_heap_types();
    shi_trace_add_source(t, path);
    char *json = render_json_text(t, true);
    unlink(path);
    CHECK(json_valid(json));
    CHECK(python_agrees(json,
        "assert d['code'] == 'fn main() {\\n    let s = \"tab\\\\there\";\\n}\\n'\n"
        "h = d['trace'][1]['heap']\n"
        "assert set(h) == {'0x5555555a2ad0', '0x5555555a2af0', '0x5555555a2b10'}\n"
        "s = h['0x5555555a2ad0']\n"
        "assert s[0] == 'C_ARRAY' and ''.join(c[3] for c in s[2:]) == 'Hello, world!'\n"
        "v = h['0x5555555a2af0']\n"
        "assert [c[3] for c in v[2:]] == [1, 2, 3, '<UNINITIALIZED>']\n"
        "assert h['0x5555555a2b10'] == ['C_ARRAY', '0x5555555a2b10',\n"
        "                               ['C_DATA', '0x5555555a2b10', 'i32', 42]]\n"
        "loc = d['trace'][1]['stack_to_render'][0]['encoded_locals']\n"
        "assert loc['name'][0] == 'C_STRUCT' and loc['name'][2] == 'String'\n"
        "assert loc['name'][3][0] == 'ptr'\n"
        "assert loc['name'][3][1][2:] == ['pointer', '0x5555555a2ad0']\n"
        "assert loc['numbers'][5][1][3] == 4\n"));
    free(json);
    shi_trace_free(t);
}

SH_TEST(test_pytutor_shadowed_names_stay_apart) {
    shi_trace *t = shi_trace_new("prog");
    shi_frame *f = shi_step_push_frame(shi_trace_add_step(t), "main", "s.rs", 3);
    shi_value_set_int(&shi_frame_add_var(f, "x", "i32", 4)->value, 5);
    shi_value_set_int(&shi_frame_add_var(f, "x", "i32", 4)->value, 6);  /* let x = x + 1; */
    char *json = render_json_text(t, true);
    CHECK(json_valid(json));
    CHECK(strstr(json, "\"x#2\""));
    CHECK(python_agrees(json,
        "f = d['trace'][0]['stack_to_render'][0]\n"
        "assert f['ordered_varnames'] == ['x', 'x#2']\n"
        "assert f['encoded_locals']['x'][3] == 5 and f['encoded_locals']['x#2'][3] == 6\n"));
    free(json);
    shi_trace_free(t);
}

/* ---- Python Tutor: as its C backend encodes values --------------------------------------- */

/* A variable whose value has its own address and type, as the DWARF reader gives them. */
static shi_value *typed_var(shi_frame *f, const char *name, const char *type, uint64_t at) {
    shi_var *v = shi_frame_add_var(f, name, type, 8);
    v->addr = at;
    v->value.at = at;
    v->value.type = shi_trace_strdup(type);
    return &v->value;
}

static shi_value *typed_field(shi_value *parent, const char *name, const char *type,
                              uint64_t at) {
    shi_value *v = shi_value_add_field(parent, name)->value;
    v->at = at;
    v->type = shi_trace_strdup(type);
    return v;
}

/* The front end keys arrows by address: a struct with two pointers once carried its own
 * address on both, and the page stopped with "Assertion Failure". */
SH_TEST(test_pytutor_each_field_and_element_has_its_own_address) {
    shi_trace *t = shi_trace_new("prog");
    shi_frame *f = shi_step_push_frame(shi_trace_add_step(t), "main", "p.c", 9);
    shi_value_set_int(typed_var(f, "one", "int", 0x7ffe0000), 1);
    shi_value_set_int(typed_var(f, "two", "int", 0x7ffe0004), 2);
    shi_value *p = typed_var(f, "p", "struct pair", 0x7ffe0010);
    p->kind = SHI_VAL_STRUCT;
    shi_value_set_pointer(typed_field(p, "a", "int *", 0x7ffe0010), 0x7ffe0000, -1);
    shi_value_set_pointer(typed_field(p, "b", "int *", 0x7ffe0018), 0x7ffe0004, -1);
    shi_value *pts = typed_var(f, "pts", "struct point[2]", 0x7ffe0020);
    pts->kind = SHI_VAL_ARRAY;
    for (uint64_t i = 0; i < 2; i++) {
        shi_value *e = typed_field(pts, NULL, "struct point", 0x7ffe0020 + 8 * i);
        e->kind = SHI_VAL_STRUCT;
        shi_value_set_int(typed_field(e, "x", "int", 0x7ffe0020 + 8 * i), (int64_t)(2 * i + 1));
        shi_value_set_int(typed_field(e, "y", "int", 0x7ffe0024 + 8 * i), (int64_t)(2 * i + 2));
    }
    /* values the model has no address for (a register, a hand-made trace): made-up ones,
     * two pointers never share one */
    shi_value *q = &shi_frame_add_var(f, "q", "struct pair", 16)->value;
    q->kind = SHI_VAL_STRUCT;
    shi_value_set_pointer(shi_value_add_field(q, "a")->value, 0x7ffe0000, -1);
    shi_value_set_pointer(shi_value_add_field(q, "b")->value, 0x7ffe0004, -1);
    char *json = render_json_text(t, true);
    CHECK(json_valid(json));
    CHECK(strstr(json, "\"0x7ffe0018\""));
    CHECK(!strstr(json, "struct pair"));
    CHECK(python_agrees(json,
        "loc = d['trace'][0]['stack_to_render'][0]['encoded_locals']\n"
        "assert loc['p'] == ['C_STRUCT', '0x7ffe0010', 'pair',\n"
        "    ['a', ['C_DATA', '0x7ffe0010', 'pointer', '0x7ffe0000']],\n"
        "    ['b', ['C_DATA', '0x7ffe0018', 'pointer', '0x7ffe0004']]], loc['p']\n"
        "pts = loc['pts']\n"
        "assert pts[:2] == ['C_ARRAY', '0x7ffe0020'] and len(pts) == 4\n"
        "assert pts[3] == ['C_STRUCT', '0x7ffe0028', 'point',\n"
        "    ['x', ['C_DATA', '0x7ffe0028', 'int', 3]], ['y', ['C_DATA', '0x7ffe002c', 'int', 4]]]\n"
        "ptrs = []\n"
        "def walk(v):\n"
        "    if v[0] == 'C_DATA':\n"
        "        if v[2] == 'pointer': ptrs.append(v[1])\n"
        "    elif v[0] == 'C_STRUCT':\n"
        "        for name, x in v[3:]: walk(x)\n"
        "    else:\n"
        "        for x in v[2:]: walk(x)\n"
        "for v in loc.values(): walk(v)\n"
        "assert len(ptrs) == 4 and len(set(ptrs)) == 4 and '0x0' not in ptrs, ptrs\n"));
    free(json);
    shi_trace_free(t);
}

SH_TEST(test_pytutor_chars_are_characters_and_types_are_cs) {
    shi_trace *t = shi_trace_new("prog");
    shi_frame *f = shi_step_push_frame(shi_trace_add_step(t), "main", "p.c", 3);
    shi_value_set_char(typed_var(f, "c", "char", 0x7ffe0000), 'a', "'a'");
    shi_value_set_char(typed_var(f, "nul", "char", 0x7ffe0001), 0, "'\\0'");
    shi_value_set_char(typed_var(f, "hi", "char", 0x7ffe0002), 200, "'\\u{c8}'");
    shi_value_set_uint(typed_var(f, "u", "unsigned int", 0x7ffe0004), 4000000000u);
    shi_value_set_int(typed_var(f, "l", "long int", 0x7ffe0008), -5);
    shi_value_set_float(typed_var(f, "d", "double", 0x7ffe0010), 1.5);
    shi_value_set_bool(typed_var(f, "ok", "_Bool", 0x7ffe0018), true);
    shi_value_set_pointer(typed_var(f, "s", "const char *", 0x7ffe0020), 0x555555556004, -1);
    typed_var(f, "pt", "Point", 0x7ffe0028)->kind = SHI_VAL_STRUCT;      /* a typedef */
    typed_var(f, "anon", "struct {...}", 0x7ffe0030)->kind = SHI_VAL_STRUCT;
    shi_frame_add_var(f, "later", "struct point", 8)->addr = 0x7ffe0040;  /* not set yet */
    shi_frame_add_var(f, "lp", "struct node *", 8)->addr = 0x7ffe0048;
    char *json = render_json_text(t, true);
    CHECK(json_valid(json));
    CHECK(!strstr(json, "\"'a'\""));   /* not quoted twice */
    CHECK(python_agrees(json,
        "loc = d['trace'][0]['stack_to_render'][0]['encoded_locals']\n"
        "assert loc['c'] == ['C_DATA', '0x7ffe0000', 'char', 'a'], loc['c']\n"
        "assert loc['nul'][2:] == ['char', '\\\\0']\n"
        "assert loc['hi'][2:] == ['char', '?\?\?']\n"
        "assert loc['u'][2:] == ['unsigned int', 4000000000]\n"
        "assert loc['l'][2:] == ['long int', -5]\n"
        "assert loc['d'][2:] == ['double', 1.5]\n"
        "assert loc['ok'][2:] == ['_Bool', 1]\n"
        "assert loc['s'][2:] == ['pointer', '0x555555556004']\n"
        "assert loc['pt'][0] == 'C_STRUCT' and loc['pt'][2] == 'Point'\n"
        "assert loc['anon'][2] == '<anonymous>'\n"
        "assert loc['later'] == ['C_DATA', '0x7ffe0040', 'point', '<UNINITIALIZED>']\n"
        "assert loc['lp'] == ['C_DATA', '0x7ffe0048', 'pointer', '<UNINITIALIZED>']\n"));
    free(json);
    shi_trace_free(t);
}

/* A matrix (C's int m[2][3], rows in the model) is written as the backend writes one: its
 * dimensions, then its elements flat; a ragged or cut array of arrays stays nested. */
SH_TEST(test_pytutor_matrix_is_a_multidimensional_array) {
    shi_trace *t = shi_trace_new("prog");
    shi_frame *f = shi_step_push_frame(shi_trace_add_step(t), "main", "m.c", 3);
    shi_value *m = typed_var(f, "m", "int[2][3]", 0x7ffe0000);
    m->kind = SHI_VAL_ARRAY;
    shi_value *ragged = typed_var(f, "r", "int[2][2]", 0x7ffe0100);
    ragged->kind = SHI_VAL_ARRAY;
    for (uint64_t i = 0; i < 2; i++) {
        shi_value *row = typed_field(m, NULL, "int[3]", 0x7ffe0000 + 12 * i);
        row->kind = SHI_VAL_ARRAY;
        for (uint64_t k = 0; k < 3; k++)
            shi_value_set_int(typed_field(row, NULL, "int", row->at + 4 * k), (int64_t)(3 * i + k));
        row = typed_field(ragged, NULL, "int[2]", 0x7ffe0100 + 8 * i);
        row->kind = SHI_VAL_ARRAY;
        for (uint64_t k = 0; k <= i; k++)
            shi_value_set_int(typed_field(row, NULL, "int", row->at + 4 * k), 1);
    }
    char *json = render_json_text(t, true);
    CHECK(json_valid(json));
    CHECK(strstr(json, "C_MULTIDIMENSIONAL_ARRAY"));
    CHECK(python_agrees(json,
        "loc = d['trace'][0]['stack_to_render'][0]['encoded_locals']\n"
        "m = loc['m']\n"
        "assert m[:3] == ['C_MULTIDIMENSIONAL_ARRAY', '0x7ffe0000', [2, 3]], m[:3]\n"
        "assert [x[3] for x in m[3:]] == [0, 1, 2, 3, 4, 5]\n"
        "assert m[-1][1] == '0x7ffe0014'\n"
        "r = loc['r']\n"
        "assert r[0] == 'C_ARRAY' and [x[0] for x in r[2:]] == ['C_ARRAY', 'C_ARRAY']\n"));
    free(json);
    shi_trace_free(t);
}

/* A Rust char is a Unicode scalar value, written as its character; a String's bytes are
 * bytes, and one that is not a character on its own is "???", as the C backend writes it. */
SH_TEST(test_pytutor_rust_chars_and_string_bytes) {
    shi_trace *t = shi_trace_new("prog");
    t->language = shi_trace_strdup("rust");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *f = shi_step_push_frame(s, "main", "s.rs", 3);
    shi_value_set_char(typed_var(f, "e", "char", 0x7ffe0000), 0xE9, "'\u00e9'");
    shi_block *b = shi_step_add_block(s, 0x5555555a2ad0, 3, 1);
    shi_block_set_bytes(b, "a\xc3\xa9", 3);
    owned_string(b, "name", "a\xc3\xa9", 3, 3);
    shi_value_set_owned(typed_var(f, "name", "String", 0x7ffe0008), SHI_OWN_STRING,
                        0x5555555a2ad0, 3, 3, "u8", 1, 0);
    char *json = render_json_text(t, true);
    CHECK(json_valid(json));
    CHECK(python_agrees(json,
        "loc = d['trace'][0]['stack_to_render'][0]['encoded_locals']\n"
        "assert loc['e'][2:] == ['char', '\\u00e9'], loc['e']\n"
        "h = d['trace'][0]['heap']['0x5555555a2ad0']\n"
        "assert [x[3] for x in h[2:]] == ['a', '?\?\?', '?\?\?'], h\n"));
    free(json);
    shi_trace_free(t);
}

/* main (1) calls f (2, 3), f returns 7 to main (4); --max-steps cuts the run at 5. */
static shi_trace *call_return_limit(bool crash) {
    shi_trace *t = shi_trace_new("prog");
    int lines[5] = {8, 3, 4, 9, 10};
    for (int i = 0; i < 5; i++) {
        shi_step *s = shi_trace_add_step(t);
        s->file = shi_trace_strdup("p.c");
        s->line = lines[i];
        shi_frame *m = shi_step_push_frame(s, "main", "p.c", i == 1 || i == 2 ? 8 : lines[i]);
        m->cfa = 0x7ffe1000;
        shi_value_set_int(typed_var(m, "x", "long int", 0x7ffe0ff8), i);
        if (i == 1 || i == 2) {
            shi_frame *f = shi_step_push_frame(s, "f", "p.c", lines[i]);
            f->cfa = 0x7ffe0f00;
            shi_value_set_int(typed_var(f, "r", "long int", 0x7ffe0ef8), 7);
        }
    }
    shi_step_add_event(&t->steps[0], SHI_EV_CALL)->function = shi_trace_strdup("main");
    shi_step_add_event(&t->steps[1], SHI_EV_CALL)->function = shi_trace_strdup("f");
    shi_event *e = shi_step_add_event(&t->steps[3], SHI_EV_RETURN);
    e->function = shi_trace_strdup("f");
    e->value = 7;
    e->has_value = true;
    e->value_type = shi_trace_strdup("long int");
    e = shi_step_add_event(&t->steps[4], crash ? SHI_EV_SIGNAL : SHI_EV_LIMIT);
    e->text = shi_trace_strdup(crash ? "SIGSEGV (invalid memory access at 0x0)"
                                     : "stopped after 5 steps (--max-steps 5)");
    for (size_t i = 0; i < t->nsteps; i++)
        shi_step_mark_changes(&t->steps[i], i ? &t->steps[i - 1] : NULL);
    return t;
}

/* The "line just executed" arrow follows the events: a return on the callee's last step
 * (with its value as OPT's "Return value"), a cut run ending in instruction_limit_reached,
 * which the front end takes off and shows as a warning. */
SH_TEST(test_pytutor_return_on_the_callees_last_step_and_the_limit) {
    shi_trace *t = call_return_limit(false);
    char *json = render_json_text(t, true);
    CHECK(json_valid(json));
    CHECK(strstr(json, "\"instruction_limit_reached\""));
    CHECK(python_agrees(json,
        "tr = d['trace']\n"
        "assert [e['event'] for e in tr] == ['step_line', 'call', 'return', 'step_line',\n"
        "    'step_line', 'instruction_limit_reached'], [e['event'] for e in tr]\n"
        "f = tr[2]['stack_to_render'][-1]\n"
        "assert f['func_name'] == 'f' and f['ordered_varnames'] == ['r', '__return__']\n"
        "assert f['encoded_locals']['__return__'][2:] == ['long int', 7]\n"
        "assert all('__return__' not in fr['encoded_locals'] for e in tr[:2] + tr[3:]\n"
        "           for fr in e['stack_to_render'])\n"
        "assert tr[-1]['exception_msg'] == 'stopped after 5 steps (--max-steps 5)'\n"
        "assert tr[-1]['line'] == tr[-2]['line'] == 10\n"
        "assert [e['line'] for e in tr[:5]] == [8, 3, 4, 9, 10]\n"));
    free(json);
    shi_trace_free(t);
    t = call_return_limit(true);
    json = render_json_text(t, true);
    CHECK(!strstr(json, "instruction_limit_reached"));
    CHECK(python_agrees(json,
        "tr = d['trace']\n"
        "assert len(tr) == 5 and tr[-1]['event'] == 'exception'\n"
        "assert tr[-1]['exception_msg'].startswith('SIGSEGV')\n"));
    free(json);
    shi_trace_free(t);
}

/* Bytes no handle explains are unsigned (200, not -56), the words the model found pointing
 * into blocks are pointers; a vec's doubles stay doubles (1.5, not 4609434218613702656). */
SH_TEST(test_pytutor_heap_bytes_are_unsigned_and_floats_stay_floats) {
    shi_trace *t = shi_trace_new("prog");
    shi_step *s = shi_trace_add_step(t);
    shi_frame *f = shi_step_push_frame(s, "main", "p.c", 5);
    unsigned char node[16] = {200, 1, 2, 3, 0, 0, 0, 0};
    uint64_t next = 0x555555559300;
    memcpy(node + 8, &next, 8);
    shi_block *b = shi_step_add_block(s, 0x5555555592a0, 16, 1);
    shi_block_set_bytes(b, node, sizeof node);
    shi_block_add_ptr(b, 8, 2);
    double ds[2] = {1.5, -2.25};
    b = shi_step_add_block(s, 0x555555559300, 16, 2);
    shi_block_set_bytes(b, ds, sizeof ds);
    shi_value *slots = owned_slots(b, "v", "double", 8, 2);
    for (int i = 0; i < 2; i++) shi_value_set_float(slots->fields[i].value, ds[i]);
    shi_value_set_pointer(typed_var(f, "head", "unsigned char *", 0x7ffe0000), 0x5555555592a0, 0);
    shi_value_set_owned(typed_var(f, "v", "sh_vec_f64", 0x7ffe0010), SHI_OWN_VEC,
                        0x555555559300, 2, 2, "double", 8, 1);
    char *json = render_json_text(t, true);
    CHECK(json_valid(json));
    CHECK(!strstr(json, "-56"));
    CHECK(!strstr(json, "4609434218613702656"));
    CHECK(python_agrees(json,
        "h = d['trace'][0]['heap']\n"
        "n = h['0x5555555592a0']\n"
        "assert n[:2] == ['C_ARRAY', '0x5555555592a0'] and len(n) == 2 + 8 + 1, n\n"
        "assert n[2] == ['C_DATA', '0x5555555592a0', 'unsigned char', 200]\n"
        "assert n[9] == ['C_DATA', '0x5555555592a7', 'unsigned char', 0]\n"
        "assert n[10] == ['C_DATA', '0x5555555592a8', 'pointer', '0x555555559300']\n"
        "v = h['0x555555559300']\n"
        "assert v == ['C_ARRAY', '0x555555559300', ['C_DATA', '0x555555559300', 'double', 1.5],\n"
        "             ['C_DATA', '0x555555559308', 'double', -2.25]], v\n"));
    free(json);
    shi_trace_free(t);
}

static char *temp_source(const char *suffix, const char *text) {
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/sh_test_src_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
    close(fd);
    return path;
}

/* OPT shows one text: every file of the trace is in it, a step's line is its line there. */
SH_TEST(test_pytutor_every_source_file_is_in_the_code) {
    char *a = temp_source(".c", "int twice(int);\nint main(void) {\n    return twice(2) - 4;\n}\n");
    char *b = temp_source(".c", "int twice(int x) {\n    return 2 * x;\n}");
    shi_trace *t = shi_trace_new("prog");
    shi_trace_add_source(t, a);
    shi_trace_add_source(t, b);
    shi_step *s = shi_trace_add_step(t);
    s->file = shi_trace_strdup(a);
    s->line = 3;
    shi_step_push_frame(s, "main", a, 3);
    s = shi_trace_add_step(t);
    s->file = shi_trace_strdup(b);
    s->line = 2;
    shi_step_push_frame(s, "main", a, 3);
    shi_step_push_frame(s, "twice", b, 2);
    char *json = render_json_text(t, true);
    unlink(a);
    unlink(b);
    CHECK(json_valid(json));
    CHECK(strstr(json, "return 2 * x;"));
    char checks[1024];
    snprintf(checks, sizeof checks,
        "code = d['code'].split('\\n')\n"
        "tr = d['trace']\n"
        "assert code[tr[0]['line'] - 1] == '    return twice(2) - 4;'\n"
        "assert code[tr[1]['line'] - 1] == '    return 2 * x;', tr[1]['line']\n"
        "assert tr[1]['stack_to_render'][0]['line'] == tr[0]['line'] == 3\n"
        "assert code[tr[1]['stack_to_render'][1]['line'] - 1] == '    return 2 * x;'\n"
        "assert code[4] == '/* ---- %s ---- */'\n",
        strrchr(b, '/') + 1);
    CHECK(python_agrees(json, checks));
    free(json);
    free(a);
    free(b);
    shi_trace_free(t);
}

int main(void) { return sh_test_main(); }
