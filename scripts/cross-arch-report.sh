#!/usr/bin/env bash
# Regenerates reports/cross-arch.md: Linux x86_64 against Linux arm64 on one scenario family
# (the differing scenarios with the rule behind each, and the property verdicts side by side),
# from the traces of Debian's two 6.1 kernels under QEMU. Needs a build (scripts/test.sh) and
# the kernels scripts/setup.sh fetches; --models compares the two models instead (no VM).
set -euo pipefail
cd "$(dirname "$0")/.."
on=(--on-kernels)
if [ "${1:-}" = --models ]; then on=(); fi
./build/ptmc crossarch "${on[@]}" --length 2 --depth 2 --add-random 1000 --seed 2026 --bound 3 -q \
  --report reports/cross-arch.md --list reports/cross-arch-scenarios.txt
