import CityCertJSON

/// Every GeoJSON object has a `type` that is one of the nine GeoJSON types, spelled exactly;
/// a Feature's geometry and a GeometryCollection's members are Geometry types.
struct GeoJSONObjectType: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/object-type",
        summary: "a GeoJSON object has a \"type\" member whose value is one of the nine GeoJSON types (case-sensitive)",
        reference: "RFC 7946 §3, §1.4", make: { _ in GeoJSONObjectType() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        guard case .object = root else {
            report(.root, "a GeoJSON text is an object; found \(root.typeName)")
            return
        }
        GeoJSONWalk.nodes(root) { n in
            guard let t = n.object["type"] else {
                report(n.pointer, "missing \"type\" member")
                return
            }
            guard case .string(let s) = t else {
                report(n.pointer.appending("type"), "\"type\" is \(t.typeName), not a string")
                return
            }
            guard let type = n.type else {
                let hint = GeoJSONType.names.first { $0.lowercased() == s.lowercased() }.map {
                    " (types are case-sensitive: \"\($0)\")"
                }
                report(n.pointer.appending("type"), "\"\(s)\" is not a GeoJSON type\(hint ?? "")")
                return
            }
            switch n.context {
            case .featureGeometry where !type.isGeometry:
                report(n.pointer.appending("type"), "a Feature's geometry is a Geometry object, not a \(s)")
            case .geometryCollectionMember where !type.isGeometry:
                report(n.pointer.appending("type"), "a GeometryCollection holds Geometry objects, not a \(s)")
            default: break
            }
        }
    }
}
