/*
 * tests/heap/test_slices.c — a running thread's released small pages, and those of threads
 * that ended, do not stay resident beside the pages it makes next (issue 14).
 *
 * A page that empties goes back to its segment as free slices, still resident until they are
 * purged (docs/heap.md, "Memory return"). Three rules keep a thread that goes on allocating
 * from holding them beside new pages: a new page is made on the free slices that are still
 * resident; making a page purges the slices that have been free for the purge delay; and a
 * thread that makes pages winds up the heaps of ended threads and takes their segments before
 * it touches slices of its own that are not resident. Each test scripts a pattern and reads
 * `committed`. Checked mode keeps empty pages (their bitmaps catch double frees), so there the
 * tests only run the pattern.
 */
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include <stackheap/heap.h>

#include "check.h"
#include "helpers.h"

/* 1 KiB blocks come 64 to a one-slice (64 KiB) page. */
enum { BLOCK = 1024, PER_PAGE = 64, PAGES = 16 };

static void fill_pages(char **blocks, size_t size, size_t count) {
    for (size_t i = 0; i < count; i++) {
        blocks[i] = sh_malloc(size);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], 7, size);
    }
}

static void free_all(char **blocks, size_t count) {
    for (size_t i = 0; i < count; i++) sh_free(blocks[i]);
}

/* Before, a thread purged its free slices only when it had to map a new segment: 15 released
 * pages stayed resident however long the thread went on making pages in the others. */
SH_TEST(test_released_slices_go_back_when_the_thread_makes_a_page) {
    static char *a[PAGES * PER_PAGE];
    fill_pages(a, BLOCK, PAGES * PER_PAGE);
    size_t c1 = committed_now();
    free_all(a, PAGES * PER_PAGE);      /* 15 pages released, the class's last one kept */
    CHECK(committed_now() >= c1 - 64 * KiB);  /* nothing went back yet: it may be reused */
    usleep(700 * 1000);                 /* past the purge delay (0.5 s) */
    char *other = sh_malloc(3000);      /* a size of its own: a new page */
    CHECK(other != NULL);
    size_t c2 = committed_now();
    printf("1 MiB released: committed %.2f MiB, then %.2f MiB once a page was made\n",
           (double)c1 / MiB, (double)c2 / MiB);
    if (!sh_heap_checked()) CHECK(c2 + 768 * KiB <= c1);
    sh_free(other);
}

/* Before, a new page took the first free slices of the segment: the purged ones of an earlier
 * phase, which had to be faulted in again, while the resident ones freed since stayed. */
SH_TEST(test_a_new_page_is_made_on_resident_free_slices) {
    static char *a[PAGES * PER_PAGE], *b[PAGES * PER_PAGE], *c[PAGES * 42];
    fill_pages(a, BLOCK, PAGES * PER_PAGE);       /* the segment's first slices */
    fill_pages(b, 2 * BLOCK, PAGES * PER_PAGE / 2); /* the next ones: 32 blocks a page */
    free_all(a, PAGES * PER_PAGE);
    sh_heap_trim();                               /* a's slices go back to the OS */
    free_all(b, PAGES * PER_PAGE / 2);            /* b's stay resident for now */
    size_t c1 = committed_now();
    fill_pages(c, 1536, PAGES * 42);              /* a third size, 42 blocks a page */
    size_t c2 = committed_now();
    printf("16 pages made after 15 resident ones were released: committed %.2f MiB, then %.2f MiB\n",
           (double)c1 / MiB, (double)c2 / MiB);
    if (!sh_heap_checked()) CHECK(c2 <= c1 + 128 * KiB);
    free_all(c, PAGES * 42);
}

/* An ended thread's segment, nearly empty: its blocks were freed by main. */
enum { ENDED_BLOCKS = 60 * PER_PAGE };
static char *ended[ENDED_BLOCKS];

static void *allocate_and_end(void *arg) {
    (void)arg;
    fill_pages(ended, BLOCK, ENDED_BLOCKS);
    return NULL;
}

/* Before, the heap of a thread that ended waited 1 s for a new thread, and a running thread
 * made its pages on fresh slices meanwhile: in bench/wl_server, where one worker often ends
 * 0.1-0.4 s before the others, that was 5 MiB of peak RSS. */
SH_TEST(test_a_running_thread_takes_an_ended_threads_memory_first) {
    char *mine = sh_malloc(16);                   /* main's heap, made now */
    CHECK(mine != NULL);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, allocate_and_end, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    for (size_t i = 1; i < ENDED_BLOCKS; i++) sh_free(ended[i]);  /* one page stays in use */
    usleep(200 * 1000);                           /* the thread heap's purge looks every 125 ms */
    static char *b[40 * 32];
    size_t c1 = committed_now();
    fill_pages(b, 2 * BLOCK, 40 * 32);            /* 40 pages of 2 KiB blocks: 2.5 MiB */
    size_t c2 = committed_now();
    printf("2.5 MiB allocated beside 3.7 MiB an ended thread left free: committed %.2f MiB, "
           "then %.2f MiB\n", (double)c1 / MiB, (double)c2 / MiB);
    if (!sh_heap_checked()) CHECK(c2 <= c1 + 512 * KiB);
    free_all(b, 40 * 32);
    sh_free(ended[0]);
    sh_free(mine);
}

int main(void) { return sh_test_main(); }
