#!/usr/bin/env python3
"""Results of `ptmc check` must not depend on how the engine runs: every thread count, and
--exact (whole states) against 64-bit fingerprints, give the same state and transition counts,
verdicts and counterexamples (issue 12). The first run is the reference.
Usage: same_results.py PTMC PROFILE BOUND RUN_OPTIONS...   e.g. "--threads=1" "--threads=2"
"""
import json
import subprocess
import sys

ptmc, profile, bound, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
VOLATILE = {"seconds", "engine_bytes", "rss_peak_bytes", "rss_start_bytes", "disk_bytes",
            "found_seconds", "threads", "exact", "collision_probability"}


def stable(o):
    if isinstance(o, dict):
        return {k: stable(v) for k, v in o.items() if k not in VOLATILE}
    if isinstance(o, list):
        return [stable(v) for v in o]
    return o


results = []
for opts in runs:
    args = [ptmc, "check", "--profile", profile, "--bound", bound, "--json", "-q"] + opts.split()
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if p.returncode not in (0, 1):
        print(f"FAIL: {' '.join(args)} exited {p.returncode}: {p.stderr}")
        sys.exit(1)
    j = json.loads(p.stdout)
    verdicts = {q["property"]: q["verdict"] for q in j["properties"]}
    print(f"{opts}: exit {p.returncode}, {j['states']} states, {j['transitions']} transitions, "
          f"{sum('counterexample' in q for q in j['properties'])} counterexamples, {verdicts}")
    results.append((opts, p.returncode, stable(j)))
ref_opts, ref_code, ref = results[0]
for opts, code, j in results[1:]:
    if code != ref_code or j != ref:
        print(f"FAIL: '{opts}' differs from '{ref_opts}':")
        print(json.dumps(ref, indent=1))
        print(json.dumps(j, indent=1))
        sys.exit(1)
print("ok: identical results")
