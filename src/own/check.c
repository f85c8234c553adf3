/*
 * check.c — checked mode for owned values: use after move, double drop, leaks at exit.
 *
 * On when the heap's checked mode is (sh_heap_checked(): STACKHEAP_CHECK=1 or a build with
 * -DSTACKHEAP_CHECKED=ON), so one switch turns on every check of the library.
 *
 * Every owned block is registered with where it was allocated: a hash table keyed by the
 * block's address (open addressing, backward-shift deletion). A dropped block leaves a
 * tombstone in a small ring, remembering the handle that dropped it, so a second drop
 * (of the same handle, or of a bitwise copy) names what was dropped. What is still
 * registered at exit was never dropped: the leak report.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "../heap/internal.h"

typedef struct entry {
    void *p;                  /* NULL: a free slot */
    size_t bytes;
    const shi_own_kind *kind;
    const sh_site *site;
} entry;

typedef struct tombstone {
    void *p;
    const void *handle;
    const shi_own_kind *kind;
    const sh_site *site;
} tombstone;

#define TOMBSTONES 256

static struct {
    pthread_mutex_t lock;
    entry *slots;
    size_t cap, count;        /* cap: a power of two, or 0 before the first block */
    tombstone ring[TOMBSTONES];
    size_t ring_next;
    int report_registered;
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

static atomic_int checked_state = -1;   /* -1: not asked yet */

int shi_own_checked(void) {
    int c = atomic_load_explicit(&checked_state, memory_order_relaxed);
    if (c < 0) {
        c = sh_heap_checked() ? 1 : 0;
        atomic_store_explicit(&checked_state, c, memory_order_relaxed);
    }
    return c;
}

const char *shi_own_name(const sh_site *s, char *buf, size_t size) {
    const char *e = s && s->expr ? s->expr : "?";
    while (*e == '&' || *e == ' ') e++;
    snprintf(buf, size, "%s", e);
    return buf;
}

void shi_own_check_use(const void *p, const sh_site *s) {
    if (p != SH_OWN_MOVED && p != SH_OWN_DROPPED) return;
    if (!shi_own_checked()) return;
    char name[128];
    SHI_OWN_PANIC(s, "use of %s value: '%s'", p == SH_OWN_MOVED ? "moved" : "dropped",
                  shi_own_name(s, name, sizeof name));
}

/* ---- the table ---- */

static size_t slot_of(const void *p, size_t cap) {
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static entry *find(const void *p) {
    if (reg.cap == 0) return NULL;
    for (size_t i = slot_of(p, reg.cap);; i = (i + 1) & (reg.cap - 1)) {
        if (reg.slots[i].p == p) return &reg.slots[i];
        if (reg.slots[i].p == NULL) return NULL;
    }
}

static void put(entry e) {
    size_t i = slot_of(e.p, reg.cap);
    while (reg.slots[i].p) i = (i + 1) & (reg.cap - 1);
    reg.slots[i] = e;
    reg.count++;
}

/* The table's own memory is not an owned value, nor the program's heap: it comes from the
 * OS as the heap's metadata does, so neither heap statistics nor a tracer watching sh_malloc
 * (stackheap run) count the checker's bookkeeping as the program's. */
static void grow_table(void) {
    entry *old = reg.slots;
    size_t old_cap = reg.cap;
    reg.cap = old_cap ? old_cap * 2 : 1024;
    reg.slots = shi_os_map_meta(reg.cap * sizeof *reg.slots);
    if (!reg.slots) shi_panic_at(NULL, 0, "memory allocation of %zu bytes failed",
                                 reg.cap * sizeof *reg.slots);
    reg.count = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].p) put(old[i]);
    shi_os_unmap_meta(old, old_cap * sizeof *old);
}

/* Backward-shift deletion keeps every probe chain unbroken without markers. */
static void erase(entry *e) {
    size_t mask = reg.cap - 1, hole = (size_t)(e - reg.slots);
    reg.slots[hole].p = NULL;
    reg.count--;
    for (size_t i = (hole + 1) & mask; reg.slots[i].p; i = (i + 1) & mask) {
        size_t home = slot_of(reg.slots[i].p, reg.cap);
        /* the entry may move to the hole if its home is not in (hole, i] */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            reg.slots[hole] = reg.slots[i];
            reg.slots[i].p = NULL;
            hole = i;
        }
    }
}

static void forget_tombstone(const void *p) {
    for (size_t i = 0; i < TOMBSTONES; i++)
        if (reg.ring[i].p == p) reg.ring[i].p = NULL;
}

static const tombstone *find_tombstone(const void *p, const void *handle) {
    for (size_t k = 0; k < TOMBSTONES; k++) {
        const tombstone *t = &reg.ring[(reg.ring_next + TOMBSTONES - 1 - k) % TOMBSTONES];
        if ((p && t->p == p) || (handle && t->handle == handle && t->p)) return t;
    }
    return NULL;
}

static void report_leaks(void);

void shi_own_track(void *p, size_t bytes, const shi_own_kind *k, const sh_site *s) {
    if (!shi_own_checked()) return;
    pthread_mutex_lock(&reg.lock);
    if ((reg.count + 1) * 2 > reg.cap) grow_table();
    forget_tombstone(p);
    put((entry){p, bytes, k, s});
    if (!reg.report_registered) {
        reg.report_registered = 1;
        atexit(report_leaks);
    }
    pthread_mutex_unlock(&reg.lock);
}

void shi_own_retrack(void *old_p, void *new_p, size_t bytes) {
    if (!shi_own_checked()) return;
    pthread_mutex_lock(&reg.lock);
    entry *e = find(old_p);
    if (e) {
        entry moved = *e;
        erase(e);
        moved.p = new_p;
        moved.bytes = bytes;
        forget_tombstone(new_p);
        put(moved);
    }
    pthread_mutex_unlock(&reg.lock);
}

static _Noreturn void double_drop(const tombstone *t, const shi_own_kind *k) {
    char name[160] = "";
    if (t && t->site && t->site->expr) snprintf(name, sizeof name, " (%s)", t->site->expr);
    pthread_mutex_unlock(&reg.lock);
    if (t && t->site)
        shi_panic_at(t->site->file, t->site->line,
                     "double drop of a %s: it was already dropped; it was allocated here%s",
                     t->kind->name, name);
    shi_panic_at(NULL, 0, "double drop of a %s: it was already dropped", k->name);
}

void shi_own_untrack(void *p, const void *handle, const shi_own_kind *k) {
    if (!shi_own_checked()) return;
    pthread_mutex_lock(&reg.lock);
    entry *e = find(p);
    if (!e) double_drop(find_tombstone(p, NULL), k);
    reg.ring[reg.ring_next] = (tombstone){p, handle, e->kind, e->site};
    reg.ring_next = (reg.ring_next + 1) % TOMBSTONES;
    erase(e);
    pthread_mutex_unlock(&reg.lock);
}

void shi_own_check_redrop(const void *handle, const shi_own_kind *k) {
    if (!shi_own_checked()) return;
    pthread_mutex_lock(&reg.lock);
    double_drop(find_tombstone(NULL, handle), k);
}

/* ---- the leak report ---- */

static void say(const char *s) {
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(2, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void report_leaks(void) {
    pthread_mutex_lock(&reg.lock);
    size_t total = 0, count = 0;
    char line[512];
    for (size_t i = 0; i < reg.cap; i++) {
        const entry *e = &reg.slots[i];
        if (!e->p) continue;
        count++;
        total += e->bytes;
        char name[128];
        snprintf(line, sizeof line,
                 "stackheap: leaked: a %s of %zu bytes allocated at %s:%d (%s) was never "
                 "dropped\n", e->kind->name, e->bytes, e->site ? e->site->file : "?",
                 e->site ? e->site->line : 0, shi_own_name(e->site, name, sizeof name));
        say(line);
    }
    if (count) {
        snprintf(line, sizeof line, "stackheap: %zu owned value%s leaked (%zu bytes)\n",
                 count, count == 1 ? "" : "s", total);
        say(line);
    }
    pthread_mutex_unlock(&reg.lock);
}
