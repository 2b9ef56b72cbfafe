import CityCertJSON
import CityCertJSONSchema
import CityCertTestSupport
import Foundation
import Testing

/// One test of the official JSON-Schema-Test-Suite (Fixtures/json-schema-test-suite).
struct SuiteCase: CustomTestStringConvertible, Sendable {
    let draft: SchemaDraft
    let file: String
    let group: String
    let schema: JSONValue
    let test: String
    let data: JSONValue
    let valid: Bool
    var testDescription: String { "\(draft.rawValue)/\(file): \(group) / \(test)" }
    var groupKey: String { "\(draft.rawValue)/\(file)/\(group)" }

    static func load(_ folder: String, draft: SchemaDraft) -> [SuiteCase] {
        let root = Repository.fixture("json-schema-test-suite/tests/" + folder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return [] }
        var cases: [SuiteCase] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            guard let bytes = try? Repository.read(root.appendingPathComponent(name)),
                let groups = try? JSONValue.parse(bytes: bytes).arrayValue
            else { continue }
            for g in groups {
                for t in g["tests"]?.arrayValue ?? [] {
                    cases.append(
                        SuiteCase(
                            draft: draft, file: name, group: g["description"]?.stringValue ?? "",
                            schema: g["schema"] ?? .bool(true),
                            test: t["description"]?.stringValue ?? "", data: t["data"] ?? .null,
                            valid: t["valid"]?.boolValue ?? false))
                }
            }
        }
        return cases
    }

    static let required = load("draft2020-12", draft: .draft2020) + load("draft7", draft: .draft7)
    static let formats =
        load("draft2020-12/optional/format", draft: .draft2020) + load("draft7/optional/format", draft: .draft7)

    static let catalog: SchemaCatalog = {
        var c = SchemaCatalog()
        try? c.addFolder(Repository.fixture("json-schema-test-suite/remotes").path, baseURI: "http://localhost:1234/")
        return c
    }()

    /// Groups citycert does not run, each with its reason.
    static let skipped: [String: String] = [
        "2020-12/defs.json/validate definition against metaschema":
            "needs the official 2020-12 meta-schemas, which are not in the corpus; the $ref to them is a catalog miss (a clear compile error) by design",
        "2020-12/ref.json/remote ref, containing refs itself":
            "needs the official 2020-12 meta-schema (not in the corpus)",
        "draft-07/definitions.json/validate definition against metaschema":
            "needs the official draft-07 meta-schema (not in the corpus)",
        "draft-07/ref.json/remote ref, containing refs itself":
            "needs the official draft-07 meta-schema (not in the corpus)",
    ]

    func run(formatAssertion: Bool) throws -> Bool {
        var options = SchemaOptions()
        options.defaultDraft = draft
        options.formatAssertion = formatAssertion
        let compiled = try JSONSchema(document: schema, catalog: Self.catalog, options: options)
        let fast = compiled.isValid(data)
        let errors = compiled.validate(data)
        #expect(fast == errors.isEmpty, "fast path and full output disagree: \(errors)")
        // The tape path, when it decides, must give the tree validator's answer.
        if let tape = try tapeVerdict(compiled) {
            #expect(
                tape == fast, "tape path says \(tape ? "valid" : "invalid"), tree validator says \(fast ? "valid" : "invalid")")
        }
        return fast
    }

    /// The tape path's answer for this case's instance (nil when it does not decide).
    func tapeVerdict(_ compiled: JSONSchema) throws -> Bool? {
        var parser = JSONTapeParser()
        return compiled.isValid(tape: try parser.parse(Array(JSONSerializer.string(data).utf8)))
    }
}

@Suite struct JSONSchemaTestSuite {
    @Test func suiteIsLoaded() {
        #expect(SuiteCase.required.count == 927 + 1299)
        #expect(SuiteCase.formats.count == 676 + 764)
    }

    @Test(arguments: SuiteCase.required)
    func required(_ c: SuiteCase) throws {
        if let reason = SuiteCase.skipped[c.groupKey] {
            // Listed skip: `reason` says why; the compile must fail with a clear catalog error, not crash.
            #expect(throws: SchemaCompileError.self, "\(reason)") { try c.run(formatAssertion: false) }
            return
        }
        let valid = try c.run(formatAssertion: false)
        #expect(
            valid == c.valid,
            "expected \(c.valid ? "valid" : "invalid") for \(JSONSerializer.string(c.data)) against \(JSONSerializer.string(c.schema))"
        )
    }

    /// The tape path decides most cases (it leaves only the keywords it documents to the tree validator).
    @Test func tapePathDecidesMostCases() throws {
        var decided = 0
        var total = 0
        for c in SuiteCase.required where SuiteCase.skipped[c.groupKey] == nil {
            var options = SchemaOptions()
            options.defaultDraft = c.draft
            let compiled = try JSONSchema(document: c.schema, catalog: SuiteCase.catalog, options: options)
            total += 1
            if try c.tapeVerdict(compiled) != nil { decided += 1 }
        }
        print("tape path: decides \(decided) of \(total) suite cases")
        #expect(Double(decided) >= 0.8 * Double(total))
    }

    /// optional/format with format assertion on: at least 95% must pass (the issue's bar); every failure is printed.
    @Test func optionalFormatPassRate() throws {
        var failures: [String] = []
        for c in SuiteCase.formats {
            let ok = (try? c.run(formatAssertion: true)) == c.valid
            if !ok { failures.append(c.testDescription) }
        }
        let rate = Double(SuiteCase.formats.count - failures.count) / Double(SuiteCase.formats.count)
        print(
            "optional/format: \(SuiteCase.formats.count - failures.count)/\(SuiteCase.formats.count) pass (\(String(format: "%.1f", rate * 100))%)"
        )
        for f in failures { print("  format failure: \(f)") }
        #expect(rate >= 0.95)
    }
}
