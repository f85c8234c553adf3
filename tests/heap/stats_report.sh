#!/usr/bin/env bash
# tests/heap/stats_report.sh LIB — where the STACKHEAP_STATS report goes at exit.
#
# STACKHEAP_STATS=1 prints the heap's statistics to the stderr the program has at exit, or,
# if the program closed it, to a copy the heap took at start-up; but never into a descriptor
# that now is one of the program's own files, whatever number it has. STACKHEAP_STATS=FILE
# appends the report to FILE (a relative name: from the directory the program started in).
#
#     bash tests/heap/stats_report.sh build/libstackheap-malloc.so
#
# A small program compiled here runs with LIB preloaded in each way; prints "ok"/"FAIL" per
# check, then "N passed, N failed".
set -u

source "$(dirname "$0")/common.bash" "${1:-}"
heap_tool cc
heap_workdir sr
# check NAME COMMAND...: passes when the command succeeds.
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

cat >"$work/prog.c" <<'EOF'
/* prog MODE: allocates, does what MODE says to its descriptors, allocates again, exits
 * through exit() so that the heap's report runs.
 *   plain     nothing
 *   close2    closes stderr (as coreutils do before exit)
 *   dataall   closes stderr and every descriptor from 3 up, then opens data files
 *             data.0 ... data.15 in the current directory (they take 2, 3, 4, ...) and
 *             writes "data N\n" into each
 *   chdir     changes to / before exit
 *   fork      forks; parent and child both exit normally (only the parent says done) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "plain";
    char *keep = malloc(100);
    if (!keep) return 2;
    if (strcmp(mode, "close2") == 0) {
        close(2);
    } else if (strcmp(mode, "dataall") == 0) {
        close(2);
        for (int fd = 3; fd < 1024; fd++) close(fd);
        for (int i = 0; i < 16; i++) {
            char name[32], text[32];
            snprintf(name, sizeof name, "data.%d", i);
            int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) return 3;
            int n = snprintf(text, sizeof text, "data %d\n", i);
            if (write(fd, text, (size_t)n) != n) return 4;
        }
    } else if (strcmp(mode, "chdir") == 0) {
        if (chdir("/") != 0) return 5;
    } else if (strcmp(mode, "fork") == 0) {
        pid_t pid = fork();
        if (pid < 0) return 6;
        if (pid > 0) waitpid(pid, NULL, 0);
        else mode = "child";
    }
    for (int i = 0; i < 100; i++) free(malloc((size_t)i * 1000));
    free(keep);
    if (strcmp(mode, "child") != 0) puts("done");
    return 0;
}
EOF
cc -O1 -o "$work/prog" "$work/prog.c" || { echo "FAIL cc prog.c"; echo "0 passed, 1 failed"; exit 1; }

# run DIR STATS MODE: runs prog in DIR (made afresh) with STACKHEAP_STATS=STATS and LIB
# preloaded; stdout in DIR/out, stderr in DIR/err, status in $rc.
run() {
    local dir=$1 stats=$2 mode=$3
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && env LD_PRELOAD="$lib" STACKHEAP_STATS="$stats" "$work/prog" "$mode") \
        >"$dir/out" 2>"$dir/err" </dev/null
    rc=$?
}
reports() { grep -c '^stackheap heap statistics$' "$1" 2>/dev/null || true; }
ran() { [ "$rc" = 0 ] && [ "$(cat "$1/out")" = done ]; }

# every data.N holds exactly "data N\n"
data_untouched() {
    local dir=$1 i
    for i in $(seq 0 15); do
        if [ "$(cat "$dir/data.$i")" != "data $i" ] || [ "$(wc -c <"$dir/data.$i")" != $((6 + ${#i})) ]; then
            echo "    data.$i now holds:"; sed 's/^/      /' "$dir/data.$i" | head -5
            return 1
        fi
    done
}

# ---- STACKHEAP_STATS=1 ---------------------------------------------------------------------
run "$work/plain" 1 plain
check "STATS=1: the report is on stderr" eval 'ran "$work/plain" && [ "$(reports "$work/plain/err")" = 1 ]'

run "$work/close2" 1 close2
check "STATS=1, stderr closed before exit: the report reaches the stderr the program was given" \
    eval 'ran "$work/close2" && [ "$(reports "$work/close2/err")" = 1 ]'

run "$work/dataall" 1 dataall
check "STATS=1, stderr and every descriptor from 3 closed, data files opened: the program runs" \
    ran "$work/dataall"
check "STATS=1, stderr and every descriptor from 3 closed, data files opened: no data file is written to" \
    data_untouched "$work/dataall"
check "STATS=1, stderr and every descriptor from 3 closed: no report on the old stderr either" \
    eval '[ "$(reports "$work/dataall/err")" = 0 ]'

run "$work/zero" 0 close2
check "STATS=0: no report" eval 'ran "$work/zero" && [ ! -s "$work/zero/err" ]'

# ---- STACKHEAP_STATS=FILE --------------------------------------------------------------------
mkdir -p "$work/file"
printf 'earlier line\n' >"$work/file/report.txt"
run "$work/file/run" "$work/file/report.txt" dataall
check "STATS=FILE: the report is appended to FILE" \
    eval 'ran "$work/file/run" && [ "$(head -1 "$work/file/report.txt")" = "earlier line" ] && [ "$(reports "$work/file/report.txt")" = 1 ] && grep -q "^  checked mode" "$work/file/report.txt"'
check "STATS=FILE: the data files are untouched and stderr has no report" \
    eval 'data_untouched "$work/file/run" && [ "$(reports "$work/file/run/err")" = 0 ]'

run "$work/rel" report.txt chdir
check "STATS=relative name: the file is in the directory the program started in, though it moved to /" \
    eval 'ran "$work/rel" && [ "$(reports "$work/rel/report.txt")" = 1 ] && [ ! -e /report.txt ]'

run "$work/fork" "$work/fork.txt" fork
check "STATS=FILE, two processes: two whole reports, one after the other" \
    eval 'ran "$work/fork" && [ "$(reports "$work/fork.txt")" = 2 ] && [ "$(wc -l <"$work/fork.txt")" = 28 ] && [ "$(grep -c "^  checked mode" "$work/fork.txt")" = 2 ] && [ "$(grep -vc "^ " "$work/fork.txt")" = 2 ]'

finish
