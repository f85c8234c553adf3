/*
 * src/trace/proc/proc_mem.c — the tracee's memory, registers, memory map, symbols and limits.
 */
#define _GNU_SOURCE
#include "trace/proc/proc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- memory ------------------------------------------------------------------------------ */

static int peek_read(pid_t pid, uint64_t addr, void *buf, size_t len) {
    unsigned char *out = buf;
    while (len > 0) {
        uint64_t word_addr = addr & ~7ull;
        size_t skip = (size_t)(addr - word_addr);
        errno = 0;
        long w = ptrace(PTRACE_PEEKDATA, pid, (void *)word_addr, NULL);
        if (errno != 0) return -1;
        size_t n = 8 - skip < len ? 8 - skip : len;
        memcpy(out, (unsigned char *)&w + skip, n);
        out += n; addr += n; len -= n;
    }
    return 0;
}

/* process_vm_readv copies a whole range in one call; it can be refused (no CAP_SYS_PTRACE
 * in some containers, or a page it will not fault in), and then word-by-word PEEKDATA,
 * which goes through the tracer's rights, still works. */
int shi_mem_read_raw(pid_t pid, uint64_t addr, void *buf, size_t len) {
    if (len == 0) return 0;
    struct iovec local = {buf, len}, remote = {(void *)addr, len};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n == (ssize_t)len) return 0;
    if (peek_read(pid, addr, buf, len) == 0) return 0;
    errno = EFAULT;
    return -1;
}

/* POKEDATA writes even read-only code pages (the kernel forces the write for a tracer). */
int shi_mem_peek_write(pid_t pid, uint64_t addr, const void *buf, size_t len) {
    const unsigned char *in = buf;
    while (len > 0) {
        uint64_t word_addr = addr & ~7ull;
        size_t skip = (size_t)(addr - word_addr);
        size_t n = 8 - skip < len ? 8 - skip : len;
        long w = 0;
        if (skip != 0 || n != 8) {
            errno = 0;
            w = ptrace(PTRACE_PEEKDATA, pid, (void *)word_addr, NULL);
            if (errno != 0) return -1;
        }
        memcpy((unsigned char *)&w + skip, in, n);
        if (ptrace(PTRACE_POKEDATA, pid, (void *)word_addr, (void *)w) != 0) return -1;
        in += n; addr += n; len -= n;
    }
    return 0;
}

/* /proc/PID/mem is opened once: the kernel writes through it as ptrace does (read-only code
 * pages too), in one call and without a stopped task. It stays bound to the memory the
 * process had when it was opened, so an exec closes it (shi_mem_forget). */
static bool mem_open(shi_proc *p) {
    if (p->memfd_open) return true;
    if (p->memfd_tried || !p->alive) return false;
    p->memfd_tried = true;
    char name[64];
    snprintf(name, sizeof name, "/proc/%d/mem", (int)p->pid);
    int fd = open(name, O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    p->memfd = fd;
    p->memfd_open = true;
    return true;
}

void shi_mem_stale(shi_proc *p) {
    for (size_t i = 0; i < sizeof p->pages / sizeof p->pages[0]; i++) p->pages[i].valid = false;
}

void shi_mem_forget(shi_proc *p) {
    shi_mem_stale(p);
    if (p->memfd_open) close(p->memfd);
    p->memfd_open = false;
    p->memfd_tried = false;
}

bool shi_mem_can_write_running(shi_proc *p) {
    return mem_open(p);
}

int shi_mem_write(shi_proc *p, uint64_t addr, const void *buf, size_t len) {
    if (len == 0) return 0;
    shi_mem_stale(p);
    if (mem_open(p) && pwrite(p->memfd, buf, len, (off_t)addr) == (ssize_t)len) return 0;
    return shi_mem_peek_write(p->cur_tid, addr, buf, len);
}

static bool overlaps(uint64_t a, uint64_t addr, size_t len) {
    return a >= addr && a - addr < len;
}

/* A read within one page comes from the page read whole at this stop (a syscall costs the
 * same for 8 bytes or 4096): the tracer reads the frame chain and then each local, mostly
 * all on the stack's top page. Pages process_vm_readv will not give are read as asked. */
enum { PAGE = 4096 };

static int read_paged(shi_proc *p, uint64_t addr, void *buf, size_t len) {
    uint64_t page = addr & ~(uint64_t)(PAGE - 1);
    if (len == 0 || len > PAGE || addr + len - page > PAGE)
        return shi_mem_read_raw(p->cur_tid, addr, buf, len);
    size_t npages = sizeof p->pages / sizeof p->pages[0];
    for (size_t i = 0; i < npages; i++) {
        if (p->pages[i].valid && p->pages[i].page == page) {
            memcpy(buf, p->pages[i].bytes + (addr - page), len);
            return 0;
        }
    }
    unsigned k = p->next_page++ % npages;
    struct iovec local = {p->pages[k].bytes, PAGE}, remote = {(void *)page, PAGE};
    if (process_vm_readv(p->cur_tid, &local, 1, &remote, 1, 0) != PAGE) {
        p->pages[k].valid = false;
        return shi_mem_read_raw(p->cur_tid, addr, buf, len);
    }
    p->pages[k].page = page;
    p->pages[k].valid = true;
    memcpy(buf, p->pages[k].bytes + (addr - page), len);
    return 0;
}

int shi_proc_read(shi_proc *p, uint64_t addr, void *buf, size_t len) {
    if (!p->alive) { errno = ESRCH; return -1; }
    if (read_paged(p, addr, buf, len) != 0) return -1;
    /* the caller sees the program's code, not our int3 bytes */
    for (size_t i = 0; i < p->nbps; i++)
        if (overlaps(p->bps[i].addr, addr, len))
            ((unsigned char *)buf)[p->bps[i].addr - addr] = p->bps[i].orig;
    return 0;
}

/* One call takes at most IOV_MAX ranges (1,024 on Linux) each side. */
enum { SPANS_PER_CALL = 1024 };

void shi_proc_read_spans(shi_proc *p, shi_proc_span *spans, size_t n) {
    struct iovec local[SPANS_PER_CALL], remote[SPANS_PER_CALL];
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < n;) {
        size_t k = 0, want = 0;
        for (; k < SPANS_PER_CALL && i + k < n; k++) {
            const shi_proc_span *sp = &spans[i + k];
            local[k] = (struct iovec){sp->buf, sp->len};
            remote[k] = (struct iovec){(void *)sp->addr, sp->len};
            want += sp->len;
        }
        ssize_t got = p->alive ? process_vm_readv(p->cur_tid, local, k, remote, k, 0) : -1;
        /* a call stops at the first range it cannot read: those before it are whole, that
         * one is read as shi_proc_read reads (PEEKDATA may still get it), the rest again */
        size_t done = 0, bytes = got > 0 ? (size_t)got : 0;
        while (done < k && spans[i + done].len <= bytes) {
            spans[i + done].ok = true;
            bytes -= spans[i + done].len;
            done++;
        }
        if ((size_t)(got > 0 ? got : 0) != want) {
            shi_proc_span *sp = &spans[i + done];
            sp->ok = p->alive && shi_mem_read_raw(p->cur_tid, sp->addr, sp->buf, sp->len) == 0;
            done++;
        }
        for (size_t j = i; j < i + done; j++) {
            if (spans[j].addr < lo) lo = spans[j].addr;
            if (spans[j].addr + spans[j].len > hi) hi = spans[j].addr + spans[j].len;
        }
        i += done;
    }
    /* the caller sees the program's code, not our int3 bytes (heap blocks hold none, but
     * a span may be anywhere) */
    for (size_t b = 0; b < p->nbps; b++) {
        if (p->bps[b].addr < lo || p->bps[b].addr >= hi) continue;
        for (size_t i = 0; i < n; i++)
            if (spans[i].ok && overlaps(p->bps[b].addr, spans[i].addr, spans[i].len))
                ((unsigned char *)spans[i].buf)[p->bps[b].addr - spans[i].addr] = p->bps[b].orig;
    }
}

int shi_proc_write(shi_proc *p, uint64_t addr, const void *buf, size_t len) {
    if (!p->alive) { errno = ESRCH; return -1; }
    shi_mem_stale(p);
    if (shi_mem_write(p, addr, buf, len) != 0) return -1;
    /* a byte written under a breakpoint becomes its new original; the int3 stays */
    unsigned char int3 = 0xcc;
    for (size_t i = 0; i < p->nbps; i++) {
        if (!overlaps(p->bps[i].addr, addr, len)) continue;
        p->bps[i].orig = ((const unsigned char *)buf)[p->bps[i].addr - addr];
        if (shi_mem_write(p, p->bps[i].addr, &int3, 1) != 0) return -1;
    }
    return 0;
}

int shi_proc_read_u64(shi_proc *p, uint64_t addr, uint64_t *ret) {
    return shi_proc_read(p, addr, ret, sizeof *ret);
}

/* ---- registers --------------------------------------------------------------------------- */

int shi_task_get_regs(pid_t tid, struct user_regs_struct *r) {
    return ptrace(PTRACE_GETREGS, tid, NULL, r) == 0 ? 0 : -1;
}

int shi_task_set_regs(pid_t tid, const struct user_regs_struct *r) {
    return ptrace(PTRACE_SETREGS, tid, NULL, (void *)r) == 0 ? 0 : -1;
}

/* Every resume of the main thread clears regs_valid (proc.c). */
int shi_main_get_regs(shi_proc *p, struct user_regs_struct *r) {
    if (!p->regs_valid) {
        if (shi_task_get_regs(p->pid, &p->regs) != 0) return -1;
        p->regs_valid = true;
    }
    *r = p->regs;
    return 0;
}

int shi_main_set_regs(shi_proc *p, const struct user_regs_struct *r) {
    p->regs_valid = false;
    if (shi_task_set_regs(p->pid, r) != 0) return -1;
    p->regs = *r;
    p->regs_valid = true;
    return 0;
}

int shi_proc_get_regs(shi_proc *p, struct user_regs_struct *ret) {
    if (!p->alive) { errno = ESRCH; return -1; }
    return shi_main_get_regs(p, ret);
}

int shi_proc_get_fpregs(shi_proc *p, struct user_fpregs_struct *ret) {
    if (!p->alive) { errno = ESRCH; return -1; }
    return ptrace(PTRACE_GETFPREGS, p->pid, NULL, ret) == 0 ? 0 : -1;
}

int shi_proc_set_regs(shi_proc *p, const struct user_regs_struct *r) {
    if (!p->alive) { errno = ESRCH; return -1; }
    return shi_main_set_regs(p, r);
}

/* The System V x86-64 psABI's DWARF numbering, which is not user_regs_struct's order. */
static unsigned long long *dwarf_slot(struct user_regs_struct *r, int regno) {
    switch (regno) {
    case 0: return &r->rax;  case 1: return &r->rdx;  case 2: return &r->rcx;
    case 3: return &r->rbx;  case 4: return &r->rsi;  case 5: return &r->rdi;
    case 6: return &r->rbp;  case 7: return &r->rsp;  case 8: return &r->r8;
    case 9: return &r->r9;   case 10: return &r->r10; case 11: return &r->r11;
    case 12: return &r->r12; case 13: return &r->r13; case 14: return &r->r14;
    case 15: return &r->r15; case 16: return &r->rip;
    default: return NULL;
    }
}

int shi_regs_dwarf_get(const struct user_regs_struct *r, int regno, uint64_t *ret) {
    unsigned long long *slot = dwarf_slot((struct user_regs_struct *)r, regno);
    if (!slot) { errno = EINVAL; return -1; }
    *ret = *slot;
    return 0;
}

int shi_regs_dwarf_set(struct user_regs_struct *r, int regno, uint64_t value) {
    unsigned long long *slot = dwarf_slot(r, regno);
    if (!slot) { errno = EINVAL; return -1; }
    *slot = value;
    return 0;
}

/* ---- maps and modules -------------------------------------------------------------------- */

int shi_proc_maps(shi_proc *p, shi_map **ret, size_t *ret_n) {
    return shi_maps_read(p->pid, ret, ret_n);
}

char *shi_proc_exe_path(shi_proc *p) {
    char name[64], buf[4096];
    snprintf(name, sizeof name, "/proc/%d/exe", (int)p->pid);
    ssize_t n = readlink(name, buf, sizeof buf - 1);
    if (n < 0) return NULL;
    buf[n] = 0;
    return strdup(buf);
}

/* The lowest PT_LOAD's page-aligned vaddr and whether the file is position-independent:
 * a module's bias is where its offset-0 page landed minus where the file asked for it. */
static int elf_load_vaddr(const char *path, uint64_t *ret_vaddr, bool *ret_fixed) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    int rc = -1;
    GElf_Ehdr eh;
    size_t nph;
    if (e && gelf_getehdr(e, &eh) && elf_getphdrnum(e, &nph) == 0) {
        uint64_t lowest = UINT64_MAX;
        for (size_t i = 0; i < nph; i++) {
            GElf_Phdr ph;
            if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < lowest)
                lowest = ph.p_vaddr;
        }
        if (lowest != UINT64_MAX) {
            *ret_vaddr = lowest & ~0xfffull;
            *ret_fixed = eh.e_type == ET_EXEC;
            rc = 0;
        }
    }
    if (e) elf_end(e);
    close(fd);
    return rc;
}

static bool is_file_path(const char *path) {
    return path[0] == '/';
}

static shi_module *module_for(shi_module *mods, size_t n, const char *path) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(mods[i].path, path) == 0) return &mods[i];
    return NULL;
}

static void module_bias(shi_module *mod, const shi_map *maps, size_t nmaps) {
    uint64_t base = mod->start;
    for (size_t i = 0; i < nmaps; i++)
        if (maps[i].offset == 0 && strcmp(maps[i].path, mod->path) == 0) { base = maps[i].start; break; }
    uint64_t vaddr = 0;
    bool fixed = false;
    if (elf_load_vaddr(mod->path, &vaddr, &fixed) != 0) { mod->bias = base; return; }
    mod->bias = fixed ? 0 : base - vaddr;
}

int shi_proc_modules(shi_proc *p, shi_module **ret, size_t *ret_n) {
    shi_map *maps;
    size_t nmaps;
    if (shi_proc_maps(p, &maps, &nmaps) != 0) return -1;
    char *exe = shi_proc_exe_path(p);
    shi_module *mods = calloc(nmaps + 1, sizeof *mods);
    size_t n = 0;
    if (!mods) { free(exe); shi_maps_free(maps, nmaps); return -1; }
    for (size_t i = 0; i < nmaps; i++) {
        if (!is_file_path(maps[i].path)) continue;
        shi_module *m = module_for(mods, n, maps[i].path);
        if (m) {
            if (maps[i].end > m->end) m->end = maps[i].end;
            continue;
        }
        m = &mods[n++];
        m->path = strdup(maps[i].path);
        m->start = maps[i].start;
        m->end = maps[i].end;
        m->is_exe = exe && strcmp(exe, maps[i].path) == 0;
    }
    for (size_t i = 0; i < n; i++) {
        module_bias(&mods[i], maps, nmaps);
        /* executable first: callers look for it there */
        if (mods[i].is_exe && i > 0) {
            shi_module t = mods[0]; mods[0] = mods[i]; mods[i] = t;
        }
    }
    free(exe);
    shi_maps_free(maps, nmaps);
    *ret = mods;
    *ret_n = n;
    return 0;
}

void shi_modules_free(shi_module *m, size_t n) {
    if (!m) return;
    for (size_t i = 0; i < n; i++) free(m[i].path);
    free(m);
}

int shi_proc_exe_bias(shi_proc *p, uint64_t *ret) {
    shi_module *mods;
    size_t n;
    if (shi_proc_modules(p, &mods, &n) != 0) return -1;
    int rc = -1;
    if (n > 0 && mods[0].is_exe) { *ret = mods[0].bias; rc = 0; }
    else errno = ESRCH;
    shi_modules_free(mods, n);
    return rc;
}

/* ---- symbols ----------------------------------------------------------------------------- */

/* A defined function or object: 2 if global or weak, 1 if local (a static-pie executable
 * links libc's malloc as a local symbol), 0 if not wanted. */
static int sym_rank(const GElf_Sym *s) {
    int type = GELF_ST_TYPE(s->st_info);
    int bind = GELF_ST_BIND(s->st_info);
    if (s->st_shndx == SHN_UNDEF || s->st_value == 0 ||
        (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC))
        return 0;
    return bind == STB_GLOBAL || bind == STB_WEAK ? 2 : bind == STB_LOCAL ? 1 : 0;
}

/* A Rust function's symbol, given its path's mangled segments ("3std9panicking12default_hook"):
 * v0 (`_R...`, ending in the segments) or legacy (`_ZN...17h<hash>E`). The crate's hash sits
 * between the segments in v0, so only the last segments are compared; local symbols count,
 * as std's functions often are. */
static bool rust_symbol_is(const GElf_Sym *s, const char *n, const char *segments) {
    if (GELF_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF || !s->st_value)
        return false;
    size_t ln = strlen(n), lseg = strlen(segments);
    if (strncmp(n, "_R", 2) == 0)
        return ln > lseg && strcmp(n + ln - lseg, segments) == 0;
    const char *at = strncmp(n, "_ZN", 3) == 0 ? strstr(n, segments) : NULL;
    return at && strncmp(at + lseg, "17h", 3) == 0;
}

/* `name`'s value; with `rust`, name holds a Rust path's segments (rust_symbol_is). */
static uint64_t section_lookup(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, const char *name,
                               bool rust) {
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || sh->sh_entsize == 0) return 0;
    size_t count = sh->sh_size / sh->sh_entsize;
    uint64_t local = 0;   /* a global of the name wins over a local one */
    for (size_t i = 0; i < count; i++) {
        GElf_Sym s;
        if (!gelf_getsym(data, (int)i, &s)) continue;
        int rank = rust ? 2 : sym_rank(&s);
        if (rank == 0) continue;
        const char *n = elf_strptr(e, sh->sh_link, s.st_name);
        if (!n) continue;
        if (!(rust ? rust_symbol_is(&s, n, name) : strcmp(n, name) == 0)) continue;
        if (rank == 2) return s.st_value;
        if (!local) local = s.st_value;
    }
    return local;
}

/* .symtab first (it has everything, when not stripped), else .dynsym (always there). */
static uint64_t elf_symbol_value(const char *path, const char *name, bool rust) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    uint64_t found = 0;
    for (int pass = 0; e && pass < 2 && !found; pass++) {
        Elf32_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
        for (Elf_Scn *scn = elf_nextscn(e, NULL); scn && !found; scn = elf_nextscn(e, scn)) {
            GElf_Shdr sh;
            if (gelf_getshdr(scn, &sh) && sh.sh_type == want)
                found = section_lookup(e, scn, &sh, name, rust);
        }
    }
    if (e) elf_end(e);
    close(fd);
    return found;
}

/* The sanitizers whose runtime replaces malloc: the library gcc links (libasan.so.8) and
 * the entry symbol every instrumented program calls (clang links the runtime statically). */
static const struct { const char *name, *lib, *init; } sanitizers[] = {
    {"address", "libasan.so", "__asan_init"}, {"thread", "libtsan.so", "__tsan_init"},
    {"memory", "libmsan.so", "__msan_init"}, {"leak", "liblsan.so", "__lsan_init"},
};

static const char *sanitizer_named(const char *s, bool lib) {
    for (size_t i = 0; i < sizeof sanitizers / sizeof sanitizers[0]; i++) {
        const char *want = lib ? sanitizers[i].lib : sanitizers[i].init;
        if (strncmp(s, want, strlen(want)) == 0 && (lib || s[strlen(want)] == 0))
            return sanitizers[i].name;
    }
    return NULL;
}

/* A sanitizer named by the section's symbols (.symtab, .dynsym) or needed libraries. */
static const char *section_sanitizer(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh) {
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || sh->sh_entsize == 0) return NULL;
    const char *found = NULL;
    for (size_t i = 0; i < sh->sh_size / sh->sh_entsize && !found; i++) {
        GElf_Sym s;
        GElf_Dyn d;
        const char *n = NULL;
        if (sh->sh_type == SHT_DYNAMIC) {
            if (gelf_getdyn(data, (int)i, &d) && d.d_tag == DT_NEEDED)
                n = elf_strptr(e, sh->sh_link, d.d_un.d_val);
        } else if (gelf_getsym(data, (int)i, &s)) {
            n = elf_strptr(e, sh->sh_link, s.st_name);
        }
        if (n) found = sanitizer_named(n, sh->sh_type == SHT_DYNAMIC);
    }
    return found;
}

int shi_proc_elf_facts(const char *path, shi_elf_facts *ret) {
    *ret = (shi_elf_facts){0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr eh;
    int rc = -1;
    if (e && elf_kind(e) == ELF_K_ELF && gelf_getehdr(e, &eh)) {
        ret->elf_class = gelf_getclass(e);
        ret->machine = eh.e_machine;
        for (Elf_Scn *scn = elf_nextscn(e, NULL); scn && !ret->sanitizer;
             scn = elf_nextscn(e, scn)) {
            GElf_Shdr sh;
            if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB ||
                                           sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_DYNAMIC))
                ret->sanitizer = section_sanitizer(e, scn, &sh);
        }
        rc = 0;
    } else {
        errno = ENOEXEC;
    }
    if (e) elf_end(e);
    close(fd);
    return rc;
}

static bool module_matches(const shi_module *m, const char *module) {
    if (!module) return m->is_exe;
    const char *base = strrchr(m->path, '/');
    base = base ? base + 1 : m->path;
    return strncmp(base, module, strlen(module)) == 0;
}

static uint64_t find_symbol(shi_proc *p, const char *module, const char *name, bool rust) {
    shi_module *mods;
    size_t n;
    if (shi_proc_modules(p, &mods, &n) != 0) return 0;
    uint64_t addr = 0;
    for (size_t i = 0; i < n && !addr; i++) {
        if (!module_matches(&mods[i], module)) continue;
        uint64_t v = elf_symbol_value(mods[i].path, name, rust);
        if (v) addr = v + mods[i].bias;
    }
    shi_modules_free(mods, n);
    return addr;
}

uint64_t shi_proc_symbol(shi_proc *p, const char *module, const char *name) {
    return find_symbol(p, module, name, false);
}

uint64_t shi_proc_rust_symbol(shi_proc *p, const char *path) {
    /* "std::panicking::default_hook" -> "3std9panicking12default_hook" */
    char segs[256];
    size_t len = 0;
    for (const char *at = path; *at && len < sizeof segs;) {
        const char *end = strstr(at, "::");
        size_t seg = end ? (size_t)(end - at) : strlen(at);
        int w = snprintf(segs + len, sizeof segs - len, "%zu%.*s", seg, (int)seg, at);
        if (w < 0 || (size_t)w >= sizeof segs - len) return 0;
        len += (size_t)w;
        at += seg + (end ? 2 : 0);
    }
    return find_symbol(p, NULL, segs, true);
}

/* ---- limits ------------------------------------------------------------------------------ */

int shi_proc_stack_limit(shi_proc *p, uint64_t *ret) {
    struct rlimit rl;
    if (prlimit(p->pid, RLIMIT_STACK, NULL, &rl) != 0) return -1;
    *ret = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
    return 0;
}
