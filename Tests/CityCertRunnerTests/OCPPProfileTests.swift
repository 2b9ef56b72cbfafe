import CityCertCore
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// The OCPP-J log profiles over citycert's session logs: the good sessions pass, and each error
/// planted in the bad ones is found by its requirement on its line. All findings are pinned in
/// Fixtures/ocpp/expected-<version>.txt (CITYCERT_RECORD=ocpp rewrites it and fails).
@Suite struct OCPPProfileTests {
    static let cases: [(profile: String, version: String, planted: [String])] = [
        (
            "ocpp/ocpp16-j/profile.yaml", "ocpp16",
            [
                "1 OCPP16-PAYLOAD-001",  // BootNotification without chargePointModel
                "2 OCPP16-PAYLOAD-001",  // status "accepted" (enums are case-sensitive), date-time without T and offset
                "3 OCPP16-ID-001",  // a 58-character UniqueId
                "5 OCPP16-MATCH-001",  // a CALLRESULT nobody asked for
                "6 OCPP16-PAYLOAD-001",  // unknown Action "Authorise"
                "7 OCPP16-PAYLOAD-001",  // an extra property (additionalProperties: false)
                "8 OCPP16-ERR-001",  // the 2.0.1 error code FormatViolation
                "9 OCPP16-PAYLOAD-001",  // limit 16.15 is not a multiple of 0.1
                "11 OCPP16-FRAME-001",  // a CALL without payload
                "12 OCPP16-FRAME-001",  // an object, not a frame
                "14 OCPP16-MATCH-001",  // a CALL reusing an unanswered UniqueId
                "15 OCPP16-PAYLOAD-001",  // a response schema name used as an Action
            ]
        ),
        (
            "ocpp/ocpp201-j/profile.yaml", "ocpp201",
            [
                "1 OCPP201-PAYLOAD-001",  // chargingStation without vendorName
                "4 OCPP201-ERR-001",  // the 1.6 spelling OccurenceConstraintViolation
                "5 OCPP201-PAYLOAD-001",  // idToken type "RFID" is not an IdTokenEnumType
            ]
        ),
    ]

    @Test(arguments: cases.indices)
    func sessionLogs(_ i: Int) async throws {
        let c = Self.cases[i]
        let good = try await VerdictListing.run(profile: c.profile, paths: ["Fixtures/ocpp/logs/\(c.version)-good-session.jsonl"])
        #expect(good.conformant)
        #expect(good.requirements.allSatisfy { $0.outcome == .passed })

        let bad = try await VerdictListing.run(profile: c.profile, paths: ["Fixtures/ocpp/logs/\(c.version)-bad-session.jsonl"])
        #expect(!bad.conformant)
        var found = Set<String>()
        for r in bad.requirements {
            for f in VerdictListing.findings(r) { found.insert("\(f.line) \(r.id)") }
        }
        for p in c.planted { #expect(found.contains(p), "planted error not found: \(p)") }
        try VerdictListing.expectGolden(VerdictListing.render(bad), "ocpp/expected-\(c.version).txt", suite: "ocpp")
    }
}
