import CityCertCore
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// The NGSI-LD entity profile over the ETSI NGSI-LD test suite's entity payloads: the payloads the
/// suite sends as valid pass every MUST; the ones it sends to provoke errors (and the attribute
/// fragments stored next to the entities) fail with their expected finding. Every finding's place is
/// pinned in Fixtures/ngsi-ld/expected-findings.txt (CITYCERT_RECORD=ngsi-ld rewrites it and fails).
@Suite struct NGSILDProfileTests {
    /// Files that must break a MUST, with the requirement and why.
    static let expected: [String: (String, String)] = [
        "invalid-json.jsonld": ("NGSILD-ENT-001", "not JSON (the suite expects 400 InvalidRequest)"),
        "batch/invalid-json.jsonld": ("NGSILD-ENT-001", "not JSON"),
        "batch/invalid-json-ld.jsonld": ("NGSILD-ATTR-001", "a Property value is null (the suite expects BadRequestData)"),
        "building-simple-attributes.json": ("NGSILD-ENT-001", "id 'RandomUuidToBeReplaced', a placeholder the suite replaces"),
        "vehicle-isParked-attribute.json": ("NGSILD-ENT-001", "an attribute fragment, not an entity"),
        "vehicle-isParked-new-type-attribute.json": ("NGSILD-ENT-001", "an attribute fragment"),
        "vehicle-scope-attribute.json": ("NGSILD-ENT-001", "a scope fragment"),
        "vehicle-speed-datasetid-instance.json": ("NGSILD-ENT-001", "an attribute fragment"),
        "vehicle-speed-default-instance.json": ("NGSILD-ENT-001", "an attribute fragment"),
    ]

    @Test func etsiPayloadVerdicts() async throws {
        let report = try await VerdictListing.run(profile: "ngsi-ld/entities/profile.yaml", paths: ["Fixtures/ngsi-ld"])
        let levels = Dictionary(uniqueKeysWithValues: report.requirements.map { ($0.id, $0.level) })
        var found: [String: Set<String>] = [:]
        for r in report.requirements {
            for f in VerdictListing.findings(r) {
                let rel = VerdictListing.relative(f.file).replacingOccurrences(of: "Fixtures/ngsi-ld/etsi-entities/", with: "")
                found[rel, default: []].insert(r.id)
            }
        }
        let root = Repository.fixture("ngsi-ld/etsi-entities").path
        let files = (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".json") || $0.hasSuffix(".jsonld") }.sorted()
        #expect(files.count == 83)
        for f in files {
            let got = found[f] ?? []
            if let (want, why) = Self.expected[f] {
                #expect(got.contains(want), "\(f) (\(why)): found \(got.sorted())")
            } else {
                #expect(got.allSatisfy { levels[$0] != .must }, "\(f) is sent as valid by the suite: \(got.sorted())")
            }
        }
        try VerdictListing.expectGolden(VerdictListing.render(report), "ngsi-ld/expected-findings.txt", suite: "ngsi-ld")
    }
}
