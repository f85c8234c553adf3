/*
 * src/trace/debuginfo/dwarf_rust_std.c — Rust's standard containers beyond String, Vec and Box<T>,
 * shown as what they hold rather than as their internals. All layout knowledge about them
 * lives here; members are found by name through DWARF (never by order), and a layout that is
 * not the expected one reads as <unreadable>, never as a wrong value.
 *
 *   Rc<T>, Arc<T>   a handle {ptr} (SHI_OWN_RC, shared) to one block, RcInner/ArcInner:
 *                   {strong, weak, value}; the counts as Rc::strong_count and weak_count
 *                   give them (the block's raw weak count less the one all strong handles
 *                   hold together), as rust-gdb shows them. Behind a fat pointer
 *                   (Rc<dyn Trait>, Rc<str>, Rc<[T]>) the counts are still the first two
 *                   words; the value follows at 16 rounded up to its alignment (the vtable's
 *                   third word) or at RcInner<[T]>'s own member offset.
 *   Weak<T>         a pointer (not an owner) to that block; Weak::new() dangles (usize::MAX).
 *   Cell<T>, RefCell<T>   their value, under their own type name.
 *   Box<dyn Trait>  {pointer, vtable}: a box of the concrete type, found from the vtable's
 *                   address among the user's `<T as Trait>::{vtable}` variables.
 *   Box<[T]>        {data_ptr, length}: a box of `length` T (Box<str>: a string).
 *   HashMap, HashSet   hashbrown's RawTableInner {bucket_mask, ctrl, items}: one
 *                   allocation of buckets*sizeof(T) bytes (rounded up to 16), the buckets
 *                   stored backwards before `ctrl`, then the control bytes: bucket i is at
 *                   ctrl - (i + 1) * sizeof(T) and is full when its control byte's top bit is
 *                   clear. Iteration (and so the entries' order here) is by ascending i.
 *                   T is (K, V); a set's is (K, ()), shown as K.
 *   Vec<T>, String  Vec { buf: RawVec, len } (String { vec }); RawVec's layout is rustc's:
 *                   1.63 has RawVec { ptr: Unique<T>, cap: usize }, later ones
 *                   RawVec { inner: RawVecInner { ptr: Unique<u8>, cap: Cap } }. Told apart by
 *                   `inner` being there (shi_rust_raw_vec), never by rustc's version.
 *   VecDeque<T>     buf: RawVec and head, len: element k is slot (head + k) % cap. Before
 *                   rustc 1.67 a ring of tail, head: the elements from slot tail up to (not
 *                   including) head, wrapping, so len = (head - tail) mod cap (cap a power of
 *                   two, one slot always free); read as head = tail and that len.
 *   BTreeMap, BTreeSet   root: Option<NodeRef { height, node }> (None: a null node), length.
 *                   A node is a LeafNode<K, V> { parent, parent_idx, len, keys, vals }; above
 *                   height 0 an InternalNode { data: LeafNode, edges } (repr(C): the edges
 *                   follow the leaf, aligned to 8). Entries in order: edge 0's, key 0, edge
 *                   1's, ... A child whose parent and parent_idx do not point back is not the
 *                   layout we know. The root's block shows every entry (a set's keys alone);
 *                   the other nodes are blocks of their own that no handle types.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "trace/debuginfo/dwarf_internal.h"
#include "core/grow.h"

enum std_kind { K_NONE, K_RC, K_WEAK, K_CELL, K_BOX_FAT, K_MAP, K_DEQUE, K_BTREE };
enum { SHOWN = 16, GROUP = 16 };

static bool starts(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_path(Dwarf_Die *agg, const char *const *path) {
    Dwarf_Die t;
    uint64_t off;
    return shi_dwarf_member_path(agg, path, &t, &off);
}

static bool find_raw_table(Dwarf_Die *agg, int depth, Dwarf_Die *ret, uint64_t *ret_off);

/* By the name, then by the members it must have: a type of the user's that happens to be
 * called Cell<T> or Rc<T> is decoded as any struct. */
int shi_rust_std_kind(const shi_dwarf_reader *r, Dwarf_Die *type) {
    static const char *const ptr[] = {"ptr", NULL}, *const cell[] = {"value", "value", NULL};
    static const char *const head[] = {"head", NULL};
    if (r->d->lang != SHI_LANG_RUST || dwarf_tag(type) != DW_TAG_structure_type) return K_NONE;
    const char *n = dwarf_diename(type);
    Dwarf_Die t;
    uint64_t off;
    if (!n) return K_NONE;
    if ((starts(n, "Rc<") || starts(n, "Arc<")) && has_path(type, ptr)) return K_RC;
    if (starts(n, "Weak<") && has_path(type, ptr)) return K_WEAK;
    if ((starts(n, "Cell<") || starts(n, "RefCell<")) && has_path(type, cell)) return K_CELL;
    if (starts(n, "alloc::boxed::Box<")) return K_BOX_FAT;   /* a thin Box is a pointer type */
    if ((starts(n, "HashMap<") || starts(n, "HashSet<")) && find_raw_table(type, 0, &t, &off))
        return K_MAP;
    Dwarf_Die raw[2];
    uint64_t raw_off[2];
    if (starts(n, "VecDeque<") && has_path(type, head) && shi_rust_raw_vec(type, raw, raw_off))
        return K_DEQUE;
    static const char *const root[] = {"root", NULL}, *const map[] = {"map", "root", NULL};
    if ((starts(n, "BTreeMap<") && has_path(type, root)) ||
        (starts(n, "BTreeSet<") && has_path(type, map)))
        return K_BTREE;
    return K_NONE;
}

static int unknown_layout(shi_value *out) {
    out->kind = SHI_VAL_UNREADABLE;
    shi_value_set_text(out, "unknown layout");
    return -1;
}

/* Reads the scalar at the end of a member path (Rust wraps them: NonNull { pointer },
 * Cap(usize), Cell { value: UnsafeCell { value } }); its DIE in ret_scalar if wanted. */
static bool read_path(const shi_dwarf_reader *r, Dwarf_Die *agg, const char *const *path,
                      uint64_t addr, uint64_t *ret, Dwarf_Die *ret_scalar) {
    Dwarf_Die t;
    uint64_t off;
    return shi_dwarf_member_path(agg, path, &t, &off) &&
           shi_dwarf_read_scalar(r, &t, addr + off, ret, ret_scalar);
}

/* The pointee of a thin pointer at the end of a path; false for a fat one (Rc<dyn T>,
 * Rc<str>), whose pointee has no size of its own. */
static bool thin_pointee(Dwarf_Die *agg, const char *const *path, Dwarf_Die *ret) {
    Dwarf_Die t;
    uint64_t off;
    return shi_dwarf_member_path(agg, path, &t, &off) && dwarf_tag(&t) == DW_TAG_pointer_type &&
           shi_dwarf_die_type(&t, ret);
}

/* ---- Rc, Arc, Weak, Cell, RefCell -------------------------------------------------------- */

static Dwarf_Off vtable_type(const shi_dwarf *d, uint64_t rel);

/* Rc<dyn Trait>, Rc<str>, Rc<[T]> (and Arc's): the pointer is fat, {pointer, vtable} or
 * {data_ptr, length}, and the value's place in the block depends on it: elem_die is the
 * value's type (the concrete type, or T), `head` where the value starts, elem_type the
 * block's type ("RcInner<Circle>", "RcInner<str>", "ArcInner<[u8]>"). */
static int read_rc_fat(const shi_dwarf_reader *r, Dwarf_Die *fat, uint64_t addr,
                       shi_value *out) {
    static const char *const pointer[] = {"pointer", NULL}, *const vtable[] = {"vtable", NULL};
    static const char *const data[] = {"data_ptr", NULL}, *const length[] = {"length", NULL};
    static const char *const value[] = {"value", NULL}, *const data_m[] = {"data", NULL};
    Dwarf_Die inner, elem, t;
    uint64_t vt, voff = 0;
    char name[240];
    bool dyn = read_path(r, fat, pointer, addr, &out->owned.ptr, NULL) &&
               read_path(r, fat, vtable, addr, &vt, NULL);
    if (!dyn && (!read_path(r, fat, data, addr, &out->owned.ptr, NULL) ||
                 !read_path(r, fat, length, addr, &out->owned.len, NULL)))
        return unknown_layout(out);
    if (!thin_pointee(fat, dyn ? pointer : data, &inner)) return unknown_layout(out);
    Dwarf_Die pi;
    shi_dwarf_peel(&inner, &pi);
    const char *iname = dwarf_diename(&pi);
    size_t prefix = iname ? strcspn(iname, "<") : 0;
    if (!iname || !iname[prefix]) return unknown_layout(out);
    if (dyn) {   /* the concrete type from the vtable; the value aligned as it says */
        uint64_t size = 0, align = 0;
        Dwarf_Off ct = vt >= r->t->load_bias ? vtable_type(r->d, vt - r->t->load_bias) : 0;
        if (!shi_dwarf_read_uint(r->t, vt + 8, 8, &size) ||
            !shi_dwarf_read_uint(r->t, vt + 16, 8, &align) || !align || (align & (align - 1)) ||
            !ct || !dwarf_offdie(shi_dwarf_handle(r->d), ct, &elem) ||
            shi_dwarf_type_size(&elem) != size)
            return 0;   /* not a vtable of the user's: the block stays bytes */
        voff = (16 + align - 1) / align * align;
    } else {     /* the elements' type is RcInner's T; the value's place its member's */
        if (!shi_dwarf_template_param(&pi, "T", &elem) ||
            !(shi_dwarf_member_path(&pi, value, &t, &voff) ||
              shi_dwarf_member_path(&pi, data_m, &t, &voff)))
            return unknown_layout(out);
        out->owned.slice = true;
        out->owned.cap = out->owned.len;
    }
    shi_dwarf_set_elem(r, out, &elem);
    out->owned.head = voff;
    bool str = strstr(iname, "<str>") != NULL;
    snprintf(name, sizeof name, dyn ? "%.*s<%s>" : str ? "%.*s<str>" : "%.*s<[%s]>", (int)prefix,
             iname, out->owned.elem_type ? out->owned.elem_type : "?");
    free(out->owned.elem_type);
    out->owned.elem_type = shi_trace_strdup(name);
    return 0;
}

static int read_rc(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out) {
    static const char *const ptr[] = {"ptr", NULL}, *const thin[] = {"ptr", "pointer", NULL};
    Dwarf_Die inner, pt;
    uint64_t poff;
    out->kind = SHI_VAL_OWNED;
    out->owned.kind = SHI_OWN_RC;
    out->owned.shared = true;
    if (shi_dwarf_member_path(type, thin, &pt, &poff) && dwarf_tag(&pt) == DW_TAG_structure_type)
        return read_rc_fat(r, &pt, addr + poff, out);
    if (!read_path(r, type, ptr, addr, &out->owned.ptr, NULL)) return unknown_layout(out);
    if (thin_pointee(type, thin, &inner)) shi_dwarf_set_elem(r, out, &inner);
    return 0;
}

static int read_weak(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                     shi_value *out) {
    static const char *const ptr[] = {"ptr", NULL};
    out->kind = SHI_VAL_POINTER;
    if (!read_path(r, type, ptr, addr, &out->addr, NULL)) return unknown_layout(out);
    return 0;
}

/* Cell { value: UnsafeCell { value: T } }, RefCell { borrow, value: UnsafeCell { value } }:
 * the T, named as the cell. */
static int read_cell(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                     int depth) {
    static const char *const path[] = {"value", "value", NULL};
    Dwarf_Die t;
    uint64_t off;
    if (!shi_dwarf_member_path(type, path, &t, &off)) return unknown_layout(out);
    return shi_dwarf_read_member_as(r, &t, addr, off, out, depth);
}

/* ---- Box<dyn Trait>, Box<[T]>, Box<str> ------------------------------------------------- */

/* The concrete type a vtable was made for, 0 if it is not one of the user's. */
static Dwarf_Off vtable_type(const shi_dwarf *d, uint64_t rel) {
    for (size_t i = 0; i < d->nvtables; i++)
        if (d->vtables[i].addr == rel) return d->vtables[i].type;
    return 0;
}

static int read_box_fat(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                        shi_value *out) {
    static const char *const pointer[] = {"pointer", NULL}, *const vtable[] = {"vtable", NULL};
    static const char *const data[] = {"data_ptr", NULL}, *const length[] = {"length", NULL};
    out->kind = SHI_VAL_OWNED;
    out->owned.kind = SHI_OWN_BOX;
    uint64_t vt, len;
    Dwarf_Die elem, pt;
    uint64_t off;
    if (read_path(r, type, pointer, addr, &out->owned.ptr, NULL) &&
        read_path(r, type, vtable, addr, &vt, NULL)) {
        /* the vtable's second word is the concrete type's size (drop, size, align, methods) */
        uint64_t size = 0;
        shi_dwarf_read_uint(r->t, vt + 8, 8, &size);
        Dwarf_Off ct = vt >= r->t->load_bias ? vtable_type(r->d, vt - r->t->load_bias) : 0;
        if (ct && dwarf_offdie(shi_dwarf_handle(r->d), ct, &elem) &&
            shi_dwarf_type_size(&elem) == size) {
            shi_dwarf_set_elem(r, out, &elem);
        } else {   /* not a vtable of the user's: the size alone, the block stays bytes */
            const char *n = dwarf_diename(type);
            const char *dyn = n ? strstr(n, "dyn ") : NULL;
            char buf[160];
            snprintf(buf, sizeof buf, "%.*s", dyn ? (int)strcspn(dyn, ",>") : 3, dyn ? dyn : "dyn");
            out->owned.elem_type = shi_trace_strdup(buf);
            out->owned.elem_size = (size_t)size;
        }
        return 0;
    }
    if (!read_path(r, type, data, addr, &out->owned.ptr, NULL) ||
        !read_path(r, type, length, addr, &len, NULL) ||
        !shi_dwarf_member_path(type, data, &pt, &off) || !shi_dwarf_die_type(&pt, &elem))
        return unknown_layout(out);
    const char *n = dwarf_diename(type);
    bool str = n && starts(n, "alloc::boxed::Box<str");
    out->owned.kind = str ? SHI_OWN_STRING : SHI_OWN_BOX;
    out->owned.slice = !str;
    out->owned.len = out->owned.cap = len;
    shi_dwarf_set_elem(r, out, &elem);
    return 0;
}

/* ---- HashMap, HashSet -------------------------------------------------------------------- */

/* The RawTable<T> somewhere inside (std's HashMap { base: hashbrown's { table } }, HashSet
 * { base: { map: { table } } }): found by its type's name, not by the path to it. */
static bool find_raw_table(Dwarf_Die *agg, int depth, Dwarf_Die *ret, uint64_t *ret_off) {
    Dwarf_Die m, mt, t;
    if (depth > 4) return false;
    bool ok = dwarf_child(agg, &m) == 0;
    for (; ok; ok = dwarf_siblingof(&m, &m) == 0) {
        if (dwarf_tag(&m) != DW_TAG_member || !shi_dwarf_die_type(&m, &mt)) continue;
        shi_dwarf_peel(&mt, &t);
        const char *n = dwarf_diename(&t);
        uint64_t off = shi_dwarf_member_offset(&m);
        if (dwarf_tag(&t) != DW_TAG_structure_type || !n) continue;
        if (starts(n, "RawTable<")) { *ret = t; *ret_off = off; return true; }
        uint64_t sub = 0;
        if (starts(n, "HashMap<") || starts(n, "HashSet<")) {
            if (find_raw_table(&t, depth + 1, ret, &sub)) { *ret_off = off + sub; return true; }
        }
    }
    return false;
}

static size_t type_align(Dwarf_Die *t) {
    Dwarf_Attribute a;
    Dwarf_Word w = 0;
    if (dwarf_attr(t, DW_AT_alignment, &a) && dwarf_formudata(&a, &w) == 0 && w) return (size_t)w;
    return 8;
}

static int read_map(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out) {
    static const char *const mask[] = {"table", "bucket_mask", NULL};
    static const char *const ctrl[] = {"table", "ctrl", NULL};
    static const char *const items[] = {"table", "items", NULL};
    Dwarf_Die raw, elem;
    uint64_t off, bucket_mask;
    out->kind = SHI_VAL_OWNED;
    out->owned.kind = SHI_OWN_MAP;
    if (!find_raw_table(type, 0, &raw, &off) || !shi_dwarf_template_param(&raw, "T", &elem) ||
        !read_path(r, &raw, mask, addr + off, &bucket_mask, NULL) ||
        !read_path(r, &raw, ctrl, addr + off, &out->owned.ctrl, NULL) ||
        !read_path(r, &raw, items, addr + off, &out->owned.len, NULL))
        return unknown_layout(out);
    shi_dwarf_set_elem(r, out, &elem);
    Dwarf_Die pe;
    shi_dwarf_peel(&elem, &pe);
    size_t esize = out->owned.elem_size, align = type_align(&pe);
    /* bucket_mask 0: the shared empty table, no allocation */
    if (bucket_mask == 0 || bucket_mask > ((uint64_t)1 << 40)) {
        out->owned.cap = 0;
        out->owned.ptr = 0;
        return 0;
    }
    out->owned.cap = bucket_mask + 1;
    if (align < GROUP) align = GROUP;
    uint64_t data = (out->owned.cap * esize + align - 1) / align * align;
    out->owned.ptr = out->owned.ctrl - data;
    return 0;
}

/* ---- Vec, String, VecDeque: RawVec ---------------------------------------------------- */

bool shi_rust_raw_vec(Dwarf_Die *owner, Dwarf_Die ret_type[2], uint64_t ret_off[2]) {
    static const char *const buf[] = {"buf", NULL}, *const inner[] = {"inner", NULL};
    static const char *const ptr[] = {"ptr", NULL}, *const cap[] = {"cap", NULL};
    Dwarf_Die raw, t;
    uint64_t base, off;
    if (!shi_dwarf_member_path(owner, buf, &raw, &base)) return false;
    if (shi_dwarf_member_path(&raw, inner, &t, &off)) {   /* RawVecInner: the untyped part */
        raw = t;
        base += off;
    }
    if (!shi_dwarf_member_path(&raw, ptr, &ret_type[0], &ret_off[0]) ||
        !shi_dwarf_member_path(&raw, cap, &ret_type[1], &ret_off[1]))
        return false;
    ret_off[0] += base;
    ret_off[1] += base;
    return true;
}

static int read_deque(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                      shi_value *out) {
    static const char *const head[] = {"head", NULL}, *const len[] = {"len", NULL};
    static const char *const tail[] = {"tail", NULL};
    Dwarf_Die elem, raw[2];
    uint64_t raw_off[2], end;
    out->kind = SHI_VAL_OWNED;
    out->owned.kind = SHI_OWN_DEQUE;
    if (!shi_rust_raw_vec(type, raw, raw_off) ||
        !shi_dwarf_read_scalar(r, &raw[0], addr + raw_off[0], &out->owned.ptr, NULL) ||
        !shi_dwarf_read_scalar(r, &raw[1], addr + raw_off[1], &out->owned.cap, NULL) ||
        !shi_dwarf_template_param(type, "T", &elem))
        return unknown_layout(out);
    if (has_path(type, tail)) {   /* the ring before 1.67: tail is the front, head the end */
        if (!read_path(r, type, tail, addr, &out->owned.head, NULL) ||
            !read_path(r, type, head, addr, &end, NULL))
            return unknown_layout(out);
        uint64_t cap = out->owned.cap;
        if (cap && (cap & (cap - 1)) == 0) out->owned.len = (end - out->owned.head) & (cap - 1);
        else if (cap || end || out->owned.head) return unknown_layout(out);
    } else if (!read_path(r, type, head, addr, &out->owned.head, NULL) ||
               !read_path(r, type, len, addr, &out->owned.len, NULL)) {
        return unknown_layout(out);
    }
    shi_dwarf_set_elem(r, out, &elem);
    if (out->owned.len > out->owned.cap ||
        (out->owned.cap && out->owned.head >= out->owned.cap))
        return unknown_layout(out);   /* not yet set up, or not the layout we know */
    return 0;
}

/* ---- BTreeMap, BTreeSet ------------------------------------------------------------------ */

/* What an Option<T> holds when it is Some: rustc describes the variant as a nested struct
 * "Some" whose member __0 is the T. */
static bool option_payload(Dwarf_Die *opt, Dwarf_Die *ret, uint64_t *ret_off) {
    static const char *const payload[] = {"__0", NULL};
    Dwarf_Die c;
    bool ok = dwarf_child(opt, &c) == 0;
    for (; ok; ok = dwarf_siblingof(&c, &c) == 0) {
        const char *n = dwarf_diename(&c);
        if (dwarf_tag(&c) == DW_TAG_structure_type && n && strcmp(n, "Some") == 0)
            return shi_dwarf_member_path(&c, payload, ret, ret_off);
    }
    return false;
}

static int read_btree(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                      shi_value *out) {
    static const char *const map[] = {"map", NULL}, *const root[] = {"root", NULL};
    static const char *const length[] = {"length", NULL}, *const height[] = {"height", NULL};
    static const char *const node[] = {"node", NULL}, *const thin[] = {"node", "pointer", NULL};
    Dwarf_Die bt = *type, opt, nref, leaf;
    uint64_t off, in_some;
    out->kind = SHI_VAL_OWNED;
    out->owned.kind = SHI_OWN_BTREE;
    if (shi_dwarf_member_path(type, map, &bt, &off)) addr += off;   /* a set wraps a map */
    /* the root is Option<NodeRef>, None being a null node: the same size as NodeRef */
    if (!shi_dwarf_member_path(&bt, root, &opt, &off) || !option_payload(&opt, &nref, &in_some) ||
        in_some != 0 || shi_dwarf_type_size(&opt) != shi_dwarf_type_size(&nref) ||
        !read_path(r, &nref, node, addr + off, &out->owned.ptr, NULL) ||
        !read_path(r, &nref, height, addr + off, &out->owned.head, NULL) ||
        !read_path(r, &bt, length, addr, &out->owned.len, NULL) || !thin_pointee(&nref, thin, &leaf))
        return unknown_layout(out);
    out->owned.cap = out->owned.len;
    shi_dwarf_set_elem(r, out, &leaf);
    if (!out->owned.ptr) out->owned.head = 0;   /* empty: no root */
    return 0;
}

int shi_rust_std_read(const shi_dwarf_reader *r, int kind, Dwarf_Die *type, uint64_t addr,
                      shi_value *out, int depth) {
    switch (kind) {
    case K_RC: return read_rc(r, type, addr, out);
    case K_WEAK: return read_weak(r, type, addr, out);
    case K_CELL: return read_cell(r, type, addr, out, depth);
    case K_BOX_FAT: return read_box_fat(r, type, addr, out);
    case K_MAP: return read_map(r, type, addr, out);
    case K_DEQUE: return read_deque(r, type, addr, out);
    case K_BTREE: return read_btree(r, type, addr, out);
    default: return unknown_layout(out);
    }
}

/* ---- the blocks ---------------------------------------------------------------------------- */

static shi_field *slot(shi_value *out, uint64_t base, uint64_t off, size_t size) {
    return shi_dwarf_field_at(out, NULL, base, off, size);
}

static int slice_block(const shi_dwarf_reader *r, const shi_owned *o, Dwarf_Die *elem,
                       shi_value *out);

/* RcInner { strong, weak, value } / ArcInner { strong, weak, data }; behind a fat pointer
 * (o->head: where the value starts) the counts are the two words before it, as in every
 * RcInner, and the value is the concrete type, a str or a [T]. */
static int rc_block(const shi_dwarf_reader *r, const shi_owned *o, Dwarf_Die *inner,
                    shi_value *out) {
    static const char *const strong[] = {"strong", NULL}, *const weak[] = {"weak", NULL};
    static const char *const value[] = {"value", NULL}, *const data[] = {"data", NULL};
    uint64_t s, w, voff = o->head;
    Dwarf_Die vt;
    bool ok = o->head ? shi_dwarf_read_uint(r->t, o->ptr, 8, &s) &&
                            shi_dwarf_read_uint(r->t, o->ptr + 8, 8, &w)
                      : read_path(r, inner, strong, o->ptr, &s, NULL) &&
                            read_path(r, inner, weak, o->ptr, &w, NULL) &&
                            (shi_dwarf_member_path(inner, value, &vt, &voff) ||
                             shi_dwarf_member_path(inner, data, &vt, &voff));
    if (!ok) return unknown_layout(out);
    out->kind = SHI_VAL_STRUCT;
    out->type = shi_trace_strdup(o->elem_type);
    shi_field *f = shi_value_add_field(out, "strong");
    f->size = 8;
    shi_value_set_uint(f->value, s);
    f->value->type = shi_trace_strdup("usize");
    f->value->at = o->ptr;
    f = shi_value_add_field(out, "weak");
    f->offset = 8;
    f->size = 8;
    shi_value_set_uint(f->value, w ? w - 1 : 0);
    f->value->type = shi_trace_strdup("usize");
    f->value->at = o->ptr + 8;
    f = shi_value_add_field(out, "value");
    f->offset = (size_t)voff;
    if (!o->head) {
        f->size = shi_dwarf_type_size(&vt);
        shi_dwarf_read_any(r, &vt, o->ptr + voff, f->value, 1);
        return 0;
    }
    shi_owned part = *o;   /* the value as a box would hold it */
    part.kind = strstr(o->elem_type ? o->elem_type : "", "<str>") ? SHI_OWN_STRING : SHI_OWN_BOX;
    part.ptr = o->ptr + voff;
    part.elem_type = shi_dwarf_type_name(r->d, inner);   /* inner is T here */
    f->size = o->slice ? (size_t)(o->len * o->elem_size) : o->elem_size;
    if (o->slice && part.kind == SHI_OWN_BOX) {
        slice_block(r, &part, inner, f->value);
        free(part.elem_type);
    } else {
        free(part.elem_type);
        shi_value_clear(f->value);
        shi_dwarf_read_owned_block(r->d, &part, r->t, f->value);
    }
    return 0;
}

/* A map's entries in iteration order: the full buckets by ascending index. */
static int map_block(const shi_dwarf_reader *r, const shi_owned *o, Dwarf_Die *elem,
                     shi_value *out) {
    Dwarf_Die pe, key;
    static const char *const k0[] = {"__0", NULL}, *const k1[] = {"__1", NULL};
    Dwarf_Die vt;
    uint64_t koff = 0, voff;
    shi_dwarf_peel(elem, &pe);
    /* a set's T is (K, ()): show K alone */
    bool set = shi_dwarf_member_path(&pe, k1, &vt, &voff) && shi_dwarf_type_size(&vt) == 0 &&
               shi_dwarf_member_path(&pe, k0, &key, &koff);
    size_t esize = o->elem_size;
    if (!esize || !o->cap) return unknown_layout(out);
    char *kname = set ? shi_dwarf_type_name(r->d, &key) : NULL;
    shi_dwarf_array_block(r->d, out, set ? kname : o->elem_type, o->len, o->ptr);
    free(kname);
    uint64_t found = 0;
    unsigned char ctrl[GROUP];
    for (uint64_t g = 0; g < o->cap; g += GROUP) {
        size_t n = o->cap - g < GROUP ? (size_t)(o->cap - g) : GROUP;
        if (!r->t->read_mem || !r->t->read_mem(r->t->arg, o->ctrl + g, ctrl, n))
            return unknown_layout(out);
        for (size_t i = 0; i < n; i++) {
            if (ctrl[i] & 0x80) continue;   /* empty or deleted */
            found++;
            if (out->nfields >= SHOWN) continue;
            uint64_t at = o->ctrl - (g + i + 1) * esize;
            shi_field *f = slot(out, o->ptr, at - o->ptr, esize);
            if (set) f->size = shi_dwarf_type_size(&key);
            shi_dwarf_read_any(r, set ? &key : elem, at + koff, f->value, 1);
        }
    }
    if (found != o->len) {   /* the control bytes disagree with `items`: not what we know */
        shi_value_clear(out);
        return unknown_layout(out);
    }
    out->truncated = (size_t)(found - out->nfields);
    return 0;
}

/* A deque's cap slots in the order the program iterates them, from head (wrapping), then
 * the unused ones (the lesson's `_`); each at its own address. */
static int deque_block(const shi_dwarf_reader *r, const shi_owned *o, Dwarf_Die *elem,
                       shi_value *out) {
    size_t esize = o->elem_size;
    if (!esize || !o->cap) return unknown_layout(out);
    shi_dwarf_array_block(r->d, out, o->elem_type, o->cap, o->ptr);
    uint64_t shown = o->cap < SHOWN ? o->cap : SHOWN;
    for (uint64_t k = 0; k < shown; k++) {
        uint64_t phys = (o->head + k) % o->cap;
        shi_field *f = slot(out, o->ptr, phys * esize, esize);
        if (k < o->len) shi_dwarf_read_any(r, elem, o->ptr + phys * esize, f->value, 1);
    }
    out->truncated = (size_t)(o->cap - shown);
    return 0;
}

/* Box<[T]>: [T; len]. */
static int slice_block(const shi_dwarf_reader *r, const shi_owned *o, Dwarf_Die *elem,
                       shi_value *out) {
    size_t esize = o->elem_size;
    shi_dwarf_array_block(r->d, out, o->elem_type, o->len, o->ptr);
    uint64_t shown = o->len < SHOWN ? o->len : SHOWN;
    for (uint64_t k = 0; k < shown && esize; k++) {
        shi_field *f = slot(out, o->ptr, k * esize, esize);
        shi_dwarf_read_any(r, elem, o->ptr + k * esize, f->value, 1);
    }
    out->truncated = (size_t)(o->len - shown);
    return 0;
}

/* What a B-tree's nodes are made of, from LeafNode<K, V>'s DWARF. */
typedef struct btree {
    const shi_dwarf_reader *r;
    Dwarf_Die key, val;
    size_t ksize, vsize;
    uint64_t keys, vals, len, parent, parent_idx, edges;
    bool set;
    char *kname, *vname;
    uint64_t found;
} btree;

static bool btree_shape(btree *b, Dwarf_Die *leaf) {
    static const char *const keys[] = {"keys", NULL}, *const vals[] = {"vals", NULL};
    static const char *const len[] = {"len", NULL}, *const parent[] = {"parent", NULL};
    static const char *const idx[] = {"parent_idx", NULL};
    Dwarf_Die t;
    if (!shi_dwarf_template_param(leaf, "K", &b->key) ||
        !shi_dwarf_template_param(leaf, "V", &b->val) ||
        !shi_dwarf_member_path(leaf, keys, &t, &b->keys) ||
        !shi_dwarf_member_path(leaf, vals, &t, &b->vals) ||
        !shi_dwarf_member_path(leaf, len, &t, &b->len) ||
        !shi_dwarf_member_path(leaf, parent, &t, &b->parent) ||
        !shi_dwarf_member_path(leaf, idx, &t, &b->parent_idx))
        return false;
    b->ksize = shi_dwarf_type_size(&b->key);
    b->vsize = shi_dwarf_type_size(&b->val);
    b->set = b->vsize == 0;   /* BTreeSet's value is a zero-sized SetValZST */
    b->edges = (shi_dwarf_type_size(leaf) + 7) / 8 * 8;
    b->kname = shi_dwarf_type_name(b->r->d, &b->key);
    b->vname = shi_dwarf_type_name(b->r->d, &b->val);
    return b->ksize > 0;
}

/* One entry: the key alone for a set, else a (K, V) pair shown as a tuple. */
static void btree_entry(btree *b, const shi_owned *o, shi_value *out, uint64_t node,
                        uint64_t i) {
    uint64_t kat = node + b->keys + i * b->ksize, vat = node + b->vals + i * b->vsize;
    shi_field *f = slot(out, o->ptr, kat - o->ptr, b->ksize);
    if (node != o->ptr) f->offset = f->size = 0;   /* it lies in another node's block */
    if (b->set) {
        shi_dwarf_read_any(b->r, &b->key, kat, f->value, 1);
        return;
    }
    shi_value *e = f->value;
    e->at = vat < kat ? vat : kat;   /* a pair made up of two places: it starts at the first */
    e->kind = SHI_VAL_STRUCT;
    char name[240];
    snprintf(name, sizeof name, "(%s, %s)", b->kname ? b->kname : "?", b->vname ? b->vname : "?");
    e->type = shi_trace_strdup(name);
    shi_field *k = shi_value_add_field(e, "__0");
    k->size = b->ksize;
    shi_dwarf_read_any(b->r, &b->key, kat, k->value, 2);
    shi_field *v = shi_value_add_field(e, "__1");
    v->size = b->vsize;
    shi_dwarf_read_any(b->r, &b->val, vat, v->value, 2);
}

/* The entries under `node` of `height`, in order; false if a node is not what we know. */
static bool btree_walk(btree *b, const shi_owned *o, shi_value *out, uint64_t node,
                       uint64_t height, int depth) {
    uint64_t n;
    if (depth > 32 || !shi_dwarf_read_uint(b->r->t, node + b->len, 2, &n) || n > 11) return false;
    for (uint64_t i = 0; i <= n; i++) {
        if (height > 0) {
            uint64_t child, parent, idx;
            if (!shi_dwarf_read_uint(b->r->t, node + b->edges + 8 * i, 8, &child) ||
                !shi_dwarf_read_uint(b->r->t, child + b->parent, 8, &parent) ||
                !shi_dwarf_read_uint(b->r->t, child + b->parent_idx, 2, &idx) ||
                parent != node || idx != i || !btree_walk(b, o, out, child, height - 1, depth + 1))
                return false;
        }
        if (i == n) break;
        b->found++;
        if (out->nfields < SHOWN) btree_entry(b, o, out, node, i);
    }
    return true;
}

static int btree_block(const shi_dwarf_reader *r, const shi_owned *o, Dwarf_Die *leaf,
                       shi_value *out) {
    btree b = {.r = r};
    Dwarf_Die pl;
    shi_dwarf_peel(leaf, &pl);
    bool ok = btree_shape(&b, &pl);
    if (ok) {
        char name[240];
        if (b.set) snprintf(name, sizeof name, "%s", b.kname ? b.kname : "?");
        else snprintf(name, sizeof name, "(%s, %s)", b.kname ? b.kname : "?", b.vname ? b.vname : "?");
        shi_dwarf_array_block(r->d, out, name, o->len, o->ptr);
        ok = btree_walk(&b, o, out, o->ptr, o->head, 0) && b.found == o->len;
        out->truncated = (size_t)(b.found - out->nfields);
    }
    free(b.kname);
    free(b.vname);
    if (ok) return 0;
    shi_value_clear(out);
    return unknown_layout(out);
}

int shi_rust_std_read_block(const shi_dwarf_reader *r, const shi_owned *o, shi_value *out) {
    bool ours = o->kind == SHI_OWN_RC || o->kind == SHI_OWN_MAP || o->kind == SHI_OWN_DEQUE ||
                o->kind == SHI_OWN_BTREE || (o->kind == SHI_OWN_BOX && o->slice);
    if (!ours) return -2;
    Dwarf_Die elem;
    if (!o->elem_die || !dwarf_offdie(shi_dwarf_handle(r->d), o->elem_die, &elem))
        return unknown_layout(out);
    switch (o->kind) {
    case SHI_OWN_RC: {
        Dwarf_Die inner;
        if (o->head) return rc_block(r, o, &elem, out);   /* elem is the value's type */
        shi_dwarf_peel(&elem, &inner);
        return rc_block(r, o, &inner, out);
    }
    case SHI_OWN_MAP: return map_block(r, o, &elem, out);
    case SHI_OWN_DEQUE: return deque_block(r, o, &elem, out);
    case SHI_OWN_BTREE: return btree_block(r, o, &elem, out);
    default: return slice_block(r, o, &elem, out);
    }
}

/* ---- vtables ------------------------------------------------------------------------------- */

static void add_vtable(shi_dwarf *d, Dwarf_Die *var) {
    Dwarf_Attribute a;
    Dwarf_Op *ops;
    size_t nops;
    Dwarf_Die vt, concrete;
    const char *n = dwarf_diename(var);
    size_t len = n ? strlen(n) : 0;
    if (len < 10 || strcmp(n + len - 10, "::{vtable}") != 0) return;
    uint64_t addr;
    if (!dwarf_attr(var, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &nops) != 0 ||
        !shi_dwarf_loc_static_addr(&a, ops, nops, &addr) || !shi_dwarf_die_type(var, &vt) ||
        !dwarf_attr(&vt, DW_AT_containing_type, &a) || !dwarf_formref_die(&a, &concrete))
        return;
    SHI_RESIZE(d->vtables, d->nvtables + 1);
    d->vtables[d->nvtables++] = (shi_dwarf_vtable){addr, dwarf_dieoffset(&concrete)};
}

static void walk_vtables(shi_dwarf *d, Dwarf_Die *scope, int depth) {
    Dwarf_Die c;
    if (depth > 16 || dwarf_child(scope, &c) != 0) return;
    do {
        if (dwarf_tag(&c) == DW_TAG_variable) add_vtable(d, &c);
        else if (dwarf_tag(&c) == DW_TAG_namespace) walk_vtables(d, &c, depth + 1);
    } while (dwarf_siblingof(&c, &c) == 0);
}

void shi_rust_std_load_vtables(shi_dwarf *d) {
    if (d->lang != SHI_LANG_RUST) return;
    for (size_t i = 0; i < d->ncus; i++) {
        Dwarf_Die cu;
        if (dwarf_offdie(d->dbg, d->cus[i], &cu)) walk_vtables(d, &cu, 0);
    }
}

void shi_rust_std_free_vtables(shi_dwarf *d) {
    free(d->vtables);
    d->vtables = NULL;
    d->nvtables = 0;
}
