import CityCertCore
import CityCertJSON
import CityCertTestSupport
import Foundation
import Testing

/// Waivers (`--waivers`): a failed requirement an unexpired waiver names becomes `waived` and leaves the
/// verdict; an expired or unused waiver is reported; nothing but a failure is ever waived.
@Suite struct WaiverTests {
    static func result(_ id: String, _ outcome: Outcome, level: Level = .must) -> RequirementResult {
        RequirementResult(
            id: id, title: id, clause: "1", url: nil, level: level, tags: [], outcome: outcome, reason: nil, checks: [],
            duration: 0)
    }

    static func waiver(_ requirement: String, expires: String = "2099-12-31", target: String? = nil) -> Waiver {
        Waiver(
            requirement: requirement, target: target, reason: "accepted", approvedBy: "board", expires: expires, link: nil,
            place: "w.yaml:1:1")
    }

    @Test func onlyFailuresAreWaivedFirstMatchRecordedExpiredAndUnusedReported() {
        var report = RunReport(
            profile: .init(
                id: "p", title: "P", version: "1", sha256: "", standardName: "S", standardVersion: "1", standardURL: nil),
            target: ["base_url": "http://a.example", "region": "north", "token": "***", "callback": "http://c.example"],
            toolVersion: "0", started: 0,
            finished: 1_800_000_000, insecure: false,
            requirements: [
                Self.result("A-1", .failed), Self.result("A-2", .failed), Self.result("B-1", .passed),
                Self.result("C-1", .error), Self.result("D-1", .failed),
            ])
        let waivers = [
            Self.waiver("A-*"), Self.waiver("A-1"), Self.waiver("B-1"), Self.waiver("C-1"),
            Self.waiver("D-1", expires: "2020-01-01"), Self.waiver("D-1", target: "http://b.example"),
            // A target is the base URL or the data paths: another input's value, or a redacted one, is not.
            Self.waiver("D-1", target: "north"), Self.waiver("D-1", target: "***"),
            Self.waiver("D-1", target: "http://c.example"),
        ]
        Waivers.apply(waivers, to: &report, at: report.finished)
        #expect(report.requirements.map(\.outcome) == [.waived, .waived, .passed, .error, .failed])
        #expect(report.requirements[0].waiver == waivers[0])
        #expect(
            report.waivers.map(\.status) == [.applied, .unused, .unused, .unused, .expired, .unused, .unused, .unused, .unused])
        #expect(report.waivers[0].requirements == ["A-1", "A-2"])
        #expect(report.waivers[4].requirements == ["D-1"], "the failure an expired waiver names stands, and is listed")
        #expect(!report.conformant && report.mustNotPassed == 2)
        report.requirements[3].outcome = .passed
        report.requirements[4].outcome = .passed
        #expect(report.conformant, "waived failures leave the verdict")
        // Something must have passed: a run whose every judged requirement failed and was waived is not
        // a conformance claim.
        report.requirements = [Self.result("A-1", .waived), Self.result("B-1", .notApplicable)]
        #expect(!report.conformant)
        // Nor one where the only other requirement is a failed SHOULD (a review found it CONFORMANT).
        report.requirements = [Self.result("A-1", .waived), Self.result("B-1", .failed, level: .should)]
        #expect(!report.conformant && report.exitCode == 1)
    }

    /// The last day counts whole (UTC); the day boundary agrees with Foundation's Gregorian calendar, a
    /// second implementation, for dates across leap years and centuries.
    @Test func expiryIsTheEndOfTheDayInUTC() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for date in ["1970-01-01", "2000-02-29", "2024-02-29", "2026-12-03", "2100-03-01", "2399-12-31"] {
            let p = date.split(separator: "-").map { Int($0)! }
            let start = try #require(calendar.date(from: DateComponents(year: p[0], month: p[1], day: p[2])))
            let next = try #require(calendar.date(byAdding: .day, value: 1, to: start)).timeIntervalSince1970
            #expect(Waiver.endOfDay(date) == next, "\(date)")
            #expect(!Self.waiver("X", expires: date).isExpired(at: next - 1))
            #expect(Self.waiver("X", expires: date).isExpired(at: next))
        }
        for bad in ["2026-02-29", "2026-13-01", "2026-1-01", "26-01-01", "2026-00-10", "tomorrow", "2099-+1-+1", "+999-12-31"] {
            #expect(Waiver.endOfDay(bad) == nil, "\(bad)")
        }
    }

    static func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "citycert-waivers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try """
        \(InlineProfile.head())
        requirements:
          - id: R-1
            title: every document has a number a
            clause: "1"
            level: MUST
            checks:
              - name: a
                data: {files: ["**/*.json"], assert: [{path: $.a, type: number}]}
          - id: R-2
            title: every document has an a
            clause: "2"
            level: MUST
            checks:
              - name: a exists
                data: {files: ["**/*.json"], assert: [{path: $.a, exists: true}]}
        """.write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
        try "{\"a\": \"not a number\"}".write(toFile: dir + "/data/one.json", atomically: true, encoding: .utf8)
        return dir
    }

    /// End to end: the only failing MUST (another passes), waived, gives CONFORMANT and exit 0, with the waiver in the
    /// reports; the same waiver expired gives exit 1 and says the failure stands.
    @Test func aWaivedFailureLeavesTheVerdictAndShowsEverywhere() async throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func run(expires: String) async throws -> (Subprocess.Result, JSONValue) {
            try """
            waivers:
              - requirement: R-1
                reason: the vendor fixes it in 2.0
                approved_by: Jane Roe
                expires: \(expires)
            """.write(toFile: dir + "/waivers.yaml", atomically: true, encoding: .utf8)
            let out = try await CityCertBinary.run([
                "run", dir + "/profile.yaml", dir + "/data", "--waivers", dir + "/waivers.yaml", "--report-json", dir + "/r.json",
            ])
            return (out, try JSONValue.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/r.json")))))
        }
        let (ok, report) = try await run(expires: "2999-01-01")
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("WAIVE MUST   R-1"))
        #expect(ok.stdout.contains("Verdict: CONFORMANT (every applicable MUST requirement passed, 1 failure(s) waived)"))
        #expect(report["requirements"]?[0]?["outcome"] == .string("waived"))
        #expect(report["requirements"]?[0]?["waiver"]?["approvedBy"] == .string("Jane Roe"))
        #expect(report["waivers"]?[0]?["status"] == .string("applied"))
        #expect(report["fingerprint"]?["options"]?["waivers"]?.stringValue?.contains("sha256:") == true)

        let (expired, again) = try await run(expires: "2001-01-01")
        #expect(expired.status == 1)
        #expect(again["requirements"]?[0]?["outcome"] == .string("failed"))
        #expect(expired.stdout.contains("the failure of R-1 stands"), "\(expired.stdout)")
    }

    /// A waiver file is checked like a profile: each problem at its place, exit 2 before anything runs.
    @Test func aBrokenWaiverFileIsAUsageError() async throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(String, String)] = [
            (
                "waivers:\n  - {requirement: R-3, reason: r, approved_by: a, expires: 2999-01-01}\n",
                "waivers.yaml:2:19: error: 'R-3' names no requirement of profile t"
            ),
            (
                "waivers:\n  - {requirement: R-1, reason: r, approved_by: a, expires: 31.12.2099}\n",
                "waivers.yaml:2:60: error: expires must be a date, YYYY-MM-DD"
            ),
            ("waivers:\n  - {requirement: R-1, reason: r, expires: 2999-01-01}\n", "missing"),
            ("waivers:\n  - {requirement: R-1, reason: '  ', approved_by: a, expires: 2999-01-01}\n", "reason cannot be empty"),
            ("waivers:\n  - {requirement: R-1, reason: r, approved_by: a, expires: 2999-01-01, approver: b}\n", "approver"),
            ("waivers:\n  - {requirement: '*', reason: r, approved_by: a, expires: 2999-01-01}\n", "not everything"),
        ]
        for (text, message) in cases {
            try text.write(toFile: dir + "/waivers.yaml", atomically: true, encoding: .utf8)
            let out = try await CityCertBinary.run([
                "run", dir + "/profile.yaml", dir + "/data", "--waivers", dir + "/waivers.yaml",
            ])
            #expect(out.status == 2, "\(text)")
            #expect(out.stderr.contains(message), "\(out.stderr)")
            #expect(!out.stdout.contains("Verdict"), "nothing ran")
        }
    }
}
