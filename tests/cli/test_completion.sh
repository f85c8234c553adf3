#!/usr/bin/env bash
# tests/cli/test_completion.sh — the bash completion (docs/completion/stackheap.bash):
# commands, every option of each command's --help offered (so the two cannot drift), the
# values an option takes in its three spellings (--stop main, --stop=main as one word, and
# as the words --stop = main that bash's COMP_WORDBREAKS makes), and files once the
# program is named.
set -u
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
here="${SH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ -x "$bin" ] || { echo "FAIL stackheap is not built: $bin"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" && touch prog.c prog.h && mkdir -p sub

# complete WORDS...: what the completion offers for the last word, sorted, on one line
complete_words() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stackheap
             printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ \$//"' \
        _ "$here/docs/completion/stackheap.bash" "$@"
}
expect() {   # name, what is expected, words...
    local name=$1 want=$2 got; shift 2
    got=$(complete_words "$@")
    if [ "$got" = "$want" ]; then pass "$name"; else fail "$name" "got '$got', want '$want'"; fi
}

expect "stackheap r -> run" "run" stackheap r
expect "stackheap <tab>: the commands and help" "help layout run" stackheap ""
expect "stackheap -<tab>: --help --version" "--help --version" stackheap -
expect "stackheap help <tab>: the commands" "layout run" stackheap help ""
expect "run --max -> --max-steps" "--max-steps" stackheap run --max
expect "layout --p -> --pid" "--pid" stackheap layout --p

# every option of each command's --help is offered after '-'
help_options() {
    grep -E '^ +-' | sed -E 's/^ +//' | grep -oE '^(-[a-zA-Z], )?--?[a-zA-Z][a-zA-Z-]*' |
        tr ',' '\n' | tr -d ' '
}
for cmd in run layout; do
    offered=" $(complete_words stackheap "$cmd" -) "
    opts=$("$bin" "$cmd" --help | help_options)
    missing=()
    for o in $opts; do [[ $offered == *" $o "* ]] || missing+=("$o"); done
    if [ -n "$opts" ] && [ ${#missing[@]} -eq 0 ]; then pass "$cmd -<tab>: all $(echo $opts | wc -w) options of 'stackheap $cmd --help'"
    else fail "$cmd -<tab>: every option of 'stackheap $cmd --help'" "missing ${missing[*]:-all}"; fi
    # and nothing --help does not list (an option dropped from the command)
    extra=()
    for o in $offered; do [ "$o" = -- ] || grep -qx -- "$o" <<< "$opts" || extra+=("$o"); done
    if [ ${#extra[@]} -eq 0 ]; then pass "$cmd -<tab>: no option that --help does not list"
    else fail "$cmd -<tab>: no option that --help does not list" "${extra[*]}"; fi
done

# values
expect "layout --stop <tab>: main heap exit" "exit heap main" stackheap layout --stop ""
expect "layout --stop=h (one word): --stop=heap" "--stop=heap" stackheap layout --stop=h
expect "layout --stop = <tab> (split at '='): main heap exit" "exit heap main" stackheap layout --stop = ""
expect "layout --stop = m (split at '='): main" "main" stackheap layout --stop = m
expect "run --json-version=<tab>: 1 2" "--json-version=1 --json-version=2" stackheap run --json-version=
expect "run --json p<tab>: files" "prog.c prog.h" stackheap run --json p
expect "run --json=p<tab>: --json=files" "--json=prog.c --json=prog.h" stackheap run --json=p
expect "run --max-steps <tab>: a number, nothing offered" "" stackheap run --max-steps ""
pid_offered=$(complete_words stackheap layout -p "$$")
[[ " $pid_offered " == *" $$ "* ]] && pass "layout -p <pid prefix>: running processes" || fail "layout -p $$: offered" "$pid_offered"

# the program and its arguments
expect "run --json t.json p<tab>: a value was skipped, the program is a file" "prog.c prog.h" stackheap run --json t.json p
expect "layout --stop = main ./prog --j: the program's own words are files, not options" "" stackheap layout --stop = main ./prog --j
expect "run ./prog --j<tab>: the program's, no stackheap option" "" stackheap run ./prog --j
expect "run -- p<tab>: files" "prog.c prog.h" stackheap run -- p

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
