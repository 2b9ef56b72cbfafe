import CityCertJSON
import CityCertJSONSchema
import Testing

/// Drafts the official suite copy in the corpus does not cover (2019-09, 06, 04): targeted cases
/// written from the specifications' own examples.
@Suite struct DraftTests {
    func schema(_ text: String, catalog: [String: String] = [:], draft: SchemaDraft = .draft2020) throws -> JSONSchema {
        var c = SchemaCatalog()
        for (uri, doc) in catalog { c.add(uri: uri, document: try JSONValue.parse(doc)) }
        var options = SchemaOptions()
        options.defaultDraft = draft
        return try JSONSchema(document: JSONValue.parse(text), catalog: c, options: options)
    }

    /// Draft 2019-09 §8.2.4.2: $recursiveRef extends a recursive schema (the "strict tree" example).
    @Test func recursiveRefExtendsTheTree() throws {
        let tree = """
            {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "https://example.com/tree", "$recursiveAnchor": true,
             "type": "object", "properties": {"data": true, "children": {"type": "array", "items": {"$recursiveRef": "#"}}}}
            """
        let strict = try schema(
            """
            {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "https://example.com/strict-tree", "$recursiveAnchor": true,
             "$ref": "tree", "unevaluatedProperties": false}
            """, catalog: ["https://example.com/tree": tree])
        #expect(strict.draft == .draft2019)
        #expect(strict.isValid(try JSONValue.parse(#"{"children": [{"data": 1, "children": []}]}"#)))
        #expect(!strict.isValid(try JSONValue.parse(#"{"children": [{"daat": 1}]}"#)), "misspelled member deep in the tree")
        #expect(!strict.isValid(try JSONValue.parse(#"{"daat": 1}"#)))
        // Without the anchor in the outer schema, the recursion stays in the plain tree.
        let loose = try schema(
            """
            {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "https://example.com/loose", "$ref": "tree", "unevaluatedProperties": false}
            """, catalog: ["https://example.com/tree": tree])
        #expect(loose.isValid(try JSONValue.parse(#"{"children": [{"daat": 1}]}"#)))
    }

    @Test func dependentSchemasAndMinContainsIn2019() throws {
        let s = try schema(
            """
            {"$schema": "https://json-schema.org/draft/2019-09/schema",
             "dependentSchemas": {"card": {"required": ["billing"]}},
             "properties": {"tags": {"contains": {"const": "a"}, "minContains": 2}}}
            """)
        #expect(s.isValid(try JSONValue.parse(#"{"card": 1, "billing": 2, "tags": ["a", "a"]}"#)))
        #expect(!s.isValid(try JSONValue.parse(#"{"card": 1}"#)))
        #expect(!s.isValid(try JSONValue.parse(#"{"tags": ["a", "b"]}"#)))
    }

    @Test func draft2019ItemsArrayFormAndAdditionalItems() throws {
        let s = try schema(
            #"{"$schema": "https://json-schema.org/draft/2019-09/schema", "items": [{"type": "integer"}], "additionalItems": false}"#
        )
        #expect(s.isValid(try JSONValue.parse("[1]")))
        #expect(!s.isValid(try JSONValue.parse("[1, 2]")))
        #expect(!s.isValid(try JSONValue.parse(#"["x"]"#)))
    }

    /// Draft 04 (OCPP 1.6): id, boolean exclusiveMaximum, and a $ref that overrides its siblings.
    @Test func draft04Semantics() throws {
        let s = try schema(
            """
            {"$schema": "http://json-schema.org/draft-04/schema#", "id": "http://example.com/root.json",
             "definitions": {"small": {"maximum": 10, "exclusiveMaximum": true}},
             "properties": {"n": {"$ref": "#/definitions/small", "type": "string"}}}
            """)
        #expect(s.draft == .draft4)
        #expect(s.isValid(try JSONValue.parse(#"{"n": 9}"#)), "$ref overrides the sibling type")
        #expect(!s.isValid(try JSONValue.parse(#"{"n": 10}"#)))
    }

    /// Draft 06 (OCPP security schemas): const, contains, propertyNames, numeric exclusiveMinimum.
    @Test func draft06Keywords() throws {
        let s = try schema(
            """
            {"$schema": "http://json-schema.org/draft-06/schema#", "$id": "urn:ocpp:test",
             "properties": {"v": {"const": 2}, "a": {"contains": {"type": "null"}}, "n": {"exclusiveMinimum": 0}},
             "propertyNames": {"maxLength": 3}}
            """)
        #expect(s.isValid(try JSONValue.parse(#"{"v": 2.0, "a": [1, null], "n": 0.5}"#)))
        #expect(!s.isValid(try JSONValue.parse(#"{"v": 3}"#)))
        #expect(!s.isValid(try JSONValue.parse(#"{"a": [1]}"#)))
        #expect(!s.isValid(try JSONValue.parse(#"{"n": 0}"#)))
        #expect(!s.isValid(try JSONValue.parse(#"{"long": 1}"#)))
    }

    @Test func unknownKeywordsAreIgnored() throws {
        let s = try schema(#"{"javaType": "Foo", "modelTags": "", "$schemaVersion": "0.1", "type": "object"}"#)
        #expect(s.isValid(try JSONValue.parse("{}")))
    }
}
