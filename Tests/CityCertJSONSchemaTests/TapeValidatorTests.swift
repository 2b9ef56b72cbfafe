import CityCertJSON
import CityCertJSONSchema
import Testing

/// The fast path over a tape: it answers only where it gives the tree validator's answer (the official
/// suite checks every decided case in `JSONSchemaTestSuite`); these are the cases it must leave alone.
@Suite struct TapeValidatorTests {
    func compile(_ schema: String) throws -> JSONSchema {
        try JSONSchema(document: JSONValue.parse(schema))
    }

    func tapeVerdict(_ schema: JSONSchema, _ instance: String) throws -> Bool? {
        var parser = JSONTapeParser()
        return schema.isValid(tape: try parser.parse(Array(instance.utf8)))
    }

    /// With a name twice, the tree keeps the last value; the tape path does not decide. Under `not`, checking
    /// every occurrence would turn an invalid instance valid.
    @Test func duplicateNamesGoToTheTree() throws {
        let s = try compile(#"{"not": {"properties": {"a": {"type": "string"}}}}"#)
        let instance = #"{"a": 1, "a": "x"}"#
        #expect(try tapeVerdict(s, instance) == nil)
        #expect(!s.isValid(try JSONValue.parse(instance)), "the last 'a' is a string, so the 'not' fails")
        #expect(try tapeVerdict(s, #"{"a": 1}"#) == true)
        #expect(try tapeVerdict(s, #"{"a": "x"}"#) == false)
    }

    @Test func annotationsAndDynamicReferencesGoToTheTree() throws {
        let unevaluated = try compile(#"{"properties": {"a": true}, "unevaluatedProperties": false}"#)
        #expect(try tapeVerdict(unevaluated, #"{"a": 1}"#) == nil)
        let dynamic = try compile(##"{"$dynamicAnchor": "x", "items": {"$dynamicRef": "#x"}}"##)
        #expect(try tapeVerdict(dynamic, "[[1]]") == nil)
    }

    /// Keywords whose values the tape holds in place: exact numbers, names compared by code points,
    /// strings measured in code points, patterns on the linear automaton and on ICU.
    @Test func decidesFromTheTapeAsTheTreeDoes() throws {
        let cases: [(schema: String, instance: String)] = [
            (#"{"type": "integer"}"#, "1.0"),
            (#"{"type": "integer"}"#, "1.0000000000000000001"),
            (#"{"type": "integer"}"#, "1e400"),
            (#"{"maximum": 0.3}"#, "0.30000000000000001"),
            (#"{"exclusiveMaximum": 0.3}"#, "0.3"),
            (#"{"multipleOf": 0.1}"#, "0.3"),
            (#"{"enum": ["é", 1, [1, {"a": null}]]}"#, #""e\u0301""#),
            (#"{"enum": ["é", 1, [1, {"a": null}]]}"#, #""\u00e9""#),
            (#"{"enum": ["é", 1, [1, {"a": null}]]}"#, "1.0"),
            (#"{"enum": ["é", 1, [1, {"a": null}]]}"#, #"[1, {"a": null}]"#),
            (#"{"maxLength": 2}"#, #""é😀""#),
            (#"{"minLength": 3}"#, #""é😀""#),
            (#"{"properties": {"é": {"type": "string"}}, "additionalProperties": false}"#, #"{"e\u0301": "x"}"#),
            (#"{"properties": {"é": {"type": "string"}}, "additionalProperties": false}"#, #"{"\u00e9": "x"}"#),
            (#"{"required": ["a\u0000b"]}"#, #"{"a\u0000b": 1}"#),
            (#"{"propertyNames": {"pattern": "^[a-z]+$"}}"#, #"{"abc": 1, "aBc": 2}"#),
            (#"{"patternProperties": {"^x(?=y)": {"type": "number"}}}"#, #"{"xy": "no"}"#),
            (#"{"uniqueItems": true}"#, "[1, 1.0]"),
            (#"{"uniqueItems": true}"#, #"[{"a": 1, "b": 2}, {"b": 2, "a": 1}]"#),
            (#"{"contains": {"type": "string"}, "maxContains": 1}"#, #"["a", 1, "b"]"#),
            (#"{"prefixItems": [{"type": "string"}], "items": {"type": "number"}}"#, #"["a", 1, "b"]"#),
            (#"{"oneOf": [{"type": "number"}, {"minimum": 0}]}"#, "5"),
            (#"{"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "null"}}"#, "null"),
            (#"{"dependentRequired": {"a": ["b"]}}"#, #"{"a": 1}"#),
            // String members of an enum are looked up by their bytes; the others compared as JSON.
            (#"{"enum": ["", "ab", "abcdefghijkl", "ab", null, 2]}"#, #""""#),
            (#"{"enum": ["", "ab", "abcdefghijkl", "ab", null, 2]}"#, #""abcdefghijkl""#),
            (#"{"enum": ["", "ab", "abcdefghijkl", "ab", null, 2]}"#, #""abcdefgh\u0069jkl""#),
            (#"{"enum": ["", "ab", "abcdefghijkl", "ab", null, 2]}"#, #""abcdefghijkm""#),
            (#"{"enum": ["", "ab", "abcdefghijkl", "ab", null, 2]}"#, #""ba""#),
            (#"{"enum": ["", "ab", "abcdefghijkl", "ab", null, 2]}"#, "2.0"),
            (#"{"enum": ["", "ab", "abcdefghijkl", "ab", null, 2]}"#, "false"),
            (#"{"enum": ["2", "null"]}"#, "2"),
            // Required names of every length class, found by escaped keys, missed by a same-signature key.
            (#"{"required": ["", "ab", "dateObserved"]}"#, #"{"": 0, "ab": 1, "date\u004fbserved": 2}"#),
            (#"{"required": ["", "ab", "dateObserved"]}"#, #"{"": 0, "ab": 1, "dateModified": 2}"#),
            (#"{"required": ["", "ab"]}"#, #"{"ab": 1}"#),
            // Bounds: doubles that differ decide in place, equal doubles compare exactly.
            (#"{"minimum": 5}"#, "4.9999999999999999999"),
            (#"{"minimum": 5}"#, "5.0000000000000000001"),
            (#"{"maximum": 5}"#, "5.0000000000000000001"),
            (#"{"exclusiveMinimum": 0}"#, "1e-400"),
            (#"{"exclusiveMinimum": 0}"#, "-0.0"),
            (#"{"minimum": -1e400, "maximum": 1e400}"#, "1e401"),
            (#"{"minimum": 0, "maximum": 1}"#, #""x""#),
        ]
        for c in cases {
            let s = try compile(c.schema)
            let tree = s.isValid(try JSONValue.parse(c.instance))
            #expect(try tapeVerdict(s, c.instance) == tree, "\(c.schema) with \(c.instance)")
        }
    }

    /// A schema that is only a `$ref` is evaluated as its target; a cycle of such schemas, or a reference
    /// back to an enclosing schema on the same instance, is left to the tree validator (it never ends
    /// on the tape path: the depth limit stops it).
    @Test func referencesAreFollowedAndCyclesLeftAlone() throws {
        let chain = try compile(
            ##"{"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"type": "string"}}}"##)
        #expect(try tapeVerdict(chain, #""x""#) == true)
        #expect(try tapeVerdict(chain, "1") == false)
        let list = try compile(##"{"items": {"$ref": "#/definitions/n"}, "definitions": {"n": {"minimum": 2}}}"##)
        #expect(try tapeVerdict(list, "[2, 3]") == true)
        #expect(try tapeVerdict(list, "[2, 1]") == false)
        let cycle = try compile(
            ##"{"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}}"##
        )
        #expect(try tapeVerdict(cycle, "1") == nil)
        let loop = try compile(##"{"allOf": [{"$ref": "#"}]}"##)
        #expect(try tapeVerdict(loop, "1") == nil)
        // The tree validator then stops with an error (at 4,096 levels, or sooner where the stack is
        // smaller: a debug build's frames are large), never a stack overflow.
        for schema in [cycle, loop] {
            let errors = schema.validate(JSONValue.number(JSONNumber(lexeme: "1")))
            #expect(errors.count == 1 && errors[0].message.hasPrefix("schema recursion deeper than"), "\(errors)")
            #expect(!schema.isValid(JSONValue.number(JSONNumber(lexeme: "1"))))
        }
        // Met under `not` (or in a branch whose errors are not kept), the limit still makes the instance
        // invalid with its error: a limit never turns a verdict around.
        let negated = try compile(##"{"not": {"not": {"$ref": "#"}}}"##)
        #expect(!negated.isValid(JSONValue.number(JSONNumber(lexeme: "1"))))
        #expect(try tapeVerdict(negated, "1") == nil)
        let negatedErrors = negated.validate(JSONValue.number(JSONNumber(lexeme: "1")))
        #expect(negatedErrors.count == 1 && negatedErrors[0].message.hasPrefix("schema recursion deeper than"))
        let branch = try compile(##"{"anyOf": [{"$ref": "#"}, true]}"##)
        #expect(!branch.isValid(JSONValue.number(JSONNumber(lexeme: "1"))))
        // A chain of 4,100 schemas that are only a `$ref`: past the limit for both paths alike.
        var definitions: [String] = []
        for k in 1...4_100 { definitions.append(##""d\##(k)": {"$ref": "#/definitions/d\##(k + 1)"}"##) }
        definitions.append(#""d4101": {"type": "string"}"#)
        let chain4100 = try compile(
            ##"{"$ref": "#/definitions/d1", "definitions": {"## + definitions.joined(separator: ", ") + "}}")
        #expect(try tapeVerdict(chain4100, #""x""#) != true)
        #expect(!chain4100.isValid(JSONValue.string("x")))
    }

    /// A name's signature keeps its length modulo 2^16 only: a 65,537-byte name and "a" share one, and
    /// must still be told apart (by the tape path and by the tree validator's additionalProperties).
    @Test func namesWithTheSameSignatureStayApart() throws {
        let long = "a" + String(repeating: "x", count: 65_535) + "a"
        let s = try compile(#"{"properties": {""# + long + #"": true, "a": false}}"#)
        #expect(!s.isValid(try JSONValue.parse(#"{"a": 1}"#)))
        #expect(try tapeVerdict(s, #"{"a": 1}"#) == false)
        let closed = try compile(#"{"properties": {""# + long + #"": true}, "additionalProperties": false}"#)
        #expect(!closed.isValid(try JSONValue.parse(#"{"a": 1}"#)))
        #expect(try tapeVerdict(closed, #"{"a": 1}"#) == false)
        // An instance name longer than any schema name, with the same signature, is not read past.
        let short = try compile(#"{"properties": {"ab": false}}"#)
        #expect(try tapeVerdict(short, #"{""# + "a" + String(repeating: "z", count: 65_536) + "b" + #"": 1}"#) == true)
    }
}
