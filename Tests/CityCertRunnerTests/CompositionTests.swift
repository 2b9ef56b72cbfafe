import CityCertCore
import CityCertCurl
import CityCertProfile
import CityCertRunner
import CityCertTestSupport
import Foundation
import Testing

/// Format 1.1 composition: `all_of`, `any_of` and `not` over assertions. Every expected outcome below is
/// the truth table of the connective applied by hand to the document (three values: a part that cannot
/// be judged makes the whole an `error` unless a decided part settles it).
@Suite struct AssertionCompositionTests {
    static func profile(_ assertions: String, version: String = "1.1") throws -> Profile {
        try ProfileLoader().load(
            text: """
                \(InlineProfile.head(format: version))
                requirements:
                  - id: R
                    title: r
                    clause: "1"
                    level: MUST
                    checks:
                      - data:
                          files: "*.json"
                          format: document
                          assert:
                \(assertions)
                """, file: Repository.fixture("loopback/inline.yaml").path)
    }

    /// Runs the one requirement over one document and returns its outcome and its findings' messages.
    static func judge(_ assertions: String, _ document: String) async throws -> (Outcome, [String]) {
        let dir = NSTemporaryDirectory() + "citycert-composition-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try document.write(toFile: dir + "/d.json", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.paths = [dir]
        let report = try await Runner(profile: try profile(assertions), transport: nil, options: options).run()
        let q = report.requirements[0]
        let messages = q.checks.flatMap(\.evidence).compactMap { e -> String? in
            if case .finding(let f) = e { return f.message }
            return nil
        }
        return (q.outcome, messages + q.checks.compactMap(\.message).filter { q.outcome == .error && !$0.isEmpty })
    }

    static let either = """
                            - any_of:
                                - {path: $.a, exists: true}
                                - {path: $.b, type: string}
        """

    @Test func anyOfHoldsWhenOneAlternativeHolds() async throws {
        #expect(try await Self.judge(Self.either, #"{"a": 1}"#).0 == .passed)
        #expect(try await Self.judge(Self.either, #"{"b": "x"}"#).0 == .passed)
        let (outcome, messages) = try await Self.judge(Self.either, #"{"b": 2}"#)
        #expect(outcome == .failed)
        // The reason names every alternative's own failure.
        #expect(messages.count == 1, "\(messages)")
        #expect(messages.first?.contains("none of the 2 alternatives holds") == true, "\(messages)")
        #expect(messages.first?.contains("$.a selects nothing, expected it to exist") == true, "\(messages)")
        #expect(messages.first?.contains("| 2 is ") == true && messages.first?.contains("string") == true, "\(messages)")
    }

    @Test func allOfFailsOnEachPartThatFails() async throws {
        let both = """
                                - all_of:
                                    - {path: $.a, type: integer}
                                    - {path: $.b, equals: x}
            """
        #expect(try await Self.judge(both, #"{"a": 1, "b": "x"}"#).0 == .passed)
        let (outcome, messages) = try await Self.judge(both, #"{"a": "1", "b": "y"}"#)
        #expect(outcome == .failed)
        #expect(messages.count == 2, "\(messages)")
    }

    @Test func notInvertsAndAMissingPathMakesItHold() async throws {
        let notFoo = """
                                - not: {path: $.type, equals: Foo}
            """
        #expect(try await Self.judge(notFoo, #"{"type": "Bar"}"#).0 == .passed)
        // `equals` on a path that selects nothing fails, so its negation holds.
        #expect(try await Self.judge(notFoo, #"{}"#).0 == .passed)
        let (outcome, messages) = try await Self.judge(notFoo, #"{"type": "Foo"}"#)
        #expect(outcome == .failed)
        #expect(messages == ["$.type equals Foo holds, expected it not to"], "\(messages)")
    }

    /// A conditional rule written with the connectives: if `kind` is `point`, `coordinates` must be present.
    @Test func implicationIsNotOrAnyOf() async throws {
        let rule = """
                                - any_of:
                                    - not: {path: $.kind, equals: point}
                                    - {path: $.coordinates, exists: true}
            """
        #expect(try await Self.judge(rule, #"{"kind": "area"}"#).0 == .passed)
        #expect(try await Self.judge(rule, #"{"kind": "point", "coordinates": [1, 2]}"#).0 == .passed)
        #expect(try await Self.judge(rule, #"{"kind": "point"}"#).0 == .failed)
    }

    /// Three values: an undecidable part (a bound that is not a number) is an `error` unless a decided part
    /// settles the connective: a failed part decides `all_of`, a holding part decides `any_of`.
    @Test func anUndecidablePartErrsUnlessAnotherDecides() async throws {
        let undecidable = "{path: $.n, lt: {path: $.label}}"
        func all(_ other: String) -> String {
            "                    - all_of:\n                        - \(undecidable)\n                        - \(other)"
        }
        func any(_ other: String) -> String {
            "                    - any_of:\n                        - \(undecidable)\n                        - \(other)"
        }
        let doc = #"{"n": 1, "label": "x", "ok": true}"#
        #expect(try await Self.judge(all("{path: $.ok, equals: false}"), doc).0 == .failed)
        #expect(try await Self.judge(all("{path: $.ok, equals: true}"), doc).0 == .error)
        #expect(try await Self.judge(any("{path: $.ok, equals: true}"), doc).0 == .passed)
        #expect(try await Self.judge(any("{path: $.ok, equals: false}"), doc).0 == .error)
        #expect(try await Self.judge("                    - not: \(undecidable)", doc).0 == .error)
    }

    @Test func compositionIsRefusedWhereItCannotMeanAnything() throws {
        func refused(_ assertions: String, _ version: String = "1.1") -> String {
            do {
                _ = try Self.profile(assertions, version: version)
                return "loaded"
            } catch { return "\(error)" }
        }
        #expect(refused("                    - not: {path: $.a, exists: true}", "1").contains("1.1"))
        #expect(refused("                    - {path: $.a, not: {path: $.b, exists: true}}").contains("stands alone"))
        #expect(refused("                    - any_of: [{path: $.a, exists: true}]").contains("at least two"))
        // Each part is checked like any assertion, at its own place.
        let unknown = refused("                    - all_of: [{path: $.a, exists: true}, {path: $.b, tpye: string}]")
        #expect(unknown.contains("inline.yaml:16:71"), "\(unknown)")
    }

    /// A composed selector picks documents like a plain one.
    @Test func aComposedAssertionSelectsDocuments() async throws {
        let p = try ProfileLoader().load(
            text: """
                \(InlineProfile.head(format: "1.1"))
                requirements:
                  - id: R
                    title: r
                    clause: "1"
                    level: MUST
                    checks:
                      - data:
                          files: "*.json"
                          select:
                            - any_of: [{path: $.type, equals: A}, {path: $.type, equals: B}]
                          assert: [{path: $.id, type: string}]
                """, file: Repository.fixture("loopback/inline.yaml").path)
        let dir = NSTemporaryDirectory() + "citycert-composition-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"[{"type": "A", "id": "x"}, {"type": "B", "id": 2}, {"type": "C", "id": 3}]"#.write(
            toFile: dir + "/d.json", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.paths = [dir]
        let report = try await Runner(profile: p, transport: nil, options: options).run()
        let findings = report.requirements[0].checks.flatMap(\.evidence).compactMap { e -> DataFinding? in
            if case .finding(let f) = e { return f }
            return nil
        }
        // Only B's id is judged wrong: C is not selected.
        #expect(report.requirements[0].outcome == .failed)
        #expect(findings.map(\.pointer) == ["/id"], "\(findings.map(\.message))")
        #expect(findings.first?.column == 48, "\(findings.map { "\($0.line):\($0.column)" })")
    }
}

/// The same connectives judge an HTTP response (one evaluator serves steps and data checks).
@Suite struct HTTPAssertionCompositionTests {
    @Test func aStepJudgesAComposedAssertion() async throws {
        let server = try LoopbackServer { r in
            r.path == "/a" ? .json(#"{"links": [{"rel": "self"}]}"#) : .json(#"{"links": [{"rel": "next"}]}"#)
        }
        defer { server.stop() }
        let p = try ProfileLoader().load(
            text: """
                \(InlineProfile.head(format: "1.1"))
                inputs: {base_url: {}}
                requirements:
                  - {id: A, title: a, clause: "1", level: MUST, checks: [{http: {steps: [{request: {url: "{{base_url}}/a"}, expect: {assert: [{not: {path: "$.links[?@.rel == 'next']", exists: true}}]}}]}}]}
                  - {id: B, title: b, clause: "1", level: MUST, checks: [{http: {steps: [{request: {url: "{{base_url}}/b"}, expect: {assert: [{not: {path: "$.links[?@.rel == 'next']", exists: true}}]}}]}}]}
                """, file: Repository.fixture("loopback/inline.yaml").path)
        var options = RunOptions()
        options.inputs = ["base_url": server.baseURL]
        let report = try await Runner(profile: p, transport: CurlTransport(), options: options).run()
        #expect(report.requirements.map(\.outcome) == [.passed, .failed])
        let problems = report.requirements[1].checks.flatMap(\.evidence).flatMap { e -> [String] in
            if case .exchange(let x) = e { return x.problems }
            return []
        }
        #expect(problems == ["$.links[?@.rel == 'next'] exists true holds, expected it not to"], "\(problems)")
    }
}
