#!/usr/bin/env bash
# Regenerates reports/ from the built tool.
#   scripts/reports.sh          record everything again (needs root for the host kernel and a
#                               few minutes of QEMU), then rewrite reports/html
#   scripts/reports.sh --html   only rewrite reports/html from the data already recorded
# Volatile facts (times, memory, kernel versions, results on real kernels) live in
# reports/data/*.json, each recording the command that produced it, when, and on which kernel;
# reports/html is computed from the source and those files, so CI can check it is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
ptmc=./build/ptmc
data=reports/data

if [ "${1:-}" != "--html" ]; then
  mkdir -p "$data"
  for p in $("$ptmc" profiles --json | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)))'); do
    # A seeded bug exits 1 by design.
    "$ptmc" check --profile "$p" -q --record "$data/check-$p.json" >"reports/check-$p.txt" || true
  done
  "$ptmc" mutate --profile linux-x86_64 --bound 3 --on host --scenarios scenarios -q \
    --report reports/mutation-linux-x86_64.md --record "$data/mutation-linux-x86_64.json" >/dev/null
  "$ptmc" diff --on host --length 2 --depth 2 --scenarios scenarios --add-random 6000 --seed 2026 -q \
    --report reports/diff-host.md --record "$data/diff-host.json" >/dev/null
  "$ptmc" diff --on qemu-x86_64 --length 2 --depth 2 --scenarios scenarios --add-random 2000 --seed 2026 -q \
    --report reports/diff-qemu-x86_64.md --record "$data/diff-qemu-x86_64.json" >/dev/null
  # Kernel traces of the hand-written scenarios and of the report's counterexamples, drawn
  # beside the model's in the report.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$ptmc" report --out "$tmp/report" --data "$data" --scenarios scenarios -q >/dev/null
  for target in host qemu-x86_64; do
    "$ptmc" run scenarios/*.ptmc "$tmp"/report/counterexamples/*.ptmc --on "$target" \
      --record "$data/runs-$target.json" >/dev/null || true # a differing expect is not an error here
  done
fi
"$ptmc" report --out reports/html --data "$data" --scenarios scenarios -q
