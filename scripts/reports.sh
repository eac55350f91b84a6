#!/usr/bin/env bash
# Regenerates reports/ from the built tool (./build/ptmc).
#   scripts/reports.sh            every step below, in this order (needs root for the host kernel
#                                 and the QEMU kernels of scripts/setup.sh; about an hour on a
#                                 loaded machine)
#   scripts/reports.sh STEP...    only those steps:
#     check        ptmc check of every interface-level profile at its default bound:
#                  reports/check-P.txt and reports/data/check-P.json
#     mutate       the mutation table of linux-x86_64 against the host kernel
#     diff-host    linux-x86_64 against the host kernel (per-rule confirmations)
#     diff-qemu    linux-x86_64 against Debian's amd64 kernel and linux-aarch64 against Debian's
#                  arm64 kernel, under QEMU
#     runs         kernel traces of the hand-written scenarios and of the report's counterexamples,
#                  on every kernel target of their architecture (drawn beside the model's)
#     prove        ptmc prove (Z3) of linux-x86_64 and its deltas (seeded bugs, variants):
#                  reports/data/prove-P.json
#     redox        scripts/redox-reports.sh and scripts/redox-suspected-bugs.sh: the Redox
#                  profiles' reports
#     html         rewrite reports/html (and the generated documents) from the data recorded
# Volatile facts (times, memory, kernel versions, results on real kernels) live in
# reports/data/*.json, each recording the command that produced it, when, and on which kernel;
# reports/html is computed from the source and those files, so CI can check it is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
ptmc=${PTMC:-./build/ptmc}
data=reports/data
mkdir -p "$data"

# "NAME ARCH" for every profile at the interface level (the concurrent Redox profiles have a
# checker of their own, which the redox step runs, and no page of the report reads its data).
profiles() {
  "$ptmc" profiles --json | python3 -c 'import json,sys
for p in json.load(sys.stdin):
    if p.get("level", "interface") == "interface": print(p["name"], p.get("arch", "x86_64"))'
}
# The scenario files among the arguments whose profile has the given architecture.
of_arch() {
  local arch=$1 f p known
  shift
  # Once, and not piped into grep -q: under pipefail a grep that stops reading early fails the
  # pipeline, which dropped files at random.
  known=$(profiles)
  for f in "$@"; do
    p=$(awk '$1 == "profile" { print $2; exit }' "$f")
    if grep -qx "$p $arch" <<<"$known"; then echo "$f"; fi
  done
}

step_check() {
  local p arch
  while read -r p arch; do
    # A seeded bug exits 1 by design.
    nice "$ptmc" check --profile "$p" -q --record "$data/check-$p.json" >"reports/check-$p.txt" || true
  done < <(profiles)
}

step_mutate() {
  nice "$ptmc" mutate --profile linux-x86_64 --bound 3 --on host --scenarios scenarios -q \
    --report reports/mutation-linux-x86_64.md --record "$data/mutation-linux-x86_64.json" >/dev/null
}

step_diff_host() {
  nice "$ptmc" diff --on host --length 2 --depth 2 --scenarios scenarios --add-random 6000 --seed 2026 -q \
    --report reports/diff-host.md --record "$data/diff-host.json" >/dev/null
}

step_diff_qemu() {
  nice "$ptmc" diff --on qemu-x86_64 --length 2 --depth 2 --scenarios scenarios --add-random 2000 --seed 2026 -q \
    --report reports/diff-qemu-x86_64.md --record "$data/diff-qemu-x86_64.json" >/dev/null
  nice "$ptmc" diff --on qemu-aarch64 --profile linux-aarch64 --length 2 --depth 2 --scenarios scenarios \
    --add-random 1000 --seed 2026 --batch 6000 -q \
    --report reports/diff-qemu-aarch64.md --record "$data/diff-qemu-aarch64.json" >/dev/null
}

step_runs() {
  local tmp target arch
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  nice "$ptmc" report --out "$tmp/report" --data "$data" --scenarios scenarios -q >/dev/null
  for target in host:x86_64 qemu-x86_64:x86_64 qemu-aarch64:aarch64; do
    arch=${target#*:}
    target=${target%%:*}
    mapfile -t files < <(of_arch "$arch" scenarios/*.ptmc "$tmp"/report/counterexamples/*.ptmc)
    [ "${#files[@]}" -gt 0 ] || continue
    # A differing expect is not an error here: the report shows it.
    nice "$ptmc" run "${files[@]}" --on "$target" --record "$data/runs-$target.json" >/dev/null || true
  done
}

step_prove() {
  local p
  # linux-x86_64 and every profile that is a delta on it (seeded bugs, design variants): the
  # profiles `ptmc prove` decides; the RFC answers' "proved" column reads the variants' records.
  # The protocol properties' unsat cores (--explain) take minutes each; linux-x86_64's are shown.
  local explain=--explain
  for p in linux-x86_64 $("$ptmc" profiles | awk '/\[delta on linux-x86_64\]/ {print $1}'); do
    # A refuted fact exits 1: the seeded bugs are refuted by design.
    nice "$ptmc" prove --profile "$p" $explain --timeout 900 --record "$data/prove-$p.json" >/dev/null || true
    explain=
  done
}

step_redox() {
  scripts/redox-reports.sh "$ptmc" >/dev/null
  scripts/redox-suspected-bugs.sh "$ptmc" >/dev/null # the concurrent Redox model on B8-B12
}

step_html() {
  nice "$ptmc" report --out reports/html --data "$data" --scenarios scenarios --documents reports -q
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(check mutate diff-host diff-qemu runs prove redox html)
for s in "${steps[@]}"; do
  case "$s" in
  check | mutate | diff-host | diff-qemu | runs | prove | redox | html) "step_${s//-/_}" ;;
  --html) step_html ;; # the old spelling
  *)
    echo "scripts/reports.sh: unknown step '$s'" >&2
    exit 2
    ;;
  esac
done
