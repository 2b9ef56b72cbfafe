import CityCertJSON

/// A position has two or more elements.
struct GeoJSONPosition: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/position",
        summary: "a position is an array of two or more numbers",
        reference: "RFC 7946 §3.1.1", make: { _ in GeoJSONPosition() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.allPositions(root) { p, pos in
            if pos.count < 2 { report(p, "a position has two or more elements; this one has \(pos.count)") }
        }
    }
}

/// Positions have at most three elements.
struct GeoJSONPositionElements: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/position-elements",
        summary: "a position has no more than three elements (longitude, latitude, altitude)",
        reference: "RFC 7946 §3.1.1", make: { _ in GeoJSONPositionElements() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.allPositions(root) { p, pos in
            if pos.count > 3 { report(p, "a position with \(pos.count) elements extends beyond three") }
        }
    }
}

/// Longitude within [-180, 180] and latitude within [-90, 90] (WGS 84 decimal degrees).
struct GeoJSONPositionRange: DocumentRule {
    static let descriptor = RuleDescriptor(
        id: "geojson/position-range",
        summary: "a position's longitude is within [-180, 180] and its latitude within [-90, 90] decimal degrees",
        reference: "RFC 7946 §3.1.1, §4", make: { _ in GeoJSONPositionRange() })

    func check(_ root: JSONValue, report: (JSONPointer, String) -> Void) {
        GeoJSONWalk.allPositions(root) { p, pos in
            guard pos.count >= 2 else { return }
            if !(-180...180).contains(pos[0]) {
                report(p.appending(0), "longitude \(format(pos[0])) is outside [-180, 180]")
            }
            if !(-90...90).contains(pos[1]) {
                report(
                    p.appending(1),
                    "latitude \(format(pos[1])) is outside [-90, 90]\((-90...90).contains(pos[0]) && (-180...180).contains(pos[1]) ? " (are longitude and latitude swapped?)" : "")"
                )
            }
        }
    }
}

func format(_ d: Double) -> String {
    d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
}
