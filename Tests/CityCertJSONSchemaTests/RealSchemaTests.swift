import CityCertJSON
import CityCertJSONSchema
import CityCertTestSupport
import Foundation
import Testing

/// Every OCPP 1.6 / 2.0.1 schema and every Smart Data Models schema shipped in the domain profiles compiles (drafts 04, 06, 2020-12,
/// remote $refs through the offline catalog), and hostile patterns are bounded in time.
@Suite struct RealSchemaTests {
    static func files(_ folder: String, suffix: String) -> [String] {
        let root = Repository.fixture(folder).path
        return (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(suffix) }.map { folder + "/" + $0 }.sorted()
    }

    /// The OCPP 1.6 and 2.0.1 schemas shipped with the OCPP-J profiles.
    static let ocpp: [String] = ["ocpp/ocpp16-j/schemas", "ocpp/ocpp201-j/schemas"].flatMap { folder in
        (FileManager.default.enumerator(atPath: Repository.profile(folder).path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".json") }.map { folder + "/" + $0 }
    }.sorted()
    /// `<domain>/schemas/<Model>.schema.json` under Profiles/smart-data-models (the domain profiles, not
    /// the single-model air-quality example).
    static let smartDataModels: [String] = {
        let root = Repository.profile("smart-data-models").path
        return (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".schema.json") && !$0.hasPrefix("air-quality/") }.sorted()
    }()

    @Test func corpusIsShipped() {
        #expect(Self.ocpp.count == 78 + 128)
        #expect(Self.smartDataModels.count == 17)
    }

    @Test(arguments: ocpp)
    func ocppSchemaCompiles(_ relative: String) throws {
        let url = Repository.profile(relative)
        let doc = try JSONValue.parse(bytes: Repository.read(url))
        var options = SchemaOptions()
        options.defaultDraft = .draft6
        let schema = try JSONSchema(document: doc, uri: url.absoluteString, options: options)
        #expect([SchemaDraft.draft4, .draft6].contains(schema.draft))
    }

    @Test(arguments: smartDataModels)
    func smartDataModelSchemaCompiles(_ relative: String) throws {
        let url = Repository.profile("smart-data-models/" + relative)
        var catalog = SchemaCatalog()
        try catalog.addMappings(fromFile: url.deletingLastPathComponent().appendingPathComponent("catalog.json").path)
        let doc = try JSONValue.parse(bytes: Repository.read(url))
        let schema = try JSONSchema(document: doc, uri: url.absoluteString, catalog: catalog)
        #expect(schema.draft == .draft2020)
    }

    @Test func ocppMultipleOfUsesDecimalArithmetic() throws {
        let schema = try JSONSchema(document: JSONValue.parse(#"{"type": "number", "multipleOf": 0.1}"#))
        #expect(schema.isValid(try JSONValue.parse("0.3")))
        #expect(schema.isValid(try JSONValue.parse("12.7")))
        #expect(!schema.isValid(try JSONValue.parse("0.35")))
    }

    /// Member names are compared by code points, as JSON does: "é" (U+00E9) and "e" + U+0301 are
    /// different names, whatever the size of the object (linear search, signatures or hash index).
    @Test(arguments: [0, 20, 60]) func memberNamesCompareByCodePoints(padding: Int) throws {
        let pad = (0..<padding).map { #""p\#($0)": 0"# }
        func instance(_ key: String) throws -> JSONValue {
            try JSONValue.parse("{" + (pad + [#""\#(key)": 1"#]).joined(separator: ", ") + "}")
        }
        let composed = "\u{E9}"
        let decomposed = "e\u{301}"
        let closed = try JSONSchema(
            document: JSONValue.parse(
                #"{"properties": {"é": {"type": "integer"}}, "additionalProperties": {"type": "integer", "maximum": 0}}"#))
        #expect(closed.isValid(try instance(composed)))
        #expect(!closed.isValid(try instance(decomposed)), "the decomposed name is another, additional property")
        let required = try JSONSchema(document: JSONValue.parse(#"{"required": ["é"]}"#))
        #expect(required.isValid(try instance(composed)))
        #expect(!required.isValid(try instance(decomposed)))
        // Two names that Swift's String equality merges are two members, not a duplicate.
        let both = try JSONDocument(
            string: "{" + (pad + [#""\#(composed)": 1"#, #""\#(decomposed)": 2"#]).joined(separator: ", ") + "}")
        #expect(both.duplicateKeys.isEmpty)
        #expect(both.root[composed] == .int(1) && both.root[decomposed] == .int(2))
        #expect(both.root != (try instance(composed)))
    }

    @Test func catastrophicPatternIsBoundedAndReported() throws {
        var options = SchemaOptions()
        options.regexTimeLimit = 0.5
        // A lookahead keeps the pattern on the backtracking engine, where only the timer stops it.
        let hostile = JSONValue.string(String(repeating: "a", count: 50_000) + "!")
        for text in [#"{"pattern": "^(?=a)(a+)+$"}"#, #"{"not": {"pattern": "^(?=a)(a+)+$"}}"#] {
            let schema = try JSONSchema(document: JSONValue.parse(text), options: options)
            let start = ContinuousClock.now
            let errors = schema.validate(hostile)
            #expect(ContinuousClock.now - start < .seconds(20))
            // Not judged (a limit), under `not` too: it was "counted as not matching", which `not` turned
            // into a pass.
            #expect(errors.count == 1, "\(text)")
            #expect(errors.first?.keyword == "pattern")
            #expect(errors.first?.isLimit == true)
            #expect(!schema.isValid(hostile), "an undecided instance is never reported valid")
        }
    }

    /// A schema nested as deep as the parser allows (500 `not`s) compiles and validates, or, where the
    /// thread's stack is too small for that (a debug build's compile frames are large), is refused with a
    /// clear error: never a stack overflow.
    @Test func deeplyNestedSchemaIsCompiledOrRefused() throws {
        let doc = try JSONValue.parse(String(repeating: #"{"not": "#, count: 500) + "{}" + String(repeating: "}", count: 500))
        do {
            let schema = try JSONSchema(document: doc)
            #expect(schema.isValid(.null), "an even number of nots around {} accepts everything")
            #expect(schema.validate(.null).isEmpty)
        } catch let error as SchemaCompileError {
            #expect(error.message == "schema nested too deeply for the stack")
        }
    }

    @Test func remoteRefWithoutCatalogEntryIsAClearError() throws {
        let doc = try JSONValue.parse(
            #"{"$ref": "https://smart-data-models.github.io/data-models/common-schema.json#/definitions/GSMA-Commons"}"#)
        let error = #expect(throws: SchemaCompileError.self) { try JSONSchema(document: doc) }
        #expect(error?.message.contains("never fetches schemas from the network") == true)
    }

    @Test func localRefsStayInsideTheSchemaFolder() throws {
        let doc = try JSONValue.parse(#"{"$ref": "../../Package.swift"}"#)
        let folder = Repository.profile("smart-data-models/environment/schemas")
        let catalog = SchemaCatalog(fileRoot: folder.path)
        let error = #expect(throws: SchemaCompileError.self) {
            try JSONSchema(document: doc, uri: folder.appendingPathComponent("x.json").absoluteString, catalog: catalog)
        }
        #expect(error?.message.contains("leaves the schema folder") == true)
    }

    @Test func errorsAreLocatedInTheSource() throws {
        let text = "{\n  \"id\": 5,\n  \"n\": \"x\"\n}"
        let doc = try JSONDocument(string: text)
        let schema = try JSONSchema(
            document: JSONValue.parse(#"{"properties": {"id": {"type": "string"}, "n": {"type": "integer"}}}"#))
        let errors = schema.validate(doc.root)
        #expect(errors.map(\.instanceLocation.description) == ["/id", "/n"])
        #expect(errors.map(\.keywordLocation) == ["/properties/id/type", "/properties/n/type"])
        #expect(doc.location(of: errors[1].instanceLocation)?.description == "3:8")
    }
}
