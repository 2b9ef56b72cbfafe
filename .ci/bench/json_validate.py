#!/usr/bin/env python3
"""Benchmark: JSON Schema validation of AirQualityObserved entities (JSON Lines), side by side.

In one script run, on the same file (default 200 MB, ~1% planted invalid entities from
../shared/bench/gen_entities.py), with format assertion on, draft-07 schema from ../shared/bench/schema:
  - citycert json validate (release build), whole process, and citycert with schema `true` (parse only);
  - jsonschema-rs + orjson and Python jsonschema (PyPI, in a venv), through ../shared/bench/bench_json.py;
  - simdjson DOM parse of every line (Debian libsimdjson-dev, a tiny C++ driver): the parse ceiling.
Prints entities/s, MB/s, ratios, peak memory (GNU time) and whether each tool found exactly the planted errors.
Bars (issue 3): >= parity with jsonschema-rs in entities/s, >= 100x Python jsonschema, peak < 150 MB.
SIZE_MB=20 for a quick run; RUNS=N repeats (median); DATA=x.jsonl reuses a generated file.
citycert runs with --jobs 1 and with --jobs <cores>; the peers run on one thread as bench_json.py drives them.
"""
import json, os, shutil, statistics, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "bench"))
SIZE = os.environ.get("SIZE_MB", "200")
RUNS = int(os.environ.get("RUNS", "3"))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd, out=None):
    """Wall seconds and peak RSS (KB) of a whole process, from GNU time."""
    tf = tempfile.mktemp()
    with open(out or os.devnull, "w") as o:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf] + cmd, stdout=o, stderr=subprocess.DEVNULL)
    wall, rss = open(tf).read().split()[-2:]
    os.unlink(tf)
    return float(wall), int(rss)


def main():
    if not os.path.isdir(SHARED):
        sys.exit(f"needs {SHARED} (the shared bench folder beside the repository)")
    work = tempfile.mkdtemp(prefix="citycert-bench-json-")
    try:
        if os.environ.get("DATA"):  # a file gen_entities.py wrote earlier (its manifest beside it)
            prefix = os.path.abspath(os.environ["DATA"]).rsplit(".", 1)[0]
        else:
            prefix = os.path.join(work, f"aqo-{SIZE}mb")
            run([sys.executable, os.path.join(SHARED, "gen_entities.py"), "--target-mb", SIZE, "--out-prefix", prefix], stdout=subprocess.DEVNULL)
        jsonl = prefix + ".jsonl"
        manifest = json.load(open(prefix + ".manifest.json"))
        planted = {d["index"] for d in manifest["invalid"]}
        n, size_mb = manifest["n_entities"], os.path.getsize(jsonl) / 1e6

        venv = os.path.join(work, "venv")
        run([sys.executable, "-m", "venv", venv])
        run([os.path.join(venv, "bin", "pip"), "install", "-q", "jsonschema[format-nongpl]", "jsonschema-rs", "orjson"], stdout=subprocess.DEVNULL)
        py = os.path.join(venv, "bin", "python")

        if not os.path.exists("/usr/include/simdjson.h"):
            run(["apt-get", "install", "-y", "-qq", "libsimdjson-dev"], stdout=subprocess.DEVNULL)
        driver = os.path.join(work, "simd.cpp")
        open(driver, "w").write(
            '#include <simdjson.h>\n#include <fstream>\n#include <iostream>\n#include <string>\n'
            'int main(int c, char** v) { simdjson::dom::parser p; std::ifstream f(v[1]); std::string line; size_t n = 0;\n'
            '  while (std::getline(f, line)) { auto r = p.parse(line); if (!r.error()) n++; }\n'
            '  std::cout << n << std::endl; return 0; }\n')
        run(["g++", "-O3", "-std=c++17", driver, "-o", os.path.join(work, "simd"), "-lsimdjson"])

        run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "citycert"], cwd=ROOT, stdout=subprocess.DEVNULL)
        cc = os.path.join(ROOT, ".build", "release", "citycert")
        schema = os.path.join(SHARED, "schema", "AirQualityObserved.schema.json")
        true_schema = os.path.join(work, "true.json")
        open(true_schema, "w").write("true")

        cores = os.cpu_count() or 1
        tools = {
            "citycert json validate": [cc, "json", "validate", "--jobs", "1", "--formats", "--draft", "7", "--schema", schema, jsonl],
            f"citycert json validate --jobs {cores}": [cc, "json", "validate", "--jobs", str(cores), "--formats", "--draft", "7", "--schema", schema, jsonl],
            "jsonschema-rs + orjson": [py, os.path.join(SHARED, "bench_json.py"), "jsonschema-rs-d7", jsonl, "--parser", "orjson"],
            "citycert parse only": [cc, "json", "validate", "--jobs", "1", "--schema", true_schema, jsonl],
            "simdjson parse only": [os.path.join(work, "simd"), jsonl],
        }
        slow = {"Python jsonschema": [py, os.path.join(SHARED, "bench_json.py"), "jsonschema-d7", jsonl]}
        results = {k: [] for k in list(tools) + list(slow)}
        outputs = {}
        for r in range(RUNS):
            for i, (name, cmd) in enumerate(tools.items()):
                out = os.path.join(work, f"out-{i}.txt")
                results[name].append(timed(cmd, out))
                outputs[name] = out
        for name, cmd in slow.items():  # ~80 s per run on 200 MB: once
            out = os.path.join(work, "out-py.txt")
            results[name].append(timed(cmd, out))
            outputs[name] = out

        # Which entities did each validator flag?
        def flagged(name):
            text = open(outputs[name]).read()
            if name.startswith("citycert"):
                return {int(l.split(":")[1]) - 1 for l in text.splitlines() if l.startswith(jsonl + ":")}
            return None
        cc_flagged = flagged("citycert json validate")
        cc_parallel = f"citycert json validate --jobs {cores}"
        same_output = open(outputs["citycert json validate"]).read() == open(outputs[cc_parallel]).read()
        print(f"\n{n:,} entities, {size_mb:.0f} MB JSON Lines, {len(planted)} planted invalid; whole process, median of {RUNS} (Python jsonschema: 1 run)\n")
        print("| tool | wall s | entities/s | MB/s | peak MB | found planted |")
        print("|---|---|---|---|---|---|")
        rate = {}
        for name in results:
            wall = statistics.median(x[0] for x in results[name])
            rss = max(x[1] for x in results[name]) / 1024
            rate[name] = n / wall
            found = "-"
            if name in ("citycert json validate", cc_parallel):
                found = f"{len(cc_flagged & planted)}/{len(planted)}, {len(cc_flagged - planted)} extra"
            elif name in ("jsonschema-rs + orjson", "Python jsonschema"):
                try:
                    res = json.loads(open(outputs[name]).read().strip().splitlines()[-1])
                    found = f"{res['planted_found']}/{res['planted']}, {res['false_positives']} extra"
                except Exception:
                    found = "?"
            print(f"| {name} | {wall:.2f} | {n / wall:,.0f} | {size_mb / wall:.1f} | {rss:.0f} | {found} |")
        print(f"\ncitycert / jsonschema-rs, one thread: {rate['citycert json validate'] / rate['jsonschema-rs + orjson']:.2f}x (bar >= 1.0, goal 2.0)")
        print(f"citycert --jobs {cores} / jsonschema-rs (one thread, as the peer's Python loop runs): {rate[cc_parallel] / rate['jsonschema-rs + orjson']:.2f}x")
        print(f"citycert --jobs {cores} output identical to --jobs 1: {same_output}")
        print(f"citycert / Python jsonschema: {rate['citycert json validate'] / rate['Python jsonschema']:.1f}x (bar >= 100)")
        print(f"citycert parse / simdjson parse: {rate['citycert parse only'] / rate['simdjson parse only']:.2f}x")
        exact = cc_flagged == planted
        print(f"citycert found exactly the planted errors: {exact}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
