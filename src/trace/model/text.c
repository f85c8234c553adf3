/*
 * src/trace/model/text.c — a value's text and a step's title, as the model states them
 * (text.h). The value reader, the narration and every renderer take them from here, so a
 * value reads the same in the diagram, the JSON, the page and the titles.
 */
#include "trace/model/text.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/model/strbuf.h"

/* ---- values as text ---------------------------------------------------------------------- */

static void add_float(sbuf *b, double f) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.6g", f);
    sb_add(b, tmp);
    /* 1.0 stays 1.0 as Rust's {:?} prints it: a float never reads like an integer */
    if (isfinite(f) && !strpbrk(tmp, ".e")) sb_add(b, ".0");
}

bool shi_field_is_tuple(const char *name) {
    return !name || (name[0] == '_' && name[1] == '_' && isdigit((unsigned char)name[2]));
}

static void add_value(sbuf *b, const shi_value *v, bool c);

/* Rust writes arrays [1, 2] and tuples (1, 2); C writes arrays {1, 2} (g[2][3] as
 * {{1, 2, 3}, {4, 5, 6}}). Structs are {x: 1, y: 2} in both. */
static void add_fields(sbuf *b, const shi_value *v, bool c) {
    bool tuple = v->nfields == 0 || shi_field_is_tuple(v->fields[0].name);
    bool array = v->kind == SHI_VAL_ARRAY;
    const char *open = array ? (c ? "{" : "[") : tuple ? (c ? "{" : "(") : "{";
    const char *close = array ? (c ? "}" : "]") : tuple ? (c ? "}" : ")") : "}";
    sb_add(b, open);
    for (size_t i = 0; i < v->nfields; i++) {
        if (i) sb_add(b, ", ");
        if (!array && !tuple) sb_printf(b, "%s: ", v->fields[i].name);
        /* an unset element is a Vec's spare slot: the lesson's `_` */
        if (array && v->fields[i].value->kind == SHI_VAL_UNINIT) sb_add(b, "_");
        else add_value(b, v->fields[i].value, c);
    }
    if (v->truncated) sb_printf(b, "%s+%zu more", v->nfields ? ", " : "", v->truncated);
    sb_add(b, close);
}

static void add_value(sbuf *b, const shi_value *v, bool c) {
    if (v->text && v->kind != SHI_VAL_UNINIT) { sb_add(b, v->text); return; }
    switch (v->kind) {
    case SHI_VAL_UNINIT: sb_add(b, "?"); break;
    case SHI_VAL_INT: sb_printf(b, "%" PRId64, v->i); break;
    case SHI_VAL_UINT: sb_printf(b, "%" PRIu64, v->u); break;
    case SHI_VAL_FLOAT: add_float(b, v->f); break;
    case SHI_VAL_BOOL: sb_add(b, v->b ? "true" : "false"); break;
    case SHI_VAL_CHAR:
        if (v->i >= 32 && v->i < 127) sb_printf(b, "'%c'", (int)v->i);
        else sb_printf(b, "'\\u{%" PRIx64 "}'", (uint64_t)v->i);
        break;
    case SHI_VAL_POINTER: sb_printf(b, "0x%" PRIx64, v->addr); break;
    case SHI_VAL_STRUCT: case SHI_VAL_ARRAY: add_fields(b, v, c); break;
    case SHI_VAL_OWNED:
        if (v->owned.kind == SHI_OWN_BOX || v->owned.kind == SHI_OWN_RC) sb_add(b, "{ptr}");
        else sb_printf(b, "{ptr, len %" PRIu64 ", cap %" PRIu64 "}", v->owned.len, v->owned.cap);
        break;
    case SHI_VAL_UNREADABLE: sb_printf(b, "<%s>", v->text ? v->text : "unreadable"); break;
    }
}

char *shi_value_text(const shi_value *v) {
    sbuf b = {0};
    add_value(&b, v, false);
    return sb_take(&b);
}

char *shi_value_text_in(const shi_value *v, const char *language) {
    sbuf b = {0};
    add_value(&b, v, language && strcmp(language, "c") == 0);
    return sb_take(&b);
}

/* ---- titles ------------------------------------------------------------------------------ */

/* Which event names a step: the most telling one (a crash over a call over an allocation). */
static int event_rank(shi_event_kind k) {
    static const int rank[] = {
        /* a call or return names the step even when the program ends in it: the exit has
         * its own line below the diagram */
        [SHI_EV_SIGNAL] = 9, [SHI_EV_CALL] = 8, [SHI_EV_RETURN] = 7, [SHI_EV_EXIT] = 6,
        [SHI_EV_LIMIT] = 5, [SHI_EV_DROP] = 4, [SHI_EV_REALLOC] = 3, [SHI_EV_ALLOC] = 2,
        [SHI_EV_FREE] = 1, [SHI_EV_LINE] = 0, [SHI_EV_OUTPUT] = 0,
    };
    return (unsigned)k < sizeof rank / sizeof rank[0] ? rank[k] : 0;
}

static void add_event_title(sbuf *b, const shi_event *e) {
    const char *fn = e->function ? e->function : "?";
    switch (e->kind) {
    case SHI_EV_CALL: sb_printf(b, "%s() called", fn); break;
    case SHI_EV_RETURN:
        sb_printf(b, "%s() returned", fn);
        if (e->has_value && e->is_float) { sb_add(b, " "); add_float(b, e->fvalue); }
        else if (e->has_value && e->is_pointer) sb_printf(b, " 0x%" PRIx64, (uint64_t)e->value);
        else if (e->has_value) sb_printf(b, " %" PRId64, e->value);
        break;
    /* text: C++'s destructor that ran ("~Buffer()"), "destructor" for a library type's */
    case SHI_EV_DROP: sb_printf(b, e->text ? "%s dropped" : "drop(%s)", fn); break;
    case SHI_EV_ALLOC:   /* text: the C++ operator that allocated, "new" or "new[]" */
        sb_printf(b, "%zu byte%s allocated%s%s (block #%" PRIu64 ")", e->size,
                  e->size == 1 ? "" : "s", e->text ? " by " : "", e->text ? e->text : "",
                  e->block_id);
        break;
    case SHI_EV_REALLOC:
        sb_printf(b, "block #%" PRIu64 " reallocated: %zu byte%s%s", e->block_id, e->size,
                  e->size == 1 ? "" : "s", e->old_addr && e->old_addr != e->addr ? ", moved" : "");
        break;
    case SHI_EV_FREE:   /* text: "delete" or "delete[]" */
        sb_printf(b, "block #%" PRIu64 " freed%s%s", e->block_id, e->text ? " by " : "",
                  e->text ? e->text : "");
        break;
    case SHI_EV_EXIT: sb_printf(b, "exited with code %" PRId64, e->value); break;
    case SHI_EV_SIGNAL:
        if (e->text) sb_printf(b, "killed by %s", e->text);
        else sb_printf(b, "killed by signal %" PRId64, e->value);
        break;
    case SHI_EV_LIMIT: sb_add(b, e->text ? e->text : "limit reached"); break;
    default: break;
    }
}

/* Whether the step drops the block by name (its free is told by the drop). */
static bool dropped(const shi_step *s, uint64_t block_id) {
    for (size_t i = 0; i < s->nevents; i++)
        if (s->events[i].kind == SHI_EV_DROP && s->events[i].block_id == block_id) return true;
    return false;
}

/* Whether event i drops a value an earlier drop of the step named: a value owning
 * several blocks (a std::map's nodes) drops once, whichever of its blocks goes first. */
static bool told_before(const shi_step *s, size_t i) {
    const shi_event *e = &s->events[i];
    if (e->kind != SHI_EV_DROP || !e->function) return false;
    for (size_t k = 0; k < i; k++)
        if (s->events[k].kind == SHI_EV_DROP && s->events[k].function &&
            strcmp(s->events[k].function, e->function) == 0)
            return true;
    return false;
}

/* Scope ends drop several values at once: all of them, in the order they went, after the
 * title's head (`named`: the event the head is already). A C++ delete no drop names (a
 * destructor's, a standard container's outgrown buffer, a block freed while an exception
 * unwinds) is told among them: "block #1 freed by delete". */
static void add_drops(sbuf *b, const shi_step *s, const shi_event *named, const char *sep) {
    for (size_t i = 0; i < s->nevents; i++) {
        const shi_event *e = &s->events[i];
        bool deleted = e->kind == SHI_EV_FREE && e->text && !dropped(s, e->block_id);
        if ((e->kind == SHI_EV_DROP || deleted) && e != named && !told_before(s, i)) {
            sb_add(b, sep);
            add_event_title(b, e);
            sep = ", ";
        }
    }
}

char *shi_step_title(const shi_step *s) {
    if (s->title) return shi_trace_strdup(s->title);
    const shi_event *best = NULL;
    for (size_t i = 0; i < s->nevents; i++)
        if (event_rank(s->events[i].kind) > 0 &&
            (!best || event_rank(s->events[i].kind) > event_rank(best->kind)))
            best = &s->events[i];
    sbuf b = {0};
    /* a C++ destructor returning where its object's block is freed (`delete node`): what
     * the reader sees is the object going, "~Node() ran: block #3 freed by delete". The
     * outermost destructor before the free names it (~Square, not the ~Shape it called). */
    const shi_event *freed = NULL, *dtor = NULL;
    for (size_t i = 0; best && best->kind == SHI_EV_RETURN && i < s->nevents && !freed; i++) {
        const shi_event *e = &s->events[i];
        if (e->kind == SHI_EV_RETURN && !e->text && e->function && e->function[0] == '~')
            dtor = e;
        else if (e->kind == SHI_EV_FREE && dtor && !dropped(s, e->block_id))
            freed = e;   /* a dropped value's block (a vector's buffer) is not the object's */
    }
    if (freed) {
        sb_printf(&b, "%s() ran: ", dtor->function);
        add_event_title(&b, freed);
    } else if (best) {
        add_event_title(&b, best);
        /* optimised code may enter two calls before its first line stop (gcc -O2's main
         * calling add at once): both are named, not only main while add's frame is on top */
        for (size_t i = 0; best->kind == SHI_EV_CALL && i < s->nevents; i++)
            if (s->events[i].kind == SHI_EV_CALL && &s->events[i] != best) {
                sb_add(&b, ", ");
                add_event_title(&b, &s->events[i]);
            }
    } else if (s->index == 0 && s->nframes) {
        sb_printf(&b, "%s() called", s->frames[0].function);
    } else {
        sb_printf(&b, "line %d", s->line);
    }
    add_drops(&b, s, freed ? freed : best,
              best && (best->kind == SHI_EV_DROP || best->kind == SHI_EV_FREE) ? ", " : "; ");
    return sb_take(&b);
}

char *shi_step_title_drops(const shi_step *s, const char *head) {
    sbuf b = {0};
    sb_add(&b, head);
    add_drops(&b, s, NULL, "; ");
    return sb_take(&b);
}

/* ---- how the program was built ----------------------------------------------------------- */

char *shi_trace_build_note(const shi_trace *t, const char *program) {
    bool rust = t->language && strcmp(t->language, "rust") == 0;
    sbuf b = {0};
    if (t->lines_only) {
        sb_printf(&b, "%s has line tables but no variables in its debug information (built "
                      "with %s?): its frames are shown without their variables; for a full "
                      "trace build it with %s", program,
                  rust ? "-C debuginfo=1" : "-g1 or -gline-tables-only",
                  rust ? "-g (-C debuginfo=2)" : "-g");
        return sb_take(&b);
    }
    if (!t->optimisation) return NULL;
    if (t->optimisation[0] == '-')
        sb_printf(&b, "%s was compiled with %s", program, t->optimisation);
    else
        sb_printf(&b, "%s was compiled with optimisation (%s records no level)", program,
                  rust ? "rustc" : "its compiler");
    sb_printf(&b, ": values the compiler dropped show as optimised out, and lines may merge "
                  "or run out of order; for a full trace build it with %s",
              rust ? "-C opt-level=0 -g" : "-O0 -g");
    return sb_take(&b);
}
