#!/usr/bin/env bash
# `ptmc security`'s exit codes (cli/main.cpp): 0 ok, 1 an unexpected violation or a
# disagreement, 2 bad input, 3 a limit stopped the run.
set -u
PTMC=${1:?usage: cli.sh PTMC}
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
has() { # has TEXT FILE DESCRIPTION
  if grep -qF -- "$1" "$tmp/$2"; then echo "ok:   $3"; else
    echo "FAIL: $3: $2 lacks '$1'"; head -5 "$tmp/$2" | sed 's/^/    /'; failures=$((failures + 1)); fi
}

expect 2 "no sub-command" -- "$PTMC" security
expect 0 "--help" -- "$PTMC" security --help
for c in variants check predict compare diff; do expect 0 "$c --help" -- "$PTMC" security $c --help; done
expect 0 "variants" -- "$PTMC" security variants
has "redox-proposed" out "variants lists redox-proposed"
expect 0 "every variant at bound 4, seeded bugs caught" -- "$PTMC" security check --bound 4 -q
expect 0 "a seeded bug is caught" -- \
  "$PTMC" security check --bound 4 -q --variant linux-bug-exec-keeps-setuid
has "traced-setuid-exec       expected-violation" out "the seeded bug breaks traced-setuid-exec"
expect 1 "a mutant that skips exec's downgrade is an unexpected violation" -- \
  "$PTMC" security check --bound 4 -q --variant linux --mutant sec-linux-exec-ptrace-downgrade
has "traced-setuid-exec       violated" out "the mutant breaks traced-setuid-exec"
expect 2 "unknown rule" -- "$PTMC" security check --variant linux --mutant nosuch
expect 3 "--max-states stops the run" -- "$PTMC" security check --variant linux --max-states 50 -q
expect 2 "unknown variant" -- "$PTMC" security check --variant nosuch
has "unknown variant 'nosuch'" err "the unknown variant is named"
expect 2 "bound out of range" -- "$PTMC" security check --bound 0
expect 2 "unknown case" -- "$PTMC" security predict --case nosuch
expect 2 "the host is refused" -- "$PTMC" security diff --on host
has "only on qemu-x86_64" err "the refusal says why"
expect 2 "unknown sub-command" -- "$PTMC" security frobnicate
expect 0 "predict one case" -- "$PTMC" security predict --case traced-setuid-exec-seize
has "uids=1000,1000,1000 traced" out "the model predicts the downgraded exec"

echo "$failures failure(s)"
[ "$failures" = 0 ]
