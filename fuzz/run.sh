#!/usr/bin/env bash
# Runs one libFuzzer target for a fixed number of executions, from the seed corpus that
# fuzz/seeds.py makes out of scenarios/ and reports/ plus the saved crash inputs of
# fuzz/regressions/NAME (each must pass first), and prints libFuzzer's final figures.
#
#   fuzz/run.sh FUZZ_BINARY NAME RUNS [WORKDIR]
#
# NAME is scenario, trace_line or agent_stream. Exit 0: no crash. Otherwise libFuzzer's exit
# code, and the crashing input is left in WORKDIR (default: a temporary directory) as crash-*:
# add it to fuzz/regressions/NAME and to the GoogleTest cases in tests/fuzz.
set -euo pipefail
bin=${1:?usage: run.sh FUZZ_BINARY NAME RUNS [WORKDIR]}
name=${2:?}
runs=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
work=${4:-}
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/ptmc-fuzz-$name.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/corpus"
work=$(cd "$work" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
python3 "$here/seeds.py" "$work/seeds" >/dev/null

regressions="$here/regressions/$name"
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
  "$bin" -runs=0 "$regressions"/* >"$work/regressions.log" 2>&1 || {
    cat "$work/regressions.log"
    echo "run.sh: a saved crash input of $name fails again" >&2
    exit 1
  }
fi

# -seed: the same executions every time, so a ctest run is reproducible. -rss_limit_mb and
# -timeout turn a memory blow-up or a hang in the parser into a reported crash.
cd "$work"
status=0
"$bin" -runs="$runs" -seed="${PTMC_FUZZ_SEED:-1}" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" \
  "$work/corpus" "$work/seeds/$name" >"$work/fuzz.log" 2>&1 || status=$?
grep -E '^(#[0-9]+ +DONE|Done [0-9]+ runs|stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb))' \
  "$work/fuzz.log" || true
if [ "$status" -ne 0 ]; then
  tail -40 "$work/fuzz.log"
  echo "run.sh: $name crashed (exit $status); input saved in $work:" >&2
  ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null >&2 || true
  trap - EXIT
fi
exit "$status"
