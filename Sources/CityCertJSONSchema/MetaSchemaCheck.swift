public import CityCertJSON

/// The official meta-schemas (drafts 4, 6, 7, 2019-09, 2020-12, embedded from MetaSchemas.swift): a `$ref`
/// to one resolves offline, and a schema can be checked against its draft's meta-schema before it is used.
public enum MetaSchemas {
    /// The parsed meta-schemas by URI (fragment removed).
    static let documents: [String: JSONValue] = {
        var out: [String: JSONValue] = [:]
        for m in MetaSchemaTexts.all {
            // The texts are fixed and tested: a parse failure is a build defect.
            guard let doc = try? JSONDocument(bytes: Array(m.text.utf8)) else { preconditionFailure("meta-schema \(m.file)") }
            out[SchemaCatalog.key(m.uri)] = doc.root
        }
        return out
    }()

    /// The meta-schema (or vocabulary meta-schema) published at `uri`, if it is one of the official ones.
    public static func document(for uri: String) -> JSONValue? { documents[SchemaCatalog.key(uri)] }

    static let uris: [SchemaDraft: String] = [
        .draft4: "http://json-schema.org/draft-04/schema#", .draft6: "http://json-schema.org/draft-06/schema#",
        .draft7: "http://json-schema.org/draft-07/schema#", .draft2019: "https://json-schema.org/draft/2019-09/schema",
        .draft2020: "https://json-schema.org/draft/2020-12/schema",
    ]

    static let compiled: [SchemaDraft: JSONSchema] = {
        var out: [SchemaDraft: JSONSchema] = [:]
        for (draft, uri) in uris {
            guard let doc = document(for: uri), let schema = try? JSONSchema(document: doc, uri: uri) else {
                preconditionFailure("meta-schema \(uri) does not compile")
            }
            out[draft] = schema
        }
        return out
    }()

    /// The draft a schema document is written in: its `$schema` when that names a draft, else `fallback`.
    public static func draft(of document: JSONValue, fallback: SchemaDraft) -> SchemaDraft {
        document["$schema"]?.stringValue.flatMap { SchemaDraft(metaSchemaURI: $0) } ?? fallback
    }

    /// Where `document` breaks its draft's meta-schema (empty when it is a valid schema of that draft).
    public static func check(_ document: JSONValue, draft: SchemaDraft) -> [SchemaValidationError] {
        compiled[draft]?.validate(document) ?? []
    }

    /// A schema document that is not a valid schema of its draft, or holds a misspelt keyword.
    public struct Problem: Sendable {
        public let uri: String
        /// The file the document was read from (nil for an inline schema).
        public let path: String?
        /// Where in that document.
        public let pointer: JSONPointer
        public let message: String
    }

    /// The problems of every document a compiled schema read (the official meta-schemas a `$ref` reached
    /// are not checked): each is checked against its draft's meta-schema (`fallback` for a document
    /// whose `$schema` names no draft), and for misspelt keywords.
    public static func problems(of schema: JSONSchema, fallback: SchemaDraft) -> [Problem] {
        var out: [Problem] = []
        var seen = Set<String>()
        for d in schema.documents where document(for: d.uri) == nil && seen.insert(d.uri).inserted {
            // A custom meta-schema says itself what is valid: its document is not checked against a draft's.
            if let meta = d.value["$schema"]?.stringValue, SchemaDraft(metaSchemaURI: meta) == nil,
                !["http://json-schema.org/schema#", "http://json-schema.org/schema"].contains(meta)
            {
                continue
            }
            let draft = draft(of: d.value, fallback: fallback)
            for e in check(d.value, draft: draft) {
                out.append(
                    Problem(
                        uri: d.uri, path: d.path, pointer: e.instanceLocation,
                        message: "not a valid \(draft.rawValue) schema: \(e.message) (meta-schema \(e.keywordLocation))"))
            }
            for m in misspellings(in: d.value) {
                out.append(
                    Problem(
                        uri: d.uri, path: d.path, pointer: m.pointer,
                        message: "'\(m.name)' is not a JSON Schema keyword (did you mean '\(m.keyword)'?); validators ignore it"))
            }
        }
        return out
    }

    /// Every keyword of every draft: a member of a schema object that is none of these is an annotation
    /// the validators ignore.
    public static let keywords: Set<String> = [
        "$schema", "$id", "id", "$ref", "$comment", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef",
        "$recursiveAnchor", "$vocabulary", "$defs", "definitions", "title", "description", "default", "examples", "deprecated",
        "readOnly", "writeOnly", "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
        "exclusiveMinimum", "maxLength", "minLength", "pattern", "format", "items", "additionalItems", "prefixItems", "maxItems",
        "minItems", "uniqueItems", "contains", "maxContains", "minContains", "maxProperties", "minProperties", "required",
        "properties", "patternProperties", "additionalProperties", "dependencies", "dependentRequired", "dependentSchemas",
        "propertyNames", "if", "then", "else", "allOf", "anyOf", "oneOf", "not", "unevaluatedItems", "unevaluatedProperties",
        "contentMediaType", "contentEncoding", "contentSchema",
    ]

    /// The keywords that change what validates (assertions, applicators, references and the identifiers
    /// references resolve through); a misspelt annotation (`comment` for `$comment`, as the OCPP 2.0.1
    /// schemas write it) changes nothing and is not reported.
    static let validating: Set<String> = JSONSchema.keywordNames.subtracting(["false"]).union([
        "$defs", "definitions", "$id", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "items", "additionalItems",
        "prefixItems", "minContains", "properties", "patternProperties", "dependentSchemas", "propertyNames", "if", "then",
        "else", "allOf", "$dynamicRef", "$recursiveRef",
    ])

    /// A member of a schema object that is no keyword but one edit away from a keyword that changes what
    /// validates (an insertion, a deletion, a substitution or a swap of two neighbours), starting with the
    /// same letter, both four letters or more; or a reference keyword without its `$` (`ref`). Every
    /// validator ignores such a member, switching its check off (`requird`, `minimun`, `tpye`, `maxLenght`,
    /// `ref`). Ordinary names near a short keyword (`note`, `when`, `dtype`, `_id`) are left alone.
    public struct Misspelling: Sendable, Equatable {
        public let pointer: JSONPointer
        public let name: String
        public let keyword: String
    }

    static let unprefixedReferences: [String: String] = [
        "ref": "$ref", "dynamicRef": "$dynamicRef", "recursiveRef": "$recursiveRef",
    ]

    public static func misspellings(in document: JSONValue) -> [Misspelling] {
        var out: [Misspelling] = []
        walk(document, at: .root) { pointer, name in
            guard !keywords.contains(name), !name.hasPrefix("x-") else { return }
            if let k = unprefixedReferences[name] {
                out.append(Misspelling(pointer: pointer.appending(name), name: name, keyword: k))
                return
            }
            guard name.unicodeScalars.count >= 4 else { return }
            let candidates = validating.filter { k in
                k.unicodeScalars.count >= 4 && k.unicodeScalars.first == name.unicodeScalars.first
                    && osaDistance(name, k, limit: 1) == 1
            }
            if let k = candidates.min() { out.append(Misspelling(pointer: pointer.appending(name), name: name, keyword: k)) }
        }
        return out
    }

    /// Keywords whose value is a schema, a list of schemas, or a map of names to schemas.
    static let schemaValued: Set<String> = [
        "not", "if", "then", "else", "contains", "additionalProperties", "additionalItems", "propertyNames",
        "unevaluatedItems", "unevaluatedProperties", "contentSchema", "items",
    ]
    static let schemaLists: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems", "items"]
    static let schemaMaps: Set<String> = [
        "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies",
    ]

    /// Calls `visit` for every member name of every schema object (property names and values of `enum`,
    /// `const`, `default` and `examples` are not schemas and are not visited).
    static func walk(_ value: JSONValue, at pointer: JSONPointer, depth: Int = 0, _ visit: (JSONPointer, String) -> Void) {
        guard depth < 512, case .object(let o) = value else { return }
        for e in o {
            visit(pointer, e.key)
            let here = pointer.appending(e.key)
            if schemaValued.contains(e.key), case .object = e.value { walk(e.value, at: here, depth: depth + 1, visit) }
            if schemaLists.contains(e.key), case .array(let items) = e.value {
                for (i, item) in items.enumerated() { walk(item, at: here.appending(String(i)), depth: depth + 1, visit) }
            }
            if schemaMaps.contains(e.key), case .object(let m) = e.value {
                for s in m where s.value.objectValue != nil {
                    walk(s.value, at: here.appending(s.key), depth: depth + 1, visit)
                }
            }
        }
    }

    /// Optimal string alignment distance (insertions, deletions, substitutions, adjacent swaps), giving up
    /// past `limit`.
    static func osaDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let x = Array(a.unicodeScalars)
        let y = Array(b.unicodeScalars)
        if abs(x.count - y.count) > limit { return limit + 1 }
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }
}
