/*
 * tests/heap/test_fork_orphans.c — fork() while another thread is half-way through changing
 * one of its pages, made deterministic.
 *
 * A page's owner changes it without a lock, in a few stores; fork() can stop the owner
 * between two of them, and the child then inherits a page whose lists and counts disagree.
 * Here a thread owns two pages (one of 48-byte blocks, one of 200-byte blocks) and waits;
 * the test puts the first page in one of the half-done states its owner passes through,
 * forks, and undoes the damage in the parent. In the child the waiting thread does not
 * exist. The child must find the damaged page quarantined and the sound one reusable,
 * hand out thousands of blocks of that class (none twice, none from the damaged page), free
 * them, and free what it inherited. White-box: the states are written with the heap's own
 * structures (src/heap/internal.h).
 *
 * The states, named for the owner's code that passes through them:
 *   collect_half   page_collect: the blocks other threads freed (two here) linked in front
 *                  of `free`, and `free` set to them, but `used` not counted down yet
 *   extend_half    page_extend: new blocks linked in front of `free`, `capacity` not raised
 *   pop_half       malloc's fast path: a block taken off `free`, `used` not counted up
 *   push_half      free's fast path: a block pushed on `free`, `used` not counted down
 * Before the fork handler checked orphan pages, each of these made the child hang (a cycle
 * in a free list) or hand out a block twice.
 */
#include <pthread.h>

#include <stackheap/heap.h>

#include "check.h"
#include "heap/internal.h"
#include "helpers.h"

#define SMALL 48
#define OTHER 200
#define OWNED 16

typedef struct owner {
    pthread_t thread;
    pthread_barrier_t ready, done;
    char *blocks[OWNED];       /* the odd ones stay live; the even ones are freed */
    char *other[4];
    shi_page *page, *other_page;
} owner;

static void *owner_main(void *arg) {
    owner *o = arg;
    for (int i = 0; i < OWNED; i++) {
        o->blocks[i] = sh_malloc(SMALL);
        if (!o->blocks[i]) _exit(3);
        pat_fill(o->blocks[i], SMALL, (uint64_t)i);
    }
    for (int i = 0; i < 4; i++) o->other[i] = sh_malloc(OTHER);
    for (int i = 0; i < OWNED; i += 2) sh_free(o->blocks[i]);
    o->page = shi_page_of(shi_segment_of(o->blocks[1]), o->blocks[1]);
    o->other_page = shi_page_of(shi_segment_of(o->other[0]), o->other[0]);
    pthread_barrier_wait(&o->ready);
    pthread_barrier_wait(&o->done);
    for (int i = 1; i < OWNED; i += 2) sh_free(o->blocks[i]);
    for (int i = 0; i < 4; i++) sh_free(o->other[i]);
    return NULL;
}

/* ---- the half-done states, and their undoing ----------------------------------------------- */

typedef struct saved {
    shi_block *free;
    uint32_t used;
    shi_block *linked[2];      /* live blocks whose first word the damage overwrote */
    shi_block *linked_next[2];
} saved;

static void save(const shi_page *pg, saved *s) {
    s->free = pg->free;
    s->used = pg->used;
}

static void restore(shi_page *pg, const saved *s) {
    for (int i = 0; i < 2; i++)
        if (s->linked[i]) s->linked[i]->next = s->linked_next[i];
    pg->free = s->free;
    pg->used = s->used;
}

/* The blocks a list change is about: live ones (on no list), which the child must not free
 * (their owner, or the threads that freed them, already did). */
static void *being_freed[2];

static shi_block *unlisted(const shi_page *pg, const shi_block *not) {
    for (uint32_t i = 0; i < pg->capacity; i++) {
        shi_block *c = (shi_block *)(pg->start + (size_t)i * pg->bsize);
        bool listed = c == not;
        for (shi_block *x = pg->free; x && !listed; x = x->next) listed = x == c;
        if (!listed) return c;
    }
    CHECK(!"the page has a live block");
    return NULL;
}

/* Links k live blocks in front of `free`, `used` left as it was. */
static void push_blocks(shi_page *pg, saved *s, int k) {
    shi_block *b[2];
    b[0] = unlisted(pg, NULL);
    b[1] = k > 1 ? unlisted(pg, b[0]) : NULL;
    for (int i = k - 1; i >= 0; i--) {
        s->linked[i] = b[i];
        s->linked_next[i] = b[i]->next;
        b[i]->next = pg->free;
        pg->free = b[i];
        being_freed[i] = b[i];
    }
}

static void collect_half(shi_page *pg, saved *s) { push_blocks(pg, s, 2); }

static void extend_half(shi_page *pg, saved *s) {
    (void)s;
    CHECK(pg->capacity + 2 <= pg->reserved);
    uint8_t *b = pg->start + (size_t)pg->capacity * pg->bsize;
    ((shi_block *)b)->next = (shi_block *)(b + pg->bsize);
    ((shi_block *)(b + pg->bsize))->next = pg->free;
    pg->free = (shi_block *)b;
}

static void pop_half(shi_page *pg, saved *s) {
    (void)s;
    CHECK(pg->free != NULL);
    pg->free = pg->free->next;
}

static void push_half(shi_page *pg, saved *s) { push_blocks(pg, s, 1); }

/* ---- the child ---------------------------------------------------------------------------------- */

static int in_page(const shi_page *pg, const void *p) {
    const uint8_t *b = p;
    return b >= pg->start && b < pg->start + (size_t)pg->slices * SH_SLICE_SIZE;
}

static void child(owner *o, int damaged) {
    alarm(20);
    sh_heap_trim();  /* tidies every orphan now: each page is checked on the way */
    if (damaged) CHECK(o->page->flags & PAGE_QUARANTINED);
    else CHECK(!(o->page->flags & PAGE_QUARANTINED));
    CHECK(!(o->other_page->flags & PAGE_QUARANTINED));
    enum { N = 5000 };
    static char *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = sh_malloc(SMALL);
        CHECK(p[i] != NULL);
        if (damaged && in_page(o->page, p[i])) {
            fprintf(stderr, "block %p handed out from the damaged page\n", (void *)p[i]);
            _exit(1);
        }
        pat_fill(p[i], SMALL, 1000u + (uint64_t)i);
    }
    for (int i = 0; i < N; i++) pat_check(p[i], p[i], SMALL, 1000u + (uint64_t)i, SMALL);
    for (int i = 0; i < N; i++) sh_free(p[i]);
    /* what the thread that is gone left live can still be freed */
    for (int i = 1; i < OWNED; i += 2)
        if (shi_small_block_start(o->page, o->blocks[i]) != being_freed[0] &&
            shi_small_block_start(o->page, o->blocks[i]) != being_freed[1])
            sh_free(o->blocks[i]);
    for (int i = 0; i < 4; i++) sh_free(o->other[i]);
    /* and its sound page serves again */
    for (int i = 0; i < N; i++) {
        p[i] = sh_malloc(OTHER);
        CHECK(p[i] != NULL);
        pat_fill(p[i], OTHER, (uint64_t)i);
    }
    for (int i = 0; i < N; i++) pat_check(p[i], p[i], OTHER, (uint64_t)i, OTHER);
    _exit(0);
}

static void fork_with(void (*damage)(shi_page *, saved *)) {
    owner o;
    pthread_barrier_init(&o.ready, NULL, 2);
    pthread_barrier_init(&o.done, NULL, 2);
    CHECK(pthread_create(&o.thread, NULL, owner_main, &o) == 0);
    pthread_barrier_wait(&o.ready);
    saved s = {0};
    being_freed[0] = being_freed[1] = NULL;
    save(o.page, &s);
    if (damage) damage(o.page, &s);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) child(&o, damage != NULL);
    restore(o.page, &s);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "child %s %d\n", WIFEXITED(st) ? "exited with" : "killed by signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        _exit(1);
    }
    pthread_barrier_wait(&o.done);
    CHECK(pthread_join(o.thread, NULL) == 0);
}

SH_TEST(test_fork_child_reuses_a_sound_page_of_a_thread_it_does_not_have) { fork_with(NULL); }
SH_TEST(test_fork_child_quarantines_a_page_caught_in_page_collect) { fork_with(collect_half); }
SH_TEST(test_fork_child_quarantines_a_page_caught_carving_blocks) { fork_with(extend_half); }
SH_TEST(test_fork_child_quarantines_a_page_caught_in_malloc) { fork_with(pop_half); }
SH_TEST(test_fork_child_quarantines_a_page_caught_in_free) { fork_with(push_half); }

int main(void) { return sh_test_main(); }
