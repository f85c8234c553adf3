/*
 * src/cli/run.c — `stackheap run [options] -- ./prog args…`: traces the program through the
 * public API (include/stackheap/trace.h, the one way in for the command and for any other
 * program) and prints every step's Stack | Heap diagram and a summary, or writes the JSON
 * trace, the HTML lesson page or the Python Tutor export.
 *
 * The text view is printed step by step as the program runs (a prompt it writes before
 * reading shows before it reads); the files are opened before the program starts (a bad
 * path costs no run) and written when the run ends, also when SIGINT or SIGTERM ends it:
 * then the program is killed and the files hold the steps so far.
 *
 * Exit status: 0 when the program was traced to its end (whatever its own exit code, which
 * the summary gives), 1 when it could not be traced or --max-steps or --timeout stopped it,
 * 2 for usage, 128 + the signal (130, 143) when SIGINT or SIGTERM interrupted the run.
 */
#define _GNU_SOURCE   /* sigabbrev_np */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <stackheap/trace.h>

#include "cli/cli.h"

static void usage(FILE *out) {
    fprintf(out, "usage: stackheap run [--json FILE] [--json-version N] [--html FILE] "
                 "[--pytutor FILE] [--max-steps N] [--timeout SECONDS] [--stdin FILE] [--ascii] "
                 "-- ./prog [args...]\n"
                 "trace a program built with `cc -g -O0` line by line: its stack frames, "
                 "variables and heap blocks\n\n"
                 "  --json FILE      write the trace as JSON (docs/trace-json.md)\n"
                 "  --json-version N  1: every step whole, for readers of version 1; 2 (the "
                 "default): each step as what changed\n"
                 "  --html FILE      write a lesson page: source and diagram, step by step "
                 "(docs/html.md)\n"
                 "  --pytutor FILE   write it for Online Python Tutor, as its C backend does "
                 "(its front end needs lang: 'c', or 'cpp' for C++)\n"
                 "  --max-steps N    stop the program after N steps (default %d)\n"
                 "  --timeout SECONDS  stop the program after SECONDS of CPU time without a "
                 "new step (default %d)\n"
                 "  --stdin FILE     the program reads this file as its stdin\n"
                 "  --ascii          draw with ASCII only\n"
                 "  -h, --help       this help\n\n"
                 "A value follows its option as --max-steps 5 or --max-steps=5. FILE '-' is "
                 "the standard output (one of --json, --html, --pytutor).\n",
            SH_TRACE_MAX_STEPS_DEFAULT, SH_TRACE_TIMEOUT_DEFAULT);
}

/* The signal that interrupted the run (SIGINT, SIGTERM), or 0. The tracer's watchdog looks
 * at it: a handler can only set a flag. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

/* An output file, created before the program runs. */
typedef struct out_file {
    const char *path;
    FILE *f;
    sh_trace_format format;
    bool created;   /* no file was there before: a run that never happened removes it */
} out_file;

static bool is_stdout(const out_file *o) { return !strcmp(o->path, "-"); }
static const char *out_name(const out_file *o) {
    return is_stdout(o) ? "the standard output" : o->path;
}

/* "12.3 MiB", "10 MiB" */
static void put_size(FILE *out, size_t bytes) {
    double mib = (double)bytes / (1 << 20);
    const char *unit = mib >= 1024 ? "GiB" : "MiB";
    if (mib >= 1024) mib /= 1024;
    fprintf(out, mib == (double)(long)mib ? "%.0f %s" : "%.1f %s", mib, unit);
}

/* The Python Tutor export, or a message saying why not: past what Python Tutor opens, it is
 * refused (render.h), and the user told what fits and what else draws the whole run. */
static int write_pytutor(const out_file *o, const sh_trace *t, bool *refused) {
    size_t size, fit;
    int rc = sh_trace_write_pytutor(t, o->f, SH_TRACE_PYTUTOR_MAX, &size, &fit);
    if (rc == 0 || errno != EFBIG) return rc;
    *refused = true;
    fprintf(stderr, "stackheap run: not writing %s: the Python Tutor export of these %zu steps "
                    "would be %s", out_name(o), sh_trace_nsteps(t),
            size > SH_TRACE_PYTUTOR_COUNT_MAX ? "more than " : "");
    put_size(stderr, size > SH_TRACE_PYTUTOR_COUNT_MAX ? SH_TRACE_PYTUTOR_COUNT_MAX : size);
    fprintf(stderr, " (each step repeats the whole stack and heap); Python Tutor opens at most ");
    put_size(stderr, SH_TRACE_PYTUTOR_MAX);
    fprintf(stderr, ", what its own server hands its front end (its C backend stops at 1,000 "
                    "steps).\nThe first %zu steps fit: trace fewer (--max-steps %zu, the "
                    "last step drawn once more with the limit's message), or write --html or "
                    "--json, which hold every step and grow with what changes\n",
            fit, fit > 1 ? fit - 1 : 1);
    return rc;
}

/* Opened before the program runs, so a bad path fails at once; an existing file is not
 * written over until there is a trace to write into it (a run that cannot start loses nothing),
 * and what is not a regular file (/dev/stdout, a pipe) is written as it is. */
static int open_outputs(out_file *outs, size_t n) {
    for (size_t k = 0; k < n; k++) {
        if (!outs[k].path) continue;
        /* "-": the standard output, as for cat; a copy of it, so that closing it here
         * leaves main's final check of stdout meaningful */
        int fd = is_stdout(&outs[k]) ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0)
                                     : open(outs[k].path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        outs[k].created = fd >= 0 && !is_stdout(&outs[k]);
        if (fd < 0 && errno == EEXIST) fd = open(outs[k].path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || !(outs[k].f = fdopen(fd, "w"))) {
            fprintf(stderr, "stackheap run: cannot write %s: %s\n", out_name(&outs[k]), strerror(errno));
            if (fd >= 0) close(fd);
            return -1;
        }
        /* only the thread that runs the trace writes it: a JSON trace is millions of
         * fputc and fwrite calls, and their lock was 40 % of the tracer's own CPU time */
        __fsetlocking(outs[k].f, FSETLOCKING_BYCALLER);
    }
    return 0;
}

static bool regular(FILE *f) {
    struct stat st;
    return fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
}

/* Writes the trace into each and closes them; `discard`: the run never happened, so the
 * files this run created go, and those that were there stay as they were. */
static int close_outputs(out_file *outs, size_t n, const sh_trace *t, bool discard) {
    int rc = 0;
    for (size_t k = 0; k < n; k++) {
        if (!outs[k].f) continue;
        bool reg = regular(outs[k].f);
        int w = 0;
        bool refused = false;
        if (!discard) {
            /* written over the old contents, then cut where it ends: a refused export
             * leaves a file that was there as it was */
            w = outs[k].format == SH_TRACE_PYTUTOR ? write_pytutor(&outs[k], t, &refused)
                                                   : sh_trace_write(t, outs[k].f, outs[k].format, 0);
            if (!refused && reg &&
                (fflush(outs[k].f) != 0 || ftruncate(fileno(outs[k].f), ftell(outs[k].f)) != 0))
                w = -1;
        }
        if (fclose(outs[k].f) != 0) w = -1;
        outs[k].f = NULL;
        if ((discard || refused) && outs[k].created && reg) unlink(outs[k].path);
        else if (!discard && w != 0 && !refused)
            fprintf(stderr, "stackheap run: writing %s failed\n", out_name(&outs[k]));
        if (!discard && w != 0) rc = -1;
    }
    return rc;
}

/* The text view as the run goes: each step when the tracer hands it over. The last one may
 * gain events after (the exit, a signal, a limit): `nevents` says how many it was shown with. */
typedef struct live_text {
    unsigned flags;   /* SH_TRACE_ASCII */
    size_t shown, nevents;
} live_text;

static void show_step(void *arg, const sh_trace_step *s) {
    live_text *lt = arg;
    sh_trace_step_write(s, stdout, lt->flags);
    fflush(stdout);
    lt->shown = sh_trace_step_index(s) + 1;
    lt->nevents = sh_trace_step_nevents(s);
}

typedef struct run_args {
    int argc;
    char **argv;
    int rc;
} run_args;

typedef struct run_options {
    const char *json, *html, *pytutor, *stdin_path;
    bool ascii;
    int json_version;
    size_t max_steps;
    unsigned timeout;
} run_options;

enum { OPT_JSON = 256, OPT_JSON_VERSION, OPT_HTML, OPT_PYTUTOR, OPT_MAX_STEPS, OPT_TIMEOUT,
       OPT_STDIN, OPT_ASCII };

static const char *const json_versions[] = {"1", "2", NULL};

static const shi_cli_option run_options_table[] = {
    {"help", 'h', SHI_CLI_FLAG, NULL, 0, NULL},
    {"json", OPT_JSON, SHI_CLI_TEXT, "a file name", 0, NULL},
    {"json-version", OPT_JSON_VERSION, SHI_CLI_CHOICE, "1 or 2", 0, json_versions},
    {"html", OPT_HTML, SHI_CLI_TEXT, "a file name", 0, NULL},
    {"pytutor", OPT_PYTUTOR, SHI_CLI_TEXT, "a file name", 0, NULL},
    {"max-steps", OPT_MAX_STEPS, SHI_CLI_NUMBER, "a number", SIZE_MAX, NULL},
    /* a million seconds: eleven days, past any lesson's program */
    {"timeout", OPT_TIMEOUT, SHI_CLI_NUMBER, "a number", 1000000, NULL},
    {"stdin", OPT_STDIN, SHI_CLI_TEXT, "a file name", 0, NULL},
    {"ascii", OPT_ASCII, SHI_CLI_FLAG, NULL, 0, NULL},
    {0},
};

static int on_option(void *ctx, int key, const shi_cli_value *v) {
    run_options *o = ctx;
    switch (key) {
    case 'h': usage(stdout); return SH_EXIT_OK;
    case OPT_JSON: o->json = v->text; break;
    case OPT_JSON_VERSION: o->json_version = v->choice + 1; break;
    case OPT_HTML: o->html = v->text; break;
    case OPT_PYTUTOR: o->pytutor = v->text; break;
    case OPT_STDIN: o->stdin_path = v->text; break;
    case OPT_ASCII: o->ascii = true; break;
    case OPT_MAX_STEPS: o->max_steps = (size_t)v->number; break;
    case OPT_TIMEOUT: o->timeout = (unsigned)v->number; break;
    }
    return -1;
}

static int run_body(int argc, char **argv) {
    run_options o = {.max_steps = SH_TRACE_MAX_STEPS_DEFAULT, .timeout = SH_TRACE_TIMEOUT_DEFAULT};
    int status;
    int i = shi_cli_parse("run", argc, argv, run_options_table, on_option, &o, &status);
    if (i < 0) return status;
    const char *json = o.json, *html = o.html, *pytutor = o.pytutor, *stdin_path = o.stdin_path;
    bool ascii = o.ascii;
    size_t max_steps = o.max_steps;
    unsigned timeout = o.timeout;
    if (i >= argc) {
        return shi_cli_usage_error("run", "which program? as in stackheap run -- ./prog args...");
    }

    out_file outs[] = {{json, NULL, o.json_version == 1 ? SH_TRACE_JSON_V1 : SH_TRACE_JSON, false},
                       {html, NULL, SH_TRACE_HTML, false}, {pytutor, NULL, SH_TRACE_PYTUTOR, false}};
    size_t nouts = sizeof outs / sizeof outs[0];
    bool files = json || html || pytutor;
    int dashes = 0;
    for (size_t k = 0; k < nouts; k++) dashes += outs[k].path && !strcmp(outs[k].path, "-");
    if (dashes > 1)
        return shi_cli_usage_error("run", "only one of --json, --html and --pytutor can be '-' "
                                          "(the standard output); give the others a file name");
    if (open_outputs(outs, nouts) != 0) {
        close_outputs(outs, nouts, NULL, true);
        return SH_EXIT_FAIL;
    }
    live_text lt = {.flags = ascii ? SH_TRACE_ASCII : 0};

    char err[512];
    sh_trace *t = sh_trace_run(argv + i, &SH_TRACE_OPTS(
                                   .max_steps = max_steps, .stdin_path = stdin_path,
                                   .on_step = files ? NULL : show_step, .on_step_arg = &lt,
                                   .timeout = timeout, .interrupt = &interrupted),
                               err, sizeof err);
    if (!t) {
        fprintf(stderr, "stackheap run: %s\n", err);
        close_outputs(outs, nouts, NULL, true);
        return SH_EXIT_FAIL;
    }
    if (sh_trace_build_note(t)[0]) fprintf(stderr, "note: %s\n", sh_trace_build_note(t));
    int rc = SH_EXIT_OK;
    if (close_outputs(outs, nouts, t, false) != 0) rc = SH_EXIT_FAIL;
    if (!files) {
        /* the steps not shown yet, and the events the last one shown gained since */
        sh_trace_reader *r = sh_trace_reader_new(t);
        const sh_trace_step *last = lt.shown ? sh_trace_reader_step(r, lt.shown - 1) : NULL;
        if (last && sh_trace_step_nevents(last) > lt.nevents) {
            sh_trace_step_write_events(last, lt.nevents, stdout, lt.flags);
            putchar('\n');   /* as a step ends */
        }
        for (size_t k = lt.shown; k < sh_trace_nsteps(t); k++)
            sh_trace_step_write(sh_trace_reader_step(r, k), stdout, lt.flags);
        sh_trace_reader_free(r);
        sh_trace_write_summary(t, stdout, lt.flags);
        fflush(stdout);
    }
    unsigned forks = sh_trace_forks(t), threads = sh_trace_threads(t);
    if (forks || threads)
        fprintf(files ? stderr : stdout,
                "note: the program started %u child process%s and %u thread%s; only its "
                "main thread is traced\n", forks, forks == 1 ? "" : "es",
                threads, threads == 1 ? "" : "s");
    sh_trace_end end = sh_trace_end_reason(t);
    if (end == SH_TRACE_END_MAX_STEPS) {
        fprintf(stderr, "stackheap run: stopped after %zu steps (--max-steps %zu); the "
                        "program did not finish\n", max_steps, max_steps);
        rc = SH_EXIT_FAIL;
    }
    if (end == SH_TRACE_END_TIMEOUT) {
        fprintf(stderr, "stackheap run: the program ran %u s of CPU time without reaching a "
                        "new line (in code without -g?) and was killed (--timeout %u); the "
                        "trace holds the %zu steps before\n", timeout, timeout,
                sh_trace_nsteps(t));
        rc = SH_EXIT_FAIL;
    }
    if (end == SH_TRACE_END_INTERRUPTED) {
        int sig = sh_trace_interrupt_signal(t);
        fprintf(stderr, "stackheap run: interrupted by SIG%s: the program was killed%s\n",
                sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
                files ? "; the files hold the steps so far" : "");
        rc = 128 + sig;
    }
    sh_trace_free(t);
    return rc;
}

static void *run_thread(void *arg) {
    run_args *a = arg;
    a->rc = run_body(a->argc, a->argv);
    return NULL;
}

/* The tracer's own stack: the user may have set `ulimit -s 160` to show a stack overflow,
 * a limit the program (which inherits it) must keep and the tracer (DWARF, values, drawing)
 * cannot live with. So the run happens on a thread with a stack of its own size. */
enum { TRACER_STACK = 64 << 20 };

static int run_main(int argc, char **argv) {
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    run_args a = {argc, argv, SH_EXIT_FAIL};
    pthread_attr_t attr;
    pthread_t th;
    if (pthread_attr_init(&attr) == 0 && pthread_attr_setstacksize(&attr, TRACER_STACK) == 0 &&
        pthread_create(&th, &attr, run_thread, &a) == 0) {
        pthread_join(th, NULL);
    } else {
        a.rc = run_body(argc, argv);   /* no thread to be had: the stack we have */
    }
    pthread_attr_destroy(&attr);
    return a.rc;
}

const shi_cli_command shi_cli_run_command = {
    "run", run_main, "a program's stack and heap, line by line", true};
