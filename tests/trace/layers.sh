#!/usr/bin/env bash
# tests/trace/layers.sh — the tracer's arrows point down (src/trace/README.md): each layer
# may include only itself and the layers below it, libdw stays in debuginfo/ and ptrace in
# proc/. A moved file or a new #include that breaks this fails here, naming the line.
#
#     bash tests/trace/layers.sh            # from the source tree, or with SH_SOURCE_DIR set
#     LAYERS_ROOT=/tmp/copy bash layers.sh  # check another tree (how this test was made to fail)
set -u
root="${LAYERS_ROOT:-${SH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}}"
trace="$root/src/trace"
[ -d "$trace" ] || { echo "FAIL no $trace"; echo "0 passed, 1 failed"; exit 1; }

# What each folder may include of ours ("core" is the shared panic and grow helper, below
# everything). Anything under trace/ that is not listed is a higher layer or a sibling.
declare -A allowed=(
    [model]="model"
    [proc]="proc"
    [debuginfo]="debuginfo model"
    [engine]="engine debuginfo proc model"
    [render]="render model"
    [api]="api engine render model"
    [cli]="engine render model"
)
layers=(model proc debuginfo engine render api)

source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"

# Every C file lives in a layer: a file left at src/trace/ top level has no place.
stray=$(find "$trace" -maxdepth 1 -name '*.[ch]' | sed "s#^$root/##")
if [ -z "$stray" ]; then pass "every tracer file is in a layer folder"
else fail "every tracer file is in a layer folder" "$(echo $stray)"; fi

for layer in "${layers[@]}" cli; do
    if [ "$layer" = cli ]; then dir="$root/src/cli"; else dir="$trace/$layer"; fi
    [ -d "$dir" ] || { fail "$layer exists" "no $dir"; continue; }
    bad=""
    # "trace/X/..." includes: X must be allowed; a bare "trace/file.h" has no layer.
    while IFS= read -r hit; do
        [ -n "$hit" ] || continue
        inc=$(sed -E 's/.*#include "trace\/([^"]*)".*/\1/' <<<"${hit#*:*:}")
        target=${inc%%/*}
        [ "$target" = "$inc" ] && target="(none)"
        case " ${allowed[$layer]} " in
            *" $target "*) ;;
            *) bad+="${hit#$root/}"$'\n' ;;
        esac
    done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"trace/' "$dir" \
                 --include='*.c' --include='*.h')
    if [ -z "$bad" ]; then pass "$layer includes only ${allowed[$layer]}"
    else fail "$layer includes only ${allowed[$layer]}" $'\n'"$bad"; fi
done

# libdw (and its DWARF constants) only in debuginfo/; ptrace only in proc/.
check_lib() {   # NAME PATTERN HOME
    local out
    out=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($2)" \
              "$root/src" "$root/include" --include='*.c' --include='*.h' 2>/dev/null |
          grep -v "^$trace/$3/" | sed "s#^$root/##")
    if [ -z "$out" ]; then pass "$1 only in $3/"
    else fail "$1 only in $3/" $'\n'"$out"; fi
}
check_lib "libdw" 'elfutils/|dwarf\.h>|libdw\.h>|libdwfl\.h>' debuginfo
check_lib "ptrace" 'sys/ptrace\.h>' proc

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
