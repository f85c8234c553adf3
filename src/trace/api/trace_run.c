/*
 * src/trace/api/trace_run.c — sh_trace_run and the trace as a whole: its facts and writing
 * it in each format (include/stackheap/trace.h). Reading steps: trace_read.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/panic.h"
#include "trace/api/api.h"
#include "trace/model/text.h"
#include "trace/render/render.h"

_Static_assert((int)SH_TRACE_TIMEOUT_DEFAULT == (int)SHI_TRACER_TIMEOUT, "the engine's default, published");

#define NEED(h) do { if (!(h)) SHI_PANIC("%s: NULL handle", __func__); } while (0)

/* The options' first published layout ended here; a caller built against it passes this. */
#define OPTS_V1_SIZE (offsetof(sh_trace_opts, interrupt) + sizeof(void *))

static void set_err(char *err, size_t errlen, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

/* The caller's options as this library knows them: a caller built against a newer header
 * may pass fields we lack, which is fine as long as they are zero (libbpf's rule). */
static int read_opts(const sh_trace_opts *in, sh_trace_opts *out, char *err, size_t errlen) {
    *out = (sh_trace_opts){.size = sizeof *out};
    if (!in) return 0;
    if (in->size < OPTS_V1_SIZE) {
        set_err(err, errlen, "sh_trace_opts.size is too small: make the options with "
                             "SH_TRACE_OPTS(...)");
        errno = EINVAL;
        return -1;
    }
    for (size_t k = sizeof *out; k < in->size; k++)
        if (((const unsigned char *)in)[k]) {
            set_err(err, errlen, "sh_trace_opts sets options this library does not know "
                                 "(built against a newer stackheap/trace.h)");
            errno = EINVAL;
            return -1;
        }
    memcpy(out, in, in->size < sizeof *out ? in->size : sizeof *out);
    return 0;
}

static void step_ready(void *arg, const shi_trace *t, size_t i) {
    sh_trace *pt = arg;
    pt->t = (shi_trace *)t;
    struct sh_trace_step st = {.trace = pt, .s = shi_trace_step(pt->t, i),
                               .prev = i ? shi_trace_step(pt->t, i - 1) : NULL};
    pt->on_step(pt->on_step_arg, &st);
    shi_api_step_leave(&st);
    free(st.texts);
}

sh_trace *sh_trace_run(char *const argv[], const sh_trace_opts *opts, char *err,
                       size_t errlen) {
    set_err(err, errlen, "");
    if (!argv || !argv[0] || !argv[0][0]) {
        set_err(err, errlen, "no program given");
        errno = EINVAL;
        return NULL;
    }
    sh_trace_opts o;
    if (read_opts(opts, &o, err, errlen) != 0) return NULL;
    sh_trace *pt = calloc(1, sizeof *pt);
    if (!pt) SHI_PANIC("trace: out of memory");
    pt->on_step = o.on_step;
    pt->on_step_arg = o.on_step_arg;
    errno = 0;   /* a failure that names no cause of its own is reported as EIO */
    pt->t = shi_tracer_run(argv, &(shi_tracer_opts){
                               .max_steps = o.max_steps ? o.max_steps
                                                        : SH_TRACE_MAX_STEPS_DEFAULT,
                               .stdin_path = o.stdin_path,
                               .on_step = o.on_step ? step_ready : NULL, .on_step_arg = pt,
                               .timeout = o.timeout, .interrupt = o.interrupt},
                           &pt->info, err, errlen);
    if (!pt->t) {
        int e = errno ? errno : EIO;
        free(pt);
        errno = e;
        return NULL;
    }
    return pt;
}

void sh_trace_free(sh_trace *t) {
    if (!t) return;
    shi_trace_free(t->t);
    free(t->note);
    free(t);
}

/* ---- facts ------------------------------------------------------------------------------- */

const char *sh_trace_program(const sh_trace *t) { NEED(t); return t->t->program; }
const char *sh_trace_language(const sh_trace *t) { NEED(t); return t->t->language; }
size_t sh_trace_nsteps(const sh_trace *t) { NEED(t); return t->t->nsteps; }
int sh_trace_exit_code(const sh_trace *t) { NEED(t); return t->t->exit_code; }
int sh_trace_signal(const sh_trace *t) { NEED(t); return t->t->term_signal; }
size_t sh_trace_nleaks(const sh_trace *t) { NEED(t); return t->t->nleaks; }

const char *sh_trace_leak(const sh_trace *t, size_t i) {
    NEED(t);
    if (i >= t->t->nleaks)
        SHI_PANIC("%s: index out of bounds: the len is %zu but the index is %zu", __func__,
                  t->t->nleaks, i);
    return t->t->leaks_text[i];
}

sh_trace_end sh_trace_end_reason(const sh_trace *t) {
    NEED(t);
    if (t->info.interrupted) return SH_TRACE_END_INTERRUPTED;
    if (t->info.timed_out) return SH_TRACE_END_TIMEOUT;
    if (t->info.limit_reached) return SH_TRACE_END_MAX_STEPS;
    return SH_TRACE_END_PROGRAM;
}

int sh_trace_interrupt_signal(const sh_trace *t) { NEED(t); return t->info.interrupted; }
const char *sh_trace_opt_level(const sh_trace *t) { NEED(t); return t->info.opt_level; }

const char *sh_trace_build_note(const sh_trace *t) {
    NEED(t);
    sh_trace *m = (sh_trace *)t;   /* made on first use, kept with the trace */
    if (!m->note) {
        char *note = shi_trace_build_note(t->t, t->t->program);
        m->note = note ? note : shi_trace_strdup("");
    }
    return m->note;
}
unsigned sh_trace_forks(const sh_trace *t) { NEED(t); return t->info.forks; }
unsigned sh_trace_threads(const sh_trace *t) { NEED(t); return t->info.threads; }

/* ---- writing ----------------------------------------------------------------------------- */

static int text_opts(FILE *out, unsigned flags, shi_render_opts *ret) {
    if (flags & ~(unsigned)(SH_TRACE_ASCII | SH_TRACE_NO_COLOR)) {
        errno = EINVAL;
        return -1;
    }
    *ret = shi_render_opts_for(out);
    if (flags & SH_TRACE_ASCII) ret->utf8 = false;
    if (flags & SH_TRACE_NO_COLOR) ret->color = false;
    return 0;
}

static int write_text(const shi_trace *t, FILE *out, const shi_render_opts *o) {
    shi_cursor *c = shi_cursor_new(t);
    int rc = 0;
    for (size_t i = 0; i < t->nsteps && rc == 0; i++) {
        const shi_step *s = shi_cursor_step(c, i);
        rc = shi_render_text(t, shi_cursor_prev(c), s, out, o);
    }
    shi_cursor_free(c);
    return rc ? rc : shi_render_summary(t, out, o);
}

int sh_trace_write(const sh_trace *t, FILE *out, sh_trace_format format, unsigned flags) {
    NEED(t);
    NEED(out);
    shi_render_opts o;
    switch (format) {
    case SH_TRACE_TEXT:
        if (text_opts(out, flags, &o) != 0) return -1;
        return write_text(t->t, out, &o);
    case SH_TRACE_JSON: return shi_render_json(t->t, out);
    case SH_TRACE_JSON_V1: return shi_render_json_version(t->t, out, 1);
    case SH_TRACE_HTML: return shi_render_html(t->t, out);
    case SH_TRACE_PYTUTOR: return sh_trace_write_pytutor(t, out, SH_TRACE_PYTUTOR_MAX, NULL, NULL);
    }
    errno = EINVAL;
    return -1;
}

int sh_trace_write_pytutor(const sh_trace *t, FILE *out, size_t limit, size_t *ret_size,
                           size_t *ret_fit) {
    NEED(t);
    NEED(out);
    int rc = shi_render_pytutor_limited(t->t, out, limit, ret_size, ret_fit);
    if (rc == SHI_RENDER_TOO_BIG) errno = EFBIG;
    return rc == 0 ? 0 : -1;
}

int sh_trace_step_write(const sh_trace_step *s, FILE *out, unsigned flags) {
    NEED(s);
    NEED(out);
    shi_render_opts o;
    if (text_opts(out, flags, &o) != 0) return -1;
    return shi_render_text(s->trace->t, s->prev, s->s, out, &o);
}

int sh_trace_step_write_events(const sh_trace_step *s, size_t from, FILE *out,
                               unsigned flags) {
    NEED(s);
    NEED(out);
    if (from > s->s->nevents)
        SHI_PANIC("%s: index out of bounds: the len is %zu but the index is %zu", __func__,
                  s->s->nevents, from);
    shi_render_opts o;
    if (text_opts(out, flags, &o) != 0) return -1;
    shi_step tail = *s->s;   /* the same step with its first events left out */
    tail.events += from;
    tail.nevents -= from;
    return shi_render_events(s->trace->t, &tail, out, &o);
}

int sh_trace_write_summary(const sh_trace *t, FILE *out, unsigned flags) {
    NEED(t);
    NEED(out);
    shi_render_opts o;
    if (text_opts(out, flags, &o) != 0) return -1;
    return shi_render_summary(t->t, out, &o);
}
