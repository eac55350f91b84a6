#!/usr/bin/env bash
# ptmc prove from the outside: verdicts, exit codes, --json, --explain, --timeout and the
# profiles it cannot encode.
set -u
PTMC=${1:?usage: prove.sh PTMC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; sed 's/^/    /' "$tmp/out" "$tmp/err" | head -20; failures=$((failures + 1)); }
run() { # run WANTED_EXIT DESCRIPTION -- COMMAND...
  local want=$1 what=$2
  shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" = "$want" ]; then echo "ok:   $what (exit $got)"; else fail "$what: exit $got, wanted $want"; fi
}
verdicts() { python3 -c 'import json,sys; print(" ".join(r["verdict"] for r in json.load(sys.stdin)["results"]))' <"$tmp/out"; }

run 0 "linux-x86_64 proves a fact, as JSON" -- "$PTMC" prove --profile linux-x86_64 --property syscall-entry-clears-tf --json
[ "$(verdicts)" = "proved" ] && echo "ok:   proved" || fail "verdicts: $(verdicts)"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["profile"]=="linux-x86_64" and all(r["core"] for r in d["results"])' <"$tmp/out" \
  && echo "ok:   json has the profile and a core per proof" || fail "json shape"

run 0 "--explain names the rules" -- "$PTMC" prove --profile linux-x86_64 --property arm-step-changes-only-tf --explain
grep -q "rests on: .*step-enable" "$tmp/out" && echo "ok:   explain lists step-enable" || fail "explain output"

run 1 "bug-no-fmask is refuted" -- "$PTMC" prove --profile bug-no-fmask --property syscall-entry-clears-tf
grep -q "with .*rflags = 0x" "$tmp/out" && echo "ok:   refutation prints the register values" || fail "no counterexample"
run 1 "the mutant without entry-fmask-clears-tf is refuted" -- "$PTMC" prove --profile linux-x86_64 --mutant entry-fmask-clears-tf --property syscall-entry-clears-tf

run 3 "a deadline the prover cannot meet gives unknown" -- "$PTMC" prove --profile linux-x86_64 --property arm-step-changes-only-tf --timeout 0.001 --json
[ "$(verdicts)" = "unknown" ] && grep -q timeout "$tmp/out" && echo "ok:   unknown with the timeout as reason" || fail "timeout verdict"

# Protocol properties (by induction): a seeded bug is refuted with a scenario that ptmc run
# replays into the violation of the same property; a proof the deadline cuts short is unknown.
run 1 "bug-no-fmask refutes kernel-mode-tf" -- "$PTMC" prove --profile bug-no-fmask --property kernel-mode-tf --json
python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; assert r["verdict"]=="refuted"; print(r["scenario"])' <"$tmp/out" >"$tmp/cex.ptmc" \
  && echo "ok:   refuted with a scenario" || fail "protocol refutation json"
cp "$tmp/cex.ptmc" "$tmp/cex.keep"
run 0 "ptmc run replays the counterexample" -- "$PTMC" run "$tmp/cex.keep"
grep -q "# violates kernel-mode-tf" "$tmp/out" && echo "ok:   the replay violates kernel-mode-tf" || fail "replay shows no violation"
run 1 "the text output prints the scenario" -- "$PTMC" prove --profile bug-signal-frame --property register-write-persistence
grep -q "ptmc-scenario 1" "$tmp/out" && echo "ok:   scenario printed" || fail "no scenario in text output"
run 0 "linux-x86_64 proves sysemu-never-executes for programs of any length" -- "$PTMC" prove --profile linux-x86_64 --property sysemu-never-executes --timeout 600 --json
python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; assert r["verdict"]=="proved" and r["k"]>=1 and r["controls"]>0' <"$tmp/out" \
  && echo "ok:   proved by induction" || fail "protocol proof"
run 0 "a violation the profile documents is refuted but does not fail the run" -- "$PTMC" prove --profile linux-x86_64 --property sysemu-step-granularity
grep -q "^  refuted  sysemu-step-granularity" "$tmp/out" && grep -q "expected for this profile" "$tmp/out" \
  && echo "ok:   refuted, marked expected" || fail "expected violation"
run 3 "a protocol proof past its deadline is unknown" -- "$PTMC" prove --profile linux-x86_64 --property step-granularity --timeout 1 --json
[ "$(verdicts)" = "unknown" ] && grep -q timeout "$tmp/out" && echo "ok:   unknown with the timeout as reason" || fail "protocol timeout verdict"

run 2 "unknown profile" -- "$PTMC" prove --profile nosuch
run 2 "unknown property" -- "$PTMC" prove --profile linux-x86_64 --property nosuch
grep -q "unknown property 'nosuch'" "$tmp/err" && echo "ok:   unknown property is named" || fail "unknown property message"
run 2 "unknown mutant rule" -- "$PTMC" prove --profile linux-x86_64 --mutant nosuch
run 2 "linux-aarch64 is not supported" -- "$PTMC" prove --profile linux-aarch64
grep -q "not supported for profile 'linux-aarch64'" "$tmp/err" && echo "ok:   says not supported" || fail "unsupported message"
run 2 "redox-2020 is not supported" -- "$PTMC" prove --profile redox-2020
grep -q "not supported for profile 'redox-2020'" "$tmp/err" && echo "ok:   says not supported" || fail "unsupported message (redox)"
run 0 "--help" -- "$PTMC" prove --help

# Each seeded bug's refutation comes with a scenario that `ptmc run` replays on the model; the
# check below reads the broken fact off the run (its definition, not a copied trace), and the
# same scenario on the linux-x86_64 model does not break it.
replays() { # replays BUG FACT CHECK
  local bug=$1 fact=$2 check=$3
  run 1 "$bug refutes $fact with a scenario" -- "$PTMC" prove --profile "$bug" --property "$fact" --scenario-out "$tmp/$bug.ptmc"
  grep -q "a scenario that replays it" "$tmp/out" && echo "ok:   the scenario is printed" || fail "$bug: no scenario printed"
  for profile in "$bug" linux-x86_64; do
    "$PTMC" run "$tmp/$bug.ptmc" --profile "$profile" --json >"$tmp/run.json" 2>"$tmp/err"
    local want=broken
    [ "$profile" = linux-x86_64 ] && want=kept
    got=$(python3 - "$check" "$tmp/$bug.ptmc" "$tmp/run.json" <<'PY'
import json, sys
check, scenario, run = sys.argv[1], open(sys.argv[2]).read().splitlines(), json.load(open(sys.argv[3]))
trace, violations = run["trace"], [v["property"] for v in run["violations"]]
section, program, actions = None, [], []
for line in scenario:
    line = line.split("#")[0].strip()
    if line.endswith(":"): section = line[:-1]
    elif line and section == "program": program.append(line)
    elif line and section == "actions": actions.append(line)
if check == "flags":
    # arm-step-changes-only-tf: the last action steps one instruction that writes no flags, so the
    # stop after it shows the flags of the stop before, TF aside.
    k = len(actions) - 1
    assert actions[k].split()[0] in ("singlestep", "sysemu_singlestep"), actions[k]
    at = int(trace[k]["at"])
    insn = program[at] if at < len(program) else ["nr exit_group", "syscall"][at - len(program)]
    assert insn.split()[0] not in ("cmp", "popf"), insn
    flags = lambda line: set(line["flags"].split(",")) - {"TF", "-"}
    print("broken" if flags(trace[k]) != flags(trace[k + 1]) else "kept")
else:
    print("broken" if check in violations else "kept")
PY
)
    [ "$got" = "$want" ] && echo "ok:   $fact on the scenario, model $profile: $got" || fail "$bug on $profile: $fact $got, wanted $want"
  done
}
replays bug-rflags-assign arm-step-changes-only-tf flags
replays bug-no-fmask syscall-entry-clears-tf kernel-mode-tf
replays bug-signal-frame written-rax-persists register-write-persistence

[ "$failures" = 0 ] && echo "all prove CLI checks passed" || { echo "$failures failure(s)"; exit 1; }
