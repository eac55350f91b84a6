#!/usr/bin/env python3
"""The figures of issue 12 in one run, each the median of --repeat runs, printed as ratios.

  ptmc vs SPIN on the twin (bench/spin/ptrace.pml and the profile spin-twin), same bound:
    states/s: ptmc explore --no-monitors (1 thread, and every core) against pan
    bytes per state = (peak RSS - RSS at start) / states: ptmc explore (the invariant monitors,
    no edges) against pan -DMONITORS, and against pan -DMONITORS -DHC4 (hash compaction);
    the full check (ptmc check, no-deadlock included) separately
  ptmc explore of linux-x86_64: 2 threads against 1
  ptmc diff: host scenarios/s, and with --qemu qemu-x86_64 scenarios/s, boot included

pan is built with -O2 -DSAFETY -DNOREDUCE, as the issue asks. pan's "RSS at start" is the peak
RSS of the same binary stopped at depth 1 (-m1), so both sides count only what the search adds.
The machine's load (uptime) is printed with the figures: on a shared machine they are not final.
Usage: perf.py PTMC [--bound N] [--linux-bound N] [--repeat R] [--qemu] [--scenarios N]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PML = os.path.join(HERE, "spin", "ptrace.pml")

ap = argparse.ArgumentParser()
ap.add_argument("ptmc")
ap.add_argument("--bound", type=int, default=5, help="the twin's bound (runs should take >= 10 s)")
ap.add_argument("--linux-bound", type=int, default=5, help="linux-x86_64's bound, threads ratio")
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--qemu", action="store_true", help="also the qemu-x86_64 diff rate (boots a VM)")
ap.add_argument("--scenarios", type=int, default=20000, help="random scenarios for the host diff rate")
ap.add_argument("--qemu-scenarios", type=int, default=5000, help="random scenarios under QEMU")
args = ap.parse_args()


def uptime():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def peak_rss_of(cmd, cwd=None):
    """Runs cmd alone and returns (stdout, wall seconds, peak RSS bytes) via wait4."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    if p.returncode not in (0, 1):
        sys.exit(f"perf.py: {' '.join(cmd)} exited {p.returncode}")
    return out.decode(), wall, usage.ru_maxrss * 1024


def build_pan(work, name, defines):
    d = os.path.join(work, name)
    os.makedirs(d)
    subprocess.run(["spin", "-o2", "-a", f"-DBOUND={args.bound}"] + defines + [PML], cwd=d,
                   check=True, capture_output=True)
    subprocess.run(["gcc", "-O2", "-w", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"] +
                   (["-DHC4"] if name.endswith("hc4") else []), cwd=d, check=True)
    return d


def pan(d):
    # -w26: a hash table big enough that pan does not slow down on chains at these bounds.
    out, wall, rss = peak_rss_of(["./pan", "-m100000000", "-w26"], cwd=d)
    states = int(re.search(r"(\d+) states, stored", out).group(1))
    secs = float(re.search(r"pan: elapsed time ([\d.e+-]+) seconds", out).group(1))
    _, _, rss0 = peak_rss_of(["./pan", "-m1", "-w26"], cwd=d)
    return {"states": states, "seconds": max(secs, 1e-3), "bytes": rss - rss0}


def ptmc(cmd):
    out, wall, _ = peak_rss_of([args.ptmc] + cmd + ["--json", "-q"])
    j = json.loads(out)
    secs = j["seconds"]
    return {"states": j["states"], "seconds": max(secs, 1e-3),
            "bytes": j["rss_peak_bytes"] - j["rss_start_bytes"], "json": j}


def median_of(f):
    runs = [f() for _ in range(args.repeat)]
    rate = statistics.median(r["states"] / r["seconds"] for r in runs)
    per_state = statistics.median(r["bytes"] / r["states"] for r in runs)
    return runs[0]["states"], rate, per_state, statistics.median(r["seconds"] for r in runs)


def line(what, value, unit, note=""):
    print(f"  {what:<58} {value:>14,.2f} {unit:<10} {note}")


print(f"issue 12 benchmark; load average at start {uptime()}; {os.cpu_count()} cores; "
      f"median of {args.repeat} runs")
with tempfile.TemporaryDirectory() as work:
    plain = build_pan(work, "plain", [])
    mon = build_pan(work, "monitors", ["-DMONITORS"])
    mon_hc = build_pan(work, "monitors-hc4", ["-DMONITORS"])

    b = str(args.bound)
    n_pan, r_pan, _, t_pan = median_of(lambda: pan(plain))
    n_p1, r_p1, _, t_p1 = median_of(
        lambda: ptmc(["explore", "-p", "spin-twin", "-b", b, "--no-monitors", "--threads", "1"]))
    n_pn, r_pn, _, _ = median_of(
        lambda: ptmc(["explore", "-p", "spin-twin", "-b", b, "--no-monitors"]))
    if n_pan != n_p1 or n_pan != n_pn:
        sys.exit(f"perf.py: the twin's counts differ: SPIN {n_pan}, ptmc {n_p1}/{n_pn}")
    print(f"\nSPIN twin, bound {b}: {n_pan:,} states (equal in both); pan {t_pan:.1f} s, "
          f"ptmc 1 thread {t_p1:.1f} s")
    line("pan states/s", r_pan, "states/s")
    line("ptmc states/s, 1 thread", r_p1, "states/s")
    line("ptmc states/s, every core", r_pn, "states/s")
    line("ratio ptmc/SPIN states/s, 1 thread", r_p1 / r_pan, "x")
    line("ratio ptmc/SPIN states/s, every core (target >= 2)", r_pn / r_pan, "x",
         "meets" if r_pn / r_pan >= 2 else "misses")

    n_m, _, bps_pan, _ = median_of(lambda: pan(mon))
    _, _, bps_hc, _ = median_of(lambda: pan(mon_hc))
    n_e, _, bps_e, _ = median_of(lambda: ptmc(["explore", "-p", "spin-twin", "-b", b]))
    n_c, _, bps_c, _ = median_of(lambda: ptmc(["check", "-p", "spin-twin", "-b", b]))
    if n_m != n_e:
        sys.exit(f"perf.py: the monitored counts differ: SPIN {n_m}, ptmc {n_e}")
    print(f"\nmemory, bound {b}, with the invariant monitors: {n_m:,} states; "
          "bytes per state = (peak RSS - RSS at start) / states")
    line("pan -DMONITORS", bps_pan, "B/state")
    line("pan -DMONITORS -DHC4", bps_hc, "B/state")
    line("ptmc explore (invariants, no edges) (target <= 20)", bps_e, "B/state",
         "meets" if bps_e <= 20 else "misses")
    line("ptmc check (all properties, no-deadlock)", bps_c, "B/state")
    line("ratio ptmc/pan bytes per state", bps_e / bps_pan, "x")
    line("ratio ptmc/pan -DHC4 bytes per state", bps_e / bps_hc, "x")
    line("ratio ptmc check/pan bytes per state", bps_c / bps_pan, "x")

    lb = str(args.linux_bound)
    n_1, r_1, _, t_1 = median_of(lambda: ptmc(["explore", "-p", "linux-x86_64", "-b", lb, "--threads", "1"]))
    n_2, r_2, _, _ = median_of(lambda: ptmc(["explore", "-p", "linux-x86_64", "-b", lb, "--threads", "2"]))
    print(f"\nthreads, linux-x86_64 bound {lb}: {n_1:,} states, 1 thread {t_1:.1f} s")
    line("states/s, 1 thread", r_1, "states/s")
    line("states/s, 2 threads", r_2, "states/s")
    line("ratio 2 threads / 1 (target >= 1.7)", r_2 / r_1, "x", "meets" if r_2 / r_1 >= 1.7 else
         "misses")

    print("\nptmc diff (random scenarios, linux-x86_64; QEMU boot included)")
    runs = [("host", args.scenarios, 1, 4000), ("host", args.scenarios, 0, 4000)]
    if args.qemu:
        runs += [("qemu-x86_64", args.qemu_scenarios, 1, 250),
                 ("qemu-x86_64", args.qemu_scenarios, 2, 250)]
    rates = {}
    for target, n, jobs, goal in runs:
        def diff_run():
            # One batch per agent or VM: --jobs splits the scenarios into that many slices.
            cmd = [args.ptmc, "diff", "--on", target, "--random", str(n), "--seed", "1",
                   "--batch", str(n), "--json", "-q"] + (["--jobs", str(jobs)] if jobs else [])
            out, _, _ = peak_rss_of(cmd)
            j = json.loads(out)
            if j["compared"] == 0:
                sys.exit(f"perf.py: {' '.join(cmd)} compared no scenario")
            return {"states": j["scenarios"], "seconds": j["seconds"], "bytes": 0}
        _, rate, _, _ = median_of(diff_run)
        rates[(target, jobs)] = rate
        what = f"{jobs} agent{'s' if jobs > 1 else ''}" if target == "host" else f"{jobs} VM{'s' if jobs > 1 else ''}"
        if jobs == 0:
            what = "an agent per core"
        line(f"{target} scenarios/s, {what} (target >= {goal})", rate, "scen/s",
             "meets" if rate >= goal else "misses")
    if args.qemu:
        line("ratio qemu-x86_64 2 VMs / 1", rates[("qemu-x86_64", 2)] / rates[("qemu-x86_64", 1)], "x")
print(f"\nload average at end {uptime()}")
