/*
 * scope.c — each thread's default stack, and the frames sh_stack_scope opens.
 *
 * The default stack is made on a thread's first use, not at thread start: most threads
 * never use one. A pthread key's destructor frees it when the thread exits; the __thread
 * pointer is the fast way to it, the key only exists for the destructor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

#include "core/panic.h"
#include "internal.h"

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static bool key_ok;
static __thread sh_stack *thread_stack;

static void thread_exit(void *arg) {
    thread_stack = NULL;
    sh_stack_destroy(arg);
}

static void make_key(void) {
    key_ok = pthread_key_create(&key, thread_exit) == 0;
}

static sh_stack *create_default(void) {
    pthread_once(&key_once, make_key);
    if (!key_ok) { errno = ENOMEM; return NULL; }
    sh_stack *st = sh_stack_new(SH_STACK_DEFAULT_CAPACITY);
    if (!st) return NULL;
    if (pthread_setspecific(key, st) != 0) {
        sh_stack_destroy(st);
        errno = ENOMEM;
        return NULL;
    }
    thread_stack = st;
    return st;
}

SH_API sh_stack *sh_stack_default(void) {
    sh_stack *st = thread_stack;
    return likely(st != NULL) ? st : create_default();
}

SH_API sh_stack *sh_stack_xdefault_at(const char *file, int line) {
    sh_stack *st = sh_stack_default();
    if (unlikely(!st))
        shi_panic_at(file, line, "cannot create this thread's default stack of %zu bytes: out of memory",
                     SH_STACK_DEFAULT_CAPACITY);
    return st;
}

SH_API sh_stack_scope_guard sh_stack_scope_begin_at(sh_stack *st, const char *name, const char *file, int line) {
    return (sh_stack_scope_guard){st, sh_stack_xpush_at(st, name, file, line), file, line};
}
