#!/usr/bin/env python3
"""Replays every protocol edge's witness scenario of a report on the model.

Usage: replay_witnesses.py PTMC REPORT_DIR

For each profile's witnesses/PROFILE/edges.json, runs all its scenario files with one
`ptmc run --on model --json` and checks that each trace contains its edge: a stop of the edge's
source class, where the scenario's action has the edge's request, followed by a stop (or end) of
the edge's target class. Stop classes are computed here from the trace's JSON fields, not by the
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
    if "TF" in line["flags"].split("|"):
        text += " TF"
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


def run_all(ptmc, files):
    """Each file's `ptmc run --json` result; one process for all, or one each if some fail."""
    run = subprocess.run([ptmc, "run", "--on", "model", "--json", *files],
                         capture_output=True, text=True, timeout=600)
    if run.returncode == 0:
        results = json.loads(run.stdout)
        return results if len(files) > 1 else [results]
    results = []
    for f in files:
        one = subprocess.run([ptmc, "run", "--on", "model", "--json", f],
                             capture_output=True, text=True, timeout=60)
        if one.returncode == 0:
            results.append(json.loads(one.stdout))
        else:
            results.append({"error": f"ptmc run exited {one.returncode}: {one.stderr.strip()}"})
    return results


def main():
    ptmc, report = sys.argv[1], pathlib.Path(sys.argv[2])
    manifests = sorted(report.glob("witnesses/*/edges.json"))
    if not manifests:
        print(f"FAIL: no witnesses/*/edges.json in {report}")
        return 1
    passed = failed = 0
    for manifest_path in manifests:
        manifest = json.loads(manifest_path.read_text())
        edges = manifest["edges"]
        files = [str(manifest_path.parent / e["file"]) for e in edges]
        results = run_all(ptmc, files)
        for edge, path, result in zip(edges, files, results):
            if "error" in result:
                failed += 1
                print(f"FAIL: {manifest['profile']} e{edge['id']}: {path}: {result['error']}")
                continue
            requests, repeat = requests_of(pathlib.Path(path).read_text())
            wanted = (edge["from"], edge["request"], edge["to"])
            seen = transitions(result["trace"], requests, repeat)
            if wanted in seen:
                passed += 1
            else:
                failed += 1
                print(f"FAIL: {manifest['profile']} e{edge['id']}: {path} does not realise "
                      f"{wanted[0]} -{wanted[1]}-> {wanted[2]}; its trace gives {seen}")
        print(f"{manifest['profile']}: {len(edges)} edges replayed")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
