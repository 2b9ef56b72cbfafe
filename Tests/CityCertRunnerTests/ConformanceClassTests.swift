import CityCertCore
import CityCertCurl
import CityCertJSON
import CityCertProfile
import CityCertReports
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// Conformance classes (format 1.1): a verdict per class by the run's rule restricted to the class,
/// classes the target does not declare not applicable, `--class` to run chosen classes. The expected
/// verdicts are the rule of Profiles/FORMAT.md ("Conformance classes") applied by hand.
@Suite struct ConformanceClassTests {
    static let core = "http://example.org/conf/core"
    static let cud = "http://example.org/conf/create-update-delete"

    static func profile(classes: String? = nil, extraRequirements: String = "") throws -> Profile {
        try ProfileLoader().load(
            text: """
                \(InlineProfile.head(format: "1.1"))
                inputs: {base_url: {}}
                requirements:
                  - {id: ROOT, title: root, clause: "1", level: MUST, tags: [core], checks: [{http: {steps: [{request: {url: "{{base_url}}/"}, expect: {status: 200}, capture: {conformance: {jsonpath: $.conformance}}}]}}]}
                  - {id: READ, title: read, clause: "2", level: MUST, tags: [core], needs: [ROOT], checks: [{http: {steps: [{request: {url: "{{base_url}}/things"}, expect: {status: 200}}]}}]}
                  - {id: CREATE, title: create, clause: "3", level: MUST, needs: [ROOT], checks: [{http: {steps: [{request: {url: "{{base_url}}/things", method: POST}, expect: {status: 201}}]}}]}
                  - {id: DELETE, title: delete, clause: "4", level: SHOULD, needs: [CREATE], checks: [{http: {steps: [{request: {url: "{{base_url}}/things/1", method: DELETE}, expect: {status: 200}}]}}]}
                \(extraRequirements)
                classes:
                \(classes ?? """
                  - {id: core, uri: "\(core)", title: Core, tags: [core]}
                  - {id: cud, uri: "\(cud)", title: Create-update-delete, requirements: [CREATE, DELETE], applies_if: {variable: conformance, contains: "\(cud)"}}
                """)
                """, file: Repository.fixture("loopback/inline.yaml").path)
    }

    /// A service declaring `classes`; POST answers `createStatus`.
    static func run(_ p: Profile, declaring classes: [String], createStatus: Int = 201, chosen: [String] = []) async throws
        -> RunReport
    {
        let body = "{\"conformance\": [" + classes.map { "\"\($0)\"" }.joined(separator: ", ") + "]}"
        let server = try LoopbackServer { r in
            if r.path == "/" { return .json(body) }
            return .json("{}", status: r.method == "POST" ? createStatus : 200)
        }
        defer { server.stop() }
        var options = RunOptions()
        options.inputs = ["base_url": server.baseURL]
        options.classes = chosen
        let runner = Runner(profile: p, transport: CurlTransport(), options: options)
        try runner.checkFilters()
        return try await runner.run()
    }

    static func verdicts(_ r: RunReport) -> [String: ClassVerdict] {
        Dictionary(uniqueKeysWithValues: r.classes.map { ($0.id, r.verdict(of: $0)) })
    }

    @Test func aClassTheTargetDoesNotDeclareIsNotApplicable() async throws {
        let r = try await Self.run(try Self.profile(), declaring: [Self.core])
        #expect(r.requirements.map(\.outcome) == [.passed, .passed, .notApplicable, .notApplicable])
        #expect(r.requirements[2].reason?.contains("does not declare class cud") == true, "\(r.requirements[2].reason ?? "")")
        #expect(Self.verdicts(r) == ["core": .conformant, "cud": .notApplicable])
        #expect(r.conformant)
        #expect(r.classes[1].applies.name == "not-declared")
    }

    @Test func eachClassIsJudgedOnItsOwnRequirements() async throws {
        let r = try await Self.run(try Self.profile(), declaring: [Self.core, Self.cud], createStatus: 500)
        #expect(r.requirements.map(\.outcome) == [.passed, .passed, .failed, .skipped])
        #expect(Self.verdicts(r) == ["core": .conformant, "cud": .notConformant])
        #expect(!r.conformant)
        let ok = try await Self.run(try Self.profile(), declaring: [Self.core, Self.cud])
        #expect(Self.verdicts(ok) == ["core": .conformant, "cud": .conformant])
        #expect(ok.classes[1].applies == .declared)
    }

    /// `--class` runs the chosen classes (by id or URI) with what they need; the others are NOT RUN and
    /// the run is partial.
    @Test func chosenClassesRunWithWhatTheyNeed() async throws {
        let r = try await Self.run(try Self.profile(), declaring: [Self.core, Self.cud], chosen: [Self.cud])
        // ROOT runs because CREATE needs it; READ is left out.
        #expect(r.requirements.map(\.id) == ["ROOT", "CREATE", "DELETE"])
        #expect(r.notSelected.map(\.id) == ["READ"])
        #expect(r.notSelected.first?.reason == "not selected by --class \(Self.cud)")
        #expect(Self.verdicts(r) == ["core": .conformant, "cud": .conformant])
        #expect(r.isPartial(r.classes[0]) && !r.isPartial(r.classes[1]))
        let only = try await Self.run(try Self.profile(), declaring: [Self.core, Self.cud], chosen: ["core"])
        #expect(Self.verdicts(only) == ["core": .conformant, "cud": .notRun])
        // What the target declares is known even for a class left out: one it does not declare is not applicable.
        let undeclared = try await Self.run(try Self.profile(), declaring: [Self.core], chosen: ["core"])
        #expect(Self.verdicts(undeclared) == ["core": .conformant, "cud": .notApplicable])
        #expect(only.partial)
        await #expect(throws: RunError.self) { _ = try await Self.run(try Self.profile(), declaring: [], chosen: ["cdu"]) }
        do {
            _ = try await Self.run(try Self.profile(), declaring: [], chosen: ["cdu"])
        } catch {
            #expect("\(error)".contains("did you mean 'cud'?"), "\(error)")
        }
    }

    /// A requirement in an unconditional class as well applies whatever the target declares.
    @Test func anUnconditionalClassKeepsItsRequirementsApplicable() async throws {
        let p = try Self.profile(
            classes: """
                  - {id: core, title: Core, tags: [core], requirements: [CREATE]}
                  - {id: cud, title: CUD, requirements: [CREATE, DELETE], applies_if: {variable: conformance, contains: "\(Self.cud)"}}
                """)
        let r = try await Self.run(p, declaring: [Self.core])
        #expect(r.requirements.map(\.outcome) == [.passed, .passed, .passed, .notApplicable])
        // The undeclared class is not applicable even though one of its requirements passed elsewhere.
        #expect(Self.verdicts(r) == ["core": .conformant, "cud": .notApplicable])
    }

    /// The declaration was never captured (the root answered 500): a requirement whose own condition holds
    /// but whose class's condition cannot be decided is skipped, never judged (it was run and blamed on
    /// the target before).
    @Test func anUndecidedClassKeepsARequirementFromRunning() async throws {
        let p = try Self.profile(
            classes: """
                  - {id: core, title: Core, tags: [core]}
                  - {id: cud, title: CUD, requirements: [CREATE, DELETE, PROBE], applies_if: {variable: conformance, contains: "\(Self.cud)"}}
                """,
            extraRequirements: """
                  - {id: PROBE, title: probe, clause: "5", level: MUST, applies_if: {variable: base_url, matches: "^http"}, checks: [{http: {steps: [{request: {url: "{{base_url}}/things", method: POST}, expect: {status: 201}}]}}]}
                """)
        let server = try LoopbackServer { r in r.path == "/" ? .json("{}", status: 500) : .json("{}", status: 500) }
        defer { server.stop() }
        var options = RunOptions()
        options.inputs = ["base_url": server.baseURL]
        let r = try await Runner(profile: p, transport: CurlTransport(), options: options).run()
        let probe = try #require(r.requirements.first { $0.id == "PROBE" })
        #expect(probe.outcome == .skipped, "\(probe.outcome) \(probe.reason ?? "")")
        #expect(probe.reason?.contains("class cud: conformance has no value") == true, "\(probe.reason ?? "")")
        #expect(probe.checks.isEmpty, "nothing was sent for it")
    }

    /// --class and --filter that share no requirement are a usage error, not an empty NOT CONFORMANT run.
    @Test func aClassAndAFilterThatShareNothingAreRefused() throws {
        var options = RunOptions()
        options.inputs = ["base_url": "http://127.0.0.1:1"]
        options.classes = ["cud"]
        options.filters = ["READ"]
        let runner = Runner(profile: try Self.profile(), transport: nil, options: options)
        do {
            try runner.checkFilters()
            Issue.record("accepted")
        } catch {
            #expect(error.usage && error.message.contains("select no requirement together"), "\(error.message)")
        }
    }

    @Test func malformedClassesAreRefusedAtTheirPlace() throws {
        func refused(_ classes: String) -> String {
            do {
                _ = try Self.profile(classes: classes)
                return "loaded"
            } catch { return "\(error)" }
        }
        #expect(refused("  - {id: core, title: Core, tags: [core]}").contains("requirement CREATE belongs to no class"))
        #expect(
            refused("  - {id: all, title: All, requirements: [ROOT, READ, CRATE, DELETE]}").contains("did you mean 'CREATE'?"))
        #expect(
            refused("  - {id: all, title: All, requirements: ['*']}\n  - {id: all, title: Again, tags: [core]}").contains(
                "duplicate class 'all'"))
        #expect(refused("  - {id: all, title: All, tags: [nope]}").contains("no requirement has the tag 'nope'"))
        // ROOT captures the variable, so a class holding ROOT cannot be conditional on it.
        let early = refused(
            "  - {id: all, title: All, requirements: ['*'], applies_if: {variable: conformance, contains: x}}")
        #expect(early.contains("not known before its requirement ROOT"), "\(early)")
        #expect(early.contains("inline.yaml:14:"), "\(early)")
    }

    @Test func everyReportStatesTheClassVerdicts() async throws {
        let r = try await Self.run(try Self.profile(), declaring: [Self.core])
        let console = ConsoleReport.summary(r)
        #expect(
            console.contains(
                "Conformance classes:\n  core  CONFORMANT (2 passed)\n  cud   NOT APPLICABLE (the target does not declare it: "),
            "\(console)")
        let json = try JSONValue.parse(bytes: JSONReport.render(r))
        #expect(json["classes"]?[1]?["verdict"] == .string("NOT APPLICABLE"))
        #expect(json["classes"]?[0]?["summary"]?["passed"] == .int(2))
        let markdown = String(decoding: MarkdownReport.render(r), as: UTF8.self)
        #expect(markdown.contains("| `core` [Core](http://example.org/conf/core) | CONFORMANT (2 passed) |"), "\(markdown)")
        let tap = String(decoding: TAPReport.render(r), as: UTF8.self)
        #expect(tap.contains("# class cud: NOT APPLICABLE (the target does not declare it: "), "\(tap)")
        let junit = String(decoding: JUnitReport.render(r), as: UTF8.self)
        #expect(junit.contains("<property name=\"class.core\" value=\"CONFORMANT (2 passed)\"/>"), "\(junit)")
        let sarif = try JSONValue.parse(bytes: SARIFReport.render(r))
        #expect(sarif["runs"]?[0]?["properties"]?["classes"]?[0]?["verdict"] == .string("CONFORMANT"))
        let html = String(decoding: HTMLReport.render(r), as: UTF8.self)
        #expect(
            html.contains(
                "<code>cud</code> <a href=\"http://example.org/conf/create-update-delete\">Create-update-delete</a></td><td><span class=\"badge not-applicable\">NOT APPLICABLE</span>"
            ), "\(html)")
    }
}
