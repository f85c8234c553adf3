/*
 * src/trace/debuginfo/dwarf_cxx_std.c — C++'s standard library (libstdc++, which g++ and clang++
 * use on Debian) drawn as the lesson draws Rust's std: small handles with an arrow to their
 * typed heap block, and type names as a learner writes them. All libstdc++ layout knowledge
 * lives here; members are found by name through DWARF (down base classes, which hold most
 * of them), and a layout that is not the expected one reads as <unknown layout>.
 *
 *   std::string     {_M_dataplus._M_p, _M_string_length, union {_M_local_buf[16],
 *                   _M_allocated_capacity}}: a string handle (ptr, len, cap) whose text is
 *                   the string. A short one (at most 15 chars) lives in _M_local_buf, inside
 *                   the object: its ptr points there, it has no block and is not stale. Its
 *                   block is char[cap + 1] (the NUL). clang++ describes std::string only as a
 *                   declaration (libstdc++ instantiates it itself): the same layout, 32 bytes,
 *                   is read from the ABI, which is fixed.
 *   std::vector<T>  {_M_start, _M_finish, _M_end_of_storage}: a vec handle, len = finish -
 *                   start, cap = end_of_storage - start, its text the elements [1, 2]; its
 *                   block T[cap].
 *   std::unique_ptr<T>   tuple {_M_head_impl}: a box of T.
 *   std::shared_ptr<T>   {_M_ptr, _M_refcount._M_pi}: an rc handle (shared) to the control
 *                   block _M_pi points to: _Sp_counted_base {vptr, _M_use_count,
 *                   _M_weak_count} then, made by make_shared, the T itself (the handle's `head`:
 *                   _M_ptr - _M_pi) or, made from `new T`, _Sp_counted_ptr's pointer to the
 *                   T's own block (a box the control block holds). Counts as gdb gives them:
 *                   the weak count less the one all owners hold together.
 *   std::weak_ptr<T>     a pointer to that control block (not an owner).
 *   std::map, set, multimap, multiset   _Rb_tree {_M_header {_M_color, _M_parent (the
 *                   root), _M_left, _M_right}, _M_node_count}: a btree handle to the root node;
 *                   each node (_Rb_tree_node<V>: the base's four words, then V in _M_storage)
 *                   is a block of its own, its left and right children boxes it owns.
 *   std::unordered_map, unordered_set (and multi)   _Hashtable {_M_buckets, _M_bucket_count,
 *                   _M_before_begin._M_nxt (the first node), _M_element_count}: a map handle
 *                   (len entries, cap buckets) to the first node; each node (_Hash_node<V>:
 *                   _M_nxt, V, maybe the hash) a block owning the next as a box.
 *   std::array<T, N>   { _M_elems[N] }: its elements, as a C array of them.
 *   std::list<T>    _List_base {_M_impl._M_node: the header node {_M_next, _M_prev, _M_size}}:
 *                   a list handle (len _M_size) to the first node; each node (_List_node<T>:
 *                   _M_next, _M_prev, T in _M_storage) a block owning the next as a box; the
 *                   last one's next points back to the header, inside the list object.
 *   std::forward_list<T>   {_M_impl._M_head._M_next}: the same, its nodes (_Fwd_list_node<T>:
 *                   _M_next, T) ending with nullptr; no count kept: len is the nodes walked.
 *   std::unique_ptr<T[]>   a box of the whole array: the block's size says how many.
 *   std::deque<T>   {_M_map, _M_map_size, _M_start, _M_finish: iterators {_M_cur, _M_first,
 *                   _M_last, _M_node}}: a deque handle (len its elements, cap the map's
 *                   slots, head the first element's place in its chunk, ctrl _M_start._M_node)
 *                   to the map block, T *[map size], whose slots in use are boxes owning the
 *                   chunks, T[512 / sizeof(T)] each (one T when T is bigger).
 *   std::optional<T>   {_M_payload {_M_payload._M_value, _M_engaged}}: its value as T's,
 *                   or `nullopt`.
 *   A handle's text is its entries as the program iterates them: [1, 2], {"one": 1}, {1, 2}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "core/grow.h"
#include "core/panic.h"
#include "trace/debuginfo/dwarf_internal.h"
#include "trace/model/text.h"

enum cxx_kind { X_NONE, X_STRING, X_VECTOR, X_UNIQUE, X_SHARED, X_WEAK, X_TREE, X_HASH,
                X_RB_NODE, X_HASH_NODE, X_ARRAY, X_LIST, X_FWD_LIST, X_LIST_NODE, X_FWD_NODE,
                X_OPTIONAL, X_DEQUE };
enum { SHOWN = 16, SSO_BUF = 16, STRING_SIZE = 32 };
static const uint64_t MAX_NODES = (uint64_t)1 << 36;   /* more: garbage, not constructed yet */

static bool starts(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_declaration(Dwarf_Die *type) {
    Dwarf_Attribute a;
    bool decl = false;
    return dwarf_attr(type, DW_AT_declaration, &a) && dwarf_formflag(&a, &decl) == 0 && decl;
}

static bool is_std_string_name(const char *n) {
    return n && starts(n, "basic_string<char, std::char_traits<char>, std::allocator<char> >");
}

size_t shi_cxx_std_decl_size(Dwarf_Die *type) {
    Dwarf_Die t;
    shi_dwarf_peel(type, &t);   /* std::string is a typedef of it */
    int tag = dwarf_tag(&t);
    return (tag == DW_TAG_class_type || tag == DW_TAG_structure_type) && is_declaration(&t) &&
                   is_std_string_name(dwarf_diename(&t))
               ? STRING_SIZE : 0;
}

/* Member `name` of agg or of what it is made of (its base classes, its members' types: a
 * vector's _M_start is in _Vector_base::_M_impl's base _Vector_impl_data), direct members
 * first; `tag` (0: any) is what its type must peel to. Its peeled type and its offset from
 * agg's start. */
static bool find_deep(Dwarf_Die *agg, const char *name, int tag, Dwarf_Die *ret_type,
                      uint64_t *ret_off, int depth) {
    Dwarf_Die m, mt, pt;
    if (depth > 6) return false;
    bool ok = dwarf_child(agg, &m) == 0;
    for (; ok; ok = dwarf_siblingof(&m, &m) == 0) {
        const char *n = dwarf_diename(&m);
        if (dwarf_tag(&m) != DW_TAG_member || !n || strcmp(n, name) != 0 ||
            !shi_dwarf_die_type(&m, &mt))
            continue;
        shi_dwarf_peel(&mt, &pt);
        if (tag && dwarf_tag(&pt) != tag) continue;
        *ret_type = pt;
        *ret_off = shi_dwarf_member_offset(&m);
        return true;
    }
    ok = dwarf_child(agg, &m) == 0;
    for (; ok; ok = dwarf_siblingof(&m, &m) == 0) {
        int mtag = dwarf_tag(&m);
        if ((mtag != DW_TAG_member && mtag != DW_TAG_inheritance) || !shi_dwarf_die_type(&m, &mt))
            continue;
        shi_dwarf_peel(&mt, &pt);
        int ptag = dwarf_tag(&pt);
        if (ptag != DW_TAG_structure_type && ptag != DW_TAG_class_type && ptag != DW_TAG_union_type)
            continue;
        uint64_t sub;
        if (find_deep(&pt, name, tag, ret_type, &sub, depth + 1)) {
            *ret_off = shi_dwarf_member_offset(&m) + sub;
            return true;
        }
    }
    return false;
}

/* A typedef named `name` declared in agg or one of its bases (_Rb_tree::_Link_type,
 * _Hashtable_alloc::__node_type), peeled, through pointers, to the struct it names. */
static bool find_typedef(Dwarf_Die *agg, const char *name, Dwarf_Die *ret, int depth) {
    Dwarf_Die c, t, pt;
    if (depth > 6) return false;
    bool ok = dwarf_child(agg, &c) == 0;
    for (; ok; ok = dwarf_siblingof(&c, &c) == 0) {
        const char *n = dwarf_diename(&c);
        if (dwarf_tag(&c) == DW_TAG_typedef && n && strcmp(n, name) == 0 &&
            shi_dwarf_die_type(&c, &t)) {
            shi_dwarf_peel(&t, &pt);
            if (dwarf_tag(&pt) == DW_TAG_pointer_type) {
                if (!shi_dwarf_die_type(&pt, &t)) return false;
                shi_dwarf_peel(&t, &pt);
            }
            *ret = pt;
            return dwarf_tag(&pt) == DW_TAG_structure_type || dwarf_tag(&pt) == DW_TAG_class_type;
        }
    }
    ok = dwarf_child(agg, &c) == 0;
    for (; ok; ok = dwarf_siblingof(&c, &c) == 0) {
        if (dwarf_tag(&c) != DW_TAG_inheritance || !shi_dwarf_die_type(&c, &t)) continue;
        shi_dwarf_peel(&t, &pt);
        if (find_typedef(&pt, name, ret, depth + 1)) return true;
    }
    return false;
}

static bool has_deep(Dwarf_Die *agg, const char *name) {
    Dwarf_Die t;
    uint64_t off;
    return find_deep(agg, name, 0, &t, &off, 0);
}

int shi_cxx_std_kind(const shi_dwarf_reader *r, Dwarf_Die *type) {
    if (r->d->lang != SHI_LANG_CPP) return X_NONE;
    int tag = dwarf_tag(type);
    if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type) return X_NONE;
    const char *n = dwarf_diename(type);
    if (!n) return X_NONE;
    if (is_std_string_name(n))
        return is_declaration(type) || has_deep(type, "_M_dataplus") ? X_STRING : X_NONE;
    if (starts(n, "vector<") && !starts(n, "vector<bool,"))
        return has_deep(type, "_M_start") ? X_VECTOR : X_NONE;
    if (starts(n, "unique_ptr<")) return has_deep(type, "_M_head_impl") ? X_UNIQUE : X_NONE;
    if (starts(n, "shared_ptr<")) return has_deep(type, "_M_refcount") ? X_SHARED : X_NONE;
    if (starts(n, "weak_ptr<")) return has_deep(type, "_M_refcount") ? X_WEAK : X_NONE;
    if (starts(n, "map<") || starts(n, "set<") || starts(n, "multimap<") || starts(n, "multiset<"))
        return has_deep(type, "_M_header") ? X_TREE : X_NONE;
    if (starts(n, "unordered_"))
        return has_deep(type, "_M_before_begin") ? X_HASH : X_NONE;
    if (starts(n, "array<")) return has_deep(type, "_M_elems") ? X_ARRAY : X_NONE;
    if (starts(n, "list<")) return has_deep(type, "_M_node") ? X_LIST : X_NONE;
    if (starts(n, "forward_list<")) return has_deep(type, "_M_head") ? X_FWD_LIST : X_NONE;
    if (starts(n, "_List_node<")) return has_deep(type, "_M_storage") ? X_LIST_NODE : X_NONE;
    if (starts(n, "_Fwd_list_node<")) return has_deep(type, "_M_storage") ? X_FWD_NODE : X_NONE;
    if (starts(n, "deque<")) return has_deep(type, "_M_map") ? X_DEQUE : X_NONE;
    if (starts(n, "optional<")) return has_deep(type, "_M_engaged") ? X_OPTIONAL : X_NONE;
    if (starts(n, "_Rb_tree_node<")) return has_deep(type, "_M_storage") ? X_RB_NODE : X_NONE;
    if (starts(n, "_Hash_node<")) return has_deep(type, "_M_storage") ? X_HASH_NODE : X_NONE;
    return X_NONE;
}

static int unknown_layout(shi_value *out) {
    out->kind = SHI_VAL_UNREADABLE;
    shi_value_set_text(out, "unknown layout");
    return -1;
}

static bool read_word(const shi_dwarf_reader *r, uint64_t addr, uint64_t *ret) {
    return shi_dwarf_read_uint(r->t, addr, 8, ret);
}

/* ---- std::string ------------------------------------------------------------------------- */

/* Where its pointer, length and buffer/capacity lie: by name, or the ABI's for clang++'s
 * declaration-only type. */
static bool string_layout(Dwarf_Die *type, uint64_t off[3]) {
    Dwarf_Die t;
    off[0] = 0, off[1] = 8, off[2] = SSO_BUF;
    if (is_declaration(type)) return true;
    uint64_t found[3] = {0, 0, 0};
    if (find_deep(type, "_M_p", DW_TAG_pointer_type, &t, &found[0], 0) &&
        find_deep(type, "_M_string_length", 0, &t, &found[1], 0) &&
        find_deep(type, "_M_allocated_capacity", 0, &t, &found[2], 0)) {
        memcpy(off, found, sizeof found);
        return true;
    }
    /* clang++ may define the string but only declare a part of it (_Alloc_hider, which holds
     * _M_p): the ABI's 32-byte string has the fixed layout above */
    return shi_dwarf_type_size(type) == 32;
}

static int read_string(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                       shi_value *out) {
    uint64_t off[3];
    shi_owned *o = &out->owned;
    out->kind = SHI_VAL_OWNED;
    o->kind = SHI_OWN_STRING;
    if (!string_layout(type, off) || !read_word(r, addr + off[0], &o->ptr) ||
        !read_word(r, addr + off[1], &o->len))
        return unknown_layout(out);
    if (o->ptr == addr + off[2]) o->cap = SSO_BUF - 1;   /* in the object: no block */
    else if (!read_word(r, addr + off[2], &o->cap)) return unknown_layout(out);
    o->elem_type = shi_trace_strdup("char");
    o->elem_size = 1;
    if (o->len > o->cap || o->cap > ((uint64_t)1 << 40)) {   /* not constructed yet */
        o->len = o->cap = 0;
        return 0;
    }
    shi_dwarf_c_text(r, o->ptr, o->len, out);
    return 0;
}

bool shi_cxx_std_inline(const shi_value *v) {
    return v->kind == SHI_VAL_OWNED && v->owned.kind == SHI_OWN_STRING && v->at &&
           v->owned.ptr == v->at + SSO_BUF && v->owned.elem_die == 0;
}

/* ---- vector, unique_ptr, shared_ptr, weak_ptr -------------------------------------------- */

/* The text of `n` elements of `elem` from addr, as an array reads ([1, 2], "+3 more"). */
static void elements_text(const shi_dwarf_reader *r, Dwarf_Die *elem, uint64_t addr,
                          uint64_t n, size_t esize, shi_value *out, int depth) {
    shi_value arr;
    memset(&arr, 0, sizeof arr);
    arr.kind = SHI_VAL_ARRAY;
    uint64_t shown = n < SHOWN ? n : SHOWN;
    for (uint64_t i = 0; i < shown; i++) {
        shi_field *f = shi_value_add_field(&arr, NULL);
        shi_dwarf_read_any(r, elem, addr + i * esize, f->value, depth + 1);
    }
    arr.truncated = (size_t)(n - shown);
    char *text = shi_value_text(&arr);
    shi_value_set_text(out, text);
    free(text);
    shi_value_clear(&arr);
}

static int read_vector(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                       shi_value *out, int depth) {
    Dwarf_Die t, elem;
    uint64_t so, fo, eo, start, finish, end;
    shi_owned *o = &out->owned;
    out->kind = SHI_VAL_OWNED;
    o->kind = SHI_OWN_VEC;
    if (!find_deep(type, "_M_start", DW_TAG_pointer_type, &t, &so, 0) ||
        !find_deep(type, "_M_finish", DW_TAG_pointer_type, &t, &fo, 0) ||
        !find_deep(type, "_M_end_of_storage", DW_TAG_pointer_type, &t, &eo, 0) ||
        !shi_dwarf_template_param(type, "_Tp", &elem))
        return unknown_layout(out);
    if (!read_word(r, addr + so, &start) || !read_word(r, addr + fo, &finish) ||
        !read_word(r, addr + eo, &end))
        return unknown_layout(out);
    shi_dwarf_set_elem(r, out, &elem);
    size_t esize = o->elem_size;
    if (!esize || finish < start || end < finish || end - start > ((uint64_t)1 << 36))
        return 0;   /* not constructed yet: an empty handle */
    o->ptr = start;
    o->len = (finish - start) / esize;
    o->cap = (end - start) / esize;
    elements_text(r, &elem, start, o->len, esize, out, depth);
    return 0;
}

static int read_unique(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                       shi_value *out) {
    Dwarf_Die pt, elem;
    uint64_t off;
    out->kind = SHI_VAL_OWNED;
    out->owned.kind = SHI_OWN_BOX;
    if (!find_deep(type, "_M_head_impl", DW_TAG_pointer_type, &pt, &off, 0) ||
        !read_word(r, addr + off, &out->owned.ptr))
        return unknown_layout(out);
    /* T as written (the pointer's type is the `pointer` alias); T[]: a box of the array,
     * its length the block's (src/trace/debuginfo/heap_types.c fills it in) */
    Dwarf_Die peeled;
    if (shi_dwarf_template_param(type, "_Tp", &elem) || shi_dwarf_die_type(&pt, &elem)) {
        shi_dwarf_peel(&elem, &peeled);
        if (dwarf_tag(&peeled) == DW_TAG_array_type && shi_dwarf_die_type(&peeled, &elem))
            out->owned.slice = true;
        shi_dwarf_set_elem(r, out, &elem);
    }
    if (!out->owned.ptr) shi_value_set_text(out, "nullptr");
    return 0;
}

/* The control block's counts lie where libstdc++'s _Sp_counted_base puts them (after its
 * vptr): checked against its DWARF once per handle read. */
enum { USE_COUNT = 8, WEAK_COUNT = 12, COUNTED_BASE = 16 };

static bool refcount(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                     uint64_t *ret_pi) {
    Dwarf_Die pt, base, t;
    uint64_t off, use, weak;
    return find_deep(type, "_M_pi", DW_TAG_pointer_type, &pt, &off, 0) &&
           read_word(r, addr + off, ret_pi) && shi_dwarf_die_type(&pt, &t) &&
           (shi_dwarf_peel(&t, &base), find_deep(&base, "_M_use_count", 0, &t, &use, 0)) &&
           find_deep(&base, "_M_weak_count", 0, &t, &weak, 0) && use == USE_COUNT &&
           weak == WEAK_COUNT;
}

static int read_shared(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                       shi_value *out) {
    Dwarf_Die pt, elem;
    uint64_t off, obj, pi;
    shi_owned *o = &out->owned;
    out->kind = SHI_VAL_OWNED;
    o->kind = SHI_OWN_RC;
    o->shared = true;
    if (!find_deep(type, "_M_ptr", DW_TAG_pointer_type, &pt, &off, 0) ||
        !read_word(r, addr + off, &obj) || !refcount(r, type, addr, &pi))
        return unknown_layout(out);
    if (shi_dwarf_template_param(type, "_Tp", &elem) || shi_dwarf_die_type(&pt, &elem))
        shi_dwarf_set_elem(r, out, &elem);
    o->ptr = pi;
    /* make_shared puts the object in the control block, after the counts */
    if (pi && obj >= pi + COUNTED_BASE && obj < pi + COUNTED_BASE + 64) o->head = obj - pi;
    return 0;
}

static int read_weak(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                     shi_value *out) {
    out->kind = SHI_VAL_POINTER;
    if (!refcount(r, type, addr, &out->addr)) return unknown_layout(out);
    return 0;
}

/* ---- map, set, unordered_map, unordered_set ------------------------------------------------- */

/* A node type's value: its type (the template parameter) and where it lies in the node. */
static bool node_value(Dwarf_Die *node, Dwarf_Die *ret_val, uint64_t *ret_off) {
    Dwarf_Die t;
    return (shi_dwarf_template_param(node, "_Val", ret_val) ||
            shi_dwarf_template_param(node, "_Value", ret_val)) &&
           find_deep(node, "_M_storage", 0, &t, ret_off, 0);
}

/* A std::pair's two members (a map's entry), false for anything else (a set's key). */
static bool pair_parts(Dwarf_Die *val, Dwarf_Die *ret_k, uint64_t *ret_ko, Dwarf_Die *ret_v,
                       uint64_t *ret_vo) {
    Dwarf_Die pv;
    shi_dwarf_peel(val, &pv);
    const char *n = dwarf_diename(&pv);
    static const char *const first[] = {"first", NULL}, *const second[] = {"second", NULL};
    return n && starts(n, "pair<") && shi_dwarf_member_path(&pv, first, ret_k, ret_ko) &&
           shi_dwarf_member_path(&pv, second, ret_v, ret_vo);
}

/* The entries' text as a learner writes them: {"one": 1, "two": 2} for a map, {1, 2} for a
 * set; `next` gives the nodes in iteration order. */
typedef struct entries {
    const shi_dwarf_reader *r;
    Dwarf_Die val, key, mapped;
    uint64_t voff, koff, moff;
    bool pair;
    char *text;
    size_t len, cap, count;
    int depth;
} entries;

static bool entries_start(entries *e, const shi_dwarf_reader *r, Dwarf_Die *node, int depth) {
    memset(e, 0, sizeof *e);
    e->r = r;
    e->depth = depth;
    if (!node_value(node, &e->val, &e->voff)) return false;
    e->pair = pair_parts(&e->val, &e->key, &e->koff, &e->mapped, &e->moff);
    SHI_GROW(e->text, e->cap, 2);
    strcpy(e->text, "{");
    e->len = 1;
    return true;
}

static void entries_add_str(entries *e, const char *s) {
    size_t n = strlen(s);
    SHI_GROW(e->text, e->cap, e->len + n + 1);
    memcpy(e->text + e->len, s, n + 1);
    e->len += n;
}

static void entries_add_value(entries *e, Dwarf_Die *type, uint64_t addr) {
    shi_value v;
    memset(&v, 0, sizeof v);
    shi_dwarf_read_any(e->r, type, addr, &v, e->depth + 2);
    char *t = shi_value_text(&v);
    entries_add_str(e, t ? t : "?");
    free(t);
    shi_value_clear(&v);
}

static void entries_add(entries *e, uint64_t node) {
    if (e->count++) entries_add_str(e, ", ");
    if (!e->pair) { entries_add_value(e, &e->val, node + e->voff); return; }
    entries_add_value(e, &e->key, node + e->voff + e->koff);
    entries_add_str(e, ": ");
    entries_add_value(e, &e->mapped, node + e->voff + e->moff);
}

/* `total` the container's own count: the walk stops after the entries shown (a map of a
 * million entries is not walked at every step). */
static void entries_end(entries *e, uint64_t total, shi_value *out) {
    char more[48];
    if (total > e->count) {
        snprintf(more, sizeof more, ", +%llu more", (unsigned long long)(total - e->count));
        entries_add_str(e, more);
    }
    entries_add_str(e, "}");
    shi_value_set_text(out, e->text);
    free(e->text);
}

/* _Rb_tree_node_base: color, parent, left, right. */
enum { RB_PARENT = 8, RB_LEFT = 16, RB_RIGHT = 24 };

static bool rb_walk(entries *e, uint64_t node, int depth) {
    uint64_t left, right;
    if (!node || e->count >= SHOWN) return true;
    if (depth > 64 || !read_word(e->r, node + RB_LEFT, &left) ||
        !read_word(e->r, node + RB_RIGHT, &right))
        return false;
    if (!rb_walk(e, left, depth + 1)) return false;
    if (e->count >= SHOWN) return true;
    entries_add(e, node);
    return rb_walk(e, right, depth + 1);
}

/* The node type of a tree or a hash table, from the typedef its container declares. */
static bool container_node(Dwarf_Die *type, const char *impl, const char *tdef, Dwarf_Die *ret) {
    Dwarf_Die t;
    uint64_t off;
    return find_deep(type, impl, 0, &t, &off, 0) && find_typedef(&t, tdef, ret, 0);
}

static int read_tree(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                     int depth) {
    Dwarf_Die header, t, node;
    uint64_t hoff, coff, root;
    shi_owned *o = &out->owned;
    out->kind = SHI_VAL_OWNED;
    o->kind = SHI_OWN_BTREE;
    if (!find_deep(type, "_M_header", 0, &header, &hoff, 0) ||
        !find_deep(type, "_M_node_count", 0, &t, &coff, 0) ||
        !container_node(type, "_M_t", "_Link_type", &node) ||
        !read_word(r, addr + hoff + RB_PARENT, &root) || !read_word(r, addr + coff, &o->len))
        return unknown_layout(out);
    shi_dwarf_set_elem(r, out, &node);
    if (o->len > MAX_NODES) { o->len = 0; return 0; }   /* not constructed yet */
    o->ptr = root;
    o->cap = o->len;
    entries e;
    if (!entries_start(&e, r, &node, depth)) return unknown_layout(out);
    bool ok = rb_walk(&e, root, 0) && e.count == (o->len < SHOWN ? o->len : SHOWN);
    entries_end(&e, o->len, out);
    if (!ok) shi_value_set_text(out, "{?}");
    return 0;
}

static int read_hash(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                     int depth) {
    Dwarf_Die t, node;
    uint64_t bo, co, bb, eo;
    shi_owned *o = &out->owned;
    out->kind = SHI_VAL_OWNED;
    o->kind = SHI_OWN_MAP;
    if (!find_deep(type, "_M_bucket_count", 0, &t, &co, 0) ||
        !find_deep(type, "_M_buckets", 0, &t, &bo, 0) ||
        !find_deep(type, "_M_before_begin", 0, &t, &bb, 0) ||
        !find_deep(type, "_M_element_count", 0, &t, &eo, 0) ||
        !container_node(type, "_M_h", "__node_type", &node) ||
        !read_word(r, addr + bb, &o->ptr) || !read_word(r, addr + eo, &o->len) ||
        !read_word(r, addr + co, &o->cap) || !read_word(r, addr + bo, &o->ctrl))
        return unknown_layout(out);
    /* one bucket lives in the object itself (_M_single_bucket): no array to draw */
    if (o->ctrl >= addr && o->ctrl < addr + shi_dwarf_type_size(type)) o->ctrl = 0;
    shi_dwarf_set_elem(r, out, &node);
    if (o->len > MAX_NODES || o->cap > MAX_NODES) {   /* not constructed yet */
        o->ptr = o->len = o->cap = o->ctrl = 0;
        return 0;
    }
    entries e;
    if (!entries_start(&e, r, &node, depth)) return unknown_layout(out);
    uint64_t n = o->ptr;
    while (n && e.count < SHOWN && e.count < o->len) {   /* _M_nxt: the node's first word */
        entries_add(&e, n);
        if (!read_word(r, n, &n)) break;
    }
    bool ok = e.count == (o->len < SHOWN ? o->len : SHOWN) && (!n) == (e.count == o->len);
    entries_end(&e, o->len, out);
    if (!ok) shi_value_set_text(out, "{?}");
    return 0;
}

bool shi_cxx_std_side_block(const shi_dwarf *d, const shi_owned *o, uint64_t *ret_addr,
                            Dwarf_Off *ret_elem) {
    Dwarf_Die node, t;
    uint64_t off;
    if (d->lang != SHI_LANG_CPP || o->kind != SHI_OWN_MAP || !o->ctrl || !o->elem_die ||
        !dwarf_offdie(shi_dwarf_handle(d), o->elem_die, &node) ||
        !find_deep(&node, "_M_nxt", DW_TAG_pointer_type, &t, &off, 0))
        return false;
    *ret_addr = o->ctrl;
    *ret_elem = dwarf_dieoffset(&t);   /* _Hash_node_base *, as a bucket holds it */
    return true;
}

/* ---- the nodes, wherever they are read ------------------------------------------------------ */

/* A box of the node type at node + off (a child, the next node): what owns that node.
 * `link`: the node is the container's, named by it (a map's: shi_owned.link); a list's
 * nodes keep their paths (lst.next), as tests/cpp/cpp_more_facts.py has them. */
static void node_box(const shi_dwarf_reader *r, Dwarf_Die *node, shi_value *out,
                     const char *name, uint64_t addr, uint64_t off, bool link) {
    shi_field *f = shi_dwarf_field_at(out, name, addr, off, 8);
    shi_value *v = f->value;
    v->kind = SHI_VAL_OWNED;
    v->owned.kind = SHI_OWN_BOX;
    v->owned.link = link;
    v->type = shi_dwarf_type_name(r->d, node);
    if (!read_word(r, addr + off, &v->owned.ptr)) { unknown_layout(v); return; }
    shi_dwarf_set_elem(r, v, node);
    if (!v->owned.ptr) shi_value_set_text(v, "nullptr");
}

/* The node's entry: key and value for a map's, key for a set's. */
static void node_entry(const shi_dwarf_reader *r, Dwarf_Die *node, uint64_t addr,
                       shi_value *out, int depth) {
    Dwarf_Die val, k, m;
    uint64_t voff, ko, mo;
    if (!node_value(node, &val, &voff)) return;
    if (!pair_parts(&val, &k, &ko, &m, &mo)) {
        shi_field *f = shi_dwarf_field_at(out, "key", addr, voff, shi_dwarf_type_size(&val));
        shi_dwarf_read_any(r, &val, addr + voff, f->value, depth + 1);
        return;
    }
    shi_field *f = shi_dwarf_field_at(out, "key", addr, voff + ko, shi_dwarf_type_size(&k));
    shi_dwarf_read_any(r, &k, addr + voff + ko, f->value, depth + 1);
    f = shi_dwarf_field_at(out, "value", addr, voff + mo, shi_dwarf_type_size(&m));
    shi_dwarf_read_any(r, &m, addr + voff + mo, f->value, depth + 1);
}

static int read_rb_node(const shi_dwarf_reader *r, Dwarf_Die *node, uint64_t addr,
                        shi_value *out, int depth) {
    Dwarf_Die t;
    uint64_t off;
    out->kind = SHI_VAL_STRUCT;
    if (!find_deep(node, "_M_color", 0, &t, &off, 0)) return unknown_layout(out);
    shi_field *f = shi_dwarf_field_at(out, "color", addr, off, shi_dwarf_type_size(&t));
    shi_dwarf_read_any(r, &t, addr + off, f->value, depth + 1);
    if (!find_deep(node, "_M_parent", DW_TAG_pointer_type, &t, &off, 0) || off != RB_PARENT)
        return unknown_layout(out);
    f = shi_dwarf_field_at(out, "parent", addr, off, 8);
    shi_dwarf_read_any(r, &t, addr + off, f->value, depth + 1);
    node_box(r, node, out, "left", addr, RB_LEFT, true);
    node_box(r, node, out, "right", addr, RB_RIGHT, true);
    node_entry(r, node, addr, out, depth);
    return 0;
}

static int read_hash_node(const shi_dwarf_reader *r, Dwarf_Die *node, uint64_t addr,
                          shi_value *out, int depth) {
    Dwarf_Die t;
    uint64_t off;
    out->kind = SHI_VAL_STRUCT;
    if (!find_deep(node, "_M_nxt", DW_TAG_pointer_type, &t, &off, 0) || off != 0)
        return unknown_layout(out);
    node_box(r, node, out, "next", addr, 0, true);
    node_entry(r, node, addr, out, depth);
    return 0;
}

/* ---- list, forward_list, optional ------------------------------------------------------ */

/* A list node's element (_List_node<T>, _Fwd_list_node<T>): its type and place in the node. */
static bool list_node_value(Dwarf_Die *node, Dwarf_Die *ret_val, uint64_t *ret_off) {
    Dwarf_Die t;
    return shi_dwarf_template_param(node, "_Tp", ret_val) &&
           find_deep(node, "_M_storage", 0, &t, ret_off, 0);
}

/* A forward_list keeps no count: its nodes are walked, up to this many */
static const uint64_t MAX_WALK = 100000;

/* Both lists: the header (a std::list's _M_node, in the object: its last node's next
 * points back to it) or a forward_list's _M_head, whose _M_next (their first word) is the
 * first node. */
static int read_list(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                     int depth, bool fwd) {
    Dwarf_Die head, node, val, t;
    uint64_t hoff, voff, soff;
    shi_owned *o = &out->owned;
    out->kind = SHI_VAL_OWNED;
    o->kind = SHI_OWN_LIST;
    if (!find_deep(type, fwd ? "_M_head" : "_M_node", 0, &head, &hoff, 0) ||
        !read_word(r, addr + hoff, &o->ptr))
        return unknown_layout(out);
    if (!fwd && (!find_deep(&head, "_M_size", 0, &t, &soff, 0) ||
                 !read_word(r, addr + hoff + soff, &o->len)))
        return unknown_layout(out);
    /* a list the program never adds to has no node type in its DWARF: empty, all the same */
    if (!find_typedef(type, "_Node", &node, 0) || !list_node_value(&node, &val, &voff)) {
        if (o->ptr != (fwd ? 0 : addr + hoff)) return unknown_layout(out);
        o->ptr = o->len = 0;
        shi_value_set_text(out, "[]");
        return 0;
    }
    shi_dwarf_set_elem(r, out, &node);
    uint64_t end = fwd ? 0 : addr + hoff;
    if (!fwd && o->len > MAX_NODES) {   /* not constructed yet */
        o->ptr = o->len = 0;
        return 0;
    }
    shi_value arr;
    memset(&arr, 0, sizeof arr);
    arr.kind = SHI_VAL_ARRAY;
    uint64_t n = o->ptr, count = 0, limit = fwd ? MAX_WALK : o->len;
    bool ok = true;
    while (n && n != end && count < limit) {
        if (count < SHOWN)
            shi_dwarf_read_any(r, &val, n + voff, shi_value_add_field(&arr, NULL)->value, depth + 1);
        count++;
        if (!read_word(r, n, &n)) { ok = false; break; }   /* _M_next: the node's first word */
    }
    if (fwd) o->len = count;
    o->cap = o->len;
    o->ctrl = end;
    arr.truncated = (size_t)(o->len - arr.nfields);
    char *text = shi_value_text(&arr);
    /* a std::list whose walk does not end at its header after _M_size nodes: half made */
    shi_value_set_text(out, ok && (n == end || count == MAX_WALK) ? text : "[?]");
    free(text);
    shi_value_clear(&arr);
    return 0;
}

/* A node of either list: the next node a box it owns (a std::list's last one points back to
 * the header, `header` when the list's handle is known: a plain pointer), the previous one a
 * pointer, then the element. */
static int read_list_node(const shi_dwarf_reader *r, Dwarf_Die *node, uint64_t addr,
                          uint64_t header, shi_value *out, int depth, bool fwd) {
    Dwarf_Die t, val;
    uint64_t off, voff, next;
    out->kind = SHI_VAL_STRUCT;
    if (!find_deep(node, "_M_next", DW_TAG_pointer_type, &t, &off, 0) || off != 0 ||
        !list_node_value(node, &val, &voff) || !read_word(r, addr, &next))
        return unknown_layout(out);
    if (fwd || (header && next != header)) {
        node_box(r, node, out, "next", addr, 0, false);
        out->fields[out->nfields - 1].value->owned.ctrl = header;   /* its next's end, too */
    } else {
        shi_dwarf_read_any(r, &t, addr, shi_dwarf_field_at(out, "next", addr, 0, 8)->value, depth + 1);
    }
    if (!fwd && find_deep(node, "_M_prev", DW_TAG_pointer_type, &t, &off, 0))
        shi_dwarf_read_any(r, &t, addr + off, shi_dwarf_field_at(out, "prev", addr, off, 8)->value,
                           depth + 1);
    shi_field *f = shi_dwarf_field_at(out, "value", addr, voff, shi_dwarf_type_size(&val));
    shi_dwarf_read_any(r, &val, addr + voff, f->value, depth + 1);
    return 0;
}

/* ---- deque ---------------------------------------------------------------------------------- */

/* libstdc++'s chunk: 512 bytes of elements, or one element bigger than that. */
static uint64_t deque_chunk(size_t esize) {
    return esize < 512 ? 512 / esize : 1;
}

static int read_deque(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                      int depth) {
    Dwarf_Die t, it, elem;
    uint64_t mo, zo, so, fo, no, co, fio, map, size, snode, scur, sfirst, fnode, fcur, ffirst;
    shi_owned *o = &out->owned;
    out->kind = SHI_VAL_OWNED;
    o->kind = SHI_OWN_DEQUE;
    if (!find_deep(type, "_M_map", DW_TAG_pointer_type, &t, &mo, 0) ||
        !find_deep(type, "_M_map_size", 0, &t, &zo, 0) ||
        !find_deep(type, "_M_start", 0, &it, &so, 0) ||
        !find_deep(type, "_M_finish", 0, &t, &fo, 0) ||
        !find_deep(&it, "_M_cur", DW_TAG_pointer_type, &t, &co, 0) ||
        !find_deep(&it, "_M_first", DW_TAG_pointer_type, &t, &fio, 0) ||
        !find_deep(&it, "_M_node", DW_TAG_pointer_type, &t, &no, 0) ||
        !shi_dwarf_template_param(type, "_Tp", &elem))
        return unknown_layout(out);
    if (!read_word(r, addr + mo, &map) || !read_word(r, addr + zo, &size) ||
        !read_word(r, addr + so + no, &snode) || !read_word(r, addr + so + co, &scur) ||
        !read_word(r, addr + so + fio, &sfirst) || !read_word(r, addr + fo + no, &fnode) ||
        !read_word(r, addr + fo + co, &fcur) || !read_word(r, addr + fo + fio, &ffirst))
        return unknown_layout(out);
    shi_dwarf_set_elem(r, out, &elem);
    size_t es = o->elem_size;
    uint64_t chunk = es ? deque_chunk(es) : 0;
    /* not constructed yet (or garbage): an empty handle */
    if (!map || !es || size > MAX_NODES || snode < map || fnode < snode ||
        fnode >= map + size * 8 || scur < sfirst || fcur < ffirst ||
        scur - sfirst >= chunk * es || fcur - ffirst >= chunk * es)
        return 0;
    o->ptr = map;
    o->cap = size;
    o->head = (scur - sfirst) / es;
    o->ctrl = snode;
    uint64_t end = ((fnode - snode) / 8) * chunk + (fcur - ffirst) / es;
    o->len = end - o->head;
    shi_value arr;
    memset(&arr, 0, sizeof arr);
    arr.kind = SHI_VAL_ARRAY;
    uint64_t base = 0;
    for (uint64_t i = 0; i < o->len && i < SHOWN; i++) {
        uint64_t k = o->head + i;
        if ((i == 0 || k % chunk == 0) && !read_word(r, snode + k / chunk * 8, &base)) break;
        shi_dwarf_read_any(r, &elem, base + k % chunk * es, shi_value_add_field(&arr, NULL)->value,
                           depth + 1);
    }
    arr.truncated = (size_t)(o->len - arr.nfields);
    char *text = shi_value_text(&arr);
    shi_value_set_text(out, text);
    free(text);
    shi_value_clear(&arr);
    return 0;
}

/* Its map: T *[map size], the slots in use boxes of their chunks (T[chunk], `slice`). */
static int deque_map(const shi_dwarf_reader *r, const shi_owned *o, shi_value *out) {
    char name[320];
    snprintf(name, sizeof name, "%s *", o->elem_type ? o->elem_type : "?");
    shi_dwarf_array_block(r->d, out, name, o->cap, o->ptr);
    uint64_t chunk = deque_chunk(o->elem_size);
    uint64_t first = (o->ctrl - o->ptr) / 8, used = (o->head + o->len) / chunk + 1;
    uint64_t shown = o->cap < SHOWN ? o->cap : SHOWN;
    for (uint64_t i = 0; i < shown; i++) {
        shi_field *f = shi_dwarf_field_at(out, NULL, o->ptr, i * 8, 8);
        shi_value *v = f->value;
        v->type = shi_trace_strdup(name);
        if (i < first || i >= first + used) continue;   /* no chunk: left unset */
        v->kind = SHI_VAL_OWNED;
        v->owned.kind = SHI_OWN_BOX;
        v->owned.slice = true;
        v->owned.len = v->owned.cap = chunk;
        v->owned.elem_type = shi_trace_strdup(o->elem_type);
        v->owned.elem_size = o->elem_size;
        v->owned.elem_die = o->elem_die;
        if (!read_word(r, o->ptr + i * 8, &v->owned.ptr)) unknown_layout(v);
    }
    out->truncated = (size_t)(o->cap - shown);
    return 0;
}

/* std::optional<T>: T's value under the optional's type name, or nullopt. */
static int read_optional(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr,
                         shi_value *out, int depth) {
    Dwarf_Die t, val;
    uint64_t eo, vo, engaged;
    if (!find_deep(type, "_M_engaged", 0, &t, &eo, 0) ||
        !find_deep(type, "_M_value", 0, &t, &vo, 0) ||
        !shi_dwarf_template_param(type, "_Tp", &val) ||
        !shi_dwarf_read_uint(r->t, addr + eo, 1, &engaged))
        return unknown_layout(out);
    if (!engaged) {
        out->kind = SHI_VAL_STRUCT;
        shi_value_set_text(out, "nullopt");
        return 0;
    }
    int rc = shi_dwarf_read_member_as(r, &val, addr, vo, out, depth);
    out->at = addr + vo;   /* the T's own place, not the optional's */
    return rc;
}

/* std::array<T, N> { T _M_elems[N]; }: its elements, under its own type name. */
static int read_array(const shi_dwarf_reader *r, Dwarf_Die *type, uint64_t addr, shi_value *out,
                      int depth) {
    Dwarf_Die t;
    uint64_t off;
    if (!find_deep(type, "_M_elems", DW_TAG_array_type, &t, &off, 0)) return unknown_layout(out);
    return shi_dwarf_read_member_as(r, &t, addr, off, out, depth);
}

int shi_cxx_std_read(const shi_dwarf_reader *r, int kind, Dwarf_Die *type, uint64_t addr,
                     shi_value *out, int depth) {
    switch (kind) {
    case X_ARRAY: return read_array(r, type, addr, out, depth);
    case X_STRING: return read_string(r, type, addr, out);
    case X_VECTOR: return read_vector(r, type, addr, out, depth);
    case X_UNIQUE: return read_unique(r, type, addr, out);
    case X_SHARED: return read_shared(r, type, addr, out);
    case X_WEAK: return read_weak(r, type, addr, out);
    case X_TREE: return read_tree(r, type, addr, out, depth);
    case X_HASH: return read_hash(r, type, addr, out, depth);
    case X_RB_NODE: return read_rb_node(r, type, addr, out, depth);
    case X_HASH_NODE: return read_hash_node(r, type, addr, out, depth);
    case X_LIST: return read_list(r, type, addr, out, depth, false);
    case X_FWD_LIST: return read_list(r, type, addr, out, depth, true);
    case X_LIST_NODE: return read_list_node(r, type, addr, 0, out, depth, false);
    case X_FWD_NODE: return read_list_node(r, type, addr, 0, out, depth, true);
    case X_OPTIONAL: return read_optional(r, type, addr, out, depth);
    case X_DEQUE: return read_deque(r, type, addr, out, depth);
    default: return unknown_layout(out);
    }
}

/* ---- the blocks ------------------------------------------------------------------------------ */

/* A shared_ptr's control block: the counts, then the object (make_shared) or the box of the
 * object's own block (shared_ptr(new T)). */
static int control_block(const shi_dwarf_reader *r, const shi_owned *o, Dwarf_Die *elem,
                         shi_value *out) {
    uint64_t use, weak;
    if (!shi_dwarf_read_uint(r->t, o->ptr + USE_COUNT, 4, &use) ||
        !shi_dwarf_read_uint(r->t, o->ptr + WEAK_COUNT, 4, &weak))
        return unknown_layout(out);
    char name[320];
    snprintf(name, sizeof name, o->head ? "std::_Sp_counted_ptr_inplace<%s>"
                                        : "std::_Sp_counted_ptr<%s *>",
             o->elem_type ? o->elem_type : "?");
    out->type = shi_trace_strdup(name);
    out->kind = SHI_VAL_STRUCT;
    shi_field *f = shi_dwarf_field_at(out, "use_count", o->ptr, USE_COUNT, 4);
    shi_value_set_uint(f->value, use);
    f->value->type = shi_trace_strdup("int");
    f = shi_dwarf_field_at(out, "weak_count", o->ptr, WEAK_COUNT, 4);
    shi_value_set_uint(f->value, use && weak ? weak - 1 : weak);   /* gdb's: the owners' one aside */
    f->value->type = shi_trace_strdup("int");
    if (o->head) {
        f = shi_dwarf_field_at(out, "value", o->ptr, o->head, o->elem_size);
        shi_dwarf_read_any(r, elem, o->ptr + o->head, f->value, 1);
        return 0;
    }
    f = shi_dwarf_field_at(out, "ptr", o->ptr, COUNTED_BASE, 8);
    shi_value *v = f->value;
    v->kind = SHI_VAL_OWNED;
    v->owned.kind = SHI_OWN_BOX;
    if (!read_word(r, o->ptr + COUNTED_BASE, &v->owned.ptr)) return unknown_layout(v);
    shi_dwarf_set_elem(r, v, elem);
    snprintf(name, sizeof name, "%s *", o->elem_type ? o->elem_type : "?");
    v->type = shi_trace_strdup(name);
    return 0;
}

/* unique_ptr<T[]>'s block: T[len]. */
static int array_block(const shi_dwarf_reader *r, const shi_owned *o, Dwarf_Die *elem,
                       shi_value *out) {
    shi_dwarf_array_block(r->d, out, o->elem_type, o->len, o->ptr);
    uint64_t shown = o->len < SHOWN ? o->len : SHOWN;
    for (uint64_t i = 0; i < shown && o->elem_size; i++) {
        shi_field *f = shi_dwarf_field_at(out, NULL, o->ptr, i * o->elem_size, o->elem_size);
        shi_dwarf_read_any(r, elem, o->ptr + i * o->elem_size, f->value, 1);
    }
    out->truncated = (size_t)(o->len - shown);
    return 0;
}

int shi_cxx_std_read_block(const shi_dwarf_reader *r, const shi_owned *o, shi_value *out) {
    if (r->d->lang != SHI_LANG_CPP) return -2;
    Dwarf_Die elem;
    switch (o->kind) {
    case SHI_OWN_STRING: {
        char name[48];
        snprintf(name, sizeof name, "char[%llu]", (unsigned long long)o->cap + 1);
        out->type = shi_trace_strdup(name);
        out->kind = SHI_VAL_ARRAY;
        shi_dwarf_c_text(r, o->ptr, o->len, out);
        return 0;
    }
    case SHI_OWN_RC: case SHI_OWN_BTREE: case SHI_OWN_MAP:
        if (!o->elem_die || !dwarf_offdie(shi_dwarf_handle(r->d), o->elem_die, &elem))
            return unknown_layout(out);
        if (o->kind == SHI_OWN_RC) return control_block(r, o, &elem, out);
        /* a tree's root node, a hash table's first node: a node like the others */
        return shi_dwarf_read_any(r, &elem, o->ptr, out, 0) ? -1 : 0;
    case SHI_OWN_DEQUE: return deque_map(r, o, out);
    case SHI_OWN_LIST:
        if (!o->elem_die || !dwarf_offdie(shi_dwarf_handle(r->d), o->elem_die, &elem))
            return unknown_layout(out);
        out->type = shi_dwarf_type_name(r->d, &elem);
        return read_list_node(r, &elem, o->ptr, o->ctrl, out, 0, !o->ctrl);
    case SHI_OWN_BOX:
        if (!o->slice && !o->ctrl) return -2;   /* unique_ptr<T>: a box, as Rust's */
        if (!o->elem_die || !dwarf_offdie(shi_dwarf_handle(r->d), o->elem_die, &elem))
            return unknown_layout(out);
        if (o->ctrl) {   /* a std::list's next node, its header known */
            out->type = shi_dwarf_type_name(r->d, &elem);
            return read_list_node(r, &elem, o->ptr, o->ctrl, out, 0, false);
        }
        return array_block(r, o, &elem, out);
    default: return -2;   /* vector: an array, as Rust's */
    }
}

/* ---- type names ------------------------------------------------------------------------------ */

/* Template arguments a learner never writes: the defaults. */
static bool default_arg(const char *a, size_t n) {
    static const char *const defaults[] = {
        "std::allocator<", "std::default_delete<", "std::less<", "std::hash<", "std::equal_to<",
        "std::char_traits<", "(__gnu_cxx::_Lock_policy)", "__gnu_cxx::_S_", NULL};
    for (size_t i = 0; defaults[i]; i++)
        if (n >= strlen(defaults[i]) && strncmp(a, defaults[i], strlen(defaults[i])) == 0)
            return true;
    return false;
}

typedef struct sb {
    char *p;
    size_t len, cap;
} sb;

static void sb_put(sb *b, const char *s, size_t n) {
    SHI_GROW(b->p, b->cap, b->len + n + 1);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

/* The end of a template argument starting at s: the top-level ',' or '>'. */
static const char *arg_end(const char *s) {
    int depth = 0;
    for (; *s; s++) {
        if (*s == '<' || *s == '(') depth++;
        else if ((*s == '>' || *s == ')') && depth) depth--;
        else if ((*s == ',' || *s == '>') && !depth) return s;
    }
    return s;
}

static void simplify(sb *out, const char *s, size_t n, int depth);

/* s[0..n) as written, its template arguments simplified and the defaults left out; the
 * inline namespace std::__cxx11:: as std::; std::basic_string<char> as std::string. */
static void simplify(sb *out, const char *s, size_t n, int depth) {
    const char *end = s + n;
    while (s < end) {
        if (strncmp(s, "__cxx11::", 9) == 0 && (size_t)(end - s) >= 9) { s += 9; continue; }
        if (*s != '<' || depth > 16) {
            if (*s == ' ' && s + 1 < end && s[1] == '>') { s++; continue; }   /* "> >" */
            sb_put(out, s++, 1);
            continue;
        }
        /* the arguments, each simplified, the defaults dropped */
        sb args = {0};
        const char *a = s + 1;
        size_t kept = 0;
        while (a < end && *a != '>') {
            while (*a == ' ') a++;
            const char *e = arg_end(a), *last;
            if (e > end) e = end;
            for (last = e; last > a && last[-1] == ' '; last--) {}   /* "int> >" */
            sb one = {0};
            simplify(&one, a, (size_t)(last - a), depth + 1);
            if (one.p && !default_arg(one.p, one.len)) {
                if (kept++) sb_put(&args, ", ", 2);
                sb_put(&args, one.p, one.len);
            }
            free(one.p);
            a = *e == ',' ? e + 1 : e;
        }
        s = a < end ? a + 1 : end;
        static const char bs[] = "std::basic_string";
        size_t bl = sizeof bs - 1;
        if (out->len >= bl && strcmp(out->p + out->len - bl, bs) == 0 && args.p &&
            strcmp(args.p, "char") == 0) {
            out->len -= bl;
            sb_put(out, "std::string", 11);
        } else if (kept) {
            sb_put(out, "<", 1);
            sb_put(out, args.p, args.len);
            sb_put(out, ">", 1);
        } else {
            sb_put(out, "<>", 2);
        }
        free(args.p);
    }
    if (!out->p) sb_put(out, "", 0);
}

char *shi_cxx_type_name(Dwarf_Die *type) {
    const char *name = dwarf_diename(type);
    Dwarf_Die target;
    /* the library's own aliases (clang++'s `auto p = make_unique<Node>()` is a
     * std::__detail::__unique_ptr_t<Node>) read as what they stand for */
    if (dwarf_tag(type) == DW_TAG_typedef && name && starts(name, "__") &&
        shi_dwarf_die_type(type, &target)) {
        int tag = dwarf_tag(&target);
        if (tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_typedef)
            return shi_cxx_type_name(&target);
    }
    sb full = {0};
    Dwarf_Die *scopes = NULL;
    int n = dwarf_getscopes_die(type, &scopes);
    /* scopes[0] is the type, scopes[n - 1] its unit: the namespaces and classes between */
    for (int i = n - 2; i >= 1; i--) {
        int tag = dwarf_tag(&scopes[i]);
        const char *sn = dwarf_diename(&scopes[i]);
        if (tag != DW_TAG_namespace && tag != DW_TAG_structure_type && tag != DW_TAG_class_type &&
            tag != DW_TAG_union_type)
            continue;
        if (!sn || strcmp(sn, "__cxx11") == 0) continue;   /* inline or anonymous: unwritten */
        sb_put(&full, sn, strlen(sn));
        sb_put(&full, "::", 2);
    }
    free(scopes);
    sb_put(&full, name ? name : "{...}", strlen(name ? name : "{...}"));
    sb out = {0};
    simplify(&out, full.p, full.len, 0);
    free(full.p);
    return out.p;
}
