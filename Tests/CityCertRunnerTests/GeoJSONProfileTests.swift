import CityCertCore
import CityCertJSON
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// The GeoJSON profile over the mapbox geojsonhint and chrieke fixtures: every good or valid file
/// passes every MUST, every bad or invalid file fails its expected requirement, and every finding's
/// place is pinned in Fixtures/geojson/expected-findings.txt (CITYCERT_RECORD=geojson rewrites it and fails).
@Suite struct GeoJSONProfileTests {
    /// Requirements with a finding, per fixture file (relative to Fixtures/geojson).
    static func findingsByFile(_ report: RunReport) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for r in report.requirements {
            for f in VerdictListing.findings(r) {
                out[VerdictListing.relative(f.file).replacingOccurrences(of: "Fixtures/geojson/", with: ""), default: []]
                    .insert(r.id)
            }
        }
        return out
    }

    static func fixtureFiles() -> [String] {
        let root = Repository.fixture("geojson").path
        return (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".geojson") }.sorted()
    }

    /// What each bad file must be found to break: the requirement that matches the message the
    /// upstream linter (geojsonhint `.result`) or the upstream folder name gives for it.
    static let expected: [String: Set<String>] = [
        "mapbox-geojsonhint/bad/bad-duplicate-properties.geojson": ["GJ-JSON-001", "GJ-FEAT-001", "GJ-SEM-001"],
        "mapbox-geojsonhint/bad/bad-featurelist.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/bad-object-type.geojson": ["GJ-TYPE-001"],
        "mapbox-geojsonhint/bad/bad-polygon-interiorring-rhr.geojson": ["GJ-RING-002"],
        "mapbox-geojsonhint/bad/bad-polygonloop.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/bad-properties-as-array.geojson": ["GJ-FEAT-001"],
        "mapbox-geojsonhint/bad/badcoord.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/badcoordtype.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/badfeature.geojson": ["GJ-FC-001"],
        "mapbox-geojsonhint/bad/badfeatureid.geojson": ["GJ-FEAT-001"],
        "mapbox-geojsonhint/bad/bbox-4or6elements.geojson": ["GJ-BBOX-001"],
        "mapbox-geojsonhint/bad/bbox-contains-string.geojson": ["GJ-BBOX-001"],
        "mapbox-geojsonhint/bad/bbox-string.geojson": ["GJ-BBOX-001"],
        "mapbox-geojsonhint/bad/different-first-last.geojson": ["GJ-RING-001"],
        "mapbox-geojsonhint/bad/different-first-size.geojson": ["GJ-RING-001"],
        "mapbox-geojsonhint/bad/expected_object.geojson": ["GJ-FEAT-001"],
        "mapbox-geojsonhint/bad/false.geojson": ["GJ-GC-001", "GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/feature_changed_semantics.geojson": ["GJ-SEM-001"],
        "mapbox-geojsonhint/bad/featurecollection-obj.geojson": ["GJ-FC-001"],
        "mapbox-geojsonhint/bad/featurecollection-type-case.geojson": ["GJ-TYPE-001"],
        "mapbox-geojsonhint/bad/featurecollection.geojson": ["GJ-FC-001"],
        "mapbox-geojsonhint/bad/featurecollection_changed_semantics.geojson": ["GJ-SEM-001"],
        "mapbox-geojsonhint/bad/geometry_changed_semantics.geojson": ["GJ-SEM-001"],
        "mapbox-geojsonhint/bad/geometrycollection_nested.geojson": ["GJ-GC-001"],
        "mapbox-geojsonhint/bad/geometrycollection_single.geojson": ["GJ-GC-001"],
        "mapbox-geojsonhint/bad/multiple_problems.geojson": ["GJ-GEOM-001", "GJ-FEAT-001", "GJ-TYPE-001"],
        "mapbox-geojsonhint/bad/multipoint-multidimension.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/multipoint-nondimension.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/nofeaturetype.geojson": ["GJ-TYPE-001"],
        "mapbox-geojsonhint/bad/notype.geojson": ["GJ-TYPE-001"],
        "mapbox-geojsonhint/bad/point-labeled-as-a-multipolygon.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/point-string.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/point-toofew.geojson": ["GJ-POS-001"],
        "mapbox-geojsonhint/bad/point-toomany.geojson": ["GJ-POS-002"],
        "mapbox-geojsonhint/bad/point.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/polygon_winding_order.geojson": ["GJ-RING-002"],
        "mapbox-geojsonhint/bad/rootstring.geojson": ["GJ-TYPE-001"],
        "mapbox-geojsonhint/bad/short-line.geojson": ["GJ-LINE-001"],
        "mapbox-geojsonhint/bad/short-linearring.geojson": ["GJ-RING-001"],
        "mapbox-geojsonhint/bad/short-multilinestring.geojson": ["GJ-LINE-001"],
        "mapbox-geojsonhint/bad/stringcoord.geojson": ["GJ-GEOM-001"],
        "mapbox-geojsonhint/bad/unknowntype.geojson": ["GJ-TYPE-001"],
        "chrieke-geojson-invalid-geometry/invalid_geometries/invalid_exterior_not_ccw.geojson": ["GJ-RING-002"],
        "chrieke-geojson-invalid-geometry/invalid_geometries/invalid_interior_not_cw.geojson": ["GJ-RING-002"],
        "chrieke-geojson-invalid-geometry/invalid_geometries/invalid_incorrect_geometry_data_type.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_geometries/invalid_less_three_unique_nodes.geojson": ["GJ-RING-001"],
        "chrieke-geojson-invalid-geometry/invalid_geometries/invalid_unclosed.geojson": ["GJ-RING-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_feature_geometry_is_string.geojson": ["GJ-FEAT-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_feature_id_type.geojson": ["GJ-FEAT-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_feature_no_properties.geojson": ["GJ-FEAT-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_feature_properties_is_array.geojson": ["GJ-FEAT-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_feature_properties_is_int.geojson": ["GJ-FEAT-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_feature_wrong_geometry_key.geojson": ["GJ-FEAT-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_featurecollection_feature_nullfeature.geojson": ["GJ-FC-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_featurecollection_features_is_object.geojson": ["GJ-FC-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_featurecollection_no_features_member.geojson": ["GJ-FC-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_featurecollection_nulltype.geojson": ["GJ-TYPE-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_featurecollection_type_lowercase.geojson": ["GJ-TYPE-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_featurecollection_unknown_type.geojson": ["GJ-TYPE-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_bbox_not4or6.geojson": ["GJ-BBOX-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_bbox_not_list.geojson": ["GJ-BBOX-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_bbox_not_numbers.geojson": ["GJ-BBOX-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_coordinates_1d.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_coordinates_empty_position.geojson": ["GJ-POS-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_coordinates_missing.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_coordinates_string.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_depth_deep_point.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_depth_deep_polygon.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_depth_shallow_linestring.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_depth_shallow_multipolygon.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_depth_shallow_polygon.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_geometrycollection_null_geometry.geojson": [
            "GJ-GEOM-001"
        ],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_mislabeled_point.geojson": ["GJ-GEOM-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_missing_type.geojson": ["GJ-TYPE-001"],
        "chrieke-geojson-invalid-geometry/invalid_structure/invalid_geometry_wrong_geometry_type.geojson": ["GJ-TYPE-001"],
        "chrieke-geojson-invalid-geometry/problematic_geometries/problematic_4d_coordinates.geojson": ["GJ-POS-002"],
        "chrieke-geojson-invalid-geometry/problematic_geometries/problematic_crosses_antimeridian.geojson": ["GJ-AM-001"],
        "chrieke-geojson-invalid-geometry/problematic_geometries/problematic_outside_lat_lon_boundaries.geojson": ["GJ-POS-003"],
        "chrieke-geojson-invalid-geometry/problematic_geometries/problematic_wrong_bbox_coordinate_order.geojson": [
            "GJ-BBOX-001"
        ],
        "chrieke-geojson-invalid-geometry/problematic_structure/problematic_crs_defined.geojson": ["GJ-CRS-001"],
        "chrieke-geojson-invalid-geometry/problematic_structure/problematic_geometrycollection_single.geojson": ["GJ-GC-001"],
        "chrieke-geojson-invalid-geometry/problematic_structure/problematic_nested_geometrycollection.geojson": ["GJ-GC-001"],
    ]

    @Test func fixtureVerdicts() async throws {
        let report = try await VerdictListing.run(profile: "geojson/rfc7946/profile.yaml", paths: ["Fixtures/geojson"], jobs: 2)
        let found = Self.findingsByFile(report)
        let levels = Dictionary(uniqueKeysWithValues: report.requirements.map { ($0.id, $0.level) })
        let files = Self.fixtureFiles()
        #expect(files.count == 44 + 18 + 74)
        for f in files {
            let got = found[f] ?? []
            if f.contains("/good/") || f.contains("/valid/") {
                // Good files break no MUST (issue82 has latitudes beyond -90: a SHOULD warning).
                #expect(got.allSatisfy { levels[$0] != .must }, "\(f): \(got.sorted())")
            } else if f.hasSuffix("bad-json.geojson") {
                #expect(got.count == report.requirements.count, "not JSON: every requirement reports it")
            } else if let want = Self.expected[f] {
                #expect(want.isSubset(of: got), "\(f): expected \(want.sorted()), found \(got.sorted())")
            } else {
                // Upstream's "problematic" files the RFC does not judge (self-intersections, excessive
                // precision or vertices, duplicate nodes, 3D coordinates, a bare geometry) and
                // geojsonhint's excessive_precision_truncated (no message upstream either).
                #expect(
                    f.contains("/problematic_") || f.hasSuffix("excessive_precision_truncated.geojson"),
                    "\(f) has no expectation")
                #expect(got.allSatisfy { levels[$0] != .must }, "\(f): \(got.sorted())")
            }
        }
        try VerdictListing.expectGolden(VerdictListing.render(report), "geojson/expected-findings.txt", suite: "geojson")
    }

    /// The upstream linter's own expected results are the oracle: every geojsonhint `bad/*.result` file
    /// that lists a problem (44 of them, 418 messages) has at least one finding here, and one that lists
    /// none has none. (Lines are not compared: geojsonhint reports the line where the object starts,
    /// citycert the line of the offending member, so 24 of the 418 messages sit on another line.)
    @Test func upstreamResultFilesAgree() async throws {
        let folder = "Fixtures/geojson/mapbox-geojsonhint/bad"
        let report = try await VerdictListing.run(profile: "geojson/rfc7946/profile.yaml", paths: [folder])
        let found = Self.findingsByFile(report)
        let names = try FileManager.default.contentsOfDirectory(atPath: Repository.root.appendingPathComponent(folder).path)
        var compared = 0
        for name in names.sorted() where name.hasSuffix(".result") {
            let geojson = String(name.dropLast(".result".count)) + ".geojson"
            // bad-feature-with-number-id.result has no .geojson upstream.
            guard names.contains(geojson) else { continue }
            let messages =
                try JSONValue.parse(bytes: Repository.read(Repository.root.appendingPathComponent(folder + "/" + name)))
                .arrayValue ?? []
            let ours = found["mapbox-geojsonhint/bad/" + geojson] ?? []
            #expect(
                messages.isEmpty == ours.isEmpty,
                "\(geojson): upstream lists \(messages.count) problem(s), citycert \(ours.sorted())")
            compared += 1
        }
        #expect(compared == 44)
    }
}
