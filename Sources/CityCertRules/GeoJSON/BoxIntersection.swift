public import CityCertJSON

/// A longitude/latitude bounding box, as a `bbox` query parameter or a GeoJSON `bbox` gives it: the lower
/// corner then the upper corner, four numbers (or six, with heights, which are ignored here). A box whose
/// west edge is east of its east edge crosses the antimeridian (RFC 7946 §5.2; OGC 17-069r4 §7.15.3).
public struct GeoBox: Sendable, Equatable {
    public let west: Double
    public let south: Double
    public let east: Double
    public let north: Double

    /// Reads `minx,miny,maxx,maxy` (or six numbers: minx,miny,minz,maxx,maxy,maxz) from a list of numbers
    /// or comma-separated text; nil with the reason when it is not one.
    public static func parse(_ value: JSONValue) -> Result<GeoBox, BoxError> {
        var numbers: [Double] = []
        switch value {
        case .array(let items):
            for item in items {
                guard case .number(let n) = item, let d = Double(n.decimal.text) else {
                    return .failure(BoxError("\(JSONSerializer.string(value)) is not a list of numbers"))
                }
                numbers.append(d)
            }
        case .string(let s):
            for part in s.split(separator: ",", omittingEmptySubsequences: false) {
                let t = String(part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
                guard let d = Double(t), d.isFinite else {
                    return .failure(BoxError("'\(s)' is not comma-separated numbers"))
                }
                numbers.append(d)
            }
        default:
            return .failure(BoxError("\(JSONSerializer.string(value)) is not a bounding box"))
        }
        let box: GeoBox
        switch numbers.count {
        case 4: box = GeoBox(west: numbers[0], south: numbers[1], east: numbers[2], north: numbers[3])
        case 6: box = GeoBox(west: numbers[0], south: numbers[1], east: numbers[3], north: numbers[4])
        default: return .failure(BoxError("a bounding box has 4 or 6 numbers, not \(numbers.count)"))
        }
        guard box.south <= box.north else {
            return .failure(BoxError("the box's south edge \(box.south) is north of its north edge \(box.north)"))
        }
        return .success(box)
    }

    public struct BoxError: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// The boxes to test against: one, or two when the box crosses the antimeridian.
    var parts: [GeoBox] {
        west <= east
            ? [self]
            : [
                GeoBox(west: west, south: south, east: 180, north: north),
                GeoBox(west: -180, south: south, east: east, north: north),
            ]
    }

    public init(west: Double, south: Double, east: Double, north: Double) {
        (self.west, self.south, self.east, self.north) = (west, south, east, north)
    }

    /// Whether a GeoJSON geometry has a point in common with the box (its boundary included): a failure
    /// says why the value is not a geometry that can be judged.
    public func intersects(_ geometry: JSONValue) -> Result<Bool, BoxError> {
        do {
            let g = try Geometry(geometry, depth: 0)
            return .success(parts.contains { $0.meets(g) })
        } catch {
            return .failure(error)
        }
    }

    // MARK: - Geometry, read once

    typealias Point = (x: Double, y: Double)

    indirect enum Geometry {
        case points([Point])
        case lines([[Point]])
        case polygons([[[Point]]])
        case collection([Geometry])

        init(_ v: JSONValue, depth: Int) throws(BoxError) {
            guard depth < 32 else { throw BoxError("geometry collections nested deeper than 32") }
            guard case .object = v, case .string(let type)? = v["type"] else {
                throw BoxError(v == .null ? "null is not a geometry" : "not a GeoJSON geometry (no type)")
            }
            let c = v["coordinates"]
            switch type {
            case "Point": self = .points([try Self.position(c)])
            case "MultiPoint": self = .points(try Self.positions(c))
            case "LineString": self = .lines([try Self.positions(c)])
            case "MultiLineString": self = .lines(try Self.list(c).map { l throws(BoxError) in try Self.positions(l) })
            case "Polygon": self = .polygons([try Self.rings(c)])
            case "MultiPolygon": self = .polygons(try Self.list(c).map { p throws(BoxError) in try Self.rings(p) })
            case "GeometryCollection":
                guard case .array(let members)? = v["geometries"] else {
                    throw BoxError("a GeometryCollection without a geometries array")
                }
                self = .collection(try members.map { g throws(BoxError) in try Geometry(g, depth: depth + 1) })
            default: throw BoxError("'\(type)' is not a GeoJSON geometry type")
            }
        }

        static func list(_ v: JSONValue?) throws(BoxError) -> [JSONValue] {
            guard case .array(let a)? = v else { throw BoxError("coordinates are not nested as the geometry type requires") }
            return a
        }

        static func position(_ v: JSONValue?) throws(BoxError) -> Point {
            let a = try list(v)
            guard a.count >= 2, case .number(let x) = a[0], case .number(let y) = a[1], let dx = Double(x.decimal.text),
                let dy = Double(y.decimal.text)
            else { throw BoxError("a position is not two or more numbers") }
            return (dx, dy)
        }

        static func positions(_ v: JSONValue?) throws(BoxError) -> [Point] {
            try list(v).map { p throws(BoxError) in try position(p) }
        }

        static func rings(_ v: JSONValue?) throws(BoxError) -> [[Point]] {
            try list(v).map { r throws(BoxError) in try positions(r) }
        }
    }

    func contains(_ p: Point) -> Bool { west <= p.x && p.x <= east && south <= p.y && p.y <= north }

    func meets(_ g: Geometry) -> Bool {
        switch g {
        case .points(let ps): return ps.contains { contains($0) }
        case .lines(let ls): return ls.contains { meets(line: $0) }
        case .polygons(let polys):
            return polys.contains { rings in
                // An edge or a vertex in the box, or the box inside the polygon (its corner inside the
                // exterior ring and outside every hole).
                if rings.contains(where: { meets(line: $0) }) { return true }
                guard let exterior = rings.first else { return false }
                let corner: Point = (west, south)
                return Self.inside(corner, exterior) && !rings.dropFirst().contains { Self.inside(corner, $0) }
            }
        case .collection(let gs): return gs.contains { meets($0) }
        }
    }

    func meets(line: [Point]) -> Bool {
        if line.contains(where: { contains($0) }) { return true }
        let corners: [Point] = [(west, south), (east, south), (east, north), (west, north)]
        for (a, b) in zip(line, line.dropFirst()) {
            for i in 0..<4 where Self.segmentsMeet(a, b, corners[i], corners[(i + 1) % 4]) { return true }
        }
        return false
    }

    static func orientation(_ a: Point, _ b: Point, _ c: Point) -> Int {
        let v = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
        return v > 0 ? 1 : v < 0 ? -1 : 0
    }

    static func onSegment(_ a: Point, _ b: Point, _ p: Point) -> Bool {
        min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y)
    }

    /// Whether segments ab and cd share a point (touching included).
    static func segmentsMeet(_ a: Point, _ b: Point, _ c: Point, _ d: Point) -> Bool {
        let (o1, o2, o3, o4) = (orientation(a, b, c), orientation(a, b, d), orientation(c, d, a), orientation(c, d, b))
        if o1 != o2 && o3 != o4 { return true }
        return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) || (o3 == 0 && onSegment(c, d, a))
            || (o4 == 0 && onSegment(c, d, b))
    }

    /// Ray casting: whether p is inside the ring (a point on the ring is found by the edge test first).
    static func inside(_ p: Point, _ ring: [Point]) -> Bool {
        var inside = false
        for (a, b) in zip(ring, ring.dropFirst() + ring.prefix(1)) where (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y)
            if p.x < x { inside.toggle() }
        }
        return inside
    }
}
