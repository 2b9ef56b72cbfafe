public import CityCertJSON

/// One validation failure (JSON Schema 2020-12 section 12 "basic" output unit).
public struct SchemaValidationError: Sendable, Hashable, CustomStringConvertible {
    /// Where in the instance.
    public let instanceLocation: JSONPointer
    /// The evaluation path through the schema, e.g. `/properties/a/type`.
    public let keywordLocation: String
    /// The keyword's absolute location: schema URI plus pointer.
    public let absoluteKeywordLocation: String
    /// The failing keyword.
    public let keyword: String
    public let message: String
    /// A limit of the validator (recursion depth, a `pattern` that ran out of time), not a fault of the
    /// instance: the instance was not judged, and the caller reports an error, never "invalid".
    public var isLimit = false

    public var description: String {
        "\(instanceLocation.description.isEmpty ? "/" : instanceLocation.description): \(message) [\(keywordLocation)]"
    }
}

/// A compiled JSON Schema: compile once, validate many instances, from any thread.
public final class JSONSchema: Sendable {
    /// The names a validation error's `keyword` can take, in any draft (4 to 2020-12; `false` for a false
    /// schema): what a profile may name in `schema_keywords` / `schema_ignore`. Applicators (`allOf`,
    /// `properties`, `items`, `if`, …) never carry an error themselves: their subschemas' keywords do, so
    /// naming one would filter out nothing, or everything. A test keeps this equal to what `Validator`
    /// emits.
    public static let keywordNames: Set<String> = [
        "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
        "minLength", "pattern", "format", "maxItems", "minItems", "uniqueItems", "contains", "maxContains", "maxProperties",
        "minProperties", "required", "dependentRequired", "dependencies", "additionalProperties", "anyOf", "oneOf", "not",
        "unevaluatedItems", "unevaluatedProperties", "$ref", "false",
    ]

    let root: SchemaNode
    public let draft: SchemaDraft
    /// Whether some subschema uses `unevaluated*`, so annotations must be tracked.
    let tracksAnnotations: Bool
    /// Whether some subschema has `$dynamicRef` or `$recursiveRef`, so the dynamic scope must be kept.
    let usesDynamicScope: Bool
    let regexTimeLimit: Double
    /// Every schema document the compile read (the root and what its `$ref`s reached), for checks such
    /// as `MetaSchemas.problems(of:)`.
    public let documents: [(uri: String, path: String?, value: JSONValue)]
    /// The schema flattened for `isValid(tape:)`; nil when the tape path never decides (annotations or
    /// the dynamic scope are needed).
    let program: TapeProgram?

    /// Compiles `document` (retrieved from `uri`, which is the base for relative references).
    public init(
        document: JSONValue, uri: String = "urn:citycert:schema", path: String? = nil, catalog: SchemaCatalog = SchemaCatalog(),
        options: SchemaOptions = SchemaOptions()
    ) throws {
        let compiler = SchemaCompiler(catalog: catalog, options: options)
        let index = try compiler.addDocument(document, uri: uri, path: path)
        root = try compiler.node(at: Location(document: index, pointer: .root))
        try compiler.link()
        try compiler.compileDynamicTargets()
        draft = root.draft
        tracksAnnotations = compiler.nodes.values.contains { n in n.keywords.contains(where: \.runsLast) }
        usesDynamicScope = compiler.nodes.values.contains { n in
            n.keywords.contains { k in
                switch k {
                case .dynamicRef, .recursiveRef: return true
                default: return false
                }
            }
        }
        regexTimeLimit = options.regexTimeLimit
        documents = compiler.documents.map { ($0.uri, $0.path, $0.value) }
        program = tracksAnnotations || usesDynamicScope ? nil : TapeProgram(root: root)
    }

    /// The fast boolean path: stops at the first failure and builds no messages.
    public func isValid(_ instance: JSONValue) -> Bool {
        var v = Validator(schema: self, collect: false)
        return v.evaluate(root, instance).valid && v.tooDeep == nil
    }

    /// The fast path over a parser's tape, without building the instance's tree: true or false when it
    /// decides, nil when it does not (duplicate member names, `unevaluated*`, `$dynamicRef`/`$recursiveRef`,
    /// a pattern match out of time). Its answers are the tree validator's; for nil, and for the errors of
    /// an invalid instance, build the `JSONDocument` and call `isValid` or `validate`.
    public func isValid(tape: JSONTape) -> Bool? {
        guard let program, !tape.hasDuplicateKeys else { return nil }
        return tape.withView { view in
            TapeValidator.with(program, view, regexTimeLimit: regexTimeLimit) { v in
                let valid = v.evaluate(0, 0)
                return v.undecided ? nil : valid
            }
        }
    }

    /// Every failure, with instance and keyword locations. Empty when valid.
    public func validate(_ instance: JSONValue) -> [SchemaValidationError] {
        var v = Validator(schema: self, collect: true)
        _ = v.evaluate(root, instance)
        // Past the recursion limit, that is the one error: the others were met on the way down.
        if let e = v.tooDeep { return [e] }
        return v.errors
    }
}
