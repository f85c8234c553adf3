/*
 * src/trace/model/narrate.h — the steps' titles, the narration a reader sees above each diagram.
 * A step that calls, returns, drops or ends gets that event's words ("add() called",
 * "main() returned; drop(boxed), drop(numbers), drop(name)"); a step where a heap value
 * changed gets the source line that ran and what it did to the value
 * ("numbers.push(3): len 3, cap 4").
 *
 *     shi_narrate(trace, sources, 0);   // after the last step: marks changes, sets every title
 */
#ifndef SH_TRACE_NARRATE_H
#define SH_TRACE_NARRATE_H

#include "trace/model/model.h"
#include "trace/model/source.h"

/* Steps `from` to the last; those before were narrated already (step by step, as the run
 * went) and have not changed since. */
void shi_narrate(shi_trace *t, shi_sources *src, size_t from);
/* Step i alone, once steps 0..i are there (its title needs only it and the one before). */
void shi_narrate_step(shi_trace *t, shi_sources *src, size_t i);

#endif
