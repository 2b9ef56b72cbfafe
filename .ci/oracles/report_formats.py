#!/usr/bin/env python3
"""Reads citycert's TAP, EARL and Markdown reports with parsers that share no code with citycert, and
prints what they understood, one fact per line, for ReportFormatOracleTests to compare:

  report_formats.py tap FILE       -> "version N", "plan N", "test <n> <ok|not-ok> <skip|todo|-> <id>",
                                      "yaml <n> <keys,comma-separated>", "unknown <line>" (tap.py 3.2.1)
  report_formats.py earl FILE      -> "assertion <requirement id> <outcome> <mode> <subject>" per
                                      earl:Assertion, read as RDF (rdflib 7.6.0, JSON-LD 1.1 parser)
  report_formats.py markdown FILE  -> the HTML markdown-it-py renders (CommonMark with GFM tables)
"""
import sys


def tap(path):
    from tap.parser import Parser

    for line in Parser().parse_text(open(path, encoding="utf-8").read()):
        if line.category == "version":
            print("version", line.version)
        elif line.category == "plan":
            print("plan", line.expected_tests)
        elif line.category == "test":
            directive = "skip" if line.skip else "todo" if line.todo else "-"
            # tap.py keeps the optional "- " separator in the description.
            description = line.description[2:] if line.description.startswith("- ") else line.description
            first = description.split(" ", 1)[0]
            print("test", line.number, "ok" if line.ok else "not-ok", directive, first)
            if line.yaml_block is not None:
                print("yaml", line.number, ",".join(sorted(line.yaml_block.keys())))
        elif line.category in ("diagnostic",):
            continue
        else:
            print("unknown", repr(getattr(line, "text", line)))


def earl(path):
    import rdflib

    graph = rdflib.Graph().parse(path, format="json-ld")
    query = """
        PREFIX earl: <http://www.w3.org/ns/earl#>
        PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?id ?outcome ?mode ?subject WHERE {
            ?a a earl:Assertion ; earl:test ?t ; earl:result ?r ; earl:mode ?mode ; earl:subject ?subject ;
               earl:assertedBy ?by .
            ?by a earl:Assertor .
            ?subject a earl:TestSubject .
            ?r a earl:TestResult ; earl:outcome ?outcome .
            ?t a earl:TestRequirement ; dct:identifier ?id .
        }"""
    earl_ns = "http://www.w3.org/ns/earl#"
    for row in graph.query(query):
        outcome = str(row.outcome)
        mode = str(row.mode)
        print(
            "assertion",
            str(row.id),
            outcome[len(earl_ns):] if outcome.startswith(earl_ns) else "NOT-EARL:" + outcome,
            mode[len(earl_ns):] if mode.startswith(earl_ns) else "NOT-EARL:" + mode,
            str(row.subject),
        )


def markdown(path):
    from markdown_it import MarkdownIt

    print(MarkdownIt("commonmark").enable("table").render(open(path, encoding="utf-8").read()))


if __name__ == "__main__":
    {"tap": tap, "earl": earl, "markdown": markdown}[sys.argv[1]](sys.argv[2])
