import CityCertJSON

/// Every attribute name and the entity type of a JSON-LD entity are terms that its @context
/// defines, and every @context it references is one the profile ships (resolved offline).
struct JSONLDTermsDefined: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "jsonld/terms-defined",
        summary:
            "a JSON-LD entity's @context references only contexts the profile ships (resolved offline, never fetched), and they define its type and every attribute name as a term",
        reference:
            "JSON-LD 1.1 §3.1 (the context), §8 (properties not mapped to an IRI are ignored); ETSI GS CIM 009 §5.5.7 (@context)",
        parameters: [
            RuleParameter(
                "contexts", .file, required: true,
                "a JSON catalog {\"<context URL>\": \"<local file>\", …}; files are relative to the catalog, inside the profile's folder"
            )
        ],
        make: { p throws(RuleParameterError) in try JSONLDTermsDefined(p) })

    /// Terms defined by each known context URL.
    let terms: [String: Set<String>]

    init(_ p: RuleParameters) throws(RuleParameterError) {
        let (path, catalog) = try p.json("contexts")
        guard case .object(let entries) = catalog else {
            throw RuleParameterError("contexts", "\(path): a context catalog is an object of URL → file")
        }
        var terms: [String: Set<String>] = [:]
        for (url, file) in entries.uniqueEntries {
            guard case .string(let rel) = file else {
                throw RuleParameterError("contexts", "\(path): the file for \(url) is not a string")
            }
            let local = try RuleFiles.resolve(rel, nextTo: path, root: p.root, parameter: "contexts")
            let doc = try RuleFiles.readJSON(local, parameter: "contexts")
            terms[url] = Self.definedTerms(doc["@context"] ?? .null)
        }
        self.terms = terms
    }

    /// Terms of a context value (an object, or an array of objects; URLs inside a shipped
    /// context are not followed).
    static func definedTerms(_ context: JSONValue) -> Set<String> {
        switch context {
        case .object(let o): return Set(o.keys.filter { !$0.hasPrefix("@") })
        case .array(let a): return a.reduce(into: Set<String>()) { $0.formUnion(definedTerms($1)) }
        default: return []
        }
    }

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        guard case .object(let o) = root, let context = o["@context"] else { return }
        var defined = Set<String>()
        var entries: [(JSONPointer, JSONValue)] = []
        let base = JSONPointer.root.appending("@context")
        if case .array(let a) = context {
            entries = a.enumerated().map { (base.appending($0.offset), $0.element) }
        } else {
            entries = [(base, context)]
        }
        var complete = true
        for (pointer, entry) in entries {
            switch entry {
            case .string(let url):
                if let t = terms[url] {
                    defined.formUnion(t)
                } else {
                    complete = false
                    report(pointer, "the context \(url) is not one the profile ships, so its terms cannot be resolved offline")
                }
            case .object:
                defined.formUnion(Self.definedTerms(entry))
            default:
                complete = false
                report(pointer, "a @context entry is a URL or an object; found \(entry.typeName)")
            }
        }
        guard complete else { return }
        func isIRI(_ s: String) -> Bool { s.contains(":") }
        if case .string(let t)? = o["type"], !isIRI(t), !defined.contains(t) {
            report(JSONPointer.root.appending("type"), "the type '\(t)' is not a term of the @context")
        }
        for k in o.keys where !k.hasPrefix("@") && k != "id" && k != "type" && !isIRI(k) && !defined.contains(k) {
            report(JSONPointer.root.appending(k), "the attribute '\(k)' is not a term of the @context")
        }
    }
}
