#!/usr/bin/env bash
# Installs every Debian package ptmc needs, then fetches Debian's own kernels for the QEMU
# targets. Idempotent: a second run installs nothing new and re-downloads nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libz3-dev libboost-graph-dev libboost-program-options-dev
  librapidcheck-dev libgtest-dev libgmock-dev nlohmann-json3-dev libfmt-dev libxxhash-dev
  graphviz qemu-system-x86 cpio gzip xz-utils binutils python3 spin libopenmpi-dev openmpi-bin
  libkainjow-mustache-dev chromium
  clang libclang-rt-14-dev
  qemu-system-arm g++-aarch64-linux-gnu binutils-aarch64-linux-gnu
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# apt-get update first, every time: the kernel fetch below resolves the newest Debian kernel
# through the package lists, and stale lists name kernels Debian has already dropped.
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} Debian packages present"
fi

# The report's browser test drives Debian's chromium through playwright-core (tests/browser),
# installed from the npm registry exactly as package-lock.json pins it. Node and npm come with
# the machine (nodesource's nodejs 20 here); on a bare Debian 12 they are Debian's, whose Node 18
# is older than playwright-core 1.65's declared minimum (20), untried.
if ! command -v npm >/dev/null; then
  apt-get install -y -q --no-install-recommends nodejs npm
fi
if [ ! -d "$(dirname "$0")/../tests/browser/node_modules/playwright-core" ]; then
  (cd "$(dirname "$0")/../tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Debian's own kernels for the qemu targets (skipped when already in the cache).
bash "$(dirname "$0")/fetch-kernels.sh"
