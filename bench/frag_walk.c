/*
 * frag_walk — wl_frag on stackheap, with the heap walked after each phase: where the memory
 * of the fragmenting phase is, and what later phases could do with it (issue 14).
 *
 * Not one of run.sh's workloads (it calls sh_* directly and cannot run under the peers):
 *
 *     gcc -O2 -pthread -Iinclude -Isrc/heap bench/frag_walk.c build-bench/libstackheap.a \
 *         -o build-bench/bench/frag_walk && build-bench/bench/frag_walk
 *
 * For each phase it prints, for the small tier: the bytes in use and in free slots; the 4 KiB
 * OS pages that hold a block in use (no purge inside pages can go below them); the runs of
 * adjacent free slots within a page by length; and how much of phase 2's requests (rounded
 * to their size classes) a first fit in address order would place in those runs, which is
 * what serving those sizes from other classes' free slots would save.
 */
#include <stackheap/heap.h>

#include "internal.h"

static void after_phase(const char *name);
#define WL_FRAG_AFTER_PHASE(name) after_phase(name)
#define malloc sh_malloc
#define free sh_free
#include "wl_frag.c"
#undef malloc
#undef free

#define RUN_BUCKETS 6
static const size_t run_floor[RUN_BUCKETS] = {0, 320, 1024, 2048, 4096, 16384};

typedef struct survey {
    size_t live, free_bytes;
    uintptr_t last_os_page;           /* blocks come in address order within a page */
    size_t os_pages;                  /* 4 KiB pages holding a block in use */
    uintptr_t run_end;                /* where the current run of free slots ends */
    size_t run;
    size_t *runs, nruns;              /* every run's length, in address order */
} survey;

#define MAX_RUNS ((size_t)1 << 22)    /* a run is at least a 16-byte slot: more than enough */

static void end_run(survey *s) {
    if (!s->run)
        return;
    if (s->nruns < MAX_RUNS)
        s->runs[s->nruns++] = s->run;
    s->run = 0;
}

static int visit(const sh_heap_block *b, void *arg) {
    survey *s = arg;
    if (b->kind != SH_BLOCK_SMALL)
        return 0;
    uintptr_t a = (uintptr_t)b->addr, end = a + b->size;
    if (b->in_use) {
        end_run(s);
        for (uintptr_t pg = a / SH_OS_PAGE; pg <= (end - 1) / SH_OS_PAGE; pg++)
            if (pg != s->last_os_page) {
                s->os_pages++;
                s->last_os_page = pg;
            }
        s->live += b->size;
    } else {
        /* A run ends at a page's end: the slot layout of the next page is not this one's. */
        if (a != s->run_end || a % SH_SLICE_SIZE == 0)
            end_run(s);
        s->run += b->size;
        s->run_end = end;
        s->free_bytes += b->size;
    }
    return 0;
}

static double mib(size_t bytes) { return (double)bytes / (1 << 20); }

/* Phase 2's size mix, first fit into the runs in address order (a run keeps its remainder). */
static void first_fit(const survey *s) {
    uint64_t rng = 2;
    size_t want = 0, placed = 0, i = 0, left = s->nruns ? s->runs[0] : 0;
    for (size_t asked = 0; asked < (size_t)128 << 19;) {
        size_t n = wl_between(&rng, 320, 2048), c = shi_class_size(shi_size_class(n));
        asked += n;
        want += c;
        while (i < s->nruns && left < c)
            left = ++i < s->nruns ? s->runs[i] : 0;
        if (i == s->nruns)
            break;
        left -= c;
        placed += c;
    }
    fprintf(stderr, "  phase 2's blocks that fit in them (first fit): %.1f of %.1f MiB\n",
            mib(placed), mib(want));
}

static void after_phase(const char *name) {
    (void)name;                       /* wl_frag has just printed it with the RSS */
    static survey s;
    if (!s.runs) {                    /* from the OS, so the survey does not disturb the heap */
        s.runs = mmap(NULL, MAX_RUNS * sizeof *s.runs, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (s.runs == MAP_FAILED) {
            perror("mmap");
            exit(3);
        }
    }
    s = (survey){.runs = s.runs};
    if (sh_heap_walk(visit, &s) != 0) {
        perror("sh_heap_walk");
        exit(3);
    }
    end_run(&s);
    sh_heap_stats st;
    sh_heap_get_stats(&st);
    size_t count[RUN_BUCKETS] = {0}, bytes[RUN_BUCKETS] = {0};
    for (size_t i = 0; i < s.nruns; i++) {
        int k = RUN_BUCKETS - 1;
        while (s.runs[i] < run_floor[k])
            k--;
        count[k]++;
        bytes[k] += s.runs[i];
    }
    fprintf(stderr, "  committed %.1f MiB; small: %.1f MiB in use, %.1f MiB in free slots\n"
            "  4 KiB pages holding a small block in use: %.1f MiB\n  runs of free slots:",
            mib((size_t)st.committed), mib(s.live), mib(s.free_bytes), mib(s.os_pages * SH_OS_PAGE));
    for (int k = 0; k < RUN_BUCKETS; k++) {
        if (k + 1 < RUN_BUCKETS)
            fprintf(stderr, " %zu-%zu B", run_floor[k], run_floor[k + 1] - 1);
        else
            fprintf(stderr, " %zu B up", run_floor[k]);
        fprintf(stderr, ": %zu (%.1f MiB);", count[k], mib(bytes[k]));
    }
    fprintf(stderr, "\n");
    first_fit(&s);
}
