/*
 * stack_frames.c — the lesson's stack as a frame allocator: push, bump, pop, overflow.
 *
 *     build/examples/stack_frames
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <stackheap/stack.h>

static int print_frame(const sh_stack_frame_info *f, void *arg) {
    (void)arg;
    printf("    frame #%zu %-6s at offset %4zu: %3zu bytes used\n", f->depth,
           f->name ? f->name : "-", f->offset, f->used);
    return 0;
}

static void show(sh_stack *st, const char *when) {
    sh_stack_stats s;
    sh_stack_get_stats(st, &s);
    printf("  %s: %zu of %zu bytes used, %zu frame(s)\n", when, s.used, s.capacity, s.depth);
    sh_stack_walk(st, print_frame, NULL);
}

int add(sh_stack *st, int a, int b);

/* add() gets a frame of its own, as the lesson's add() does on the real stack. */
int add(sh_stack *st, int a, int b) {
    sh_stack_frame *f = sh_stack_push(st, "add");
    int *result = sh_stack_alloc(st, sizeof *result);
    *result = a + b;
    show(st, "inside add()");
    int r = *result;
    sh_stack_pop(st, f);
    return r;
}

int main(void) {
    sh_stack *st = sh_stack_new(1024);
    sh_stack_frame *f = sh_stack_push(st, "main");
    int *x = sh_stack_alloc(st, sizeof *x);
    int *y = sh_stack_alloc(st, sizeof *y);
    *x = 5;
    *y = 10;
    show(st, "main() called");
    int sum = add(st, *x, *y);
    show(st, "add() returned");
    printf("  sum = %d\n", sum);

    char *big = sh_stack_alloc(st, 4096);
    printf("  asking for 4096 bytes more: %s (errno %s)\n", big ? "got them" : "NULL",
           errno == ENOMEM ? "ENOMEM" : strerror(errno));
    sh_stack_pop(st, f);
    show(st, "main() returned");
    sh_stack_destroy(st);
    return 0;
}
