/*
 * box.c — Rust's Box<T>: one pointer to one value on the heap; and sh_move's bookkeeping.
 */
#include <string.h>

#include "internal.h"

#define KIND (&shi_own_box_kind)

void *sh_rawbox_new(size_t size, const void *value, const sh_site *s) {
    void *p = shi_own_alloc(size, KIND, s);
    memcpy(p, value, size);
    return p;
}

/* A box has no empty state to fall back on: reading a moved-from box panics in every mode,
 * and in checked mode the message says which. */
void *sh_rawbox_use(void *ptr, const sh_site *s) {
    if (!shi_own_is_marker(ptr)) return ptr;
    char name[128];
    SHI_OWN_PANIC(s, "use of %s value: '%s'",
                  ptr == SH_OWN_DROPPED ? "dropped" : ptr == SH_OWN_MOVED ? "moved" : "empty",
                  shi_own_name(s, name, sizeof name));
}

void sh_rawbox_into_inner(void **ptr, size_t size, void *ret_value, const sh_site *s) {
    void *p = sh_rawbox_use(*ptr, s);
    memcpy(ret_value, p, size);
    shi_own_free(p, ptr, KIND);
    *ptr = SH_OWN_MOVED;     /* the box was consumed, as `*b` consumes a Box in Rust */
}

void sh_rawbox_drop(void **ptr, sh_drop_fn drop, int explicit_) {
    void *p = *ptr;
    if (p == SH_OWN_MOVED) return;
    if (p == SH_OWN_DROPPED) {
        if (explicit_) shi_own_check_redrop(ptr, KIND);
        return;
    }
    if (!shi_own_is_marker(p)) {
        if (drop) drop(p);
        shi_own_free(p, ptr, KIND);
    }
    *ptr = SH_OWN_DROPPED;
}

void sh_own_mark_moved(void *handle, size_t size, const sh_site *s) {
    void **ptr = handle;
    shi_own_check_use(*ptr, s);
    memset(handle, 0, size);
    *ptr = SH_OWN_MOVED;
}
