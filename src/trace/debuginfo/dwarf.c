/*
 * src/trace/debuginfo/dwarf.c — opening a program's debug information, finding the user's code in
 * it (compilation units, files, statement lines) and its functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <gelf.h>

#include "trace/debuginfo/dwarf_internal.h"
#include "core/grow.h"
#include "core/panic.h"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *xstrdup(const char *s) {
    char *c = strdup(s);
    if (!c) SHI_PANIC("trace: out of memory");
    return c;
}

/* ---- the ELF file: stripped or not -------------------------------------------------------- */

static bool elf_has_section(Elf *elf, const char *wanted) {
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0) return false;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) continue;
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (name && strcmp(name, wanted) == 0) return true;
    }
    return false;
}

/* Opens the ELF; the messages are the ones the user sees, so they say what to do. */
static int open_elf(shi_dwarf *d, const char *path, char *err, size_t errlen) {
    d->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (d->fd < 0) {
        set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    elf_version(EV_CURRENT);
    d->elf = elf_begin(d->fd, ELF_C_READ_MMAP, NULL);
    if (!d->elf || elf_kind(d->elf) != ELF_K_ELF) {
        set_err(err, errlen, "%s is not an ELF executable", path);
        errno = ENOEXEC;
        return -1;
    }
    /* strip removes the symbol table along with the debug sections; -g absent keeps it. */
    if (!elf_has_section(d->elf, ".debug_info") && !elf_has_section(d->elf, ".symtab")) {
        set_err(err, errlen, "%s is stripped (no symbols, no debug information): "
                "use the unstripped binary, built with -g", path);
        errno = ENODATA;
        return -1;
    }
    d->dbg = dwarf_begin_elf(d->elf, DWARF_C_READ, NULL);
    if (!d->dbg) {
        set_err(err, errlen, "%s has no debug information: compile with -g", path);
        errno = ENODATA;
        return -1;
    }
    return 0;
}

/* ---- finding the user's main and compilation units ---------------------------------------- */

/* A file name of the unit as an absolute path, malloc'd: rustc and `cc -g dir/x.c` name
 * files relative to the compilation directory. NULL for NULL. */
static char *absolute_path(Dwarf_Die *cu, const char *file) {
    if (!file) return NULL;
    Dwarf_Attribute a;
    const char *dir = dwarf_attr(cu, DW_AT_comp_dir, &a) ? dwarf_formstring(&a) : NULL;
    if (file[0] == '/' || !dir) return xstrdup(file);
    char *path = NULL;
    SHI_RESIZE(path, strlen(dir) + strlen(file) + 2);
    sprintf(path, "%s/%s", dir, file);
    return path;
}

/* The CU's main source path: absolute, without rustc's "/@/crate.hash-cgu.0" suffix. */
static char *cu_source_path(Dwarf_Die *cu) {
    char *path = absolute_path(cu, dwarf_diename(cu));
    if (!path) return NULL;
    char *at = strstr(path, "/@/");
    if (at) *at = 0;
    return path;
}

/* Toolchain code: Rust's std and its crates, the C library's sources. */
static bool is_toolchain_path(const char *path) {
    return strncmp(path, "/rustc/", 7) == 0 || strncmp(path, "/rust/", 6) == 0 ||
           strstr(path, "/.cargo/registry/") || strncmp(path, "/usr/", 5) == 0 ||
           strncmp(path, "/build/", 7) == 0;
}

static bool die_has_flag(Dwarf_Die *die, unsigned name) {
    Dwarf_Attribute a;
    bool flag = false;
    return dwarf_attr(die, name, &a) && dwarf_formflag(&a, &flag) == 0 && flag;
}

/* A function's code: [low, high), or, when the compiler split it (g++ -O2 moves a C++
 * main's unlikely paths to main.cold: DW_AT_ranges), its first range, the one it enters. */
static bool code_range(Dwarf_Die *die, Dwarf_Addr *low, Dwarf_Addr *high) {
    if (dwarf_lowpc(die, low) == 0) return dwarf_highpc(die, high) == 0;
    Dwarf_Addr base;
    return dwarf_ranges(die, 0, &base, low, high) > 0;
}

static bool is_definition(Dwarf_Die *die) {
    Dwarf_Addr low, high;
    return code_range(die, &low, &high);
}

/* Searches a CU for the user's main: Rust marks it (nested in namespaces); C names it. */
static bool find_main(Dwarf_Die *parent, shi_dwarf_lang lang, Dwarf_Off *ret_off) {
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0) return false;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram && is_definition(&child)) {
            bool hit = lang == SHI_LANG_RUST
                           ? die_has_flag(&child, DW_AT_main_subprogram)
                           : dwarf_diename(&child) && strcmp(dwarf_diename(&child), "main") == 0;
            if (hit) { *ret_off = dwarf_dieoffset(&child); return true; }
        } else if (tag == DW_TAG_namespace && find_main(&child, lang, ret_off)) {
            return true;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
}

static shi_dwarf_lang cu_language(Dwarf_Die *cu) {
    switch (dwarf_srclang(cu)) {
    case DW_LANG_C: case DW_LANG_C89: case DW_LANG_C99: case DW_LANG_C11:
    case 0x2c:   /* DW_LANG_C17, newer than libdw 0.188's dwarf.h */
        return SHI_LANG_C;
    case DW_LANG_C_plus_plus: case DW_LANG_C_plus_plus_11: case DW_LANG_C_plus_plus_14:
    case 0x19:   /* DW_LANG_C_plus_plus_03 */
        return SHI_LANG_CPP;
    case DW_LANG_Rust:
        return SHI_LANG_RUST;
    default:
        return SHI_LANG_OTHER;
    }
}

static char *dir_of(const char *path) {
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) *slash = 0;
    return dir;
}

static bool path_under(const char *path, const char *dir) {
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/' && !is_toolchain_path(path);
}

/* The optimisation flag gcc and clang record in DW_AT_producer ("GNU C17 12.2.0 -g -O2"):
 * the last -O wins, as on the command line; "" for -O0 or none recorded (rustc records
 * none). */
static void producer_opt_level(Dwarf_Die *cu, char *out, size_t len) {
    Dwarf_Attribute a;
    const char *prod = dwarf_attr(cu, DW_AT_producer, &a) ? dwarf_formstring(&a) : NULL;
    const char *last = NULL;
    for (const char *p = prod; p && (p = strstr(p, " -O")); p += 3) last = p + 1;
    out[0] = 0;
    if (!last) return;
    size_t n = strcspn(last, " ");
    if (n < len && strncmp(last, "-O0", n > 3 ? n : 3) != 0) snprintf(out, len, "%.*s", (int)n, last);
}

/* What a build left in its user units that tells how it was made. */
typedef struct build_signs {
    int types, vars;       /* DW_TAG_base_type, variables and parameters */
    int all_calls;         /* DW_AT_call_all_calls: clang writes it from -O1 on (gcc at -O0 too) */
    int inlined_user;      /* a user function inlined: rustc does it from opt-level 1 on */
    int placeless_user;    /* a user variable of a user function with neither a location nor
                              a constant value: dropped by the optimiser */
} build_signs;

static bool user_decl(const shi_dwarf *d, Dwarf_Die *cu, Dwarf_Die *die) {
    return shi_dwarf_is_user_decl(d, cu, shi_dwarf_decl_file(die));
}

/* `in_user` says the scope is a user function's own (not code inlined into it). */
static void count_signs(const shi_dwarf *d, Dwarf_Die *cu, Dwarf_Die *die, bool in_user,
                        build_signs *b, int depth) {
    Dwarf_Die c;
    if (depth > 64 || dwarf_child(die, &c) != 0) return;
    do {
        int tag = dwarf_tag(&c);
        Dwarf_Attribute a;
        bool user = in_user;
        if (tag == DW_TAG_base_type) b->types++;
        if (tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) {
            b->vars++;
            /* a location list is no sign: clang -O0 and rustc's debug builds give one to
             * a value passed by hidden reference (`breg6 -1696; deref`, then `breg5 0`) */
            if (in_user && !dwarf_attr(&c, DW_AT_location, &a) && !dwarf_attr(&c, DW_AT_const_value, &a) &&
                user_decl(d, cu, &c))
                b->placeless_user++;
        }
        if (tag == DW_TAG_subprogram) {
            if (dwarf_attr(&c, DW_AT_call_all_calls, &a)) b->all_calls++;
            user = dwarf_hasattr(&c, DW_AT_low_pc) && user_decl(d, cu, &c);
        }
        if (tag == DW_TAG_inlined_subroutine) {
            user = false;
            if (user_decl(d, cu, &c)) b->inlined_user++;
        }
        count_signs(d, cu, &c, user, b, depth + 1);
    } while (dwarf_siblingof(&c, &c) == 0);
}

/* Whether the program was optimised (gcc says at which level; for clang and rustc, which
 * record no flags, the signs above tell it: checked on the tests' and examples' Rust
 * programs, none flagged at opt-level 0, 31 of 32 at 1 and 2) and whether its debug information has
 * variables at all (gcc -g1, clang -gline-tables-only, rustc -C debuginfo=1 keep lines and
 * functions only: no variable and no type, not even main's int). */
static void read_build(shi_dwarf *d) {
    build_signs b = {0};
    bool gnu = false;
    for (size_t i = 0; i < d->ncus; i++) {
        Dwarf_Die cudie;
        Dwarf_Attribute a;
        if (!dwarf_offdie(d->dbg, d->cus[i], &cudie)) continue;
        const char *prod = dwarf_attr(&cudie, DW_AT_producer, &a) ? dwarf_formstring(&a) : NULL;
        gnu = gnu || (prod && strncmp(prod, "GNU ", 4) == 0);
        count_signs(d, &cudie, &cudie, false, &b, 0);
    }
    d->lines_only = b.types == 0 && b.vars == 0;
    bool shows = b.inlined_user > 0 || b.placeless_user > 0 || b.all_calls > 0;
    if (!d->opt_level[0] && !gnu && shows)
        snprintf(d->opt_level, sizeof d->opt_level, "%s", SHI_OPT_UNKNOWN);
}

/* Finds main's CU (the first one with main), then every CU whose source is beside it. */
static int find_user_cus(shi_dwarf *d) {
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie;
    while (!d->source_dir && dwarf_get_units(d->dbg, cu, &cu, NULL, NULL, &cudie, NULL) == 0) {
        char *src = cu_source_path(&cudie);
        if (src && !is_toolchain_path(src)) {
            d->ncus = 1;   /* a unit of the user's at least (counted again below) */
            shi_dwarf_lang lang = cu_language(&cudie);
            if (find_main(&cudie, lang, &d->main_die)) {
                d->lang = lang;
                d->source_dir = dir_of(src);
                producer_opt_level(&cudie, d->opt_level, sizeof d->opt_level);
            }
        }
        free(src);
    }
    if (!d->source_dir) return -1;
    d->ncus = 0;
    cu = NULL;
    while (dwarf_get_units(d->dbg, cu, &cu, NULL, NULL, &cudie, NULL) == 0) {
        char *src = cu_source_path(&cudie);
        if (src && path_under(src, d->source_dir)) {
            SHI_RESIZE(d->cus, d->ncus + 1);
            d->cus[d->ncus++] = dwarf_dieoffset(&cudie);
        }
        free(src);
    }
    return 0;
}

/* ---- files and lines ---------------------------------------------------------------------- */

bool shi_dwarf_is_user_file(const shi_dwarf *d, const char *file) {
    return file && path_under(file, d->source_dir);
}

static const char *intern_file(shi_dwarf *d, const char *file) {
    for (size_t i = 0; i < d->nfiles; i++)
        if (strcmp(d->files[i], file) == 0) return d->files[i];
    SHI_RESIZE(d->files, d->nfiles + 1);
    return d->files[d->nfiles++] = xstrdup(file);
}

/* The interned name of a user file named by the unit `cu` (maybe relatively), or NULL when
 * the file is not one of the user's. */
static const char *user_file(const shi_dwarf *d, Dwarf_Die *cu, const char *file) {
    char *abs = absolute_path(cu, file);
    const char *found = NULL;
    for (size_t i = 0; abs && i < d->nfiles && !found; i++)
        if (strcmp(d->files[i], abs) == 0) found = d->files[i];
    free(abs);
    return found;
}

/* A DIE's DW_AT_decl_file (through DW_AT_specification / abstract_origin) as a path.
 * dwarf_decl_file of elfutils 0.188 refuses file 0, which DWARF 5 makes the unit's primary
 * file and clang uses for every declaration in it. */
const char *shi_dwarf_decl_file(Dwarf_Die *die) {
    Dwarf_Attribute a;
    Dwarf_Word idx;
    Dwarf_Die cudie;
    Dwarf_Files *files;
    size_t nfiles;
    if (!dwarf_attr_integrate(die, DW_AT_decl_file, &a) || dwarf_formudata(&a, &idx) != 0)
        return NULL;
    if (idx != 0) return dwarf_decl_file(die);
    if (!dwarf_diecu(die, &cudie, NULL, NULL) || dwarf_getsrcfiles(&cudie, &files, &nfiles) != 0 ||
        nfiles == 0)
        return NULL;
    return dwarf_filesrc(files, 0, NULL, NULL);
}

bool shi_dwarf_is_user_decl(const shi_dwarf *d, Dwarf_Die *cu, const char *file) {
    char *abs = file ? absolute_path(cu, file) : NULL;
    bool yes = abs && path_under(abs, d->source_dir);
    free(abs);
    return yes;
}

static void add_line(shi_dwarf *d, Dwarf_Line *l, const char *file) {
    SHI_GROW(d->lines, d->lines_cap, d->nlines + 1);
    Dwarf_Addr addr = 0;
    int line = 0;
    dwarf_lineaddr(l, &addr);
    dwarf_lineno(l, &line);
    d->lines[d->nlines++] = (shi_line){addr, intern_file(d, file), line, true};
}

static void load_cu_lines(shi_dwarf *d, Dwarf_Die *cudie) {
    Dwarf_Lines *lines;
    size_t n;
    if (dwarf_getsrclines(cudie, &lines, &n) != 0) return;
    for (size_t i = 0; i < n; i++) {
        Dwarf_Line *l = dwarf_onesrcline(lines, i);
        bool stmt = false, end = false;
        int line = 0;
        dwarf_linebeginstatement(l, &stmt);
        dwarf_lineendsequence(l, &end);
        dwarf_lineno(l, &line);
        const char *file = dwarf_linesrc(l, NULL, NULL);
        if (!stmt || end || line <= 0 || !file) continue;
        char *abs = absolute_path(cudie, file);
        if (shi_dwarf_is_user_file(d, abs)) add_line(d, l, abs);
        free(abs);
    }
}

static int cmp_line(const void *a, const void *b) {
    const shi_line *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

static void load_lines(shi_dwarf *d) {
    for (size_t i = 0; i < d->ncus; i++) {
        Dwarf_Die cudie;
        if (dwarf_offdie(d->dbg, d->cus[i], &cudie)) load_cu_lines(d, &cudie);
    }
    if (d->nlines) qsort(d->lines, d->nlines, sizeof *d->lines, cmp_line);
}

/* Among the rows of `cu` at exactly pc_rel, the last statement row in one of the user's
 * files (its interned name and line), or false. Optimised C++ starts a user's line and the
 * library code inlined there at one address, one row each (told apart by DWARF 5 views):
 * libdw answers with the last, the innermost inlined header's (basic_string.h:1437), where
 * gdb, stopping there, shows the user's line. */
static bool user_row_at(const shi_dwarf *d, Dwarf_Die *cu, uint64_t pc_rel,
                        const char **ret_file, int *ret_line) {
    Dwarf_Lines *lines;
    size_t n;
    if (dwarf_getsrclines(cu, &lines, &n) != 0) return false;
    size_t lo = 0, hi = n;   /* the first row at pc_rel or above: rows are sorted by address */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        Dwarf_Addr a;
        if (dwarf_lineaddr(dwarf_onesrcline(lines, mid), &a) != 0) return false;
        if (a < pc_rel) lo = mid + 1; else hi = mid;
    }
    bool found = false;
    for (size_t i = lo; i < n; i++) {
        Dwarf_Line *l = dwarf_onesrcline(lines, i);
        Dwarf_Addr a;
        bool stmt = false, end = false;
        int line = 0;
        if (dwarf_lineaddr(l, &a) != 0 || a != pc_rel) break;
        if (dwarf_linebeginstatement(l, &stmt) != 0 || !stmt ||
            dwarf_lineendsequence(l, &end) != 0 || end || dwarf_lineno(l, &line) != 0 || line == 0)
            continue;
        const char *user = user_file(d, cu, dwarf_linesrc(l, NULL, NULL));
        if (user) { *ret_file = user; *ret_line = line; found = true; }
    }
    return found;
}

static bool find_line(const shi_dwarf *d, uint64_t pc_rel, const char **ret_file,
                      int *ret_line) {
    /* clang writes no .debug_aranges, which dwarf_addrdie needs: the function's own DIE
     * knows its unit. */
    Dwarf_Die cudie, sub;
    const shi_function *f = shi_dwarf_function_at(d, pc_rel);
    bool have = f && dwarf_offdie(d->dbg, f->die, &sub) && dwarf_diecu(&sub, &cudie, NULL, NULL);
    if (!have && !dwarf_addrdie(d->dbg, pc_rel, &cudie)) return false;
    Dwarf_Line *l = dwarf_getsrc_die(&cudie, pc_rel);
    int line = 0;
    if (!l || dwarf_lineno(l, &line) != 0 || line == 0) return false;
    const char *file = dwarf_linesrc(l, NULL, NULL);
    const char *user = user_file(d, &cudie, file);
    if (!user && user_row_at(d, &cudie, pc_rel, ret_file, ret_line)) return true;
    *ret_file = user ? user : file;
    *ret_line = line;
    return true;
}

bool shi_dwarf_line_at(const shi_dwarf *d, uint64_t pc_rel, const char **ret_file,
                       int *ret_line) {
    struct shi_dwarf_memo *m = d->memo;
    bool found;
    size_t i = MEMO_FIND(m->lines, m->nlines, pc, pc_rel, &found);
    if (!found) {
        memo_line e = {.pc = pc_rel};
        e.ok = find_line(d, pc_rel, &e.file, &e.line);
        SHI_GROW(m->lines, m->cap_lines, m->nlines + 1);
        memmove(m->lines + i + 1, m->lines + i, (m->nlines - i) * sizeof *m->lines);
        m->lines[i] = e;
        m->nlines++;
    }
    const memo_line *e = &m->lines[i];
    if (!e->ok) return false;
    if (ret_file) *ret_file = e->file;
    if (ret_line) *ret_line = e->line;
    return true;
}

/* The outermost inlined call covering pc inside `parent` (through lexical blocks). */
static bool find_inlined(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *ret, int depth) {
    Dwarf_Die c;
    if (depth > 64 || dwarf_child(parent, &c) != 0) return false;
    do {
        int tag = dwarf_tag(&c);
        if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) &&
            dwarf_haspc(&c, pc) > 0) {
            if (tag == DW_TAG_inlined_subroutine) { *ret = c; return true; }
            if (find_inlined(&c, pc, ret, depth + 1)) return true;
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

bool shi_dwarf_call_site(const shi_dwarf *d, uint64_t pc_rel, const char **ret_file,
                         int *ret_line) {
    const shi_function *f = shi_dwarf_function_at(d, pc_rel);
    Dwarf_Die sub, in, cudie;
    Dwarf_Attribute a;
    Dwarf_Word fileno, line;
    Dwarf_Files *files;
    size_t nfiles;
    if (!f || !dwarf_offdie(d->dbg, f->die, &sub) || !find_inlined(&sub, pc_rel, &in, 0) ||
        !dwarf_attr(&in, DW_AT_call_file, &a) || dwarf_formudata(&a, &fileno) != 0 ||
        !dwarf_attr(&in, DW_AT_call_line, &a) || dwarf_formudata(&a, &line) != 0 ||
        !dwarf_diecu(&sub, &cudie, NULL, NULL) ||
        dwarf_getsrcfiles(&cudie, &files, &nfiles) != 0 || fileno >= nfiles)
        return false;
    const char *file = user_file(d, &cudie, dwarf_filesrc(files, fileno, NULL, NULL));
    if (!file) return false;   /* not one of the user's files */
    *ret_file = file;
    *ret_line = (int)line;
    return true;
}

/* ---- functions ---------------------------------------------------------------------------- */

/* The first address after the prologue: where the line table says the prologue ends, else
 * the function's second statement row (gcc -O0 and rustc both start it after the prologue). */
static uint64_t function_entry(Dwarf_Die *cudie, uint64_t low, uint64_t high) {
    Dwarf_Lines *lines;
    size_t n;
    if (dwarf_getsrclines(cudie, &lines, &n) != 0) return low;
    uint64_t second = 0;
    for (size_t i = 0; i < n; i++) {
        Dwarf_Line *l = dwarf_onesrcline(lines, i);
        Dwarf_Addr a = 0;
        bool stmt = false, pend = false;
        dwarf_lineaddr(l, &a);
        if (a < low || a >= high) continue;
        dwarf_linebeginstatement(l, &stmt);
        dwarf_lineprologueend(l, &pend);
        if (pend) return a;
        if (stmt && a > low && (second == 0 || a < second)) second = a;
    }
    return second ? second : low;
}

static void add_function(shi_dwarf *d, Dwarf_Die *cudie, Dwarf_Die *sub) {
    Dwarf_Addr low, high;
    if (!code_range(sub, &low, &high)) return;
    const char *name = dwarf_diename(sub);
    int decl_line = 0;
    dwarf_decl_line(sub, &decl_line);
    const char *decl_file = shi_dwarf_decl_file(sub);
    char *abs = decl_file ? absolute_path(cudie, decl_file) : NULL;
    if (shi_dwarf_is_user_file(d, abs)) decl_file = intern_file(d, abs);
    free(abs);
    /* g++ declares a lambda's operator() nowhere (artificial): its code's first line of
     * the user's says where it is */
    for (size_t i = 0; !decl_file && i < d->nlines; i++)
        if (d->lines[i].addr >= low && d->lines[i].addr < high) {
            decl_file = d->lines[i].file;
            decl_line = d->lines[i].line;
        }
    SHI_RESIZE(d->funcs, d->nfuncs + 1);
    d->funcs[d->nfuncs++] = (shi_function){
        .name = name ? name : "?", .low_pc = low, .high_pc = high,
        .entry = function_entry(cudie, low, high), .decl_file = decl_file,
        .decl_line = decl_line, .is_user = shi_dwarf_is_user_file(d, decl_file),
        .die = dwarf_dieoffset(sub),
    };
}

/* Rust nests functions in namespaces (and impls in structure types); C keeps them on top. */
static void collect_functions(shi_dwarf *d, Dwarf_Die *cudie, Dwarf_Die *parent) {
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0) return;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram && is_definition(&child))
            add_function(d, cudie, &child);
        if (tag == DW_TAG_namespace || tag == DW_TAG_structure_type ||
            tag == DW_TAG_class_type ||
            /* C++'s local classes (a lambda's closure) live in their function's scopes */
            (d->lang == SHI_LANG_CPP && (tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block)))
            collect_functions(d, cudie, &child);
    } while (dwarf_siblingof(&child, &child) == 0);
}

static int cmp_function(const void *a, const void *b) {
    const shi_function *x = a, *y = b;
    return (x->low_pc > y->low_pc) - (x->low_pc < y->low_pc);
}

static void load_functions(shi_dwarf *d) {
    for (size_t i = 0; i < d->ncus; i++) {
        Dwarf_Die cudie;
        if (dwarf_offdie(d->dbg, d->cus[i], &cudie)) collect_functions(d, &cudie, &cudie);
    }
    if (d->nfuncs) qsort(d->funcs, d->nfuncs, sizeof *d->funcs, cmp_function);
}

const shi_function *shi_dwarf_function_at(const shi_dwarf *d, uint64_t pc_rel) {
    size_t lo = 0, hi = d->nfuncs;   /* the last function starting at or before pc */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->funcs[mid].low_pc <= pc_rel) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return NULL;
    const shi_function *f = &d->funcs[lo - 1];
    return pc_rel < f->high_pc ? f : NULL;
}

/* Whether an inlined call of the user's covers pc_rel, inside a function `f` that is not. */
static bool in_user_inline(const shi_dwarf *d, const shi_function *f, uint64_t pc_rel) {
    Dwarf_Die sub, cudie, *scopes = NULL, origin;
    Dwarf_Attribute a;
    if (!dwarf_offdie(d->dbg, f->die, &sub) || !dwarf_diecu(&sub, &cudie, NULL, NULL)) return false;
    int n = dwarf_getscopes(&cudie, pc_rel, &scopes);
    bool user = false;
    for (int i = 0; i < n && !user; i++)
        user = dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine &&
               dwarf_attr(&scopes[i], DW_AT_abstract_origin, &a) &&
               dwarf_formref_die(&a, &origin) &&
               shi_dwarf_is_user_decl(d, &cudie, shi_dwarf_decl_file(&origin));
    free(scopes);
    return user;
}

/* rustc 1.63 gives some rows of std's generic code compiled into the user's unit (inside
 * BTreeMap's search_tree, say) the user's file and line 1, a place it has for code with no
 * span of its own: no statement of the user's is there, and a breakpoint on it stopped the
 * program inside std at every BTreeMap::insert. A row of the user's file inside a function
 * that is not the user's is kept only where an inlined call of the user's is. Rust only: C's
 * and C++'s compilers give their generated functions (static initialisers) no declaration. */
static void drop_foreign_rows(shi_dwarf *d) {
    if (d->lang != SHI_LANG_RUST) return;
    size_t kept = 0;
    for (size_t i = 0; i < d->nlines; i++) {
        const shi_function *f = shi_dwarf_function_at(d, d->lines[i].addr);
        if (f && !f->is_user && !in_user_inline(d, f, d->lines[i].addr)) continue;
        d->lines[kept++] = d->lines[i];
    }
    d->nlines = kept;
}

const shi_function *shi_dwarf_main(const shi_dwarf *d) {
    for (size_t i = 0; i < d->nfuncs; i++)
        if (d->funcs[i].die == d->main_die) return &d->funcs[i];
    return NULL;
}

/* ---- open / close ------------------------------------------------------------------------- */

shi_dwarf *shi_dwarf_open(const char *path, char *err, size_t errlen) {
    shi_dwarf *d = calloc(1, sizeof *d);
    if (!d) { set_err(err, errlen, "out of memory"); return NULL; }
    d->fd = -1;
    d->memo = shi_dwarf_memo_new();
    /* errno says which failure to a library caller (include/stackheap/trace.h) */
    if (open_elf(d, path, err, errlen) != 0) {
        int e = errno;
        shi_dwarf_close(d);
        errno = e;
        return NULL;
    }
    if (find_user_cus(d) != 0) {
        if (d->ncus)   /* units of the user's, none with a function: clang's line tables */
            set_err(err, errlen, "%s has line tables but no functions in its debug information "
                                 "(built with -gline-tables-only?): compile with -g", path);
        else
            set_err(err, errlen, "%s has no debug information: compile with -g", path);
        shi_dwarf_close(d);
        errno = ENODATA;
        return NULL;
    }
    load_lines(d);
    load_functions(d);
    drop_foreign_rows(d);
    read_build(d);
    shi_dwarf_load_statics(d);
    shi_rust_std_load_vtables(d);
    shi_cxx_load_vtables(d);
    return d;
}

void shi_dwarf_close(shi_dwarf *d) {
    if (!d) return;
    if (d->dbg) dwarf_end(d->dbg);
    if (d->elf) elf_end(d->elf);
    if (d->fd >= 0) close(d->fd);
    for (size_t i = 0; i < d->nfiles; i++) free(d->files[i]);
    free(d->files);
    free(d->lines);
    free(d->funcs);
    shi_dwarf_free_statics(d);
    shi_rust_std_free_vtables(d);
    free(d->cus);
    free(d->source_dir);
    shi_dwarf_memo_free(d->memo);
    free(d);
}

shi_dwarf_lang shi_dwarf_language(const shi_dwarf *d) { return d->lang; }

const char *shi_dwarf_language_name(const shi_dwarf *d) {
    switch (d->lang) {
    case SHI_LANG_C: return "c";
    case SHI_LANG_CPP: return "c++";
    case SHI_LANG_RUST: return "rust";
    default: return "other";
    }
}

Dwarf *shi_dwarf_handle(const shi_dwarf *d) { return d->dbg; }

const char *shi_dwarf_opt_level(const shi_dwarf *d) {
    return d->opt_level[0] ? d->opt_level : NULL;
}

bool shi_dwarf_lines_only(const shi_dwarf *d) { return d->lines_only; }

const char *const *shi_dwarf_source_files(const shi_dwarf *d, size_t *ret_n) {
    *ret_n = d->nfiles;
    return (const char *const *)d->files;
}

const shi_line *shi_dwarf_lines(const shi_dwarf *d, size_t *ret_n) {
    *ret_n = d->nlines;
    return d->lines;
}

const shi_function *shi_dwarf_functions(const shi_dwarf *d, size_t *ret_n) {
    *ret_n = d->nfuncs;
    return d->funcs;
}
