#!/usr/bin/env bash
# tests/heap/exit_frees.sh LIB — threads whose exit makes glibc free its own buffers, on the
# drop-in heap: memory must not grow with the number of such threads.
#
# glibc keeps a few buffers per thread and frees them when the thread ends, after the
# destructors of thread-specific data have run (and with them the heap's own, which winds
# up the thread's heap): the message of a failed dlopen that dlerror returned, the text of
# strerror for an unknown error number, of strsignal for an unknown signal. A heap that
# takes a fresh thread heap for those frees and never gives it back loses about 2 KB per
# thread: issue 9 saw RSS go from 2 to 20 MB over 10,000 threads, where glibc's malloc
# stays flat.
#
# A small program (written and compiled here with cc) runs 10,000 threads that each call
# dlopen("/nonexistent.so") and dlerror(), strerror(12345) and strsignal(77), then end; it
# prints its RSS after the first 200 threads and after all of them. It runs once on glibc's
# malloc (for reference) and once with LD_PRELOAD=LIB and STACKHEAP_STATS=1 (whose report
# on stderr shows the library really was the allocator). Required: RSS grows by less than
# 4 MiB on the drop-in heap. Exit 77 (skip) without cc, or when LIB is built with ASan
# (it cannot be preloaded into a program built without it).
#
#     bash tests/heap/exit_frees.sh build/libstackheap-malloc.so
set -u

source "$(dirname "$0")/common.bash" "${1:-}"
heap_tool cc
heap_workdir exit_frees

cat > "$work/prog.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2) exit(2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Leaves glibc three per-thread buffers to free when the thread ends. */
static void *worker(void *arg) {
    (void)arg;
    if (dlopen("/nonexistent.so", RTLD_NOW) != NULL) exit(2);
    const char *why = dlerror();
    const char *e = strerror(12345), *s = strsignal(77);
    if (!why || !e || !s) exit(2);
    return NULL;
}

static void run(int n) {
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0 || pthread_join(t, NULL) != 0) exit(2);
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    run(200);
    long before = rss_kib();
    run(n);
    long after = rss_kib();
    printf("%ld %ld\n", before, after);
    return 0;
}
EOF
cc -O2 -pthread -o "$work/prog" "$work/prog.c" -ldl || { echo "FAIL: cc could not build the test program"; exit 1; }

threads=10000
limit_kib=4096

plain=$(env -u LD_PRELOAD "$work/prog" "$threads" 2>"$work/plain.err") ||
    { echo "FAIL: the program failed on glibc's malloc"; cat "$work/plain.err"; exit 1; }
heap=$(env LD_PRELOAD="$lib" STACKHEAP_STATS=1 timeout -k 10 300 "$work/prog" "$threads" 2>"$work/heap.err")
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: the program exited $rc on the stackheap heap"
    sed 's/^/    /' "$work/heap.err" | head -40
    exit 1
fi
if ! grep -q "stackheap heap statistics" "$work/heap.err"; then
    echo "FAIL: no stackheap statistics on stderr: the library was not the allocator"
    sed 's/^/    /' "$work/heap.err" | head -20
    exit 1
fi

read -r pb pa <<< "$plain"
read -r hb ha <<< "$heap"
grow_plain=$((pa - pb)) grow_heap=$((ha - hb))
printf 'glibc:     RSS %6d KiB after 200 threads, %6d KiB after %d more (%+d KiB)\n' "$pb" "$pa" "$threads" "$grow_plain"
printf 'stackheap: RSS %6d KiB after 200 threads, %6d KiB after %d more (%+d KiB)\n' "$hb" "$ha" "$threads" "$grow_heap"
if [ "$grow_heap" -ge "$limit_kib" ]; then
    echo "FAIL: RSS grew by $grow_heap KiB over $threads threads on the stackheap heap" \
         "(limit $limit_kib KiB; glibc: $grow_plain KiB): each thread's exit leaves memory behind"
    exit 1
fi
echo "ok: RSS grew by $grow_heap KiB (limit $limit_kib KiB)"
