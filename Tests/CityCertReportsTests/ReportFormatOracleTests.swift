import CityCertCore
import CityCertReports
import CityCertTestSupport
import Foundation
import Testing

/// The TAP, EARL and Markdown reports read by parsers that share no code with citycert (tap.py, rdflib's
/// JSON-LD parser, markdown-it-py; `.ci/oracles/report_formats.py`, installed by `.ci/run` in the oracle
/// venv). The expected lines are the mapping the formats' documentation states, written by hand.
@Suite struct ReportFormatOracleTests {
    static let python = ProcessInfo.processInfo.environment["CITYCERT_ORACLE_PYTHON"]
    /// In CI (.ci/run sets CI) the oracles must run: a missing one fails instead of skipping.
    static let required = python != nil || ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } == true

    static let hostile =
        "<script>alert(1)</script> [x](javascript:alert(1)) ![i](http://e/x.png) | a | b | *em* &amp; # not a heading\n- not a list \\ end"

    /// One requirement per outcome (and a failure below --fail-on, and a waived one), with hostile text in
    /// titles and reasons.
    static func report() -> RunReport {
        func q(_ id: String, _ level: Level, _ outcome: Outcome, _ title: String = "t", reason: String? = nil)
            -> RequirementResult
        {
            RequirementResult(
                id: id, title: title, clause: "§1 # clause", url: "https://example.org/spec#s1", level: level, tags: [],
                outcome: outcome, reason: reason,
                checks: outcome == .failed
                    ? [
                        CheckResult(
                            name: "c", outcome: .failed, message: nil,
                            evidence: [
                                .finding(
                                    DataFinding(file: "f.json", line: 3, column: 7, pointer: "/a", message: hostile, rule: "type")
                                )
                            ])
                    ] : [],
                duration: 0)
        }
        var r = RunReport(
            profile: .init(
                id: "p", title: hostile, version: "1", sha256: String(repeating: "a", count: 64), standardName: "S",
                standardVersion: "1", standardURL: nil),
            target: ["base_url": "http://127.0.0.1:9/cse"], toolVersion: "0.1.0", started: 0, finished: 1, insecure: false,
            requirements: [
                q("A-1", .must, .failed, hostile),
                q("B-1", .should, .error, reason: "timeout # after 30 s"),
                q("C-1", .may, .skipped, reason: "needs A-1, which failed"),
                q("D-1", .must, .passed),
                q("E-1", .must, .notApplicable, reason: "nothing applies"),
                q("F-1", .should, .failed),
                q("G-1", .must, .waived),
            ])
        r.requirements[6].waiver = Waiver(
            requirement: "G-1", target: nil, reason: "accepted # for now", approvedBy: "board", expires: "2099-01-01", link: nil,
            place: "w.yaml:1:1")
        r.failOn = .must
        return r
    }

    static func oracle(_ kind: String, _ bytes: [UInt8]) async throws -> String {
        let python = try #require(python, "CI must provide the oracle: .ci/run sets CITYCERT_ORACLE_PYTHON")
        let file = NSTemporaryDirectory() + "citycert-format-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let out = try await Subprocess.run(
            python, [Repository.root.appendingPathComponent(".ci/oracles/report_formats.py").path, kind, file])
        #expect(out.status == 0, "\(out.stderr)")
        return out.stdout
    }

    @Test(.enabled(if: required, "needs tap.py: .ci/run installs it in the oracle venv (CITYCERT_ORACLE_PYTHON)"))
    func tapPointsFollowTheOutcomeTable() async throws {
        let lines = try await Self.oracle("tap", TAPReport.render(Self.report())).split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "version 14", "plan 8",
                "test 1 not-ok - A-1", "yaml 1 clause,details,level,outcome,url",
                "test 2 not-ok - B-1", "yaml 2 clause,level,outcome,reason,url",
                "test 3 ok skip C-1",
                "test 4 ok - D-1",
                "test 5 ok skip E-1",
                "test 6 not-ok todo F-1", "yaml 6 clause,details,level,outcome,url",
                "test 7 not-ok todo G-1", "yaml 7 clause,details,level,outcome,url",
                "test 8 not-ok - run:",
            ], "\(lines)")
    }

    @Test(.enabled(if: required, "needs rdflib: .ci/run installs it in the oracle venv (CITYCERT_ORACLE_PYTHON)"))
    func earlAssertionsReadAsRDF() async throws {
        let lines = try await Self.oracle("earl", EARLReport.render(Self.report())).split(separator: "\n").map(String.init)
            .sorted()
        let subject = "http://127.0.0.1:9/cse"
        #expect(
            lines == [
                "assertion A-1 failed automatic \(subject)", "assertion B-1 cantTell automatic \(subject)",
                "assertion C-1 untested automatic \(subject)", "assertion D-1 passed automatic \(subject)",
                "assertion E-1 inapplicable automatic \(subject)", "assertion F-1 failed automatic \(subject)",
                "assertion G-1 failed automatic \(subject)",
            ], "\(lines)")
    }

    /// Text from the data or the target renders as text: no script, link, image, emphasis, heading or
    /// extra table cell comes out of it; the one table keeps its five columns.
    @Test(.enabled(if: required, "needs markdown-it-py: .ci/run installs it in the oracle venv (CITYCERT_ORACLE_PYTHON)"))
    func markdownShowsHostileTextAsText() async throws {
        let html = try await Self.oracle("markdown", MarkdownReport.render(Self.report()))
        for forbidden in ["<script", "<a ", "<img", "<em>", "<h1>", "<li>not a list"] {
            #expect(!html.contains(forbidden), "\(forbidden) in \(html)")
        }
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.components(separatedBy: "<table>").count == 2)
        #expect(html.components(separatedBy: "</th>").count == 6)
        #expect(html.components(separatedBy: "<tr>").count == 8, "a header row and one row per outcome")
        #expect(html.contains("<strong>A-1</strong>") && html.contains("f.json:3:7 /a:"))
    }

    /// GitHub links more than CommonMark: bare URLs, www. names, @mentions, #123 references. In text from
    /// the data each is broken by an invisible word joiner, so a report cannot ping or link anyone; the
    /// profile's own text keeps its links.
    @Test func markdownBreaksGitHubAutolinksAndMentions() {
        var r = Self.report()
        let hostile = "see https://evil.example/x and www.evil.example, ping @someone, fixes #12"
        let finding = DataFinding(file: "f.json", line: 1, column: 1, pointer: "/a", message: hostile, rule: "type")
        r.requirements = [
            RequirementResult(
                id: "A-1", title: "clause at https://spec.example/x#s1", clause: "https://spec.example/x", url: nil, level: .must,
                tags: [], outcome: .failed, reason: nil,
                checks: [CheckResult(name: "c", outcome: .failed, message: nil, evidence: [.finding(finding)])], duration: 0)
        ]
        let text = String(decoding: MarkdownReport.render(r), as: UTF8.self)
        let j = "\u{2060}"
        for broken in ["https:\(j)//evil", "www\(j).evil", "@\(j)someone", "#\(j)12"] {
            #expect(text.contains(broken), "\(broken) in \(text)")
        }
        for live in ["https://evil", "www.evil", "@someone", "#12"] { #expect(!text.contains(live), "\(live) left live") }
        // The profile's own links (its clause, its title) stay links.
        #expect(text.contains("https://spec.example/x"))
    }

    /// However many requirements fail, the summary stays under 64 KiB and says where the rest is.
    @Test func markdownStaysUnder64KiB() {
        var r = Self.report()
        let long = String(repeating: "x", count: 300)
        r.requirements = (0..<3000).map { i in
            RequirementResult(
                id: "R-\(i)", title: long, clause: "1", url: nil, level: .must, tags: [], outcome: .failed, reason: nil,
                checks: [], duration: 0)
        }
        let bytes = MarkdownReport.render(r)
        #expect(bytes.count <= MarkdownReport.maxBytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("more: see the JSON report"))
        #expect(text.contains("**R-0**"))
    }
}
