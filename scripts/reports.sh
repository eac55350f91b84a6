#!/usr/bin/env bash
# Regenerates reports/ from the built tool: the check of each profile and the mutation score.
# Needs a build (scripts/check.sh or scripts/test.sh) and root for the host kernel diff.
set -euo pipefail
cd "$(dirname "$0")/.."
ptmc=./build/ptmc
for p in linux-x86_64 bug-signal-frame bug-no-fmask bug-rflags-assign; do
  "$ptmc" check --profile "$p" -q >"reports/check-$p.txt" || true  # a seeded bug exits 1 by design
done
"$ptmc" mutate --profile linux-x86_64 --bound 3 --on host --scenarios scenarios -q \
  --report reports/mutation-linux-x86_64.md >/dev/null
"$ptmc" diff --on host --length 2 --depth 2 --scenarios scenarios --add-random 6000 --seed 2026 -q \
  --report reports/diff-host.md >/dev/null
"$ptmc" diff --on qemu-x86_64 --length 2 --depth 2 --scenarios scenarios --add-random 2000 --seed 2026 -q \
  --report reports/diff-qemu-x86_64.md >/dev/null
scripts/redox-reports.sh "$ptmc" >/dev/null
scripts/redox-suspected-bugs.sh "$ptmc" >/dev/null  # the concurrent Redox model on B8-B12
