#!/usr/bin/env bash
# tests/pkg/deb.sh — the Debian packages (debian/, `make deb`): built by scripts/deb.sh (or
# reused when built from the same files), every file where a Debian user expects it
# (dpkg -c, dpkg -x into a scratch root: libraries with their SONAME links, headers, .pc,
# CMake package, man pages, completion, command); then, as root, installed for real with
# dpkg -i and used as a user would (the command on a small C program, the drop-in malloc by
# its name, man, pkg-config, programs built against the headers and libraries), and purged:
# the machine's packages are left as they were found.
# exit 77: not Debian, or its build tools missing and not root to install them.
set -euo pipefail
src=${SH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
debs=${SH_DEB_DIR:-$src/build-deb}
skip() { echo "SKIP: $*"; exit 77; }
command -v dpkg >/dev/null 2>&1 || skip "not a Debian system (no dpkg)"
if ! command -v dpkg-buildpackage >/dev/null 2>&1 || ! command -v dh >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || skip "dpkg-buildpackage or debhelper missing: sudo scripts/deps.sh deb"
  "$src/scripts/deps.sh" deb
fi

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok()   { echo "ok: $*"; }
note() { echo "note: $*"; }

work=$(mktemp -d)
marker=/var/lib/stackheap-deb-test.installed   # says our dpkg -i ran: the next run purges
packages=(libstackheap0 libstackheap-trace0 libstackheap-dev stackheap)
purge() {
  if [ -e "$marker" ]; then
    dpkg_locked --purge "${packages[@]}" >/dev/null && rm -f "$marker"
  fi
}
cleanup() { purge || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 1' INT TERM

# dpkg refuses at once when another dpkg or apt holds its lock: wait for it (a minute).
dpkg_locked() {
  local out i
  for i in $(seq 30); do
    if out=$(dpkg "$@" 2>&1); then printf '%s\n' "$out"; return 0; fi
    grep -qi 'lock' <<<"$out" || { printf '%s\n' "$out" >&2; return 1; }
    sleep 2
  done
  printf '%s\n' "$out" >&2
  return 1
}

# ---- the version: one in CMakeLists.txt's project(), the package's from debian/changelog --
[ -f "$src/debian/changelog" ] || { echo "FAIL: no debian/changelog in $src: no Debian packaging"; exit 1; }
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
cmake_ver=$(sed -n 's/^project(stackheap VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
if [ "$ver" != "$cmake_ver" ]; then
  fail "debian/changelog's version is $ver but CMakeLists.txt's project() says $cmake_ver: add a changelog entry (dch -v $cmake_ver)"
fi
major=${cmake_ver%%.*}
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
lib=usr/lib/$ma

# ---- build (or reuse) -------------------------------------------------------------------
start=$(date +%s)
JOBS=${JOBS:-2} "$src/scripts/deb.sh" "$debs"
echo "packages ready in $(( $(date +%s) - start )) s"
root=$work/root
for p in "${packages[@]}"; do
  deb=$debs/${p}_${ver}_${arch}.deb
  [ -f "$deb" ] || { fail "no $deb"; continue; }
  dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./||; s|/$||; /^$/d' > "$work/$p.list"
  dpkg -x "$deb" "$root"
  # built without root (Rules-Requires-Root: no), installed as root's all the same
  owners=$(dpkg-deb -c "$deb" | awk '$2 != "root/root" { print $6 }')
  [ -z "$owners" ] || fail "$p: not owned by root/root: ${owners//$'\n'/ }"
done
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }

# ---- each file in its package, of the right kind ------------------------------------------
# expect PKG PATH KIND [LINK_TARGET]: KIND f (file), x (executable), d (directory),
# l (symbolic link, to LINK_TARGET), so (a shared library whose SONAME is LINK_TARGET).
expect() {
  local pkg=$1 path=$2 kind=$3 want=${4:-} p
  if ! grep -qxF "$path" "$work/$pkg.list"; then
    for p in "${packages[@]}"; do
      if grep -qxF "$path" "$work/$p.list"; then fail "/$path is in $p, not in $pkg"; return; fi
    done
    fail "/$path is missing from $pkg"
    return
  fi
  local f=$root/$path
  case $kind in
    f) [ -f "$f" ] && [ ! -L "$f" ] || { fail "/$path is not a regular file"; return; } ;;
    x) [ -f "$f" ] && [ -x "$f" ] || { fail "/$path is not an executable"; return; } ;;
    d) [ -d "$f" ] || { fail "/$path is not a directory"; return; } ;;
    l) [ "$(readlink "$f")" = "$want" ] || { fail "/$path links to '$(readlink "$f")', not $want"; return; } ;;
    so) local soname
        soname=$(readelf -d "$f" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
        [ "$soname" = "$want" ] || { fail "/$path has SONAME '$soname', not $want"; return; } ;;
  esac
  ok "/$path ($pkg)"
}
for name in stackheap stackheap-malloc stackheap-trace; do
  pkg=libstackheap0; [ $name = stackheap-trace ] && pkg=libstackheap-trace0
  expect $pkg "$lib/lib$name.so.$cmake_ver" so "lib$name.so.$major"
  expect $pkg "$lib/lib$name.so.$major" l "lib$name.so.$cmake_ver"
  expect libstackheap-dev "$lib/lib$name.so" l "lib$name.so.$major"
done
expect libstackheap-dev "$lib/libstackheap.a" f
for h in "$src"/include/stackheap/*.h; do
  expect libstackheap-dev "usr/include/stackheap/${h##*/}" f
done
expect libstackheap-dev usr/include/stackheap/version.h f
for pc in stackheap stackheap-malloc stackheap-trace; do
  expect libstackheap-dev "$lib/pkgconfig/$pc.pc" f
done
for f in stackheap-config.cmake stackheap-config-version.cmake; do
  expect libstackheap-dev "$lib/cmake/stackheap/$f" f
done
expect stackheap usr/bin/stackheap x
expect stackheap usr/share/bash-completion/completions/stackheap f
for page in stackheap.1 stackheap-run.1 stackheap-layout.1 stackheap.3 stackheap-malloc.7; do
  pkg=stackheap; [ "$page" = stackheap.3 ] && pkg=libstackheap-dev
  expect $pkg "usr/share/man/man${page##*.}/$page.gz" f
done
# A runtime library package holds its versioned libraries and its docs, nothing a newer
# SONAME's package would also ship (Debian policy 8.1, 8.2).
for pkg in libstackheap0 libstackheap-trace0; do
  stray=$(grep -v -x -E "(usr|usr/lib|$lib|usr/share|usr/share/doc|usr/share/doc/$pkg(/.*)?|$lib/lib[a-z-]+\.so\.$major(\..*)?)" \
            "$work/$pkg.list" || true)
  [ -z "$stray" ] || fail "$pkg holds files that belong elsewhere: ${stray//$'\n'/ }"
done

# ---- installed for real --------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
  note "not root: the packages were not installed (dpkg -i); the file checks above ran"
  [ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
  exit 0
fi
purge   # what a previous run killed before its trap left behind
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ]; then
    note "$p is installed on this machine already: not touching it (no dpkg -i test)"
    [ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
    exit 0
  fi
done
touch "$marker"
files=()
for p in "${packages[@]}"; do files+=("$debs/${p}_${ver}_${arch}.deb"); done
if ! dpkg_locked -i "${files[@]}" >"$work/dpkg-i.log" 2>&1; then
  cat "$work/dpkg-i.log"
  fail "dpkg -i of ${packages[*]}"
  exit 1
fi
for p in "${packages[@]}"; do
  got=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$p")
  [ "$got" = "installed $ver" ] || fail "$p after dpkg -i: '$got', not 'installed $ver'"
done
ok "dpkg -i ${packages[*]}"

# The command, from its package.
got=$(/usr/bin/stackheap --version)
[ "$got" = "stackheap $cmake_ver" ] && ok "stackheap --version: $got" || fail "stackheap --version says '$got'"
cat > "$work/tiny.c" <<'C'
#include <stdlib.h>
#include <string.h>
int main(void) {
    int answer = 42;
    char *word = malloc(24);
    strcpy(word, "heap");
    free(word);
    return answer - 42;
}
C
cc -g -O0 -o "$work/tiny" "$work/tiny.c"
(cd "$work" && /usr/bin/stackheap run --ascii -- ./tiny) > "$work/run.txt" 2>&1 || true
for want in 'answer : int (4 bytes) = 42' '24 bytes' 'exit code: 0' 'leaks: none'; do
  grep -qF "$want" "$work/run.txt" || { fail "stackheap run -- ./tiny does not show '$want':"; cat "$work/run.txt"; }
done
ok "stackheap run -- ./tiny: answer = 42, a 24-byte block, freed"

# The drop-in malloc by the name the packages document (README.Debian): no path needed.
allocs=$(STACKHEAP_STATS=1 LD_PRELOAD=libstackheap-malloc.so.0 ls / 2>&1 >/dev/null |
         awk '$1 == "allocations" { print $2 }')
[ "${allocs:-0}" -gt 0 ] && ok "LD_PRELOAD=libstackheap-malloc.so.0 ls /: $allocs allocations" \
  || fail "LD_PRELOAD=libstackheap-malloc.so.0 ls / printed no heap statistics"

# Man pages, through man-db's own search path.
if command -v man >/dev/null 2>&1; then
  for page in stackheap.1 stackheap-run.1 stackheap-layout.1 stackheap.3 stackheap-malloc.7; do
    got=$(man -w "${page##*.}" "${page%.*}" 2>&1) && [ "$got" = "/usr/share/man/man${page##*.}/$page.gz" ] \
      && ok "man -w ${page##*.} ${page%.*}: $got" || fail "man -w ${page##*.} ${page%.*}: '$got'"
  done
else
  note "no man-db here: man -w not tried"
fi

# A program using the library, built against the installed headers and library: with
# pkg-config.
cat > "$work/consumer.c" <<'C'
#include <stdio.h>
#include <stackheap/heap.h>
#include <stackheap/own.h>
int main(void) {
    sh_auto(sh_string) s = sh_string_from("Hello");
    sh_string_push_str(&s, ", world!");
    printf("%s len %zu cap %zu\n", s.ptr, s.len, s.cap);
    return 0;
}
C
got=$(pkg-config --modversion stackheap 2>&1) && [ "$got" = "$cmake_ver" ] \
  && ok "pkg-config --modversion stackheap: $got" || fail "pkg-config --modversion stackheap: '$got'"
flags=$(pkg-config --cflags --libs stackheap)
tflags=$(pkg-config --cflags --libs stackheap-trace)
# shellcheck disable=SC2086 # the flags are words
if cc -o "$work/consumer" "$work/consumer.c" $flags 2> "$work/cc.log"; then
  got=$("$work/consumer")
  [ "$got" = "Hello, world! len 13 cap 13" ] && ok "a consumer of libstackheap: $got" \
    || fail "the consumer printed '$got'"
  # (not ldd | grep -q: grep's early exit would fail the pipe under pipefail)
  libs=$(ldd "$work/consumer")
  grep -qE "libstackheap\.so\.$major => (/usr)?/lib/$ma/libstackheap\.so\.$major " <<<"$libs" \
    || fail "the consumer does not load /$lib/libstackheap.so.$major: $libs"
else
  cat "$work/cc.log"; fail "cc consumer.c $flags"
fi
# The tracer's library through its public example.
# shellcheck disable=SC2086
if cc -o "$work/trace_api" "$src/examples/trace_api.c" $tflags 2> "$work/cc.log"; then
  "$work/trace_api" "$work/tiny" > "$work/trace_api.txt" 2>&1 || true
  grep -qF 'answer = 42' "$work/trace_api.txt" && grep -qF 'exit code 0' "$work/trace_api.txt" \
    && ok "examples/trace_api.c built against libstackheap-trace: answer = 42, exit code 0" \
    || { cat "$work/trace_api.txt"; fail "trace_api ./tiny"; }
else
  cat "$work/cc.log"; fail "cc examples/trace_api.c $tflags"
fi
# find_package.
{
  mkdir -p "$work/cm"
  cat > "$work/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(consumer LANGUAGES C)
find_package(stackheap REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE stackheap::stackheap)
CM
  if cmake -S "$work/cm" -B "$work/cm/build" >"$work/cm.log" 2>&1 &&
     cmake --build "$work/cm/build" >>"$work/cm.log" 2>&1; then
    got=$("$work/cm/build/consumer")
    [ "$got" = "Hello, world! len 13 cap 13" ] && ok "find_package(stackheap) consumer: $got" \
      || fail "the find_package consumer printed '$got'"
  else
    cat "$work/cm.log"; fail "find_package(stackheap) against the installed package"
  fi
}

# ---- purged: the machine as it was -----------------------------------------------------------
purge
for p in "${packages[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || echo not-installed)
  [ "$st" = not-installed ] || fail "$p is still '$st' after dpkg --purge"
done
[ -e /usr/bin/stackheap ] && fail "/usr/bin/stackheap is still there after the purge"
ok "dpkg --purge ${packages[*]}"
echo "deb.sh: done in $(( $(date +%s) - start )) s"
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
