/*
 * src/trace/model/text.h — a value and a step in words: the one place that says how a value
 * reads ("15", "(1.0, 2.0)", "{ptr, len 3, cap 4}") and what a step is called ("add()
 * called"). The value reader (a struct's summary), the narration and the renderers all use
 * it, so none of them calls another layer's drawing code.
 *
 *     char *text = shi_value_text_in(&var->value, trace->language);   // "{1, 2}" in C
 *     char *title = shi_step_title(step);                             // "add() called"
 *     free(text), free(title);
 */
#ifndef SH_TRACE_TEXT_H
#define SH_TRACE_TEXT_H

#include <stdbool.h>

#include "trace/model/model.h"

/* The step's title: s->title, or one made from its events ("add() called"). Caller frees. */
char *shi_step_title(const shi_step *s);
/* `head` and the step's drops: "panic: popped pick(); drop(scores)" (an unwinding that
 * dropped a value of the frame it popped); C++'s deletes no drop names too, in order
 * ("exception: popped middle(); block #1 freed by delete"). Caller frees. */
char *shi_step_title_drops(const shi_step *s, const char *head);
/* A value as the diagram writes it ("15", "?", "(1.0, 2.0)", "\"Hello\""). Caller frees. */
char *shi_value_text(const shi_value *v);
/* The same in the notation of the trace's language (t->language): "c" writes arrays as
 * {1, 2} ("rust" and NULL as above: [1, 2]). Caller frees. */
char *shi_value_text_in(const shi_value *v, const char *language);
/* What a reader must know of how the program was built, or NULL: optimised code (values
 * the compiler dropped show as optimised out, lines merge) or debug information without
 * variables (frames shown empty). `program` names it. Caller frees. */
char *shi_trace_build_note(const shi_trace *t, const char *program);
/* Rust names a tuple's fields __0, __1 (a field without a name counts too): such a struct
 * is written (1, 2), not {__0: 1, __1: 2}. */
bool shi_field_is_tuple(const char *name);

#endif
