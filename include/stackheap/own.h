/*
 * stackheap/own.h — Rust's owned String, Vec<T> and Box<T> for C.
 *
 * The lesson's "Rust on the Heap": a fixed-size handle on the stack ({ptr, len, cap}, or one
 * pointer for a box) owning a block on the heap, freed when its owner goes out of scope.
 * Capacities grow exactly as Rust's do, so a C program shows the lesson's numbers:
 *
 *     sh_auto(sh_string) name = sh_string_from("Hello");    // ptr, len 5, cap 5
 *     sh_string_push_str(&name, ", world!");                // regrows: len 13, cap 13
 *     sh_auto(sh_vec_i32) numbers = sh_vec_new(sh_vec_i32);
 *     sh_vec_push(&numbers, 1);                             // first push: cap 4, as Rust
 *     sh_auto(sh_box_i32) boxed = sh_box_new(sh_box_i32, 42);
 *     // at the closing brace: boxed, numbers, name are dropped, in that order
 *
 * How to read the API
 *   - Operations are generic macros over every vec type (`sh_vec_push(&v, x)`), taking the
 *     handle's address as Rust takes `&mut self`. They expand to a call on the untyped
 *     layer below with the element size and the caller's `__FILE__`, `__LINE__` and the
 *     handle's spelling, so a panic names the user's line and variable. Each macro
 *     evaluates its handle argument more than once: pass `&name`, not an expression with
 *     side effects.
 *   - Constructors take the type: `sh_vec_new(T)`, `sh_box_new(T, value)`.
 *   - Destructors are functions, one per type, `T_drop(&x)` (`sh_string_drop`,
 *     `sh_vec_i32_drop`, `sh_box_point_drop`): functions so they can be passed as the
 *     element drop of a vec or box of owners. `sh_auto(T)` calls T's drop at scope exit.
 *   - All memory comes from the stackheap heap (sh_malloc, sh_realloc, sh_free).
 *
 * Layout and the three kinds of empty handle
 *   sh_string and every vec are exactly {ptr, len, cap} (24 bytes on 64-bit); a box is one
 *   pointer (8 bytes). ptr owns a heap block if and only if cap > 0 (for a box: ptr is not
 *   one of the markers below and not NULL). An empty handle's ptr is one of three marker
 *   addresses, never read or written through as elements:
 *     SH_OWN_EMPTY    a fresh value that has not allocated (`_new()`, Rust's dangling ptr);
 *     SH_OWN_MOVED    left behind by sh_move(x);
 *     SH_OWN_DROPPED  left behind by an explicit T_drop(&x).
 *   All three point at zero bytes, so an empty string's ptr is still the C string "".
 *   A zero-initialised handle ({0}, ptr NULL) also counts as fresh and empty.
 *   A string's heap block has one byte more than its capacity: the byte after the last
 *   character is always NUL, so `s.ptr` can be handed to any C function taking a string.
 *   len and cap are Rust's numbers; the extra byte is not part of the capacity.
 *
 * Growth (Rust's RawVec, exactly): a push into a full vec, or a reserve(n) that does not
 * fit, grows the capacity to max(2 * cap, len + n), and at least to 8 for 1-byte elements,
 * 4 for elements up to 1 KiB, 1 for larger ones. with_capacity, reserve_exact, from and
 * clone allocate exactly what they are asked for. Past PTRDIFF_MAX bytes: panic
 * "capacity overflow"; when the heap is out of memory: panic "memory allocation of N
 * bytes failed". Nothing here returns NULL for lack of memory.
 *
 * Moves and drops. `sh_move(x)` evaluates to x's value and leaves x moved-from; dropping
 * a moved-from or empty handle does nothing. In checked mode (the heap's: STACKHEAP_CHECK=1
 * or built with -DSTACKHEAP_CHECKED=ON, see sh_heap_checked()) these panic with Rust-like
 * messages and the caller's file:line:
 *     use of moved value: 'x'            an operation (or sh_move) on a moved-from handle
 *     use of dropped value: 'x'          an operation on a handle dropped with T_drop
 *     double drop of a String ...        T_drop(&x) on a handle already dropped, or on a
 *                                        bitwise copy of a handle whose block was dropped
 * and at exit every owned heap block never dropped is reported with where it was
 * allocated ("leaked: ..."). Out-of-bounds indexing panics in every mode:
 *     index out of bounds: the len is 3 but the index is 5
 * Without checked mode, a moved-from or dropped handle behaves as a fresh empty one.
 *
 * Not thread-safe per handle (as &mut in Rust): one thread at a time may use a handle.
 */
#ifndef STACKHEAP_OWN_H
#define STACKHEAP_OWN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "attrs.h"
#include "heap.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SH_BUILDING_LIB)
#define SH_OWN_API __attribute__((visibility("default")))
#else
#define SH_OWN_API
#endif

/* Functions the DECLARE macros generate: unused ones are fine in a .c file too. */
#define SHI_GEN static inline __attribute__((unused))

/* The header is GNU C, and GNU C++ for a C++ user: statement expressions, __typeof__,
 * cleanup. Each use carries __extension__, so that a user's -pedantic stays quiet. */
#ifdef __cplusplus
#define SHI_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define SHI_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* ---- the untyped layer the macros expand to ------------------------------------------------ */

/* Where a call was written: the handle's spelling, file and line, for panics and leak reports.
 * The macros make one static sh_site per call site, so the library may keep the pointer. */
typedef struct sh_site {
    const char *expr;   /* e.g. "&numbers"; reports strip the '&' */
    const char *file;
    int line;
} sh_site;

#define SH_SITE(expr_text)                                                                 \
    __extension__ ({ static const sh_site shi_site_ = {expr_text, __FILE__, __LINE__};       \
                     &shi_site_; })

/* The shape shared by sh_string and every vec: what the library functions work on. */
typedef struct sh_rawvec {
    void *ptr;
    size_t len;
    size_t cap;
} sh_rawvec;

/* A fresh, empty string or vec of type T. In C a compound literal, which GCC takes as a
 * static's initialiser too (an extension -pedantic names: a static handle may instead start
 * zeroed, which counts as fresh and empty); C++ has no compound literals, and a lambda works
 * at namespace scope too. */
#ifdef __cplusplus
#define SHI_OWN_NEW(T)                                                                     \
    ([]() { T shi_new_; shi_new_.raw = sh_rawvec{SH_OWN_EMPTY, 0, 0}; return shi_new_; }())
#else
#define SHI_OWN_NEW(T) ((T){.raw = {SH_OWN_EMPTY, 0, 0}})
#endif
/* A string, vec or box of type T whose raw member is `raw`. C keeps the compound literal:
 * a named temporary would be one more variable in the frames `stackheap run` draws. */
#ifdef __cplusplus
#define SHI_OWN_MAKE(T, raw_)                                                              \
    __extension__ ({ T shi_mk_; shi_mk_.raw = (raw_); shi_mk_; })
#else
#define SHI_OWN_MAKE(T, raw_) ((T){.raw = (raw_)})
#endif

/* Element drop called on each element a vec or box drops; NULL for plain data. */
typedef void (*sh_drop_fn)(void *elem);

/* The three marker addresses (see the top of this file); 16 zero bytes each. Read-only, so
 * that a write through a marker faults at once; a handle's ptr is not const, hence the
 * detour through uintptr_t, which a user's -Wcast-qual does not flag as casting it away. */
extern SH_OWN_API const max_align_t sh_own_markers[3];
#define SH_OWN_EMPTY   ((void *)(uintptr_t)&sh_own_markers[0])
#define SH_OWN_MOVED   ((void *)(uintptr_t)&sh_own_markers[1])
#define SH_OWN_DROPPED ((void *)(uintptr_t)&sh_own_markers[2])

/* Attributes (attrs.h): the macros always pass a handle's address, which these functions
 * read without a NULL case: SH_NONNULL. Not the site: a NULL one is allowed (a panic then
 * names no line), nor element drops, sources of zero elements or a box's ptr. A
 * constructor's value ignored is a leak: SH_WARN_UNUSED; not the accessors (at, get,
 * slice), which a test may call for their bounds check alone. */
SH_OWN_API SH_NONNULL(1) SH_RETURNS_NONNULL SH_WARN_UNUSED
void *sh_rawvec_push(sh_rawvec *v, size_t esize, const sh_site *s);   /* new slot */
SH_OWN_API SH_NONNULL(1)
void sh_rawvec_extend(sh_rawvec *v, size_t esize, const void *src, size_t n, const sh_site *s);
SH_OWN_API SH_NONNULL(1, 3)
bool sh_rawvec_pop(sh_rawvec *v, size_t esize, void *ret_elem, const sh_site *s);
SH_OWN_API SH_NONNULL(1) SH_RETURNS_NONNULL SH_WARN_UNUSED
void *sh_rawvec_insert(sh_rawvec *v, size_t esize, size_t index, const sh_site *s);
SH_OWN_API SH_NONNULL(1, 4)
void sh_rawvec_remove(sh_rawvec *v, size_t esize, size_t index, void *ret_elem,
                      const sh_site *s);
SH_OWN_API SH_NONNULL(1, 4)
void sh_rawvec_swap_remove(sh_rawvec *v, size_t esize, size_t index, void *ret_elem,
                           const sh_site *s);
SH_OWN_API SH_NONNULL(1)
void sh_rawvec_truncate(sh_rawvec *v, size_t esize, size_t len, sh_drop_fn drop,
                        const sh_site *s);
SH_OWN_API SH_NONNULL(1)
void sh_rawvec_reserve(sh_rawvec *v, size_t esize, size_t additional, const sh_site *s);
SH_OWN_API SH_NONNULL(1)
void sh_rawvec_reserve_exact(sh_rawvec *v, size_t esize, size_t additional, const sh_site *s);
SH_OWN_API SH_NONNULL(1)
void sh_rawvec_shrink_to_fit(sh_rawvec *v, size_t esize, const sh_site *s);
SH_OWN_API SH_WARN_UNUSED
sh_rawvec sh_rawvec_with_capacity(size_t esize, size_t cap, const sh_site *s);
SH_OWN_API SH_WARN_UNUSED
sh_rawvec sh_rawvec_from(const void *elems, size_t esize, size_t n, const sh_site *s);
SH_OWN_API SH_NONNULL(1) SH_WARN_UNUSED
sh_rawvec sh_rawvec_clone(const sh_rawvec *v, size_t esize, const sh_site *s);
SH_OWN_API SH_NONNULL(1, 2)
bool sh_rawvec_eq(const sh_rawvec *a, const sh_rawvec *b, size_t esize, const sh_site *s);
SH_OWN_API SH_NONNULL(1) SH_RETURNS_NONNULL
void *sh_rawvec_at(const sh_rawvec *v, size_t esize, size_t index, const sh_site *s);
SH_OWN_API SH_NONNULL(1)
void *sh_rawvec_get(const sh_rawvec *v, size_t esize, size_t index, const sh_site *s);
/* NULL only for a slice of a {0}-initialised vec */
SH_OWN_API SH_NONNULL(1)
void *sh_rawvec_slice(const sh_rawvec *v, size_t esize, size_t start, size_t end,
                      const sh_site *s);
SH_OWN_API SH_NONNULL(1) SH_RETURNS_NONNULL
const sh_rawvec *sh_rawvec_use(const sh_rawvec *v, const sh_site *s);  /* checks */
/* explicit: 1 for T_drop (a second drop panics in checked mode), 0 for scope exit. */
SH_OWN_API SH_NONNULL(1)
void sh_rawvec_drop(sh_rawvec *v, size_t esize, sh_drop_fn drop, int explicit_);

/* Not SH_MALLOC: the value copied in may hold pointers to live objects. */
SH_OWN_API SH_NONNULL(2) SH_RETURNS_NONNULL SH_WARN_UNUSED
void *sh_rawbox_new(size_t size, const void *value, const sh_site *s);
SH_OWN_API void *sh_rawbox_use(void *ptr, const sh_site *s);     /* checks, returns ptr */
SH_OWN_API SH_NONNULL(1, 3)
void sh_rawbox_into_inner(void **ptr, size_t size, void *ret_value, const sh_site *s);
SH_OWN_API SH_NONNULL(1) void sh_rawbox_drop(void **ptr, sh_drop_fn drop, int explicit_);

/* sh_move's bookkeeping: checks *handle_ptr, then marks the handle moved-from. */
SH_OWN_API SH_NONNULL(1) void sh_own_mark_moved(void *handle, size_t size, const sh_site *s);

/* ---- scope drop and moves -------------------------------------------------------------------- */

/* `sh_auto(T) x = ...;` drops x when it goes out of scope; C runs these in reverse order of
 * declaration, as Rust drops locals. */
#define sh_auto(T) __attribute__((cleanup(T##_autodrop), unused)) T

/* Hands x's value over and leaves x moved-from (`let b = a;` in Rust). */
#define sh_move(x)                                                                         \
    __extension__ ({ __typeof__(x) *shi_mv_p_ = &(x);                                      \
       __typeof__(x) shi_mv_v_ = *shi_mv_p_;                                               \
       sh_own_mark_moved(shi_mv_p_, sizeof *shi_mv_p_, SH_SITE(#x));                       \
       shi_mv_v_; })

/* ---- sh_str: a borrowed view, Rust's &str --------------------------------------------------- */

typedef struct sh_str {
    const char *ptr;
    size_t len;
} sh_str;

/* Prints an sh_str with printf: printf("%.*s", SH_STR_ARG(s)). */
#define SH_STR_ARG(s) (int)(s).len, (s).ptr

SH_NONNULL(1) static inline sh_str sh_str_from(const char *cstr) {
    sh_str str = {cstr, strlen(cstr)};
    return str;
}
static inline bool sh_str_eq(sh_str a, sh_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* ---- sh_string: Rust's String (bytes; no UTF-8 validation)  ---------------------------------- */

typedef union sh_string {
    __extension__ struct {
        char *ptr;      /* NUL-terminated: the heap block is cap + 1 bytes */
        size_t len;
        size_t cap;
    };
    sh_rawvec raw;
} sh_string;

SH_OWN_API SH_NONNULL(1)
void sh_string_push_bytes_at(sh_string *str, const char *p, size_t n, const sh_site *s);

/* Appending what fits is inlined (a fresh, moved-from or dropped string has cap 0 and takes
 * the library call, which checks and grows). memmove: p may point into the string. */
static inline void shi_string_push_fast(sh_string *str, const char *p, size_t n,
                                        const sh_site *s) {
    if (__builtin_expect(str->cap != 0 && n <= str->cap - str->len, 1)) {
        memmove(str->ptr + str->len, p, n);
        str->len += n;
        str->ptr[str->len] = 0;
    } else {
        sh_string_push_bytes_at(str, p, n, s);
    }
}

#define sh_string_new() SHI_OWN_NEW(sh_string)
#define sh_string_from(cstr)                                                               \
    sh_string_from_at((cstr), SH_SITE("sh_string_from(" #cstr ")"))
#define sh_string_from_str(str)                                                            \
    sh_string_from_bytes_at((str).ptr, (str).len, SH_SITE("sh_string_from_str(" #str ")"))
#define sh_string_from_bytes(p, n)                                                         \
    sh_string_from_bytes_at((p), (n), SH_SITE("sh_string_from_bytes(" #p ", " #n ")"))
#define sh_string_with_capacity(n)                                                         \
    sh_string_with_capacity_at((n), SH_SITE("sh_string_with_capacity(" #n ")"))
#define sh_string_clone(s) sh_string_clone_at((s), SH_SITE(#s))

#define sh_string_push(s, c) sh_string_push_at((s), (c), SH_SITE(#s))
#define sh_string_push_str(s, cstr)                                                        \
    shi_string_push_fast((s), (cstr), strlen(cstr), SH_SITE(#s))
#define sh_string_push_view(s, str)                                                        \
    __extension__ ({ sh_str shi_pv_ = (str);                                               \
       shi_string_push_fast((s), shi_pv_.ptr, shi_pv_.len, SH_SITE(#s)); })
#define sh_string_push_bytes(s, p, n) shi_string_push_fast((s), (p), (n), SH_SITE(#s))
/* Appends printf-style formatted text (Rust's write!(s, ...)). */
#define sh_string_format(s, ...) sh_string_format_at((s), SH_SITE(#s), __VA_ARGS__)
#define sh_string_pop(s) sh_string_pop_at((s), SH_SITE(#s))           /* byte, or -1 if empty */
#define sh_string_insert(s, i, c) sh_string_insert_at((s), (i), (c), SH_SITE(#s))
#define sh_string_insert_str(s, i, cstr) sh_string_insert_str_at((s), (i), (cstr), SH_SITE(#s))
#define sh_string_remove(s, i) sh_string_remove_at((s), (i), SH_SITE(#s))   /* the byte */
#define sh_string_truncate(s, n) sh_string_truncate_at((s), (n), SH_SITE(#s))
#define sh_string_clear(s) sh_string_truncate_at((s), 0, SH_SITE(#s))
#define sh_string_reserve(s, n) sh_string_reserve_at((s), (n), 0, SH_SITE(#s))
#define sh_string_reserve_exact(s, n) sh_string_reserve_at((s), (n), 1, SH_SITE(#s))
#define sh_string_shrink_to_fit(s) sh_string_shrink_to_fit_at((s), SH_SITE(#s))
#define sh_string_len(s) (sh_rawvec_use(&(s)->raw, SH_SITE(#s))->len)
#define sh_string_cap(s) (sh_rawvec_use(&(s)->raw, SH_SITE(#s))->cap)
#define sh_string_is_empty(s) (sh_string_len(s) == 0)
/* The whole string as a view (Rust's as_str / &s[..]), and a byte range [start, end). */
#define sh_string_as_str(s) sh_string_slice_at((s), 0, SIZE_MAX, SH_SITE(#s))
#define sh_string_slice(s, start, end) sh_string_slice_at((s), (start), (end), SH_SITE(#s))
/* The bytes as a C string; never NULL. */
#define sh_string_cstr(s) ((const char *)sh_string_slice_at((s), 0, SIZE_MAX, SH_SITE(#s)).ptr)
#define sh_string_at(s, i) (*(char *)sh_rawvec_at(&(s)->raw, 1, (i), SH_SITE(#s)))
#define sh_string_eq(a, b) sh_rawvec_eq(&(a)->raw, &(b)->raw, 1, SH_SITE(#a))
#define sh_string_eq_str(s, cstr) sh_str_eq(sh_string_as_str(s), sh_str_from(cstr))

/* As the raw layer above: the string is never NULL, nor a C string; the site may be. */
SH_OWN_API SH_NONNULL(1) SH_WARN_UNUSED
sh_string sh_string_from_at(const char *cstr, const sh_site *s);
SH_OWN_API SH_WARN_UNUSED
sh_string sh_string_from_bytes_at(const char *p, size_t n, const sh_site *s);
SH_OWN_API SH_WARN_UNUSED
sh_string sh_string_with_capacity_at(size_t cap, const sh_site *s);
SH_OWN_API SH_NONNULL(1) SH_WARN_UNUSED
sh_string sh_string_clone_at(const sh_string *str, const sh_site *s);
SH_OWN_API SH_NONNULL(1) void sh_string_push_at(sh_string *str, char c, const sh_site *s);
__attribute__((format(printf, 3, 4)))
SH_OWN_API SH_NONNULL(1, 3)
void sh_string_format_at(sh_string *str, const sh_site *s, const char *fmt, ...);
SH_OWN_API SH_NONNULL(1, 3)
void sh_string_vformat_at(sh_string *str, const sh_site *s, const char *fmt, va_list ap);
SH_OWN_API SH_NONNULL(1) int sh_string_pop_at(sh_string *str, const sh_site *s);
SH_OWN_API SH_NONNULL(1)
void sh_string_insert_at(sh_string *str, size_t index, char c, const sh_site *s);
SH_OWN_API SH_NONNULL(1, 3)
void sh_string_insert_str_at(sh_string *str, size_t index, const char *cstr, const sh_site *s);
SH_OWN_API SH_NONNULL(1)
char sh_string_remove_at(sh_string *str, size_t index, const sh_site *s);
SH_OWN_API SH_NONNULL(1)
void sh_string_truncate_at(sh_string *str, size_t len, const sh_site *s);
SH_OWN_API SH_NONNULL(1)
void sh_string_reserve_at(sh_string *str, size_t additional, int exact, const sh_site *s);
SH_OWN_API SH_NONNULL(1) void sh_string_shrink_to_fit_at(sh_string *str, const sh_site *s);
SH_OWN_API SH_NONNULL(1)
sh_str sh_string_slice_at(const sh_string *str, size_t start, size_t end, const sh_site *s);

/* Frees the string's block and leaves it dropped; accepts NULL and empty handles. */
SH_OWN_API void sh_string_drop(sh_string *str);
SH_OWN_API void sh_string_autodrop(sh_string *str);    /* what sh_auto(sh_string) calls */

/* ---- vecs: Rust's Vec<T>  -------------------------------------------------------------------- */

/* Declares the vec type `name` of elements T, with its name_drop and name_autodrop.
 * SH_VEC_DECLARE_DROP also names the element's drop, `void elem_drop(T *)`, called on every
 * element the vec drops (truncate, clear, drop): a vec of owners. Generic operations that
 * would copy or drop elements without it (clone, eq, truncate, clear) refuse such a vec at
 * compile time; use name_truncate and name_clear. */
#define SH_VEC_DECLARE(name, T) SHI_VEC_DECLARE(name, T, NULL, char shi_plain_[0];)
#define SH_VEC_DECLARE_DROP(name, T, elem_drop)                                            \
    SHI_GEN void name##_elem_drop(void *shi_e_) { elem_drop((T *)shi_e_); }                \
    SHI_VEC_DECLARE(name, T, name##_elem_drop, )                                           \
    SHI_GEN void name##_truncate(name *shi_v_, size_t shi_n_) {                            \
        sh_rawvec_truncate(&shi_v_->raw, sizeof(T), shi_n_, name##_elem_drop,              \
                           SH_SITE(#name "_truncate"));                                    \
    }                                                                                      \
    SHI_GEN void name##_clear(name *shi_v_) { name##_truncate(shi_v_, 0); }

#define SHI_VEC_DECLARE(name, T, drop_fn, plain_marker)                                    \
    typedef union name {                                                                   \
        __extension__ struct { T *ptr; size_t len; size_t cap; plain_marker };             \
        sh_rawvec raw;                                                                     \
    } name;                                                                                \
    SHI_STATIC_ASSERT(sizeof(name) == 3 * sizeof(void *), #name " is {ptr, len, cap}");    \
    SHI_GEN void name##_drop(name *shi_v_) {                                               \
        if (shi_v_) sh_rawvec_drop(&shi_v_->raw, sizeof(T), drop_fn, 1);                   \
    }                                                                                      \
    SHI_GEN void name##_autodrop(name *shi_v_) {                                           \
        sh_rawvec_drop(&shi_v_->raw, sizeof(T), drop_fn, 0);                               \
    }

#define SHI_ESIZE(v) sizeof(*(v)->ptr)
/* Compile-time refusal for vecs of owners (see SH_VEC_DECLARE_DROP). */
#define SHI_PLAIN(v) ((void)sizeof((v)->shi_plain_))

#define sh_vec_new(T) SHI_OWN_NEW(T)
#define sh_vec_with_capacity(T, n)                                                         \
    SHI_OWN_MAKE(T, sh_rawvec_with_capacity(sizeof(*((T *)0)->ptr), (n),                   \
                                        SH_SITE("sh_vec_with_capacity(" #T ", " #n ")")))
/* sh_vec_from(sh_vec_i32, 1, 2, 3): len 3, cap 3 (Rust's vec![1, 2, 3]). C++ has no
 * compound literals: there the elements go through a named array. */
#ifndef __cplusplus
#define sh_vec_from(T, ...)                                                                \
    ((T){.raw = sh_rawvec_from((__typeof__(*((T *)0)->ptr)[]){__VA_ARGS__},               \
                               sizeof(*((T *)0)->ptr),                                     \
                               sizeof((__typeof__(*((T *)0)->ptr)[]){__VA_ARGS__}) /       \
                                   sizeof(*((T *)0)->ptr),                                 \
                               SH_SITE("sh_vec_from(" #T ", ...)"))})
#else
#define sh_vec_from(T, ...)                                                                \
    __extension__ ({ const __typeof__(*((T *)0)->ptr) shi_fr_elems_[] = {__VA_ARGS__};     \
       SHI_OWN_MAKE(T, sh_rawvec_from(shi_fr_elems_, sizeof shi_fr_elems_[0],              \
                                      sizeof shi_fr_elems_ / sizeof shi_fr_elems_[0],      \
                                      SH_SITE("sh_vec_from(" #T ", ...)"))); })
#endif

/* A push with room is inlined: a moved-from, dropped or fresh handle has cap 0, so it
 * always takes the library call, which does the checks and the growth. */
#define sh_vec_push(v, x)                                                                  \
    __extension__ ({ __typeof__(*(v)->ptr) shi_push_x_ = (x);                              \
       if (__builtin_expect((v)->len < (v)->cap, 1))                                       \
           (v)->ptr[(v)->len++] = shi_push_x_;                                             \
       else                                                                                \
           *(__typeof__((v)->ptr))sh_rawvec_push(&(v)->raw, SHI_ESIZE(v), SH_SITE(#v)) =   \
               shi_push_x_;                                                                \
       (void)0; })
/* Appends n elements copied from src (Rust's extend_from_slice). */
#define sh_vec_extend(v, src, n)                                                           \
    __extension__ ({ const __typeof__(*(v)->ptr) *shi_ext_src_ = (src);                    \
       sh_rawvec_extend(&(v)->raw, SHI_ESIZE(v), shi_ext_src_, (n), SH_SITE(#v)); })
/* Moves the last element into *ret_elem; false (and *ret_elem untouched) if empty. */
#define sh_vec_pop(v, ret_elem)                                                            \
    __extension__ ({ __typeof__((v)->ptr) shi_pop_r_ = (ret_elem);                         \
       sh_rawvec_pop(&(v)->raw, SHI_ESIZE(v), shi_pop_r_, SH_SITE(#v)); })
#define sh_vec_insert(v, index, x)                                                         \
    __extension__ ({ __typeof__(*(v)->ptr) shi_ins_x_ = (x);                               \
       *(__typeof__((v)->ptr))sh_rawvec_insert(&(v)->raw, SHI_ESIZE(v), (index),           \
                                               SH_SITE(#v)) = shi_ins_x_; (void)0; })
/* Removes and returns the element at index, shifting the rest down. */
#define sh_vec_remove(v, index)                                                            \
    __extension__ ({ __typeof__(*(v)->ptr) shi_rm_x_;                                      \
       sh_rawvec_remove(&(v)->raw, SHI_ESIZE(v), (index), &shi_rm_x_, SH_SITE(#v));        \
       shi_rm_x_; })
/* Removes and returns the element at index, moving the last one into its place: O(1). */
#define sh_vec_swap_remove(v, index)                                                       \
    __extension__ ({ __typeof__(*(v)->ptr) shi_srm_x_;                                     \
       sh_rawvec_swap_remove(&(v)->raw, SHI_ESIZE(v), (index), &shi_srm_x_, SH_SITE(#v));  \
       shi_srm_x_; })
#define sh_vec_truncate(v, n)                                                              \
    (SHI_PLAIN(v), sh_rawvec_truncate(&(v)->raw, SHI_ESIZE(v), (n), NULL, SH_SITE(#v)))
#define sh_vec_clear(v) sh_vec_truncate(v, 0)
#define sh_vec_reserve(v, n) sh_rawvec_reserve(&(v)->raw, SHI_ESIZE(v), (n), SH_SITE(#v))
#define sh_vec_reserve_exact(v, n)                                                         \
    sh_rawvec_reserve_exact(&(v)->raw, SHI_ESIZE(v), (n), SH_SITE(#v))
#define sh_vec_shrink_to_fit(v) sh_rawvec_shrink_to_fit(&(v)->raw, SHI_ESIZE(v), SH_SITE(#v))

#define sh_vec_len(v) (sh_rawvec_use(&(v)->raw, SH_SITE(#v))->len)
#define sh_vec_cap(v) (sh_rawvec_use(&(v)->raw, SH_SITE(#v))->cap)
#define sh_vec_is_empty(v) (sh_vec_len(v) == 0)
/* The element at index as an lvalue, v[index]: panics when out of bounds. */
#define sh_vec_at(v, index)                                                                \
    (*(__typeof__((v)->ptr))sh_rawvec_at(&(v)->raw, SHI_ESIZE(v), (index), SH_SITE(#v)))
/* A pointer to the element at index, or NULL when out of bounds (Rust's get). */
#define sh_vec_get(v, index)                                                               \
    ((__typeof__((v)->ptr))sh_rawvec_get(&(v)->raw, SHI_ESIZE(v), (index), SH_SITE(#v)))
/* &v[start..end]: a pointer to element start, after Rust's range checks; its length is
 * end - start. */
#define sh_vec_slice(v, start, end)                                                        \
    ((__typeof__((v)->ptr))sh_rawvec_slice(&(v)->raw, SHI_ESIZE(v), (start), (end),        \
                                           SH_SITE(#v)))
/* A new vec with the same elements, cap = len (Rust's clone). Plain elements only. */
#define sh_vec_clone(v)                                                                    \
    __extension__ ({ SHI_PLAIN(v); __typeof__(*(v)) shi_cl_;                               \
       shi_cl_.raw = sh_rawvec_clone(&(v)->raw, SHI_ESIZE(v), SH_SITE(#v)); shi_cl_; })
/* Same length and the same bytes in every element. Plain elements only. */
#define sh_vec_eq(a, b)                                                                    \
    __extension__ ({ SHI_PLAIN(a); (void)sizeof((a)->ptr == (b)->ptr);                     \
       sh_rawvec_eq(&(a)->raw, &(b)->raw, SHI_ESIZE(a), SH_SITE(#a)); })

/* for (T *it over v): sh_vec_foreach(it, &v) printf("%d\n", *it); */
#define sh_vec_foreach(it, v)                                                              \
    for (__typeof__((v)->ptr) it = (__typeof__((v)->ptr))sh_rawvec_use(&(v)->raw,          \
                                       SH_SITE(#v))->ptr,                                  \
                              it##_end_ = it + (v)->len;                                   \
         it < it##_end_; it++)

/* The ready vec types. */
SH_VEC_DECLARE(sh_vec_i8, int8_t)
SH_VEC_DECLARE(sh_vec_i16, int16_t)
SH_VEC_DECLARE(sh_vec_i32, int32_t)
SH_VEC_DECLARE(sh_vec_i64, int64_t)
SH_VEC_DECLARE(sh_vec_u8, uint8_t)
SH_VEC_DECLARE(sh_vec_u16, uint16_t)
SH_VEC_DECLARE(sh_vec_u32, uint32_t)
SH_VEC_DECLARE(sh_vec_u64, uint64_t)
SH_VEC_DECLARE(sh_vec_f32, float)
SH_VEC_DECLARE(sh_vec_f64, double)
SH_VEC_DECLARE(sh_vec_bool, bool)
SH_VEC_DECLARE(sh_vec_size, size_t)
SH_VEC_DECLARE(sh_vec_ptr, void *)
SH_VEC_DECLARE(sh_vec_char, char)
SH_VEC_DECLARE_DROP(sh_vec_string, sh_string, sh_string_drop)

/* ---- boxes: Rust's Box<T>  ------------------------------------------------------------------- */

/* Declares the box type `name` holding one T on the heap: one pointer. SH_BOX_DECLARE_DROP
 * names T's drop, `void elem_drop(T *)`, run before the block is freed (a box of an owner). */
#define SH_BOX_DECLARE(name, T) SHI_BOX_DECLARE(name, T, NULL, )
#define SH_BOX_DECLARE_DROP(name, T, elem_drop)                                            \
    SHI_GEN void name##_elem_drop(void *shi_e_) { elem_drop((T *)shi_e_); }                \
    SHI_BOX_DECLARE(name, T, name##_elem_drop, )

#define SHI_BOX_DECLARE(name, T, drop_fn, unused_)                                         \
    typedef union name { T *ptr; void *raw; } name;                                        \
    SHI_STATIC_ASSERT(sizeof(name) == sizeof(void *), #name " is one pointer");            \
    SHI_GEN void name##_drop(name *shi_b_) {                                               \
        if (shi_b_) sh_rawbox_drop(&shi_b_->raw, drop_fn, 1);                              \
    }                                                                                      \
    SHI_GEN void name##_autodrop(name *shi_b_) {                                           \
        sh_rawbox_drop(&shi_b_->raw, drop_fn, 0);                                          \
    }

/* Box::new(value): value is moved into a new heap block of sizeof(T) bytes. */
#define sh_box_new(T, value)                                                               \
    __extension__ ({ __typeof__(*((T *)0)->ptr) shi_bx_v_ = (value);                       \
       SHI_OWN_MAKE(T, sh_rawbox_new(sizeof shi_bx_v_, &shi_bx_v_,                         \
                                     SH_SITE("sh_box_new(" #T ", " #value ")"))); })
/* A pointer to the boxed value (*b in Rust); checks for use after move in checked mode. */
#define sh_box_get(b) ((__typeof__((b)->ptr))sh_rawbox_use((b)->raw, SH_SITE(#b)))
/* Moves the value out and frees the box (Rust's *b on a Box by value). */
#define sh_box_into_inner(b)                                                               \
    __extension__ ({ __typeof__(*(b)->ptr) shi_inner_;                                     \
       sh_rawbox_into_inner(&(b)->raw, sizeof shi_inner_, &shi_inner_, SH_SITE(#b));       \
       shi_inner_; })

SH_BOX_DECLARE(sh_box_i8, int8_t)
SH_BOX_DECLARE(sh_box_i16, int16_t)
SH_BOX_DECLARE(sh_box_i32, int32_t)
SH_BOX_DECLARE(sh_box_i64, int64_t)
SH_BOX_DECLARE(sh_box_u8, uint8_t)
SH_BOX_DECLARE(sh_box_u16, uint16_t)
SH_BOX_DECLARE(sh_box_u32, uint32_t)
SH_BOX_DECLARE(sh_box_u64, uint64_t)
SH_BOX_DECLARE(sh_box_f32, float)
SH_BOX_DECLARE(sh_box_f64, double)
SH_BOX_DECLARE(sh_box_bool, bool)
SH_BOX_DECLARE(sh_box_size, size_t)
SH_BOX_DECLARE_DROP(sh_box_string, sh_string, sh_string_drop)

SHI_STATIC_ASSERT(sizeof(sh_string) == 3 * sizeof(void *), "sh_string is {ptr, len, cap}");
SHI_STATIC_ASSERT(sizeof(sh_str) == 2 * sizeof(void *), "sh_str is {ptr, len}");

#ifdef __cplusplus
}
#endif
#endif /* STACKHEAP_OWN_H */
