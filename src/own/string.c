/*
 * string.c — Rust's String: a vec of bytes whose block keeps one more byte than its
 * capacity, always NUL, so s.ptr is a C string. len and cap are Rust's numbers.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define KIND (&shi_own_string_kind)

/* After any change of len or block: the byte after the text is the terminator. Empty
 * strings point at a marker, which already reads as "". */
static void terminate(sh_string *str) {
    if (str->cap > 0) str->ptr[str->len] = '\0';
}

static void reserve(sh_string *str, size_t additional, int exact, const sh_site *s) {
    shi_own_reserve(&str->raw, 1, additional, exact, KIND, s);
}

sh_string sh_string_with_capacity_at(size_t cap, const sh_site *s) {
    sh_string str = sh_string_new();
    shi_own_resize(&str.raw, 1, cap, KIND, s);
    terminate(&str);
    return str;
}

sh_string sh_string_from_bytes_at(const char *p, size_t n, const sh_site *s) {
    sh_string str = sh_string_with_capacity_at(n, s);
    if (n) memcpy(str.ptr, p, n);
    str.len = n;
    terminate(&str);
    return str;
}

sh_string sh_string_from_at(const char *cstr, const sh_site *s) {
    return sh_string_from_bytes_at(cstr, strlen(cstr), s);
}

sh_string sh_string_clone_at(const sh_string *str, const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    return sh_string_from_bytes_at(str->ptr, str->len, s);
}

void sh_string_push_at(sh_string *str, char c, const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    if (str->len == str->cap) reserve(str, 1, 0, s);
    str->ptr[str->len++] = c;
    terminate(str);
}

void sh_string_push_bytes_at(sh_string *str, const char *p, size_t n, const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    if (n == 0) return;
    /* p may point into str itself: keep its offset across a regrowth */
    int inside = str->cap > 0 && p >= str->ptr && p < str->ptr + str->cap;
    size_t off = inside ? (size_t)(p - str->ptr) : 0;
    reserve(str, n, 0, s);
    memcpy(str->ptr + str->len, inside ? str->ptr + off : p, n);
    str->len += n;
    terminate(str);
}

void sh_string_vformat_at(sh_string *str, const sh_site *s, const char *fmt, va_list ap) {
    shi_own_check_use(str->ptr, s);
    va_list ap2;
    va_copy(ap2, ap);
    char probe[1];
    int n = vsnprintf(probe, sizeof probe, fmt, ap2);
    va_end(ap2);
    if (n < 0) SHI_OWN_PANIC(s, "a formatting trait implementation returned an error");
    reserve(str, (size_t)n, 0, s);
    if (n > 0) vsnprintf(str->ptr + str->len, (size_t)n + 1, fmt, ap);  /* the +1: the NUL */
    str->len += (size_t)n;
    terminate(str);
}

void sh_string_format_at(sh_string *str, const sh_site *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sh_string_vformat_at(str, s, fmt, ap);
    va_end(ap);
}

int sh_string_pop_at(sh_string *str, const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    if (str->len == 0) return -1;
    unsigned char c = (unsigned char)str->ptr[--str->len];
    terminate(str);
    return c;
}

static void insert_bytes(sh_string *str, size_t index, const char *p, size_t n,
                         const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    if (index > str->len)
        SHI_OWN_PANIC(s, "insertion index (is %zu) should be <= len (is %zu)", index, str->len);
    if (n == 0) return;
    sh_string copy = sh_string_new();
    if (str->cap > 0 && p >= str->ptr && p < str->ptr + str->cap) {
        copy = sh_string_from_bytes_at(p, n, s);   /* the text would move under our feet */
        p = copy.ptr;
    }
    reserve(str, n, 0, s);
    memmove(str->ptr + index + n, str->ptr + index, str->len - index);
    memcpy(str->ptr + index, p, n);
    str->len += n;
    terminate(str);
    sh_string_drop(&copy);
}

void sh_string_insert_at(sh_string *str, size_t index, char c, const sh_site *s) {
    insert_bytes(str, index, &c, 1, s);
}

void sh_string_insert_str_at(sh_string *str, size_t index, const char *cstr,
                             const sh_site *s) {
    insert_bytes(str, index, cstr, strlen(cstr), s);
}

char sh_string_remove_at(sh_string *str, size_t index, const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    if (index >= str->len)
        SHI_OWN_PANIC(s, "removal index (is %zu) should be < len (is %zu)", index, str->len);
    char c = str->ptr[index];
    memmove(str->ptr + index, str->ptr + index + 1, str->len - index - 1);
    str->len--;
    terminate(str);
    return c;
}

void sh_string_truncate_at(sh_string *str, size_t len, const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    if (len >= str->len) return;
    str->len = len;
    terminate(str);
}

void sh_string_reserve_at(sh_string *str, size_t additional, int exact, const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    reserve(str, additional, exact, s);
    terminate(str);
}

void sh_string_shrink_to_fit_at(sh_string *str, const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    if (str->cap > str->len) shi_own_resize(&str->raw, 1, str->len, KIND, s);
    terminate(str);
}

sh_str sh_string_slice_at(const sh_string *str, size_t start, size_t end, const sh_site *s) {
    shi_own_check_use(str->ptr, s);
    if (end == SIZE_MAX) end = str->len;
    if (start > end)
        SHI_OWN_PANIC(s, "begin <= end (%zu <= %zu) when slicing `%.*s`", start, end,
                      (int)str->len, str->ptr);
    if (end > str->len)
        SHI_OWN_PANIC(s, "byte index %zu is out of bounds of `%.*s`", end, (int)str->len,
                      str->ptr);
    /* a {0}-initialised string has ptr NULL: a view of it is still a C string */
    return (sh_str){str->ptr ? str->ptr + start : (const char *)SH_OWN_EMPTY, end - start};
}

void sh_string_drop(sh_string *str) {
    if (str) shi_own_drop_vec(&str->raw, 1, NULL, 1, KIND);
}

void sh_string_autodrop(sh_string *str) {
    shi_own_drop_vec(&str->raw, 1, NULL, 0, KIND);
}
