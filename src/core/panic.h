/*
 * src/core/panic.h — the one way a broken contract ends the program.
 *
 *     SHI_PANIC("index out of bounds: the len is %zu but the index is %zu", len, i);
 *
 * prints, as Rust does,
 *
 *     stackheap: panicked at examples/vec.c:12:
 *     index out of bounds: the len is 3 but the index is 5
 *
 * then aborts. The location is the caller's: public entry points that can panic take
 * `file` and `line` from a macro in their header, so the message names the user's line.
 * It writes with write(2) and a stack buffer: safe even when the heap is what is broken.
 */
#ifndef SH_CORE_PANIC_H
#define SH_CORE_PANIC_H

#define SHI_PANIC(...) shi_panic_at(__FILE__, __LINE__, __VA_ARGS__)

__attribute__((noreturn, format(printf, 3, 4), visibility("hidden")))
void shi_panic_at(const char *file, int line, const char *fmt, ...);

#endif
