import CityCertJSON
import CityCertTestSupport
import Foundation
import Testing

/// The API profiles against real servers (acmecse, django-ogc-sensorthings and pygeoapi, started by
/// .ci/run): every requirement's verdict must equal the committed expected-verdicts file, where each
/// deviation is justified.
@Suite struct RealServerTests {
    static let onem2mURL = ProcessInfo.processInfo.environment["CITYCERT_ONEM2M_URL"]

    static let staURL = ProcessInfo.processInfo.environment["CITYCERT_STA_URL"]

    static let featuresURL = ProcessInfo.processInfo.environment["CITYCERT_OGCAPI_FEATURES_URL"]

    /// Runs `profile` against `url` and compares every requirement's outcome with the expected file.
    static func expectVerdicts(profile: String, url: String, expected file: String) async throws {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("citycert-real-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: report) }
        let result = try await CityCertBinary.run(["run", profile, "--input", "base_url=\(url)", "--report-json", report.path])
        #expect(result.status == 1, "the server deviates in places, so the verdict is NOT CONFORMANT: \(result.stderr)")
        let got = try JSONValue.parse(bytes: Repository.read(report))
        let expected = try JSONValue.parse(bytes: Repository.read(Repository.fixture(file)))
        var outcomes: [String: String] = [:]
        for r in got["requirements"]?.arrayValue ?? [] {
            outcomes[r["id"]?.stringValue ?? ""] = r["outcome"]?.stringValue
        }
        let verdicts = expected["verdicts"]?.objectValue
        #expect(verdicts?.count == outcomes.count, "every requirement has an expected verdict")
        for (id, v) in verdicts?.uniqueEntries ?? [] {
            #expect(
                outcomes[id] == v["outcome"]?.stringValue,
                "\(id): got \(outcomes[id] ?? "-"), expected \(v["outcome"]?.stringValue ?? "-")")
            if v["outcome"]?.stringValue == "not-applicable" {
                // Not a deviation: the basis says why nothing applied.
                #expect(v["basis"]?.stringValue != nil, "\(id) says why it does not apply")
            } else if v["outcome"]?.stringValue != "passed" {
                #expect(
                    v["deviation"]?.stringValue != nil && v["evidence"]?.stringValue != nil && v["clause"]?.stringValue != nil,
                    "\(id) is justified")
            }
        }
        // Class verdicts, where the file states them (each derived by hand from the verdicts above by the class rule).
        var classes: [String: String] = [:]
        for c in got["classes"]?.arrayValue ?? [] { classes[c["id"]?.stringValue ?? ""] = c["verdict"]?.stringValue }
        if let expectedClasses = expected["classes"]?.objectValue {
            #expect(expectedClasses.count == classes.count, "every class has an expected verdict: \(classes)")
            for (id, v) in expectedClasses.uniqueEntries {
                #expect(classes[id] == v["verdict"]?.stringValue, "class \(id): got \(classes[id] ?? "-")")
                #expect(v["basis"]?.stringValue != nil, "class \(id) says why")
            }
        } else {
            #expect(classes.isEmpty, "the profile declares classes the expected file does not judge: \(classes)")
        }
        // Nothing is left behind: the cleanup deleted what the run created (the report lists leftovers otherwise).
        #expect(got["leftovers"]?.arrayValue?.isEmpty == true)
    }

    @Test(
        .enabled(
            if: onem2mURL != nil,
            "needs a running acmecse: .ci/run starts one and sets CITYCERT_ONEM2M_URL (.ci/servers/onem2m.sh start DIR PORT)"))
    func onem2mVerdictsMatchTheExpectedFile() async throws {
        try await Self.expectVerdicts(
            profile: "Profiles/onem2m/http-core/profile.yaml", url: Self.onem2mURL!,
            expected: "onem2m/acmecse-2026.5.3-expected-verdicts.json")
    }

    @Test(
        .enabled(
            if: staURL != nil,
            "needs a running django-ogc-sensorthings: .ci/run starts one and sets CITYCERT_STA_URL (.ci/servers/sensorthings.sh start DIR PORT)"
        ))
    func sensorThingsVerdictsMatchTheExpectedFile() async throws {
        try await Self.expectVerdicts(
            profile: "Profiles/ogc-sensorthings/sta-1.1/profile.yaml", url: Self.staURL!,
            expected: "ogc-sensorthings/django-ogc-sensorthings-1.2.0-expected-verdicts.json")
    }

    @Test(
        .enabled(
            if: featuresURL != nil,
            "needs a running pygeoapi: .ci/run starts one and sets CITYCERT_OGCAPI_FEATURES_URL (.ci/servers/pygeoapi.sh start DIR PORT)"
        ))
    func ogcAPIFeaturesVerdictsMatchTheExpectedFile() async throws {
        try await Self.expectVerdicts(
            profile: "Profiles/ogc-api-features/features-1.0/profile.yaml", url: Self.featuresURL!,
            expected: "ogc-api-features/pygeoapi-0.21.0-expected-verdicts.json")
    }

    /// A conformance class the service does not declare makes its requirements not applicable, and the
    /// requirements that need them too: a read-only service declaring only the core class is CONFORMANT
    /// (it got 9 skipped MUSTs and NOT CONFORMANT, exit 1, before the outcome table of FORMAT.md).
    @Test func undeclaredConformanceClassesAreNotApplicable() async throws {
        let server = try LoopbackServer { request in
            let sets = [
                "Things", "Locations", "HistoricalLocations", "Datastreams", "Sensors", "Observations", "ObservedProperties",
                "FeaturesOfInterest",
            ]
            // Every entity set is there, empty (STA-CTRL-002 and STA-RP-001 read them all; this mock answered
            // only /Things, and the root document for the other sets).
            if sets.contains(where: { request.path.hasSuffix("/" + $0) }) {
                return .json(#"{"value": []}"#)
            }
            let value = sets.map { #"{"name": "\#($0)", "url": "http://127.0.0.1/\#($0)"}"# }.joined(separator: ", ")
            return .json(
                #"{"value": [\#(value)], "serverSettings": {"conformance": ["http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel"]}}"#
            )
        }
        defer { server.stop() }
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("citycert-na-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: report) }
        let result = try await CityCertBinary.run([
            "run", "Profiles/ogc-sensorthings/sta-1.1/profile.yaml", "--input", "base_url=\(server.baseURL)", "--report-json",
            report.path,
        ])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("Verdict: CONFORMANT"))
        let got = try JSONValue.parse(bytes: Repository.read(report))
        var outcomes: [String: String] = [:]
        for r in got["requirements"]?.arrayValue ?? [] { outcomes[r["id"]?.stringValue ?? ""] = r["outcome"]?.stringValue }
        for id in ["STA-CUD-001", "STA-CUD-002", "STA-CUD-003", "STA-CUD-004", "STA-RD-002", "STA-RD-007"] {
            #expect(outcomes[id] == "not-applicable", "\(id): \(outcomes[id] ?? "-")")
        }
        #expect(!outcomes.values.contains("skipped"), "\(outcomes)")
        #expect(outcomes["STA-ROOT-001"] == "passed")
        var classes: [String: String] = [:]
        for c in got["classes"]?.arrayValue ?? [] { classes[c["id"]?.stringValue ?? ""] = c["verdict"]?.stringValue }
        #expect(
            classes == [
                "datamodel": "CONFORMANT", "resource-path": "CONFORMANT", "request-data": "NOT APPLICABLE",
                "create-update-delete": "NOT APPLICABLE",
            ], "\(classes)")
    }

    /// A CSE that is down: every check that runs ends in `error` (the others are skipped because what
    /// they need erred), the exit code is 3, and it all happens within the timeouts.
    @Test func aServerThatIsDownErrsEverywhere() async throws {
        let start = ContinuousClock.now
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("citycert-down-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: report) }
        // A port that was just free: a loopback server is started and stopped on it.
        let server = try LoopbackServer { _ in .text("") }
        let url = server.baseURL
        server.stop()
        let result = try await CityCertBinary.run([
            "run", "Profiles/onem2m/http-core/profile.yaml", "--input", "base_url=\(url)",
            "--connect-timeout", "2", "--timeout", "5", "--report-json", report.path,
        ])
        #expect(result.status == 3)
        #expect(ContinuousClock.now - start < .seconds(60))
        let got = try JSONValue.parse(bytes: Repository.read(report))
        let outcomes = (got["requirements"]?.arrayValue ?? []).map {
            ($0["id"]?.stringValue ?? "", $0["outcome"]?.stringValue ?? "", $0["reason"]?.stringValue ?? "")
        }
        #expect(outcomes.count == 52)
        for (id, outcome, reason) in outcomes {
            // A requirement whose need erred (or was skipped for that reason) is skipped, not judged.
            let chained = reason.contains("which error") || reason.contains("which was skipped")
            #expect(outcome == "error" || (outcome == "skipped" && chained), "\(id): \(outcome) \(reason)")
        }
        #expect(outcomes.contains { $0.1 == "error" })
    }
}
