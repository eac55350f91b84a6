#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from the repository's own inputs.

  fuzz/seeds.py OUTDIR    ->  OUTDIR/scenario, OUTDIR/trace_line, OUTDIR/agent_stream

scenario:     every scenarios/*.ptmc, and every counterexample printed in reports/check-*.txt
trace_line:   every line of their expect: blocks
agent_stream: those expect blocks as the agent would print them (kernel/agent_protocol.hpp),
              plainly and as a serial console shows them (\\r\\n, kernel log lines in between),
              one scenario per stream and all of them in one. The first byte is the batch size
              that fuzz/roundtrip.cpp reads.
"""
import hashlib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
KINDS = ("initial", "syscall-enter", "syscall-exit", "step", "breakpoint", "trap-notify",
         "signal", "detached", "exited", "killed", "hang")


def scenarios():
    for path in sorted((ROOT / "scenarios").glob("*.ptmc")):
        yield path.read_text()
    # Counterexamples in check reports: from a `ptmc-scenario` line to the next report line.
    for path in sorted((ROOT / "reports").glob("check-*.txt")):
        block = None
        for line in path.read_text().splitlines():
            if line.startswith("ptmc-scenario"):
                block = [line]
            elif block is not None and re.match(r"(expected violation|VIOLATED) ", line):
                yield "\n".join(block) + "\n"
                block = None
            elif block is not None:
                block.append(line)
        if block:
            yield "\n".join(block) + "\n"


def expect_lines(text):
    lines, inside = [], False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith(":"):
            inside = line == "expect:"
            continue
        if inside and line.split()[0] in KINDS:
            lines.append(line)
    return lines


def stream(traces, console=False):
    out = ["ptmc-agent 1 kernel=6.1.0-test arch=x86_64"]
    for k, trace in enumerate(traces):
        out += [f"begin {k}", *trace, f"end {k} ok"]
    out.append(f"done {len(traces)}")
    if not console:
        return "\n".join(out) + "\n"
    noisy = ["[    0.81] Run /init as init process", "ptmc-qemu-init 1"]
    for i, line in enumerate(out):
        noisy.append(line)
        if i % 3 == 2:
            noisy.append("[   12.000001] random: crng init done")
    noisy += ["ptmc-qemu-init exit=0", "[   13.1] reboot: Power down"]
    return "\r\n".join(noisy) + "\r\n"


def write(directory, data):
    directory.mkdir(parents=True, exist_ok=True)
    data = data.encode() if isinstance(data, str) else data
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main():
    out = pathlib.Path(sys.argv[1])
    traces = []
    for text in scenarios():
        write(out / "scenario", text)
        lines = expect_lines(text)
        for line in lines:
            write(out / "trace_line", line)
        if lines:
            traces.append(lines)
    for trace in traces:
        for console in (False, True):
            write(out / "agent_stream", bytes([1]) + stream([trace], console).encode())
    for console in (False, True):
        write(out / "agent_stream", bytes([len(traces) % 8]) + stream(traces, console).encode())
    # A batch of all the scenarios, as the agent reads it.
    write(out / "scenario", "".join(scenarios()))
    for name in ("scenario", "trace_line", "agent_stream"):
        print(f"{name}: {len(list((out / name).iterdir()))} seeds")


if __name__ == "__main__":
    main()
