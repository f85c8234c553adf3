/*
 * src/trace/debuginfo/dwarf_value.c — turning a variable's bytes into a shi_value, guided by its
 * DWARF type. Members are placed by DW_AT_data_member_location, never by their order (rustc
 * reorders fields). Owning handles (String, Vec<T>, Box<T> and C's sh_string, sh_vec_*,
 * sh_box_*) become SHI_VAL_OWNED; the heap block itself is the tracer's to read, since a
 * handle's pointer may dangle (Vec::new() holds 0x4 with cap 0).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "core/panic.h"
#include "trace/debuginfo/dwarf_internal.h"
#include "trace/model/text.h"

enum { ARRAY_SHOWN = 16, MAX_DEPTH = 8 };

typedef shi_dwarf_reader reader;

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

static int64_t sign_extend_bits(uint64_t v, unsigned bits) {
    if (bits == 0 || bits >= 64) return (int64_t)v;
    unsigned shift = 64 - bits;
    return (int64_t)(v << shift) >> shift;
}

/* C's escape for one byte inside quotes (`quote`: ' or "), as gdb writes it: the simple
 * escapes, else three octal digits (never ambiguous with a digit that follows). */
static size_t c_escape(char *buf, unsigned char c, char quote) {
    static const char simple[] = "\a" "a" "\b" "b" "\f" "f" "\n" "n" "\r" "r" "\t" "t" "\v" "v";
    if (c == (unsigned char)quote || c == '\\') return (size_t)sprintf(buf, "\\%c", c);
    if (c >= 0x20 && c < 0x7f) { buf[0] = (char)c; buf[1] = 0; return 1; }
    for (size_t i = 0; simple[i]; i += 2)
        if ((unsigned char)simple[i] == c) return (size_t)sprintf(buf, "\\%c", simple[i + 1]);
    return (size_t)sprintf(buf, "\\%03o", c);
}

static void char_text(const reader *r, shi_value *out, uint64_t c) {
    char buf[16];
    if (SHI_LANG_IS_C_FAMILY(r->d->lang) && c < 0x100) {   /* C: 'a', '\n', '\000' */
        char esc[8];
        c_escape(esc, (unsigned char)c, '\'');
        snprintf(buf, sizeof buf, "'%s'", esc);
    } else if (c >= 0x20 && c < 0x7f) {
        snprintf(buf, sizeof buf, "'%c'", (int)c);
    } else {
        snprintf(buf, sizeof buf, "'\\u{%llx}'", (unsigned long long)c);
    }
    out->text = shi_trace_strdup(buf);
}

/* The x87 80-bit extended format of `long double` (10 bytes: 64-bit mantissa with its
 * integer bit, then sign and a 15-bit exponent), as the nearest double. */
static double x87_to_double(const uint8_t b[10]) {
    uint64_t mant = 0;
    for (int i = 8; i-- > 0;) mant = mant << 8 | b[i];
    unsigned se = (unsigned)b[8] | (unsigned)b[9] << 8;
    int exp = (int)(se & 0x7fff);
    double sign = se & 0x8000 ? -1.0 : 1.0;
    if (exp == 0x7fff) return (mant << 1) == 0 ? sign * HUGE_VAL : NAN;
    if (exp == 0) exp = 1;   /* denormal: same scale, no integer bit */
    return sign * ldexp((double)mant, exp - 16383 - 63);
}

static bool read_bytes(const reader *r, uint64_t addr, void *buf, size_t n) {
    return r->t->read_mem && r->t->read_mem(r->t->arg, addr, buf, n);
}

/* A float of `size` bytes at addr: float, double or C's long double (x87, in 10, 12 or 16
 * bytes). */
static bool read_float_at(const reader *r, uint64_t addr, size_t size, bool x87, double *ret) {
    uint8_t b[16] = {0};
    if (size == 4 || size == 8) {
        if (!read_bytes(r, addr, b, size)) return false;
        if (size == 4) { float f; memcpy(&f, b, 4); *ret = f; }
        else memcpy(ret, b, 8);
        return true;
    }
    if (!x87 || size < 10 || size > 16 || !read_bytes(r, addr, b, 10)) return false;
    *ret = x87_to_double(b);
    return true;
}

/* C's _Complex: {real, imag}, written as C would write the number: 1 + 2i, 3 - 4i. */
static int read_complex(const reader *r, uint64_t addr, size_t size, shi_value *out) {
    double part[2];
    size_t half = size / 2;
    for (int i = 0; i < 2; i++)
        if (!read_float_at(r, addr + (uint64_t)i * half, half, true, &part[i])) return unreadable(out);
    out->kind = SHI_VAL_STRUCT;
    static const char *const names[] = {"real", "imag"};
    for (int i = 0; i < 2; i++) {
        shi_field *f = shi_value_add_field(out, names[i]);
        f->offset = (size_t)i * half;
        f->size = half;
        shi_value_set_float(f->value, part[i]);
    }
    char buf[80];
    bool neg = signbit(part[1]) && !isnan(part[1]);
    snprintf(buf, sizeof buf, "%g %c %gi", part[0], neg ? '-' : '+', neg ? -part[1] : part[1]);
    shi_value_set_text(out, buf);
    return 0;
}

/* A 128-bit integer's decimal digits into buf (at least 41 bytes). */
static void u128_text(char *buf, uint64_t hi, uint64_t lo, bool negative) {
    unsigned __int128 v = (unsigned __int128)hi << 64 | lo;
    if (negative) v = -v;
    char tmp[48];
    size_t n = 0;
    do { tmp[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
    size_t k = 0;
    if (negative) buf[k++] = '-';
    while (n) buf[k++] = tmp[--n];
    buf[k] = 0;
}

static int read_int128(const reader *r, uint64_t addr, bool is_signed, shi_value *out) {
    uint64_t lo, hi;
    if (!read_uint(r, addr, 8, &lo) || !read_uint(r, addr + 8, 8, &hi)) return unreadable(out);
    char buf[48];
    u128_text(buf, hi, lo, is_signed && (hi >> 63));
    out->kind = is_signed ? SHI_VAL_INT : SHI_VAL_UINT;
    out->u = lo;
    out->wide = true;
    shi_value_set_text(out, buf);
    return 0;
}

/* A base type's value from its raw bits (`bits` wide: the type's size, or a bitfield's). */
static int base_value(const reader *r, Dwarf_Die *type, uint64_t raw, unsigned bits,
                      shi_value *out) {
    Dwarf_Attribute a;
    Dwarf_Word enc = 0;
    if (dwarf_attr(type, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
    const char *name = dwarf_diename(type);
    bool is_char = name && strcmp(name, "char") == 0;
    switch (enc) {
    case DW_ATE_boolean: out->kind = SHI_VAL_BOOL; out->b = raw != 0; return 0;
    case DW_ATE_UTF: out->kind = SHI_VAL_CHAR; out->u = raw; char_text(r, out, raw); return 0;
    case DW_ATE_signed_char: case DW_ATE_unsigned_char:
        if (is_char && bits == 8) {
            out->kind = SHI_VAL_CHAR;
            out->u = raw;
            char_text(r, out, raw);
            return 0;
        }
        break;
    default: break;
    }
    if (enc == DW_ATE_signed || enc == DW_ATE_signed_char) {
        out->kind = SHI_VAL_INT;
        out->i = sign_extend_bits(raw, bits);
    } else {
        out->kind = SHI_VAL_UINT;
        out->u = raw;
    }
    return 0;
}

static int read_base(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out) {
    Dwarf_Attribute a;
    Dwarf_Word enc = 0;
    size_t size = shi_dwarf_type_size(type);
    if (dwarf_attr(type, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
    const char *name = dwarf_diename(type);
    if (enc == DW_ATE_float) {
        bool x87 = name && strcmp(name, "long double") == 0;
        double f;
        if (!read_float_at(r, addr, size, x87, &f)) return unreadable(out);
        shi_value_set_float(out, f);
        return 0;
    }
    if (enc == DW_ATE_complex_float) return read_complex(r, addr, size, out);
    /* C's __int128 (Rust's i128 stays <unreadable>, as its traces have always shown it) */
    if (size == 16 && SHI_LANG_IS_C_FAMILY(r->d->lang) && (enc == DW_ATE_signed || enc == DW_ATE_unsigned))
        return read_int128(r, addr, enc == DW_ATE_signed, out);
    uint64_t raw;
    if (!read_uint(r, addr, size, &raw)) return unreadable(out);
    return base_value(r, type, raw, (unsigned)(8 * size), out);
}

/* An enum's value from its raw bits, named by its enumerator when one matches. */
static int enum_value(Dwarf_Die *type, uint64_t raw, unsigned bits, shi_value *out) {
    out->kind = SHI_VAL_INT;
    out->i = sign_extend_bits(raw, bits);
    Dwarf_Die e;
    bool ok = dwarf_child(type, &e) == 0;
    for (; ok; ok = dwarf_siblingof(&e, &e) == 0) {
        Dwarf_Attribute a;
        Dwarf_Word v;
        if (dwarf_tag(&e) == DW_TAG_enumerator && dwarf_attr(&e, DW_AT_const_value, &a) &&
            dwarf_formudata(&a, &v) == 0 && (v == raw || sign_extend_bits(v, bits) == out->i)) {
            out->text = shi_trace_strdup(dwarf_diename(&e));
            break;
        }
    }
    return 0;
}

static int read_enum(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out) {
    uint64_t raw;
    size_t size = shi_dwarf_type_size(type);
    if (!read_uint(r, addr, size, &raw)) return unreadable(out);
    return enum_value(type, raw, (unsigned)(8 * size), out);
}

/* A bitfield of `bits` bits starting `bit_off` bits into the object at addr (x86-64 is
 * little-endian: bit 0 is the first byte's lowest), signed or not as its type says. */
static int read_bitfield(const reader *r, Dwarf_Die *type, uint64_t addr, uint64_t bit_off,
                         unsigned bits, shi_value *out) {
    uint8_t b[9] = {0};
    unsigned shift = (unsigned)(bit_off % 8);
    size_t n = (shift + bits + 7) / 8;
    if (bits == 0 || bits > 64 || !read_bytes(r, addr + bit_off / 8, b, n)) return unreadable(out);
    uint64_t lo = 0;
    for (size_t i = n < 8 ? n : 8; i-- > 0;) lo = lo << 8 | b[i];
    uint64_t raw = lo >> shift;
    if (n == 9 && shift) raw |= (uint64_t)b[8] << (64 - shift);
    if (bits < 64) raw &= ((uint64_t)1 << bits) - 1;
    Dwarf_Die t;
    shi_dwarf_peel(type, &t);
    if (dwarf_tag(&t) == DW_TAG_enumeration_type) return enum_value(&t, raw, bits, out);
    if (dwarf_tag(&t) != DW_TAG_base_type) return unreadable(out);
    return base_value(r, &t, raw, bits, out);
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
    out->owned.elem_die = elem ? dwarf_dieoffset(elem) : 0;
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

/* Where a vec-shaped handle keeps its buffer's ptr and cap (their types and offsets, [0] ptr,
 * [1] cap): Rust's RawVec `buf`, whose layout dwarf_rust_std.c knows, or C's flat {ptr, cap}. */
static bool vec_members(const reader *r, Dwarf_Die *vec, Dwarf_Die ret_type[2],
                        uint64_t ret_off[2]) {
    static const char *const c_ptr[] = {"ptr", NULL}, *const c_cap[] = {"cap", NULL};
    if (r->d->lang == SHI_LANG_RUST) return shi_rust_raw_vec(vec, ret_type, ret_off);
    return member_path(vec, c_ptr, &ret_type[0], &ret_off[0]) &&
           member_path(vec, c_cap, &ret_type[1], &ret_off[1]);
}

/* A vec-shaped handle: Rust's buf {ptr, cap} and len, or C's flat {ptr, len, cap}. */
static int read_vec(const reader *r, Dwarf_Die *vec, uint64_t addr, shi_value *out) {
    static const char *const len_path[] = {"len", NULL};
    bool rust = r->d->lang == SHI_LANG_RUST;
    Dwarf_Die bt[2], lt;
    uint64_t bo[2], lo;
    if (!vec_members(r, vec, bt, bo) || !member_path(vec, len_path, &lt, &lo))
        return unreadable(out);
    if (!read_scalar_deep(r, &bt[0], addr + bo[0], &out->owned.ptr, NULL) ||
        !read_scalar_deep(r, &bt[1], addr + bo[1], &out->owned.cap, NULL) ||
        !read_scalar_deep(r, &lt, addr + lo, &out->owned.len, NULL))
        return unreadable(out);
    Dwarf_Die elem, scalar;
    if (rust && template_param(vec, "T", &elem)) {
        set_elem(r, out, &elem);
    } else if (!rust && read_scalar_deep(r, &bt[0], addr + bo[0], &(uint64_t){0}, &scalar) &&
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

/* Where a handle's ptr, len and cap (the scalars read_vec and read_box reach: Rust's
 * wrappers sit at offset 0) lie from its start: ret[0] ptr, ret[1] len, ret[2] cap (a box
 * has only ptr). */
static bool handle_layout(const reader *r, own_kind kind, Dwarf_Die *type, uint64_t ret[3]) {
    static const char *const len_path[] = {"len", NULL}, *const vec_path[] = {"vec", NULL};
    bool rust = r->d->lang == SHI_LANG_RUST;
    Dwarf_Die agg, t, m;
    uint64_t base = 0;
    ret[0] = ret[1] = ret[2] = 0;
    if (kind == OWN_BOX) {
        if (dwarf_tag(type) == DW_TAG_pointer_type) return true;
        shi_dwarf_peel(type, &agg);
        return find_member(&agg, "ptr", &m, &ret[0]);   /* C: union { T *ptr; void *raw; } */
    }
    shi_dwarf_peel(type, &agg);
    if (kind == OWN_STRING && rust) {
        if (!member_path(&agg, vec_path, &t, &base)) return false;
        agg = t;
    }
    Dwarf_Die bt[2];
    uint64_t bo[2];
    if (!vec_members(r, &agg, bt, bo) || !member_path(&agg, len_path, &t, &ret[1])) return false;
    ret[0] = bo[0];
    ret[2] = bo[1];
    for (int i = 0; i < 3; i++) ret[i] += base;
    return true;
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
    free(out->variant);
    out->variant = shi_trace_strdup(name);
    char *inner = out->nfields ? shi_value_text(out) : NULL;
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

/* A bitfield member's first bit from the start of its struct: DWARF 5's
 * DW_AT_data_bit_offset, or DWARF 2-4's DW_AT_bit_offset counted from the most significant
 * bit of a storage unit at DW_AT_data_member_location. False for an ordinary member. */
static bool bitfield(Dwarf_Die *m, Dwarf_Die *mtype, uint64_t *ret_bit_off, unsigned *ret_bits) {
    Dwarf_Attribute a;
    Dwarf_Word bits, off;
    if (!dwarf_attr(m, DW_AT_bit_size, &a) || dwarf_formudata(&a, &bits) != 0) return false;
    if (dwarf_attr(m, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &off) == 0) {
        *ret_bit_off = off;
    } else {
        Dwarf_Word unit = 0, from_msb = 0;
        if (!dwarf_attr(m, DW_AT_byte_size, &a) || dwarf_formudata(&a, &unit) != 0)
            unit = shi_dwarf_type_size(mtype);
        if (dwarf_attr(m, DW_AT_bit_offset, &a)) dwarf_formudata(&a, &from_msb);
        *ret_bit_off = shi_dwarf_member_offset(m) * 8 + unit * 8 - from_msb - bits;
    }
    *ret_bits = (unsigned)bits;
    return true;
}

static bool is_declared_only(Dwarf_Die *m) {
    Dwarf_Attribute a;
    bool decl = false;
    return dwarf_attr(m, DW_AT_declaration, &a) && dwarf_formflag(&a, &decl) == 0 && decl;
}

/* Whether a class holds data (members, or a base that does): an empty base (an allocator, a
 * comparator) is left out, as it takes no room. */
static bool has_data(Dwarf_Die *type, int depth) {
    Dwarf_Die m, mt, pt;
    bool ok = depth < 8 && dwarf_child(type, &m) == 0;
    for (; ok; ok = dwarf_siblingof(&m, &m) == 0) {
        int tag = dwarf_tag(&m);
        if (tag == DW_TAG_member && !is_declared_only(&m)) return true;
        if (tag == DW_TAG_inheritance && shi_dwarf_die_type(&m, &mt)) {
            shi_dwarf_peel(&mt, &pt);
            if (has_data(&pt, depth + 1)) return true;
        }
    }
    return false;
}

/* A C++ base class's part of an object: a member-like entry named as gdb names it, <Base>. */
static void base_field(const reader *r, Dwarf_Die *m, Dwarf_Die *base, uint64_t addr,
                       shi_value *out, int depth) {
    Dwarf_Die pb;
    shi_dwarf_peel(base, &pb);
    if (!has_data(&pb, 0)) return;
    char *bname = shi_dwarf_type_name(r->d, base);
    size_t n = strlen(bname ? bname : "?") + 3;
    char *name = malloc(n);
    if (!name) SHI_PANIC("trace: out of memory");
    snprintf(name, n, "<%s>", bname ? bname : "?");
    shi_field *f = shi_value_add_field(out, name);
    free(name);
    free(bname);
    f->offset = (size_t)shi_dwarf_member_offset(m);
    f->size = shi_dwarf_type_size(&pb);
    read_any(r, base, addr + f->offset, f->value, depth + 1);
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
        if (dwarf_tag(&m) == DW_TAG_inheritance && shi_dwarf_die_type(&m, &mt)) {
            base_field(r, &m, &mt, addr, out, depth);
            continue;
        }
        /* a Rust enum's variant part is not a member: its fields depend on the variant; a
         * C++ static member (DWARF 4 makes it a member, declared only) is not in the object */
        if (dwarf_tag(&m) != DW_TAG_member || !shi_dwarf_die_type(&m, &mt) || is_declared_only(&m))
            continue;
        shi_field *f = shi_value_add_field(out, dwarf_diename(&m));
        uint64_t bit_off;
        unsigned bits;
        if (bitfield(&m, &mt, &bit_off, &bits)) {
            f->offset = (size_t)(bit_off / 8);
            f->size = (size_t)((bit_off % 8 + bits + 7) / 8);
            f->value->target_block = -1;
            f->value->target_static = -1;
            read_bitfield(r, &mt, addr, bit_off, bits, f->value);
            continue;
        }
        f->offset = (size_t)shi_dwarf_member_offset(&m);
        f->size = shi_dwarf_type_size(&mt);
        read_any(r, &mt, addr + f->offset, f->value, depth + 1);
    }
    return 0;
}

/* ---- arrays ------------------------------------------------------------------------------- */

enum { MAX_DIMS = 8, STRING_SHOWN = 200 };

/* Whether a location gives an address or a word (a bound is one of them). */
static bool word_location(const shi_dwarf_loc *loc) {
    return loc->kind == SHI_LOC_MEMORY || loc->kind == SHI_LOC_VALUE ||
           (loc->kind == SHI_LOC_REGISTER && loc->has_value);
}

/* A subrange bound: a constant, or (C's variable-length arrays) an expression or a reference
 * to the compiler's variable holding it, evaluated in the target's frame. */
static bool bound_value(const reader *r, Dwarf_Attribute *a, uint64_t *ret) {
    Dwarf_Word w;
    Dwarf_Op *ops;
    size_t nops;
    shi_dwarf_loc loc;
    switch (dwarf_whatform(a)) {
    case DW_FORM_exprloc: case DW_FORM_block: case DW_FORM_block1: case DW_FORM_block2:
    case DW_FORM_block4:
        /* an expression: the value it leaves on the stack */
        if (dwarf_getlocation(a, &ops, &nops) != 0 ||
            shi_dwarf_eval_location(ops, nops, r->t->frame_base, r->t->nframe_base, r->t,
                                    &loc) != 0 || !word_location(&loc))
            return false;
        *ret = loc.kind == SHI_LOC_MEMORY ? loc.addr : loc.value;
        return true;
    case DW_FORM_ref1: case DW_FORM_ref2: case DW_FORM_ref4: case DW_FORM_ref8:
    case DW_FORM_ref_udata: case DW_FORM_ref_addr: {
        Dwarf_Die var, vt;
        Dwarf_Attribute la;
        if (!dwarf_formref_die(a, &var)) return false;
        if (dwarf_attr(&var, DW_AT_const_value, &la)) return dwarf_formudata(&la, ret) == 0;
        if (!dwarf_attr(&var, DW_AT_location, &la) || dwarf_getlocation(&la, &ops, &nops) != 0 ||
            shi_dwarf_eval_location(ops, nops, r->t->frame_base, r->t->nframe_base, r->t,
                                    &loc) != 0 || !word_location(&loc))
            return false;
        if (loc.kind != SHI_LOC_MEMORY) { *ret = loc.value; return true; }
        size_t size = shi_dwarf_die_type(&var, &vt) ? shi_dwarf_type_size(&vt) : 8;
        return read_uint(r, loc.addr, size ? size : 8, ret);
    }
    default:
        if (dwarf_formudata(a, &w) != 0) return false;
        *ret = w;
        return true;
    }
}

/* The element count of one subrange: DW_AT_count (Rust), else DW_AT_upper_bound + 1 (C's
 * lower bound is 0). *ret_dynamic says the bound was evaluated (a VLA). */
static bool subrange_count(const reader *r, Dwarf_Die *sub, uint64_t *ret, bool *ret_dynamic) {
    Dwarf_Attribute a;
    bool count = dwarf_attr(sub, DW_AT_count, &a) != NULL;
    if (!count && !dwarf_attr(sub, DW_AT_upper_bound, &a)) return false;
    unsigned form = dwarf_whatform(&a);
    if (ret_dynamic && form != DW_FORM_data1 && form != DW_FORM_data2 && form != DW_FORM_data4 &&
        form != DW_FORM_data8 && form != DW_FORM_udata && form != DW_FORM_sdata &&
        form != DW_FORM_implicit_const)
        *ret_dynamic = true;
    uint64_t v;
    if (!bound_value(r, &a, &v)) return false;
    *ret = count ? v : v + 1;
    if (*ret > ((uint64_t)1 << 40)) return false;   /* garbage in an uninitialised bound */
    return true;
}

typedef struct dims {
    uint64_t count[MAX_DIMS];
    size_t n;
    bool dynamic;
} dims;

/* The array's dimensions: C writes int g[2][3] as one array type with two subranges. */
static bool array_dims(const reader *r, Dwarf_Die *type, dims *ret) {
    Dwarf_Die sub;
    *ret = (dims){0};
    bool ok = dwarf_child(type, &sub) == 0;
    for (; ok && ret->n < MAX_DIMS; ok = dwarf_siblingof(&sub, &sub) == 0) {
        if (dwarf_tag(&sub) != DW_TAG_subrange_type) continue;
        if (!subrange_count(r, &sub, &ret->count[ret->n], &ret->dynamic)) return false;
        ret->n++;
    }
    return ret->n > 0;
}

/* C's char, signed char, unsigned char: arrays of them are strings. */
static bool is_c_char(const reader *r, Dwarf_Die *elem) {
    Dwarf_Die t;
    Dwarf_Attribute a;
    Dwarf_Word enc = 0;
    if (!SHI_LANG_IS_C_FAMILY(r->d->lang)) return false;
    shi_dwarf_peel(elem, &t);
    if (dwarf_tag(&t) != DW_TAG_base_type || shi_dwarf_type_size(&t) != 1) return false;
    if (dwarf_attr(&t, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
    return enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char;
}

/* A char array as C writes the string it holds: "abc", up to the first NUL (all `count`
 * bytes when there is none), escaped as gdb escapes; cut after STRING_SHOWN bytes ("..."). */
static void c_string_text(const reader *r, uint64_t addr, uint64_t count, shi_value *out) {
    size_t n = count < STRING_SHOWN ? (size_t)count : STRING_SHOWN;
    uint8_t bytes[STRING_SHOWN];
    if (n && !read_bytes(r, addr, bytes, n)) return;
    char text[STRING_SHOWN * 4 + 8];
    size_t k = 0, i = 0;
    text[k++] = '"';
    for (; i < n && bytes[i]; i++) k += c_escape(text + k, bytes[i], '"');
    text[k++] = '"';
    if (i == n && n < count) k += (size_t)sprintf(text + k, "...");
    text[k] = 0;
    shi_value_set_text(out, text);
}

/* A C char pointer as gdb shows it: its address and the string there, 0x555555556010 "hi"
 * (up to the NUL, cut after STRING_SHOWN bytes). Read in aligned 16-byte pieces, which never
 * cross a page, so a string that ends just before an unmapped page is read whole; nothing
 * is added when the first piece cannot be read (NULL, a dangling pointer). */
static void c_pointer_string(const reader *r, shi_value *out) {
    uint8_t bytes[STRING_SHOWN + 16];
    size_t n = 0;
    bool nul = false;
    uint64_t at = out->addr;
    if (!at) return;
    while (n < STRING_SHOWN && !nul) {
        size_t piece = 16 - (size_t)(at % 16);
        if (!read_bytes(r, at, bytes + n, piece)) break;
        for (size_t i = 0; i < piece && !nul; i++) nul = bytes[n + i] == 0;
        n += piece;
        at += piece;
    }
    if (!n) return;
    char text[STRING_SHOWN * 4 + 40];
    size_t k = (size_t)sprintf(text, "0x%llx \"", (unsigned long long)out->addr), i = 0;
    for (; i < n && i < STRING_SHOWN && bytes[i]; i++) k += c_escape(text + k, bytes[i], '"');
    text[k++] = '"';
    if (i == n || i == STRING_SHOWN) k += (size_t)sprintf(text + k, "...");   /* no NUL seen */
    text[k] = 0;
    shi_value_set_text(out, text);
}

/* A C function pointer to one of the program's functions as gdb shows it:
 * 0x555555555139 <add>. */
static void c_function_name(const reader *r, shi_value *out) {
    if (!SHI_LANG_IS_C_FAMILY(r->d->lang) || !out->addr || out->addr < r->t->load_bias) return;
    const shi_function *f = shi_dwarf_function_at(r->d, out->addr - r->t->load_bias);
    if (!f || f->low_pc != out->addr - r->t->load_bias || !f->name) return;
    char text[160];
    snprintf(text, sizeof text, "0x%llx <%s>", (unsigned long long)out->addr, f->name);
    shi_value_set_text(out, text);
}

/* Dimension `k` of an array at addr: its elements, each an array of the next dimension (a
 * row at its own address, its type named as C names it: "int[3]"). */
static void read_dims(const reader *r, Dwarf_Die *elem, const char *elem_name, size_t esize,
                      const dims *dm, size_t k, uint64_t addr, shi_value *out, int depth) {
    out->kind = SHI_VAL_ARRAY;
    out->target_block = -1;
    out->target_static = -1;
    uint64_t count = dm->count[k], stride = esize;
    for (size_t j = k + 1; j < dm->n; j++) stride *= dm->count[j];
    char row_name[160] = "";
    if (k + 1 < dm->n) {
        size_t o = (size_t)snprintf(row_name, sizeof row_name, "%s", elem_name ? elem_name : "?");
        for (size_t j = k + 1; j < dm->n && o < sizeof row_name; j++)
            o += (size_t)snprintf(row_name + o, sizeof row_name - o, "[%llu]",
                                  (unsigned long long)dm->count[j]);
    }
    uint64_t shown = count < ARRAY_SHOWN ? count : ARRAY_SHOWN;
    for (uint64_t i = 0; i < shown; i++) {
        shi_field *f = shi_value_add_field(out, NULL);
        f->offset = (size_t)(i * stride);
        f->size = (size_t)stride;
        if (k + 1 < dm->n) {
            f->value->at = addr + i * stride;
            f->value->type = shi_trace_strdup(row_name);
            read_dims(r, elem, elem_name, esize, dm, k + 1, addr + i * stride, f->value, depth + 1);
        } else {
            read_any(r, elem, addr + i * stride, f->value, depth + 1);
        }
    }
    out->truncated = (size_t)(count - shown);
    if (k + 1 == dm->n && is_c_char(r, elem)) c_string_text(r, addr, count, out);
}

static int read_array(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                      int depth) {
    Dwarf_Die elem;
    dims dm;
    out->kind = SHI_VAL_ARRAY;
    if (!shi_dwarf_die_type(type, &elem) || !array_dims(r, type, &dm)) return 0;
    /* Rust nests its arrays as types; only C gives one type several subranges */
    if (!SHI_LANG_IS_C_FAMILY(r->d->lang)) dm.n = 1;
    char *elem_name = dm.n > 1 ? shi_dwarf_type_name(r->d, &elem) : NULL;
    read_dims(r, &elem, elem_name, shi_dwarf_type_size(&elem), &dm, 0, addr, out, depth);
    free(elem_name);
    return 0;
}

bool shi_dwarf_vla_shape(const shi_dwarf *d, Dwarf_Die *type, const shi_dwarf_target *t,
                         size_t *ret_size, char **ret_name) {
    reader r = {d, t};
    Dwarf_Die arr, elem;
    dims dm;
    shi_dwarf_peel(type, &arr);
    if (dwarf_tag(&arr) != DW_TAG_array_type || !shi_dwarf_die_type(&arr, &elem) ||
        !array_dims(&r, &arr, &dm) || !dm.dynamic)
        return false;
    uint64_t size = shi_dwarf_type_size(&elem);
    char *name = shi_dwarf_type_name(d, &elem);
    if (!name) return false;
    size_t len = strlen(name), cap = len + 24 * dm.n + 1;
    char *s = malloc(cap);
    if (!s) { free(name); return false; }
    memcpy(s, name, len + 1);
    for (size_t i = 0; i < dm.n; i++) {
        size *= dm.count[i];
        len += (size_t)snprintf(s + len, cap - len, "[%llu]", (unsigned long long)dm.count[i]);
    }
    free(name);
    *ret_size = (size_t)size;
    *ret_name = s;
    return true;
}

/* A C++ reference (T&, T&&) reads as what it refers to: a pointer to it (an arrow, no
 * second handle to the same block) whose text is the referent's value, as gdb prints it. */
static void cxx_reference(const reader *r, Dwarf_Die *referent, shi_value *out, int depth) {
    shi_value v;
    memset(&v, 0, sizeof v);
    if (!out->addr || read_any(r, referent, out->addr, &v, depth + 1) != 0) {
        shi_value_clear(&v);
        return;
    }
    char *text = shi_value_text_in(&v, "c");
    if (text) shi_value_set_text(out, text);
    free(text);
    shi_value_clear(&v);
}

static int read_any(const reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                    int depth) {
    out->target_block = -1;
    out->target_static = -1;
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
    int std_kind = shi_rust_std_kind(r, &t);   /* Rc, HashMap, Box<dyn Trait>, Cell, ... */
    if (std_kind) return shi_rust_std_read(r, std_kind, &t, addr, out, depth);
    int cxx_kind = shi_cxx_std_kind(r, &t);   /* std::string, vector, unique_ptr, map, ... */
    if (cxx_kind) return shi_cxx_std_read(r, cxx_kind, &t, addr, out, depth);
    switch (dwarf_tag(&t)) {
    case DW_TAG_base_type: return read_base(r, &t, addr, out);
    case DW_TAG_enumeration_type: return read_enum(r, &t, addr, out);
    case DW_TAG_pointer_type: case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type: {
        Dwarf_Die pointee, peeled;
        bool has_pointee = shi_dwarf_die_type(&t, &pointee);
        out->kind = SHI_VAL_POINTER;
        if (has_pointee) {
            shi_dwarf_peel(&pointee, &peeled);
            out->target_size = shi_dwarf_type_size(&peeled);
            out->pointee = dwarf_dieoffset(&pointee);
        }
        if (!read_uint(r, addr, 8, &out->addr)) return unreadable(out);
        if (has_pointee && dwarf_tag(&t) != DW_TAG_pointer_type && r->d->lang == SHI_LANG_CPP) {
            cxx_reference(r, &pointee, out, depth);
            return 0;
        }
        if (has_pointee && is_c_char(r, &pointee)) c_pointer_string(r, out);
        else if (has_pointee && dwarf_tag(&peeled) == DW_TAG_subroutine_type)
            c_function_name(r, out);
        return 0;
    }
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

/* A value that lives nowhere in memory is decoded from its bytes as if it did, at an
 * address no program maps (below mmap_min_addr): reads there are served from the bytes,
 * every other read (where a pointer in it points) from the tracee. */
enum { LOCATED_AT = 0x1000 };

typedef struct located {
    const shi_dwarf_target *base;
    const unsigned char *bytes;
    size_t n;
} located;

static bool located_read(void *arg, uint64_t addr, void *buf, size_t len) {
    const located *l = arg;
    if (addr >= LOCATED_AT && addr - LOCATED_AT < LOCATED_AT) {   /* its page: its bytes only */
        if (addr - LOCATED_AT + len > l->n) return false;   /* past what the location holds */
        memcpy(buf, l->bytes + (addr - LOCATED_AT), len);
        return true;
    }
    return l->base->read_mem && l->base->read_mem(l->base->arg, addr, buf, len);
}

/* The decoded value has no address: it was in no memory. */
static void clear_located_at(shi_value *v, size_t n) {
    if (v->at >= LOCATED_AT && v->at < LOCATED_AT + n) v->at = 0;
    for (size_t i = 0; i < v->nfields; i++) clear_located_at(v->fields[i].value, n);
}

int shi_dwarf_read_located(const shi_dwarf *d, Dwarf_Die *type, const shi_dwarf_loc *loc,
                           const shi_dwarf_target *t, shi_value *out) {
    unsigned char word[8];
    located l = {.base = t, .bytes = loc->bytes, .n = loc->nbytes};
    memset(out, 0, sizeof *out);
    if (loc->kind == SHI_LOC_REGISTER || loc->kind == SHI_LOC_VALUE) {
        if (loc->kind == SHI_LOC_REGISTER && !loc->has_value) {
            /* an outer frame's register the call it made was free to overwrite (gdb's
             * word for it) */
            shi_value_set_text(out, "not saved");
            return unreadable(out);
        }
        for (size_t i = 0; i < 8; i++) word[i] = (unsigned char)(loc->value >> (8 * i));
        l.bytes = word;
        l.n = sizeof word;
    } else if (loc->kind != SHI_LOC_BYTES) {
        return unreadable(out);
    }
    shi_dwarf_target lt = *t;
    lt.read_mem = located_read;
    lt.arg = &l;
    reader r = {d, &lt};
    int rc = read_any(&r, type, LOCATED_AT, out, 0);
    clear_located_at(out, l.n);
    return rc;
}

int shi_dwarf_read_array(const shi_dwarf *d, Dwarf_Die *elem, uint64_t count, uint64_t addr,
                         const shi_dwarf_target *t, shi_value *out) {
    memset(out, 0, sizeof *out);
    reader r = {d, t};
    char *elem_name = shi_dwarf_type_name(d, elem);
    dims dm = {.count = {count}, .n = 1};
    read_dims(&r, elem, elem_name, shi_dwarf_type_size(elem), &dm, 0, addr, out, 0);
    char name[200];
    snprintf(name, sizeof name, "%s[%llu]", elem_name ? elem_name : "?", (unsigned long long)count);
    free(elem_name);
    out->type = shi_trace_strdup(name);
    out->at = addr;
    return 0;
}

/* A String's bytes as a quoted Rust literal: printable UTF-8 kept, the rest escaped. */
static void rust_string_text(const reader *r, uint64_t addr, uint64_t len, shi_value *out) {
    size_t n = len < STRING_SHOWN ? (size_t)len : STRING_SHOWN;
    unsigned char raw[STRING_SHOWN];
    char text[STRING_SHOWN * 4 + 8];
    if (n && !read_bytes(r, addr, raw, n)) return;
    size_t k = 0;
    text[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = raw[i];
        if (c == '"' || c == '\\') k += (size_t)sprintf(text + k, "\\%c", c);
        else if (c == '\n') k += (size_t)sprintf(text + k, "\\n");
        else if (c < 0x20 || c == 0x7f) k += (size_t)sprintf(text + k, "\\u{%x}", c);
        else text[k++] = (char)c;
    }
    if (n < len) k += (size_t)sprintf(text + k, "...");
    text[k++] = '"';
    text[k] = 0;
    shi_value_set_text(out, text);
}

static int owned_block(const shi_dwarf *d, const shi_owned *o, const shi_dwarf_target *t,
                       shi_value *out);

/* The bytes a block's decoding reads, fetched at once: a step decodes every owned block,
 * and one read of the tracee's memory costs a system call, a String's 16 bytes sixteen. */
typedef struct window {
    const shi_dwarf_target *base;
    uint64_t addr;
    size_t n;
    unsigned char buf[4096];
} window;

static bool window_read(void *arg, uint64_t addr, void *buf, size_t len) {
    const window *w = arg;
    if (addr >= w->addr && addr - w->addr + len <= w->n) {
        memcpy(buf, w->buf + (addr - w->addr), len);
        return true;
    }
    return w->base->read_mem(w->base->arg, addr, buf, len);
}

int shi_dwarf_read_owned_block(const shi_dwarf *d, const shi_owned *o,
                               const shi_dwarf_target *base, shi_value *out) {
    memset(out, 0, sizeof *out);
    out->target_block = -1;
    out->target_static = -1;
    out->at = o->ptr;
    window win, *w = &win;
    uint64_t want = o->kind == SHI_OWN_BOX ? o->elem_size
                    : (o->cap < ARRAY_SHOWN ? o->cap : ARRAY_SHOWN) * o->elem_size;
    if (o->kind == SHI_OWN_STRING && o->len > want) want = o->len;
    *w = (window){.base = base, .addr = o->ptr,
                  .n = want < sizeof w->buf ? (size_t)want : sizeof w->buf};
    if (w->n && !base->read_mem(base->arg, o->ptr, w->buf, w->n)) w->n = 0;
    shi_dwarf_target wt = *base;
    wt.read_mem = window_read;
    wt.arg = w;
    return owned_block(d, o, &wt, out);
}

static int owned_block(const shi_dwarf *d, const shi_owned *o, const shi_dwarf_target *t,
                       shi_value *out) {
    reader r = {d, t};
    int std_rc = d->lang == SHI_LANG_CPP ? shi_cxx_std_read_block(&r, o, out)
                                         : shi_rust_std_read_block(&r, o, out);
    if (std_rc != -2) return std_rc;   /* Rc, maps, deques, boxed slices; C++'s strings */
    Dwarf_Die elem;
    if (!o->elem_die || !dwarf_offdie(shi_dwarf_handle(d), o->elem_die, &elem))
        return unreadable(out);
    Dwarf_Die dyn;   /* a unique_ptr<Shape> holding a Circle: the Circle */
    if (o->kind == SHI_OWN_BOX && shi_cxx_dynamic_type(d, t, &elem, o->ptr, SIZE_MAX, &dyn))
        elem = dyn;
    if (o->kind == SHI_OWN_BOX) return read_any(&r, &elem, o->ptr, out, 0) ? -1 : 0;
    char *elem_name = shi_dwarf_type_name(d, &elem);
    shi_dwarf_array_block(d, out, elem_name, o->cap, o->ptr);
    free(elem_name);
    /* a String is its text (its bytes as elements would cost every step of a JSON trace a
     * value per byte); a Vec's spare slots are unset but still of its element type */
    if (o->kind == SHI_OWN_STRING) {
        rust_string_text(&r, o->ptr, o->len < o->cap ? o->len : o->cap, out);
        return 0;
    }
    elem_name = shi_dwarf_type_name(d, &elem);
    uint64_t shown = o->cap < ARRAY_SHOWN ? o->cap : ARRAY_SHOWN;
    size_t esize = o->elem_size;
    for (uint64_t i = 0; i < shown && esize; i++) {
        shi_field *f = shi_dwarf_field_at(out, NULL, o->ptr, i * esize, esize);
        if (i < o->len) read_any(&r, &elem, o->ptr + i * esize, f->value, 1);
        else f->value->type = shi_trace_strdup(elem_name);
    }
    free(elem_name);
    out->truncated = (size_t)(o->cap - shown);
    return 0;
}

/* C++'s elements (a std::vector<std::string>'s) are handles its own reader decodes, one
 * after the other from one read of the slots; a short string keeps its chars in its slot. */
static size_t cxx_more_handles(const reader *r, const shi_owned *o, Dwarf_Die *elem,
                               uint64_t first, size_t max, shi_owned **ret) {
    size_t esize = o->elem_size, n = o->len - first < max ? (size_t)(o->len - first) : max;
    uint64_t at = o->ptr + first * esize;
    window *w = malloc(sizeof *w);
    shi_owned *out = calloc(n, sizeof *out);
    if (!w || !out) SHI_PANIC("trace: out of memory");
    shi_dwarf_target wt = *r->t;
    wt.read_mem = window_read;
    wt.arg = w;
    reader wr = {r->d, &wt};
    size_t got = 0, per = sizeof w->buf / esize;   /* slots a window holds */
    for (size_t i = 0; i < n; i++, got++) {
        uint64_t e = at + i * esize;
        if (!per || i % per == 0) {   /* the next slots, a window at a time */
            *w = (window){.base = r->t, .addr = e};
            w->n = per ? ((n - i) < per ? n - i : per) * esize : 0;
            if (w->n && !r->t->read_mem(r->t->arg, e, w->buf, w->n)) w->n = 0;
        }
        shi_value v;
        memset(&v, 0, sizeof v);
        read_any(&wr, elem, e, &v, 1);
        if (v.kind != SHI_VAL_OWNED) { shi_value_clear(&v); break; }
        out[i] = v.owned;
        v.owned.elem_type = NULL;   /* the copies own no strings */
        out[i].elem_type = NULL;
        shi_value_clear(&v);
    }
    free(w);
    if (!got) { free(out); out = NULL; }
    *ret = out;
    return got;
}

size_t shi_dwarf_more_handles(const shi_dwarf *d, const shi_owned *o, uint64_t first,
                              size_t max, const shi_dwarf_target *t, shi_owned **ret) {
    *ret = NULL;
    reader r = {d, t};
    Dwarf_Die elem, peeled, *ht = &elem;
    if (o->kind != SHI_OWN_VEC || first >= o->len || !o->elem_size || !o->elem_die ||
        !dwarf_offdie(shi_dwarf_handle(d), o->elem_die, &elem))
        return 0;
    if (d->lang == SHI_LANG_CPP) {
        shi_dwarf_peel(&elem, &peeled);
        return shi_cxx_std_kind(&r, &peeled) ? cxx_more_handles(&r, o, &elem, first, max, ret) : 0;
    }
    own_kind k = owned_kind(&r, &elem);
    if (k == OWN_NONE) {   /* a const String; C's union behind its typedef */
        shi_dwarf_peel(&elem, &peeled);
        k = owned_kind(&r, &peeled);
        ht = &peeled;
    }
    uint64_t off[3];
    if (k == OWN_NONE || !handle_layout(&r, k, ht, off)) return 0;
    /* the first one decoded as any handle: its kind and element type are every one's */
    shi_value proto;
    memset(&proto, 0, sizeof proto);
    size_t esize = o->elem_size;
    size_t n = o->len - first < max ? (size_t)(o->len - first) : max;
    unsigned char *buf = malloc(n * esize);
    if (!buf) SHI_PANIC("trace: out of memory");
    if (read_owned(&r, k, ht, o->ptr + first * esize, &proto) != 0 ||
        proto.kind != SHI_VAL_OWNED || !read_bytes(&r, o->ptr + first * esize, buf, n * esize)) {
        shi_value_clear(&proto);
        free(buf);
        return 0;
    }
    shi_owned *out = calloc(n, sizeof *out);
    if (!out) SHI_PANIC("trace: out of memory");
    for (size_t i = 0; i < n; i++) {
        const unsigned char *e = buf + i * esize;
        out[i] = proto.owned;
        out[i].elem_type = NULL;   /* the copies own no strings */
        memcpy(&out[i].ptr, e + off[0], 8);
        if (k != OWN_BOX) {
            memcpy(&out[i].len, e + off[1], 8);
            memcpy(&out[i].cap, e + off[2], 8);
        }
    }
    shi_value_clear(&proto);
    free(buf);
    *ret = out;
    return n;
}

/* ---- for dwarf_rust_std.c and dwarf_cxx_std.c ------------------------------------------- */

void shi_dwarf_c_text(const shi_dwarf_reader *r, uint64_t addr, uint64_t len, shi_value *out) {
    c_string_text(r, addr, len, out);
}

int shi_dwarf_read_any(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                       shi_value *out, int depth) {
    return read_any(r, type, addr, out, depth);
}

bool shi_dwarf_member_path(Dwarf_Die *agg, const char *const *path, Dwarf_Die *ret_type,
                           uint64_t *ret_off) {
    return member_path(agg, path, ret_type, ret_off);
}

int shi_dwarf_read_member_as(const shi_dwarf_reader *r, Dwarf_Die *mtype, uint64_t addr,
                             uint64_t off, shi_value *out, int depth) {
    char *name = out->type;   /* the wrapper's name is what the program wrote */
    out->type = NULL;
    int rc = read_any(r, mtype, addr + off, out, depth + 1);
    free(out->type);
    out->type = name;
    out->at = addr;
    return rc;
}

void shi_dwarf_array_block(const shi_dwarf *d, shi_value *out, const char *elem, uint64_t n,
                           uint64_t at) {
    char name[320];
    snprintf(name, sizeof name, SHI_LANG_IS_C_FAMILY(d->lang) ? "%s[%llu]" : "[%s; %llu]",
             elem ? elem : "?", (unsigned long long)n);
    out->type = shi_trace_strdup(name);
    out->kind = SHI_VAL_ARRAY;
    out->at = at;
}

bool shi_dwarf_read_scalar(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                           uint64_t *ret, Dwarf_Die *ret_scalar) {
    return read_scalar_deep(r, type, addr, ret, ret_scalar);
}

bool shi_dwarf_template_param(Dwarf_Die *type, const char *name, Dwarf_Die *ret) {
    return template_param(type, name, ret);
}

void shi_dwarf_set_elem(const shi_dwarf_reader *r, shi_value *out, Dwarf_Die *elem) {
    set_elem(r, out, elem);
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
    out->target_static = -1;
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

/* A field of `out` at base + off, `size` bytes, pointing nowhere yet: the decoders of the
 * standard libraries' handles lay their blocks' slots out with it. */
shi_field *shi_dwarf_field_at(shi_value *out, const char *name, uint64_t base, uint64_t off,
                              size_t size) {
    shi_field *f = shi_value_add_field(out, name);
    f->offset = (size_t)off;
    f->size = size;
    f->value->target_block = -1;
    f->value->target_static = -1;
    f->value->at = base + off;
    return f;
}
