#!/usr/bin/env bash
# tests/cli/test_options.sh — the one option parser (src/cli/options.c, getopt_long) of
# `stackheap run` and `stackheap layout`: a value after its option or after `=`, the
# messages for a bad or missing value and an unknown option (exit 2), --help, and the
# program's own options left to the program. Step counts are read from the JSON trace of
# tests/cli/options_loop.c, a loop that never ends.
set -u
source "$(dirname "$0")/common.bash"
has() { grep -qF -- "$2" "$work/$1"; }
run() { local name=$1; shift; (cd "$work" && "${to[@]}" "$bin" "$@" > "$work/$name.out" 2> "$work/$name.err"); rc=$?; }
# the trace read as a reader of its newest version reads it (docs/read_trace.py)
load="import sys; sys.path.insert(0, '$src/docs'); import read_trace; t=read_trace.load(sys.argv[1])"
steps() { python3 -c "$load; print(len(t['steps']))" "$1" 2>/dev/null; }
output() { python3 -c "$load; print(''.join(e.get('text') or '' for s in t['steps'] for e in s['events'] if e['kind']=='output'), end='')" "$1" 2>/dev/null; }

test_cc -g -O0 -o "$work/loop" "$src/tests/cli/options_loop.c" || { fail "cc options_loop.c"; finish; }
test_cc -g -O0 -o "$work/args" "$src/tests/cli/args.c" || { fail "cc args.c"; finish; }

# ---- a value after its option, or after = ------------------------------------------------
run eq run --max-steps=5 --json=eq.json -- ./loop
check "run --max-steps=5 --json=F: exit 1 (stopped), 5 steps in F" \
    eval '[ $rc -eq 1 ] && [ "$(steps "$work/eq.json")" = 5 ] && has eq.err "--max-steps 5"'
run sp run --max-steps 7 --json sp.json -- ./loop
check "run --max-steps 7 --json F: 7 steps in F" eval '[ $rc -eq 1 ] && [ "$(steps "$work/sp.json")" = 7 ]'
run nodash run --max-steps=3 --json nodash.json ./loop
check "run without --: the first word that is not an option is the program (3 steps)" \
    eval '[ $rc -eq 1 ] && [ "$(steps "$work/nodash.json")" = 3 ]'
run abbrev run --max-s=4 --json abbrev.json -- ./loop
check "run --max-s=4: a unique abbreviation is the option (4 steps)" \
    eval '[ "$(steps "$work/abbrev.json")" = 4 ]'
run tmo run --timeout 30 --max-steps=2 --json tmo.json -- ./loop
check "run --timeout 30: accepted (2 steps)" eval '[ $rc -eq 1 ] && [ "$(steps "$work/tmo.json")" = 2 ]'
run tmoeq run --timeout=30 --max-steps=2 --json tmoeq.json -- ./loop
check "run --timeout=30: accepted" eval '[ $rc -eq 1 ] && [ "$(steps "$work/tmoeq.json")" = 2 ]'

# every option that takes a value, both ways: the files it names are written, the values used
printf 'in\n' > "$work/in.txt"
run alleq run --json-version=1 --json=alleq.json --html=alleq.html --pytutor=alleq.pt --stdin=in.txt --max-steps=50 --timeout=30 -- ./args
check "run with every value option as --opt=V: exit 0, JSON version 1, HTML and Python Tutor files" \
    eval '[ $rc -eq 0 ] && grep -q "\"version\": 1" "$work/alleq.json" && [ -s "$work/alleq.html" ] && [ -s "$work/alleq.pt" ]'
run allsp run --json-version 1 --json allsp.json --html allsp.html --pytutor allsp.pt --stdin in.txt --max-steps 50 --timeout 30 -- ./args
check "run with every value option as --opt V: the same files" \
    eval '[ $rc -eq 0 ] && grep -q "\"version\": 1" "$work/allsp.json" && cmp -s "$work/alleq.pt" "$work/allsp.pt"'
# ---- the program's options are the program's ----------------------------------------------
run progopts run --json progopts.json -- ./args --max-steps=3 x
check "run -- ./args --max-steps=3 x: the program gets both words (prints '3 x 13')" \
    eval '[ $rc -eq 0 ] && [ "$(output "$work/progopts.json")" = "3 x 13" ]'
run progopts2 run --json progopts2.json ./args --json y
check "run ./args --json y: an option after the program is the program's" \
    eval '[ $rc -eq 0 ] && [ "$(output "$work/progopts2.json")" = "3 y 6" ]'

# ---- bad values, missing values, unknown options: exit 2 and what was wrong ----------------
run nan run --max-steps x -- ./loop
check "run --max-steps x: exit 2, \"--max-steps needs a number, got 'x'\"" \
    eval '[ $rc -eq 2 ] && has nan.err "stackheap run: --max-steps needs a number, got '"'x'"'"'
run nan2 run --max-steps=5x -- ./loop
check "run --max-steps=5x: exit 2, got '5x'" eval '[ $rc -eq 2 ] && has nan2.err "got '"'5x'"'"'
run zero run --max-steps=0 -- ./loop
check "run --max-steps=0: exit 2, a number from 1" eval '[ $rc -eq 2 ] && has zero.err "needs a number from 1"'
run tnan run --timeout soon -- ./loop
check "run --timeout soon: exit 2, \"--timeout needs a number, got 'soon'\"" \
    eval '[ $rc -eq 2 ] && has tnan.err "--timeout needs a number, got '"'soon'"'"'
run tbig run --timeout 99999999 -- ./loop
check "run --timeout 99999999: exit 2, from 1 to 1000000" eval '[ $rc -eq 2 ] && has tbig.err "from 1 to 1000000"'
run novalue run --max-steps
check "run --max-steps (last word): exit 2, needs a number" eval '[ $rc -eq 2 ] && has novalue.err "--max-steps needs a number"'
run nojson run --json
check "run --json (last word): exit 2, needs a file name" eval '[ $rc -eq 2 ] && has nojson.err "--json needs a file name"'
run unknown run --frob -- ./loop
check "run --frob: exit 2, names it and the help" \
    eval '[ $rc -eq 2 ] && has unknown.err "unknown option '"'--frob'"'" && has unknown.err "stackheap run --help"'
run unknown_short run -q -- ./loop
check "run -q: exit 2, names it" eval '[ $rc -eq 2 ] && has unknown_short.err "unknown option '"'-q'"'"'
run nothing run --
check "run -- and nothing after: exit 2" eval '[ $rc -eq 2 ] && has nothing.err "no program after"'
run noprog run --ascii
check "run with no program: exit 2, which program?" eval '[ $rc -eq 2 ] && has noprog.err "which program?"'
run badrun run --max-steps x --json badrun.json -- ./loop
check "run: a usage error runs nothing (no JSON written)" eval '[ $rc -eq 2 ] && [ ! -e "$work/badrun.json" ]'

run emptyjson run --json= -- ./args
check "run --json=: exit 2, needs a file name, got ''" eval '[ $rc -eq 2 ] && has emptyjson.err "stackheap run: --json needs a file name, got '"''"'"'
run badjv run --json-version=3 -- ./args
check "run --json-version=3: exit 2, needs 1 or 2" eval '[ $rc -eq 2 ] && has badjv.err "--json-version needs 1 or 2, got '"'3'"'"'
run flageq run --ascii=yes -- ./args
check "run --ascii=yes: exit 2, takes no value" eval '[ $rc -eq 2 ] && has flageq.err "stackheap run: --ascii takes no value, got '"'--ascii=yes'"'"'
run helpeq run --help=1
check "run --help=1: exit 2, takes no value (not 'unknown option -h')" eval '[ $rc -eq 2 ] && has helpeq.err "--help takes no value"'
run ambig run --j=x.json -- ./args
check "run --j=x.json: exit 2, names --json and --json-version" \
    eval '[ $rc -eq 2 ] && has ambig.err "'"'--j'"' could be --json or --json-version" && [ ! -e "$work/x.json" ]'
run abbrev_missing run --max
check "run --max (an abbreviation, last word): the message names --max-steps" eval '[ $rc -eq 2 ] && has abbrev_missing.err "stackheap run: --max-steps needs a number"'
# one shape for every usage error: what, then where to read more
bad_shape=()
for f in nan nan2 zero tnan tbig novalue nojson unknown unknown_short nothing noprog emptyjson badjv flageq ambig; do
    [ "$(wc -l < "$work/$f.err")" -eq 1 ] && grep -q "; see stackheap run --help$" "$work/$f.err" || bad_shape+=("$f")
done
check "every run usage error above is one line ending '; see stackheap run --help'" eval '[ ${#bad_shape[@]} -eq 0 ] || { echo "  not so: ${bad_shape[*]}"; false; }'

# before the command: the same shape, pointing at stackheap --help
run top_none
run top_cmd frob
run top_opt -x
run top_help help frob
top_shape() {   # each message: one line, "stackheap: ...; see stackheap --help"
    for f in top_none top_cmd top_opt top_help; do
        [ "$(wc -l < "$work/$f.err")" -eq 1 ] && grep -q "^stackheap: .*; see stackheap --help$" "$work/$f.err" || return 1
    done
}
check "stackheap, stackheap frob, stackheap -x, stackheap help frob: exit 2, one line ending '; see stackheap --help'" \
    eval '[ $rc -eq 2 ] && top_shape'

# ---- a missing or unrunnable program: one message from both commands ------------------------
mkdir -p "$work/adir"
printf 'not a program\n' > "$work/notexec.txt"
cp "$work/args" "$work/args_noexec" && chmod -x "$work/args_noexec"
for p in ./no-such-prog no-such-prog-anywhere ./notexec.txt ./args_noexec ./adir; do
    run prun run -- "$p"; rrc=$rc
    run play layout -- "$p"; lrc=$rc
    r=$(sed 's/^stackheap run: //' "$work/prun.err"); l=$(sed 's/^stackheap layout: //' "$work/play.err")
    check "program '$p': run and layout say the same ('$l'), exit 1" \
        eval '[ $rrc -eq 1 ] && [ $lrc -eq 1 ] && [ -n "$r" ] && [ "$r" = "$l" ]'
done
run pmiss run -- ./no-such-prog
check "run -- ./no-such-prog: no such program, check the path" eval 'has pmiss.err "stackheap run: no such program '"'./no-such-prog'"' (check the path)"'
run pnox run -- ./args_noexec
check "run -- a file without x: not executable, chmod +x" eval 'has pnox.err "is not executable" && has pnox.err "chmod +x"'
run pdir layout -- ./adir
check "layout -- a directory: a directory, not a program" eval 'has pdir.err "'"'./adir'"' is a directory, not a program"'

# ---- --help ---------------------------------------------------------------------------------
run help run --help
check "run --help: exit 0, every option listed" \
    eval '[ $rc -eq 0 ] && for o in --json --html --pytutor --max-steps --timeout --stdin --ascii; do has help.out "$o" || exit 1; done'
run help_h run -h
check "run -h is run --help" cmp -s "$work/help.out" "$work/help_h.out"
run help_cmd help run
check "stackheap help run is run --help" cmp -s "$work/help.out" "$work/help_cmd.out"
run help_after run --max-steps=3 --help
check "run --max-steps=3 --help: the help, exit 0, nothing run" eval '[ $rc -eq 0 ] && has help_after.out "usage: stackheap run"'

# ---- layout: the same parser ----------------------------------------------------------------
run lpid layout --pid=$$ --json
check "layout --pid=PID --json: exit 0, a JSON array" eval '[ $rc -eq 0 ] && head -c1 "$work/lpid.out" | grep -q "\["'
run lpid2 layout -p$$ --json
check "layout -pPID: the same regions as --pid=PID" eval '[ $rc -eq 0 ] && cmp -s "$work/lpid.out" "$work/lpid2.out"'
run lstop layout --stop=main -- ./loop
check "layout --stop=main -- prog: stopped at main" eval '[ $rc -eq 0 ] && has lstop.out "stopped at main"'
run lstopmiss layout --stop
check "layout --stop (last word): exit 2, says what it takes" eval '[ $rc -eq 2 ] && has lstopmiss.err "--stop needs main, heap or exit"'
run lbad layout --pid=abc
check "layout --pid=abc: exit 2, --pid needs a process id" eval '[ $rc -eq 2 ] && has lbad.err "stackheap layout: --pid needs a process id, got '"'abc'"'"'
run lunk layout --max-steps=3
check "layout --max-steps=3: exit 2, run's option is not layout's" eval '[ $rc -eq 2 ] && has lunk.err "unknown option '"'--max-steps=3'"'"'
run lhelp layout --help
check "layout --help: exit 0" eval '[ $rc -eq 0 ] && has lhelp.out "-p, --pid"'
finish
