#!/usr/bin/env python3
"""Issue 10's speed targets: each proof's time as `ptmc prove --json` reports it (the prover's
own clock, in its child process), the median of --repeat runs, and its ratio to the target.

A proof's kind sets its target: register facts under 1 s, k-induction proofs under 60 s. To
bench more proofs, add a row to BENCHES: a name and the `ptmc prove` arguments (the profile, and
any options that select the proofs); every result of that run is one line, its kind (and so its
target) read from the result: a protocol property's proof is by induction.
The machine's load (/proc/loadavg) is printed with the figures: on a shared machine they are not
final.
Usage: prove.py PTMC [--repeat R] [--profile P]
"""
import argparse
import json
import statistics
import subprocess
import sys

TARGET_SECONDS = {"register fact": 1.0, "k-induction": 60.0}

ap = argparse.ArgumentParser()
ap.add_argument("ptmc")
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--profile", default="linux-x86_64")
args = ap.parse_args()

# (what, ptmc prove arguments): every fact and protocol property of the profile
BENCHES = [
    ("all proofs", ["--profile", args.profile]),
]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(prove_args):
    p = subprocess.run([args.ptmc, "prove", *prove_args, "--json", "--timeout", "600"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"ptmc prove {' '.join(prove_args)}: exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)["results"]


print(f"ptmc prove: median of {args.repeat} runs (load {loadavg()})")
print(f"{'proof':<28} {'kind':<14} {'verdict':<8} {'seconds':>8} {'target':>7} {'ratio':>6}")
missed = 0
for what, prove_args in BENCHES:
    runs = [run(prove_args) for _ in range(args.repeat)]
    for i, first in enumerate(runs[0]):
        kind = "k-induction" if first.get("kind") == "protocol" else "register fact"
        seconds = statistics.median(r[i]["seconds"] for r in runs)
        target = TARGET_SECONDS[kind]
        ratio = seconds / target
        missed += ratio > 1
        print(f"{first['property']:<28} {kind:<14} {first['verdict']:<8} {seconds:>8.3f} "
              f"{target:>6.0f}s {ratio:>6.2f}")
print(f"load at the end {loadavg()}; {missed} proof(s) over their target")
