#!/usr/bin/env python3
"""Replays every protocol edge's witness scenario of a report on the model.

Usage: replay_witnesses.py PTMC REPORT_DIR

For each profile's manifest witnesses/PROFILE.json, runs its batch file
witnesses/PROFILE.ptmc (edge eN is scenario N) with one `ptmc run --on model --json` and checks
that each trace contains its edge: a stop of the edge's source class, where the scenario's action
has the edge's request, followed by a stop (or end) of the edge's target class. Then checks that
`ptmc run BATCH --only N` runs scenario N alone. Stop classes are computed here from the trace's JSON fields, not by the
report's own code, so a report that names its classes or picks its witnesses wrongly fails.
"""
import json
import pathlib
import subprocess
import sys

END_KINDS = {"exited", "killed", "hang"}


def stop_class(line):
    kind = line["kind"]
    if kind == "exited":
        return "exited"
    if kind == "killed":
        return f"killed sig={line['sig']}"
    text = f"{kind} sig={line['sig']} code={line['code']} op={line['op']}"
    # The single-step bit the tracer reads: TF in x86_64's flags, SS in arm64's pstate.
    if "flags" in line and "TF" in line["flags"].split("|"):
        text += " TF"
    if "pstate" in line and "SS" in line["pstate"].split("|"):
        text += " SS"
    return text


def requests_of(scenario_text):
    """The request word of each action line, in order, and the repeated one (or None)."""
    requests, repeat, in_actions = [], None, False
    for raw in scenario_text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith(":"):
            in_actions = line == "actions:"
            continue
        if in_actions:
            words = line.split()
            if words[0] == "repeat":
                repeat = words[1]
            else:
                requests.append(words[0])
    return requests, repeat


def transitions(trace, requests, repeat):
    """(class at stop, request taken there, class of what came next) for every stop."""
    out, action = [], 0
    stops = [i for i, l in enumerate(trace) if l["kind"] not in END_KINDS | {"detached"}]
    for i in stops:
        if action < len(requests):
            request = requests[action]
        else:
            request = repeat if repeat else "kill"
        action += 1
        j = i + 1
        if j < len(trace) and trace[j]["kind"] == "detached":
            j += 1
        if j < len(trace):
            out.append((stop_class(trace[i]), request, stop_class(trace[j])))
    return out


def batch_scenarios(text):
    """The scenario texts of a batch file, split at each `ptmc-scenario` header line."""
    out = []
    for line in text.splitlines(keepends=True):
        if line.split("#", 1)[0].split()[:1] == ["ptmc-scenario"]:
            out.append("")
        if out:
            out[-1] += line
    return out


def run(ptmc, *args):
    done = subprocess.run([ptmc, "run", "--on", "model", "--json", *args],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"ptmc run {' '.join(args)} exited {done.returncode}: "
                           f"{done.stderr.strip()}")
    return json.loads(done.stdout)


def main():
    ptmc, report = sys.argv[1], pathlib.Path(sys.argv[2])
    manifests = sorted(report.glob("witnesses/*.json"))
    if not manifests:
        print(f"FAIL: no witnesses/*.json in {report}")
        return 1
    passed = failed = 0
    for manifest_path in manifests:
        manifest = json.loads(manifest_path.read_text())
        profile, edges = manifest["profile"], manifest["edges"]
        batch = manifest_path.parent / manifest["batch"]
        texts = batch_scenarios(batch.read_text())
        if len(texts) != len(edges):
            failed += 1
            print(f"FAIL: {batch} holds {len(texts)} scenarios for {len(edges)} edges")
            continue
        # The whole batch in one process; edge eN is scenario N.
        try:
            results = run(ptmc, str(batch))
        except RuntimeError as e:
            failed += 1
            print(f"FAIL: {profile}: {e}")
            continue
        if len(edges) == 1:
            results = [results]
        for n, (edge, text, result) in enumerate(zip(edges, texts, results)):
            requests, repeat = requests_of(text)
            wanted = (edge["from"], edge["request"], edge["to"])
            seen = transitions(result["trace"], requests, repeat)
            if edge["id"] == n and wanted in seen:
                passed += 1
            else:
                failed += 1
                print(f"FAIL: {profile} e{edge['id']} (scenario {n} of {batch}) does not realise "
                      f"{wanted[0]} -{wanted[1]}-> {wanted[2]}; its trace gives {seen}")
        # `--only N` picks scenario N: the first and the last edge, run alone.
        for n in sorted({0, len(edges) - 1}):
            alone = run(ptmc, str(batch), "--only", str(n))
            if alone["trace"] != results[n]["trace"]:
                failed += 1
                print(f"FAIL: {profile}: --only {n} does not run scenario {n} of {batch}")
        print(f"{profile}: {len(edges)} edges replayed")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
