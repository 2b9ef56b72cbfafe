import CityCertCore
import CityCertJSON
import CityCertJSONSchema
import CityCertReports
import CityCertTestSupport
import Foundation
import Testing

@Suite struct ReportTests {
    static func report() -> RunReport {
        let exchange = ExchangeEvidence(
            step: "get", method: "GET", url: "http://h/x?a=<&>", requestHeaders: [("Authorization", "***")],
            requestBodyExcerpt: nil, status: 500,
            responseHeaders: [("Content-Type", "text/plain")], responseBodyExcerpt: "boom \u{01}", httpVersion: "HTTP/1.1",
            timings: HTTPTimings(dns: 0.001, connect: 0.002, tls: 0, firstByte: 0.01, total: 0.0125), attempts: 1,
            problems: ["status 500, expected 200"])
        return RunReport(
            profile: .init(
                id: "p", title: "P & Q", version: "1", sha256: String(repeating: "a", count: 64), standardName: "S",
                standardVersion: "1", standardURL: nil),
            target: ["base_url": "http://h"], toolVersion: "0.1.0", started: 0, finished: 1.5, insecure: true,
            requirements: [
                RequirementResult(
                    id: "A", title: "a \"quoted\"", clause: "1", url: nil, level: .must, tags: [], outcome: .failed,
                    reason: "status 500",
                    checks: [CheckResult(name: "c", outcome: .failed, message: "m", evidence: [.exchange(exchange)])],
                    duration: 0.25),
                RequirementResult(
                    id: "B", title: "b", clause: "2", url: nil, level: .should, tags: [], outcome: .error, reason: "e",
                    checks: [], duration: 0),
                RequirementResult(
                    id: "C", title: "c", clause: "3", url: nil, level: .may, tags: [], outcome: .skipped, reason: "needs A",
                    checks: [], duration: 0),
                RequirementResult(
                    id: "D", title: "d", clause: "4", url: nil, level: .must, tags: [], outcome: .passed, reason: nil, checks: [],
                    duration: 0.001),
            ])
    }

    @Test func junitKeepsFailureErrorSkippedApartAndEscapes() {
        let xml = String(decoding: JUnitReport.render(Self.report()), as: UTF8.self)
        #expect(
            xml.contains("<testsuites name=\"citycert\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"1.500\">"))
        #expect(xml.contains("name=\"A: a &quot;quoted&quot;\" time=\"0.250\""))
        #expect(xml.contains("<property name=\"profile.title\" value=\"P &amp; Q\"/>"))
        #expect(xml.contains("http://h/x?a=&lt;&amp;&gt;"))
        #expect(xml.contains("<skipped message=\"needs A\"/>"))
        #expect(!xml.contains("\u{01}"))
    }

    @Test func jsonReportHasVerdictAndEvidence() throws {
        let v = try JSONValue.parse(bytes: JSONReport.render(Self.report()))
        #expect(v["verdict"] == .string("NOT CONFORMANT"))
        #expect(v["insecure"] == .bool(true))
        #expect(v["summary"]?["byLevel"]?["MUST"]?["failed"] == .int(1))
        let ex = v["requirements"]?[0]?["checks"]?[0]?["evidence"]?[0]
        #expect(ex?["response"]?["status"] == .int(500))
        #expect(ex?["timings"]?["totalMs"] == .int(13))
    }

    @Test func consoleSummaryCountsByLevel() {
        let s = ConsoleReport.summary(Self.report())
        #expect(s.contains("failed 1 (MUST 1)"))
        #expect(s.contains("Verdict: NOT CONFORMANT (1 MUST requirement(s) not passed)"))
        #expect(ConsoleReport.header(Self.report()).contains("TLS verification is OFF"))
    }

    @Test func atomicWriteLeavesNoPartialFile() throws {
        let dir = NSTemporaryDirectory() + "citycert-atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write(Array("one".utf8), to: dir + "/r.json")
        try AtomicFile.write(Array("two".utf8), to: dir + "/r.json")
        #expect(try String(contentsOfFile: dir + "/r.json", encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.json"])
        #expect(throws: ReportError.self) { try AtomicFile.write([1], to: dir + "/missing-folder/r.json") }
    }

    /// A run that options kept requirements from: every format says partial and lists them, the verdict is
    /// the verdict of what ran, and the JSON report (with its coverage) is valid against its schema.
    @Test func partialRunsAreReportedInEveryFormat() throws {
        var r = Self.report()
        r.requirements = [r.requirements[3]]
        var skipped = RequirementResult(
            id: "W", title: "w", clause: "5", url: nil, level: .must, tags: [], outcome: .skipped,
            reason: "writes to the target, and --read-only is set", checks: [], duration: 0)
        skipped.excludedByOption = true
        r.requirements.append(skipped)
        r.notSelected = [RunReport.NotRun(id: "F", level: .must, reason: "not selected by --filter D")]
        r.coverage = DataCoverage(
            documents: 3, uncovered: 1,
            first: [DataCoverage.Place(file: "a.json", line: 2, column: 1, reason: "no requirement selects this document")],
            failsVerdict: false)
        #expect(r.conformant && r.partial)
        #expect(r.notRun.map(\.id) == ["F", "W"])
        let console = ConsoleReport.summary(r)
        #expect(console.contains("Partial run: 2 requirement(s) not run (2 MUST)"), "\(console)")
        #expect(console.contains("Verdict: CONFORMANT (PARTIAL, every applicable MUST requirement that ran passed)"))
        #expect(console.contains("Coverage: 2 of 3 document(s) looked at by a requirement; 1 not covered"))
        let json = try JSONValue.parse(bytes: JSONReport.render(r))
        #expect(json["partial"] == .bool(true))
        #expect(json["notRun"]?.arrayValue?.count == 2)
        #expect(json["coverage"]?["uncovered"] == .int(1))
        let schema = try JSONSchema(
            document: JSONValue.parse(
                bytes: Repository.read(Repository.root.appendingPathComponent("Sources/CityCertReports/report.schema.json"))))
        #expect(schema.validate(json).isEmpty, "\(schema.validate(json))")
        let junit = String(decoding: JUnitReport.render(r), as: UTF8.self)
        #expect(junit.contains("<property name=\"partial\" value=\"true\"/>"))
        #expect(junit.contains("<property name=\"notRun.F\" value=\"not selected by --filter D\"/>"))
        let sarif = try JSONValue.parse(bytes: SARIFReport.render(r))
        #expect(sarif["runs"]?[0]?["properties"]?["partial"] == .bool(true))
        #expect(sarif["runs"]?[0]?["properties"]?["notRun"]?.arrayValue?.count == 2)
    }

    /// Control characters from the data never reach the terminal as they are (issue 15, defect 8): a file
    /// name or a value with an escape sequence is shown escaped.
    @Test func consoleDetailsEscapeControlCharacters() {
        let q = RequirementResult(
            id: "A", title: "a", clause: "1", url: nil, level: .must, tags: [], outcome: .failed, reason: "r",
            checks: [
                CheckResult(
                    name: "c", outcome: .failed, message: "m",
                    evidence: [
                        .finding(
                            DataFinding(
                                file: "evil\u{1B}[2J.json", line: 1, column: 1, pointer: "/a", message: "bad \u{07}value",
                                rule: "x"))
                    ])
            ], duration: 0)
        let lines = ConsoleReport.details(q)
        #expect(lines == ["         evil\\u{1b}[2J.json:1:1 /a: bad \\u{7}value"], "\(lines)")
        #expect(!lines.joined().unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
    }
}
