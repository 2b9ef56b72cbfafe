#!/usr/bin/env python3
"""Bounded memory: `citycert run` over ~1 GB of JSON Lines entities (issue 4).

Generates AirQualityObserved entities with ../shared/bench/gen_entities.py (SIZE_MB, default 1024;
~1% planted invalid), writes a one-requirement profile that validates every line against the bench's
draft-07 schema with format assertion on, and runs the release citycert over (a) the one big file and
(b) the same entities split into 4 files with --jobs 2. Prints wall time, MB/s, peak RSS (GNU time)
and the number of findings next to the number of planted invalid entities (an entity can have
several findings; exactness is checked by json_validate.py). Bar: peak RSS < 200 MB.
Reuses an existing file with DATA=/path/to/aqo.jsonl (its .manifest.json beside it).
"""
import json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "bench"))
SIZE = os.environ.get("SIZE_MB", "1024")

PROFILE = """citycert: 1
id: bench-jsonl-memory
title: AirQualityObserved entities (bench schema, draft-07, formats on)
version: 1.0.0
standard: {name: bench, version: "1"}
schemas:
  aqo: {file: schema/AirQualityObserved.schema.json, formats: true, draft: 7}
requirements:
  - id: BENCH-001
    title: every entity is valid
    clause: bench
    level: MUST
    checks:
      - data: {files: ["**/*.jsonl"], schema: aqo}
"""


def timed(cmd, report):
    tf = tempfile.mktemp()
    subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, rss = open(tf).read().split()[-2:]
    os.unlink(tf)
    r = json.load(open(report))
    findings = 0
    for q in r["requirements"]:
        for c in q["checks"]:
            for e in c["evidence"]:
                if e["kind"] == "finding":
                    findings += 1
                elif e["kind"] == "note" and "more finding(s) not listed" in e["text"]:
                    findings += int(e["text"].split()[0])
    return float(wall), int(rss), findings


def main():
    work = tempfile.mkdtemp(prefix="citycert-bench-mem-")
    try:
        data = os.environ.get("DATA")
        if not data:
            prefix = os.path.join(work, f"aqo-{SIZE}mb")
            subprocess.run([sys.executable, os.path.join(SHARED, "gen_entities.py"), "--target-mb", SIZE, "--out-prefix", prefix],
                           check=True, stdout=subprocess.DEVNULL)
            data = prefix + ".jsonl"
        manifest = json.load(open(data[: -len(".jsonl")] + ".manifest.json"))
        planted = len(manifest["invalid"])
        size_mb = os.path.getsize(data) / 1e6
        prof = os.path.join(work, "profile")
        shutil.copytree(os.path.join(SHARED, "schema"), os.path.join(prof, "schema"))
        open(os.path.join(prof, "profile.yaml"), "w").write(PROFILE)
        subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "citycert"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        exe = os.path.join(ROOT, ".build", "release", "citycert")

        parts = os.path.join(work, "parts")
        os.makedirs(parts)
        outs = [open(os.path.join(parts, f"part{i}.jsonl"), "w") for i in range(4)]
        with open(data) as f:
            for i, line in enumerate(f):
                outs[i % 4].write(line)
        for o in outs:
            o.close()

        print(f"{size_mb:.0f} MB JSON Lines, {manifest['n_entities']} entities, {planted} planted invalid")
        print("| run | wall s | MB/s | peak RSS MB | findings (planted entities) |")
        print("|---|---|---|---|---|")
        for name, args in [("1 file, --jobs 1", [data]), ("4 files, --jobs 2", [parts, "--jobs", "2"])]:
            report = os.path.join(work, "report.json")
            wall, rss, found = timed([exe, "run", os.path.join(prof, "profile.yaml")] + args + ["--report-json", report], report)
            print(f"| {name} | {wall:.1f} | {size_mb / wall:.1f} | {rss / 1024:.0f} | {found} ({planted}) |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
