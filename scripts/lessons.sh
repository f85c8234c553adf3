#!/usr/bin/env bash
# scripts/lessons.sh BUILD_DIR — the lesson pages: each of the lesson's programs traced by
# `stackheap run --html`, in C (BUILD_DIR/lesson/NAME, built -O0 -g by CMake) and in Rust
# (examples/rust/NAME.rs built with `rustc -g`, when rustc is here) and in C++ where there is
# a C++ version (BUILD_DIR/lesson/NAME_cpp, built -O0 -g by CMake when it found a C++
# compiler), written to BUILD_DIR/lessons/NAME-c.html, NAME-rust.html and NAME-cpp.html,
# with BUILD_DIR/lessons/index.html listing them, C, Rust and C++ side by side. `make demo` runs it. Every page is self-contained:
# open it from disk, or copy the folder anywhere. Prints where the index is.
set -euo pipefail
build=${1:?usage: scripts/lessons.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
bin="$build/stackheap"
[ -x "$bin" ] || { echo "lessons.sh: $bin is not built (make build)" >&2; exit 1; }
out="$build/lessons"
rust_bin="$build/lessons-rust"
mkdir -p "$out" "$rust_bin"
rm -f "$out"/*.html

rustc=$(command -v rustc || true)
[ -z "$rustc" ] && [ -x "$HOME/.cargo/bin/rustc" ] && rustc="$HOME/.cargo/bin/rustc"

names=(add stack_types heap_types drop_order)
declare -A about=(
    [add]="A function call: <code>main</code> calls <code>add</code>, whose frame is pushed on top of main's with its own locals, returns 15 and is popped; <code>sum</code> is only known after the return."
    [stack_types]="Values whose size is known at compile time live in <code>main</code>'s frame: integers, a float, a bool, a tuple, an array and a struct, each with its size."
    [heap_types]="A <code>String</code>, a <code>Vec&lt;i32&gt;</code> and a <code>Box&lt;i32&gt;</code>: small handles on the stack, each owning a block on the heap (<code>[1, 2, 3, _]</code>)."
    [drop_order]="When the heap blocks are freed: at the closing brace, in reverse order of declaration, each owner first dropping what it owns."
)

# trace NAME LANG PROGRAM: writes NAME-LANG.html; prints the cell of the index for it.
trace() {
    local name=$1 lang=$2 prog=$3 page="$1-$2.html" log
    log=$(mktemp)
    if (cd "$out" && "$bin" run --json "$log.json" --html "$page" -- "$prog") >"$log" 2>&1; then
        local n
        # a step: an object opening a line at this depth (version 1), or a line (version 2)
        n=$(grep -c -e '^    {$' -e '^{"line":' "$log.json" || true)
        echo "<a href=\"$page\">$lang_label</a> <span class=\"n\">$n steps</span>"
    elif [ -f "$out/$page" ]; then   # traced, but stopped early (--max-steps): still a page
        echo "<a href=\"$page\">$lang_label</a> <span class=\"n\">stopped early</span>"
    else
        echo "<span class=\"none\">could not be traced: $(tail -1 "$log" | sed 's/&/\&amp;/g; s/</\&lt;/g')</span>"
    fi
    rm -f "$log" "$log.json"
}

rows=""
made=0
for name in "${names[@]}"; do
    c_cell="<span class=\"none\">no C version</span>"
    rust_cell="<span class=\"none\">no Rust version</span>"
    if [ -x "$build/lesson/$name" ]; then
        lang_label="C"
        c_cell=$(trace "$name" c "$build/lesson/$name")
    fi
    if [ -f "$top/examples/rust/$name.rs" ]; then
        if [ -z "$rustc" ]; then
            rust_cell="<span class=\"none\">rustc is not installed</span>"
        elif "$rustc" -g -o "$rust_bin/$name" "$top/examples/rust/$name.rs" 2>/dev/null; then
            lang_label="Rust"
            rust_cell=$(trace "$name" rust "$rust_bin/$name")
        else
            rust_cell="<span class=\"none\">rustc failed</span>"
        fi
    fi
    cpp_cell="<span class=\"none\">no C++ version</span>"
    if [ -x "$build/lesson/${name}_cpp" ]; then
        lang_label="C++"
        cpp_cell=$(trace "$name" cpp "$build/lesson/${name}_cpp")
    elif [ -f "$top/examples/$name.cpp" ]; then
        cpp_cell="<span class=\"none\">no C++ compiler was found by CMake</span>"
    fi
    made=$((made + $(ls "$out/$name"-*.html 2>/dev/null | wc -l)))
    rows+="<tr><th scope=\"row\"><span class=\"prog\">$name</span><p>${about[$name]}</p></th>"
    rows+="<td>$c_cell</td><td>$rust_cell</td><td>$cpp_cell</td></tr>"$'\n'
done

cat > "$out/index.html" <<EOF
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>Stack vs Heap: the lesson's programs, step by step</title>
<style>
:root { --bg: #fbfaf7; --fg: #1d1f21; --muted: #6b6f76; --line: #d7d4cc; --card: #fff; --accent: #1f6feb; }
@media (prefers-color-scheme: dark) { :root { --bg: #16181b; --fg: #e6e6e3; --muted: #9aa0a8; --line: #3a3d42; --card: #1f2226; --accent: #6aa7ff; } }
html { background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
body { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 .3rem; }
.lead { color: var(--muted); margin: 0 0 1.5rem; }
table { width: 100%; border-collapse: separate; border-spacing: 0 .6rem; }
thead th { text-align: left; color: var(--muted); font-weight: 600; font-size: .85rem; padding: 0 1rem; }
tbody th, tbody td { background: var(--card); border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); padding: .8rem 1rem; vertical-align: top; text-align: left; }
tbody th { border-left: 1px solid var(--line); border-radius: 8px 0 0 8px; font-weight: normal; width: 46%; }
tbody td:last-child { border-right: 1px solid var(--line); border-radius: 0 8px 8px 0; }
.prog { font: 700 1.05rem ui-monospace, "DejaVu Sans Mono", monospace; }
th p { margin: .3rem 0 0; color: var(--muted); font-size: .92rem; }
td a { font-weight: 600; color: var(--accent); font-size: 1.05rem; }
.n, .none { display: block; color: var(--muted); font-size: .85rem; }
code { font: .88em ui-monospace, "DejaVu Sans Mono", monospace; }
footer { color: var(--muted); font-size: .85rem; margin-top: 1.5rem; }
@media (max-width: 640px) { tbody th { width: auto; } table, tbody, tr, th, td { display: block; } thead { display: none; }
  tbody th { border-radius: 8px 8px 0 0; border-right: 1px solid var(--line); }
  tbody td { display: inline-block; width: 33.3%; border-radius: 0; border-top: 0; }
  tbody td:first-of-type { border-left: 1px solid var(--line); border-radius: 0 0 0 8px; }
  tbody td:last-child { border-radius: 0 0 8px 0; } tr { margin-bottom: .8rem; display: block; } }
</style>
</head>
<body>
<h1>Stack vs Heap, step by step</h1>
<p class="lead">The lesson's programs, each run under <code>stackheap run --html</code>: scroll through a page
and the source and its memory move on together, frames and locals on the stack, blocks on the heap,
arrows from the pointers that own them. The C versions use stackheap's own String, Vec and Box;
the C++ one the standard library's <code>std::string</code>, <code>std::vector</code> and <code>std::unique_ptr</code>.</p>
<table>
<thead><tr><th>program</th><th>C</th><th>Rust</th><th>C++</th></tr></thead>
<tbody>
$rows</tbody>
</table>
<footer>Made by <code>make demo</code> (<code>scripts/lessons.sh</code>). Make a page of your own program:
<code>cc -g -O0 -o prog prog.c &amp;&amp; stackheap run --html prog.html -- ./prog</code></footer>
</body>
</html>
EOF
echo
echo "  The lesson pages ($made, C, Rust and C++ side by side): $out/index.html"
