#!/usr/bin/env bash
# tests/own/rust_growth.sh — our growth sequence against Rust's, line by line.
#
# Builds the Rust program below (the same steps as sequence() in test_growth.c), runs both
# and diffs their "label len cap" lines. Without rustc it says "skipped" and exits 77, so
# it is not counted as a pass.
set -euo pipefail

bin="${SH_BINARY_DIR:?SH_BINARY_DIR not set}/own_test_growth"
rustc=$(command -v rustc || true)
[ -z "$rustc" ] && [ -x "$HOME/.cargo/bin/rustc" ] && rustc="$HOME/.cargo/bin/rustc"
if [ -z "$rustc" ]; then
    echo "skipped: rustc not found"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/growth.rs" <<'RS'
fn line(label: &str, len: usize, cap: usize) { println!("{} {} {}", label, len, cap); }

fn pushes() {
    let mut a: Vec<u8> = Vec::new();
    for i in 0..40 { a.push(i as u8); line("u8_push", a.len(), a.capacity()); }
    let mut b: Vec<i32> = Vec::new();
    for i in 0..40 { b.push(i); line("i32_push", b.len(), b.capacity()); }
    let mut c: Vec<u64> = Vec::new();
    for i in 0..20 { c.push(i as u64); line("u64_push", c.len(), c.capacity()); }
    let mut d: Vec<[u8; 1024]> = Vec::new();
    for _ in 0..6 { d.push([0; 1024]); line("b1024_push", d.len(), d.capacity()); }
    let mut e: Vec<[u8; 1025]> = Vec::new();
    for _ in 0..6 { e.push([0; 1025]); line("b1025_push", e.len(), e.capacity()); }
    let mut f: Vec<[u8; 2000]> = Vec::new();
    for _ in 0..10 { f.push([0; 2000]); line("b2000_push", f.len(), f.capacity()); }
}

fn strings() {
    let mut name = String::from("Hello");
    line("string_from", name.len(), name.capacity());
    name.push_str(", world!");
    line("string_push_str", name.len(), name.capacity());
    for ch in 'a'..='z' { name.push(ch); line("string_push", name.len(), name.capacity()); }
    let mut s = String::new();
    for p in ["Hello", ", world!", "xxxxxxxxxxxxxxxxxxxx", "abc",
              "a much longer piece of text than any before it"] {
        s.push_str(p);
        line("string_new_push_str", s.len(), s.capacity());
    }
    let mut w = String::with_capacity(3);
    line("string_with_capacity", w.len(), w.capacity());
    for _ in 0..8 { w.push_str("ab"); line("string_wc_push_str", w.len(), w.capacity()); }
    w.reserve(100);
    line("string_reserve", w.len(), w.capacity());
    w.shrink_to_fit();
    line("string_shrink", w.len(), w.capacity());
}

fn reserves() {
    let mut v: Vec<i32> = Vec::new();
    v.reserve(10);
    line("reserve_10", v.len(), v.capacity());
    for i in 0..11 { v.push(i); }
    line("push_11", v.len(), v.capacity());
    v.reserve(5);
    line("reserve_5", v.len(), v.capacity());
    v.reserve(100);
    line("reserve_100", v.len(), v.capacity());
    v.reserve_exact(500);
    line("reserve_exact_500", v.len(), v.capacity());
    v.shrink_to_fit();
    line("shrink", v.len(), v.capacity());
    v.truncate(3);
    v.shrink_to_fit();
    line("truncate_3_shrink", v.len(), v.capacity());
    v.push(1);
    line("push_after_shrink", v.len(), v.capacity());
    v.clear();
    v.shrink_to_fit();
    line("clear_shrink", v.len(), v.capacity());
    let mut b: Vec<u8> = Vec::new();
    b.reserve(3);
    line("u8_reserve_3", b.len(), b.capacity());
    let mut c: Vec<i32> = Vec::with_capacity(5);
    for i in 0..7 { c.push(i); }
    line("with_capacity_5_push_7", c.len(), c.capacity());
    let d = c.clone();
    line("clone", d.len(), d.capacity());
}

fn main() { pushes(); strings(); reserves(); }
RS

"$rustc" --edition 2021 -O -o "$tmp/growth" "$tmp/growth.rs"
"$tmp/growth" > "$tmp/rust.txt"
SH_OWN_PRINT_GROWTH=1 "$bin" > "$tmp/c.txt"
if ! diff -u "$tmp/rust.txt" "$tmp/c.txt"; then
    echo "FAIL: growth differs from Rust's ($("$rustc" --version)): - Rust, + stackheap"
    exit 1
fi
echo "ok: $(wc -l < "$tmp/rust.txt") len/cap lines identical to Rust's ($("$rustc" --version))"
