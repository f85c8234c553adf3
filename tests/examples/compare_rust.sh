#!/usr/bin/env bash
# tests/examples/compare_rust.sh — the C examples print what the lesson's Rust programs print.
#
#   stack_types, heap_types, add   built from examples/rust/NAME.rs with rustc; both run,
#                                  stdout must be identical (skipped without rustc)
#   drop_order                     its whole output, drops in reverse declaration order
#   checked:NAME                   heap_types and drop_order with STACKHEAP_CHECK=1: no use
#                                  after move, no double drop, no owned block leaked at exit
#   valgrind:NAME                  heap_types and drop_order under memcheck, no errors or
#                                  leaks (skipped without valgrind). The stackheap heap takes
#                                  its blocks from mmap, so memcheck sees libc-level leaks and
#                                  bad reads; the owned blocks are what checked: covers
#
# CTest runs it with SH_BINARY_DIR and SH_SOURCE_DIR set; $1 (the drop-in library) is not
# used. One line per case, "ok NAME", "FAIL NAME" or "skipped NAME (why)", then
# "N passed, N failed"; the exit status is 1 if any case failed. Skipped cases are not passes.
set -uo pipefail

bin="${SH_BINARY_DIR:?SH_BINARY_DIR not set}/examples"
src="${SH_SOURCE_DIR:?SH_SOURCE_DIR not set}/examples"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok()   { echo "ok $1"; passed=$((passed + 1)); }
fail() {
    echo "FAIL $1"
    shift
    [ $# -eq 0 ] || printf '%s\n' "$@" | sed 's/^/    /'
    failed=$((failed + 1))
}
skip() { echo "skipped $1 ($2)"; }

# Runs a C example; its stdout goes to $tmp/NAME.c.out. Fails the case if it cannot run.
run_c() {
    local name=$1
    if [ ! -x "$bin/$name" ]; then
        fail "$name" "$bin/$name not built"
        return 1
    fi
    if ! "$bin/$name" > "$tmp/$name.c.out" 2> "$tmp/$name.c.err"; then
        fail "$name" "$bin/$name exited with status $?:" "$(cat "$tmp/$name.c.err")"
        return 1
    fi
}

rustc=$(command -v rustc || true)
[ -z "$rustc" ] && [ -x "$HOME/.cargo/bin/rustc" ] && rustc="$HOME/.cargo/bin/rustc"

# ---- the lesson's programs against rustc's ----------------------------------------------
for name in stack_types heap_types add; do
    if [ -z "$rustc" ]; then
        skip "$name" "rustc not found"
        continue
    fi
    if ! "$rustc" --edition 2021 -o "$tmp/$name.rs.bin" "$src/rust/$name.rs" \
            2> "$tmp/$name.rustc"; then
        fail "$name" "rustc could not build examples/rust/$name.rs:" "$(cat "$tmp/$name.rustc")"
        continue
    fi
    run_c "$name" || continue
    "$tmp/$name.rs.bin" > "$tmp/$name.rs.out"
    if diff -u "$tmp/$name.rs.out" "$tmp/$name.c.out" > "$tmp/$name.diff"; then
        ok "$name"
    else
        fail "$name" "stdout differs (- Rust, + C):" "$(cat "$tmp/$name.diff")"
    fi
done

# ---- drop_order: every line, in order ---------------------------------------------------
cat > "$tmp/drop_order.expected" <<'OUT'
name     24-byte handle {ptr, len 13, cap 13}
numbers  24-byte handle {ptr, len 3, cap 4}
boxed     8-byte handle {ptr}
account   8-byte handle {ptr} -> Profile { email: "ferris@example.org", id: 7 }
end of main: drops run in reverse order of declaration
drop(account)  drops the Profile inside the box first:
  drop(email)  frees "ferris@example.org" (len 18, cap 18)
  then the box frees the Profile's own 32 bytes
drop(boxed)    frees its 4-byte block holding 42
drop(numbers)  frees its 16-byte block (len 3, cap 4)
drop(name)     frees "Hello, world!" (len 13, cap 13)
OUT
if run_c drop_order; then
    order=$(grep -o '^ *drop([a-z]*)' "$tmp/drop_order.c.out" | tr -d ' ' | tr '\n' ' ')
    if [ "$order" != "drop(account) drop(email) drop(boxed) drop(numbers) drop(name) " ]; then
        fail drop_order "drops ran in this order: $order"
    elif ! diff -u "$tmp/drop_order.expected" "$tmp/drop_order.c.out" \
            > "$tmp/drop_order.diff"; then
        fail drop_order "output differs (- expected, + actual):" "$(cat "$tmp/drop_order.diff")"
    else
        ok drop_order
    fi
fi

# ---- checked mode: the library's own leak and misuse checks ------------------------------
for name in heap_types drop_order; do
    if ! STACKHEAP_CHECK=1 "$bin/$name" > "$tmp/$name.checked.out" 2> "$tmp/$name.checked.err"; then
        fail "checked:$name" "exit status $? with STACKHEAP_CHECK=1:" "$(cat "$tmp/$name.checked.err")"
    elif [ -s "$tmp/$name.checked.err" ]; then
        fail "checked:$name" "stderr with STACKHEAP_CHECK=1:" "$(cat "$tmp/$name.checked.err")"
    else
        ok "checked:$name"
    fi
done

# ---- valgrind: no memory errors, no leaks -------------------------------------------------
for name in heap_types drop_order; do
    if ! command -v valgrind > /dev/null; then
        skip "valgrind:$name" "valgrind not installed"
        continue
    fi
    if grep -q __asan_init "$bin/$name" 2> /dev/null; then
        skip "valgrind:$name" "an AddressSanitizer build: ASan checks it instead"
        continue
    fi
    log="$tmp/$name.valgrind"
    if valgrind -q --error-exitcode=1 --leak-check=full \
            "$bin/$name" > /dev/null 2> "$log"; then
        if [ -s "$log" ]; then
            fail "valgrind:$name" "valgrind reported:" "$(cat "$log")"
        else
            ok "valgrind:$name"
        fi
    elif grep -q "unhandled dwarf2 abbrev form" "$log"; then
        skip "valgrind:$name" "this valgrind cannot read the binary's DWARF 5; build with -gdwarf-4"
    else
        fail "valgrind:$name" "valgrind reported:" "$(cat "$log")"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
