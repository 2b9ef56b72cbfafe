#!/usr/bin/env python3
"""Second opinion on the GTFS verdicts: gtfs-analyzer (PyPI, a Rust engine written independently of
citycert and of gtfs-validator) validates every fixture feed the GTFS tests pin. A folder feed is zipped
in memory first (the library reads zips only). Prints one line per feed, sorted:
    <feed> critical|clean|unreadable <rule ids of its CRITICAL notices>
Usage: gtfs_second_opinion.py REPO_ROOT FEED...
"""
import importlib.metadata
import io
import os
import sys
import zipfile

import gtfs_analyzer


def zip_bytes(path):
    if os.path.isfile(path):
        with open(path, "rb") as f:
            return f.read()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for folder, _, names in os.walk(path):
            for name in sorted(names):
                full = os.path.join(folder, name)
                z.write(full, os.path.relpath(full, path))
    return buf.getvalue()


root = sys.argv[1]
print(f"# gtfs-analyzer {importlib.metadata.version('gtfs-analyzer')}")
for feed in sorted(sys.argv[2:]):
    try:
        # A fixed day, so that calendar rules do not change with the date of the run.
        report = gtfs_analyzer.validate_gtfs(zip_bytes(os.path.join(root, feed)), today="2026-12-01")
    except gtfs_analyzer.ValidationError:
        print(f"{feed} unreadable")
        continue
    rules = sorted({n["rule_id"] for n in report["notices"] if n["severity"] == "CRITICAL"})
    print(f"{feed} {'critical' if rules else 'clean'} {' '.join(rules)}".rstrip())
