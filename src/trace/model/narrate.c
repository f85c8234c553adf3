/*
 * src/trace/model/narrate.c — step titles (see narrate.h). A source file that cannot be read only
 * loses the source part of its titles.
 */
#include "trace/model/narrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/model/text.h"
#include "trace/model/source.h"

enum { MAX_STMT = 48 };

/* The statement as a title part: no indentation, comment, trailing `;` or newline. */
static void statement(const char *text, char *out, size_t len) {
    while (*text == ' ' || *text == '\t') text++;
    size_t n = strcspn(text, "\n");
    const char *comment = strstr(text, "//");
    if (comment && (size_t)(comment - text) < n) n = (size_t)(comment - text);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == ';' ||
                 text[n - 1] == '\r'))
        n--;
    if (n > MAX_STMT) snprintf(out, len, "%.*s...", MAX_STMT - 3, text);
    else snprintf(out, len, "%.*s", (int)n, text);
}

static bool names_the_step(const shi_step *s) {
    for (size_t i = 0; i < s->nevents; i++)
        switch (s->events[i].kind) {
        case SHI_EV_CALL: case SHI_EV_RETURN: case SHI_EV_DROP: case SHI_EV_EXIT:
        case SHI_EV_SIGNAL: case SHI_EV_LIMIT: return true;
        default: break;
        }
    return false;
}

static bool heap_event(const shi_step *s) {
    for (size_t i = 0; i < s->nevents; i++)
        if (s->events[i].kind == SHI_EV_ALLOC || s->events[i].kind == SHI_EV_REALLOC ||
            s->events[i].kind == SHI_EV_FREE)
            return true;
    return false;
}

typedef struct told {
    const shi_step *s;
    char *out;
    size_t len, used, count;
} told;

/* "name len 13, cap 13" for one handle, `name` its variable or, nested in one, the path of
 * the block it owns (t.0, team.members). False when out is full. */
static bool handle_change(told *c, const char *name, const shi_value *v) {
    const shi_step *s = c->s;
    const shi_owned *o = &v->owned;
    const shi_block *b = v->target_block >= 0 && (size_t)v->target_block < s->nblocks
                             ? &s->blocks[v->target_block] : NULL;
    if (!name) name = b ? b->owner : NULL;
    if (!name) return true;
    const char *sep = c->count ? "; " : "";
    char *out = c->out + c->used;
    size_t len = c->len - c->used;
    /* an Rc::clone: a share of a block already there, "other shares #2 (strong 2)" */
    const shi_value *strong = o->shared && b && !b->is_new && b->value.nfields &&
                                      b->value.fields[0].name &&
                                      strcmp(b->value.fields[0].name, "strong") == 0
                                  ? b->value.fields[0].value : NULL;
    /* an empty C++ smart pointer (moved from, reset, or one clang -O2 keeps as the constant
     * 0 once its object is gone) holds nothing on the heap: it reads as what it is */
    bool empty = (o->kind == SHI_OWN_BOX || o->kind == SHI_OWN_RC) && o->ptr == 0 && v->text;
    int w = strong ? snprintf(out, len, "%s%s shares #%llu (strong %llu)", sep, name,
                              (unsigned long long)b->id, (unsigned long long)strong->u)
            : empty ? snprintf(out, len, "%s%s = %s", sep, name, v->text)
            : o->kind == SHI_OWN_BOX || o->kind == SHI_OWN_RC
                ? snprintf(out, len, "%s%s on the heap", sep, name)
            : !shi_owned_has_cap(o)
                ? snprintf(out, len, "%s%s len %llu", sep, name, (unsigned long long)o->len)
                : snprintf(out, len, "%s%s len %llu, cap %llu", sep, name,
                           (unsigned long long)o->len, (unsigned long long)o->cap);
    if (w < 0 || (size_t)w >= len) {
        *out = 0;   /* what did not fit is left out whole */
        return false;
    }
    c->used += (size_t)w;
    c->count++;
    return true;
}

/* The handles nested in a changed variable's value: a tuple's String, a struct's Vec, an
 * Option's String, each named by the owner path of its block. */
static bool nested_changes(told *c, const shi_value *v) {
    for (size_t i = 0; i < v->nfields; i++) {
        const shi_value *f = v->fields[i].value;
        if (f->kind == SHI_VAL_OWNED) {
            if (!f->owned.stale && !handle_change(c, NULL, f)) return false;
        } else if (!nested_changes(c, f)) {
            return false;
        }
    }
    return true;
}

/* "name: len 13, cap 13" for each handle of the innermost frame that changed. */
static size_t owned_changes(const shi_step *s, char *out, size_t len) {
    told c = {.s = s, .out = out, .len = len};
    out[0] = 0;
    if (!s->nframes) return 0;
    const shi_frame *f = &s->frames[s->nframes - 1];
    for (size_t k = 0; k < f->nvars; k++) {
        const shi_var *v = &f->vars[k];
        if (!v->changed) continue;
        bool room = v->value.kind == SHI_VAL_OWNED
                        ? v->value.owned.stale || handle_change(&c, v->name, &v->value)
                        : nested_changes(&c, &v->value);
        if (!room) break;
    }
    return c.count;
}

/* "longjmp: popped deep(), mid(), top()" for the calls a step lost without returning (the
 * tracer marks their return events with how they went), innermost first; NULL if none. */
static char *popped_title(const shi_step *s) {
    const char *how = NULL;
    size_t len = 1;
    for (size_t i = 0; i < s->nevents; i++) {
        const shi_event *e = &s->events[i];
        if (e->kind != SHI_EV_RETURN || !e->text) continue;
        if (!how) { how = e->text; len += strlen(how) + sizeof ": popped"; }
        len += strlen(e->function ? e->function : "?") + 4;
    }
    if (!how) return NULL;
    char *title = malloc(len);
    if (!title) return NULL;
    size_t used = (size_t)snprintf(title, len, "%s: popped", how);
    const char *sep = " ";
    for (size_t i = 0; i < s->nevents; i++) {
        const shi_event *e = &s->events[i];
        if (e->kind != SHI_EV_RETURN || !e->text) continue;
        used += (size_t)snprintf(title + used, len - used, "%s%s()", sep,
                                 e->function ? e->function : "?");
        sep = ", ";
    }
    return title;
}

static char *title_for(shi_sources *ss, const shi_step *s, const shi_step *prev) {
    char *popped = popped_title(s);
    if (popped) {   /* rustc 1.63's unwinding drops the popped frame's values before the stop */
        char *title = shi_step_title_drops(s, popped);
        free(popped);
        return title;
    }
    char *base = shi_step_title(s);
    if (!prev || names_the_step(s)) return base;
    char changes[256];
    bool owned = owned_changes(s, changes, sizeof changes) > 0;
    if (!owned && !heap_event(s)) return base;
    /* the line that ran since: from where the program stood, not where the step is shown */
    const char *text = shi_sources_line(ss, prev->file, prev->stop_line ? prev->stop_line : prev->line);
    if (!text) return base;
    char stmt[MAX_STMT + 8];
    statement(text, stmt, sizeof stmt);
    if (!stmt[0]) return base;
    size_t len = strlen(stmt) + strlen(owned ? changes : base) + 3;
    char *title = malloc(len);
    if (!title) return base;
    snprintf(title, len, "%s: %s", stmt, owned ? changes : base);
    free(base);
    return title;
}

void shi_narrate_step(shi_trace *t, shi_sources *src, size_t i) {
    shi_step *s = shi_trace_step(t, i);
    const shi_step *prev = i ? shi_trace_step(t, i - 1) : NULL;
    shi_step_mark_changes(s, prev);
    free(s->title);
    s->title = NULL;
    char *title = title_for(src, s, prev);
    s->title = shi_trace_strdup(title);
    free(title);
}

void shi_narrate(shi_trace *t, shi_sources *src, size_t from) {
    for (size_t i = from; i < t->nsteps; i++) shi_narrate_step(t, src, i);
}
