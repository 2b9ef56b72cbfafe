import CityCertJSON

/// The nine GeoJSON types (RFC 7946 §1.4), case-sensitive.
enum GeoJSONType: String, CaseIterable {
    case point = "Point"
    case multiPoint = "MultiPoint"
    case lineString = "LineString"
    case multiLineString = "MultiLineString"
    case polygon = "Polygon"
    case multiPolygon = "MultiPolygon"
    case geometryCollection = "GeometryCollection"
    case feature = "Feature"
    case featureCollection = "FeatureCollection"

    var isGeometry: Bool { self != .feature && self != .featureCollection }

    /// How deeply `coordinates` nests arrays down to a position (a position itself is depth 1).
    var coordinateDepth: Int? {
        switch self {
        case .point: return 1
        case .multiPoint, .lineString: return 2
        case .multiLineString, .polygon: return 3
        case .multiPolygon: return 4
        default: return nil
        }
    }

    static let names = allCases.map(\.rawValue)
}

/// Where a GeoJSON object sits, which decides what it may be.
enum GeoJSONContext {
    case root
    case featureGeometry
    case featureCollectionMember
    case geometryCollectionMember
}

struct GeoJSONNode {
    let pointer: JSONPointer
    let object: JSONObject
    /// Nil when `type` is missing or not one of the nine.
    let type: GeoJSONType?
    let context: GeoJSONContext
}

/// A sequence of positions: a LineString's coordinates or one linear ring of a Polygon.
struct GeoJSONLine {
    enum Kind { case lineString, exteriorRing, interiorRing }
    let pointer: JSONPointer
    let kind: Kind
    /// Positions as numbers; elements that are not well-formed positions are left out.
    let positions: [(pointer: JSONPointer, values: [Double], raw: JSONValue)]
    let count: Int
}

enum GeoJSONWalk {
    /// Every GeoJSON object reachable through Feature.geometry, FeatureCollection.features and
    /// GeometryCollection.geometries, starting at the root.
    static func nodes(_ root: JSONValue, _ body: (GeoJSONNode) -> Void) {
        func visit(_ value: JSONValue, _ pointer: JSONPointer, _ context: GeoJSONContext) {
            guard case .object(let o) = value else { return }
            let type = o["type"]?.stringValue.flatMap(GeoJSONType.init(rawValue:))
            body(GeoJSONNode(pointer: pointer, object: o, type: type, context: context))
            switch type {
            case .feature:
                if let g = o["geometry"] { visit(g, pointer.appending("geometry"), .featureGeometry) }
            case .featureCollection:
                if case .array(let fs)? = o["features"] {
                    for (i, f) in fs.enumerated() {
                        visit(f, pointer.appending("features").appending(i), .featureCollectionMember)
                    }
                }
            case .geometryCollection:
                if case .array(let gs)? = o["geometries"] {
                    for (i, g) in gs.enumerated() {
                        visit(g, pointer.appending("geometries").appending(i), .geometryCollectionMember)
                    }
                }
            default: break
            }
        }
        visit(root, .root, .root)
    }

    /// Geometry nodes (not collections) with their coordinates.
    static func geometries(_ root: JSONValue, _ body: (GeoJSONNode, JSONValue) -> Void) {
        nodes(root) { n in
            guard let t = n.type, t.coordinateDepth != nil, let c = n.object["coordinates"] else { return }
            body(n, c)
        }
    }

    /// Geometries whose "coordinates" array is not empty: RFC 7946 §3.1 lets processors read an
    /// empty one as a null object, so the position and line rules leave it alone.
    private static func nonEmptyGeometries(_ root: JSONValue, _ body: (GeoJSONNode, JSONValue) -> Void) {
        geometries(root) { n, c in
            if case .array(let a) = c, a.isEmpty { return }
            body(n, c)
        }
    }

    /// Every position of every geometry under `root`.
    static func allPositions(_ root: JSONValue, _ body: (JSONPointer, [Double]) -> Void) {
        nonEmptyGeometries(root) { n, c in
            guard let t = n.type else { return }
            positions(t, c, n.pointer.appending("coordinates"), body)
        }
    }

    /// Every LineString and linear ring of the geometries of the given types under `root` (all when nil).
    static func allLines(_ root: JSONValue, of types: Set<GeoJSONType>? = nil, _ body: (GeoJSONLine) -> Void) {
        nonEmptyGeometries(root) { n, c in
            guard let t = n.type, types?.contains(t) ?? true else { return }
            lines(t, c, n.pointer.appending("coordinates"), body)
        }
    }

    /// The numbers of a position, or nil when it is not an array of numbers.
    static func position(_ value: JSONValue) -> [Double]? {
        guard case .array(let a) = value else { return nil }
        var out: [Double] = []
        out.reserveCapacity(a.count)
        for e in a {
            guard case .number(let n) = e else { return nil }
            out.append(n.double)
        }
        return out
    }

    /// Every position of a geometry's coordinates, following the nesting its type declares.
    /// Parts that are not nested as declared are skipped (the shape rule reports them).
    static func positions(
        _ type: GeoJSONType, _ coordinates: JSONValue, _ pointer: JSONPointer,
        _ body: (JSONPointer, [Double]) -> Void
    ) {
        guard let depth = type.coordinateDepth else { return }
        func walk(_ v: JSONValue, _ p: JSONPointer, _ d: Int) {
            if d == 1 {
                if let pos = position(v) { body(p, pos) }
                return
            }
            guard case .array(let a) = v else { return }
            for (i, e) in a.enumerated() { walk(e, p.appending(i), d - 1) }
        }
        walk(coordinates, pointer, depth)
    }

    /// LineStrings (also inside MultiLineString) and linear rings (of Polygon and MultiPolygon).
    static func lines(
        _ type: GeoJSONType, _ coordinates: JSONValue, _ pointer: JSONPointer,
        _ body: (GeoJSONLine) -> Void
    ) {
        func line(_ v: JSONValue, _ p: JSONPointer, _ kind: GeoJSONLine.Kind) {
            guard case .array(let a) = v else { return }
            var ps: [(pointer: JSONPointer, values: [Double], raw: JSONValue)] = []
            for (i, e) in a.enumerated() {
                if let pos = position(e) { ps.append((p.appending(i), pos, e)) }
            }
            body(GeoJSONLine(pointer: p, kind: kind, positions: ps, count: a.count))
        }
        func polygon(_ v: JSONValue, _ p: JSONPointer) {
            guard case .array(let rings) = v else { return }
            for (i, r) in rings.enumerated() { line(r, p.appending(i), i == 0 ? .exteriorRing : .interiorRing) }
        }
        switch type {
        case .lineString: line(coordinates, pointer, .lineString)
        case .multiLineString:
            guard case .array(let a) = coordinates else { return }
            for (i, l) in a.enumerated() { line(l, pointer.appending(i), .lineString) }
        case .polygon: polygon(coordinates, pointer)
        case .multiPolygon:
            guard case .array(let a) = coordinates else { return }
            for (i, poly) in a.enumerated() { polygon(poly, pointer.appending(i)) }
        default: break
        }
    }
}

extension JSONPointer {
    func appending(contentsOf other: JSONPointer) -> JSONPointer {
        var p = self
        for t in other.tokens { p = p.appending(t) }
        return p
    }
}
