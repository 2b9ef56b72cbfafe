import CityCertCore
import CityCertCurl
import CityCertProfile
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// The outcome table of Profiles/FORMAT.md ("Outcomes and verdict"), case by case, against a loopback
/// service whose root declares conformance classes the way SensorThings and OGC API services do.
@Suite struct OutcomeSemanticsTests {
    static let core = "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel"
    static let cud = "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete"

    func profile(_ requirements: String, extra: String = "") throws -> Profile {
        try ProfileLoader().load(
            text: """
                citycert: 1
                id: t
                title: T
                version: "1"
                standard: {name: S, version: "1"}
                inputs: {base_url: {}}
                \(extra)
                requirements:
                  - {id: ROOT, title: root, clause: "1", level: MUST, checks: [{http: {steps: [{request: {url: "{{base_url}}/"}, expect: {status: 200}, capture: {conformance: {jsonpath: $.conformance}}}]}}]}
                \(requirements)
                """, file: Repository.fixture("loopback/inline.yaml").path)
    }

    func run(_ p: Profile, declaring classes: [String], _ configure: (inout RunOptions) -> Void = { _ in }) async throws
        -> RunReport
    {
        // A class that is a number is sent as a JSON number (a captured value keeps its type).
        let body = "{\"conformance\": [" + classes.map { Int($0) != nil ? $0 : "\"\($0)\"" }.joined(separator: ", ") + "]}"
        let server = try LoopbackServer { r in
            if r.path == "/" { return .json(body) }
            if r.path == "/fail" { return .json("{}", status: 500) }
            return .json("{\"ok\": true}", status: r.method == "POST" ? 201 : 200)
        }
        defer { server.stop() }
        var options = RunOptions()
        options.inputs = ["base_url": server.baseURL]
        configure(&options)
        return try await Runner(profile: p, transport: CurlTransport(), options: options).run()
    }

    static let cudRequirements = """
          - {id: CUD-1, title: create, clause: "2", level: MUST, needs: [ROOT], applies_if: {variable: conformance, contains: "\(cud)"}, checks: [{http: {steps: [{request: {url: "{{base_url}}/things", method: POST}, expect: {status: 201}}]}}]}
          - {id: CUD-2, title: update, clause: "3", level: MUST, needs: [CUD-1], checks: [{http: {steps: [{request: {url: "{{base_url}}/things", method: PATCH}, expect: {status: 200}}]}}]}
          - {id: CUD-3, title: delete, clause: "4", level: MUST, needs: [CUD-2], checks: [{http: {steps: [{request: {url: "{{base_url}}/things", method: DELETE}, expect: {status: 200}}]}}]}
        """

    /// A service that declares only the core class: the create-update-delete requirements and those that
    /// need them are not applicable, and the service is CONFORMANT (it was NOT CONFORMANT with 2 skipped MUSTs).
    @Test func aRequirementWhoseNeedIsNotApplicableIsNotApplicable() async throws {
        let p = try profile(Self.cudRequirements)
        let report = try await run(p, declaring: [Self.core])
        #expect(report.requirements.map(\.outcome) == [.passed, .notApplicable, .notApplicable, .notApplicable])
        #expect(report.requirements[2].reason == "not applicable: needs CUD-1, which is not applicable")
        #expect(report.conformant)
        #expect(!report.partial)
        let declared = try await run(p, declaring: [Self.core, Self.cud])
        #expect(declared.requirements.map(\.outcome) == [.passed, .passed, .passed, .passed])
    }

    /// `contains` on a captured array is membership: a class whose URI only starts with the wanted one is
    /// another class (the old test was a substring of the array's JSON text).
    @Test func containsOnAnArrayIsMembershipNotASubstring() async throws {
        let p = try profile(Self.cudRequirements)
        let report = try await run(p, declaring: [Self.cud + "/extension"])
        #expect(report.requirements[1].outcome == .notApplicable)
        #expect(report.requirements[1].reason == "not applicable: conformance has no item equal to \"\(Self.cud)\"")
    }

    /// `applies_if` is decided before `needs`: a requirement that does not apply is not applicable even
    /// when a need failed (it was skipped, and a skipped MUST failed the verdict).
    @Test func appliesIfIsDecidedBeforeNeeds() async throws {
        let p = try profile(
            """
              - {id: BROKEN, title: b, clause: "2", level: SHOULD, checks: [{http: {steps: [{request: {url: "{{base_url}}/fail"}, expect: {status: 200}}]}}]}
              - {id: X, title: x, clause: "3", level: MUST, needs: [ROOT, BROKEN], applies_if: {variable: conformance, contains: "\(Self.cud)"}, checks: [{http: {steps: [{request: {url: "{{base_url}}/x"}, expect: {status: 200}}]}}]}
              - {id: Y, title: y, clause: "4", level: MUST, needs: [ROOT, BROKEN], applies_if: {variable: conformance, contains: "\(Self.core)"}, checks: [{http: {steps: [{request: {url: "{{base_url}}/x"}, expect: {status: 200}}]}}]}
            """)
        let report = try await run(p, declaring: [Self.core])
        #expect(report.requirements.map(\.outcome) == [.passed, .failed, .notApplicable, .skipped])
        #expect(report.requirements[3].reason == "needs BROKEN, which failed")
        #expect(!report.conformant)  // Y applies and could not be checked
    }

    /// `any`, `all`, `not`, `equals` and `matches` over captured values.
    @Test func conditionsCompose() async throws {
        func req(_ id: String, _ condition: String) -> String {
            "  - {id: \(id), title: t, clause: \"1\", level: MUST, needs: [ROOT], applies_if: \(condition), checks: [{http: {steps: [{request: {url: \"{{base_url}}/x\"}, expect: {status: 200}}]}}]}\n"
        }
        let p = try profile(
            req(
                "ANY",
                "{any: [{variable: conformance, contains: \"\(Self.cud)\"}, {variable: conformance, contains: \"\(Self.core)\"}]}"
            )
                + req(
                    "ALL",
                    "{all: [{variable: conformance, contains: \"\(Self.cud)\"}, {variable: conformance, contains: \"\(Self.core)\"}]}"
                )
                + req("NOT", "{not: {variable: conformance, contains: \"\(Self.cud)\"}}")
                + req("MATCH", "{variable: conformance, matches: \"/req/data[a-z]+$\"}")
                + req("NOMATCH", "{variable: conformance, matches: \"^urn:\"}")
                + req("EQ", "{variable: base_url, equals: \"http://nowhere\"}")
                + req("NUM", "{variable: conformance, matches: \"^7$\"}"))
        let report = try await run(p, declaring: [Self.core, "7"])
        #expect(
            report.requirements.map(\.outcome) == [
                .passed, .passed, .notApplicable, .passed, .passed, .notApplicable, .notApplicable, .passed,
            ])
    }

    /// `--read-only` keeps writing requirements (and those needing them) from running: they are listed as
    /// not run and the verdict is the verdict of what ran, marked partial.
    @Test func readOnlyMakesARunPartialNotNonConformant() async throws {
        let p = try profile(Self.cudRequirements)
        let report = try await run(p, declaring: [Self.core, Self.cud]) { $0.readOnly = true }
        #expect(report.requirements.map(\.outcome) == [.passed, .skipped, .skipped, .skipped])
        #expect(report.requirements.dropFirst().allSatisfy { $0.excludedByOption })
        #expect(report.conformant)
        #expect(report.partial)
        #expect(report.notRun.map(\.id) == ["CUD-1", "CUD-2", "CUD-3"])
        #expect(report.notRun[0].reason == "writes to the target, and --read-only is set")
        #expect(report.notRun[1].reason.hasPrefix("needs CUD-1, which did not run: writes to the target"))
    }

    /// `--filter` leaves requirements out: the report lists them as not run; a filter that selects nothing
    /// is a usage error with a did-you-mean.
    @Test func filterMakesARunPartialAndUnknownFiltersAreRefused() async throws {
        let p = try profile(Self.cudRequirements)
        let report = try await run(p, declaring: [Self.core]) { $0.filters = ["ROOT"] }
        #expect(report.requirements.map(\.id) == ["ROOT"])
        #expect(report.conformant && report.partial)
        #expect(report.notSelected.map(\.id) == ["CUD-1", "CUD-2", "CUD-3"])
        #expect(report.notSelected[0].reason == "not selected by --filter ROOT")
        do {
            _ = try await run(p, declaring: [Self.core]) { $0.filters = ["CUD-01"] }
            Issue.record("an unknown filter ran")
        } catch let error as RunError {
            #expect(error.usage)
            #expect(error.message.contains("--filter 'CUD-01' selects no requirement"), "\(error.message)")
            #expect(error.message.contains("did you mean 'CUD-1'?"), "\(error.message)")
        }
    }

    /// A need skipped because of a failure (not an option) still leaves the MUST unverified: NOT CONFORMANT.
    @Test func aMustSkippedBecauseANeedFailedIsNotPassed() async throws {
        let p = try profile(
            """
              - {id: B, title: b, clause: "2", level: MAY, checks: [{http: {steps: [{request: {url: "{{base_url}}/fail"}, expect: {status: 200}}]}}]}
              - {id: C, title: c, clause: "3", level: MUST, needs: [B], checks: [{http: {steps: [{request: {url: "{{base_url}}/x"}, expect: {status: 200}}]}}]}
            """)
        let report = try await run(p, declaring: [])
        #expect(report.requirements.map(\.outcome) == [.passed, .failed, .skipped])
        #expect(!report.requirements[2].excludedByOption)
        #expect(!report.conformant && !report.partial)
    }
}

extension OutcomeSemanticsTests {
    /// A need that failed decides over a need an option kept from running: the requirement could not pass
    /// whatever the option, so it is not passed (it was "partial CONFORMANT" with --read-only).
    @Test func aFailedNeedDecidesOverAnOptionSkippedOne() async throws {
        let p = try profile(
            """
              - {id: A, title: a, clause: "2", level: SHOULD, checks: [{http: {steps: [{request: {url: "{{base_url}}/fail"}, expect: {status: 200}}]}}]}
              - {id: W, title: w, clause: "3", level: MUST, checks: [{http: {steps: [{request: {url: "{{base_url}}/w", method: POST}, expect: {status: 201}}]}}]}
              - {id: C, title: c, clause: "4", level: MUST, needs: [A, W], checks: [{http: {steps: [{request: {url: "{{base_url}}/x"}, expect: {status: 200}}]}}]}
            """)
        let report = try await run(p, declaring: []) { $0.readOnly = true }
        #expect(report.requirements.map(\.outcome) == [.passed, .failed, .skipped, .skipped])
        #expect(report.requirements[3].reason == "needs A, which failed")
        #expect(!report.requirements[3].excludedByOption)
        #expect(!report.conformant)
    }

    /// A filter keeps the requirement that captures a variable an applies_if reads, even when it is not a
    /// need: the condition is decided (it was left unset, and the MUST skipped: NOT CONFORMANT).
    @Test func aFilterKeepsTheCaptureAnAppliesIfReads() async throws {
        let p = try profile(
            """
              - {id: X, title: x, clause: "2", level: MUST, applies_if: {variable: conformance, contains: "\(Self.cud)"}, checks: [{http: {steps: [{request: {url: "{{base_url}}/x"}, expect: {status: 200}}]}}]}
              - {id: V, title: v, clause: "3", level: MUST, applies_if: {variable: conformance, matches: "^2$"}, checks: [{http: {steps: [{request: {url: "{{base_url}}/x"}, expect: {status: 200}}]}}]}
            """)
        let report = try await run(p, declaring: [Self.core]) { $0.filters = ["X"] }
        #expect(report.requirements.map(\.id) == ["ROOT", "X"])
        #expect(report.requirements.map(\.outcome) == [.passed, .notApplicable])
        #expect(report.conformant && report.partial)
    }
}

/// Data coverage: every document of the data paths is looked at by a requirement or listed as not covered.
@Suite struct DataCoverageTests {
    func folder(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "citycert-coverage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    /// The README's main profile selected entities by the type of `dateObserved`: an entity whose
    /// dateObserved is a number was judged by no requirement (all N/A, or CONFORMANT beside a valid one).
    /// It now selects by model and representation, and the schema finding is reported.
    @Test func airQualityEntityWithANumericDateIsJudged() async throws {
        let valid = try String(
            contentsOf: Repository.root.appendingPathComponent(
                "Fixtures/smart-data-models/Environment/AirQualityObserved/example-normalized.json"), encoding: .utf8)
        let dir = try folder([
            "a-normalized.json": valid,
            "b.json":
                "{\"id\": \"urn:ngsi-ld:AirQualityObserved:x\", \"type\": \"AirQualityObserved\", \"dateObserved\": 17, \"location\": {\"type\": \"Point\", \"coordinates\": [1, 2]}}",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await CityCertBinary.run(["run", "Profiles/smart-data-models/air-quality/profile.yaml", dir])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stdout.contains("FAIL  MUST   SDM-AQO-KV-001"), "\(result.stdout)")
        #expect(result.stdout.contains("b.json:1:90 /dateObserved: number is not of type string"), "\(result.stdout)")
        #expect(result.stdout.contains("Coverage: 2 of 2 document(s) looked at by a requirement"), "\(result.stdout)")
        // The second opinion on the same file: json validate reports the same error.
        let schema = "Profiles/smart-data-models/air-quality/schemas/AirQualityObserved.schema.json"
        let validate = try await CityCertBinary.run([
            "json", "validate", "--schema", schema, "--catalog", "Profiles/smart-data-models/air-quality/schemas/catalog.json",
            dir + "/b.json",
        ])
        #expect(validate.status == 1)
        #expect(validate.stdout.contains("/dateObserved"), "\(validate.stdout)")
    }

    /// Documents no requirement selects, and data files no check reads, are listed; `uncovered: fail`
    /// makes them fail the verdict.
    @Test func uncoveredDocumentsAreListedAndMayFail() async throws {
        let dir = try folder([
            "a.jsonl": "{\"type\": \"A\", \"n\": 1}\n{\"type\": \"B\", \"n\": 2}\n{\"type\": \"A\", \"n\": 3}\n",
            "c.geojson": "{\"type\": \"Point\", \"coordinates\": [0, 0]}",
            "README.md": "not data",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for fails in [false, true] {
            let p = try ProfileLoader().load(
                text: """
                    citycert: 1
                    id: t
                    title: T
                    version: "1"
                    standard: {name: S, version: "1"}
                    \(fails ? "uncovered: fail" : "")
                    requirements:
                      - {id: A, title: a, clause: "1", level: MUST, checks: [{data: {files: ["*.jsonl"], select: [{path: $.type, equals: A}], assert: [{path: $.n, type: integer}]}}]}
                    """, file: Repository.fixture("loopback/inline.yaml").path)
            var options = RunOptions()
            options.paths = [dir]
            let report = try await Runner(profile: p, transport: nil, options: options).run()
            let c = try #require(report.coverage)
            #expect(c.documents == 4)
            #expect(c.uncovered == 2)
            #expect(
                c.first.map { "\(($0.file as NSString).lastPathComponent):\($0.line):\($0.column)" } == [
                    "a.jsonl:2:1", "c.geojson:1:1",
                ])
            #expect(c.first.map(\.reason) == ["no requirement selects this document", "no check of the profile reads this file"])
            #expect(report.requirements[0].outcome == .passed)
            #expect(report.conformant == !fails)
        }
    }

    /// With --filter, the files only a left-out requirement reads are not judged rather than uncovered:
    /// `uncovered: fail` does not turn a partial run NOT CONFORMANT by itself.
    @Test func filteredRequirementsLeaveTheirFilesNotJudged() async throws {
        let dir = try folder(["a.json": #"{"id": "a"}"#, "b.jsonl": #"{"id": "b"}"# + "\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try ProfileLoader().load(
            text: """
                citycert: 1
                id: t
                title: T
                version: "1"
                standard: {name: S, version: "1"}
                uncovered: fail
                requirements:
                  - {id: A, title: a, clause: "1", level: MUST, checks: [{data: {files: ["*.json"], assert: [{path: $.id, type: string}]}}]}
                  - {id: B, title: b, clause: "1", level: MUST, checks: [{data: {files: ["*.jsonl"], assert: [{path: $.id, type: string}]}}]}
                """, file: Repository.fixture("loopback/inline.yaml").path)
        var options = RunOptions()
        options.paths = [dir]
        options.filters = ["A"]
        let report = try await Runner(profile: p, transport: nil, options: options).run()
        let c = try #require(report.coverage)
        #expect(c.uncovered == 0 && c.notJudged == 1 && c.documents == 1)
        #expect(report.conformant && report.partial)
    }

    /// A file whose name is not valid UTF-8 was skipped in silence: an invalid entity in it, next to a
    /// valid one, gave CONFORMANT (issue 15, defect 2). The run now refuses to start, naming the file.
    @Test func aFileNameThatIsNotUTF8StopsTheRun() async throws {
        let dir = try folder(["ok.json": #"{"id": "a"}"#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (Array((dir + "/bad-").utf8) + [0xFF, 0x2E, 0x6A, 0x73, 0x6F, 0x6E, 0]).map { CChar(bitPattern: $0) }
        let fd = path.withUnsafeBufferPointer { creat($0.baseAddress!, 0o644) }
        #expect(fd >= 0)
        _ = write(fd, "{}", 2)
        close(fd)
        let p = try ProfileLoader().load(
            text: """
                citycert: 1
                id: t
                title: T
                version: "1"
                standard: {name: S, version: "1"}
                requirements:
                  - {id: A, title: a, clause: "1", level: MUST, checks: [{data: {files: ["*.json"], assert: [{path: $.id, type: string}]}}]}
                """, file: Repository.fixture("loopback/inline.yaml").path)
        var options = RunOptions()
        options.paths = [dir]
        do {
            _ = try await Runner(profile: p, transport: nil, options: options).run()
            Issue.record("the run started")
        } catch {
            #expect(!error.usage)
            #expect(error.message.contains("under the data paths"), "\(error.message)")
            #expect(error.message.contains("\(dir)/bad-\\xFF.json"), "\(error.message)")
        }
    }

    /// A file nested deeper than the walk goes is named, not skipped in silence (the first walk stopped at
    /// 64 folders and gave CONFORMANT with an invalid file below).
    @Test func aFolderTooDeepStopsTheRun() async throws {
        let dir = try folder(["ok.json": #"{"id": "a"}"#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let deep = dir + String(repeating: "/d", count: 260)
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        try "{}".write(toFile: deep + "/bad.json", atomically: true, encoding: .utf8)
        let p = try ProfileLoader().load(
            text: """
                citycert: 1
                id: t
                title: T
                version: "1"
                standard: {name: S, version: "1"}
                requirements:
                  - {id: A, title: a, clause: "1", level: MUST, checks: [{data: {files: ["**/*.json"], assert: [{path: $.id, type: string}]}}]}
                """, file: Repository.fixture("loopback/inline.yaml").path)
        var options = RunOptions()
        options.paths = [dir]
        do {
            _ = try await Runner(profile: p, transport: nil, options: options).run()
            Issue.record("the run started")
        } catch {
            #expect(error.message.contains("nested deeper than 256 folders"), "\(error.message)")
        }
    }
}
