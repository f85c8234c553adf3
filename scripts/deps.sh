#!/usr/bin/env bash
# Installs the Debian packages a target needs, when they are missing.
# Usage: scripts/deps.sh build|test|bench|demo
# Run as root it installs with apt-get; otherwise it says what to install and fails.
set -euo pipefail
want=(cmake make gcc pkg-config libdw-dev)
case "${1:-build}" in
  build|demo) ;;
  test)  want+=(python3 sqlite3 git) ;;
  bench) want+=(libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 python3 sqlite3) ;;
  *) echo "deps.sh: unknown target '$1' (build, test, bench or demo)" >&2; exit 2 ;;
esac

missing=()
for pkg in "${want[@]}"; do
  case "$pkg" in
    lib*) dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg") ;;
    *)    command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "stackheap needs these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
