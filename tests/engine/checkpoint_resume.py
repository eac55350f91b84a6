#!/usr/bin/env python3
"""Checkpoint and resume of `ptmc check` (issue 12).

1. An uninterrupted run gives the reference results.
2. The same run with --checkpoint is sent SIGINT once its main exploration has passed 35% of the
   reference's states (read from its --progress line); it must stop with exit 3 and a checkpoint.
3. The resumed run reports how many states the checkpoint held (resumed_states, read back from
   the file), which must lie between 25% and 75% of the total, and must reach exactly the
   reference's counts, verdicts and counterexamples.
4. A checkpoint of another bound, thread count or profile, and a file that is no checkpoint, are
   refused with exit 2 and a message naming the difference.
Usage: checkpoint_resume.py PTMC PROFILE BOUND THREADS
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ptmc, profile, bound, threads = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
base = [ptmc, "check", "--profile", profile, "--bound", bound, "--threads", threads]
TIMEOUT = 600
# Figures that depend on time, memory or the session, not on what was explored.
VOLATILE = {"seconds", "engine_bytes", "rss_peak_bytes", "rss_start_bytes", "disk_bytes",
            "found_seconds", "resumed_states"}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def stable(o):
    if isinstance(o, dict):
        return {k: stable(v) for k, v in o.items() if k not in VOLATILE}
    if isinstance(o, list):
        return [stable(v) for v in o]
    return o


def run_json(args):
    p = subprocess.run(args + ["--json", "-q"], capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode not in (0, 1):
        fail(f"{' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.returncode, json.loads(p.stdout)


ref_code, ref = run_json(base)
total = ref["states"]
print(f"reference: {total} states, {ref['transitions']} transitions, exit {ref_code}")

with tempfile.TemporaryDirectory() as tmp:
    ck = os.path.join(tmp, "run.ckpt")
    proc = subprocess.Popen(base + ["--checkpoint", ck, "--progress"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + TIMEOUT
    buf, sent = "", False
    while True:
        ch = proc.stderr.read(1)
        if not ch:
            break
        buf += ch
        if ch not in "\r\n":
            continue
        line, buf = buf.strip(), ""
        # "[explore] 123,456 states, ..."
        if not sent and line.startswith("[explore] "):
            states = int(line.split()[1].replace(",", ""))
            if states >= 0.35 * total:
                proc.send_signal(signal.SIGINT)
                sent = True
        if time.monotonic() > deadline:
            proc.kill()
            fail("the interrupted run did not end in time")
    rest = proc.communicate(timeout=TIMEOUT)
    if not sent:
        fail("the run ended before it could be interrupted (exit %d)" % proc.returncode)
    if proc.returncode != 3:
        fail(f"the interrupted run exited {proc.returncode}, not 3: {buf}{rest[1]}")
    if not os.path.exists(ck):
        fail("no checkpoint written")
    if [f for f in os.listdir(tmp) if f != "run.ckpt"]:
        fail(f"files left beside the checkpoint: {os.listdir(tmp)}")

    for args, what in [(["--bound", str(int(bound) + 1)], "--bound"),
                       (["--threads", str(int(threads) % 2 + 1)], "--threads"),
                       (["--profile", "bug-no-fmask"], "profile")]:
        wrong = list(base)
        wrong[wrong.index(args[0]) + 1] = args[1]
        p = subprocess.run(wrong + ["--resume", ck, "-q"], capture_output=True, text=True,
                           timeout=TIMEOUT)
        if p.returncode != 2 or what not in p.stderr:
            fail(f"a checkpoint resumed with another {what}: exit {p.returncode}, {p.stderr}")
        print(f"refused with another {what}: {p.stderr.strip()}")
    junk = os.path.join(tmp, "junk")
    with open(junk, "w") as f:
        f.write("not a checkpoint\n")
    p = subprocess.run(base + ["--resume", junk, "-q"], capture_output=True, text=True,
                       timeout=TIMEOUT)
    if p.returncode != 2 or "not a ptmc checkpoint" not in p.stderr:
        fail(f"a file that is no checkpoint: exit {p.returncode}, {p.stderr}")

    code, resumed = run_json(base + ["--resume", ck])
    at = resumed.get("resumed_states")
    print(f"resumed from {at} of {total} states")
    if at is None or not (0.25 * total <= at <= 0.75 * total):
        fail(f"the checkpoint holds {at} states, not between 25% and 75% of {total}")
    if code != ref_code or stable(resumed) != stable(ref):
        fail("the resumed run differs from the uninterrupted one:\n" +
             json.dumps(stable(ref), indent=1) + "\n" + json.dumps(stable(resumed), indent=1))
print("ok: interrupted, refused mismatches, resumed to identical results")
