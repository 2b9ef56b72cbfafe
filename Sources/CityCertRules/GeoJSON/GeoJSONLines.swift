import CityCertJSON

/// A LineString has two or more positions.
struct GeoJSONLineString: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/linestring",
        summary: "a LineString (also each line of a MultiLineString) has two or more positions",
        reference: "RFC 7946 §3.1.4, §3.1.5", make: { _ in GeoJSONLineString() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.allLines(root, of: [.lineString, .multiLineString]) { line in
            if line.count < 2 { report(line.pointer, "a LineString has two or more positions; this one has \(line.count)") }
        }
    }
}

/// A linear ring is closed and has four or more positions.
struct GeoJSONLinearRing: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/linear-ring",
        summary: "a Polygon's linear ring has four or more positions and its first and last positions hold identical values",
        reference: "RFC 7946 §3.1.6", make: { _ in GeoJSONLinearRing() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.allLines(root, of: [.polygon, .multiPolygon]) { ring in
            if ring.count < 4 {
                report(ring.pointer, "a linear ring has four or more positions; this one has \(ring.count)")
            }
            guard ring.count >= 2, ring.positions.count == ring.count,
                let first = ring.positions.first, let last = ring.positions.last
            else { return }
            if first.raw != last.raw {
                report(
                    last.pointer,
                    "the linear ring is not closed: its last position \(JSONSerializer.string(last.raw)) differs from its first \(JSONSerializer.string(first.raw))"
                )
            }
        }
    }
}

/// Exterior rings counterclockwise, holes clockwise.
struct GeoJSONRightHandRule: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/right-hand-rule",
        summary: "a Polygon's exterior ring is counterclockwise and its holes are clockwise (right-hand rule)",
        reference: "RFC 7946 §3.1.6", make: { _ in GeoJSONRightHandRule() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.allLines(root, of: [.polygon, .multiPolygon]) { ring in
            guard ring.count >= 4, ring.positions.count == ring.count, ring.positions.allSatisfy({ $0.values.count >= 2 })
            else { return }
            // Shoelace sum on (longitude, latitude); positive is counterclockwise. Rings that
            // cross the antimeridian have no meaningful planar orientation and are skipped.
            var area = 0.0
            let ps = ring.positions
            for i in 0..<ps.count {
                let a = ps[i].values
                let b = ps[(i + 1) % ps.count].values
                if abs(b[0] - a[0]) > 180 { return }
                area += a[0] * b[1] - b[0] * a[1]
            }
            guard area != 0 else { return }
            switch ring.kind {
            case .exteriorRing where area < 0:
                report(ring.pointer, "the exterior ring is clockwise; the right-hand rule makes it counterclockwise")
            case .interiorRing where area > 0:
                report(ring.pointer, "the hole is counterclockwise; the right-hand rule makes holes clockwise")
            default: break
            }
        }
    }
}

/// Lines that cross the antimeridian are cut in two.
struct GeoJSONAntimeridian: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/antimeridian",
        summary: "a geometry that crosses the antimeridian is cut in two so that no part crosses it",
        reference: "RFC 7946 §3.1.9", make: { _ in GeoJSONAntimeridian() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.allLines(root) { line in
            let ps = line.positions
            guard ps.count >= 2 else { return }
            for i in 1..<ps.count where ps[i].values.count >= 2 && ps[i - 1].values.count >= 2 {
                let from = ps[i - 1].values[0]
                let to = ps[i].values[0]
                if abs(to - from) > 180 {
                    report(
                        ps[i].pointer,
                        "the segment from longitude \(format(from)) to \(format(to)) crosses the antimeridian; cut the geometry there"
                    )
                    return
                }
            }
        }
    }
}
