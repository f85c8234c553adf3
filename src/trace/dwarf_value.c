/*
 * src/trace/dwarf_value.c — turning a variable's bytes into a shi_value, guided by its DWARF
 * type. Members are placed by DW_AT_data_member_location, never by their order (rustc
 * reorders fields). Owning handles (String, Vec<T>, Box<T> and C's sh_string, sh_vec_*,
 * sh_box_*) become SHI_VAL_OWNED; the heap block itself is the tracer's to read, since a
 * handle's pointer may dangle (Vec::new() holds 0x4 with cap 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "trace/dwarf_internal.h"
#include "trace/render.h"

enum { ARRAY_SHOWN = 16, MAX_DEPTH = 8 };

typedef struct reader {
    const shi_dwarf *d;
    const shi_dwarf_target *t;
} reader;

static int read_any(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out, int depth);

static bool read_uint(const reader *r, uint64_t addr, size_t size, uint64_t *ret) {
    return shi_dwarf_read_uint(r->t, addr, size, ret);
}

static int64_t sign_extend(uint64_t v, size_t size) {
    if (size >= 8) return (int64_t)v;
    unsigned shift = (unsigned)(64 - 8 * size);
    return (int64_t)(v << shift) >> shift;
}

static int unreadable(shi_value *out) {
    out->kind = SHI_VAL_UNREADABLE;
    return -1;
}

/* ---- base types --------------------------------------------------------------------------- */

static void char_text(shi_value *out, uint64_t c) {
    char buf[16];
    if (c >= 0x20 && c < 0x7f) snprintf(buf, sizeof buf, "'%c'", (int)c);
    else snprintf(buf, sizeof buf, "'\\u{%llx}'", (unsigned long long)c);
    out->text = shi_trace_strdup(buf);
}

static int read_float(uint64_t raw, size_t size, shi_value *out) {
    out->kind = SHI_VAL_FLOAT;
    if (size == 4) {
        float f;
        uint32_t bits = (uint32_t)raw;
        memcpy(&f, &bits, sizeof f);
        out->f = f;
    } else if (size == 8) {
        memcpy(&out->f, &raw, sizeof out->f);
    } else {
        return unreadable(out);   /* long double: not in the lesson */
    }
    return 0;
}

static int read_base(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out) {
    Dwarf_Attribute a;
    Dwarf_Word enc = 0;
    size_t size = shi_dwarf_type_size(type);
    uint64_t raw;
    if (dwarf_attr(type, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
    if (!read_uint(r, addr, size, &raw)) return unreadable(out);
    const char *name = dwarf_diename(type);
    bool is_char = name && strcmp(name, "char") == 0;
    switch (enc) {
    case DW_ATE_float: return read_float(raw, size, out);
    case DW_ATE_boolean: out->kind = SHI_VAL_BOOL; out->b = raw != 0; return 0;
    case DW_ATE_UTF: out->kind = SHI_VAL_CHAR; out->u = raw; char_text(out, raw); return 0;
    case DW_ATE_signed_char: case DW_ATE_unsigned_char:
        if (is_char) { out->kind = SHI_VAL_CHAR; out->u = raw; char_text(out, raw); return 0; }
        break;
    default: break;
    }
    if (enc == DW_ATE_signed || enc == DW_ATE_signed_char) {
        out->kind = SHI_VAL_INT;
        out->i = sign_extend(raw, size);
    } else {
        out->kind = SHI_VAL_UINT;
        out->u = raw;
    }
    return 0;
}

static int read_enum(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out) {
    uint64_t raw;
    size_t size = shi_dwarf_type_size(type);
    if (!read_uint(r, addr, size, &raw)) return unreadable(out);
    out->kind = SHI_VAL_INT;
    out->i = sign_extend(raw, size);
    Dwarf_Die e;
    bool ok = dwarf_child(type, &e) == 0;
    for (; ok; ok = dwarf_siblingof(&e, &e) == 0) {
        Dwarf_Attribute a;
        Dwarf_Word v;
        if (dwarf_tag(&e) == DW_TAG_enumerator && dwarf_attr(&e, DW_AT_const_value, &a) &&
            dwarf_formudata(&a, &v) == 0 && (v == raw || sign_extend(v, size) == out->i)) {
            out->text = shi_trace_strdup(dwarf_diename(&e));
            break;
        }
    }
    return 0;
}

/* ---- members by name ---------------------------------------------------------------------- */

/* Finds member `name`, looking inside anonymous members (C's union { struct {ptr,len,cap};
 * raw; }); *ret_off accumulates the offsets on the way. */
static bool find_member(Dwarf_Die *agg, const char *name, Dwarf_Die *ret, uint64_t *ret_off) {
    Dwarf_Die m, peeled;
    bool ok = dwarf_child(agg, &m) == 0;
    for (; ok; ok = dwarf_siblingof(&m, &m) == 0) {
        if (dwarf_tag(&m) != DW_TAG_member) continue;
        const char *mname = dwarf_diename(&m);
        if (mname && strcmp(mname, name) == 0) {
            *ret = m;
            *ret_off += shi_dwarf_member_offset(&m);
            return true;
        }
        Dwarf_Die mt;
        if (mname || !shi_dwarf_die_type(&m, &mt)) continue;
        shi_dwarf_peel(&mt, &peeled);
        uint64_t off = *ret_off + shi_dwarf_member_offset(&m);
        if (find_member(&peeled, name, ret, &off)) { *ret_off = off; return true; }
    }
    return false;
}

/* Follows a path of member names ("buf", "inner", "ptr") from `agg`; the last member's
 * type in ret_type and its offset from agg's start in ret_off. */
static bool member_path(Dwarf_Die *agg, const char *const *path, Dwarf_Die *ret_type,
                        uint64_t *ret_off) {
    Dwarf_Die cur = *agg, m, t;
    uint64_t off = 0;
    for (size_t i = 0; path[i]; i++) {
        if (!find_member(&cur, path[i], &m, &off) || !shi_dwarf_die_type(&m, &t)) return false;
        shi_dwarf_peel(&t, &cur);
    }
    *ret_type = cur;
    *ret_off = off;
    return true;
}

/* Rust wraps scalars in structs (NonNull { pointer }, Unique { pointer }, Cap(usize)): reads
 * the first scalar at offset 0 down the chain. */
static bool read_scalar_deep(const reader *r, Dwarf_Die *type, uint64_t addr, uint64_t *ret,
                             Dwarf_Die *ret_scalar) {
    Dwarf_Die cur = *type;
    for (int guard = 0; guard < MAX_DEPTH; guard++) {
        int tag = dwarf_tag(&cur);
        if (tag == DW_TAG_base_type || tag == DW_TAG_pointer_type) {
            if (ret_scalar) *ret_scalar = cur;
            return read_uint(r, addr, shi_dwarf_type_size(&cur), ret);
        }
        Dwarf_Die m, mt;
        bool found = false;
        bool ok = dwarf_child(&cur, &m) == 0;
        for (; ok && !found; ok = dwarf_siblingof(&m, &m) == 0)
            found = dwarf_tag(&m) == DW_TAG_member && shi_dwarf_member_offset(&m) == 0 &&
                    shi_dwarf_die_type(&m, &mt);
        if (!found) return false;
        shi_dwarf_peel(&mt, &cur);
    }
    return false;
}

/* ---- owned handles ------------------------------------------------------------------------ */

typedef enum own_kind { OWN_NONE, OWN_STRING, OWN_VEC, OWN_BOX } own_kind;

static own_kind owned_kind(const reader *r, Dwarf_Die *type) {
    const char *name = dwarf_diename(type);
    if (!name) return OWN_NONE;
    int tag = dwarf_tag(type);
    if (r->d->lang == SHI_LANG_RUST) {
        if (tag == DW_TAG_structure_type && strcmp(name, "String") == 0) return OWN_STRING;
        if (tag == DW_TAG_structure_type && strncmp(name, "Vec<", 4) == 0) return OWN_VEC;
        if (tag == DW_TAG_pointer_type && strncmp(name, "alloc::boxed::Box<", 18) == 0)
            return OWN_BOX;
        return OWN_NONE;
    }
    if (tag != DW_TAG_typedef && tag != DW_TAG_union_type) return OWN_NONE;
    if (strcmp(name, "sh_string") == 0) return OWN_STRING;
    if (strncmp(name, "sh_vec_", 7) == 0) return OWN_VEC;
    if (strncmp(name, "sh_box_", 7) == 0) return OWN_BOX;
    return OWN_NONE;
}

static void set_elem(const reader *r, shi_value *out, Dwarf_Die *elem) {
    char *name = shi_dwarf_type_name(r->d, elem);
    out->owned.elem_type = shi_trace_strdup(name ? name : "?");
    free(name);
    out->owned.elem_size = elem ? shi_dwarf_type_size(elem) : 0;
}

/* Rust's Vec<T> names its element type in the template parameter T. */
static bool template_param(Dwarf_Die *type, const char *name, Dwarf_Die *ret) {
    Dwarf_Die c;
    bool ok = dwarf_child(type, &c) == 0;
    for (; ok; ok = dwarf_siblingof(&c, &c) == 0) {
        const char *n = dwarf_diename(&c);
        if (dwarf_tag(&c) == DW_TAG_template_type_parameter && n && strcmp(n, name) == 0)
            return shi_dwarf_die_type(&c, ret);
    }
    return false;
}

/* A vec-shaped handle: Rust's buf.inner.{ptr,cap} and len, or C's flat {ptr, len, cap}. */
static int read_vec(const reader *r, Dwarf_Die *vec, uint64_t addr, shi_value *out) {
    static const char *const rust_ptr[] = {"buf", "inner", "ptr", NULL};
    static const char *const rust_cap[] = {"buf", "inner", "cap", NULL};
    static const char *const c_ptr[] = {"ptr", NULL}, *const c_cap[] = {"cap", NULL};
    static const char *const len_path[] = {"len", NULL};
    bool rust = r->d->lang == SHI_LANG_RUST;
    Dwarf_Die pt, ct, lt;
    uint64_t po, co, lo;
    if (!member_path(vec, rust ? rust_ptr : c_ptr, &pt, &po) ||
        !member_path(vec, rust ? rust_cap : c_cap, &ct, &co) ||
        !member_path(vec, len_path, &lt, &lo))
        return unreadable(out);
    if (!read_scalar_deep(r, &pt, addr + po, &out->owned.ptr, NULL) ||
        !read_scalar_deep(r, &ct, addr + co, &out->owned.cap, NULL) ||
        !read_scalar_deep(r, &lt, addr + lo, &out->owned.len, NULL))
        return unreadable(out);
    Dwarf_Die elem, scalar;
    if (rust && template_param(vec, "T", &elem)) {
        set_elem(r, out, &elem);
    } else if (!rust && read_scalar_deep(r, &pt, addr + po, &(uint64_t){0}, &scalar) &&
               shi_dwarf_die_type(&scalar, &elem)) {
        set_elem(r, out, &elem);   /* C: the pointee of `T *ptr` */
    }
    return 0;
}

static int read_box(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out) {
    Dwarf_Die ptr = *type, m, elem;
    uint64_t off = 0;
    if (dwarf_tag(type) != DW_TAG_pointer_type) {   /* C: union { T *ptr; void *raw; } */
        Dwarf_Die u;
        shi_dwarf_peel(type, &u);
        if (!find_member(&u, "ptr", &m, &off) || !shi_dwarf_die_type(&m, &ptr)) return unreadable(out);
        shi_dwarf_peel(&ptr, &ptr);
    }
    if (!read_uint(r, addr + off, 8, &out->owned.ptr)) return unreadable(out);
    if (shi_dwarf_die_type(&ptr, &elem)) set_elem(r, out, &elem);
    return 0;
}

static int read_owned(const reader *r, own_kind kind, Dwarf_Die *type, uint64_t addr,
                      shi_value *out) {
    out->kind = SHI_VAL_OWNED;
    out->owned.kind = kind == OWN_STRING ? SHI_OWN_STRING : kind == OWN_VEC ? SHI_OWN_VEC
                                                                            : SHI_OWN_BOX;
    if (kind == OWN_BOX) return read_box(r, type, addr, out);
    Dwarf_Die agg;
    shi_dwarf_peel(type, &agg);
    if (kind == OWN_STRING && r->d->lang == SHI_LANG_RUST) {
        static const char *const vec_path[] = {"vec", NULL};
        Dwarf_Die vec;
        uint64_t off;
        if (!member_path(&agg, vec_path, &vec, &off)) return unreadable(out);
        return read_vec(r, &vec, addr + off, out);
    }
    return read_vec(r, &agg, addr, out);
}

/* ---- aggregates --------------------------------------------------------------------------- */

static int read_struct(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                       int depth);

/* The variant a Rust enum holds: the one whose DW_AT_discr_value equals the discriminant
 * (read from the member DW_AT_discr names), else the one without a value (niche layouts
 * give the dataful variant none). */
static bool pick_variant(const reader *r, Dwarf_Die *part, uint64_t addr, Dwarf_Die *ret) {
    Dwarf_Attribute a;
    Dwarf_Die discr, dtype;
    uint64_t raw = 0;
    size_t size = 0;
    if (dwarf_attr(part, DW_AT_discr, &a) && dwarf_formref_die(&a, &discr) &&
        shi_dwarf_die_type(&discr, &dtype)) {
        size = shi_dwarf_type_size(&dtype);
        if (!read_uint(r, addr + shi_dwarf_member_offset(&discr), size, &raw)) return false;
    }
    Dwarf_Die v;
    bool found_default = false, ok = dwarf_child(part, &v) == 0;
    for (; ok; ok = dwarf_siblingof(&v, &v) == 0) {
        if (dwarf_tag(&v) != DW_TAG_variant) continue;
        Dwarf_Word want;
        if (!dwarf_attr(&v, DW_AT_discr_value, &a)) {
            if (!found_default) *ret = v, found_default = true;
            continue;
        }
        if (size && dwarf_formudata(&a, &want) == 0 &&
            (want == raw || sign_extend(want, size) == sign_extend(raw, size))) {
            *ret = v;
            return true;
        }
    }
    return found_default;
}

/* A Rust enum: the active variant's fields, and the text Rust's Debug would give:
 * `Circle(1.5)`, `Rect { w: 3, h: 4 }`, `None`. */
static int read_variant(const reader *r, Dwarf_Die *part, uint64_t addr, shi_value *out,
                        int depth) {
    out->kind = SHI_VAL_STRUCT;
    Dwarf_Die v, m, mt, vt;
    if (!pick_variant(r, part, addr, &v) || dwarf_child(&v, &m) != 0) return unreadable(out);
    while (dwarf_tag(&m) != DW_TAG_member)
        if (dwarf_siblingof(&m, &m) != 0) return unreadable(out);
    if (!shi_dwarf_die_type(&m, &mt)) return unreadable(out);
    shi_dwarf_peel(&mt, &vt);
    read_struct(r, &vt, addr + shi_dwarf_member_offset(&m), out, depth);
    const char *name = dwarf_diename(&m) ? dwarf_diename(&m) : "?";
    char *inner = out->nfields ? shi_render_value_text(out) : NULL;
    bool tuple = out->nfields && out->fields[0].name && strncmp(out->fields[0].name, "__", 2) == 0;
    size_t len = strlen(name) + (inner ? strlen(inner) : 0) + 8;
    char *text = malloc(len);
    if (text) {
        if (!inner) snprintf(text, len, "%s", name);
        else if (tuple) snprintf(text, len, "%s%s", name, inner);
        else snprintf(text, len, "%s { %.*s }", name, (int)strlen(inner) - 2, inner + 1);
        shi_value_set_text(out, text);
    }
    free(text);
    free(inner);
    return 0;
}

/* Rust's &str and &[T] are {data_ptr, length}: shown as the text or the elements they
 * borrow (from wherever they live: the binary, the stack, the heap). */
static bool read_fat(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                     int depth) {
    const char *name = dwarf_diename(type);
    if (r->d->lang != SHI_LANG_RUST || !name) return false;
    bool str = strcmp(name, "&str") == 0 || strcmp(name, "&mut str") == 0;
    bool slice = strncmp(name, "&[", 2) == 0 || strncmp(name, "&mut [", 6) == 0;
    if (!str && !slice) return false;
    static const char *const ptr_path[] = {"data_ptr", NULL}, *const len_path[] = {"length", NULL};
    Dwarf_Die pt, lt, elem;
    uint64_t po, lo, ptr, len;
    if (!member_path(type, ptr_path, &pt, &po) || !member_path(type, len_path, &lt, &lo) ||
        !read_uint(r, addr + po, 8, &ptr) || !read_uint(r, addr + lo, 8, &len) ||
        !shi_dwarf_die_type(&pt, &elem))
        return false;
    if (str) {
        char buf[66];
        size_t n = len < 64 ? (size_t)len : 64, k = 0;
        buf[k++] = '"';
        for (size_t i = 0; i < n; i++) {
            uint64_t c;
            if (!read_uint(r, ptr + i, 1, &c)) return false;
            buf[k++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '.';
        }
        buf[k++] = '"';
        buf[k] = 0;
        out->kind = SHI_VAL_POINTER;
        out->addr = ptr;
        out->truncated = (size_t)(len - n);
        shi_value_set_text(out, buf);
        return true;
    }
    out->kind = SHI_VAL_ARRAY;
    size_t esize = shi_dwarf_type_size(&elem);
    uint64_t shown = len < ARRAY_SHOWN ? len : ARRAY_SHOWN;
    for (uint64_t i = 0; i < shown && esize; i++) {
        shi_field *f = shi_value_add_field(out, NULL);
        read_any(r, &elem, ptr + i * esize, f->value, depth + 1);
    }
    out->truncated = (size_t)(len - shown);
    return true;
}

static int read_struct(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                       int depth) {
    if (read_fat(r, type, addr, out, depth)) return 0;
    out->kind = SHI_VAL_STRUCT;
    Dwarf_Die m, mt;
    bool ok = dwarf_child(type, &m) == 0;
    for (; ok; ok = dwarf_siblingof(&m, &m) == 0)
        if (dwarf_tag(&m) == DW_TAG_variant_part) return read_variant(r, &m, addr, out, depth);
    ok = dwarf_child(type, &m) == 0;
    for (; ok; ok = dwarf_siblingof(&m, &m) == 0) {
        /* a Rust enum's variant part is not a member: its fields depend on the variant */
        if (dwarf_tag(&m) != DW_TAG_member || !shi_dwarf_die_type(&m, &mt)) continue;
        shi_field *f = shi_value_add_field(out, dwarf_diename(&m));
        read_any(r, &mt, addr + shi_dwarf_member_offset(&m), f->value, depth + 1);
    }
    return 0;
}

enum { MAX_DIMS = 8 };

/* The rows of a C array with several dimensions (int m[2][3]: one array type, two
 * subranges), as arrays of arrays: each row at its own address, named "int[3]". */
static void read_rows(const reader *r, Dwarf_Die *elem, const char *elem_name,
                      const uint64_t *dims, size_t ndims, uint64_t addr, shi_value *out,
                      int depth) {
    out->kind = SHI_VAL_ARRAY;
    uint64_t stride = shi_dwarf_type_size(elem);
    for (size_t k = 1; k < ndims; k++) stride *= dims[k];
    char row_name[160] = "";
    size_t o = (size_t)snprintf(row_name, sizeof row_name, "%s", elem_name ? elem_name : "?");
    for (size_t k = 1; k < ndims && o < sizeof row_name; k++)
        o += (size_t)snprintf(row_name + o, sizeof row_name - o, "[%llu]",
                              (unsigned long long)dims[k]);
    uint64_t shown = dims[0] < ARRAY_SHOWN ? dims[0] : ARRAY_SHOWN;
    for (uint64_t i = 0; i < shown; i++) {
        shi_value *v = shi_value_add_field(out, NULL)->value;
        if (ndims == 1) {
            read_any(r, elem, addr + i * stride, v, depth + 1);
            continue;
        }
        v->at = addr + i * stride;
        v->type = shi_trace_strdup(row_name);
        read_rows(r, elem, elem_name, dims + 1, ndims - 1, v->at, v, depth + 1);
    }
    out->truncated = (size_t)(dims[0] - shown);
}

static int read_array(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                      int depth) {
    Dwarf_Die elem;
    uint64_t dims[MAX_DIMS];
    out->kind = SHI_VAL_ARRAY;
    size_t ndims = shi_dwarf_array_dims(type, dims, MAX_DIMS);
    if (!shi_dwarf_die_type(type, &elem) || ndims == 0) return 0;
    char *elem_name = ndims > 1 ? shi_dwarf_type_name(r->d, &elem) : NULL;
    read_rows(r, &elem, elem_name, dims, ndims, addr, out, depth);
    free(elem_name);
    return 0;
}

static int read_any(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                    int depth) {
    out->target_block = -1;
    out->at = addr;
    free(out->type);
    out->type = shi_dwarf_type_name(r->d, type);   /* before peeling: a typedef keeps its name */
    if (depth > MAX_DEPTH) return unreadable(out);
    own_kind own = owned_kind(r, type);
    if (own != OWN_NONE) return read_owned(r, own, type, addr, out);
    Dwarf_Die t;
    shi_dwarf_peel(type, &t);
    own = owned_kind(r, &t);   /* a const String; C's union behind its typedef */
    if (own != OWN_NONE) return read_owned(r, own, &t, addr, out);
    switch (dwarf_tag(&t)) {
    case DW_TAG_base_type: return read_base(r, &t, addr, out);
    case DW_TAG_enumeration_type: return read_enum(r, &t, addr, out);
    case DW_TAG_pointer_type: case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
        out->kind = SHI_VAL_POINTER;
        return read_uint(r, addr, 8, &out->addr) ? 0 : unreadable(out);
    case DW_TAG_structure_type: case DW_TAG_union_type: case DW_TAG_class_type:
        return read_struct(r, &t, addr, out, depth);
    case DW_TAG_array_type: return read_array(r, &t, addr, out, depth);
    default: return unreadable(out);
    }
}

int shi_dwarf_read_value(const shi_dwarf *d, Dwarf_Die *type, uint64_t addr,
                         const shi_dwarf_target *t, shi_value *out) {
    memset(out, 0, sizeof *out);
    reader r = {d, t};
    return read_any(&r, type, addr, out, 0);
}

/* ---- return values ------------------------------------------------------------------------ */

/* A target whose memory is one register's 8 bytes at address 0. */
static bool reg_mem(void *arg, uint64_t addr, void *buf, size_t len) {
    if (addr + len > 8) return false;
    memcpy(buf, (const unsigned char *)arg + addr, len);
    return true;
}

int shi_dwarf_return_value(const shi_dwarf *d, Dwarf_Off fn_die, uint64_t rax, uint64_t xmm0,
                           shi_value *out) {
    Dwarf_Die fn, declared, type;
    memset(out, 0, sizeof *out);
    out->target_block = -1;
    if (!dwarf_offdie(d->dbg, fn_die, &fn) || !shi_dwarf_die_type(&fn, &declared)) return -1;
    shi_dwarf_peel(&declared, &type);
    int tag = dwarf_tag(&type);
    if ((tag != DW_TAG_base_type && tag != DW_TAG_enumeration_type &&
         tag != DW_TAG_pointer_type) || shi_dwarf_type_size(&type) > 8)
        return -1;
    Dwarf_Attribute a;
    Dwarf_Word enc = 0;
    if (dwarf_attr(&type, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
    uint64_t reg = enc == DW_ATE_float ? xmm0 : rax;
    shi_dwarf_target t = {.read_mem = reg_mem, .arg = &reg};
    reader r = {d, &t};
    int rc = read_any(&r, &type, 0, out, 0);
    free(out->type);
    out->type = shi_dwarf_type_name(d, &declared);   /* as declared: a typedef's name */
    out->at = 0;                                      /* in a register, not in memory */
    return rc;
}
