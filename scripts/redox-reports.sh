#!/usr/bin/env bash
# Regenerates the Redox reports (docs/redox-model.md): the check of each Redox profile at its
# default bound (reports/check-redox-*.txt), the Redox rule tables with their confirmation
# status, "confirmed by source only" for every one (reports/redox-rules.txt), and the
# Linux-against-Redox difference table (scripts/redox-compare.sh). About 2 minutes on the
# 2-core machine. Usage: scripts/redox-reports.sh [PTMC]
set -euo pipefail
cd "$(dirname "$0")/.."
PTMC=${1:-build/ptmc}
for p in redox-2019 redox-2020 redox-2019-bug-signal-frame redox-2019-bug-no-fmask \
  redox-2019-bug-rflags-assign; do
  rc=0
  "$PTMC" check --profile "$p" -q >"reports/check-$p.txt" || rc=$?
  # 1 is a violation: the seeded bugs' by design; anything else is an error.
  [ "$rc" -le 1 ] || exit "$rc"
done
{
  echo "# ptmc rules --layer redox; ptmc rules --layer redox/relibc (scripts/redox-reports.sh)"
  echo "# No Redox kernel runs here: each rule cites the source line it follows at a named commit."
  "$PTMC" rules --layer redox
  "$PTMC" rules --layer redox/relibc
} >reports/redox-rules.txt
scripts/redox-compare.sh "$PTMC"
echo "wrote reports/check-redox-*.txt and reports/redox-rules.txt"
