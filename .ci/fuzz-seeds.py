#!/usr/bin/env python3
"""Seed corpora for .ci/fuzz, from the fixtures and the official suites shipped in the repository."""
import glob
import hashlib
import json
import os
import sys

out = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > 65536:
        return
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def files(pattern):
    return sorted(glob.glob(os.path.join(root, pattern), recursive=True))


for p in files("Fixtures/**/*.json")[:400] + files("Fixtures/**/*.jsonl")[:50] + files("Fixtures/**/*.geojson")[:50]:
    put("json", open(p, "rb").read())

cts = json.load(open(os.path.join(root, "Fixtures/jsonpath-cts/cts.json")))
for t in cts["tests"]:
    doc = json.dumps(t.get("document", {}))
    put("jsonpath", t["selector"] + "\n" + doc)

for p in files("Fixtures/json-schema-test-suite/tests/draft2020-12/*.json"):
    for group in json.load(open(p)):
        for case in group["tests"][:3]:
            put("jsonschema", json.dumps(group["schema"]).encode() + b"\0" + json.dumps(case["data"]).encode())

for p in files("Profiles/**/profile.yaml") + files("Fixtures/broken-profiles/**/*.yaml") + files("Fixtures/loopback/**/*.yaml"):
    put("profile", open(p, "rb").read())

for p in files("Fixtures/gtfs/**/*.txt")[:200]:
    put("csv", open(p, "rb").read()[:65536])

for p in files("Fixtures/gtfs/**/*.zip"):
    put("gtfs", open(p, "rb").read())

for body in [
    '{"id": "abc-1", "n": 3, "tags": ["a", "aa"]}',
    '{"id": "x", "n": 101, "tags": ["a", "a"]}',
    "not json",
    "[1, 2, {\"id\": \"x\"}]",
]:
    put("response", "200\nContent-Type: application/json\nETag: \"1\"\nLocation: /aaa\n\n" + body)
put("response", "201\nContent-Type: application/json; charset=utf-8\nX-Debug: 1\n\n{}")
put("response", "500\n\n")
