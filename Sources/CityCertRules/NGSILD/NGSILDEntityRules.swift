import CityCertJSON

/// The entity has an `id` that is a URI and a `type` (a name, or an array of names).
struct NGSILDEntityIDType: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "ngsi-ld/entity-id-type",
        summary: "an NGSI-LD entity has an \"id\" that is a URI and a \"type\" that is a name or an array of names",
        reference: "ETSI GS CIM 009 §4.5.1, §5.2.4", make: { _ in NGSILDEntityIDType() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        guard case .object(let e) = root else {
            report(.root, "an entity is a JSON object; found \(root.typeName)")
            return
        }
        switch e["id"] {
        case nil: report(.root, "the entity has no \"id\"")
        case .string(let s)?:
            if !NGSILD.isURI(s) { report(JSONPointer.root.appending("id"), "the id '\(s)' is not a URI") }
        case let v?: report(JSONPointer.root.appending("id"), "the id is \(v.typeName), not a URI string")
        }
        switch e["type"] {
        case nil: report(.root, "the entity has no \"type\"")
        case .string(let s)?:
            if s.isEmpty { report(JSONPointer.root.appending("type"), "the type is empty") }
        case .array(let a)?:
            if a.isEmpty || !a.allSatisfy({ ($0.stringValue ?? "").isEmpty == false }) {
                report(JSONPointer.root.appending("type"), "an array type holds one or more type names")
            }
        case let v?: report(JSONPointer.root.appending("type"), "the type is \(v.typeName), not a name")
        }
    }
}

/// Property has value, Relationship has object (URIs), GeoProperty's value is a geometry, and the
/// other attribute types carry their own value member; no member is null.
struct NGSILDAttributeShape: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "ngsi-ld/attribute-shape",
        summary:
            "each normalized attribute carries the member its type requires: a Property \"value\", a Relationship \"object\" (a URI or URIs, and no \"value\" or \"unitCode\"), a GeoProperty a GeoJSON geometry other than GeometryCollection as \"value\", a LanguageProperty \"languageMap\", a JsonProperty \"json\", a VocabProperty \"vocab\", a ListProperty \"valueList\", a ListRelationship \"objectList\"; none is null",
        reference: "ETSI GS CIM 009 §4.5.2.2, §4.5.3.2, §4.7.1, §5.2.1", make: { _ in NGSILDAttributeShape() })

    static let geometryTypes: Set<String> = ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"]

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        NGSILD.attributes(root) { name, attr, p in
            let type = attr["type"]?.stringValue ?? ""
            func require(_ member: String) -> JSONValue? {
                guard let v = attr[member] else {
                    report(p, "the \(type) '\(name)' has no \"\(member)\"")
                    return nil
                }
                if case .null = v { report(p.appending(member), "\"\(member)\" is null (NGSI-LD members admit no null)") }
                return v
            }
            switch type {
            case "Property":
                _ = require("value")
                if attr["object"] != nil {
                    report(p.appending("object"), "a Property has no \"object\" (that is a Relationship's)")
                }
            case "Relationship":
                if let o = require("object") {
                    let uris: [JSONValue] = o.arrayValue ?? [o]
                    for (i, u) in uris.enumerated() {
                        let at = o.arrayValue == nil ? p.appending("object") : p.appending("object").appending(i)
                        if case .string(let s) = u, NGSILD.isURI(s) { continue }
                        if case .null = u { continue }
                        report(at, "a Relationship's object is a URI; found \(u.stringValue.map { "'\($0)'" } ?? u.typeName)")
                    }
                }
                if attr["value"] != nil { report(p.appending("value"), "a Relationship has no \"value\" (that is a Property's)") }
                if attr["unitCode"] != nil {
                    report(p.appending("unitCode"), "a Relationship has no \"unitCode\" (relationships are unitless)")
                }
            case "GeoProperty":
                guard let v = require("value") else { return }
                var geometry = v
                if case .string(let s) = v, let parsed = try? JSONValue.parse(s) { geometry = parsed }  // §4.7.2 encoded string
                guard case .object(let g) = geometry, let gt = g["type"]?.stringValue else {
                    report(p.appending("value"), "a GeoProperty's value is a GeoJSON geometry; found \(v.typeName)")
                    return
                }
                if !Self.geometryTypes.contains(gt) {
                    report(
                        p.appending("value").appending("type"),
                        gt == "GeometryCollection"
                            ? "a GeoProperty's geometry may not be a GeometryCollection"
                            : "'\(gt)' is not a GeoJSON geometry type")
                } else if g["coordinates"]?.arrayValue == nil {
                    report(p.appending("value"), "the geometry has no \"coordinates\" array")
                }
            case "LanguageProperty":
                if let m = require("languageMap"), m.objectValue == nil, !m.isNull {
                    report(p.appending("languageMap"), "a languageMap is an object of language tags; found \(m.typeName)")
                }
            case "JsonProperty": _ = require("json")
            case "VocabProperty": _ = require("vocab")
            case "ListProperty":
                if let l = require("valueList"), l.arrayValue == nil, !l.isNull {
                    report(p.appending("valueList"), "a valueList is an array; found \(l.typeName)")
                }
            case "ListRelationship":
                if let l = require("objectList"), l.arrayValue == nil, !l.isNull {
                    report(p.appending("objectList"), "an objectList is an array; found \(l.typeName)")
                }
            default: break
            }
        }
    }
}
