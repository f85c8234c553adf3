#!/usr/bin/env bash
# tests/cli/test_man.sh — the man pages (docs/man): each renders without a warning (man -l,
# or groff -ww where man is missing), each is installed by CMake in its section, and every
# option of `stackheap --help`, `stackheap run --help` and `stackheap layout --help` (every
# command too) is in its page's OPTIONS (COMMANDS) section, so the pages cannot fall behind
# the command. Needs groff (Debian's groff-base: scripts/deps.sh test); man-db if present.
set -u
bin="${SH_BINARY_DIR:?set SH_BINARY_DIR to the build directory}/stackheap"
src="${SH_SOURCE_DIR:?set SH_SOURCE_DIR to the source directory}"
[ -x "$bin" ] || { echo "FAIL stackheap is not built: $bin"; exit 1; }
command -v groff >/dev/null || { echo "skip: no groff to render the man pages (apt-get install groff-base)"; exit 77; }
man=$(command -v man || true)
[ -n "$man" ] || echo "note: no man (man-db): pages rendered with groff -man only"

source "$(dirname "${BASH_SOURCE[0]}")/../results.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pages=(stackheap.1 stackheap-run.1 stackheap-layout.1 stackheap.3 stackheap-malloc.7)

# ---- each page renders, without a warning --------------------------------------------------
for p in "${pages[@]}"; do
    f="$src/docs/man/$p"
    [ -f "$f" ] || { fail "$p exists" "no $f"; continue; }
    if [ -n "$man" ]; then
        LC_ALL=C.UTF-8 MANWIDTH=80 "$man" --warnings -l "$f" > "$work/$p.txt" 2> "$work/$p.warn"
    else
        groff -man -Tutf8 -ww "$f" > "$work/$p.txt" 2> "$work/$p.warn"
    fi
    groff -man -Tutf8 -ww -z "$f" 2>> "$work/$p.warn"
    if [ -s "$work/$p.warn" ]; then fail "$p renders without warnings" "$(head -3 "$work/$p.warn")"
    elif ! grep -q "^NAME" "$work/$p.txt" || ! grep -q "^SEE ALSO" "$work/$p.txt"; then
        fail "$p renders a NAME and a SEE ALSO section"
    else pass "$p renders without warnings ($(wc -l < "$work/$p.txt") lines)"; fi
done

# ---- each is installed, in the section its name says, and man finds it there ---------------
if command -v cmake >/dev/null && cmake --install "$SH_BINARY_DIR" --prefix "$work/inst" > "$work/install.log" 2>&1; then
    for p in "${pages[@]}"; do
        sec=${p##*.} name=${p%.*}
        f="$work/inst/share/man/man$sec/$p"
        if [ ! -f "$f" ]; then fail "$p installed to share/man/man$sec" "not in $work/inst/share/man"
        elif ! cmp -s "$f" "$src/docs/man/$p"; then fail "$p installed to share/man/man$sec" "differs from docs/man/$p"
        elif [ -n "$man" ] && [ "$("$man" -M "$work/inst/share/man" -w "$sec" "$name" 2>/dev/null)" != "$f" ]; then
            fail "$p installed: man -M PREFIX/share/man -w $sec $name finds it"
        else pass "$p installed to share/man/man$sec${man:+, found by man -w $sec $name}"; fi
    done
else
    fail "cmake --install into a scratch prefix" "$(tail -3 "$work/install.log" 2>/dev/null)"
fi

# ---- each page's NAME line reads as whatis(1) and apropos(1) will show it ------------------
if command -v lexgrog >/dev/null; then
    for p in "${pages[@]}"; do
        line=$(lexgrog "$src/docs/man/$p" 2>&1)
        case $line in
            *": \"${p%.*} - "*) pass "$p: whatis line ${line#*: }" ;;
            *) fail "$p: lexgrog reads its NAME line" "$line" ;;
        esac
    done
fi

# ---- every option of --help is in its page's OPTIONS section -------------------------------
# A page as plain ASCII text ("\-" as "-"), wide enough that no option is broken at a hyphen.
plain() { groff -man -Tascii -P-cbou -rLL=300n "$src/docs/man/$1" 2>/dev/null; }
# The lines of one section: from its heading to the next heading.
section() { awk -v s="$2" '/^[A-Z]/ { on = ($0 == s) } on' <<< "$1"; }
# The option names an option list of --help gives, one a line: "-h", "--help", "--json".
help_options() {
    grep -E '^ +-' | sed -E 's/^ +//' | grep -oE '^(-[a-zA-Z], )?--?[a-zA-Z][a-zA-Z-]*' |
        tr ',' '\n' | tr -d ' '
}
has_word() { grep -qE -- "(^|[^-a-zA-Z0-9])$2([^-a-zA-Z0-9]|\$)" <<< "$1"; }

check_options() {   # page, command words...
    local page=$1; shift
    local text opts n=0 missing=()
    text=$(section "$(plain "$page")" OPTIONS)
    opts=$("$bin" "$@" --help | help_options)
    [ -n "$opts" ] || { fail "stackheap $* --help lists options" "none parsed"; return; }
    for o in $opts; do
        n=$((n + 1))
        has_word "$text" "$o" || missing+=("$o")
    done
    if [ ${#missing[@]} -eq 0 ]; then pass "$page OPTIONS: all $n options of 'stackheap${*:+ $*} --help'"
    else fail "$page OPTIONS: every option of 'stackheap${*:+ $*} --help'" "missing ${missing[*]}"; fi
}
check_options stackheap.1
check_options stackheap-run.1 run
check_options stackheap-layout.1 layout

# stackheap(1)'s COMMANDS: every command `stackheap --help` lists
cmds=$("$bin" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
text=$(section "$(plain stackheap.1)" COMMANDS)
missing=()
for c in $cmds; do has_word "$text" "$c" || missing+=("$c"); done
if [ -n "$cmds" ] && [ ${#missing[@]} -eq 0 ]; then pass "stackheap.1 COMMANDS: $(echo $cmds)"
else fail "stackheap.1 COMMANDS: every command of 'stackheap --help'" "missing ${missing[*]:-all}"; fi

# each command has its page, named in stackheap(1)'s SEE ALSO
for c in $cmds; do
    [ "$c" = help ] && continue
    if [ -f "$src/docs/man/stackheap-$c.1" ] && has_word "$(section "$(plain stackheap.1)" "SEE ALSO")" "stackheap-$c\\(1\\)"; then
        pass "command $c: stackheap-$c.1, in stackheap(1)'s SEE ALSO"
    else fail "command $c: stackheap-$c.1, in stackheap(1)'s SEE ALSO"; fi
done

# the environment variables the heap reads (src/heap) are in stackheap-malloc(7)
envs=$(grep -rhoE 'getenv\("STACKHEAP_[A-Z_]+"\)|env_on\("STACKHEAP_[A-Z_]+"\)' "$src/src/heap" |
       grep -oE 'STACKHEAP_[A-Z_]+' | sort -u)
text=$(section "$(plain stackheap-malloc.7)" ENVIRONMENT)
missing=()
for e in $envs; do has_word "$text" "$e" || missing+=("$e"); done
if [ -n "$envs" ] && [ ${#missing[@]} -eq 0 ]; then pass "stackheap-malloc.7 ENVIRONMENT: $(echo $envs)"
else fail "stackheap-malloc.7 ENVIRONMENT: every variable src/heap reads" "missing ${missing[*]:-all}"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
