#!/usr/bin/env python3
"""ptmc-mpi on 2 ranks reaches what ptmc check reaches in one process.

Usage: same_as_one_process.py PTMC PTMC_MPI MPIRUN PROFILE:BOUND...
Each PROFILE:BOUND is checked both ways (ctest: linux-x86_64, bug-signal-frame with an unexpected
violation, linux-aarch64 whose no-deadlock is violated). Compares, from both JSON outputs: the
main exploration's states, transitions and depth, and per property its verdict, the states of
the exploration that decided it and the counterexample's length (both explorers find a shortest
one; which of several shortest ones may differ).
"""
import json
import subprocess
import sys

ptmc, ptmc_mpi, mpirun = sys.argv[1:4]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr}")
    return json.loads(p.stdout)


def by_name(j):
    return {p["property"]: p for p in j["properties"]}


def compare(profile, bound):
    one = run([ptmc, "check", "--profile", profile, "--bound", bound, "--threads", "1", "--json",
               "-q"])
    many = run([mpirun, "-np", "2", "--allow-run-as-root", "--mca", "btl", "self,vader", "--mca",
                "oob_tcp_if_include", "lo", ptmc_mpi, "--profile", profile, "--bound", bound,
                "--json"])
    if many.get("ranks") != 2:
        sys.exit(f"ptmc-mpi ran on {many.get('ranks')} ranks, not 2")

    failures = []
    for key in ("states", "transitions", "depth"):
        if one[key] != many[key]:
            failures.append(f"{key}: one process {one[key]}, 2 ranks {many[key]}")

    a, b = by_name(one), by_name(many)
    if sorted(a) != sorted(b):
        failures.append(f"properties: one process {sorted(a)}, 2 ranks {sorted(b)}")
    for name in sorted(set(a) & set(b)):
        for key in ("verdict", "states", "counterexample_length"):
            if a[name].get(key) != b[name].get(key):
                failures.append(f"{name} {key}: one process {a[name].get(key)}, "
                                f"2 ranks {b[name].get(key)}")
        if ("counterexample" in a[name]) != ("counterexample" in b[name]):
            failures.append(f"{name}: a counterexample on one side only")

    print(f"{profile} bound {bound}: one process {one['states']} states, {one['transitions']} "
          f"transitions; 2 ranks {many['states']} states, {many['transitions']} transitions")
    for name in sorted(a):
        print(f"  {name}: {a[name]['verdict']} / {b.get(name, {}).get('verdict')}, counterexample "
              f"length {a[name].get('counterexample_length')} / "
              f"{b.get(name, {}).get('counterexample_length')}")
    return failures


failed = False
for case in sys.argv[4:]:
    profile, bound = case.split(":")
    failures = compare(profile, bound)
    if failures:
        print("DIFFERENT:\n  " + "\n  ".join(failures))
        failed = True
if failed:
    sys.exit(1)
print("same counts and verdicts")
