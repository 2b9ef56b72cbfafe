import CityCertJSON

/// A bbox is an array of 2·n numbers, south-west corner first.
struct GeoJSONBoundingBox: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/bbox",
        summary:
            "a \"bbox\" is an array of 2·n numbers (n = the dimensions of the contained geometries), the south-westerly point's axes then the north-easterly point's, with south ≤ north",
        reference: "RFC 7946 §5, §5.2, §5.3", make: { _ in GeoJSONBoundingBox() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.nodes(root) { n in
            guard let bbox = n.object["bbox"] else { return }
            let p = n.pointer.appending("bbox")
            guard case .array(let items) = bbox else {
                report(p, "a bbox is an array of numbers; found \(bbox.typeName)")
                return
            }
            var values: [Double] = []
            for (i, item) in items.enumerated() {
                guard case .number(let num) = item else {
                    report(p.appending(i), "a bbox holds numbers; found \(item.typeName)")
                    return
                }
                values.append(num.double)
            }
            guard values.count >= 4, values.count % 2 == 0 else {
                report(p, "a bbox has 2·n values for n ≥ 2 dimensions (4 or 6); this one has \(values.count)")
                return
            }
            let dims = Self.dimensions(n)
            if let dims, values.count != 2 * dims {
                report(
                    p,
                    "the contained geometries have \(dims) dimensions, so the bbox has \(2 * dims) values; this one has \(values.count)"
                )
                return
            }
            let half = values.count / 2
            if values[1] > values[half + 1] {
                report(
                    p,
                    "south \(format(values[1])) is greater than north \(format(values[half + 1])): the south-westerly point comes first"
                )
                return  // no containment check on a box that is upside down
            }
            if half == 3, values[2] > values[5] {
                report(p, "the lowest altitude \(format(values[2])) is greater than the highest \(format(values[5]))")
            }
            if values[1] < -90 || values[half + 1] > 90 {
                report(p, "a bbox latitude outside [-90, 90]")
            }
            // The bbox gives the coordinate range of the object's geometries: every position lies in
            // it (a bbox whose west is greater than its east crosses the antimeridian, §5.2).
            let (west, south, east, north) = (values[0], values[1], values[half], values[half + 1])
            var outside: (JSONPointer, [Double])?
            GeoJSONWalk.geometries(.object(n.object)) { g, c in
                guard outside == nil, let t = g.type else { return }
                GeoJSONWalk.positions(t, c, n.pointer.appending(contentsOf: g.pointer).appending("coordinates")) { pp, pos in
                    guard outside == nil, pos.count >= 2 else { return }
                    let lonInside = west <= east ? pos[0] >= west && pos[0] <= east : pos[0] >= west || pos[0] <= east
                    if !lonInside || pos[1] < south || pos[1] > north { outside = (pp, pos) }
                }
            }
            if let (at, pos) = outside {
                report(
                    p,
                    "the bbox [\(values.map(format).joined(separator: ", "))] does not contain the position [\(pos.map(format).joined(separator: ", "))] at \(at)\(south <= pos[0] && pos[0] <= north && west <= pos[1] && pos[1] <= east ? " (are longitude and latitude swapped in the bbox?)" : "")"
                )
            }
        }
    }

    /// The largest position length in the object's geometries, or nil when it has none.
    static func dimensions(_ n: GeoJSONNode) -> Int? {
        var dims: Int?
        GeoJSONWalk.geometries(.object(n.object)) { g, c in
            guard let t = g.type else { return }
            GeoJSONWalk.positions(t, c, .root) { _, pos in dims = max(dims ?? 0, pos.count) }
        }
        return dims.map { max(2, $0) }
    }
}

/// No `crs` member (the GeoJSON 2008 coordinate reference system member was removed).
struct GeoJSONNoCRS: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/no-crs",
        summary:
            "no GeoJSON object has a \"crs\" member: coordinates are always WGS 84 longitude/latitude, and consumers ignore a crs",
        reference: "RFC 7946 §4, Appendix B.1", make: { _ in GeoJSONNoCRS() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.nodes(root) { n in
            if n.object["crs"] != nil {
                report(
                    n.pointer.appending("crs"),
                    "a \"crs\" member (GeoJSON 2008) is no longer used; coordinates are read as WGS 84")
            }
        }
    }
}

/// Members keep their meaning: no coordinates/geometries on features, no geometry/properties on
/// geometries and collections, no features outside a FeatureCollection.
struct GeoJSONMemberSemantics: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/member-semantics",
        summary:
            "Feature and FeatureCollection objects have no \"coordinates\" or \"geometries\"; Geometry and FeatureCollection objects have no \"geometry\" or \"properties\"; Feature and Geometry objects have no \"features\"",
        reference: "RFC 7946 §7.1", make: { _ in GeoJSONMemberSemantics() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.nodes(root) { n in
            guard let t = n.type else { return }
            var forbidden: [String] = []
            switch t {
            case .feature: forbidden = ["coordinates", "geometries", "features"]
            case .featureCollection: forbidden = ["coordinates", "geometries", "geometry", "properties"]
            default: forbidden = ["geometry", "properties", "features"]
            }
            for m in forbidden where n.object[m] != nil {
                report(n.pointer.appending(m), "a \(t.rawValue) object must not contain a \"\(m)\" member")
            }
        }
    }
}
