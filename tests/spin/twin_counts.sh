#!/usr/bin/env bash
# The SPIN twin (bench/spin/ptrace.pml) and ptmc's profile spin-twin must reach exactly the same
# number of distinct states: the model's own states (ptmc explore --no-monitors), and with the
# monitors of the invariant properties (ptmc explore; the twin built with -DMONITORS).
# Usage: twin_counts.sh PTMC PML BOUND [monitors]
set -euo pipefail
ptmc=$1 pml=$2 bound=$3 mode=${4:-plain}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
defines=(-DBOUND="$bound")
ptmc_args=(explore --profile spin-twin --bound "$bound" --json -q)
if [ "$mode" = monitors ]; then
  defines+=(-DMONITORS)
else
  ptmc_args+=(--no-monitors)
fi
# -o2: keep variables that are written but never read in the model (exit_value, stop_op): a
# tracer reads them, so they are part of the state, as in ptmc.
spin -o2 -a "${defines[@]}" "$pml" > spin.log 2>&1 || { cat spin.log; exit 2; }
# -O0: this test only counts, so the compile is kept short; bench/spin runs pan built with -O2.
gcc -O0 -w -DSAFETY -DNOREDUCE -o pan pan.c
./pan -m100000000 -w22 > pan.out 2>&1 || true
if grep -q "max search depth too small" pan.out || ! grep -q "errors: 0" pan.out; then
  echo "pan did not complete a clean search:"; cat pan.out; exit 1
fi
spin_states=$(awk '/states, stored/ {print $1}' pan.out)
ptmc_states=$("$ptmc" "${ptmc_args[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["states"])')
echo "bound $bound ($mode): SPIN $spin_states states, ptmc $ptmc_states states"
[ "$spin_states" = "$ptmc_states" ] || { echo "the counts differ"; exit 1; }
