import CityCertJSON
import CityCertRules
import CityCertTestSupport
import Foundation
import Testing

/// `intersects_bbox` (GeoBox): hand cases whose answer is plain geometry, then 3,000 generated cases
/// judged by shapely (GEOS, `.ci/oracles/box_intersects.py`), a second implementation.
@Suite struct BoxIntersectionTests {
    static let python = ProcessInfo.processInfo.environment["CITYCERT_ORACLE_PYTHON"]
    static let required = python != nil || ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } == true

    static func geometry(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    static func box(_ text: String) throws -> GeoBox { try GeoBox.parse(.string(text)).get() }

    @Test func handCases() throws {
        let square = try Self.geometry(#"{"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]]]}"#)
        let holed = try Self.geometry(
            #"{"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]], [[3,3],[7,3],[7,7],[3,7],[3,3]]]}"#)
        // A box wholly inside the polygon: no vertex of either inside the other's edges.
        #expect(try Self.box("1,1,2,2").intersects(square).get())
        // The same box inside the hole does not meet the polygon; one that reaches the hole's edge does.
        #expect(try !Self.box("4,4,5,5").intersects(holed).get())
        #expect(try Self.box("4,4,7,5").intersects(holed).get())
        // Touching at a corner counts (the boundary is included); a degenerate box is a point.
        #expect(try Self.box("10,10,12,12").intersects(square).get())
        #expect(try Self.box("10,10,10,10").intersects(square).get())
        #expect(try !Self.box("10.5,10.5,12,12").intersects(square).get())
        // A line crossing the box with no vertex inside it.
        let line = try Self.geometry(#"{"type": "LineString", "coordinates": [[-5,5],[15,5]]}"#)
        #expect(try Self.box("4,4,6,6").intersects(line).get())
        #expect(try !Self.box("4,6.5,6,8").intersects(line).get())
        // A box across the antimeridian: west 170 east -170.
        let east = try Self.geometry(#"{"type": "Point", "coordinates": [175, 0]}"#)
        let west = try Self.geometry(#"{"type": "Point", "coordinates": [-175, 0]}"#)
        let greenwich = try Self.geometry(#"{"type": "Point", "coordinates": [0, 0]}"#)
        #expect(try Self.box("170,-5,-170,5").intersects(east).get())
        #expect(try Self.box("170,-5,-170,5").intersects(west).get())
        #expect(try !Self.box("170,-5,-170,5").intersects(greenwich).get())
        // Six numbers: heights ignored.
        #expect(try Self.box("9,9,-100,11,11,100").intersects(square).get())
        // Not a geometry, not a box.
        #expect(throws: GeoBox.BoxError.self) { try Self.box("1,2,3,4").intersects(.null).get() }
        #expect(throws: GeoBox.BoxError.self) {
            try Self.box("1,2,3,4").intersects(try Self.geometry(#"{"type": "Circle"}"#)).get()
        }
        #expect(throws: GeoBox.BoxError.self) { try Self.box("1,2,3") }
        #expect(throws: GeoBox.BoxError.self) { try Self.box("1,5,3,4") }
        #expect(throws: GeoBox.BoxError.self) { try Self.box("1,a,3,4") }
    }

    /// Cases on an integer grid, so that touching and collinear edges are frequent and exact; the last
    /// thousand near the antimeridian.
    static func cases() -> [(geometry: String, box: [Int])] {
        var g = SplitMix(seed: 17)
        var out: [(String, [Int])] = []
        for i in 0..<3000 {
            let near = i >= 2000
            func x() -> Int { near ? [170, 172, 175, 178, 180, -180, -178, -175, -172, -170][g.int(10)] : g.int(11) }
            func y() -> Int { g.int(11) }
            func p() -> String { "[\(x()),\(y())]" }
            func rect() -> (Int, Int, Int, Int) {
                let (a, b) = (g.int(10), g.int(10))
                return (a, b, a + 1 + g.int(10 - a), b + 1 + g.int(10 - b))
            }
            let geometry: String
            switch near ? g.int(2) : g.int(7) {
            case 0: geometry = #"{"type": "Point", "coordinates": \#(p())}"#
            case 1: geometry = #"{"type": "LineString", "coordinates": [\#(p()), \#(p()), \#(p())]}"#
            case 2: geometry = #"{"type": "MultiPoint", "coordinates": [\#(p()), \#(p())]}"#
            case 3:
                let (a, b, c, d) = rect()
                geometry =
                    #"{"type": "Polygon", "coordinates": [[[\#(a),\#(b)],[\#(c),\#(b)],[\#(c),\#(d)],[\#(a),\#(d)],[\#(a),\#(b)]]]}"#
            case 4:
                // A triangle, either orientation.
                let (a, b) = (g.int(9), g.int(9))
                let (c, d) = (a + 1 + g.int(10 - a), b + 1 + g.int(10 - b))
                geometry =
                    g.int(2) == 0
                    ? #"{"type": "Polygon", "coordinates": [[[\#(a),\#(b)],[\#(c),\#(b)],[\#(a),\#(d)],[\#(a),\#(b)]]]}"#
                    : #"{"type": "Polygon", "coordinates": [[[\#(a),\#(b)],[\#(a),\#(d)],[\#(c),\#(b)],[\#(a),\#(b)]]]}"#
            case 5:
                // A square with a square hole.
                geometry =
                    #"{"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]], [[3,3],[7,3],[7,7],[3,7],[3,3]]]}"#
            default:
                geometry =
                    #"{"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": \#(p())}, {"type": "MultiLineString", "coordinates": [[\#(p()), \#(p())]]}]}"#
            }
            var box = [x(), y(), x(), y()]
            if box[1] > box[3] { box.swapAt(1, 3) }
            if !near, box[0] > box[2] { box.swapAt(0, 2) }
            out.append((geometry, box))
        }
        return out
    }

    @Test(.enabled(if: required, "needs shapely: .ci/run installs it in the oracle venv (CITYCERT_ORACLE_PYTHON)"))
    func agreesWithShapely() async throws {
        let python = try #require(Self.python, "CI must provide the oracle: .ci/run sets CITYCERT_ORACLE_PYTHON")
        let cases = Self.cases()
        let file = NSTemporaryDirectory() + "citycert-boxes-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let lines = cases.map { #"{"geometry": \#($0.geometry), "box": [\#($0.box.map(String.init).joined(separator: ","))]}"# }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let out = try await Subprocess.run(
            python, [Repository.root.appendingPathComponent(".ci/oracles/box_intersects.py").path, file])
        try #require(out.status == 0, "\(out.stderr)")
        let expected = out.stdout.split(separator: "\n").map { $0 == "1" }
        try #require(expected.count == cases.count)
        var disagreements: [String] = []
        for (i, c) in cases.enumerated() {
            let got = try GeoBox.parse(.array(c.box.map { .int($0) })).get().intersects(try Self.geometry(c.geometry)).get()
            if got != expected[i] { disagreements.append("\(c.geometry) box \(c.box): citycert \(got), shapely \(expected[i])") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
        // Both answers occur often enough for the agreement to mean something.
        #expect(
            expected.filter { $0 }.count > 600 && expected.filter { !$0 }.count > 600,
            "\(expected.filter { $0 }.count) of \(cases.count) intersect")
    }
}
