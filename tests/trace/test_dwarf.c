/*
 * tests/trace/test_dwarf.c — the DWARF reader on programs compiled at test time (cc -g -O0,
 * rustc -g), and its evaluator and value decoder on hand-made registers and memory.
 * Rust tests say "skipped" and pass when rustc is missing.
 */
#include <stdarg.h>
#include <stdint.h>

#include <dwarf.h>

#include "check.h"
#include "trace/debuginfo/dwarf.h"

/* ---- building the programs --------------------------------------------------------------- */

static const char *source_dir(void) {
    const char *s = getenv("SH_SOURCE_DIR");
    return s ? s : ".";
}

static const char *binary_dir(void) {
    const char *s = getenv("SH_BINARY_DIR");
    return s ? s : "build";
}

static const char *tmp_dir(void) {
    static char dir[64];
    if (!dir[0]) {
        strcpy(dir, "/tmp/sh_dwarf_XXXXXX");
        CHECK(mkdtemp(dir));
    }
    return dir;
}

static bool try_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool try_run(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd) == 0;
}

#define run(...) do { if (!try_run(__VA_ARGS__)) {                                \
        fprintf(stderr, "command failed: " __VA_ARGS__); fprintf(stderr, "\n"); _exit(1); } \
    } while (0)

static bool have_rustc(void) {
    if (system("rustc --version >/dev/null 2>&1") == 0) return true;
    printf("    skipped: rustc is not installed\n");
    return false;
}

/* Compiles an example (examples/NAME.c) into the temp dir; one using <stackheap/own.h> is
 * linked with libstackheap, which a sanitized build (-DSTACKHEAP_SANITIZE) instruments. */
static char *build_c(const char *name, const char *flags) {
    static char out[512];
    char cmd[1536];
    snprintf(out, sizeof out, "%s/%s", tmp_dir(), name);
    snprintf(cmd, sizeof cmd, "cc %s -O0 -I%s/include -o %s %s/examples/%s.c", flags,
             source_dir(), out, source_dir(), name);
    if (try_run("%s 2>/dev/null", cmd)) return out;
    if (try_run("%s %s/libstackheap.a -lpthread 2>/dev/null", cmd, binary_dir())) return out;
    run("%s -fsanitize=address,undefined %s/libstackheap.a -lpthread", cmd, binary_dir());
    return out;
}

static char *build_rust(const char *name, const char *flags) {
    static char out[512];
    snprintf(out, sizeof out, "%s/%s_rs", tmp_dir(), name);
    run("rustc %s -o %s %s/examples/rust/%s.rs 2>/dev/null", flags, out, source_dir(), name);
    return out;
}

static char *build_c_text(const char *name, const char *text) {
    static char out[512];
    char src[512];
    snprintf(src, sizeof src, "%s/%s.c", tmp_dir(), name);
    FILE *f = fopen(src, "w");
    CHECK(f);
    fputs(text, f);
    fclose(f);
    snprintf(out, sizeof out, "%s/%s", tmp_dir(), name);
    run("cc -g -O0 -o %s %s", out, src);
    return out;
}

static shi_dwarf *open_ok(const char *path) {
    char err[512] = "";
    shi_dwarf *d = shi_dwarf_open(path, err, sizeof err);
    if (!d) fprintf(stderr, "open %s: %s\n", path, err);
    CHECK(d);
    return d;
}

/* The number of the first line of `file` containing `text`. */
static int line_of(const char *file, const char *text) {
    FILE *f = fopen(file, "r");
    CHECK(f);
    char buf[1024];
    for (int n = 1; fgets(buf, sizeof buf, f); n++)
        if (strstr(buf, text)) { fclose(f); return n; }
    fclose(f);
    fprintf(stderr, "no line with '%s' in %s\n", text, file);
    _exit(1);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The first statement address of a line of the file ending in `base`; 0 if none. */
static uint64_t pc_of_line(const shi_dwarf *d, const char *base, int line) {
    size_t n;
    const shi_line *lines = shi_dwarf_lines(d, &n);
    for (size_t i = 0; i < n; i++)
        if (lines[i].line == line && ends_with(lines[i].file, base)) return lines[i].addr;
    return 0;
}

/* ---- collecting variables ---------------------------------------------------------------- */

typedef struct seen_var {
    char name[32], type[64];
    size_t size;
    shi_dwarf_var v;
} seen_var;

typedef struct seen {
    seen_var vars[32];
    int n;
} seen;

static int collect(const shi_dwarf_var *v, void *arg) {
    seen *s = arg;
    if (s->n == 32) return 1;
    seen_var *sv = &s->vars[s->n++];
    snprintf(sv->name, sizeof sv->name, "%s", v->name);
    snprintf(sv->type, sizeof sv->type, "%s", v->type_name);
    sv->size = v->size;
    sv->v = *v;
    return 0;
}

static seen_var *find_var(seen *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->vars[i].name, name) == 0) return &s->vars[i];
    return NULL;
}

static void expect_var(seen *s, const char *name, const char *type, size_t size) {
    seen_var *v = find_var(s, name);
    if (!v) { fprintf(stderr, "variable %s not in scope\n", name); _exit(1); }
    if (strcmp(v->type, type) != 0 || v->size != size) {
        fprintf(stderr, "%s: got %s (%zu bytes), expected %s (%zu bytes)\n", name, v->type,
                v->size, type, size);
        _exit(1);
    }
}

static seen vars_at_line(const shi_dwarf *d, const char *src, const char *base,
                         const char *text) {
    uint64_t pc = pc_of_line(d, base, line_of(src, text));
    CHECK(pc != 0);
    seen s = {0};
    CHECK(shi_dwarf_vars_at(d, pc, collect, &s) == s.n);
    return s;
}

/* ---- a fake tracee: registers and one memory buffer -------------------------------------- */

typedef struct fake {
    uint64_t regs[17];
    uint64_t base;        /* address of mem[0] */
    uint8_t mem[256];
    int reads;
} fake;

static bool fake_reg(void *arg, int regno, uint64_t *ret) {
    fake *f = arg;
    if (regno < 0 || regno >= 17) return false;
    *ret = f->regs[regno];
    return true;
}

static bool fake_mem(void *arg, uint64_t addr, void *buf, size_t len) {
    fake *f = arg;
    f->reads++;
    if (addr < f->base || addr + len > f->base + sizeof f->mem) return false;
    memcpy(buf, f->mem + (addr - f->base), len);
    return true;
}

static void put(fake *f, uint64_t addr, const void *v, size_t n) {
    CHECK(addr >= f->base && addr + n <= f->base + sizeof f->mem);
    memcpy(f->mem + (addr - f->base), v, n);
}

static void put64(fake *f, uint64_t addr, uint64_t v) { put(f, addr, &v, 8); }

static shi_dwarf_target target_of(fake *f, uint64_t cfa) {
    return (shi_dwarf_target){.read_reg = fake_reg, .read_mem = fake_mem, .arg = f, .cfa = cfa};
}

static shi_field *field(shi_value *v, const char *name) {
    for (size_t i = 0; i < v->nfields; i++)
        if (v->fields[i].name && strcmp(v->fields[i].name, name) == 0) return &v->fields[i];
    fprintf(stderr, "no field %s\n", name);
    _exit(1);
}

/* ---- opening: the errors ----------------------------------------------------------------- */

static void expect_open_error(const char *path, const char *message) {
    char err[512] = "";
    shi_dwarf *d = shi_dwarf_open(path, err, sizeof err);
    if (d || !strstr(err, message)) {
        fprintf(stderr, "open %s: expected '%s', got '%s'\n", path, message, err);
        _exit(1);
    }
}

SH_TEST(test_open_missing_file_says_so) {
    expect_open_error("/nonexistent/prog", "cannot open /nonexistent/prog: No such file");
}

SH_TEST(test_open_non_elf_says_not_elf) {
    char path[256];
    snprintf(path, sizeof path, "%s/notelf", tmp_dir());
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs("#!/bin/sh\necho hi\n", f);
    fclose(f);
    expect_open_error(path, "is not an ELF executable");
}

SH_TEST(test_open_without_g_says_compile_with_g) {
    expect_open_error(build_c("add", ""), "has no debug information: compile with -g");
}

SH_TEST(test_open_stripped_says_stripped) {
    char *path = build_c("add", "-g");
    run("strip %s", path);
    expect_open_error(path, "is stripped");
}

SH_TEST(test_open_rust_without_g_says_compile_with_g) {
    if (!have_rustc()) return;
    expect_open_error(build_rust("add", ""), "has no debug information: compile with -g");
}

/* ---- C: lines, functions, variables ------------------------------------------------------ */

SH_TEST(test_c_add_lines_are_the_users_only) {
    shi_dwarf *d = open_ok(build_c("add", "-g"));
    CHECK(strcmp(shi_dwarf_language_name(d), "c") == 0);
    char src[512];
    snprintf(src, sizeof src, "%s/examples/add.c", source_dir());
    const char *texts[] = {"int32_t x = 5;", "int32_t y = 10;", "int32_t sum = add(x, y);",
                           "printf(\"sum", "int32_t result = a + b;", "return result;"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        CHECK(pc_of_line(d, "examples/add.c", line_of(src, texts[i])) != 0);
    size_t n;
    const shi_line *lines = shi_dwarf_lines(d, &n);
    CHECK(n > 6);
    for (size_t i = 0; i < n; i++) {
        CHECK(ends_with(lines[i].file, "examples/add.c"));   /* no libc, no libstackheap */
        CHECK(lines[i].line > 0 && lines[i].is_stmt);
        CHECK(i == 0 || lines[i - 1].addr <= lines[i].addr);
    }
    size_t nfiles;
    const char *const *files = shi_dwarf_source_files(d, &nfiles);
    CHECK_EQ(nfiles, 1);
    CHECK(ends_with(files[0], "examples/add.c"));
    shi_dwarf_close(d);
}

SH_TEST(test_c_line_at_maps_a_pc_back) {
    shi_dwarf *d = open_ok(build_c("add", "-g"));
    char src[512];
    snprintf(src, sizeof src, "%s/examples/add.c", source_dir());
    int line = line_of(src, "int32_t y = 10;");
    const char *file = NULL;
    int got = 0;
    CHECK(shi_dwarf_line_at(d, pc_of_line(d, "add.c", line), &file, &got));
    CHECK_EQ(got, line);
    CHECK(ends_with(file, "examples/add.c"));
    CHECK(!shi_dwarf_line_at(d, 0x7fffffffffffull, &file, &got));
    shi_dwarf_close(d);
}

SH_TEST(test_c_function_at_names_add_and_main) {
    shi_dwarf *d = open_ok(build_c("add", "-g"));
    char src[512];
    snprintf(src, sizeof src, "%s/examples/add.c", source_dir());
    uint64_t pc = pc_of_line(d, "add.c", line_of(src, "int32_t result = a + b;"));
    const shi_function *f = shi_dwarf_function_at(d, pc);
    CHECK(f && strcmp(f->name, "add") == 0);
    CHECK(f->low_pc < f->entry && f->entry <= pc && pc < f->high_pc);
    CHECK(f->is_user && ends_with(f->decl_file, "add.c"));
    CHECK_EQ(f->decl_line, line_of(src, "static int32_t add(int32_t a, int32_t b) {"));
    const shi_function *m = shi_dwarf_main(d);
    CHECK(m && strcmp(m->name, "main") == 0);
    CHECK(shi_dwarf_function_at(d, m->low_pc) == m);
    CHECK(shi_dwarf_function_at(d, m->high_pc) != m);
    CHECK(shi_dwarf_function_at(d, 0) == NULL);
    shi_dwarf_close(d);
}

SH_TEST(test_c_add_params_come_first) {
    shi_dwarf *d = open_ok(build_c("add", "-g"));
    char src[512];
    snprintf(src, sizeof src, "%s/examples/add.c", source_dir());
    seen s = vars_at_line(d, src, "add.c", "return result;");
    CHECK_EQ(s.n, 3);
    CHECK(strcmp(s.vars[0].name, "a") == 0 && s.vars[0].v.is_param);
    CHECK(strcmp(s.vars[1].name, "b") == 0 && s.vars[1].v.is_param);
    CHECK(strcmp(s.vars[2].name, "result") == 0 && !s.vars[2].v.is_param);
    expect_var(&s, "result", "int32_t", 4);
    shi_dwarf_close(d);
}

static char *stack_types_c_src(void) {
    static char src[512];
    snprintf(src, sizeof src, "%s/examples/stack_types.c", source_dir());
    return src;
}

SH_TEST(test_c_stack_types_vars_have_the_lessons_sizes) {
    shi_dwarf *d = open_ok(build_c("stack_types", "-g"));
    seen s = vars_at_line(d, stack_types_c_src(), "stack_types.c", "printf(\"x=%d");
    expect_var(&s, "x", "int32_t", 4);
    expect_var(&s, "y", "uint64_t", 8);
    expect_var(&s, "pi", "double", 8);
    expect_var(&s, "active", "_Bool", 1);
    expect_var(&s, "point", "pair_f64", 16);
    expect_var(&s, "matrix", "int32_t[9]", 36);
    expect_var(&s, "origin", "struct Point3D", 24);
    CHECK_EQ(s.n, 7);
    shi_dwarf_close(d);
}

SH_TEST(test_c_location_is_below_the_cfa) {
    shi_dwarf *d = open_ok(build_c("stack_types", "-g"));
    seen s = vars_at_line(d, stack_types_c_src(), "stack_types.c", "printf(\"x=%d");
    seen_var *x = find_var(&s, "x");
    CHECK(x && x->v.loc && x->v.frame_base);
    CHECK_EQ(x->v.frame_base[0].atom, DW_OP_call_frame_cfa);
    fake f = {0};
    shi_dwarf_target t = target_of(&f, 0x7ffe0000);
    shi_dwarf_loc loc;
    CHECK_EQ(shi_dwarf_eval_location(x->v.loc, x->v.nloc, x->v.frame_base, x->v.nframe_base,
                                     &t, &loc), 0);
    CHECK_EQ(loc.kind, SHI_LOC_MEMORY);
    CHECK(loc.addr < 0x7ffe0000 && loc.addr >= 0x7ffe0000 - 256);
    shi_dwarf_close(d);
}

/* ---- Rust: the user's main, lines, variables --------------------------------------------- */

static char *stack_types_rs_src(void) {
    static char src[512];
    snprintf(src, sizeof src, "%s/examples/rust/stack_types.rs", source_dir());
    return src;
}

SH_TEST(test_rust_main_is_the_users_and_lines_skip_std) {
    if (!have_rustc()) return;
    shi_dwarf *d = open_ok(build_rust("stack_types", "-g"));
    CHECK(strcmp(shi_dwarf_language_name(d), "rust") == 0);
    const shi_function *m = shi_dwarf_main(d);
    CHECK(m && strcmp(m->name, "main") == 0 && m->is_user);
    CHECK(ends_with(m->decl_file, "stack_types.rs"));
    size_t n;
    const shi_line *lines = shi_dwarf_lines(d, &n);
    CHECK(n > 8);
    for (size_t i = 0; i < n; i++) CHECK(ends_with(lines[i].file, "rust/stack_types.rs"));
    CHECK(pc_of_line(d, "stack_types.rs", line_of(stack_types_rs_src(), "let x: i32 = 42;")));
    shi_dwarf_close(d);
}

SH_TEST(test_rust_stack_types_vars_have_the_lessons_sizes) {
    if (!have_rustc()) return;
    shi_dwarf *d = open_ok(build_rust("stack_types", "-g"));
    seen s = vars_at_line(d, stack_types_rs_src(), "stack_types.rs", "println!(\"origin");
    expect_var(&s, "x", "i32", 4);
    expect_var(&s, "y", "u64", 8);
    expect_var(&s, "pi", "f64", 8);
    expect_var(&s, "active", "bool", 1);
    expect_var(&s, "point", "(f64, f64)", 16);
    expect_var(&s, "matrix", "[i32; 9]", 36);
    expect_var(&s, "origin", "Point3D", 24);
    CHECK(!find_var(&s, "args"));   /* println!'s own locals */
    CHECK_EQ(s.n, 7);
    shi_dwarf_close(d);
}

SH_TEST(test_rust_let_scopes_hide_later_variables) {
    if (!have_rustc()) return;
    shi_dwarf *d = open_ok(build_rust("stack_types", "-g"));
    seen s = vars_at_line(d, stack_types_rs_src(), "stack_types.rs", "let pi: f64");
    CHECK(find_var(&s, "x") && find_var(&s, "y"));
    CHECK(!find_var(&s, "origin") && !find_var(&s, "matrix"));
    shi_dwarf_close(d);
}

SH_TEST(test_rust_frame_base_is_rsp) {
    if (!have_rustc()) return;
    shi_dwarf *d = open_ok(build_rust("stack_types", "-g"));
    seen s = vars_at_line(d, stack_types_rs_src(), "stack_types.rs", "println!(\"origin");
    seen_var *x = find_var(&s, "x");
    CHECK(x && x->v.loc && x->v.nframe_base == 1);
    CHECK_EQ(x->v.frame_base[0].atom, DW_OP_reg7);
    fake f = {0};
    f.regs[7] = 0x7ffd0000;
    shi_dwarf_target t = target_of(&f, 0);
    shi_dwarf_loc loc;
    CHECK_EQ(shi_dwarf_eval_location(x->v.loc, x->v.nloc, x->v.frame_base, x->v.nframe_base,
                                     &t, &loc), 0);
    CHECK(loc.kind == SHI_LOC_MEMORY && loc.addr >= 0x7ffd0000 && loc.addr < 0x7ffd0400);
    shi_dwarf_close(d);
}

/* ---- the evaluator on hand-made expressions ---------------------------------------------- */

static shi_dwarf_loc eval_ok(const Dwarf_Op *ops, size_t n, const Dwarf_Op *fb, size_t nfb,
                             fake *f, uint64_t cfa) {
    shi_dwarf_target t = target_of(f, cfa);
    shi_dwarf_loc loc;
    CHECK_EQ(shi_dwarf_eval_location(ops, n, fb, nfb, &t, &loc), 0);
    return loc;
}

SH_TEST(test_eval_fbreg_on_call_frame_cfa) {
    Dwarf_Op fb[] = {{.atom = DW_OP_call_frame_cfa}};
    Dwarf_Op ops[] = {{.atom = DW_OP_fbreg, .number = (Dwarf_Word)-20}};
    fake f = {0};
    shi_dwarf_loc loc = eval_ok(ops, 1, fb, 1, &f, 0x1000);
    CHECK_EQ(loc.kind, SHI_LOC_MEMORY);
    CHECK_EQ(loc.addr, 0x1000 - 20);
}

SH_TEST(test_eval_fbreg_on_rsp_uses_the_registers_value) {
    Dwarf_Op fb[] = {{.atom = DW_OP_reg7}};
    Dwarf_Op ops[] = {{.atom = DW_OP_fbreg, .number = 12}};
    fake f = {0};
    f.regs[7] = 0x5000;
    CHECK_EQ(eval_ok(ops, 1, fb, 1, &f, 0).addr, 0x500c);
}

SH_TEST(test_eval_breg_deref_follows_a_hidden_reference) {
    /* Rust's large argument passed by reference: `breg7 8; deref` */
    Dwarf_Op ops[] = {{.atom = DW_OP_breg7, .number = 8}, {.atom = DW_OP_deref}};
    fake f = {.base = 0x2000};
    f.regs[7] = 0x2000;
    put64(&f, 0x2008, 0x2080);
    shi_dwarf_loc loc = eval_ok(ops, 2, NULL, 0, &f, 0);
    CHECK_EQ(loc.kind, SHI_LOC_MEMORY);
    CHECK_EQ(loc.addr, 0x2080);
}

SH_TEST(test_eval_addr_adds_the_load_bias_and_plus_uconst) {
    Dwarf_Op ops[] = {{.atom = DW_OP_addr, .number = 0x4010}, {.atom = DW_OP_plus_uconst,
                                                                .number = 8}};
    fake f = {0};
    shi_dwarf_target t = target_of(&f, 0);
    t.load_bias = 0x555555554000;
    shi_dwarf_loc loc;
    CHECK_EQ(shi_dwarf_eval_location(ops, 2, NULL, 0, &t, &loc), 0);
    CHECK_EQ(loc.addr, 0x555555554000 + 0x4018);
}

SH_TEST(test_eval_register_location_and_stack_value) {
    Dwarf_Op reg[] = {{.atom = DW_OP_reg3}};
    fake f = {0};
    f.regs[3] = 42;
    shi_dwarf_loc loc = eval_ok(reg, 1, NULL, 0, &f, 0);
    CHECK(loc.kind == SHI_LOC_REGISTER && loc.regno == 3 && loc.value == 42);
    Dwarf_Op val[] = {{.atom = DW_OP_breg3, .number = 1}, {.atom = DW_OP_lit2},
                      {.atom = DW_OP_mul}, {.atom = DW_OP_stack_value}};
    loc = eval_ok(val, 4, NULL, 0, &f, 0);
    CHECK(loc.kind == SHI_LOC_VALUE && loc.value == 86);
}

SH_TEST(test_eval_fails_on_bad_memory_unknown_ops_and_no_frame_base) {
    fake f = {.base = 0x2000};
    shi_dwarf_target t = target_of(&f, 0);
    shi_dwarf_loc loc;
    Dwarf_Op deref[] = {{.atom = DW_OP_lit16}, {.atom = DW_OP_deref}};
    CHECK_EQ(shi_dwarf_eval_location(deref, 2, NULL, 0, &t, &loc), -1);
    Dwarf_Op piece[] = {{.atom = DW_OP_lit1}, {.atom = DW_OP_piece, .number = 4}};
    CHECK_EQ(shi_dwarf_eval_location(piece, 2, NULL, 0, &t, &loc), -1);
    Dwarf_Op fbreg[] = {{.atom = DW_OP_fbreg, .number = 8}};
    CHECK_EQ(shi_dwarf_eval_location(fbreg, 1, NULL, 0, &t, &loc), -1);
    CHECK_EQ(shi_dwarf_eval_location(NULL, 0, NULL, 0, &t, &loc), -1);
}

SH_TEST(test_eval_pieces_gather_a_value_from_a_register_and_a_constant) {
    /* a struct of two longs in optimised code: rbx holds the first, the second is known */
    Dwarf_Op ops[] = {{.atom = DW_OP_reg3}, {.atom = DW_OP_piece, .number = 8},
                      {.atom = DW_OP_lit5}, {.atom = DW_OP_stack_value},
                      {.atom = DW_OP_piece, .number = 4}};
    fake f = {0};
    f.regs[3] = 0x1122334455667788;
    shi_dwarf_loc loc = eval_ok(ops, 5, NULL, 0, &f, 0);
    CHECK_EQ(loc.kind, SHI_LOC_BYTES);
    CHECK_EQ(loc.nbytes, 12);
    uint64_t first;
    uint32_t second;
    memcpy(&first, loc.bytes, 8);
    memcpy(&second, loc.bytes + 8, 4);
    CHECK(first == 0x1122334455667788 && second == 5);
}

SH_TEST(test_eval_a_piece_without_a_place_or_an_entry_value_is_optimised_out) {
    fake f = {0};
    Dwarf_Op hole[] = {{.atom = DW_OP_piece, .number = 8}, {.atom = DW_OP_reg3},
                       {.atom = DW_OP_piece, .number = 8}};
    CHECK_EQ(eval_ok(hole, 3, NULL, 0, &f, 0).kind, SHI_LOC_OPTIMISED);
    /* gcc -O2's parameter once its register is reused: the value it had at the entry */
    Dwarf_Op entry[] = {{.atom = DW_OP_entry_value, .number = 1}, {.atom = DW_OP_stack_value}};
    CHECK_EQ(eval_ok(entry, 2, NULL, 0, &f, 0).kind, SHI_LOC_OPTIMISED);
    Dwarf_Op gnu[] = {{.atom = DW_OP_GNU_entry_value, .number = 1}, {.atom = DW_OP_lit2},
                      {.atom = DW_OP_mul}, {.atom = DW_OP_stack_value}};
    CHECK_EQ(eval_ok(gnu, 4, NULL, 0, &f, 0).kind, SHI_LOC_OPTIMISED);
}

static bool entry_seven(void *arg, int regno, uint64_t *ret) {
    (void)arg;
    *ret = 7;
    return regno == 1;   /* only rdx's value at the entry is known */
}

SH_TEST(test_eval_entry_value_is_asked_of_the_target) {
    Dwarf_Op ops[] = {{.atom = DW_OP_entry_value, .number = 1}, {.atom = DW_OP_lit2},
                      {.atom = DW_OP_mul}, {.atom = DW_OP_stack_value}};
    fake f = {0};
    shi_dwarf_target t = target_of(&f, 0);
    t.entry_value = entry_seven;
    t.entry_regno = 1;
    shi_dwarf_loc loc;
    CHECK_EQ(shi_dwarf_eval_location(ops, 4, NULL, 0, &t, &loc), 0);
    CHECK(loc.kind == SHI_LOC_VALUE && loc.value == 14);
    t.entry_regno = 5;   /* rdi: the call site does not say */
    CHECK_EQ(shi_dwarf_eval_location(ops, 4, NULL, 0, &t, &loc), 0);
    CHECK_EQ(loc.kind, SHI_LOC_OPTIMISED);
}

SH_TEST(test_eval_implicit_value_gives_its_bytes) {
    static const unsigned char half[8] = {0, 0, 0, 0, 0, 0, 4, 0x40};   /* 2.5 */
    Dwarf_Op ops[] = {{.atom = DW_OP_implicit_value, .number = 8,
                       .number2 = (Dwarf_Word)(uintptr_t)half}};
    fake f = {0};
    shi_dwarf_loc loc = eval_ok(ops, 1, NULL, 0, &f, 0);
    CHECK(loc.kind == SHI_LOC_BYTES && loc.nbytes == 8 && memcmp(loc.bytes, half, 8) == 0);
}

SH_TEST(test_eval_a_register_that_cannot_be_read_has_no_value) {
    Dwarf_Op xmm0[] = {{.atom = DW_OP_reg17}};   /* the fake has the 17 general registers */
    fake f = {0};
    shi_dwarf_loc loc = eval_ok(xmm0, 1, NULL, 0, &f, 0);
    CHECK(loc.kind == SHI_LOC_REGISTER && !loc.has_value);
}

SH_TEST(test_located_values_are_read_as_their_type) {
    shi_dwarf *d = open_ok(build_c("stack_types", "-g"));
    seen s = vars_at_line(d, stack_types_c_src(), "stack_types.c", "printf(\"x=%d");
    fake f = {0};
    shi_dwarf_target t = target_of(&f, 0);
    shi_value v;
    /* an int32_t in a register holding -5: signed, not 4294967291 */
    shi_dwarf_loc reg = {.kind = SHI_LOC_REGISTER, .regno = 0, .has_value = true,
                         .value = (uint64_t)-5};
    CHECK_EQ(shi_dwarf_read_located(d, &find_var(&s, "x")->v.type, &reg, &t, &v), 0);
    CHECK(v.kind == SHI_VAL_INT && v.i == -5 && v.at == 0);
    /* a double's constant bytes */
    shi_dwarf_var konst = {.has_const = true, .const_block = (const unsigned char *)"\0\0\0\0\0\0\4@",
                           .const_size = 8};
    shi_dwarf_loc bytes;
    CHECK(shi_dwarf_var_const(&konst, &bytes));
    CHECK_EQ(shi_dwarf_read_located(d, &find_var(&s, "pi")->v.type, &bytes, &t, &v), 0);
    CHECK(v.kind == SHI_VAL_FLOAT && v.f == 2.5);
    /* a struct of two doubles gathered from pieces, 16 bytes */
    double pair[2] = {1.0, 2.0};
    shi_dwarf_loc pieces = {.kind = SHI_LOC_BYTES, .nbytes = 16};
    memcpy(pieces.bytes, pair, 16);
    CHECK_EQ(shi_dwarf_read_located(d, &find_var(&s, "point")->v.type, &pieces, &t, &v), 0);
    CHECK(v.kind == SHI_VAL_STRUCT && v.nfields == 2 && field(&v, "_1")->value->f == 2.0);
    /* a register too small for the type, or unreadable: unreadable, never garbage (nor
     * what lies in the tracee past the register's 8 bytes) */
    shi_dwarf_read_located(d, &find_var(&s, "point")->v.type, &reg, &t, &v);
    CHECK(v.kind == SHI_VAL_UNREADABLE ||
          (v.nfields == 2 && field(&v, "_1")->value->kind == SHI_VAL_UNREADABLE));
    reg.has_value = false;
    CHECK_EQ(shi_dwarf_read_located(d, &find_var(&s, "x")->v.type, &reg, &t, &v), -1);
    shi_dwarf_close(d);
}

/* ---- values on fake memory --------------------------------------------------------------- */

SH_TEST(test_value_c_struct_array_and_scalars) {
    shi_dwarf *d = open_ok(build_c("stack_types", "-g"));
    seen s = vars_at_line(d, stack_types_c_src(), "stack_types.c", "printf(\"x=%d");
    fake f = {.base = 0x1000};
    shi_dwarf_target t = target_of(&f, 0);
    shi_value v;
    double one = 1.0, two = 2.0;   /* point: {_0, _1} */
    put(&f, 0x1000, &one, 8);
    put(&f, 0x1008, &two, 8);
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "point")->v.type, 0x1000, &t, &v), 0);
    CHECK_EQ(v.kind, SHI_VAL_STRUCT);
    CHECK_EQ(v.nfields, 2);
    CHECK(field(&v, "_0")->value->kind == SHI_VAL_FLOAT && field(&v, "_0")->value->f == 1.0);
    CHECK(field(&v, "_1")->value->f == 2.0);
    int32_t m[9] = {1, 2, 3, 4, 5, 6, 7, 8, -9};
    put(&f, 0x1040, m, sizeof m);
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "matrix")->v.type, 0x1040, &t, &v), 0);
    CHECK(v.kind == SHI_VAL_ARRAY && v.nfields == 9 && v.truncated == 0);
    CHECK_EQ(v.fields[8].value->kind, SHI_VAL_INT);
    CHECK_EQ(v.fields[8].value->i, -9);
    put64(&f, 0x1080, 0xffffffff00000001ull);   /* y: uint64_t */
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "y")->v.type, 0x1080, &t, &v), 0);
    CHECK(v.kind == SHI_VAL_UINT && v.u == 0xffffffff00000001ull);
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "active")->v.type, 0x1080, &t, &v), 0);
    CHECK(v.kind == SHI_VAL_BOOL && v.b);
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "x")->v.type, 0x9000, &t, &v), -1);
    CHECK_EQ(v.kind, SHI_VAL_UNREADABLE);
    shi_dwarf_close(d);
}

SH_TEST(test_value_members_by_offset_long_arrays_truncated_enums_chars) {
    shi_dwarf *d = open_ok(build_c_text("shapes",
        "enum color { RED, GREEN = 7 };\n"
        "struct rec { char tag; int big[40]; enum color c; int *p; };\n"
        "int main(void) {\n"
        "    struct rec r = {'A', {0}, GREEN, 0};\n"
        "    return r.tag;\n"
        "}\n"));
    uint64_t pc = pc_of_line(d, "shapes.c", 5);
    seen s = {0};
    CHECK(shi_dwarf_vars_at(d, pc, collect, &s) == 1);
    expect_var(&s, "r", "struct rec", 176);
    fake f = {.base = 0x1000};
    f.mem[0] = 'A';
    for (int i = 0; i < 40; i++) { int32_t e = i * 10; put(&f, 0x1004 + 4 * (uint64_t)i, &e, 4); }
    int32_t green = 7;
    put(&f, 0x10a4, &green, 4);
    put64(&f, 0x10a8, 0xdeadbeef);
    shi_dwarf_target t = target_of(&f, 0);
    shi_value v;
    CHECK_EQ(shi_dwarf_read_value(d, &s.vars[0].v.type, 0x1000, &t, &v), 0);
    shi_value *tag = field(&v, "tag")->value, *big = field(&v, "big")->value;
    CHECK(tag->kind == SHI_VAL_CHAR && tag->u == 'A' && strcmp(tag->text, "'A'") == 0);
    CHECK(big->kind == SHI_VAL_ARRAY && big->nfields == 16 && big->truncated == 24);
    CHECK_EQ(big->fields[15].value->i, 150);
    shi_value *c = field(&v, "c")->value;
    CHECK(c->kind == SHI_VAL_INT && c->i == 7 && strcmp(c->text, "GREEN") == 0);
    CHECK(field(&v, "p")->value->kind == SHI_VAL_POINTER && field(&v, "p")->value->addr == 0xdeadbeef);
    shi_dwarf_close(d);
}

/* Every value carries its own address and its type as gcc names it: the Python Tutor
 * export draws each field and element at its own address (its arrows are keyed by them). */
SH_TEST(test_value_fields_carry_their_address_and_type) {
    shi_dwarf *d = open_ok(build_c_text("placed",
        "typedef struct { long l; unsigned int u; } pair_t;\n"
        "struct rec { char tag; pair_t pr; int arr[3]; const char *s; };\n"
        "int main(void) {\n"
        "    struct rec r = {'A', {-5, 7}, {1, 2, 3}, 0};\n"
        "    return r.tag;\n"
        "}\n"));
    uint64_t pc = pc_of_line(d, "placed.c", 5);
    seen s = {0};
    CHECK(shi_dwarf_vars_at(d, pc, collect, &s) == 1);
    expect_var(&s, "r", "struct rec", 48);
    fake f = {.base = 0x1000};
    f.mem[0] = 'A';
    int32_t three = 3;
    put(&f, 0x1020, &three, 4);
    shi_dwarf_target t = target_of(&f, 0);
    shi_value v;
    CHECK_EQ(shi_dwarf_read_value(d, &s.vars[0].v.type, 0x1000, &t, &v), 0);
    CHECK(v.at == 0x1000 && v.type && strcmp(v.type, "struct rec") == 0);
    shi_value *tag = field(&v, "tag")->value, *pr = field(&v, "pr")->value;
    shi_value *arr = field(&v, "arr")->value, *str = field(&v, "s")->value;
    CHECK(tag->at == 0x1000 && strcmp(tag->type, "char") == 0);
    CHECK(pr->at == 0x1008 && strcmp(pr->type, "pair_t") == 0);   /* the typedef's name */
    CHECK(field(pr, "l")->value->at == 0x1008 && strcmp(field(pr, "l")->value->type, "long") == 0);
    CHECK(field(pr, "u")->value->at == 0x1010 &&
          strcmp(field(pr, "u")->value->type, "unsigned int") == 0);
    CHECK(arr->at == 0x1018 && strcmp(arr->type, "int[3]") == 0 && arr->nfields == 3);
    CHECK(arr->fields[2].value->at == 0x1020 && arr->fields[2].value->i == 3);
    CHECK(strcmp(arr->fields[2].value->type, "int") == 0);
    CHECK(str->at == 0x1028 && strcmp(str->type, "const char *") == 0);
    shi_value_clear(&v);
    shi_dwarf_close(d);
}

/* C's int m[2][3] is one array type with two subranges: rows of 3, not the first 2 ints. */
SH_TEST(test_value_c_matrix_is_rows_at_their_addresses) {
    shi_dwarf *d = open_ok(build_c_text("matrix",
        "int main(void) {\n"
        "    int m[2][3] = {{1, 2, 3}, {4, 5, 6}};\n"
        "    return m[1][2];\n"
        "}\n"));
    uint64_t pc = pc_of_line(d, "matrix.c", 3);
    seen s = {0};
    CHECK(shi_dwarf_vars_at(d, pc, collect, &s) == 1);
    expect_var(&s, "m", "int[2][3]", 24);
    fake f = {.base = 0x1000};
    int32_t m[6] = {1, 2, 3, 4, 5, 6};
    put(&f, 0x1000, m, sizeof m);
    shi_dwarf_target t = target_of(&f, 0);
    shi_value v;
    CHECK_EQ(shi_dwarf_read_value(d, &s.vars[0].v.type, 0x1000, &t, &v), 0);
    CHECK(v.kind == SHI_VAL_ARRAY && v.nfields == 2 && v.truncated == 0);
    shi_value *row = v.fields[1].value;
    CHECK(row->kind == SHI_VAL_ARRAY && row->nfields == 3);
    CHECK(row->at == 0x100c && row->type && strcmp(row->type, "int[3]") == 0);
    CHECK(row->fields[2].value->i == 6 && row->fields[2].value->at == 0x1014);
    CHECK(strcmp(row->fields[2].value->type, "int") == 0);
    CHECK(v.fields[0].value->fields[0].value->i == 1 && v.fields[0].value->at == 0x1000);
    shi_value_clear(&v);
    shi_dwarf_close(d);
}

static void expect_owned(shi_value *v, int kind, uint64_t ptr, uint64_t len, uint64_t cap,
                         const char *elem, size_t elem_size) {
    if (v->kind != SHI_VAL_OWNED || (int)v->owned.kind != kind || v->owned.ptr != ptr ||
        v->owned.len != len || v->owned.cap != cap || !v->owned.elem_type ||
        strcmp(v->owned.elem_type, elem) != 0 || v->owned.elem_size != elem_size) {
        fprintf(stderr, "owned: kind %d/%d ptr %#llx len %llu cap %llu elem %s (%zu)\n",
                v->kind, (int)v->owned.kind, (unsigned long long)v->owned.ptr,
                (unsigned long long)v->owned.len, (unsigned long long)v->owned.cap,
                v->owned.elem_type ? v->owned.elem_type : "(null)", v->owned.elem_size);
        _exit(1);
    }
}

SH_TEST(test_value_c_owned_handles) {
    shi_dwarf *d = open_ok(build_c("heap_types", "-g"));
    char src[512];
    snprintf(src, sizeof src, "%s/examples/heap_types.c", source_dir());
    seen s = vars_at_line(d, src, "heap_types.c", "printf(\"name=%s");
    expect_var(&s, "name", "sh_string", 24);
    expect_var(&s, "numbers", "sh_vec_i32", 24);
    expect_var(&s, "boxed", "sh_box_i32", 8);
    fake f = {.base = 0x1000};   /* {ptr, len, cap} x2, then the box's pointer */
    put64(&f, 0x1000, 0x5000); put64(&f, 0x1008, 13); put64(&f, 0x1010, 13);
    put64(&f, 0x1018, 0x6000); put64(&f, 0x1020, 3); put64(&f, 0x1028, 4);
    put64(&f, 0x1030, 0x7000);
    shi_dwarf_target t = target_of(&f, 0);
    shi_value v;
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "name")->v.type, 0x1000, &t, &v), 0);
    expect_owned(&v, SHI_OWN_STRING, 0x5000, 13, 13, "char", 1);
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "numbers")->v.type, 0x1018, &t, &v), 0);
    expect_owned(&v, SHI_OWN_VEC, 0x6000, 3, 4, "int32_t", 4);
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "boxed")->v.type, 0x1030, &t, &v), 0);
    expect_owned(&v, SHI_OWN_BOX, 0x7000, 0, 0, "int32_t", 4);
    shi_dwarf_close(d);
}

/* rustc 1.95 lays a Vec out as {cap, ptr, len} (RawVecInner: cap at 0, ptr at 8; len at 16):
 * the decoder finds them by name and offset, so this order is what the fake memory holds. */
SH_TEST(test_value_rust_string_vec_box) {
    if (!have_rustc()) return;
    shi_dwarf *d = open_ok(build_rust("heap_types", "-g"));
    char src[512];
    snprintf(src, sizeof src, "%s/examples/rust/heap_types.rs", source_dir());
    seen s = vars_at_line(d, src, "heap_types.rs", "println!(\"name=");
    expect_var(&s, "name", "String", 24);
    expect_var(&s, "numbers", "Vec<i32>", 24);
    expect_var(&s, "boxed", "Box<i32>", 8);
    CHECK(!find_var(&s, "args"));
    fake f = {.base = 0x1000};
    put64(&f, 0x1000, 13); put64(&f, 0x1008, 0x5000); put64(&f, 0x1010, 13);
    put64(&f, 0x1018, 4); put64(&f, 0x1020, 0x6000); put64(&f, 0x1028, 3);
    put64(&f, 0x1030, 0x7000);
    put64(&f, 0x1038, 0); put64(&f, 0x1040, 4); put64(&f, 0x1048, 0);   /* Vec::new() */
    shi_dwarf_target t = target_of(&f, 0);
    shi_value v;
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "name")->v.type, 0x1000, &t, &v), 0);
    expect_owned(&v, SHI_OWN_STRING, 0x5000, 13, 13, "u8", 1);
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "numbers")->v.type, 0x1018, &t, &v), 0);
    expect_owned(&v, SHI_OWN_VEC, 0x6000, 3, 4, "i32", 4);
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "boxed")->v.type, 0x1030, &t, &v), 0);
    expect_owned(&v, SHI_OWN_BOX, 0x7000, 0, 0, "i32", 4);
    /* the dangling 0x4 of an empty Vec is outside the fake memory: a read would fail */
    CHECK_EQ(shi_dwarf_read_value(d, &find_var(&s, "numbers")->v.type, 0x1038, &t, &v), 0);
    expect_owned(&v, SHI_OWN_VEC, 0x4, 0, 0, "i32", 4);
    shi_dwarf_close(d);
}

/* One temp dir for every test (made before the tests fork), removed at the end. */
int main(void) {
    const char *dir = tmp_dir();
    int rc = sh_test_main();
    try_run("rm -rf %s", dir);
    return rc;
}
