#!/usr/bin/env bash
# Regenerates reports/linux-vs-redox-2020.md, the Linux-against-Redox difference table: the
# diff enumeration (programs of 1-2 instructions, two resume requests, then `repeat cont
# sig=pass`) and the hand-written Linux scenarios of scenarios/, each run on linux-x86_64 as it
# is and on redox-2020 through relibc's ptrace() (docs/redox-model.md, "Common observation").
# Both sides are models: no Redox kernel runs here. Usage: scripts/redox-compare.sh [PTMC]
set -euo pipefail
cd "$(dirname "$0")/.."
PTMC=${1:-build/ptmc}
rc=0
"$PTMC" compare --profiles linux-x86_64,redox-2020 --length 2 --depth 2 --scenarios scenarios \
  --report reports/linux-vs-redox-2020.md --examples 0 -q || rc=$?
# 1 means "they differ", which is the point of the table; anything else is an error.
[ "$rc" -le 1 ] || exit "$rc"
echo "wrote reports/linux-vs-redox-2020.md"
