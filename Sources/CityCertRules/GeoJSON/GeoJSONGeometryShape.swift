import CityCertJSON

/// A Geometry has `coordinates` nested as its type requires; a GeometryCollection has `geometries`.
struct GeoJSONGeometryShape: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/geometry-shape",
        summary:
            "a Geometry object has a \"coordinates\" array nested as its type requires (Point: a position; LineString and MultiPoint: positions; Polygon and MultiLineString: arrays of positions; MultiPolygon: arrays of those), and a GeometryCollection has a \"geometries\" array",
        reference: "RFC 7946 §3.1, §3.1.2–§3.1.8", make: { _ in GeoJSONGeometryShape() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.nodes(root) { n in
            guard let type = n.type, type.isGeometry else { return }
            if type == .geometryCollection {
                guard let g = n.object["geometries"] else {
                    report(n.pointer, "a GeometryCollection has a \"geometries\" member")
                    return
                }
                guard case .array(let items) = g else {
                    report(n.pointer.appending("geometries"), "\"geometries\" is an array; found \(g.typeName)")
                    return
                }
                for (i, item) in items.enumerated() {
                    if case .object = item { continue }
                    report(
                        n.pointer.appending("geometries").appending(i),
                        "a GeometryCollection member is a Geometry object; found \(item.typeName)")
                }
                return
            }
            guard let coordinates = n.object["coordinates"] else {
                report(n.pointer, "a \(type.rawValue) has a \"coordinates\" member")
                return
            }
            guard let depth = type.coordinateDepth else { return }
            let what = [
                "", "a position", "an array of positions", "an array of arrays of positions",
                "an array of arrays of arrays of positions",
            ]
            func walk(_ v: JSONValue, _ p: JSONPointer, _ d: Int) {
                guard case .array(let a) = v else {
                    report(
                        p,
                        "\(type.rawValue) coordinates: expected \(what[d]) here, found \(v.typeName)\(v.typeName == "number" ? " (nested too shallow)" : "")"
                    )
                    return
                }
                if d == 1 {
                    for (i, e) in a.enumerated() {
                        guard case .number = e else {
                            report(
                                p.appending(i),
                                "a position holds numbers; found \(e.typeName)\(e.typeName == "array" ? " (nested too deep for a \(type.rawValue))" : "")"
                            )
                            return
                        }
                    }
                    return
                }
                for (i, e) in a.enumerated() { walk(e, p.appending(i), d - 1) }
            }
            // An empty coordinates array is allowed (RFC 7946 §3.1: processors MAY read it as null).
            if case .array(let a) = coordinates, a.isEmpty { return }
            walk(coordinates, n.pointer.appending("coordinates"), depth)
        }
    }
}
