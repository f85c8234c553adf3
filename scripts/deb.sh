#!/usr/bin/env bash
# Builds the Debian packages (debian/, debhelper) out of a copy of the tree, into OUT
# (default build-deb/): dpkg-buildpackage writes next to the source directory, so the copy
# keeps the checkout and its parent clean. The copy is the working tree as git sees it
# (tracked and untracked files, not the ignored ones such as build*/), so uncommitted
# changes are packaged too. Packages already built from the same files are reused.
# Usage: scripts/deb.sh [OUT]        (JOBS=N for the build's parallelism)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# `make deb` and tests/pkg/deb.sh may run at once: one builds, the other waits and reuses.
exec 9>"$out/.lock"
flock 9

# The source as one deterministic tar stream: its hash says whether it changed.
snapshot() {
  if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$top" && git ls-files -z --cached --others --exclude-standard |
       while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
       tar --null -T - --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf -)
  else
    (cd "$top" && tar --exclude='./build*' --exclude=./.git --exclude='./obj-*' \
       --exclude=./tests/html/node_modules --sort=name --mtime=@0 --owner=0 --group=0 \
       --numeric-owner -cf - .)
  fi
}
snapshot > "$out/source.tar.new"
key=$(sha256sum < "$out/source.tar.new" | cut -d' ' -f1)

list() { ls "$out"/*.deb 2>/dev/null | grep -v -- '-dbgsym_' || true; }
if [ "$(cat "$out/source.sha256" 2>/dev/null)" = "$key" ] && [ -n "$(list)" ]; then
  rm -f "$out/source.tar.new"
  echo "deb: packages up to date with the source ($out):"
  list | sed 's/^/  /'
  exit 0
fi

rm -rf "$out/src" "$out/source.sha256"
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.buildinfo "$out"/*.changes "$out/build.log"
mkdir -p "$out/src/stackheap"
tar -xf "$out/source.tar.new" -C "$out/src/stackheap"
mv "$out/source.tar.new" "$out/source.tar"

echo "deb: building the packages in $out/src (log: $out/build.log)"
start=$(date +%s)
# nocheck: the test suite is `make test`'s (debian/rules says why); parallel: make's -j.
if ! (cd "$out/src/stackheap" &&
      DEB_BUILD_OPTIONS="nocheck parallel=${JOBS:-$(nproc)} ${DEB_BUILD_OPTIONS:-}" \
      dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log" >&2
  echo "deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
  exit 1
fi
mv "$out"/src/*.deb "$out"/src/*.buildinfo "$out"/src/*.changes "$out/"
ls "$out"/src/*.ddeb >/dev/null 2>&1 && mv "$out"/src/*.ddeb "$out/"
echo "$key" > "$out/source.sha256"
echo "deb: built in $(( $(date +%s) - start )) s; the packages are in $out:"
list | sed 's/^/  /'
echo "install them with: sudo apt install $(list | tr '\n' ' ')"
