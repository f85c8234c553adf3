/*
 * tests/trace/test_live_blocks.c — the engine's live blocks (engine/live_blocks.h) against a
 * plain list searched and sorted the slow way, through random allocations, frees, reallocs
 * and numbers with addresses reused; and the model's matching of a step's blocks with the
 * previous step's (shi_step_match_blocks) against a search by id.
 */
#include "check.h"
#include "trace/engine/live_blocks.h"

typedef struct ref_block {
    uint64_t addr, size, id;
} ref_block;

static unsigned seed = 12345;
static unsigned rnd(unsigned n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % n;
}

static int ref_by_addr(const void *a, const void *b) {
    const ref_block *x = a, *y = b;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

static ref_block *ref_at(ref_block *r, size_t n, uint64_t addr) {
    for (size_t i = 0; i < n; i++)
        if (r[i].addr == addr) return &r[i];
    return NULL;
}

/* The set agrees with the reference: same blocks, by address, found by address and id. */
static void check_same(shi_live *l, ref_block *r, size_t n) {
    size_t got;
    const size_t *order = shi_live_sorted(l, &got);
    CHECK_EQ(got, n);
    CHECK_EQ(l->count, n);
    qsort(r, n, sizeof *r, ref_by_addr);
    for (size_t i = 0; i < n; i++) {
        const live_block *b = shi_live_slot(l, order[i]);
        CHECK_EQ(b->addr, r[i].addr);
        CHECK_EQ(b->size, r[i].size);
        CHECK_EQ(b->id, r[i].id);
        CHECK(shi_live_at(l, r[i].addr) == b);
        if (r[i].id) CHECK(shi_live_by_id(l, r[i].id) == b);
        CHECK_EQ(shi_live_slot_of(l, b), order[i]);
    }
}

SH_TEST(test_live_blocks_agree_with_a_list_through_random_changes) {
    shi_live l = {0};
    ref_block *r = calloc(4096, sizeof *r);
    size_t n = 0;
    uint64_t next_id = 0;
    for (int round = 0; round < 200; round++) {
        /* between two orders: a burst of changes, addresses from a small range so that
         * they are reused (freed, then allocated again within one burst too) */
        int burst = round < 20 ? 300 : (int)rnd(40);
        for (int k = 0; k < burst; k++) {
            unsigned op = rnd(10);
            uint64_t addr = 0x1000 + 16 * (uint64_t)rnd(3000);
            if (op < 5 && n < 4096 && !ref_at(r, n, addr)) {            /* malloc */
                live_block *b = shi_live_add(&l, addr);
                b->size = 1 + rnd(100);
                uint64_t id = rnd(4) ? ++next_id : 0;   /* a waiting one has none */
                if (id) shi_live_number(&l, b, id);
                r[n++] = (ref_block){addr, b->size, id};
            } else if (op < 8 && n) {                                   /* free */
                size_t i = rnd((unsigned)n);
                shi_live_remove(&l, shi_live_at(&l, r[i].addr));
                r[i] = r[--n];
            } else if (op < 9 && n && !ref_at(r, n, addr)) {            /* realloc, moved */
                size_t i = rnd((unsigned)n);
                r[i].size = 1 + rnd(100);
                shi_live_move(&l, shi_live_at(&l, r[i].addr), addr, r[i].size);
                r[i].addr = addr;
            } else if (n) {                    /* realloc in place, or a waiting one numbered */
                size_t i = rnd((unsigned)n);
                live_block *b = shi_live_at(&l, r[i].addr);
                if (!r[i].id) {
                    r[i].id = ++next_id;
                    shi_live_number(&l, b, r[i].id);
                } else {
                    r[i].size = 1 + rnd(100);
                    shi_live_move(&l, b, r[i].addr, r[i].size);
                }
            }
        }
        check_same(&l, r, n);
        CHECK(!shi_live_by_id(&l, next_id + 1));
        CHECK(!shi_live_at(&l, 0x10));
    }
    shi_live_free(&l);
    free(r);
}

SH_TEST(test_live_blocks_say_when_the_heap_changed) {
    shi_live l = {0};
    live_block *b = shi_live_add(&l, 0x2000);
    CHECK(l.changed);
    size_t n;
    shi_live_sorted(&l, &n);
    l.changed = false;
    b->owner = strdup("v");   /* an owner or contents change nothing of the heap's shape */
    CHECK(!l.changed);
    shi_live_move(&l, b, 0x2000, 64);   /* grown in place */
    CHECK(l.changed);
    l.changed = false;
    shi_live_remove(&l, b);
    CHECK(l.changed);
    CHECK_EQ(l.count, 0);
    shi_live_sorted(&l, &n);
    CHECK_EQ(n, 0);
    shi_live_free(&l);
}

/* A step with blocks (addr, id) as given. */
static void add_blocks(shi_step *s, const uint64_t (*b)[2], size_t n) {
    for (size_t i = 0; i < n; i++) shi_step_add_block(s, b[i][0], 16, b[i][1]);
}

SH_TEST(test_a_step_s_blocks_match_the_previous_step_s_by_id) {
    shi_trace *t = shi_trace_new("x");
    shi_step *p = shi_trace_add_step(t);
    /* id 2 is freed, id 4 moves (realloc) below id 1, id 6 is new at id 2's address */
    add_blocks(p, (const uint64_t[][2]){{0x100, 1}, {0x200, 2}, {0x300, 3}, {0x400, 4}}, 4);
    shi_step *s = shi_trace_add_step(t);
    p = shi_trace_step(t, 0);
    add_blocks(s, (const uint64_t[][2]){{0x50, 4}, {0x100, 1}, {0x200, 6}, {0x300, 3}}, 4);
    int64_t got[4];
    shi_step_match_blocks(s, p, got);
    for (size_t i = 0; i < s->nblocks; i++)
        CHECK_EQ(got[i], shi_step_find_block(p, s->blocks[i].id));
    CHECK_EQ(got[0], 3);
    CHECK_EQ(got[2], -1);
    shi_step_match_blocks(s, NULL, got);
    for (size_t i = 0; i < s->nblocks; i++) CHECK_EQ(got[i], -1);
    shi_trace_free(t);
}

int main(void) { return sh_test_main(); }
