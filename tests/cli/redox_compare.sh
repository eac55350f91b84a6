#!/usr/bin/env bash
# ptmc compare, Linux against redox-2020 through relibc: the hand-written Linux scenarios land in
# the outcome the sources predict (docs/redox-model.md, "relibc" and "Common observation"), the
# ones relibc cannot express are listed with their reason, and a small enumeration runs with no
# scenario refused by either model.
set -u
PTMC=${1:?usage: redox_compare.sh PTMC SCENARIOS_DIR}
SCENARIOS=${2:?usage: redox_compare.sh PTMC SCENARIOS_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$PTMC" compare --profiles linux-x86_64,redox-2020 --scenarios "$SCENARIOS" --json -q >"$tmp/hand.json"
rc=$?
[ "$rc" = 1 ] && echo "ok:   compare exits 1: the kernels differ" || fail "compare exited $rc, wanted 1"
python3 - "$tmp/hand.json" <<'PY' || failures=$((failures + 1))
import json, sys
cases = {c["scenario"].rsplit("/", 1)[-1]: c for c in json.load(open(sys.argv[1]))}
want = {
    # relibc's ptrace() reaches unimplemented!() for these requests (relibc ptrace.rs:213).
    "detach.ptmc": ("unmappable", "PTRACE_DETACH"),
    "kill-request.ptmc": ("unmappable", "PTRACE_KILL"),
    # No orig_rax on Redox; relibc ignores ptrace()'s data argument.
    "emulate-orig-rax.ptmc": ("unmappable", "orig_rax"),
    "inject-blocked.ptmc": ("unmappable", "injected"),
    "step-into-handler.ptmc": ("unmappable", "injected"),
    # PTRACE_SYSCALL twice: PRE then PRE|POST, the same stops as Linux.
    "syscall-stops.ptmc": ("agree", ""),
    # IRETQ makes a step armed before a syscall land one instruction later (kernel syscall.rs).
    "step-over-syscall.ptmc": ("differ", "step: at"),
    # IGNORE is decided per stop by the next word: SYSCALL after a SYSEMU stop runs the syscall.
    "syscall-after-sysemu.ptmc": ("differ", "syscall-exit: rax"),
    # relibc never arms SIGNAL, so a Linux tracer cannot see or suppress a signal on Redox.
    "signal-suppress.ptmc": ("differ", "Linux signal / Redox killed"),
    # int3 without BREAKPOINT armed: ksignal exits the tracee, no stop (exception.rs breakpoint).
    "int3.ptmc": ("differ", "Linux breakpoint / Redox killed"),
}
bad = 0
for name, (outcome, text) in want.items():
    c = cases.get(name)
    got = (c["outcome"], c.get("signature", "") + c["reason"]) if c else ("missing", "")
    if got[0] == outcome and text in got[1]:
        print(f"ok:   {name}: {outcome} {text}")
    else:
        print(f"FAIL: {name}: wanted {outcome} ({text}), got {got}")
        bad += 1
sys.exit(1 if bad else 0)
PY

"$PTMC" compare --profiles linux-x86_64,redox-2020 --scenarios "$SCENARIOS" -q >"$tmp/hand.txt"
grep -q "not compared: .* of another architecture" "$tmp/hand.txt" && ! grep -q aarch64 "$tmp/hand.json" \
  && echo "ok:   scenarios of another architecture are named as not compared, not run" \
  || fail "arm64 scenarios were compared or not mentioned"
"$PTMC" compare --profiles linux-aarch64,redox-2020 --length 1 --depth 1 >/dev/null 2>&1
[ $? = 2 ] && echo "ok:   an arm64 Linux profile is bad input" || fail "linux-aarch64 not refused"

"$PTMC" compare --length 1 --depth 1 --report "$tmp/report.md" --examples 0 -q >"$tmp/enum.txt"
rc=$?
[ "$rc" = 1 ] || fail "enumeration compare exited $rc"
grep -q "refused 0$" "$tmp/enum.txt" && echo "ok:   no enumerated scenario is refused by either model" || { fail "refused scenarios"; cat "$tmp/enum.txt"; }
grep -q "^## Not mappable through relibc" "$tmp/report.md" && grep -q "^## The differing scenarios" "$tmp/report.md" \
  && echo "ok:   the report has its sections" || fail "report sections"

"$PTMC" compare --profiles redox-2020,linux-x86_64 --length 1 --depth 1 >/dev/null 2>&1
[ $? = 2 ] && echo "ok:   profiles in the wrong order are bad input" || fail "wrong order not refused"
"$PTMC" compare --profiles linux-x86_64,redox-2019 --length 1 --depth 1 >/dev/null 2>&1
[ $? = 2 ] && echo "ok:   redox-2019 has no relibc mapping: bad input" || fail "redox-2019 not refused"

echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ "$failures" -eq 0 ]
