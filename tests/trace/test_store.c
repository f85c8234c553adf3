/*
 * tests/trace/test_store.c — the step store (src/trace/model/store.c): a trace committed as
 * it is recorded must read back, through cursors, exactly as the same trace kept whole.
 * The traces are made up by a seeded generator that does what programs do between steps:
 * calls and returns, variables changing, blocks allocated, freed, moved by realloc, written,
 * linked to each other, typed, owned; values borrowed from the step before (as the engine
 * carries an unchanged block's value over); output with NUL bytes; the freed list.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "trace/model/delta.h"
#include "trace/model/model.h"

static uint64_t rng;
static unsigned rnd(unsigned n) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng >> 33) % n);
}

/* a value that may point into one of the step's blocks, or hold a handle to one */
static void make_value(shi_step *s, shi_value *v, int depth) {
    switch (rnd(depth ? 4 : 6)) {
    case 0: shi_value_set_int(v, (int64_t)rnd(100) - 50); break;
    case 1: shi_value_set_float(v, rnd(1000) / 8.0); break;
    case 2: {
        uint64_t addr = s->nblocks ? s->blocks[rnd((unsigned)s->nblocks)].addr + 8 : 0;
        shi_value_set_pointer(v, addr, addr ? shi_step_block_at(s, addr) : -1);
        v->target_size = 4;
        break;
    }
    case 3:
        shi_value_set_char(v, 'a' + rnd(26), "'x'");
        break;
    case 4: {
        uint64_t ptr = s->nblocks ? s->blocks[rnd((unsigned)s->nblocks)].addr : 0;
        shi_value_set_owned(v, SHI_OWN_VEC, ptr, rnd(4), 4, "i32", 4,
                            ptr ? shi_step_block_at(s, ptr) : -1);
        v->owned.stale = rnd(5) == 0;
        break;
    }
    default:
        v->kind = SHI_VAL_STRUCT;
        v->type = strdup("struct pair");
        for (int i = 0; i < 2; i++) {
            shi_field *f = shi_value_add_field(v, i ? "b" : "a");
            f->offset = 8u * (unsigned)i;
            f->size = 8;
            make_value(s, f->value, depth + 1);
        }
        v->text = strdup("{...}");
    }
}

/* The next step of a made-up run, from the previous one (NULL: the first). */
static void next_step(shi_trace *t, const shi_step *prev) {
    shi_step *s = shi_trace_add_step(t);
    prev = s->index ? shi_trace_step(t, s->index - 1) : NULL;
    s->file = strdup(rnd(2) ? "a.c" : "b.c");
    s->line = (int)rnd(200) + 1;
    s->stop_line = rnd(4) == 0 ? s->line + 1 : 0;
    if (rnd(3) == 0) {
        char title[32];
        snprintf(title, sizeof title, "f() returned %u", rnd(9));
        s->title = strdup(title);
    }
    /* blocks: the previous step's, minus some freed, some moved, some written, new ones */
    uint64_t top = 0x10000;
    for (size_t i = 0; prev && i < prev->nblocks; i++) {
        const shi_block *pb = &prev->blocks[i];
        if (pb->addr >= top) top = pb->addr + 0x100;
    }
    bool moved_one = false;
    for (size_t i = 0; prev && i < prev->nblocks; i++) {
        const shi_block *pb = &prev->blocks[i];
        if (rnd(12) == 0) continue;   /* freed */
        uint64_t addr = pb->addr;
        if (!moved_one && rnd(10) == 0) { addr = top; top += 0x100; moved_one = true; }
        if (addr != pb->addr) continue;   /* added below, in address order */
        shi_block *b = shi_step_add_block(s, addr, pb->size, pb->id);
        b->alloc_file = strdup("a.c");
        b->alloc_line = pb->alloc_line;
        unsigned char bytes[16];
        memcpy(bytes, pb->bytes, 16);
        if (rnd(4) == 0) bytes[rnd(16)] ^= 0x5a;
        shi_block_set_bytes(b, bytes, 16);
        b->changed = memcmp(bytes, pb->bytes, 16) != 0;
        if (pb->owner) b->owner = strdup(pb->owner);
        if (rnd(2) && !b->changed) {   /* carried over, as the engine does */
            b->type = pb->type;
            b->value = pb->value;
            b->value_borrowed = true;
            if (b->owner) { free(b->owner); b->owner = pb->owner; b->owner_borrowed = true; }
        } else if (pb->type) {
            b->type = strdup(pb->type);
            shi_value_set_int(&b->value, rnd(1000));
        }
    }
    /* the moved one, and new ones, at the top */
    for (size_t i = 0; prev && i < prev->nblocks; i++) {
        const shi_block *pb = &prev->blocks[i];
        if (shi_step_find_block(s, pb->id) >= 0 || !moved_one) continue;
        if (rnd(2)) continue;
        shi_block *b = shi_step_add_block(s, top, pb->size * 2, pb->id);
        top += 0x100;
        b->grown = true;
        shi_block_set_bytes(b, pb->bytes, pb->nbytes);
        break;
    }
    static uint64_t next_id;
    if (!prev) next_id = 1;
    for (unsigned n = rnd(3); n; n--) {
        shi_block *b = shi_step_add_block(s, top, 16 + rnd(64), next_id++);
        top += 0x100;
        b->is_new = true;
        unsigned char bytes[16];
        for (int k = 0; k < 16; k++) bytes[k] = (unsigned char)rnd(256);
        shi_block_set_bytes(b, bytes, 16);
        b->alloc_file = strdup("b.c");
        b->alloc_line = (int)rnd(50);
        if (rnd(2)) b->type = strdup("int[4]");
        if (rnd(2)) b->owner = strdup(rnd(2) ? "v" : "v[0]");
    }
    for (size_t i = 0; i < s->nblocks; i++)   /* a list's next: a word into another block */
        if (s->nblocks > 1 && rnd(3) == 0)
            shi_block_add_ptr(&s->blocks[i], 8, s->blocks[rnd((unsigned)s->nblocks)].id);
    /* frames: some of the previous kept (their variables changing), maybe a call */
    size_t keep = prev ? prev->nframes : 0;
    if (keep && rnd(4) == 0) keep -= 1 + rnd((unsigned)keep);
    for (size_t i = 0; i < keep; i++) {
        const shi_frame *pf = &prev->frames[i];
        shi_frame *f = shi_step_push_frame(s, pf->function, pf->file, pf->line);
        f->cfa = pf->cfa;
        size_t nv = pf->nvars;
        if (rnd(5) == 0 && nv) nv--;        /* a scope ended */
        for (size_t k = 0; k < nv; k++) {
            const shi_var *pv = &pf->vars[k];
            shi_var *v = shi_frame_add_var(f, pv->name, pv->type, pv->size);
            v->addr = pv->addr;
            if (rnd(3) == 0) {
                make_value(s, &v->value, 0);
                v->changed = true;
            } else {
                shi_value_copy(&v->value, &pv->value);
                shi_step_link_value(s, &v->value);   /* its blocks' indexes in this step */
            }
        }
        if (rnd(4) == 0) make_value(s, &shi_frame_add_var(f, "late", "int", 4)->value, 0);
    }
    if (rnd(3) == 0 || !s->nframes) {
        for (unsigned n = 1 + rnd(2); n; n--) {
            shi_frame *f = shi_step_push_frame(s, rnd(2) ? "f" : "main", "a.c", (int)rnd(90));
            f->cfa = 0x7fff0000u - 0x100u * s->nframes - rnd(2);
            f->is_new = true;
            for (unsigned k = rnd(4); k; k--) {
                shi_var *v = shi_frame_add_var(f, k % 2 ? "x" : "p", "int", 4);
                v->addr = f->cfa - 8 * k;
                v->is_param = k == 1;
                make_value(s, &v->value, 0);
            }
        }
    }
    s->depth = s->nframes + (rnd(8) == 0 ? 40 : 0);
    /* statics: one global changing now and then, a literal appearing */
    shi_var *g = shi_step_add_static(s, "counter", "int", 4, NULL);
    shi_value_set_int(&g->value, (int64_t)(s->index / 7));
    g->changed = s->index % 7 == 0;
    if (s->index % 5 == 0) {
        shi_var *lit = shi_step_add_static(s, "\"hi\"", "char[3]", 3, NULL);
        lit->literal = true;
        shi_value_set_text(&lit->value, "\"hi\"");
    }
    /* events, output with a NUL byte inside */
    if (rnd(3) == 0) {
        shi_event *e = shi_step_add_event(s, SHI_EV_OUTPUT);
        e->text = shi_trace_memdup("A\0B\n", 4);
        e->text_len = 4;
    }
    if (rnd(4) == 0) {
        shi_event *e = shi_step_add_event(s, SHI_EV_RETURN);
        e->function = strdup("f");
        e->has_value = e->is_float = true;
        e->fvalue = 2.5;
        e->value_type = strdup("double");
    }
    shi_step_mark_dangling(s, prev);
}

static bool events_equal(const shi_event *a, const shi_event *b) {
    bool text = (!a->text && !b->text) ||
                (a->text && b->text && a->text_len == b->text_len &&
                 memcmp(a->text, b->text, a->text_len ? a->text_len : strlen(a->text) + 1) == 0);
    return a->kind == b->kind && a->addr == b->addr && a->old_addr == b->old_addr &&
           a->size == b->size && a->block_id == b->block_id && a->value == b->value &&
           a->has_value == b->has_value && a->is_float == b->is_float &&
           a->is_pointer == b->is_pointer && a->fvalue == b->fvalue && text &&
           ((!a->function && !b->function) || (a->function && b->function && !strcmp(a->function, b->function)));
}

/* target_block indexes too (the diff compares the blocks they name, not the indexes) */
static bool links_equal(const shi_value *a, const shi_value *b) {
    if (a->target_block != b->target_block || a->nfields != b->nfields) return false;
    for (size_t i = 0; i < a->nfields; i++)
        if (!links_equal(a->fields[i].value, b->fields[i].value)) return false;
    return true;
}

/* Whether step b is step a, as far as anything that draws a step can tell. */
/* WHY=1 in the environment says which comparison failed */
static bool why(int line, const shi_step *a) {
    if (getenv("WHY")) fprintf(stderr, "step %zu differs (test_store.c:%d)\n", a->index, line);
    return false;
}
#define WHY(c) ((c) ? true : why(__LINE__, a))
static bool steps_equal(const shi_step *a, const shi_step *b) {
    if (!WHY(!(a->index != b->index || a->line != b->line || a->stop_line != b->stop_line ||
        a->depth != b->depth || strcmp(a->file, b->file) != 0 ||
        (!a->title != !b->title) || (a->title && strcmp(a->title, b->title) != 0) ||
        a->nframes != b->nframes || a->nblocks != b->nblocks || a->nevents != b->nevents ||
        a->statics.nvars != b->statics.nvars || a->nfreed != b->nfreed)))
        return false;
    for (size_t i = 0; i < a->nevents; i++)
        if (!events_equal(&a->events[i], &b->events[i])) return why(__LINE__, a);
    for (size_t i = 0; i < a->nframes; i++) {
        if (a->frames[i].is_new != b->frames[i].is_new ||
            a->frames[i].nvars != b->frames[i].nvars)
            return why(__LINE__, a);
        if (strcmp(a->frames[i].function, b->frames[i].function) != 0 ||
            strcmp(a->frames[i].file, b->frames[i].file) != 0 ||
            a->frames[i].line != b->frames[i].line || a->frames[i].cfa != b->frames[i].cfa)
            return why(__LINE__, a);
        for (size_t k = 0; k < a->frames[i].nvars; k++)
            if (!links_equal(&a->frames[i].vars[k].value, &b->frames[i].vars[k].value) ||
                !shi_var_same(a, &a->frames[i].vars[k], b, &b->frames[i].vars[k]))
                return why(__LINE__, a);
    }
    for (size_t i = 0; i < a->nblocks; i++)
        if (!links_equal(&a->blocks[i].value, &b->blocks[i].value)) return why(__LINE__, a);
    for (size_t i = 0; i < a->nfreed; i++)
        if (a->freed[i].addr != b->freed[i].addr || a->freed[i].size != b->freed[i].size ||
            a->freed[i].id != b->freed[i].id || a->freed[i].moved != b->freed[i].moved)
            return why(__LINE__, a);
    shi_step_delta d;
    shi_step_diff(a, b, &d);
    bool same = !d.statics.nchanged && !d.ngone &&
                !d.nput && !d.freed && d.statics.before == d.statics.after;
    if (!same && getenv("WHY")) fprintf(stderr, "kept %zu/%zu nframes %zu statics %zu gone %zu put %zu freed %d\n", d.kept, a->nframes, d.nframes, d.statics.nchanged, d.ngone, d.nput, d.freed);
    shi_step_delta_free(&d);
    return same;
}

/* The same made-up run twice: kept whole, and committed as the engine commits (all but the
 * newest step, as each is made). */
static void make_pair(uint64_t seed, size_t n, shi_trace **whole, shi_trace **stored) {
    *whole = shi_trace_new("prog");
    *stored = shi_trace_new("prog");
    rng = seed;
    for (size_t i = 0; i < n; i++) next_step(*whole, NULL);
    rng = seed;
    for (size_t i = 0; i < n; i++) {
        next_step(*stored, NULL);
        if (i) shi_trace_commit(*stored, i);
    }
    shi_trace_commit(*stored, n);
}

SH_TEST(test_stored_steps_read_back_in_order) {
    for (uint64_t seed = 1; seed <= 6; seed++) {
        shi_trace *whole, *stored;
        make_pair(seed, 400, &whole, &stored);
        CHECK_EQ(stored->committed, 400);
        CHECK_EQ(stored->nsteps - stored->first, 1);   /* only the newest is whole */
        shi_cursor *c = shi_cursor_new(stored);
        for (size_t i = 0; i < 400; i++) {
            const shi_step *s = shi_cursor_step(c, i);
            CHECK(steps_equal(&whole->steps[i], s));
            if (i) CHECK(steps_equal(&whole->steps[i - 1], shi_cursor_prev(c)));
            else CHECK(shi_cursor_prev(c) == NULL);
        }
        shi_cursor_free(c);
        shi_trace_free(whole);
        shi_trace_free(stored);
    }
}

SH_TEST(test_stored_steps_read_back_anywhere) {
    /* enough steps for keyframes past the first: a jump starts from the one before */
    shi_trace *whole, *stored;
    make_pair(42, 3000, &whole, &stored);
    shi_cursor *c = shi_cursor_new(stored), *d = shi_cursor_new(stored);
    rng = 7;
    for (int k = 0; k < 300; k++) {
        size_t i = rnd(3000);
        CHECK(steps_equal(&whole->steps[i], shi_cursor_step(c, i)));
        size_t j = rnd(3000);   /* a second cursor moves on its own */
        CHECK(steps_equal(&whole->steps[j], shi_cursor_step(d, j)));
        if (i) CHECK(steps_equal(&whole->steps[i - 1], shi_cursor_prev(c)));
    }
    for (size_t i = 3000; i-- > 0;) CHECK(steps_equal(&whole->steps[i], shi_cursor_step(c, i)));
    shi_cursor_free(c);
    shi_cursor_free(d);
    shi_trace_free(whole);
    shi_trace_free(stored);
}

SH_TEST(test_uncommitted_steps_are_read_in_memory) {
    shi_trace *t = shi_trace_new("prog");
    rng = 3;
    for (int i = 0; i < 10; i++) next_step(t, NULL);
    shi_trace_commit(t, 6);
    CHECK_EQ(t->first, 5);
    shi_cursor *c = shi_cursor_new(t);
    CHECK(shi_cursor_step(c, 8) == shi_trace_step(t, 8));
    CHECK(shi_cursor_prev(c) == shi_trace_step(t, 7));
    CHECK(shi_cursor_step(c, 2) != NULL);   /* rebuilt */
    CHECK_EQ(shi_cursor_step(c, 2)->index, 2);
    shi_cursor_free(c);
    shi_trace_free(t);
}

SH_DEATH_TEST(test_a_dropped_step_is_not_handed_out, SIGABRT, "not in memory") {
    shi_trace *t = shi_trace_new("prog");
    rng = 3;
    for (int i = 0; i < 10; i++) next_step(t, NULL);
    shi_trace_commit(t, 6);
    shi_trace_step(t, 2);
}

int main(void) { return sh_test_main(); }
