#!/usr/bin/env bash
# Regenerates the data files under reports/data/rfc/ that the RFC answers read (report/rfc/README.md).
#
#   scripts/rfc-data.sh q4    the register-access benchmark (RFC question 4): the host kernel,
#                             and Debian's kernel under QEMU as a cross-check. Run it on a quiet
#                             machine: the figures record the load they were measured under.
#   scripts/rfc-data.sh q5    the attach-permission model (question 5): every variant's verdicts,
#                             the cases side by side, the cases run in Debian's kernel, and one
#                             mutant per rule (caught by a property, or by the kernel's outcomes).
#   scripts/rfc-data.sh linux the scenarios of questions 1 to 3 (report/rfc/answers.cpp
#                             question_plans) on the host kernel and on Debian's kernel under
#                             QEMU: their traces, which the answers compare with the model.
#   scripts/rfc-data.sh       all three.
#
# Builds what it runs in build/ (BUILD_DIR to change), like scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
data=reports/data/rfc
mkdir -p "$data"
what=${1:-all}
case "$what" in q4 | q5 | linux | all) ;; *)
  echo "usage: scripts/rfc-data.sh [q4|q5|linux|all]" >&2
  exit 2
  ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j2 --target ptmc ptmc-sec-helper ptmc-regs-bench ptmc-qemu-init

if [ "$what" = q4 ] || [ "$what" = all ]; then
  echo "rfc-data: q4: load before: $(uptime)"
  "$build/ptmc-regs-bench" --qemu --json "$data/q4-register-access.json"
fi
if [ "$what" = q5 ] || [ "$what" = all ]; then
  "$build/ptmc" security check --bound 5 -q --json "$data/q5-security-check.json"
  "$build/ptmc" security compare --json "$data/q5-security-compare.json" >/dev/null
  "$build/ptmc" security diff --on qemu-x86_64 --json "$data/q5-security-qemu.json"
  "$build/ptmc" security mutate --variant linux --kernel-run "$data/q5-security-qemu.json" \
    --json "$data/q5-security-mutants-linux.json"
  "$build/ptmc" security mutate --variant redox-2019 --json "$data/q5-security-mutants-redox.json"
fi
if [ "$what" = linux ] || [ "$what" = all ]; then
  # The scenarios the answers to questions 1 to 3 show (report/rfc/answers.cpp question_plans).
  scenarios=(scenarios/rfc-q1-write-at-signal-stop.ptmc scenarios/rfc-q1-write-in-handler.ptmc
    scenarios/rfc-q1-write-at-sigreturn.ptmc scenarios/step-over-syscall.ptmc
    scenarios/sysemu-singlestep.ptmc scenarios/rfc-q3-sysemu-then-singlestep.ptmc)
  "$build/ptmc" rfc record --on host --json "$data/linux-runs-host.json" "${scenarios[@]}"
  "$build/ptmc" rfc record --on qemu-x86_64 --json "$data/linux-runs-qemu-x86_64.json" "${scenarios[@]}"
fi
