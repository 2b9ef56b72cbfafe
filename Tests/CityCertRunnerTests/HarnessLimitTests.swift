import CityCertCore
import CityCertCurl
import CityCertJSON
import CityCertProfile
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// A limit of the harness is an `error`, never a finding against the target (issue 15, defect 7 and
/// "wrong verdicts from harness limits"): a schema `pattern` that runs out of time, under `not` too (it
/// was "counted as not matching", and so turned a verdict around), and a JSON Lines record over the
/// record limit (it stopped the file).
@Suite struct HarnessLimitTests {
    /// A lookahead keeps the pattern on the backtracking engine, where only the time limit stops it.
    static let catastrophic = "^(?=a)(a+)+$"
    static let hostile = String(repeating: "a", count: 40_000) + "!"

    func profile(_ requirements: String) throws -> Profile {
        try ProfileLoader().load(
            text: """
                \(InlineProfile.head())
                inputs: {base_url: {}}
                schemas:
                  plain: {properties: {id: {type: string, pattern: "\(Self.catastrophic)"}}}
                  negated: {not: {properties: {id: {pattern: "\(Self.catastrophic)"}}}}
                  names: {patternProperties: {"\(Self.catastrophic)": {type: integer}}}
                requirements:
                \(requirements)
                """, file: Repository.fixture("loopback/inline.yaml").path)
    }

    @Test func aPatternThatRunsOutOfTimeIsAnErrorInDataChecks() async throws {
        let dir = NSTemporaryDirectory() + "citycert-limits-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{\"id\": \"\(Self.hostile)\"}".write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
        try "{\"\(Self.hostile)\": \"x\"}".write(toFile: dir + "/b.json", atomically: true, encoding: .utf8)
        let p = try profile(
            """
              - {id: PLAIN, title: p, clause: "1", level: MUST, checks: [{data: {files: ["a.json"], schema: plain}}]}
              - {id: NOT, title: n, clause: "1", level: MUST, checks: [{data: {files: ["a.json"], schema: negated}}]}
              - {id: NAMES, title: k, clause: "1", level: MUST, checks: [{data: {files: ["b.json"], schema: names}}]}
            """)
        var options = RunOptions()
        options.paths = [dir]
        options.inputs = ["base_url": "http://127.0.0.1:9"]
        let report = try await Runner(profile: p, transport: nil, options: options).run()
        #expect(report.requirements.map(\.outcome) == [.error, .error, .error])
        for r in report.requirements {
            let text = r.checks.map { ($0.message ?? "") + "\n" + $0.evidence.map { "\($0)" }.joined(separator: "\n") }.joined()
            #expect(text.contains("catastrophic backtracking"), "\(r.id): \(text)")
            #expect(text.contains("not judged"), "\(r.id): \(text)")
        }
    }

    @Test func aPatternThatRunsOutOfTimeIsAnErrorInHTTPChecks() async throws {
        let server = try LoopbackServer { _ in .json("{\"id\": \"\(Self.hostile)\"}") }
        defer { server.stop() }
        let p = try profile(
            """
              - {id: H, title: h, clause: "1", level: MUST, checks: [{http: {steps: [{request: {url: "{{base_url}}/x"}, expect: {schema: plain}}]}}]}
            """)
        var options = RunOptions()
        options.inputs = ["base_url": server.baseURL]
        let report = try await Runner(profile: p, transport: CurlTransport(), options: options).run()
        #expect(report.requirements.map(\.outcome) == [.error])
    }

    /// A line over the record limit is reported as a limit (with its line) and the lines after it are read.
    @Test func anOversizedJSONLinesRecordIsReportedAndReadingGoesOn() throws {
        let dir = NSTemporaryDirectory() + "citycert-lines-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let long = "{\"pad\": \"" + String(repeating: "x", count: 5000) + "\"}"
        try "{\"n\": 1}\n\(long)\n{\"n\": 3}\n\(long)".write(toFile: dir + "/a.jsonl", atomically: true, encoding: .utf8)
        // Read in small chunks (the line never fits the buffer) and in one (it arrives whole): the same answer.
        for chunk in [64, 1 << 20] {
            let reader = JSONStreamReader(maxRecordBytes: 1000, chunkSize: chunk)
            var seen: [String] = []
            try reader.forEachLine(path: dir + "/a.jsonl") { record in
                switch record.document {
                case .success(let d): seen.append("\(record.origin.line): \(d.root["n"].map { "\($0)" } ?? "?")")
                case .failure(let e): seen.append("\(record.origin.line): limit \(e.isLimit) \(e.message)")
                }
            }
            #expect(
                seen == [
                    "1: 1", "2: limit true a line of 5011 bytes is longer than the 1000-byte record limit; it was not judged",
                    "3: 3", "4: limit true a line of 5011 bytes is longer than the 1000-byte record limit; it was not judged",
                ], "chunk \(chunk)")
        }
    }
}
