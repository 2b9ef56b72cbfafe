import CityCertJSON
import CityCertTestSupport
import Foundation
import Testing

@testable import CityCertJSONSchema

/// The official meta-schemas built into citycert, and the checks they allow.
@Suite struct MetaSchemaTests {
    /// The embedded texts are the fixture files (regenerate with .ci/gen-metaschemas.py).
    @Test func embeddedMetaSchemasEqualTheFixtures() throws {
        #expect(MetaSchemaTexts.all.count == 19)
        for m in MetaSchemaTexts.all {
            let file = try String(
                contentsOf: Repository.fixture("json-schema-metaschemas/" + m.file), encoding: .utf8)
            #expect(m.text == file.trimmingCharacters(in: .newlines), "\(m.file) differs: run .ci/gen-metaschemas.py")
        }
    }

    /// Each draft's meta-schema is a valid schema of its own draft, and an obviously broken schema is not.
    @Test(arguments: SchemaDraft.allCases)
    func metaSchemasValidateThemselves(_ draft: SchemaDraft) throws {
        let uri = try #require(MetaSchemas.uris[draft])
        let doc = try #require(MetaSchemas.document(for: uri))
        #expect(MetaSchemas.check(doc, draft: draft).isEmpty)
        #expect(!MetaSchemas.check(.object(JSONObject([("type", .int(5))])), draft: draft).isEmpty)
    }

    /// A misspelt keyword that changes what validates is found, wherever a subschema sits; property names,
    /// enum values, extension members, misspelt annotations and ordinary names near a short keyword are
    /// left alone.
    @Test func misspeltKeywordsAreFound() throws {
        let schema = try JSONValue.parse(
            bytes: Array(
                """
                {"type": "object", "requird": ["a"], "comment": "OCPP 2.0.1 FINAL", "x-ngsi": {"type": "Property"},
                 "properties": {"requird": {"tpye": "string"}, "b": {"enum": [{"minimun": 1}]}},
                 "items": [{"ref": "#/$defs/x"}], "$defs": {"x": {"anyOf": [{"maxLenght": 3}]}}, "notes": "fine",
                 "note": 1, "when": 1, "dtype": 1, "_id": 1, "@id": 1, "defs": {}, "typeId": 1, "minimal": 1, "unit": 1}
                """.utf8))
        let found = MetaSchemas.misspellings(in: schema).map { "\($0.pointer) \($0.name)->\($0.keyword)" }
        #expect(
            found.sorted() == [
                "/$defs/x/anyOf/0/maxLenght maxLenght->maxLength", "/items/0/ref ref->$ref",
                "/properties/requird/tpye tpye->type", "/requird requird->required",
            ])
    }

    /// What a profile may name in schema_keywords / schema_ignore is exactly what the validator can report:
    /// a name it never reports (an applicator such as allOf) would make a schema check that cannot fail.
    @Test func keywordNamesAreWhatTheValidatorReports() throws {
        let source = try String(
            contentsOf: Repository.root.appendingPathComponent("Sources/CityCertJSONSchema/Validator.swift"), encoding: .utf8)
        var literal = Set<String>()
        for pattern in [#"fail\(\s*node,\s*"([^"]+)""#, #"keyword: "([^"]+)""#] {
            let regex = try NSRegularExpression(pattern: pattern)
            for m in regex.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                literal.insert(String(source[Range(m.range(at: 1), in: source)!]))
            }
        }
        // Names passed through a variable (`fail(node, name, …)`): the bounds and dependentRequired forms.
        let dynamic: Set<String> = [
            "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "dependentRequired", "dependencies",
        ]
        #expect(literal.isSubset(of: JSONSchema.keywordNames), "\(literal.subtracting(JSONSchema.keywordNames))")
        #expect(
            JSONSchema.keywordNames == literal.union(dynamic),
            "\(JSONSchema.keywordNames.symmetricDifference(literal.union(dynamic)))")
    }

    /// A `$ref` to an official meta-schema resolves offline (the suite's "validate definition against
    /// metaschema" groups, skipped before, run now).
    @Test func refToTheMetaSchemaResolves() throws {
        let schema = try JSONSchema(
            document: .object(JSONObject([("$ref", .string("https://json-schema.org/draft/2020-12/schema"))])))
        #expect(schema.isValid(.object(JSONObject([("type", .string("string"))]))))
        #expect(!schema.isValid(.object(JSONObject([("type", .int(1))]))))
    }
}
