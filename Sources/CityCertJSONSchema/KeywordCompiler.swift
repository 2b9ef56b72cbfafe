import CityCertJSON
import CityCertRegex

/// Compiles the keywords of one schema object, per its draft. This is the keyword registry: a keyword
/// not listed here is ignored (unknown keywords such as OCPP `javaType` are allowed by every draft).
struct KeywordCompiler {
    let compiler: SchemaCompiler
    let location: Location
    let object: JSONObject
    let info: SchemaCompiler.Info

    var draft: SchemaDraft { info.draft }

    func fail(_ keyword: String, _ message: String) -> SchemaCompileError {
        SchemaCompileError(message: "\(keyword): \(message)", location: compiler.place(location) + "/" + keyword)
    }

    func sub(_ tokens: String...) throws -> SchemaNode {
        try compiler.node(
            at: Location(document: location.document, pointer: JSONPointer(tokens: location.pointer.tokens + tokens)))
    }

    func nonNegativeInt(_ key: String) throws -> Int? {
        guard let v = object[key] else { return nil }
        guard case .number(let n) = v, n.isInteger, let i = n.int64, i >= 0 else {
            throw fail(key, "must be a non-negative integer")
        }
        return Int(min(i, Int64(Int.max)))
    }

    func number(_ key: String) throws -> JSONDecimal? {
        guard let v = object[key] else { return nil }
        guard case .number(let n) = v else { throw fail(key, "must be a number") }
        return n.decimal
    }

    func schemaArray(_ key: String) throws -> [SchemaNode]? {
        guard let v = object[key] else { return nil }
        guard case .array(let a) = v, !a.isEmpty || key == "prefixItems" || key == "items" else {
            throw fail(key, "must be a non-empty array of schemas")
        }
        return try a.indices.map { try sub(key, String($0)) }
    }

    func regex(_ pattern: String, _ key: String) throws -> BoundedRegex {
        guard let r = ECMARegex.compile(pattern) else {
            throw fail(key, "'\(pattern)' is not a valid ECMA-262 regular expression")
        }
        return r
    }

    func ref(_ key: String) throws -> RefTarget? {
        guard let v = object[key] else { return nil }
        guard let s = v.stringValue else { throw fail(key, "must be a string") }
        let uri = info.base.resolving(s)
        let target = RefTarget(uri: uri.description)
        compiler.pendingRefs.append((target, location))
        return target
    }

    func compile() throws -> [Keyword] {
        var out: [Keyword] = []
        let validation = info.validationVocabulary

        if draft.refOverridesSiblings, object["$ref"] != nil {
            return [.ref(try ref("$ref")!)]
        }
        if let t = try ref("$ref") { out.append(.ref(t)) }
        if draft == .draft2020, let t = try ref("$dynamicRef") {
            let fragment = URIReference(t.uri).fragment
            let anchor = fragment.flatMap { $0.isEmpty || $0.hasPrefix("/") ? nil : $0 }
            let isDynamic =
                anchor != nil
                && compiler.dynamicAnchorURIs.contains(URIReference(t.uri).withoutFragment.description + "#" + anchor!)
            out.append(.dynamicRef(t, anchor: isDynamic ? anchor : nil))
        }
        if draft == .draft2019, let t = try ref("$recursiveRef") { out.append(.recursiveRef(t)) }

        if validation {
            if let t = object["type"] {
                var names: [String] = []
                switch t {
                case .string(let s): names = [s]
                case .array(let a): names = a.compactMap(\.stringValue)
                default: throw fail("type", "must be a type name or an array of them")
                }
                let known: Set<String> = ["null", "boolean", "object", "array", "number", "integer", "string"]
                for n in names where !known.contains(n) { throw fail("type", "unknown type '\(n)'") }
                out.append(.type(TypeSet(names)))
            }
            if let e = object["enum"] {
                guard case .array(let a) = e else { throw fail("enum", "must be an array") }
                out.append(.enumeration(a))
            }
            if draft >= .draft6, let c = object["const"] { out.append(.constant(c)) }
            if let m = try number("multipleOf") {
                guard !m.negative, !m.isZero else { throw fail("multipleOf", "must be greater than 0") }
                out.append(.multipleOf(m))
            }
            if draft == .draft4 {
                if let m = try number("maximum") {
                    out.append(
                        .maximum(NumericBound(m), exclusive: object["exclusiveMaximum"]?.boolValue == true, name: "maximum"))
                }
                if let m = try number("minimum") {
                    out.append(
                        .minimum(NumericBound(m), exclusive: object["exclusiveMinimum"]?.boolValue == true, name: "minimum"))
                }
            } else {
                if let m = try number("maximum") { out.append(.maximum(NumericBound(m), exclusive: false, name: "maximum")) }
                if let m = try number("minimum") { out.append(.minimum(NumericBound(m), exclusive: false, name: "minimum")) }
                if let m = try number("exclusiveMaximum") {
                    out.append(.maximum(NumericBound(m), exclusive: true, name: "exclusiveMaximum"))
                }
                if let m = try number("exclusiveMinimum") {
                    out.append(.minimum(NumericBound(m), exclusive: true, name: "exclusiveMinimum"))
                }
            }
            if let n = try nonNegativeInt("maxLength") { out.append(.maxLength(n)) }
            if let n = try nonNegativeInt("minLength") { out.append(.minLength(n)) }
            if let p = object["pattern"] {
                guard let s = p.stringValue else { throw fail("pattern", "must be a string") }
                out.append(.pattern(try regex(s, "pattern")))
            }
            if let n = try nonNegativeInt("maxItems") { out.append(.maxItems(n)) }
            if let n = try nonNegativeInt("minItems") { out.append(.minItems(n)) }
            if object["uniqueItems"]?.boolValue == true { out.append(.uniqueItems) }
            if let n = try nonNegativeInt("maxProperties") { out.append(.maxProperties(n)) }
            if let n = try nonNegativeInt("minProperties") { out.append(.minProperties(n)) }
            if let r = object["required"] {
                guard case .array(let a) = r, a.allSatisfy({ $0.stringValue != nil }) else {
                    throw fail("required", "must be an array of strings")
                }
                if !a.isEmpty { out.append(.required(a.compactMap(\.stringValue).map { ($0, JSONObject.signature($0)) })) }
            }
            if draft >= .draft2019, case .object(let deps) = object["dependentRequired"] ?? .null {
                out.append(
                    .dependentRequired(
                        deps.map { ($0.key, $0.value.arrayValue?.compactMap(\.stringValue) ?? []) }, name: "dependentRequired"))
            }
        }
        if let f = object["format"]?.stringValue {
            out.append(.format(f, info.formatAssertion ? FormatRegistry.checker(for: f) : nil))
        }

        // Applicators: arrays.
        if draft >= .draft2020 {
            let prefix = try schemaArray("prefixItems") ?? []
            if !prefix.isEmpty { out.append(.prefixItems(prefix, name: "prefixItems")) }
            if object["items"] != nil { out.append(.itemsFrom(prefix.count, try sub("items"), name: "items")) }
        } else if let items = object["items"] {
            if case .array = items {
                let prefix = try schemaArray("items") ?? []
                out.append(.prefixItems(prefix, name: "items"))
                if object["additionalItems"] != nil {
                    out.append(.itemsFrom(prefix.count, try sub("additionalItems"), name: "additionalItems"))
                }
            } else {
                out.append(.itemsFrom(0, try sub("items"), name: "items"))
            }
        }
        if draft >= .draft6, object["contains"] != nil {
            var minC = 1
            var maxC: Int? = nil
            if draft >= .draft2019, validation {
                minC = try nonNegativeInt("minContains") ?? 1
                maxC = try nonNegativeInt("maxContains")
            }
            out.append(.contains(try sub("contains"), min: minC, max: maxC, countsAsEvaluated: draft >= .draft2020))
        }

        // Applicators: objects.
        var propertyNames: [String] = []
        var patterns: [BoundedRegex] = []
        if let p = object["properties"] {
            guard case .object(let props) = p else { throw fail("properties", "must be an object") }
            var compiled: [(String, SchemaNode)] = []
            for e in props.uniqueEntries {
                compiled.append((e.key, try sub("properties", e.key)))
                propertyNames.append(e.key)
            }
            out.append(.properties(compiled.map { ($0.0, JSONObject.signature($0.0), $0.1) }, NameTable(propertyNames)))
        }
        if let p = object["patternProperties"] {
            guard case .object(let props) = p else { throw fail("patternProperties", "must be an object") }
            var compiled: [(BoundedRegex, SchemaNode)] = []
            for e in props.uniqueEntries {
                let r = try regex(e.key, "patternProperties")
                patterns.append(r)
                compiled.append((r, try sub("patternProperties", e.key)))
            }
            out.append(.patternProperties(compiled))
        }
        if object["additionalProperties"] != nil {
            out.append(
                .additionalProperties(try sub("additionalProperties"), names: NameTable(propertyNames), patterns: patterns))
        }
        if draft <= .draft7, case .object(let deps) = object["dependencies"] ?? .null {
            var required: [(String, [String])] = []
            var schemas: [(String, SchemaNode)] = []
            for e in deps.uniqueEntries {
                if case .array(let a) = e.value {
                    if validation { required.append((e.key, a.compactMap(\.stringValue))) }
                } else {
                    schemas.append((e.key, try sub("dependencies", e.key)))
                }
            }
            if !required.isEmpty { out.append(.dependentRequired(required, name: "dependencies")) }
            if !schemas.isEmpty { out.append(.dependentSchemas(schemas, name: "dependencies")) }
        }
        if draft >= .draft2019, case .object(let deps) = object["dependentSchemas"] ?? .null {
            out.append(
                .dependentSchemas(
                    try deps.uniqueEntries.map { ($0.key, try sub("dependentSchemas", $0.key)) }, name: "dependentSchemas"))
        }
        if draft >= .draft6, object["propertyNames"] != nil { out.append(.propertyNames(try sub("propertyNames"))) }

        // Applicators: logic.
        if draft >= .draft7, object["if"] != nil {
            out.append(
                .ifThenElse(
                    try sub("if"), then: object["then"] != nil ? try sub("then") : nil,
                    else: object["else"] != nil ? try sub("else") : nil))
        }
        if let s = try schemaArray("allOf") { out.append(.allOf(s)) }
        if let s = try schemaArray("anyOf") { out.append(.anyOf(s)) }
        if let s = try schemaArray("oneOf") { out.append(.oneOf(s)) }
        if object["not"] != nil { out.append(.not(try sub("not"))) }

        if draft >= .draft2019 {
            if object["unevaluatedItems"] != nil { out.append(.unevaluatedItems(try sub("unevaluatedItems"))) }
            if object["unevaluatedProperties"] != nil { out.append(.unevaluatedProperties(try sub("unevaluatedProperties"))) }
        }
        return out.filter { !$0.runsLast } + out.filter(\.runsLast)
    }
}
