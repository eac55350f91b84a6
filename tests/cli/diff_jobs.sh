#!/usr/bin/env bash
# Host agents side by side (ptmc diff --jobs 2) give the same per-scenario results as one agent:
# the same agreements, disagreements, failures and confirmed rules, in the same order.
set -euo pipefail
PTMC=${1:?usage: diff_jobs.sh PTMC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for j in 1 2; do
  "$PTMC" diff --on host --random 3000 --seed 12 --batch 1000 --jobs $j --json -q >"$tmp/$j.json" || true
done
python3 - "$tmp/1.json" "$tmp/2.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
keys = ["scenarios", "compared", "agree", "disagree", "kernel_failed", "model_refused",
        "unconfirmed_rules", "errors"]
print({k: a[k] for k in keys if k != "unconfirmed_rules"}, f"{a['seconds']:.1f} s vs {b['seconds']:.1f} s")
if a["scenarios"] != 3000 or a["compared"] == 0:
    sys.exit("FAIL: the single-agent run did not compare the scenarios")
diff = [k for k in keys if a[k] != b[k]]
if diff:
    sys.exit(f"FAIL: --jobs 2 differs from --jobs 1 in {diff}: {[(a[k], b[k]) for k in diff]}")
print("ok: --jobs 2 agrees with --jobs 1")
PY
