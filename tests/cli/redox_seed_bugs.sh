#!/usr/bin/env bash
# The seed's three bugs as deltas of redox-2019 (docs/redox-model.md, "The seed's bugs"): each is
# caught by `check` through the property that catches its Linux twin (tests/cli/seed_bugs.sh),
# with a shortest counterexample that replays on the model and shows the violation; the same
# counterexample replayed on the fixed profile does not; and redox-2019 and redox-2020 have no
# violation they do not expect.
set -u
PTMC=${1:?usage: redox_seed_bugs.sh PTMC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for pair in redox-2019-bug-signal-frame:register-write-persistence \
            redox-2019-bug-no-fmask:kernel-mode-tf \
            redox-2019-bug-rflags-assign:transparency; do
  profile=${pair%%:*} property=${pair#*:}
  "$PTMC" check --profile "$profile" --bound 3 -q --json >"$tmp/$profile.json"
  rc=$?
  [ "$rc" = 1 ] || fail "$profile: check exited $rc, wanted 1"
  python3 - "$tmp/$profile.json" "$property" "$tmp/$profile.cex.ptmc" <<'PY' || fail "$profile: $property not reported as violated with a counterexample"
import json, sys
report = json.load(open(sys.argv[1]))
hits = [p for p in report["properties"] if p["property"] == sys.argv[2] and p["verdict"] == "violated"]
assert hits and "counterexample" in hits[0], "no violation"
open(sys.argv[3], "w").write(hits[0]["counterexample"])
print(f"ok:   {report['profile']}: {sys.argv[2]} violated, counterexample of "
      f"{hits[0]['counterexample_length']} transitions found after {hits[0]['found_seconds']:.6f} s")
assert hits[0]["found_seconds"] < 1.0, "slower than a second"
PY
  "$PTMC" run "$tmp/$profile.cex.ptmc" --on model >"$tmp/$profile.replay" 2>&1
  grep -q "violates $property" "$tmp/$profile.replay" && echo "ok:   $profile: the counterexample replays and violates $property" \
    || { fail "$profile: the replay does not show $property"; cat "$tmp/$profile.replay"; }
  "$PTMC" run "$tmp/$profile.cex.ptmc" --on model --profile redox-2019 >"$tmp/$profile.fixed" 2>&1
  if grep -q "violates $property" "$tmp/$profile.fixed"; then
    fail "$profile: the fixed redox-2019 violates $property on the same scenario"; cat "$tmp/$profile.fixed"
  else
    echo "ok:   redox-2019 runs the same scenario without violating $property"
  fi
done

for profile in redox-2019 redox-2020; do
  "$PTMC" check --profile "$profile" --bound 3 -q >"$tmp/$profile.check"
  rc=$?
  [ "$rc" = 0 ] && echo "ok:   $profile has no unexpected violation at bound 3" \
    || { fail "$profile check exited $rc"; cat "$tmp/$profile.check"; }
done
# The historical fix B4 (3420339c, 727217ad): 2019 breaks access-keeps-stopped, 2020 does not.
grep -q "^access-keeps-stopped  *expected-violation" "$tmp/redox-2019.check" && echo "ok:   redox-2019 shows B4" || fail "redox-2019 does not show B4"
grep -q "^access-keeps-stopped  *holds" "$tmp/redox-2020.check" && echo "ok:   redox-2020 has B4 fixed" || fail "redox-2020 violates access-keeps-stopped"

echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ "$failures" -eq 0 ]
