import CityCertJSON

/// A Feature has `geometry` (a Geometry object or null) and `properties` (an object or null);
/// an `id` is a string or a number.
struct GeoJSONFeature: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/feature",
        summary:
            "a Feature has a \"geometry\" member (a Geometry object or null) and a \"properties\" member (an object or null); its \"id\", if any, is a string or a number",
        reference: "RFC 7946 §3.2", make: { _ in GeoJSONFeature() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.nodes(root) { n in
            guard n.type == .feature else { return }
            switch n.object["geometry"] {
            case nil: report(n.pointer, "a Feature has a \"geometry\" member (null when unlocated)")
            case .null?, .object?: break
            case let g?: report(n.pointer.appending("geometry"), "\"geometry\" is a Geometry object or null; found \(g.typeName)")
            }
            switch n.object["properties"] {
            case nil: report(n.pointer, "a Feature has a \"properties\" member (an object or null)")
            case .null?, .object?: break
            case let p?: report(n.pointer.appending("properties"), "\"properties\" is an object or null; found \(p.typeName)")
            }
            switch n.object["id"] {
            case nil, .string?, .number?: break
            case let id?: report(n.pointer.appending("id"), "a Feature's \"id\" is a string or a number; found \(id.typeName)")
            }
        }
    }
}

/// A FeatureCollection has `features`, an array of Feature objects.
struct GeoJSONFeatureCollection: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/feature-collection",
        summary: "a FeatureCollection has a \"features\" member, an array whose elements are Feature objects",
        reference: "RFC 7946 §3.3", make: { _ in GeoJSONFeatureCollection() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.nodes(root) { n in
            guard n.type == .featureCollection else { return }
            guard let fs = n.object["features"] else {
                report(n.pointer, "a FeatureCollection has a \"features\" member")
                return
            }
            guard case .array(let items) = fs else {
                report(n.pointer.appending("features"), "\"features\" is an array; found \(fs.typeName)")
                return
            }
            for (i, item) in items.enumerated() {
                let type = item["type"]?.stringValue
                if type != "Feature" {
                    report(
                        n.pointer.appending("features").appending(i),
                        "a FeatureCollection's features are Feature objects; found \(type.map { "a \($0)" } ?? item.typeName)")
                }
            }
        }
    }
}

/// GeometryCollections are not nested and not used for a single part.
struct GeoJSONGeometryCollectionNesting: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/geometry-collection-use",
        summary:
            "GeometryCollections are not nested, and not used where a single geometry or one multipart geometry would do",
        reference: "RFC 7946 §3.1.8", make: { _ in GeoJSONGeometryCollectionNesting() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.nodes(root) { n in
            guard n.type == .geometryCollection else { return }
            if n.context == .geometryCollectionMember {
                report(n.pointer, "a GeometryCollection nested in another GeometryCollection")
            }
            guard case .array(let gs)? = n.object["geometries"] else { return }
            let types = Set(gs.compactMap { $0["type"]?.stringValue })
            if gs.count == 1 {
                report(n.pointer.appending("geometries"), "a GeometryCollection of a single geometry")
            } else if gs.count > 1, types.count == 1, let t = types.first, t != "GeometryCollection" {
                report(
                    n.pointer.appending("geometries"),
                    "a GeometryCollection of parts of a single type (\(t)); a multipart geometry would do")
            }
        }
    }
}
