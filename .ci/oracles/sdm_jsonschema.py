#!/usr/bin/env python3
"""Second opinion on the Smart Data Models keyValues verdicts: Python's jsonschema (a second, independent
implementation) validates every official keyValues example (Fixtures/smart-data-models/<Domain>/<Model>/
example.json) against its model's schema, offline, with the $refs resolved through the domain profile's
catalog (the same files citycert uses). The semantics are the domain profiles' own: formats are asserted
while the schema is evaluated (so that `oneOf` alternatives told apart by a format, Device ipAddress:
ipv4 | ipv6, are decided as their authors meant) and format errors are then left out (the MUST
requirements ignore them: `schema_ignore: [format]`).

Prints one line per example, sorted: <file> <Model> valid|invalid <instance paths of the errors>.
Usage: sdm_jsonschema.py REPO_ROOT
"""
import glob
import importlib.metadata
import json
import os
import sys

import jsonschema
import referencing

root = sys.argv[1]
lines = []
for catalog_path in sorted(glob.glob(os.path.join(root, "Profiles/smart-data-models/*/schemas/catalog.json"))):
    folder = os.path.dirname(catalog_path)
    if "/air-quality/" in folder:
        continue  # the same schema as the environment domain's
    with open(catalog_path, encoding="utf-8") as f:
        catalog = json.load(f)
    resources = []
    for uri, rel in catalog.items():
        with open(os.path.join(folder, rel), encoding="utf-8") as f:
            contents = json.load(f)
        # A $schema the library does not know (e.g. the draft-less "http://json-schema.org/schema#") is read
        # as 2020-12, as citycert reads a schema without a draft it knows (defaults.draft: 2020-12).
        spec = referencing.jsonschema.specification_with(
            contents.get("$schema", ""), default=referencing.jsonschema.DRAFT202012)
        resources.append((uri, spec.create_resource(contents)))
    registry = referencing.Registry().with_resources(resources)
    for schema_path in sorted(glob.glob(os.path.join(folder, "*.schema.json"))):
        model = os.path.basename(schema_path)[: -len(".schema.json")]
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        validator = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
        for example in sorted(glob.glob(os.path.join(root, "Fixtures/smart-data-models/*", model, "example.json"))):
            with open(example, encoding="utf-8") as f:
                data = json.load(f)
            entities = data if isinstance(data, list) else [data]
            paths = sorted({"/" + "/".join(str(p) for p in e.absolute_path)
                            for entity in entities for e in validator.iter_errors(entity) if e.validator != "format"})
            rel = os.path.relpath(example, root)
            lines.append(f"{rel} {model} {'invalid' if paths else 'valid'} {' '.join(paths)}".rstrip())
print(f"# jsonschema {importlib.metadata.version('jsonschema')} ({len(lines)} examples)")
for line in sorted(lines):
    print(line)
