import CityCertJSON
import CityCertRegex

/// Options that change how schemas compile and validate.
public struct SchemaOptions: Sendable {
    /// The draft for schemas without `$schema`.
    public var defaultDraft: SchemaDraft = .draft2020
    /// Whether `format` asserts (fails invalid values) or only annotates, as the drafts default to.
    public var formatAssertion: Bool = false
    /// Time bound for one `pattern` match, in seconds.
    public var regexTimeLimit: Double = 1.0
    public init() {}
}

/// Builds compiled schema nodes from documents, resolving `$id`, anchors and references.
final class SchemaCompiler {
    struct Document {
        let value: JSONValue
        let uri: String
        let path: String?
    }

    struct Info {
        let base: URIReference
        let draft: SchemaDraft
        /// False when a custom meta-schema leaves the validation vocabulary out.
        let validationVocabulary: Bool
        let formatAssertion: Bool
    }

    var documents: [Document] = []
    var resources: [String: Location] = [:]
    var resourceObjects: [String: SchemaResource] = [:]
    var anchors: [String: Location] = [:]
    var dynamicAnchorURIs: Set<String> = []
    var infos: [Location: Info] = [:]
    var nodes: [Location: SchemaNode] = [:]
    var pendingRefs: [(RefTarget, Location)] = []
    let catalog: SchemaCatalog
    let options: SchemaOptions
    /// Indexing and compiling recurse with the schema's nesting (up to the parser's depth limit): past
    /// this stack address they stop with an error (`StackGuard`; a debug build's compile frames are large).
    let stackFloor = StackGuard.floor()

    init(catalog: SchemaCatalog, options: SchemaOptions) {
        self.catalog = catalog
        self.options = options
    }

    // MARK: Documents and indexing

    /// Adds a document, indexes its identifiers and returns its index.
    func addDocument(_ value: JSONValue, uri: String, path: String?) throws -> Int {
        let documentIndex = documents.count
        documents.append(Document(value: value, uri: uri, path: path))
        let base = URIReference(uri).withoutFragment
        let root = Location(document: documentIndex, pointer: .root)
        let (draft, vocab) = try draftOf(value, inherited: options.defaultDraft, at: root)
        register(resource: base.description, at: root)
        try index(value, at: root, base: base, draft: draft, validationVocabulary: vocab)
        return documentIndex
    }

    func register(resource uri: String, at location: Location) {
        if resources[uri] == nil { resources[uri] = location }
        if resourceObjects[uri] == nil { resourceObjects[uri] = SchemaResource(uri: uri, root: location) }
    }

    func place(_ location: Location) -> String {
        let d = documents[location.document]
        return (d.path ?? d.uri) + "#" + location.pointer.description
    }

    /// The draft a schema object declares through `$schema`, and whether its meta-schema enables validation.
    func draftOf(_ value: JSONValue, inherited: SchemaDraft, at location: Location) throws -> (SchemaDraft, Bool) {
        guard case .object(let o) = value, let meta = o["$schema"] else { return (inherited, true) }
        guard let uri = meta.stringValue else {
            throw SchemaCompileError(message: "$schema must be a string", location: place(location))
        }
        if let d = SchemaDraft(metaSchemaURI: uri) { return (d, true) }
        // The old "latest draft" URI (used by some Smart Data Models schemas): the draft in effect applies.
        if uri == "http://json-schema.org/schema#" || uri == "http://json-schema.org/schema" { return (inherited, true) }
        // A custom meta-schema: read its $vocabulary and the draft it is written in.
        guard let entry = try catalog.document(for: uri)?.document ?? documentByURI(uri) else {
            throw SchemaCompileError(
                message: "unknown meta-schema '\(uri)': not a JSON Schema draft and not in the schema catalog",
                location: place(location))
        }
        let metaDraft = entry["$schema"]?.stringValue.flatMap { SchemaDraft(metaSchemaURI: $0) } ?? inherited
        var validation = true
        if case .object(let vocab) = entry["$vocabulary"] ?? .null {
            validation = vocab.keys.contains { $0.hasSuffix("/vocab/validation") }
        }
        return (metaDraft, validation)
    }

    func documentByURI(_ uri: String) -> JSONValue? {
        guard let loc = resources[URIReference(uri).withoutFragment.description] else { return nil }
        return loc.pointer.resolve(in: documents[loc.document].value)
    }

    static let singleSchemaKeywords = [
        "additionalItems", "additionalProperties", "not", "items", "contains", "propertyNames", "if", "then", "else",
        "unevaluatedItems", "unevaluatedProperties", "contentSchema",
    ]
    static let arraySchemaKeywords = ["allOf", "anyOf", "oneOf", "items", "prefixItems"]
    static let mapSchemaKeywords = [
        "properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies",
    ]

    func index(_ value: JSONValue, at location: Location, base: URIReference, draft: SchemaDraft, validationVocabulary: Bool)
        throws
    {
        try checkStack(location)
        guard case .object(let o) = value else {
            infos[location] = Info(
                base: base, draft: draft, validationVocabulary: validationVocabulary, formatAssertion: options.formatAssertion)
            return
        }
        var draft = draft
        var vocab = validationVocabulary
        if o["$schema"] != nil { (draft, vocab) = try draftOf(value, inherited: draft, at: location) }
        var base = base
        let refOverrides = draft.refOverridesSiblings && o["$ref"] != nil
        if !refOverrides, let id = o[draft.idKeyword]?.stringValue {
            if draft <= .draft7, id.hasPrefix("#") {
                anchors[base.description + id] = location
            } else {
                let resolved = base.resolving(id)
                base = resolved.withoutFragment
                register(resource: base.description, at: location)
                if let f = resolved.fragment, !f.isEmpty, draft <= .draft7 {
                    anchors[base.description + "#" + f] = location
                }
            }
        }
        if draft >= .draft2019 {
            if let a = o["$anchor"]?.stringValue { anchors[base.description + "#" + a] = location }
            if let a = o["$dynamicAnchor"]?.stringValue, draft >= .draft2020 {
                let key = base.description + "#" + a
                anchors[key] = location
                dynamicAnchorURIs.insert(key)
                resourceObjects[base.description]?.dynamicAnchors[a] = location
            }
            if o["$recursiveAnchor"]?.boolValue == true, resources[base.description] == location {
                resourceObjects[base.description]?.recursiveAnchor = true
            }
        }
        infos[location] = Info(base: base, draft: draft, validationVocabulary: vocab, formatAssertion: options.formatAssertion)
        if refOverrides { return }
        for (key, child) in o {
            if Self.singleSchemaKeywords.contains(key), child.objectValue != nil || child.boolValue != nil {
                try index(
                    child, at: Location(document: location.document, pointer: location.pointer.appending(key)), base: base,
                    draft: draft, validationVocabulary: vocab)
            }
            if Self.arraySchemaKeywords.contains(key), case .array(let a) = child {
                for (i, c) in a.enumerated() {
                    try index(
                        c, at: Location(document: location.document, pointer: location.pointer.appending(key).appending(i)),
                        base: base, draft: draft, validationVocabulary: vocab)
                }
            }
            if Self.mapSchemaKeywords.contains(key), case .object(let m) = child {
                for (name, c) in m where c.objectValue != nil || c.boolValue != nil {
                    try index(
                        c, at: Location(document: location.document, pointer: location.pointer.appending(key).appending(name)),
                        base: base, draft: draft, validationVocabulary: vocab)
                }
            }
        }
    }

    /// The info of the nearest indexed ancestor (for `$ref`s pointing into unindexed places).
    func info(at location: Location) -> Info {
        var p: JSONPointer? = location.pointer
        while let current = p {
            if let i = infos[Location(document: location.document, pointer: current)] { return i }
            p = current.parent
        }
        return Info(
            base: URIReference(documents[location.document].uri), draft: options.defaultDraft, validationVocabulary: true,
            formatAssertion: options.formatAssertion)
    }

    // MARK: References

    /// Resolves an absolute URI (with optional fragment) to a schema location, loading catalog documents.
    func resolve(_ uri: URIReference, from: Location) throws -> Location {
        let baseKey = uri.withoutFragment.description
        if resources[baseKey] == nil {
            guard let entry = try catalog.document(for: baseKey) else {
                throw SchemaCompileError(
                    message:
                        "cannot resolve $ref '\(uri)': no schema with that URI is in the document or the schema catalog (citycert never fetches schemas from the network)",
                    location: place(from))
            }
            _ = try addDocument(entry.document, uri: baseKey, path: entry.path)
        }
        guard let resourceLoc = resources[baseKey] else {
            throw SchemaCompileError(message: "cannot resolve $ref '\(uri)'", location: place(from))
        }
        let fragment = uri.fragment ?? ""
        if fragment.isEmpty { return resourceLoc }
        if fragment.hasPrefix("/") {
            let decoded = fragment.removingPercentEncodingASCII
            guard let pointer = try? JSONPointer(parsing: decoded) else {
                throw SchemaCompileError(message: "invalid JSON pointer in $ref '\(uri)'", location: place(from))
            }
            let target = Location(
                document: resourceLoc.document, pointer: JSONPointer(tokens: resourceLoc.pointer.tokens + pointer.tokens))
            guard target.pointer.resolve(in: documents[target.document].value) != nil else {
                throw SchemaCompileError(message: "$ref '\(uri)' points at nothing", location: place(from))
            }
            return target
        }
        guard let anchored = anchors[baseKey + "#" + fragment] else {
            throw SchemaCompileError(message: "$ref '\(uri)': no anchor '\(fragment)' in \(baseKey)", location: place(from))
        }
        return anchored
    }

    /// Resolves every pending reference; targets compile on demand and may add further references.
    func link() throws {
        while let (target, from) = pendingRefs.popLast() {
            let loc = try resolve(URIReference(target.uri), from: from)
            target.node = try node(at: loc)
        }
    }

    /// Compiles the targets `$dynamicRef` and `$recursiveRef` may jump to at validation time.
    func compileDynamicTargets() throws {
        var done = Set<String>()
        while true {
            let todo = resourceObjects.values.filter {
                !done.contains($0.uri) && (!$0.dynamicAnchors.isEmpty || $0.recursiveAnchor)
            }
            if todo.isEmpty { return }
            for r in todo {
                done.insert(r.uri)
                for (name, loc) in r.dynamicAnchors { r.dynamicAnchorNodes[name] = try node(at: loc) }
                if r.recursiveAnchor { r.rootNode = try node(at: r.root) }
            }
            try link()
        }
    }

    // MARK: Nodes

    func node(at location: Location) throws -> SchemaNode {
        if let n = nodes[location] { return n }
        try checkStack(location)
        guard let value = location.pointer.resolve(in: documents[location.document].value) else {
            throw SchemaCompileError(message: "no schema at this location", location: place(location))
        }
        let info = self.info(at: location)
        let resourceURI = info.base.description
        if resourceObjects[resourceURI] == nil { register(resource: resourceURI, at: location) }
        let node = SchemaNode(
            resource: resourceObjects[resourceURI]!, absoluteLocation: resourceURI + "#" + location.pointer.description,
            draft: info.draft)
        nodes[location] = node
        switch value {
        case .bool(let b):
            node.constant = b
        case .object(let o):
            node.keywords = try KeywordCompiler(compiler: self, location: location, object: o, info: info).compile()
        default:
            throw SchemaCompileError(
                message: "a schema must be an object or a boolean, not \(value.typeName)", location: place(location))
        }
        return node
    }

    func checkStack(_ location: Location) throws {
        if StackGuard.position() < stackFloor {
            throw SchemaCompileError(message: "schema nested too deeply for the stack", location: place(location))
        }
    }

    func child(_ location: Location, _ tokens: String...) throws -> SchemaNode {
        try node(at: Location(document: location.document, pointer: JSONPointer(tokens: location.pointer.tokens + tokens)))
    }
}

extension String {
    /// Percent-decoding for URI fragments (JSON pointers in `$ref`).
    var removingPercentEncodingASCII: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var it = Array(utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%"), it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
