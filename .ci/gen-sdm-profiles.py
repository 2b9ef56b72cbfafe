#!/usr/bin/env python3
"""Writes the Smart Data Models domain profiles, Profiles/smart-data-models/<domain>/profile.yaml, from the
table below and the models' shipped schemas (their $schemaVersion and required list). One command:
    python3 .ci/gen-sdm-profiles.py            # rewrite the profiles
    python3 .ci/gen-sdm-profiles.py --check    # exit 1 if a committed profile differs (a test runs this)
The air-quality profile (the README's main job) is written by hand and is not generated."""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# folder, repository (dataModel.<name>), requirement prefix, upstream commit, [(model, abbreviation)]
DOMAINS = [
    ("device", "Device", "DEV", "96e3883", [("Device", "DEV"), ("DeviceMeasurement", "DVM")]),
    ("environment", "Environment", "ENV", "f0150e5",
     [("AirQualityObserved", "AQO"), ("EnvironmentObserved", "ENO"), ("NoiseLevelObserved", "NLO")]),
    ("parking", "Parking", "PRK", "d49af3c", [("OffStreetParking", "OSP"), ("ParkingSpot", "PSP")]),
    ("streetlighting", "Streetlighting", "STL", "1df857d", [("Streetlight", "SLT"), ("StreetlightControlCabinet", "SCC")]),
    ("transportation", "Transportation", "TRN", "6aee14b",
     [("BikeHireDockingStation", "BHD"), ("EVChargingStation", "EVC"), ("RoadSegment", "RSG"), ("TrafficFlowObserved", "TFO")]),
    ("urban-mobility", "UrbanMobility", "URB", "147e48c", [("GtfsRoute", "GRT"), ("GtfsStop", "GST"), ("GtfsTrip", "GTR")]),
    ("weather", "Weather", "WTH", "adf1dd5", [("WeatherObserved", "WOB")]),
]

FILES = '["**/*.json", "**/*.jsonld", "**/*.jsonl", "**/*.ndjson"]'

# representation, id suffix, title phrase, clause suffix, projected
REPRESENTATIONS = [
    ("keyValues", "KV", "in keyValues (plain JSON, NGSI-v2 keyValues)", "", False),
    ("ld-keyValues", "LDKV", "in NGSI-LD keyValues with @context (JSON-LD)",
     "; validated on the keyValues projection of the entity", True),
    ("ld-normalized", "LDN", "in NGSI-LD normalized", "; validated on the keyValues projection of the entity", True),
    ("v2-normalized", "V2N", "in NGSI-v2 normalized", "; validated on the keyValues projection of the entity", True),
    ("geojson", "GEO", "in a GeoJSON Feature (NGSI-LD application/geo+json)",
     "; validated on the keyValues projection of the Feature's id and properties", True),
]


def model_requirements(repo, prefix, model, abbr, schema):
    version = schema.get("$schemaVersion", "")
    required = "[ " + ", ".join(f'"{r}"' for r in schema.get("required", [])) + " ]"
    url = f"https://github.com/smart-data-models/dataModel.{repo}/blob/master/{model}/schema.json"
    out = []
    for rep, suffix, phrase, clause_suffix, projected in REPRESENTATIONS:
        out += [
            f"  - id: SDM-{prefix}-{abbr}-{suffix}-001",
            f"    title: {model} {phrase} is valid against the {model} schema (structure)",
            "    level: MUST",
            f"    clause: {model} schema.json {version} (required, type, enum, properties){clause_suffix}",
            f"    url: {url}",
            f"    quote: '\"required\": {required}'",
            f"    tags: [{rep}, schema, {model}]",
            "    checks:",
            f"      - name: {rep} schema structure",
            "        data:",
            f"          files: {FILES}",
            f"          select: [{{model: {model}}}, {{representation: {rep}}}]",
        ]
        if projected:
            out.append("          project: keyValues")
        out += [f"          schema: {model}", "          schema_ignore: [format]"]
    out += [
        f"  - id: SDM-{prefix}-{abbr}-FMT-001",
        f"    title: {model} date-time, URI and other formatted attributes follow their declared format (any representation)",
        "    level: SHOULD",
        "    clause: JSON Schema 2020-12 Validation §7.2.1 (format as annotation; assertion is optional)",
        "    url: https://json-schema.org/draft/2020-12/json-schema-validation#section-7.2.1",
        "    quote: 'The implementation MUST provide options to enable and disable such evaluation and MUST be disabled by default.'",
        "    # SHOULD: the schema declares the 2020-12 meta-schema, whose format vocabulary is annotation-only, so a",
        "    # format mismatch does not make the entity invalid against the schema; it is reported as a warning.",
        f"    tags: [format, {model}]",
        "    checks:",
        "      - name: schema formats",
        "        data:",
        f"          files: {FILES}",
        f"          select: [{{model: {model}}}, {{representation: [keyValues, ld-keyValues, ld-normalized, v2-normalized, geojson]}}]",
        "          project: keyValues",
        f"          schema: {model}",
        "          schema_keywords: [format]",
    ]
    return out


def domain_requirements(prefix, models):
    names = ", ".join(models)
    return f"""  - id: SDM-{prefix}-LD-001
    title: A JSON-LD payload (.jsonld) carries its @context in the body
    level: MUST
    clause: ETSI GS CIM 009 V1.9.1 §6.3.5 (JSON-LD @context resolution)
    url: https://www.etsi.org/deliver/etsi_gs/CIM/001_099/009/01.09.01_60/gs_cim009v010901p.pdf
    quote: >-
      If the request verb is POST, PATCH or PUT and the Content-Type header is "application/ld+json", then the
      associated @context shall be obtained from the request payload body itself. If no @context can be obtained
      from the request payload body, then an HTTP error response of type BadRequestData shall be raised.
    tags: [json-ld, context]
    checks:
      - name: "@context present"
        data:
          files: ["**/*.jsonld"]
          select: [{{model: [{names}]}}]
          assert:
            - {{path: "$['@context']", exists: true}}
  - id: SDM-{prefix}-LD-002
    title: JSON-LD entities reference shipped contexts that define their type and every attribute name
    level: SHOULD
    clause: JSON-LD 1.1 §8 (Data Model)
    url: https://www.w3.org/TR/json-ld11/#data-model
    quote: >-
      Unless otherwise specified, such data is ignored when a JSON-LD document is being processed. One
      result of this rule is that properties which are not mapped to an IRI, a blank node, or keyword
      will be ignored.
    # SHOULD: an attribute that no context defines is lost on expansion (or falls into a default vocabulary),
    # so a consumer cannot map it to the model; the payload itself is still valid JSON-LD.
    tags: [json-ld, context]
    checks:
      - name: terms resolve offline
        data:
          files: {FILES}
          select: [{{model: [{names}]}}, {{representation: [ld-keyValues, ld-normalized]}}]
          rule: {{id: jsonld/terms-defined, contexts: contexts/catalog.json}}
  - id: SDM-{prefix}-GEO-001
    title: A GeoJSON Feature representation is valid GeoJSON (its geometry is a Geometry object)
    level: MUST
    clause: RFC 7946 §3, §3.1, §3.2; ETSI GS CIM 009 §4.5.17 (GeoJSON representation of entities)
    url: https://www.rfc-editor.org/rfc/rfc7946#section-3.2
    quote: >-
      The value of the geometry member SHALL be either a Geometry object as defined above or, in the case
      that the Feature is unlocated, a JSON null value.
    tags: [geojson]
    checks:
      - name: GeoJSON Feature
        data:
          files: {FILES}
          select: [{{model: [{names}]}}, {{representation: geojson}}]
          rules: [geojson/object-type, geojson/geometry-shape, geojson/feature, geojson/position]
  - id: SDM-{prefix}-AGREE-001
    title: The representations of one entity (same id) carry the same attributes and values
    level: SHOULD
    clause: ETSI GS CIM 009 V1.9.1 §4.5.4 (simplified representation)
    url: https://www.etsi.org/deliver/etsi_gs/CIM/001_099/009/01.09.01_60/gs_cim009v010901p.pdf
    quote: >-
      For each Property a member whose key is the Property name (a term) and whose value is the Property Value.
      [...] For each Relationship a term whose key is the Relationship name (a term) and whose value is the
      Relationship's Object (represented as a URI or array of URIs).
    # SHOULD: each document is a payload of its own and may show the entity at another moment; a difference
    # is reported as a warning, located at the attribute, naming the keyValues form it differs from.
    tags: [representations]
    checks:
      - name: representations agree
        data:
          files: {FILES}
          select: [{{model: [{names}]}}]
          rule: ngsi/representations-agree
""".rstrip("\n").split("\n")


def profile(folder, repo, prefix, commit, models):
    names = [m for m, _ in models]
    head = f"""# citycert profile: FIWARE Smart Data Models, dataModel.{repo} ({len(models)} models).
# Format documentation: Profiles/FORMAT.md. Schema for editors: Profiles/profile.schema.json.
# Generated by .ci/gen-sdm-profiles.py: edit the generator, not this file.
citycert: 1
id: sdm-{folder}
title: Smart Data Models — dataModel.{repo} entities in every representation
version: 1.0.0
standard:
  name: FIWARE Smart Data Models, dataModel.{repo}
  version: "{commit}"
  url: https://github.com/smart-data-models/dataModel.{repo}
description: >
  Checks {", ".join(names)} entities against the models' official JSON Schemas, shipped offline with
  their remote $ref targets (schemas/catalog.json). The model is read from the entity type; the
  representation (keyValues, NGSI-LD keyValues with @context, NGSI-LD normalized, NGSI-v2 normalized) from
  its shape; `--model` and `--representation` override both. Normalized forms are judged through their
  keyValues projection, with findings located at the attribute value in the file. Schema structure is
  MUST; `format` annotations are SHOULD (annotation-only under the schemas' 2020-12 meta-schema). The schemas
  are compiled with format assertions on so that `oneOf` alternatives told apart by a format (Device
  ipAddress: ipv4 | ipv6) are decided as their authors meant; format findings themselves are only reported by
  the FMT (SHOULD) requirements.

schemas:""".split("\n")
    lines = head + [f"  {m}: {{file: schemas/{m}.schema.json, formats: true}}" for m in names]
    lines += ["catalog: schemas/catalog.json", "", "requirements:"]
    for model, abbr in models:
        with open(os.path.join(ROOT, "Profiles/smart-data-models", folder, "schemas", model + ".schema.json"),
                  encoding="utf-8") as f:
            schema = json.load(f)
        lines += model_requirements(repo, prefix, model, abbr, schema)
    lines += domain_requirements(prefix, names)
    return "\n".join(lines) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    differ = []
    for folder, repo, prefix, commit, models in DOMAINS:
        path = os.path.join(ROOT, "Profiles/smart-data-models", folder, "profile.yaml")
        text = profile(folder, repo, prefix, commit, models)
        with open(path, encoding="utf-8") as f:
            current = f.read()
        if current == text:
            continue
        differ.append(os.path.relpath(path, ROOT))
        if not check:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if check and differ:
        print("differ from their generation (python3 .ci/gen-sdm-profiles.py rewrites them): " + ", ".join(differ))
        sys.exit(1)


main()
