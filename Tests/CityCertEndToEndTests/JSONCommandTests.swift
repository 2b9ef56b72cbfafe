import CityCertTestSupport
import Foundation
import Testing

/// `citycert json validate` and `citycert json query`, run as built: exit codes (0 valid, 1 invalid with
/// located errors, 2 for a bad schema or file), the located output, and hostile inputs that must end in
/// an error, not a crash or a hang.
@Suite struct JSONCommandTests {
    /// A scratch folder with the given files; removed by the caller.
    func folder(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "citycert-json-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    static let schema = #"{"type": "object", "required": ["id"], "properties": {"n": {"type": "integer", "minimum": 0}}}"#

    @Test func validInvalidAndBadSchema() async throws {
        let dir = try folder([
            "s.json": Self.schema, "ok.json": #"{"id": 1, "n": 2}"#, "bad.json": "{\n  \"n\": -1\n}",
            "broken.json": #"{"type": 7}"#,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ok = try await CityCertBinary.run(["json", "validate", "--schema", dir + "/s.json", dir + "/ok.json"])
        #expect(ok.status == 0)
        #expect(ok.stdout == "valid\n")
        let bad = try await CityCertBinary.run(["json", "validate", "--schema", dir + "/s.json", dir + "/bad.json"])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("\(dir)/bad.json:1:1: /: "), "\(bad.stdout)")
        #expect(bad.stdout.contains("\(dir)/bad.json:2:8: /n: "), "\(bad.stdout)")
        #expect(bad.stdout.hasSuffix("1 invalid document(s)\n"))
        let broken = try await CityCertBinary.run(["json", "validate", "--schema", dir + "/broken.json", dir + "/ok.json"])
        #expect(broken.status == 2, "\(broken.stderr)")
    }

    /// A schema is checked against its draft's official meta-schema and for misspelt keywords before it is
    /// used: `"requird"` made every document valid (validators ignore unknown keywords), now exit 2 at the key.
    @Test func schemaIsCheckedAgainstItsMetaSchema() async throws {
        let dir = try folder([
            "typo.json": "{\n  \"type\": \"object\",\n  \"requird\": [\"id\"]\n}",
            "meta.json": #"{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"a": {"title": 5}}}"#,
            "doc.json": "{}",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let typo = try await CityCertBinary.run(["json", "validate", "--schema", dir + "/typo.json", dir + "/doc.json"])
        #expect(typo.status == 2)
        #expect(
            typo.stderr.contains(
                "\(dir)/typo.json:3:14: error: /requird: 'requird' is not a JSON Schema keyword (did you mean 'required'?)"),
            "\(typo.stderr)")
        #expect(typo.stdout.isEmpty)
        let meta = try await CityCertBinary.run(["json", "validate", "--schema", dir + "/meta.json", dir + "/doc.json"])
        #expect(meta.status == 2)
        #expect(
            meta.stderr.contains("/properties/a/title: not a valid draft-07 schema: number is not of type string"),
            "\(meta.stderr)")
    }

    /// JSON Lines: one verdict per record, in file order, the same on one thread and on four.
    @Test func jsonLinesOnOneAndFourThreads() async throws {
        var lines: [String] = []
        for i in 0..<500 { lines.append(i % 7 == 3 ? #"{"id": \#(i), "n": -\#(i)}"# : #"{"id": \#(i), "n": \#(i)}"#) }
        let dir = try folder(["s.json": Self.schema, "r.jsonl": lines.joined(separator: "\n") + "\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let one = try await CityCertBinary.run(["json", "validate", "--jobs", "1", "--schema", dir + "/s.json", dir + "/r.jsonl"])
        let four = try await CityCertBinary.run([
            "json", "validate", "--jobs", "4", "--schema", dir + "/s.json", dir + "/r.jsonl",
        ])
        #expect(one.status == 1)
        #expect(one.stdout == four.stdout)
        #expect(one.stdout.hasSuffix("71 invalid document(s)\n"))
        #expect(one.stdout.contains("\(dir)/r.jsonl:4:16: /n: "), "\(one.stdout.prefix(300))")
    }

    /// A whole document past --max-document-bytes is refused before it is read.
    @Test func documentSizeLimit() async throws {
        let dir = try folder(["s.json": Self.schema, "big.json": #"{"id": "\#(String(repeating: "x", count: 2000))"}"#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try await CityCertBinary.run([
            "json", "validate", "--max-document-bytes", "1000", "--schema", dir + "/s.json", dir + "/big.json",
        ])
        #expect(r.status == 2)
        #expect(r.stderr.contains("big.json is longer than the 1000 bytes a whole JSON document may have"), "\(r.stderr)")
        let q = try await CityCertBinary.run(["json", "query", "--max-document-bytes", "1000", "$.id", dir + "/big.json"])
        #expect(q.status == 2)
        // Through a symbolic link the file's own length counts; a folder is a clear error.
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.json", withDestinationPath: dir + "/big.json")
        let link = try await CityCertBinary.run(["json", "query", "--max-document-bytes", "1000", "$.id", dir + "/link.json"])
        #expect(link.status == 2)
        #expect(link.stderr.contains("link.json is longer than the 1000 bytes"), "\(link.stderr)")
        let folder = try await CityCertBinary.run(["json", "query", "$", dir])
        #expect(folder.status == 2)
        #expect(folder.stderr.contains("cannot read \(dir): Is a directory"), "\(folder.stderr)")
    }

    /// A schema that refers to itself without consuming the instance: the recursion limit leaves the
    /// document not judged (exit 2; it was exit 1, "invalid", which blamed the document for the schema's loop).
    @Test func selfReferencingSchemaIsAnError() async throws {
        let dir = try folder(["s.json": ##"{"allOf": [{"$ref": "#"}]}"##, "i.json": "1"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try await CityCertBinary.run(["json", "validate", "--schema", dir + "/s.json", dir + "/i.json"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stdout.contains("schema recursion deeper than"))
    }

    /// A record the validator cannot judge (a `pattern` that runs out of time, a record nested past the
    /// parser's limit) is neither valid nor invalid: it is named, the other records are judged, and the
    /// exit code is 2 (it was exit 1, "not valid JSON" or "does not match"); an invalid record still decides exit 1.
    @Test func recordsALimitKeptFromBeingJudgedExitTwo() async throws {
        let hostile = String(repeating: "a", count: 40_000) + "!"
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let dir = try folder([
            "s.json": #"{"properties": {"id": {"pattern": "^(?=a)(a+)+$"}}}"#,
            "a.jsonl": "{\"id\": \"\(hostile)\"}\n\(deep)\n{\"id\": \"aaa\"}\n",
            "b.jsonl": "{\"id\": \"\(hostile)\"}\n{\"id\": \"b\"}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try await CityCertBinary.run(["json", "validate", "--schema", dir + "/s.json", dir + "/a.jsonl"])
        #expect(a.status == 2, "\(a.stdout)")
        #expect(a.stdout.contains("\(dir)/a.jsonl:1:"), "\(a.stdout)")
        #expect(a.stdout.contains("catastrophic backtracking"), "\(a.stdout)")
        #expect(a.stdout.contains("\(dir)/a.jsonl:2:"), "\(a.stdout)")
        #expect(!a.stdout.contains("not valid JSON"), "\(a.stdout)")
        #expect(a.stdout.contains("2 document(s) not judged"), "\(a.stdout)")
        let b = try await CityCertBinary.run(["json", "validate", "--schema", dir + "/s.json", dir + "/b.jsonl"])
        #expect(b.status == 1, "\(b.stdout)")
        #expect(b.stdout.contains("1 document(s) not judged"), "\(b.stdout)")
        #expect(b.stdout.hasSuffix("1 invalid document(s)\n"), "\(b.stdout)")
    }

    @Test func queryPrintsNormalizedPaths() async throws {
        let dir = try folder(["d.json": #"{"a": [{"b": 1}, {"b": 2}]}"#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try await CityCertBinary.run(["json", "query", "$.a[*].b", dir + "/d.json"])
        #expect(r.status == 0)
        #expect(r.stdout == "$['a'][0]['b']\t1\n$['a'][1]['b']\t2\n")
        let bad = try await CityCertBinary.run([
            "json", "query", "$[?" + String(repeating: "(", count: 20_000) + "@", dir + "/d.json",
        ])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("expression nested deeper than 128 levels"))
        // Nested descendant filters stop at the step limit: exit 2, the query named, nothing printed.
        let costly = try await CityCertBinary.run(["json", "query", "--max-steps", "50", "$..[?$..[?@]]", dir + "/d.json"])
        #expect(costly.status == 2)
        #expect(costly.stdout.isEmpty)
        #expect(costly.stderr.contains("d.json: error: JSONPath $..[?$..[?@]] needs more than 50 evaluation steps"))
        #expect(try await CityCertBinary.run(["json", "query", "--max-steps", "50", "$..b", dir + "/d.json"]).status == 0)
    }
}
