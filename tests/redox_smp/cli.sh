#!/usr/bin/env bash
# ptmc on the concurrent Redox profiles: listing, check's exit codes on a before/after pair, a
# printed counterexample replayed with `run --on model`, and bad input (exit 2, FILE:LINE:COL).
set -u
PTMC=${1:?usage: cli.sh PTMC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() { # expect CODE DESCRIPTION -- COMMAND...
  local want=$1 what=$2
  shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    fail "$what: exit $got, wanted $want"
    sed 's/^/    /' "$tmp/err" | head -5
  else
    echo "ok:   $what (exit $got)"
  fi
}

expect 0 "profiles" -- "$PTMC" profiles
for p in redox-2019-smp redox-2020-smp redox-2019-smp-b1-before redox-2019-smp-b1-after \
  redox-2019-smp-b2-before redox-2019-smp-b2-after redox-2019-smp-b3-before \
  redox-2019-smp-b3-after redox-2019-smp-b4-before redox-2019-smp-b4-after; do
  grep -Eq "^$p +redox-smp +concurrent " "$tmp/out" || fail "profiles does not list $p as concurrent"
done
expect 0 "props lists the concurrent properties" -- "$PTMC" props
grep -q "^resume-wakeup" "$tmp/out" || fail "props lacks resume-wakeup"

# B2 before: the lost wakeup is found (exit 1) and its interleaving printed.
expect 1 "check finds B2 before 75872cc5" -- "$PTMC" check --profile redox-2019-smp-b2-before -q --no-products
grep -q "^VIOLATED event-wakeup" "$tmp/out" || fail "no event-wakeup counterexample"
awk '/^VIOLATED event-wakeup/{on=1; next} on && /^(VIOLATED|known violation)/{exit} on' "$tmp/out" \
  >"$tmp/ce.ptmc"
expect 0 "the counterexample replays and matches its expect block" -- "$PTMC" run "$tmp/ce.ptmc" --on model
grep -q "^violation event-wakeup" "$tmp/out" || fail "the replay does not reach the violation"
grep -q "^# matches expect" "$tmp/out" || fail "the replay does not say it matches"
# refinement-interface: on 1 CPU both kernels refine their interface profile (exit 0); on 2 CPUs
# the first difference is a known race, whose interleaving replays.
for p in redox-2019-smp redox-2020-smp; do
  expect 0 "$p refines its interface profile on 1 CPU" -- "$PTMC" check --profile "$p" \
    --property refinement-interface --cpus 1 --program-bound 2 --requests 3
  grep -Eq "^refinement-interface +holds" "$tmp/out" || fail "$p: refinement-interface does not hold"
  grep -q "deterministic per observation" "$tmp/out" || fail "$p: no determinism verdict"
done
expect 0 "redox-2020-smp differs from redox-2020 by a known race on 2 CPUs" -- "$PTMC" check \
  --profile redox-2020-smp --property refinement-interface --program-bound 1 --requests 2
grep -Eq "^refinement-interface +known-violation" "$tmp/out" || fail "no known refinement-interface race"
awk '/^ptmc-scenario/{on=1} on' "$tmp/out" >"$tmp/ri.ptmc"
expect 0 "the refinement-interface interleaving replays" -- "$PTMC" run "$tmp/ri.ptmc" --on model
grep -q "^# matches expect" "$tmp/out" || fail "the refinement-interface replay does not match"
# B2 after: nothing unexpected (exit 0).
expect 0 "check is clean after 75872cc5" -- "$PTMC" check --profile redox-2019-smp-b2-after -q --no-products
grep -Eq "^event-wakeup +holds" "$tmp/out" || fail "event-wakeup does not hold after the fix"
expect 0 "explore without reduction" -- "$PTMC" explore --profile redox-2019-smp-b4-after --no-por -q
expect 0 "check --json" -- "$PTMC" check --profile redox-2019-smp-b1-after -q --no-products --json
grep -q '"partial_order_reduction": true' "$tmp/out" || fail "check --json lacks the reduction flag"

# Bad input.
sed 's/^  tracer  request write PRE_SYSCALL.*/  tracer  request write PRE_SYSCALL|NOPE/' "$tmp/ce.ptmc" >"$tmp/bad.ptmc"
expect 2 "an unknown flag in a scenario" -- "$PTMC" run "$tmp/bad.ptmc" --on model
grep -Eq "bad.ptmc:[0-9]+:[0-9]+: error: unknown flag" "$tmp/err" || fail "no FILE:LINE:COL for the flag"
awk '/^interleaving:/{print; print "  tracee  step"; next} {print}' "$tmp/ce.ptmc" >"$tmp/bad2.ptmc"
expect 2 "a step the model cannot take" -- "$PTMC" run "$tmp/bad2.ptmc" --on model
grep -q "cannot take this step" "$tmp/err" || fail "the refused step is not explained"
expect 2 "a concurrent profile on a kernel" -- "$PTMC" run "$tmp/ce.ptmc" --on host
expect 2 "an unknown flag word for --writes" -- "$PTMC" check --profile redox-2019-smp --writes NOPE
expect 2 "mutate on a concurrent profile" -- "$PTMC" mutate --profile redox-2019-smp
expect 3 "a state limit" -- "$PTMC" check --profile redox-2019-smp-b3-after --max-states 100 -q --no-products

[ "$failures" = 0 ] && echo "all ok" || echo "$failures failure(s)"
[ "$failures" = 0 ]
