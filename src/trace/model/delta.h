/*
 * src/trace/model/delta.h — what changed from one step to the next, found once: the step
 * store (store.c) keeps a step as this, and the JSON trace (version 2) writes it.
 *
 *     shi_step_delta d;
 *     shi_step_diff(prev, s, &d);      // prev NULL: against an empty step
 *     for (size_t k = 0; k < d.nput; k++) use(&s->blocks[d.put[k]]);
 *     shi_step_delta_free(&d);
 *
 * Values are compared as what they show: pointers and handles by the id of the block they
 * reach, not its index (which moves as other blocks come and go). The change marks (a
 * variable's `changed`, a frame's `is_new`, a block's `is_new`/`grown`/`changed`) count as
 * content: a variable whose mark went off is listed. Events and the step's own fields (file,
 * line, title, depth) are not compared: a step always carries them.
 */
#ifndef SH_TRACE_MODEL_DELTA_H
#define SH_TRACE_MODEL_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/model/model.h"

/* A list of variables (a frame's, the static region's): cut to `after` when it was longer,
 * then the listed ones replaced (or added, at `before` and past). */
typedef struct shi_vars_delta {
    size_t before, after;     /* how many there were, and are */
    size_t *changed;          /* indexes (< after), ascending: new, or not the same */
    size_t nchanged;
} shi_vars_delta;

typedef struct shi_frame_delta {
    size_t frame;             /* its index in s, among the frames kept (shi_delta_prev_frame:
                                 its index in prev) */
    bool head;                /* function, file, line or cfa differ */
    shi_vars_delta vars;
} shi_frame_delta;

/* The frames: prev's list becomes s's in three moves.
 * 1. A recursion deeper than a step keeps (model.h: depth > nframes, the middle left out)
 *    moves its window: `cut` of prev's frames are taken out from just above the first
 *    (main), and s's frames 1 .. insert are put there, whole (0 and 0 otherwise).
 * 2. Of that list, frames [0, kept) are s's (the same calls, not marked new; the inserted
 *    ones among them); `pop` frames above them are taken off.
 * 3. s's frames from `kept` on are pushed. */
typedef struct shi_step_delta {
    size_t cut, insert;
    size_t kept;
    size_t pop;
    shi_frame_delta *frames;  /* the kept frames that changed, by index */
    size_t nframes;
    shi_vars_delta statics;
    uint64_t *gone;           /* ids of prev's blocks that s has not */
    uint64_t *gone_addr;      /* and where each was (a block is found by it in halves) */
    size_t ngone;
    size_t *put;              /* indexes in s of its blocks that are new or not the same */
    uint64_t *put_from;       /* where each was in prev, 0: new */
    size_t nput;
    bool freed;               /* the list of freed memory differs */
} shi_step_delta;

void shi_step_diff(const shi_step *prev, const shi_step *s, shi_step_delta *d);
/* The index in prev of s's kept frame i, SIZE_MAX for an inserted one. */
size_t shi_delta_prev_frame(const shi_step_delta *d, size_t i);
void shi_step_delta_free(shi_step_delta *d);

/* Whether two values show the same, each read in its own step (for the blocks reached). */
bool shi_value_same(const shi_step *sa, const shi_value *a, const shi_step *sb,
                    const shi_value *b);
bool shi_var_same(const shi_step *sa, const shi_var *a, const shi_step *sb, const shi_var *b);
bool shi_block_same(const shi_step *sa, const shi_block *a, const shi_step *sb,
                    const shi_block *b);

#endif
