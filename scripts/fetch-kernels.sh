#!/usr/bin/env bash
# Fetches Debian's own kernels for the QEMU targets: for each architecture, the kernel image the
# linux-image metapackage currently depends on, unpacked to
#   DIR/ARCH/vmlinuz   the kernel image QEMU boots with -kernel
#   DIR/ARCH/release   its version string (what `uname -r` says inside the VM)
#   DIR/ARCH/vmlinux   x86_64 only, where possible: the same kernel uncompressed, an ELF with a
#                      PVH entry point, which QEMU boots directly, skipping the kernel's own
#                      decompression (about 3 s of a 5.5 s boot under TCG). kernel/qemu.cpp
#                      prefers it. (Debian's arm64 vmlinuz is already the uncompressed Image,
#                      which QEMU's -kernel loads as it is.)
# DIR is /var/cache/ptmc/kernels unless PTMC_KERNEL_DIR says otherwise. Idempotent: an
# architecture whose vmlinuz and release are already there is skipped without touching apt.
#
# Usage: scripts/fetch-kernels.sh [ARCH...]   (default: every architecture listed below)
set -euo pipefail

dir=${PTMC_KERNEL_DIR:-/var/cache/ptmc/kernels}

# One line per architecture: ptmc's name, Debian's architecture, the kernel flavour.
# A foreign architecture gets its own apt state (see apt_opts).
arches=(
  "x86_64 amd64 amd64"
  "aarch64 arm64 arm64"
)

work=
cleanup() { if [ -n "$work" ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

fail() {
  echo "fetch-kernels: error: $*" >&2
  exit 1
}

# apt options for a Debian architecture. The machine's own architecture uses the default apt
# state. A foreign one gets its own package lists under DIR/apt-ARCH, and no binary cache, so
# the machine's own apt setup (its architectures, lists and caches) is left as it was: apt only
# ever sees that architecture's Packages files, and only when these options are given.
apt_opts() {
  local deb_arch=$1
  if [ "$deb_arch" = "$(dpkg --print-architecture)" ]; then
    return 0
  fi
  local lists="$dir/apt-$deb_arch/lists"
  mkdir -p "$lists/partial"
  chown _apt "$lists/partial" 2>/dev/null || true # apt downloads as _apt where it can
  printf '%s ' "-oAPT::Architecture=$deb_arch" "-oAPT::Architectures=$deb_arch" \
    "-oDir::State::Lists=$lists" "-oDir::Cache::pkgcache=" "-oDir::Cache::srcpkgcache="
}

# Prints the versioned package the metapackage depends on, e.g. linux-image-6.1.0-56-amd64.
resolve_package() {
  local flavour=$1
  shift
  apt-cache "$@" depends "linux-image-$flavour" 2>/dev/null |
    sed -n "s/^ *Depends: \(linux-image-[0-9][^ ]*-$flavour\)\$/\1/p" | head -n 1
}

# Unpacks an xz-compressed bzImage into DIR/ARCH/vmlinux when that gives a kernel QEMU can boot
# as is (an ELF with the PVH entry note, XEN_ELFNOTE_PHYS32_ENTRY = 0x12). Optional: without xz
# or readelf, or for another compression, the targets boot vmlinuz.
unpack_vmlinux() {
  local out=$1
  [ -s "$out/vmlinux" ] && return 0
  if ! command -v xz >/dev/null || ! command -v readelf >/dev/null; then
    echo "fetch-kernels: note: no xz or readelf; QEMU will boot the compressed image (slower)"
    return 0
  fi
  local offset
  offset=$(LC_ALL=C grep -abo -m 1 $'\xfd7zXZ' "$out/vmlinuz" | head -n 1 | cut -d: -f1 || true)
  if [ -z "$offset" ]; then
    echo "fetch-kernels: note: $out/vmlinuz is not xz-compressed; QEMU will boot it as it is"
    return 0
  fi
  tail -c +$((offset + 1)) "$out/vmlinuz" >"$out/vmlinux.xz"
  if xz -dc --single-stream "$out/vmlinux.xz" >"$out/vmlinux.tmp" 2>/dev/null &&
    readelf -n "$out/vmlinux.tmp" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'; then
    mv "$out/vmlinux.tmp" "$out/vmlinux"
    echo "fetch-kernels: unpacked $out/vmlinux"
  else
    echo "fetch-kernels: note: could not unpack a PVH vmlinux; QEMU will boot vmlinuz"
    rm -f "$out/vmlinux.tmp"
  fi
  rm -f "$out/vmlinux.xz"
}

fetch_one() {
  local arch=$1 deb_arch=$2 flavour=$3
  local out="$dir/$arch"
  if [ -s "$out/vmlinuz" ] && [ -s "$out/release" ]; then
    echo "fetch-kernels: $arch: $(cat "$out/release") already in $out"
    [ "$arch" != x86_64 ] || unpack_vmlinux "$out"
    return 0
  fi

  local opts pkg=
  opts=$(apt_opts "$deb_arch")
  # A foreign architecture's lists are ours alone and nothing else refreshes them: update them
  # before resolving, or a stale list names a kernel Debian has already dropped.
  # shellcheck disable=SC2086 # opts is a list of words
  [ -z "$opts" ] || apt-get $opts update -q >&2 || fail "$arch: apt-get update ($deb_arch) failed"
  # shellcheck disable=SC2086
  pkg=$(resolve_package "$flavour" $opts)
  if [ -z "$pkg" ]; then
    echo "fetch-kernels: $arch: apt-cache knows no linux-image-$flavour; running apt-get update"
    # shellcheck disable=SC2086
    apt-get $opts update -q >&2 || fail "apt-get update failed"
    # shellcheck disable=SC2086
    pkg=$(resolve_package "$flavour" $opts)
  fi
  [ -n "$pkg" ] || fail "$arch: cannot resolve linux-image-$flavour to a versioned kernel package"
  local release=${pkg#linux-image-}

  work=$(mktemp -d "${TMPDIR:-/tmp}/ptmc-kernel.XXXXXX")
  # apt-get download drops to the _apt user when that user can write the directory.
  chmod 755 "$work"
  chown _apt "$work" 2>/dev/null || true
  echo "fetch-kernels: $arch: downloading $pkg"
  # shellcheck disable=SC2086
  if ! (cd "$work" && apt-get $opts download -q "$pkg" >&2); then
    fail "$arch: apt-get download $pkg failed (is the network up? try apt-get update)"
  fi
  local deb
  deb=$(find "$work" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
  [ -n "$deb" ] || fail "$arch: apt-get download $pkg left no .deb in $work"
  dpkg-deb -x "$deb" "$work/root" || fail "$arch: dpkg-deb -x $deb failed"
  local image="$work/root/boot/vmlinuz-$release"
  [ -s "$image" ] || fail "$arch: $pkg has no boot/vmlinuz-$release"

  # Move into place so that an interrupted run never leaves a half-written image behind.
  mkdir -p "$out"
  rm -f "$out/vmlinux" # belongs to the kernel being replaced
  cp "$image" "$out/vmlinuz.tmp"
  printf '%s\n' "$release" >"$out/release.tmp"
  mv "$out/vmlinuz.tmp" "$out/vmlinuz"
  mv "$out/release.tmp" "$out/release"
  rm -rf "$work"
  work=
  echo "fetch-kernels: $arch: $release in $out"
  [ "$arch" != x86_64 ] || unpack_vmlinux "$out"
}

wanted=("$@")
found_any=0
for line in "${arches[@]}"; do
  read -r arch deb_arch flavour <<<"$line"
  if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $arch "* ]]; then
    continue
  fi
  found_any=1
  fetch_one "$arch" "$deb_arch" "$flavour"
done
[ "$found_any" = 1 ] || fail "no known architecture among: ${wanted[*]}"
