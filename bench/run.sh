#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — every workload under every allocator, in one run.
#
# Builds the workloads into BUILD_DIR/bench, runs each one under glibc, jemalloc, mimalloc,
# tcmalloc and stackheap (BUILD_DIR/libstackheap-malloc.so) by LD_PRELOAD, and prints a
# Markdown table of wall time and peak RSS, also written to bench/out/RESULTS.md.
# Allocators are interleaved, rotating their order each repetition, so a noisy moment on
# the machine is shared out instead of landing on one allocator.
#
# Environment: BENCH_REPS (runs per cell, default 3: best time, median RSS),
# BENCH_ONLY (a regex of workload names), BENCH_QUICK=1 (a tenth of the work: a smoke test),
# BENCH_TIMEOUT (seconds before a run counts as hung, default 60).
set -euo pipefail
unset LD_PRELOAD   # the harness runs on glibc; measure sets a preload in the child only

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { echo "usage: bench/run.sh BUILD_DIR" >&2; exit 2; }
mkdir -p "$1/bench"
build=$(cd "$1" && pwd)
bin=$build/bench
out=$here/out
runs=$out/runs
reps=${BENCH_REPS:-3}
only=${BENCH_ONLY:-.}
timeout=${BENCH_TIMEOUT:-60}   # seconds per run: each takes about 1 s; only a hang gets near this
mkdir -p "$runs"
rm -f "$runs"/*

say() { printf '%s\n' "$*" >&2; }

# ---- build ------------------------------------------------------------------------------
compile() {
    local cflags=(-O2 -pthread -std=gnu11 -Wall -Wextra)
    gcc "${cflags[@]}" -o "$bin/measure" "$here/measure.c"
    local src
    for src in "$here"/wl_*.c; do
        gcc "${cflags[@]}" -o "$bin/$(basename "$src" .c)" "$src"
    done
}

# ---- allocators -------------------------------------------------------------------------
allocators=(glibc jemalloc mimalloc tcmalloc stackheap)
declare -A lib=() version=()

# The library a Debian package installs under this soname, or nothing.
peer_lib() {
    local pkg=$1 soname=$2 path
    path=$(dpkg -L "$pkg" 2>/dev/null | grep -m1 "/$soname\$" || true)
    if [ -z "$path" ]; then
        path=$(ldconfig -p 2>/dev/null | awk -v s="$soname" '$1 == s { print $NF; exit }')
    fi
    [ -n "$path" ] && [ -f "$path" ] && printf '%s' "$path"
    return 0
}

pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }

find_allocators() {
    lib[glibc]=""
    version[glibc]=$(pkg_version libc6)
    lib[jemalloc]=$(peer_lib libjemalloc2 libjemalloc.so.2)
    version[jemalloc]=$(pkg_version libjemalloc2)
    lib[mimalloc]=$(peer_lib libmimalloc2.0 libmimalloc.so.2)
    version[mimalloc]=$(pkg_version libmimalloc2.0)
    lib[tcmalloc]=$(peer_lib libtcmalloc-minimal4 libtcmalloc_minimal.so.4)
    version[tcmalloc]=$(pkg_version libtcmalloc-minimal4)
    lib[stackheap]=""
    if [ -f "$build/libstackheap-malloc.so" ]; then
        lib[stackheap]=$build/libstackheap-malloc.so
    fi
    version[stackheap]=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo "?")
    if [ -n "$(git -C "$here" status --porcelain -- src include 2>/dev/null)" ]; then
        version[stackheap]+="+uncommitted"
    fi
}

# glibc is always there; any other allocator without its library is "n/a".
available() { [ "$1" = glibc ] || [ -n "${lib[$1]}" ]; }

# ---- workloads --------------------------------------------------------------------------
workloads=(churn server prodcon prodmix orphan share2 share4 realloc large frag python sqlite)
declare -A title=(
    [churn]="small-object churn"
    [server]="server: 4 threads, request bursts"
    [prodcon]="producer/consumer cross-thread free"
    [prodmix]="producer/consumer, 16 B..64 KiB log-uniform"
    [orphan]="threads end, others free their blocks later"
    [share2]="false sharing, 2 threads (thrash, scratch)"
    [share4]="false sharing, 4 threads (thrash, scratch)"
    [realloc]="realloc growth to 1 MiB"
    [large]="large blocks 64 KiB..8 MiB"
    [frag]="after a fragmenting phase (RSS: the end's)"
    [python]="python3 dict/list/str churn"
    [sqlite]="sqlite3 inserts, in-memory db"
)
declare -A scale=(
    [churn]=8000000 [server]=25000 [prodcon]=5000000 [realloc]=10000 [large]=10000 [frag]=128
    [prodmix]=3000000 [orphan]=1000 [share2]=1000000 [share4]=1000000
    [python]=500 [sqlite]=120000
)
python=""
sqlite=""

find_programs() {
    # The interpreter itself, not a wrapper script (pyenv's shim is bash): the preload
    # must land on the program being measured.
    if command -v python3 >/dev/null; then
        python=$(python3 -c 'import sys; print(sys.executable)')
    fi
    sqlite=$(command -v sqlite3 || true)
    if [ -n "${BENCH_QUICK:-}" ]; then
        local w
        for w in "${!scale[@]}"; do scale[$w]=$(( scale[$w] / 10 )); done
    fi
    if [ -n "$sqlite" ]; then
        awk -v n="${scale[sqlite]}" -f "$here/wl_sqlite.awk" > "$bin/wl_sqlite.sql"
    fi
}

# Fills the array `cmd` with what to run, and `opts` with the extra measure options.
workload_command() {
    local w=$1
    opts=()
    case $w in
    python)
        [ -n "$python" ] || return 1
        # Without this, objects up to 512 bytes come from Python's own pools and the
        # allocator under test would hardly be called.
        opts=(-e PYTHONMALLOC=malloc -e PYTHONHASHSEED=0)
        cmd=("$python" -S -s "$here/wl_python.py" "${scale[$w]}") ;;
    sqlite)
        [ -n "$sqlite" ] || return 1
        opts=(-i "$bin/wl_sqlite.sql")
        cmd=("$sqlite" :memory:) ;;
    prodmix)
        cmd=("$bin/wl_prodcon" "${scale[$w]}" mixed) ;;
    share2 | share4)
        cmd=("$bin/wl_share" "${scale[$w]}" "${w#share}") ;;
    *)
        cmd=("$bin/wl_$w" "${scale[$w]}") ;;
    esac
}

# ---- measuring --------------------------------------------------------------------------
# One run: appends "workload alloc rep wall_s maxrss_kib user_s sys_s status" to raw.tsv.
run_one() {
    local w=$1 a=$2 rep=$3 line
    local base=$runs/$w.$a.$rep
    local cmd opts
    workload_command "$w"
    local pre=()
    [ -n "${lib[$a]}" ] && pre=(-p "${lib[$a]}")
    line=$("$bin/measure" -t "$timeout" -o "$base.out" "${pre[@]}" "${opts[@]}" -- "${cmd[@]}" \
           2>"$base.err") || line="0 0 0 0 not-started"
    # ld.so only warns when a preload cannot be loaded, then runs on glibc: not a result.
    if grep -q "cannot be preloaded" "$base.err"; then
        line="${line% *} preload-ignored"
    fi
    printf '%s\t%s\t%s\t%s\n' "$w" "$a" "$rep" "${line// /$'\t'}" >> "$out/raw.tsv"
    printf '%s' "$line"
}

# The expected output: glibc's first good run, or, if glibc failed, the first good one.
reference_output() {
    local w=$1 a f
    for a in glibc "${allocators[@]}"; do
        f=$runs/$w.$a.1.out
        if [ -f "$f" ] && awk -v w="$w" -v a="$a" \
            '$1 == w && $2 == a && $3 == 1 && $8 == "ok" { found = 1 } END { exit !found }' \
            "$out/raw.tsv"; then
            printf '%s' "$f"
            return
        fi
    done
}

# Marks runs whose output differs from the reference as "wrong-output".
check_outputs() {
    local w=$1 ref f a rep
    ref=$(reference_output "$w")
    [ -n "$ref" ] || return 0
    for f in "$runs/$w".*.out; do
        cmp -s "$f" "$ref" && continue
        a=$(basename "$f" .out); rep=${a##*.}; a=${a#"$w".}; a=${a%.*}
        awk -v w="$w" -v a="$a" -v r="$rep" 'BEGIN { FS = OFS = "\t" }
            $1 == w && $2 == a && $3 == r && $8 == "ok" { $8 = "wrong-output" } { print }' \
            "$out/raw.tsv" > "$out/raw.tsv.tmp" && mv "$out/raw.tsv.tmp" "$out/raw.tsv"
    done
}

measure_workload() {
    local w=$1 rep i n=${#allocators[@]} a line
    local -A hung=()      # a hang is not retried: three of them would cost minutes
    for ((rep = 1; rep <= reps; rep++)); do
        printf '%-8s run %d/%d:' "$w" "$rep" "$reps" >&2
        for ((i = 0; i < n; i++)); do
            a=${allocators[$(( (i + rep - 1) % n ))]}
            if ! available "$a"; then
                printf '%s\t%s\t%s\t0\t0\t0\t0\tn/a\n' "$w" "$a" "$rep" >> "$out/raw.tsv"
                continue
            fi
            if [ -n "${hung[$a]:-}" ]; then
                printf '%s\t%s\t%s\t0\t0\t0\t0\ttimeout\n' "$w" "$a" "$rep" >> "$out/raw.tsv"
                continue
            fi
            line=$(run_one "$w" "$a" "$rep")
            [[ $line == *" timeout" ]] && hung[$a]=1
            printf '  %s %.2fs' "$a" "${line%% *}" >&2
        done
        printf '\n' >&2
    done
    check_outputs "$w"
}

# ---- report -----------------------------------------------------------------------------
# Share of all CPUs not idle over one second, in percent: the load average would still
# count the build that make ran a moment ago.
cpu_busy_percent() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6; exit }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6; exit }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        busy = y[1] - x[1]; idle = y[2] - x[2]
        printf "%d", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}

machine_line() {
    local cpu mem
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    printf '%s CPUs (nproc), %s, %s RAM, Linux %s' "$(nproc)" "${cpu:-unknown CPU}" "$mem" \
        "$(uname -r)"
}

write_header() {
    local command="bench/run.sh $1"
    [ -n "${MAKELEVEL:-}" ] && command="make bench"
    local a
    echo "# stackheap benchmark results"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: $(machine_line)"
    echo "- Load average at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- CPU busy with other work just before the run: ${busy_start} % (1 s sample)"
    if [ "$busy_start" -ge 25 ]; then
        echo "- **The machine was busy with other work: times are inflated and noisier" \
             "than on an idle machine; compare ratios, not seconds.**"
    fi
    echo "- Command: \`$command\`${BENCH_QUICK:+ with BENCH_QUICK=1 (a tenth of the work)}"
    echo "- $reps run(s) per cell, allocators interleaved. Time: wall-clock seconds, the best run."
    echo "  RSS: peak resident set of the process (ru_maxrss) in MiB, the median run."
    echo "- Ratios: stackheap / peer, so below 1 means stackheap is faster (or smaller)."
    echo "- Allocators:"
    for a in "${allocators[@]}"; do
        if ! available "$a"; then
            echo "  - $a: n/a (library not found)"
        elif [ "$a" = glibc ]; then
            echo "  - glibc ${version[$a]} (no preload)"
        else
            echo "  - $a ${version[$a]}: \`${lib[$a]}\`"
        fi
    done
    echo "- Programs: gcc $(gcc -dumpfullversion) -O2;" \
         "${python:+python $("$python" -c 'import platform; print(platform.python_version())')}," \
         "${sqlite:+sqlite $("$sqlite" --version | cut -d' ' -f1)}"
    echo
}

main() {
    say "bench: building workloads into $bin"
    compile
    find_allocators
    find_programs
    load_start=$(cut -d' ' -f1-3 /proc/loadavg)
    busy_start=$(cpu_busy_percent)
    : > "$out/raw.tsv"
    local w titles=""
    for w in "${workloads[@]}"; do titles+="$w=${title[$w]}|"; done
    for w in "${workloads[@]}"; do
        [[ $w =~ $only ]] || continue
        if ! workload_command "$w" 2>/dev/null; then
            say "bench: $w skipped: its program is not installed"
            continue
        fi
        measure_workload "$w"
    done
    {
        write_header "$1"
        awk -v allocs="${allocators[*]}" -v titles="$titles" -v runs="$runs" -f "$here/table.awk" "$out/raw.tsv"
        echo
        echo "What each workload does: bench/README.md."
    } > "$out/RESULTS.md"
    say ""
    cat "$out/RESULTS.md"
}

main "$1"
