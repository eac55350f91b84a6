#!/usr/bin/env bash
# Two QEMU VMs side by side (ptmc diff --on qemu-x86_64 --jobs 2):
#  1. the same per-scenario results as one VM;
#  2. SIGTERM and SIGINT to ptmc while both VMs run end both VMs and ptmc at once.
set -euo pipefail
PTMC=${1:?usage: diff_qemu_jobs.sh PTMC}
tmp=$(mktemp -d)
vms=()
cleanup() {
  for p in "${vms[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

for j in 1 2; do
  "$PTMC" diff --on qemu-x86_64 --random 256 --seed 5 --batch 64 --jobs $j --json -q \
    >"$tmp/$j.json" || true
done
python3 - "$tmp/1.json" "$tmp/2.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
keys = ["scenarios", "compared", "agree", "disagree", "kernel_failed", "model_refused",
        "unconfirmed_rules", "errors"]
print({k: a[k] for k in keys if k != "unconfirmed_rules"},
      f"{a['seconds']:.1f} s with 1 VM, {b['seconds']:.1f} s with 2")
if a["scenarios"] != 256 or a["compared"] == 0:
    sys.exit("FAIL: the one-VM run did not compare the scenarios")
diff = [k for k in keys if a[k] != b[k]]
if diff:
    sys.exit(f"FAIL: --jobs 2 differs from --jobs 1 in {diff}: {[(a[k], b[k]) for k in diff]}")
print("ok: two VMs agree with one")
PY

for sig in TERM INT; do
  "$PTMC" diff --on qemu-x86_64 --random 2000 --seed 6 --batch 1000 --jobs 2 -q \
    >/dev/null 2>&1 &
  ptmc=$!
  vms=()
  for _ in $(seq 1 300); do
    mapfile -t vms < <(pgrep -P "$ptmc" -f qemu-system || true)
    [ "${#vms[@]}" -ge 2 ] && break
    sleep 0.1
  done
  if [ "${#vms[@]}" -lt 2 ]; then
    kill -9 "$ptmc" 2>/dev/null || true
    echo "FAIL: ptmc diff --jobs 2 did not start two VMs within 30 s (${#vms[@]})"
    exit 1
  fi
  kill -s "$sig" "$ptmc"
  status=0
  wait "$ptmc" || status=$?
  # A killed VM may stay a zombie until init reaps it: only one still running counts.
  for _ in $(seq 1 50); do
    left=()
    for p in "${vms[@]}"; do
      state=$(ps -o stat= -p "$p" 2>/dev/null || true)
      [ -n "$state" ] && [[ $state != Z* ]] && left+=("$p")
    done
    [ "${#left[@]}" -eq 0 ] && break
    sleep 0.1
  done
  if [ "${#left[@]}" -gt 0 ]; then
    echo "FAIL: SIG$sig to ptmc left VMs running: ${left[*]}"
    exit 1
  fi
  echo "ok: SIG$sig ended ptmc (status $status) and both VMs (${vms[*]}) within 5 s"
done
