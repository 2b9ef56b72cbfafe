import CityCertCore
import CityCertJSON
import CityCertProfile
import CityCertRules
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// Runs a shipped data profile over fixture files and renders every requirement's outcome with
/// each finding's place, plus a per-file summary, as stable text for a golden.
enum VerdictListing {
    static func run(profile: String, paths: [String], jobs: Int = 1) async throws -> RunReport {
        let p = try ProfileLoader().load(path: Repository.profile(profile).path)
        var options = RunOptions()
        options.paths = paths.map { Repository.root.appendingPathComponent($0).path }
        options.jobs = jobs
        options.clock = { 0 }
        return try await Runner(profile: p, transport: nil, options: options).run()
    }

    static func findings(_ r: RequirementResult) -> [DataFinding] {
        r.checks.flatMap(\.evidence).compactMap { e -> DataFinding? in
            if case .finding(let f) = e { return f }
            return nil
        }
    }

    static func relative(_ file: String) -> String {
        let root = Repository.root.path + "/"
        return file.hasPrefix(root) ? String(file.dropFirst(root.count)) : file
    }

    static func render(_ report: RunReport) -> String {
        var out = "# \(report.profile.id): \(report.conformant ? "CONFORMANT" : "NOT CONFORMANT")\n"
        for r in report.requirements {
            out += "\(r.id) \(r.level.rawValue) \(r.outcome.rawValue)\n"
            for f in findings(r) {
                // Messages may name other files (the reference form of an entity): relative too.
                let message = f.message.replacingOccurrences(of: Repository.root.path + "/", with: "")
                out += "  \(relative(f.file)):\(f.line):\(f.column) \(f.pointer.isEmpty ? "/" : f.pointer) \(message)\n"
            }
        }
        return out
    }

    /// Compares `text` with the expected file; `CITYCERT_RECORD=<suite>` rewrites it and fails (Recording).
    static func expectGolden(_ text: String, _ relative: String, suite: String) throws {
        let url = Repository.fixture(relative)
        switch Recording.mode(suite) {
        case .record:
            Issue.record(Comment(rawValue: try Recording.write(text, to: url)))
            return
        case .refused(let why): Issue.record(Comment(rawValue: why))
        case .compare: break
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if text != expected {
            let a = text.split(separator: "\n", omittingEmptySubsequences: false)
            let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            Issue.record(
                "\(relative) differs at line \(i + 1):\n  got:      \(i < a.count ? String(a[i]) : "<end>")\n  expected: \(i < b.count ? String(b[i]) : "<end>")"
            )
        }
    }
}

/// Every official Smart Data Models example in the corpus gets a verdict from its domain profile,
/// pinned in Fixtures/smart-data-models/expected/<domain>.txt (CITYCERT_RECORD=sdm rewrites it and fails).
@Suite struct SmartDataModelsVerdictTests {
    static let domains = [
        ("environment", "Environment"), ("parking", "Parking"), ("transportation", "Transportation"),
        ("weather", "Weather"), ("streetlighting", "Streetlighting"), ("device", "Device"),
        ("urban-mobility", "UrbanMobility"),
    ]

    @Test(arguments: domains)
    func domainVerdictsArePinned(_ domain: (profile: String, folder: String)) async throws {
        let report = try await VerdictListing.run(
            profile: "smart-data-models/\(domain.profile)/profile.yaml", paths: ["Fixtures/smart-data-models/\(domain.folder)"])
        try VerdictListing.expectGolden(
            VerdictListing.render(report), "smart-data-models/expected/\(domain.profile).txt", suite: "sdm")
        // The same verdicts with files checked in parallel.
        let parallel = try await VerdictListing.run(
            profile: "smart-data-models/\(domain.profile)/profile.yaml", paths: ["Fixtures/smart-data-models/\(domain.folder)"],
            jobs: 4)
        #expect(VerdictListing.render(parallel) == VerdictListing.render(report))
    }

    /// Every example file is a document of a model its domain profile ships, in a representation the
    /// profile judges: so each one gets a schema verdict (none is silently skipped).
    @Test(arguments: domains)
    func everyExampleIsJudged(_ domain: (profile: String, folder: String)) throws {
        let profile = try ProfileLoader().load(path: Repository.profile("smart-data-models/\(domain.profile)/profile.yaml").path)
        let models = Set(profile.requirements.flatMap(\.tags))
        let folder = Repository.fixture("smart-data-models/\(domain.folder)")
        let files = (FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? [])
            .filter { ($0.hasSuffix(".json") || $0.hasSuffix(".jsonld")) }
        #expect(files.count >= 4)
        for f in files {
            let root = try JSONValue.parse(bytes: Repository.read(folder.appendingPathComponent(f)))
            let representation = EntityShape.detect(root)
            let expected: EntityRepresentation =
                f.hasSuffix("example.json")
                ? .keyValues
                : f.hasSuffix("example-normalized.json")
                    ? .v2Normalized
                    : f.hasSuffix("example.jsonld")
                        ? .ldKeyValues
                        : f.hasSuffix("example-normalized.jsonld") ? .ldNormalized : .geoJSON
            #expect(representation == expected, "\(f): detected \(representation.rawValue)")
            #expect(models.contains(EntityShape.model(root) ?? ""), "\(f): model not in the profile")
        }
    }
}

/// A model citycert does not ship, checked from its schema alone with a three-line profile.
@Suite struct ModelShorthandTests {
    @Test func threeLineProfileChecksEveryRepresentation() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("citycert-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("schemas"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let shipped = Repository.profile("smart-data-models/parking/schemas")
        for f in ["ParkingSpot.schema.json", "common-schema.json", "catalog.json"] {
            try FileManager.default.copyItem(
                at: shipped.appendingPathComponent(f), to: dir.appendingPathComponent("schemas").appendingPathComponent(f))
        }
        let yaml = "citycert: 1\nmodel: schemas/ParkingSpot.schema.json\ncatalog: schemas/catalog.json\n"
        try yaml.write(to: dir.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let p = try ProfileLoader().load(path: dir.appendingPathComponent("profile.yaml").path)
        #expect(p.id == "model-ParkingSpot")
        #expect(
            p.requirements.map(\.id) == [
                "PARKINGSPOT-KV-001", "PARKINGSPOT-LDKV-001", "PARKINGSPOT-LDN-001", "PARKINGSPOT-V2N-001", "PARKINGSPOT-GEO-001",
                "PARKINGSPOT-FMT-001",
                "PARKINGSPOT-AGREE-001",
            ])
        var options = RunOptions()
        options.paths = [Repository.fixture("smart-data-models/Parking/ParkingSpot").path]
        let report = try await Runner(profile: p, transport: nil, options: options).run()
        // Each representation of the official example is judged (none skipped) and valid.
        #expect(report.requirements.prefix(6).map(\.outcome) == [.passed, .passed, .passed, .passed, .passed, .passed])
        #expect(report.conformant)
        // A broken keyValues entity fails with its place.
        let bad = dir.appendingPathComponent("bad.json")
        try #"{"id": "p1", "type": "ParkingSpot", "category": "onStreet"}"#.write(to: bad, atomically: true, encoding: .utf8)
        options.paths = [bad.path]
        let failing = try await Runner(profile: p, transport: nil, options: options).run()
        let findings = VerdictListing.findings(failing.requirements[0]).map { "\($0.line):\($0.column) \($0.pointer)" }
        #expect(failing.requirements[0].outcome == .failed)
        #expect(findings == ["1:1 ", "1:1 ", "1:1 ", "1:49 /category"])
        #expect(
            VerdictListing.findings(failing.requirements[0]).map(\.message).prefix(3).allSatisfy {
                $0.hasPrefix("required property")
            })
        // The forms that are not in the data are not applicable, so they do not fail the verdict.
        #expect(failing.requirements[1...4].allSatisfy { $0.outcome == .notApplicable })
    }

    @Test func aSchemaWithoutAnEntityTypeAsksForOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("citycert-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try #"{"type": "object"}"#.write(to: dir.appendingPathComponent("m.json"), atomically: true, encoding: .utf8)
        try "citycert: 1\nmodel: m.json\n".write(
            to: dir.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let error = #expect(throws: ProfileError.self) {
            try ProfileLoader().load(path: dir.appendingPathComponent("profile.yaml").path)
        }
        #expect(error?.description.contains("model: {schema: m.json, type: MyModel}") == true)
    }
}

/// A second implementation as the oracle for the SDM keyValues verdicts: Python's jsonschema, run by
/// .ci/run in a venv (CITYCERT_ORACLE_PYTHON), validates every official keyValues example with the same
/// schemas, catalog and format semantics (.ci/oracles/sdm_jsonschema.py). Verdicts and error paths must
/// agree, or the example is listed with the reason in Fixtures/smart-data-models/oracle-disagreements.txt.
@Suite struct SmartDataModelsOracleTests {
    static let python = ProcessInfo.processInfo.environment["CITYCERT_ORACLE_PYTHON"]
    /// In CI (.ci/run sets CI) the oracles must run: a missing one fails instead of skipping.
    static let required = python != nil || ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } == true

    @Test(
        .enabled(
            if: required,
            "needs Python's jsonschema: .ci/run installs it in a venv and sets CITYCERT_ORACLE_PYTHON (pip install jsonschema==4.26.0)"
        ))
    func keyValuesVerdictsAgreeWithPythonJSONSchema() async throws {
        let python = try #require(Self.python, "CI must provide the oracle: .ci/run sets CITYCERT_ORACLE_PYTHON")
        let out = try await Subprocess.run(
            python, [Repository.root.appendingPathComponent(".ci/oracles/sdm_jsonschema.py").path, Repository.root.path])
        #expect(out.status == 0, "\(out.stderr)")
        // <file> <Model> valid|invalid <paths…>
        var theirs: [String: [String]] = [:]
        for line in out.stdout.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ").map(String.init)
            theirs[parts[0]] = Array(parts.dropFirst(3))
        }
        #expect(theirs.count == 17, "\(out.stdout)")
        // citycert: the findings of the keyValues schema requirements, per example file.
        var ours: [String: Set<String>] = [:]
        for (profile, folder) in SmartDataModelsVerdictTests.domains {
            let report = try await VerdictListing.run(
                profile: "smart-data-models/\(profile)/profile.yaml", paths: ["Fixtures/smart-data-models/\(folder)"])
            for r in report.requirements where r.id.hasSuffix("-KV-001") {
                for f in VerdictListing.findings(r) { ours[VerdictListing.relative(f.file), default: []].insert(f.pointer) }
            }
        }
        let listed = try String(
            contentsOf: Repository.fixture("smart-data-models/oracle-disagreements.txt"), encoding: .utf8
        ).split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { String($0.split(separator: " ")[0]) }
        var disagreeing: [String] = []
        for (file, paths) in theirs.sorted(by: { $0.key < $1.key }) {
            let mine = ours[file] ?? []
            if Set(paths) != mine {
                disagreeing.append(file)
                #expect(
                    listed.contains(file),
                    "\(file): jsonschema \(paths.isEmpty ? "valid" : "\(paths)"), citycert \(mine.sorted())")
            }
        }
        for file in listed where !disagreeing.contains(file) {
            Issue.record("\(file) is listed as a disagreement but both validators agree: remove it")
        }
    }
}
