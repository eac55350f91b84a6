#!/usr/bin/env bash
# Sets up a fresh machine, builds, and runs the main job: a check of the Linux x86_64 profile.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j2 --target ptmc ptmc-agent
status=0
./build/ptmc check --profile linux-x86_64 "$@" || status=$?
# Then the HTML report of every profile (graphs, verdicts, rules, recorded kernel runs).
# (Not build/report: that is the CMake build directory of report/.)
./build/ptmc report --out build/html
exit $status
