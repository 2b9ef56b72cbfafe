import CityCertJSON
import CityCertTestSupport
import Foundation
import Testing

/// The OGC API - Features profile on the responses OGC's executable test suite (ets-ogcapi-features10)
/// uses in its own unit tests, served on loopback: the profile's outcomes must be the suite's
/// (`Fixtures/ogc-api-features/ets/SOURCE.md`), and one planted change the standard's text decides.
@Suite struct EtsFixtureTests {
    static func fixture(_ name: String) throws -> String {
        String(decoding: try Repository.read(Repository.fixture("ogc-api-features/ets/" + name)), as: UTF8.self)
    }

    /// /<variant>/conformance and /<variant>/collections[/<id>]: variant `ok` serves the suite's files,
    /// `typo` and `badtype` its two invalid conformance declarations, `retitled` a collection document whose
    /// title differs from its /collections entry.
    static func service() throws -> LoopbackServer {
        let files = try [
            "req-classes.json", "req-classes_invalidConformsTo.json", "req-classes_invalidElementDataType.json",
            "collections.json", "collection-flurstueck.json", "collection-gebaeudebauwerk.json",
            "collection-verwaltungseinheit.json", "openapi.json", "openapi-freeformparam.json",
        ].reduce(into: [String: String]()) { $0[$1] = try fixture($1) }
        return try LoopbackServer { r in
            let parts = r.path.split(separator: "/").map(String.init)
            guard let variant = parts.first else { return .json("{}", status: 404) }
            let rest = Array(parts.dropFirst())
            // The landing page links to the variant's OpenAPI definition (the suite's own documents).
            if rest.isEmpty {
                return .json(
                    #"{"links": [{"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "href": "openapi"}, {"rel": "conformance", "href": "conformance"}, {"rel": "data", "href": "collections"}]}"#
                )
            }
            if rest == ["openapi"] { return .json(files[variant == "freeform" ? "openapi-freeformparam.json" : "openapi.json"]!) }
            // Items: an unknown parameter is refused with 400 except by the lenient variant.
            if rest.count == 3, rest[0] == "collections", rest[2] == "items" {
                let unknown = r.query.split(separator: "&").contains { $0.hasPrefix("citycert-unknown-") }
                return unknown && variant != "lenient"
                    ? .json(#"{"code": "InvalidParameterValue"}"#, status: 400)
                    : .json(#"{"type": "FeatureCollection", "features": []}"#)
            }
            if rest == ["conformance"] {
                let file =
                    ["typo": "req-classes_invalidConformsTo.json", "badtype": "req-classes_invalidElementDataType.json"][
                        variant] ?? "req-classes.json"
                return .json(files[file]!)
            }
            if rest == ["collections"] { return .json(files["collections.json"]!) }
            guard rest.count == 2, rest[0] == "collections", var body = files["collection-\(rest[1]).json"] else {
                return .json("{}", status: 404)
            }
            if variant == "retitled" && rest[1] == "flurstueck" {
                body = body.replacingOccurrences(of: #""title": "Flurstück","#, with: #""title": "Parcel","#)
            }
            return .json(body)
        }
    }

    static func outcomes(_ variant: String, _ server: LoopbackServer) async throws -> [String: String] {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("citycert-ets-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: report) }
        let ids = [
            "OAF-CORE-CONF", "OAF-CORE-COLLECTIONS", "OAF-CORE-COLLECTIONS-CRS", "OAF-CORE-COLLECTION-ITEMS-LINKS",
            "OAF-CORE-COLLECTION", "OAF-CORE-PARAM-UNKNOWN",
        ]
        _ = try await CityCertBinary.run(
            [
                "run", "Profiles/ogc-api-features/features-1.0/profile.yaml", "--input", "base_url=\(server.baseURL)/\(variant)",
                "--report-json", report.path,
            ] + ids.flatMap { ["--filter", $0] })
        let got = try JSONValue.parse(bytes: Repository.read(report))
        var out: [String: String] = [:]
        for r in got["requirements"]?.arrayValue ?? [] { out[r["id"]?.stringValue ?? ""] = r["outcome"]?.stringValue }
        return out
    }

    @Test func theProfileAgreesWithTheSuitesOwnExpectations() async throws {
        let server = try Self.service()
        defer { server.stop() }
        // The suite's valid files pass its tests: so do the profile's requirements on them.
        let ok = try await Self.outcomes("ok", server)
        #expect(
            ok == [
                "OAF-CORE-CONF": "passed", "OAF-CORE-COLLECTIONS": "passed", "OAF-CORE-COLLECTIONS-CRS": "passed",
                "OAF-CORE-COLLECTION-ITEMS-LINKS": "passed", "OAF-CORE-COLLECTION": "passed",
                "OAF-CORE-PARAM-UNKNOWN": "passed",
            ], "\(ok)")
        // A misspelt conformsTo and a number among the class URIs: the suite expects an AssertionError.
        #expect(try await Self.outcomes("typo", server)["OAF-CORE-CONF"] == "failed")
        #expect(try await Self.outcomes("badtype", server)["OAF-CORE-CONF"] == "failed")
        // sfc-md-success: "the values for id, title, description, extent and itemType SHALL be identical".
        let retitled = try await Self.outcomes("retitled", server)
        #expect(retitled["OAF-CORE-COLLECTION"] == "failed", "\(retitled)")
        // query-param-unknown: the suite's definition declares no free-form parameter, so an items request
        // with an undeclared one must get 400; with its free-form definition the test does not apply.
        #expect(try await Self.outcomes("lenient", server)["OAF-CORE-PARAM-UNKNOWN"] == "failed")
        #expect(try await Self.outcomes("freeform", server)["OAF-CORE-PARAM-UNKNOWN"] == "not-applicable")
    }
}
