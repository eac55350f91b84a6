#!/usr/bin/env bash
# The exit codes and error messages scripts rely on (cli/main.cpp): 0 ok, 1 violation or
# mismatch, 2 bad input, 3 a limit stopped the run. Each case states what it expects.
set -u
PTMC=${1:?usage: exit_codes.sh PTMC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

expect() { # expect CODE DESCRIPTION -- COMMAND...
  local want=$1 what=$2
  shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, wanted $want"
    sed 's/^/    /' "$tmp/err" | head -5
    failures=$((failures + 1))
  else
    echo "ok:   $what (exit $got)"
  fi
}
stderr_has() { # stderr_has TEXT DESCRIPTION
  if grep -qF -- "$1" "$tmp/err"; then echo "ok:   $2"; else
    echo "FAIL: $2: stderr lacks '$1'"; sed 's/^/    /' "$tmp/err" | head -5; failures=$((failures + 1)); fi
}

expect 0 "top-level --help" -- "$PTMC" --help
expect 2 "no command" -- "$PTMC"
expect 2 "unknown command" -- "$PTMC" frobnicate
for c in profiles props rules explore check run diff mutate; do expect 0 "$c --help" -- "$PTMC" $c --help; done
expect 0 "profiles" -- "$PTMC" profiles
expect 0 "props" -- "$PTMC" props
grep -q "^transparency " "$tmp/out" && echo "ok:   props lists transparency" || { echo "FAIL: props lacks transparency"; failures=$((failures+1)); }
expect 0 "rules of a profile" -- "$PTMC" rules --profile linux-x86_64 --json
n=$(grep -c '"rule":' "$tmp/out"); [ "$n" = 54 ] && echo "ok:   linux-x86_64 has 54 rules" || { echo "FAIL: linux-x86_64 lists $n rules, not 54"; failures=$((failures+1)); }
expect 0 "rules of one layer" -- "$PTMC" rules --layer cpu/x86_64
grep -q "hw-trap-after-insn" "$tmp/out" && ! grep -q "ptrace-kill" "$tmp/out" && echo "ok:   --layer keeps only that layer" || { echo "FAIL: --layer cpu/x86_64 output"; failures=$((failures+1)); }
expect 2 "unknown layer" -- "$PTMC" rules --layer nosuch
stderr_has "unknown layer 'nosuch'" "unknown layer is named"
expect 2 "check without --profile" -- "$PTMC" check
expect 2 "unknown profile" -- "$PTMC" check --profile nosuch
stderr_has "unknown profile 'nosuch'" "unknown profile is named"
expect 2 "impossible bound" -- "$PTMC" check --profile linux-x86_64 --bound 0
expect 2 "unknown property" -- "$PTMC" check --profile linux-x86_64 --property nosuch
expect 2 "bad size" -- "$PTMC" check --profile linux-x86_64 --max-memory 12X
expect 3 "--max-states stops cleanly" -- "$PTMC" check --profile linux-x86_64 --max-states 1000 -q
stderr_has "limit" "limit is reported"
expect 3 "--max-memory stops cleanly" -- "$PTMC" explore --profile linux-x86_64 --max-memory 4M -q
expect 2 "--threads 0" -- "$PTMC" check --profile linux-x86_64 --threads 0
stderr_has "--threads must be between 1 and 1024" "--threads range is named"
expect 2 "--checkpoint-every without --checkpoint" -- "$PTMC" check --profile linux-x86_64 --checkpoint-every 5
expect 2 "--resume of a missing file" -- "$PTMC" check --profile linux-x86_64 --resume "$tmp/none.ckpt" -q
stderr_has "cannot read checkpoint" "missing checkpoint is named"
expect 3 "--max-memory stops a check cleanly" -- "$PTMC" check --profile linux-x86_64 --bound 4 --max-memory 40M -q
stderr_has "limit" "memory limit is reported"
expect 0 "check a small bound" -- "$PTMC" check --profile linux-x86_64 --bound 2 -q
expect 1 "a seeded bug is an unexpected violation" -- "$PTMC" check --profile bug-rflags-assign --bound 2 -q

expect 2 "missing scenario file" -- "$PTMC" run "$tmp/none.ptmc"
printf 'ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nopp\n' >"$tmp/bad.ptmc"
expect 2 "unknown instruction" -- "$PTMC" run "$tmp/bad.ptmc"
stderr_has "bad.ptmc:4:3: error: unknown instruction" "unknown instruction has file:line:column"
printf 'ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\nactions:\n  singlstep\n' >"$tmp/badreq.ptmc"
expect 2 "unknown request" -- "$PTMC" run "$tmp/badreq.ptmc"
stderr_has "badreq.ptmc:6:3:" "unknown request has file:line:column"
printf 'ptmc-scenario 2\n' >"$tmp/v2.ptmc"
expect 2 "unsupported version" -- "$PTMC" run "$tmp/v2.ptmc"
printf 'ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  popf\nactions:\n  cont\n' >"$tmp/popf.ptmc"
expect 2 "a program the model cannot follow" -- "$PTMC" run "$tmp/popf.ptmc"
printf 'ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\nactions:\n  cont\n' >"$tmp/ok.ptmc"
expect 2 "unknown target" -- "$PTMC" run "$tmp/ok.ptmc" --on mars
expect 0 "run on the model" -- "$PTMC" run "$tmp/ok.ptmc"
expect 0 "run --json" -- "$PTMC" run "$tmp/ok.ptmc" --json
grep -q '"kind": "exited"' "$tmp/out" && echo "ok:   json has the exit line" || { echo "FAIL: json lacks exit"; failures=$((failures+1)); }
printf 'ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\nactions:\n  cont\nexpect:\n  exited code=1 written=0\n' >"$tmp/wrong.ptmc"
expect 1 "a trace that differs from expect" -- "$PTMC" run "$tmp/wrong.ptmc"
printf 'ptmc-scenario 1\nprofile linux-aarch64\nprogram:\n  nop\n  pushf\n' >"$tmp/armpushf.ptmc"
expect 2 "pushf has no meaning on aarch64" -- "$PTMC" run "$tmp/armpushf.ptmc"
stderr_has "armpushf.ptmc:5:3: error: pushf has no meaning on aarch64" "an x86-only instruction on arm64 has file:line:column"
printf 'ptmc-scenario 1\nprofile linux-aarch64\nprogram:\n  nop\nactions:\n  cont rax=1\n' >"$tmp/armrax.ptmc"
expect 2 "an x86 register in an arm64 scenario" -- "$PTMC" run "$tmp/armrax.ptmc"
printf 'ptmc-scenario 1\nprofile linux-aarch64\nprogram:\n  nop\nactions:\n  cont\n' >"$tmp/arm.ptmc"
expect 0 "an arm64 scenario on the model" -- "$PTMC" run "$tmp/arm.ptmc"
expect 2 "an arm64 scenario on the x86 host" -- "$PTMC" run "$tmp/arm.ptmc" --on host
stderr_has "runs x86_64" "the architecture mismatch is named"
expect 0 "check linux-aarch64 at a small bound" -- "$PTMC" check --profile linux-aarch64 --bound 2 -q
expect 2 "diff of an arm64 profile on the host" -- "$PTMC" diff --on host --profile linux-aarch64
expect 2 "diff with a bad depth" -- "$PTMC" diff --on host --depth 99
expect 2 "diff with an unknown target" -- "$PTMC" diff --on mars

echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ "$failures" -eq 0 ]
