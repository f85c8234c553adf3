#!/usr/bin/env bash
# Installs the Debian packages a target needs, when they are missing.
# Usage: scripts/deps.sh build|test|bench|demo|browser|deb
# Run as root it installs with apt-get; otherwise it says what to install and fails (for
# rustc alone it says so and goes on: the Rust programs are then skipped, and said so).
# demo: a rustc for the lesson's Rust programs, Debian's when none is found (not in PATH nor
# rustup's ~/.cargo/bin). test: Debian's own rustc (1.63 on Debian 12) even beside rustup's,
# for tests/matrix/rustc_versions.sh (the Rust facts with that older rustc too; ~100 MB).
# browser: Debian's chromium and a font for the lesson page's tests (tests/html) and bench
# (bench/html), then playwright-core from npm into tests/html/node_modules (no root needed;
# the version is pinned by tests/html/package-lock.json).
# deb: debhelper and dpkg-dev for `make deb` (no fakeroot: debian/control says
# Rules-Requires-Root: no).
set -euo pipefail
want=(cmake make gcc pkg-config libdw-dev)
case "${1:-build}" in
  build) ;;
  demo)  want+=(rustc) ;;
  test)  want+=(python3 sqlite3 git rustc clang g++ man-db groff-base) ;;
  bench) want+=(libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 python3 sqlite3) ;;
  browser) want=(chromium fonts-dejavu-core nodejs npm) ;;
  deb)   want+=(debhelper dpkg-dev) ;;
  *) echo "deps.sh: unknown target '$1' (build, test, bench, demo, browser or deb)" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
# Two test scripts may ask at once (ctest -j): one installs, the other waits for it.
if [ "${1:-build}" = browser ] && command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/stackheap-deps-browser.lock"
  flock 9
fi

# playwright-core into tests/html/node_modules, from the lock file, when it is not there yet.
npm_install() {
  [ "${1:-build}" = browser ] || return 0
  [ -f "$top/tests/html/node_modules/playwright-core/package.json" ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "deps.sh: npm is missing: install Debian's npm" >&2; return 1; }
  echo "installing playwright-core into tests/html/node_modules (npm ci)"
  (cd "$top/tests/html" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

missing=()
for pkg in "${want[@]}"; do
  case "$pkg" in
    lib*|fonts-*) dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg") ;;
    nodejs) command -v node >/dev/null 2>&1 || missing+=("$pkg") ;;
    debhelper) command -v dh >/dev/null 2>&1 || missing+=("$pkg") ;;
    dpkg-dev) command -v dpkg-buildpackage >/dev/null 2>&1 || missing+=("$pkg") ;;
    rustc) if [ "${1:-build}" = test ]; then [ -x /usr/bin/rustc ] || missing+=("$pkg")
           else command -v rustc >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/rustc" ] || missing+=("$pkg"); fi ;;
    man-db) command -v man >/dev/null 2>&1 || missing+=("$pkg") ;;          # tests/cli/test_man.sh
    groff-base) command -v groff >/dev/null 2>&1 || missing+=("$pkg") ;;
    *)    command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
if [ ${#missing[@]} -eq 0 ]; then npm_install "${1:-build}"; exit; fi

if [ "$(id -u)" -ne 0 ] && [ "${missing[*]}" = rustc ]; then
  echo "note: without rustc the lesson's Rust programs are skipped: sudo apt-get install rustc" >&2
  npm_install "${1:-build}"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "stackheap needs these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_install "${1:-build}"
