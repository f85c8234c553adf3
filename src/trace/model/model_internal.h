/*
 * src/trace/model/model_internal.h — what model.c and store.c share and nobody else sees:
 * freeing a step's parts, and the store behind a trace.
 */
#ifndef SH_TRACE_MODEL_INTERNAL_H
#define SH_TRACE_MODEL_INTERNAL_H

#include "trace/model/model.h"

/* Frees what each holds (not the struct itself). */
void shi_step_free_contents(shi_step *s);
void shi_frame_free_contents(shi_frame *f);
void shi_var_free_contents(shi_var *v);
void shi_block_free_contents(shi_block *b);
void shi_event_free_contents(shi_event *e);

/* The committed steps of a trace (store.c); NULL frees nothing. */
void shi_store_free(struct shi_store *st);

#endif
