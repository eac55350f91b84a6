#!/usr/bin/env bash
# Regenerates the data files under reports/data/ that the RFC answers read (report/rfc/README.md).
#
#   scripts/rfc-data.sh q4    the register-access benchmark (RFC question 4): the host kernel,
#                             and Debian's kernel under QEMU as a cross-check. Run it on a quiet
#                             machine: the figures record the load they were measured under.
#   scripts/rfc-data.sh q5    the attach-permission model (question 5): every variant's verdicts,
#                             the cases side by side, the cases run in Debian's kernel, and one
#                             mutant per rule (caught by a property, or by the kernel's outcomes).
#   scripts/rfc-data.sh       both.
#
# Builds what it runs in build/ (BUILD_DIR to change), like scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
data=reports/data
mkdir -p "$data"
what=${1:-all}
case "$what" in q4 | q5 | all) ;; *)
  echo "usage: scripts/rfc-data.sh [q4|q5|all]" >&2
  exit 2
  ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j2 --target ptmc ptmc-sec-helper ptmc-regs-bench ptmc-qemu-init

if [ "$what" = q4 ] || [ "$what" = all ]; then
  echo "rfc-data: q4: load before: $(uptime)"
  "$build/ptmc-regs-bench" --qemu --json "$data/q4-register-access.json"
fi
if [ "$what" = q5 ] || [ "$what" = all ]; then
  "$build/ptmc" security check --bound 5 -q --json "$data/q5-security-check.json"
  "$build/ptmc" security compare --json "$data/q5-security-compare.json" >/dev/null
  "$build/ptmc" security diff --on qemu-x86_64 --json "$data/q5-security-qemu.json"
  "$build/ptmc" security mutate --variant linux --kernel-run "$data/q5-security-qemu.json" \
    --json "$data/q5-security-mutants-linux.json"
  "$build/ptmc" security mutate --variant redox-2019 --json "$data/q5-security-mutants-redox.json"
fi
