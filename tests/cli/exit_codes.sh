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
for c in profiles props rules explore check run diff mutate compare; do expect 0 "$c --help" -- "$PTMC" $c --help; done
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

# Refuse, never guess (docs/scenario-format.md, "Syscall numbers"): a syscall the model does not
# follow is an error naming the instruction and the syscall, and diff counts it as refused.
printf 'ptmc-scenario 1\nprofile linux-x86_64\noptions tracesysgood\nprogram:\n  nop\n  nr 57\n  syscall\nactions:\n  syscall\n  syscall\n  cont\n' >"$tmp/fork.ptmc"
expect 2 "an unmodelled syscall is refused" -- "$PTMC" run "$tmp/fork.ptmc"
stderr_has "the syscall at instruction 2 runs number 57 (fork)" "the refusal names the instruction and the syscall"
mkdir -p "$tmp/refused" && cp "$tmp/fork.ptmc" "$tmp/ok.ptmc" "$tmp/refused/"
expect 0 "diff with a refused scenario" -- "$PTMC" diff --on host --length 1 --depth 0 --scenarios "$tmp/refused" -q
grep -q ", 1 refused by the model" "$tmp/out" && echo "ok:   diff counts the refusal" || { echo "FAIL: diff does not count the refusal"; failures=$((failures+1)); }

# Output files are written whole or not at all (common/atomic_file.hpp): a full device or a
# file-size limit is exit 3 and leaves the previous file; a missing directory is exit 2.
expect 3 "--dot to a full device" -- "$PTMC" explore --profile linux-x86_64 --bound 1 --dot /dev/full -q
stderr_has "No space left on device" "the full device is named"
printf 'the previous graph\n' >"$tmp/graph.dot"
expect 3 "--dot past RLIMIT_FSIZE" -- bash -c 'ulimit -f 4 && exec "$@"' sh "$PTMC" explore --profile linux-x86_64 --bound 1 --dot "$tmp/graph.dot" -q
stderr_has "File too large" "the size limit is named"
[ "$(cat "$tmp/graph.dot")" = "the previous graph" ] && [ -z "$(ls -A "$tmp" | grep ptmc-tmp)" ] && echo "ok:   the previous file is whole, no temporary left" || { echo "FAIL: the previous --dot file was damaged or a temporary left"; failures=$((failures+1)); }
expect 2 "--dot into a missing directory" -- "$PTMC" explore --profile linux-x86_64 --bound 1 --dot "$tmp/none/graph.dot" -q
expect 3 "diff --report to a full device" -- "$PTMC" diff --on host --length 1 --depth 0 --report /dev/full -q

# Redox.
printf 'ptmc-scenario 1\nprofile redox-2020\nprogram:\n  nop\nactions:\n  write PRE_SYSCALL|0x40\n' >"$tmp/rword.ptmc"
expect 2 "a Redox word with a bit the model cannot follow" -- "$PTMC" run "$tmp/rword.ptmc"
stderr_has "rword.ptmc:6:9: error: flag word 'PRE_SYSCALL|0x40' has bits the kernel accepts but the model does not follow: 0x40" "the bits are named at file:line:column"
printf 'ptmc-scenario 1\nprofile redox-2020\nprogram:\n  nop\nactions:\n  write 0x10000\nexpect:\n  write error=EINVAL\n  killed sig=SIGKILL written=0\n' >"$tmp/rhigh.ptmc"
expect 0 "a bit above 0xFFFF is the kernel's EINVAL" -- "$PTMC" run "$tmp/rhigh.ptmc"
printf 'ptmc-scenario 1\nprofile redox-2020\nprogram:\n  nop\nactions:\n  detach\n' >"$tmp/rdetach.ptmc"
expect 2 "a Linux request relibc cannot map" -- "$PTMC" run "$tmp/rdetach.ptmc"
stderr_has "unimplemented!()" "the reason is relibc's"
expect 2 "Redox profiles have no kernel to diff" -- "$PTMC" diff --profile redox-2020 --on host
printf 'ptmc-scenario 1\nprofile redox-2020\nprogram:\n  nop\nactions:\n  write PRE_SYSCALL\n' >"$tmp/rhost.ptmc"
expect 2 "nor to run a Redox scenario on" -- "$PTMC" run "$tmp/rhost.ptmc" --on host
stderr_has "models redox, which no target here runs" "the run says why"
printf 'ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\nactions:\n  cont\n' >"$tmp/lhost.ptmc"
expect 2 "nor a Linux scenario run with a Redox profile" -- "$PTMC" run "$tmp/lhost.ptmc" --on qemu-x86_64 --profile redox-2020
expect 2 "nor mutation scores" -- "$PTMC" mutate --profile redox-2019
expect 0 "profiles say which are interface-level" -- "$PTMC" profiles
grep -q "^redox-2020  *redox  *interface" "$tmp/out" && echo "ok:   redox-2020 is interface-level" || { echo "FAIL: profiles lack the level"; failures=$((failures+1)); }
expect 0 "Redox rules are confirmed by source only" -- "$PTMC" rules --layer redox --json
grep -q '"confirmed_by": "source only' "$tmp/out" && echo "ok:   the rule table says so" || { echo "FAIL: no confirmation status"; failures=$((failures+1)); }
expect 0 "Linux's rules count no Redox rule" -- "$PTMC" rules --profile linux-x86_64 --json
grep -q '"layer": "redox' "$tmp/out" && { echo "FAIL: a Redox rule in linux-x86_64"; failures=$((failures+1)); } || echo "ok:   linux-x86_64 has no Redox rule"
# A file with several scenarios back to back (a report's witness batch) and --only N.
scn=$(cd "$(dirname "$0")/../../scenarios" && pwd)
{ cat "$scn"/step-over-syscall.ptmc; echo; cat "$scn"/step-from-enter-stop.ptmc; } >"$tmp/batch.ptmc" 2>/dev/null ||
  { echo "FAIL: $scn has not the scenarios"; failures=$((failures + 1)); }
expect 0 "run a batch of two" -- "$PTMC" run "$tmp/batch.ptmc" --json
n=$(grep -c '"scenario": ' "$tmp/out"); [ "$n" = 2 ] && echo "ok:   a batch runs every scenario" || { echo "FAIL: the batch ran $n scenarios, not 2"; failures=$((failures+1)); }
"$PTMC" run "$scn"/step-from-enter-stop.ptmc --json >"$tmp/alone" 2>/dev/null
expect 0 "run --only 1" -- "$PTMC" run "$tmp/batch.ptmc" --only 1 --json
grep -v '"scenario": ' "$tmp/out" >"$tmp/only"; grep -v '"scenario": ' "$tmp/alone" >"$tmp/alone2"
cmp -s "$tmp/only" "$tmp/alone2" && echo "ok:   --only 1 runs the second scenario" || { echo "FAIL: --only 1 is not the second scenario"; failures=$((failures+1)); }
expect 2 "run --only past the end" -- "$PTMC" run "$tmp/batch.ptmc" --only 2
stderr_has "holds 2 scenario(s)" "--only past the end says how many there are"
expect 2 "run an empty file" -- "$PTMC" run /dev/null

echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ "$failures" -eq 0 ]
