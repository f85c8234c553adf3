/*
 * stackheap/attrs.h — the function attributes the public headers put on their declarations,
 * so that a user's compiler can warn and optimise as it does for malloc and free.
 *
 *     SH_MALLOC SH_ALLOC_SIZE(1) SH_WARN_UNUSED void *sh_malloc(size_t size);
 *     // gcc: "ignoring return value of 'sh_malloc'", -Wmismatched-dealloc on free(p),
 *     // __builtin_object_size(p, 0) and -Wstringop-overflow know the block's size
 *
 * GCC and clang only (tested with __has_attribute, so an older compiler that lacks one
 * simply goes without it); every macro is empty for any other compiler. Included by the
 * other headers: a user never needs it directly. The attribute names are spelled
 * __malloc__ and so on, so that a program's own `#define malloc ...` cannot reach them.
 *
 * What each one promises, which is why a declaration carries it or not:
 *   SH_MALLOC           the result aliases nothing live and holds no pointers to live
 *                       objects (malloc, calloc: not realloc, not an object that points
 *                       to memory of its own such as an sh_stack).
 *   SH_DEALLOC(f, i)    the result is to be released by f (its argument i); GCC 11+
 *                       warns when it goes to another deallocator (free() on an sh_malloc
 *                       block). Unlike SH_MALLOC it says nothing of aliasing.
 *   SH_ALLOC_SIZE(i[,j]) the block holds argument i (times argument j) bytes.
 *   SH_ALLOC_ALIGN(i)   the block is aligned to argument i.
 *   SH_NONNULL(i, ...)  those pointer arguments must not be NULL. Only where the function
 *                       has no NULL case: the compiler may drop a NULL check inside it, so
 *                       a function documented to accept NULL, or to panic on it, has none.
 *   SH_RETURNS_NONNULL  never returns NULL (the x-variants, which panic instead).
 *   SH_WARN_UNUSED      ignoring the result is a bug: a leak, or a failure gone unseen.
 *                       (GCC does not take a (void) cast as using it; clang does.)
 */
#ifndef STACKHEAP_ATTRS_H
#define STACKHEAP_ATTRS_H

#if defined(__has_attribute)
#define SHI_HAS_ATTR(a) __has_attribute(a)
#else
#define SHI_HAS_ATTR(a) 0
#endif

#if SHI_HAS_ATTR(__malloc__)
#define SH_MALLOC __attribute__((__malloc__))
#else
#define SH_MALLOC
#endif

/* The argument form exists in GCC 11 and later only; clang rejects it. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define SH_DEALLOC(dealloc, index) __attribute__((__malloc__(dealloc, index)))
#else
#define SH_DEALLOC(dealloc, index)
#endif

#if SHI_HAS_ATTR(__alloc_size__)
#define SH_ALLOC_SIZE(...) __attribute__((__alloc_size__(__VA_ARGS__)))
#else
#define SH_ALLOC_SIZE(...)
#endif

#if SHI_HAS_ATTR(__alloc_align__)
#define SH_ALLOC_ALIGN(index) __attribute__((__alloc_align__(index)))
#else
#define SH_ALLOC_ALIGN(index)
#endif

#if SHI_HAS_ATTR(__nonnull__)
#define SH_NONNULL(...) __attribute__((__nonnull__(__VA_ARGS__)))
#else
#define SH_NONNULL(...)
#endif

#if SHI_HAS_ATTR(__returns_nonnull__)
#define SH_RETURNS_NONNULL __attribute__((__returns_nonnull__))
#else
#define SH_RETURNS_NONNULL
#endif

#if SHI_HAS_ATTR(__warn_unused_result__)
#define SH_WARN_UNUSED __attribute__((__warn_unused_result__))
#else
#define SH_WARN_UNUSED
#endif

#endif /* STACKHEAP_ATTRS_H */
