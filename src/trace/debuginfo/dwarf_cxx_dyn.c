/*
 * src/trace/debuginfo/dwarf_cxx_dyn.c — a C++ object's dynamic type: a heap block reached by a
 * Shape * (or a unique_ptr<Shape>) that holds a Circle is read as the Circle it is, not as
 * the Shape its pointer says (gdb's `set print object on`). Its first word is the address of
 * its class's vtable (+16: the offset-to-top and RTTI words before the methods); the ELF
 * symbol there, _ZTV6Circle, names the class, and the user's units define it.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "core/grow.h"
#include "trace/debuginfo/dwarf_internal.h"

/* "6Circle" or "N5shape6CircleE" read into "Circle" / "shape::Circle"; false for anything
 * else (templates, local classes: not found, the static type stays). */
static bool demangle_class(const char *m, char *out, size_t n) {
    bool nested = *m == 'N';
    size_t len = 0;
    out[0] = 0;
    if (nested) m++;
    while (*m >= '1' && *m <= '9') {
        char *end;
        unsigned long k = strtoul(m, &end, 10);
        if (strlen(end) < k || len + k + 3 > n) return false;
        if (len) { memcpy(out + len, "::", 2); len += 2; }
        memcpy(out + len, end, k);
        len += k;
        out[len] = 0;
        m = end + k;
        if (!nested) break;
    }
    return len && (nested ? strcmp(m, "E") == 0 : *m == 0);
}

/* The class named `want` ("a::B") defined under die (a unit or namespace), 0 if none. */
static Dwarf_Off find_class(Dwarf_Die *die, const char *want, int depth) {
    Dwarf_Die c;
    if (depth > 8 || dwarf_child(die, &c) != 0) return 0;
    do {
        int tag = dwarf_tag(&c);
        const char *name = dwarf_diename(&c);
        if (!name) continue;
        size_t k = strlen(name);
        if (tag == DW_TAG_namespace && strncmp(want, name, k) == 0 && want[k] == ':') {
            Dwarf_Off o = find_class(&c, want + k + 2, depth + 1);
            if (o) return o;
        } else if ((tag == DW_TAG_class_type || tag == DW_TAG_structure_type) &&
                   strcmp(name, want) == 0 && !dwarf_hasattr(&c, DW_AT_declaration)) {
            return dwarf_dieoffset(&c);
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    return 0;
}

void shi_cxx_load_vtables(shi_dwarf *d) {
    if (d->lang != SHI_LANG_CPP) return;
    size_t cap = 0;
    for (Elf_Scn *scn = elf_nextscn(d->elf, NULL); scn; scn = elf_nextscn(d->elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize) continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Sym s;
            const char *n;
            char cls[256];
            if (!gelf_getsym(data, (int)i, &s) || !s.st_value || s.st_shndx == SHN_UNDEF ||
                !(n = elf_strptr(d->elf, sh.sh_link, s.st_name)) || strncmp(n, "_ZTV", 4) != 0 ||
                !demangle_class(n + 4, cls, sizeof cls))
                continue;
            for (size_t u = 0; u < d->ncus; u++) {
                Dwarf_Die cu;
                Dwarf_Off o = dwarf_offdie(d->dbg, d->cus[u], &cu) ? find_class(&cu, cls, 0) : 0;
                if (!o) continue;
                SHI_GROW(d->vtables, cap, d->nvtables + 1);
                d->vtables[d->nvtables++] = (shi_dwarf_vtable){.addr = s.st_value + 16, .type = o};
                break;
            }
        }
    }
}

bool shi_cxx_dynamic_type(const shi_dwarf *d, const shi_dwarf_target *t, Dwarf_Die *type,
                          uint64_t addr, size_t room, Dwarf_Die *ret) {
    if (d->lang != SHI_LANG_CPP || !d->nvtables) return false;
    Dwarf_Die peeled, m;
    shi_dwarf_peel(type, &peeled);
    int tag = dwarf_tag(&peeled);
    if ((tag != DW_TAG_class_type && tag != DW_TAG_structure_type) || dwarf_child(&peeled, &m) != 0)
        return false;
    /* polymorphic: its own _vptr, or a base's (at offset 0, the primary base's) */
    bool poly = false;
    do {
        const char *n = dwarf_diename(&m);
        poly |= dwarf_tag(&m) == DW_TAG_inheritance || (n && strncmp(n, "_vptr", 5) == 0);
    } while (!poly && dwarf_siblingof(&m, &m) == 0);
    uint64_t vptr = 0;
    if (!poly || !shi_dwarf_read_uint(t, addr, 8, &vptr) || vptr < t->load_bias) return false;
    for (size_t i = 0; i < d->nvtables; i++) {
        if (d->vtables[i].addr != vptr - t->load_bias) continue;
        if (d->vtables[i].type == dwarf_dieoffset(&peeled)) return false;   /* already it */
        return dwarf_offdie(d->dbg, d->vtables[i].type, ret) && shi_dwarf_type_size(ret) <= room;
    }
    return false;
}
