#!/usr/bin/env python3
"""Benchmark: GTFS Schedule validation of a ~5M stop_times feed, side by side (issue 6).

In one script run, on the same generated feed (../shared/bench/gen_gtfs.py, SCALE=1.0 by default,
7 planted errors listed in its errors file), as a .zip:
  - citycert run Profiles/gtfs/schedule/profile.yaml (release build), whole process;
  - gtfs-analyzer and gtfs-guru (PyPI, Rust engines) and transitfeed's feedvalidator
    (PyPI transitfeed-py3), installed in a temporary venv; each run as a whole process.
Runs are interleaved; RUNS=N (default 3) gives medians. Prints wall seconds, peak RSS (GNU time),
ratios to citycert, and how many planted errors each tool reported at the right file and line.
SKIP_TRANSITFEED=1 leaves out transitfeed (about 3 minutes per run). FEED=path.zip reuses a feed
(its .errors.json beside it: <name>.errors.json).
Bars: parity with the faster Rust peer, >= 20x transitfeed, peak RSS < 1 GB.
"""
import json, os, shutil, statistics, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "bench"))
SCALE = os.environ.get("SCALE", "1.0")
RUNS = int(os.environ.get("RUNS", "3"))

PEER_ANALYZER = """
import json, sys, gtfs_analyzer
r = gtfs_analyzer.validate_gtfs(sys.argv[1])
out = []
def walk(x):
    if isinstance(x, dict):
        if ("file" in x or "filename" in x) and ("line" in x or "row" in x or "csv_row_number" in x or "csvRowNumber" in x):
            out.append([x.get("file") or x.get("filename"), x.get("line") or x.get("row") or x.get("csv_row_number") or x.get("csvRowNumber")])
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(r)
json.dump(out, open(sys.argv[2], "w"))
"""

PEER_GURU = """
import json, sys, gtfs_guru
r = gtfs_guru.validate(sys.argv[1])
def get(n, a):
    v = getattr(n, a, None)
    return v() if callable(v) else v
notices = get(r, "notices") or []
json.dump([[get(n, "file"), get(n, "row"), get(n, "code")] for n in notices], open(sys.argv[2], "w"))
"""


def timed(cmd, env=None):
    tf = tempfile.mktemp()
    subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    wall, rss = open(tf).read().split()[-2:]
    os.unlink(tf)
    return float(wall), int(rss)


def found(places, planted):
    """How many planted errors a tool reported at their file and line."""
    have = {(os.path.basename(str(f or "")), int(r)) for f, r, *_ in places if r is not None and str(r).isdigit()}
    return sum((p["file"], p["line"]) in have for p in planted)


def main():
    work = tempfile.mkdtemp(prefix="citycert-bench-gtfs-")
    try:
        feed = os.environ.get("FEED")
        if not feed:
            out = os.path.join(work, "gtfs-full")
            subprocess.run([sys.executable, os.path.join(SHARED, "gen_gtfs.py"), "--out", out, "--scale", SCALE, "--zip"],
                           check=True, stdout=subprocess.DEVNULL)
            feed = out + ".zip"
        planted = json.load(open(feed[: -len(".zip")] + ".errors.json"))["planted"]
        venv = os.path.join(work, "venv")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "gtfs-analyzer", "gtfs-guru", "transitfeed-py3"],
                       check=True, stdout=subprocess.DEVNULL)
        py = os.path.join(venv, "bin", "python")
        open(os.path.join(work, "analyzer.py"), "w").write(PEER_ANALYZER)
        open(os.path.join(work, "guru.py"), "w").write(PEER_GURU)
        subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "citycert"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        exe = os.path.join(ROOT, ".build", "release", "citycert")
        report = os.path.join(work, "report.json")
        tools = {
            "citycert": [exe, "run", os.path.join(ROOT, "Profiles/gtfs/schedule/profile.yaml"), feed, "--report-json", report],
            "gtfs-analyzer": [py, os.path.join(work, "analyzer.py"), feed, os.path.join(work, "analyzer.json")],
            "gtfs-guru": [py, os.path.join(work, "guru.py"), feed, os.path.join(work, "guru.json")],
        }
        if os.environ.get("SKIP_TRANSITFEED") != "1":
            tools["transitfeed"] = [os.path.join(venv, "bin", "feedvalidator.py"), "-n", "--latest_version=1.2.16",
                                    "-o", os.path.join(work, "tf.html"), feed]
        times = {t: [] for t in tools}
        rss = {t: 0 for t in tools}
        for _ in range(RUNS):
            for t, cmd in tools.items():
                w, r = timed(cmd)
                times[t].append(w)
                rss[t] = max(rss[t], r)
        places = {}
        r = json.load(open(report))
        places["citycert"] = [[e["file"], e["line"]] for q in r["requirements"] for c in q["checks"] for e in c["evidence"]
                              if e["kind"] == "finding"]
        for t in ["gtfs-analyzer", "gtfs-guru"]:
            p = os.path.join(work, {"gtfs-analyzer": "analyzer.json", "gtfs-guru": "guru.json"}[t])
            places[t] = json.load(open(p)) if os.path.exists(p) else []
        base = statistics.median(times["citycert"])
        print(f"feed: {os.path.basename(feed)}, {len(planted)} planted errors, {RUNS} run(s), medians")
        print("| tool | wall s | citycert is N x faster | peak RSS MB | planted found at file:line |")
        print("|---|---|---|---|---|")
        for t in tools:
            m = statistics.median(times[t])
            f = found(places[t], planted) if t in places else "see report"
            print(f"| {t} | {m:.2f} | {m / base:.2f} | {rss[t] / 1024:.0f} | {f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
