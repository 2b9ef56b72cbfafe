import CityCertCore
import CityCertJSON
import CityCertJSONSchema
import CityCertRules
import Foundation

/// `model:` in a profile: the requirements for one data model, generated from its JSON Schema, so
/// that a model citycert does not ship is checked with a three-line profile:
///
///     citycert: 1
///     model: schemas/MyModel.schema.json        # or {schema: …, type: MyModel}
///     catalog: schemas/catalog.json             # remote $refs → local files
///
/// Generated: the keyValues entity and the keyValues projection of each normalized / JSON-LD
/// representation are valid against the schema (MUST), formats (SHOULD), and the representations of
/// one entity agree (SHOULD).
struct ModelShorthand {
    let type: String
    let schemaFile: String
    let standardName: String
    let standardVersion: String
    let requirements: [Requirement]
    let mark: SourceMark
}

extension Builder {
    func modelShorthand(_ node: YNode) throws -> ModelShorthand {
        var schemaNode = node
        var typeName: String?
        if node.isMapping {
            let m = try node.mapping("model", allowed: ["schema", "type"])
            schemaNode = try m.required("schema")
            typeName = try m["type"]?.string("model.type")
        }
        let rel = try schemaNode.string("model.schema")
        let full = try sandboxed(rel, at: schemaNode)
        var options = schemaOptions
        options.formatAssertion = true
        let (document, named) = try schemaFile(full, fileNode: schemaNode, schemaNode: schemaNode, name: rel, options: options)
        guard let type = typeName ?? Self.entityType(in: document) else {
            throw node.error(
                "cannot tell the entity type from \(rel) (no properties.type.enum with one value)",
                hint: "name it: model: {schema: \(rel), type: MyModel}")
        }
        let fileName = URL(fileURLWithPath: full).lastPathComponent
        let version = document["$schemaVersion"]?.stringValue ?? "unversioned"
        let clause = "\(type) JSON Schema \(fileName)" + (document["$id"]?.stringValue.map { " (\($0))" } ?? "") + " \(version)"
        let quote = document["required"].map { "\"required\": " + JSONSerializer.string($0) }
        let files = ["**/*.json", "**/*.jsonld", "**/*.jsonl", "**/*.ndjson"]
        let prefix = type.uppercased()
        let mark = node.mark
        func data(_ name: String, _ reps: Set<EntityRepresentation>, project: Bool, keywords: Set<String>?, ignore: Set<String>)
            -> Check
        {
            .data(
                DataCheck(
                    name: name, files: files, format: .auto, select: [.model([type]), .representation(reps)],
                    projectKeyValues: project, schema: named, schemaKeywords: keywords, schemaIgnore: ignore, assertions: [],
                    rules: [], duplicateKeys: .passed, mark: mark))
        }
        var reqs: [Requirement] = []
        let forms: [(String, EntityRepresentation, String)] = [
            ("KV", .keyValues, "keyValues"), ("LDKV", .ldKeyValues, "NGSI-LD keyValues with @context"),
            ("LDN", .ldNormalized, "NGSI-LD normalized"), ("V2N", .v2Normalized, "NGSI-v2 normalized"),
            ("GEO", .geoJSON, "a GeoJSON Feature"),
        ]
        for (code, rep, label) in forms {
            reqs.append(
                Requirement(
                    id: "\(prefix)-\(code)-001", title: "\(type) in \(label) is valid against \(fileName) (structure)",
                    clause: clause + (rep == .keyValues ? "" : "; validated on the keyValues projection"), url: nil,
                    quote: quote, level: .must, tags: [rep.rawValue, "schema", type], needs: [],
                    checks: [
                        data(
                            "\(rep.rawValue) schema structure", [rep], project: rep != .keyValues, keywords: nil,
                            ignore: ["format"])
                    ],
                    mark: mark))
        }
        reqs.append(
            Requirement(
                id: "\(prefix)-FMT-001", title: "\(type) formatted attributes follow their declared format",
                clause: "JSON Schema 2020-12 Validation §7.2.1 (format as annotation; assertion is optional)",
                url: "https://json-schema.org/draft/2020-12/json-schema-validation#section-7.2.1",
                quote:
                    "The implementation MUST provide options to enable and disable such evaluation and MUST be disabled by default.",
                level: .should, tags: ["format", type], needs: [],
                checks: [
                    data(
                        "schema formats", [.keyValues, .ldKeyValues, .ldNormalized, .v2Normalized, .geoJSON], project: true,
                        keywords: ["format"],
                        ignore: [])
                ], mark: mark))
        let agree = RuleRegistry.descriptor("ngsi/representations-agree")!
        reqs.append(
            Requirement(
                id: "\(prefix)-AGREE-001",
                title: "The representations of one \(type) entity (same id) carry the same attributes and values",
                clause: "ETSI GS CIM 009 V1.9.1 §4.5.4 (simplified representation)", url: nil,
                quote:
                    "For each Property a member whose key is the Property name (a term) and whose value is the Property Value.",
                level: .should, tags: ["representations", type], needs: [],
                checks: [
                    .data(
                        DataCheck(
                            name: "representations agree", files: files, format: .auto, select: [.model([type])],
                            projectKeyValues: false, schema: nil, schemaKeywords: nil, schemaIgnore: [], assertions: [],
                            rules: [RuleReference(id: agree.id, rule: try agree.make(RuleParameters()))], duplicateKeys: .passed,
                            mark: mark))
                ], mark: mark))
        return ModelShorthand(
            type: type, schemaFile: rel, standardName: document["title"]?.stringValue ?? "\(type) data model",
            standardVersion: version, requirements: reqs, mark: mark)
    }

    /// The single value of a `type` property's `enum` (or `const`), searched through allOf/anyOf/oneOf.
    static func entityType(in schema: JSONValue, depth: Int = 0) -> String? {
        guard depth < 8, case .object(let o) = schema else { return nil }
        if let t = o["properties"]?["type"] {
            if case .array(let e)? = t["enum"], e.count == 1, let s = e[0].stringValue { return s }
            if let s = t["const"]?.stringValue { return s }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for sub in o[key]?.arrayValue ?? [] {
                if let s = entityType(in: sub, depth: depth + 1) { return s }
            }
        }
        return nil
    }
}
