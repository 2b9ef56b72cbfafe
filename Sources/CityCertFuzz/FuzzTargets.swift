import CityCertCSV
import CityCertCore
import CityCertGTFS
import CityCertJSON
import CityCertJSONPath
import CityCertJSONSchema
import CityCertProfile
import CityCertReports
import CityCertRunner
import Foundation

/// An invariant a fuzz input broke: the fuzz driver turns it into a crash (so libFuzzer keeps the input),
/// the regression tests into a failure.
public struct FuzzViolation: Error, CustomStringConvertible {
    public let target: FuzzTarget
    public let description: String
    init(_ target: FuzzTarget, _ description: String) {
        self.target = target
        self.description = "\(target.rawValue): \(description)"
    }
}

/// The code paths that read what a vendor or a profile author hands citycert, each with the invariants
/// that must hold for any input (beyond "no crash, no hang"). One entry point per target serves the
/// libFuzzer driver (`Fuzz/`, run by `.ci/fuzz`) and the regression tests over the committed inputs
/// (`Fixtures/fuzz/<target>/`).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// JSON parser: the tape and the tree built from it agree; serialize → parse is the identity.
    case json
    /// JSONPath (RFC 9535) parser and evaluator: the input's first line is a query, the rest a document.
    case jsonpath
    /// JSON Schema compiler and validator: a schema, then NUL, then an instance. The fast boolean path,
    /// the tape path and the error-collecting path agree.
    case jsonschema
    /// The YAML profile loader: a profile is loaded or refused with a located error.
    case profile
    /// The RFC 4180 CSV reader: records and fields stay inside the input.
    case csv
    /// A GTFS feed as a zip archive: bomb and structure checks, then every table rule.
    case gtfs
    /// The HTTP response path: a response (status line, headers, blank line, body) through every kind
    /// of expectation and capture of a fixed profile, then rendered as a JSON report that must parse.
    case response

    /// Runs one input; throws when an invariant does not hold. Errors the input deserves (a parse error,
    /// a refused profile, a failed requirement) are not violations.
    public func run(_ bytes: [UInt8]) throws(FuzzViolation) {
        switch self {
        case .json: try Self.json(bytes)
        case .jsonpath: try Self.jsonpath(bytes)
        case .jsonschema: try Self.jsonschema(bytes)
        case .profile: try Self.profile(bytes)
        case .csv: try Self.csv(bytes)
        case .gtfs: try Self.gtfs(bytes)
        case .response: try Self.response(bytes)
        }
    }

    // MARK: - JSON

    static func json(_ bytes: [UInt8]) throws(FuzzViolation) {
        var parser = JSONTapeParser(options: JSONParseOptions())
        let tape: JSONTape
        do { tape = try parser.parse(bytes) } catch {
            guard error.location.offset <= bytes.count else {
                throw FuzzViolation(.json, "error offset \(error.location.offset) past the input (\(bytes.count) bytes)")
            }
            return
        }
        let tree = tape.root()
        if let problem = tape.withView({ agree($0, 0, tree, "") }) { throw FuzzViolation(.json, problem) }
        let text = JSONSerializer.string(tree)
        let again: JSONValue
        do { again = try JSONValue.parse(text) } catch {
            throw FuzzViolation(.json, "the serialization of a parsed value does not parse: \(error)")
        }
        guard again == tree else { throw FuzzViolation(.json, "serialize → parse changed the value") }
    }

    /// The tape of `tape` against the tree of `tree` (for the test that the agreement check can fail).
    public static func agreementProblem(tape: String, tree: String) -> String? {
        var parser = JSONTapeParser(options: JSONParseOptions())
        guard let t = try? parser.parse(Array(tape.utf8)), let v = try? JSONValue.parse(tree) else { return "does not parse" }
        return t.withView { agree($0, 0, v, "") }
    }

    /// Walks the tape and the tree together; the first disagreement, if any.
    static func agree(_ view: JSONTapeView, _ i: Int, _ value: JSONValue, _ at: String) -> String? {
        switch (view.kind(i), value) {
        case (.object, .object(let o)):
            guard view.count(i) == o.count else { return "\(at): tape has \(view.count(i)) members, tree \(o.count)" }
            // With duplicate keys both sides see the last occurrence (as ECMAScript's JSON.parse does).
            for (k, v) in o.uniqueEntries {
                guard let m = view.member(i, k) else { return "\(at)/\(k): member missing from the tape" }
                if let p = agree(view, m, v, at + "/" + k) { return p }
            }
        case (.array, .array(let a)):
            guard view.count(i) == a.count else { return "\(at): tape has \(view.count(i)) elements, tree \(a.count)" }
            for (n, v) in a.enumerated() {
                guard let e = view.element(i, n) else { return "\(at)/\(n): element missing from the tape" }
                if let p = agree(view, e, v, at + "/\(n)") { return p }
            }
        case (.string, .string(let s)):
            if view.string(i) != s { return "\(at): strings differ" }
        case (.number, .number(let n)):
            if view.number(i) != n { return "\(at): numbers differ" }
        case (.true, .bool(true)), (.false, .bool(false)), (.null, .null):
            break
        default:
            return "\(at): tape kind \(view.kind(i)) against tree \(value)"
        }
        return nil
    }

    // MARK: - JSONPath

    static let pathDocument: JSONValue = {
        let text = #"""
            {"store": {"book": [{"category": "reference", "author": "Nigel Rees", "price": 8.95, "isbn": null},
              {"category": "fiction", "author": "Evelyn Waugh", "price": 12.99, "tags": ["a", "b", {"c": [1, 2, 3]}]}],
              "bicycle": {"color": "red", "price": 399}}, "": {"": [true, false, -0, 1e300, "\u00e9"]}, "a.b": 1}
            """#
        return try! JSONValue.parse(text)
    }()

    static func jsonpath(_ bytes: [UInt8]) throws(FuzzViolation) {
        let split = bytes.firstIndex(of: 10) ?? bytes.count
        guard let query = String(validating: bytes[..<split], as: UTF8.self) else { return }
        let document: JSONValue
        if split < bytes.count, let d = try? JSONValue.parse(bytes: Array(bytes[(split + 1)...])) {
            document = d
        } else {
            document = pathDocument
        }
        guard let path = try? JSONPath(query) else { return }
        do {
            let nodes = try path.select(document, stepLimit: 100_000)
            let values = try path.values(document, stepLimit: 100_000)
            guard nodes.count == values.count else {
                throw FuzzViolation(.jsonpath, "select found \(nodes.count) nodes, values \(values.count)")
            }
            for (n, v) in zip(nodes, values) where n.value != v {
                throw FuzzViolation(.jsonpath, "select and values disagree at \(n.location)")
            }
        } catch let e as FuzzViolation {
            throw e
        } catch {
            return  // the step limit: an error the run reports, not a violation
        }
    }

    // MARK: - JSON Schema

    static func jsonschema(_ bytes: [UInt8]) throws(FuzzViolation) {
        let split = bytes.firstIndex(of: 0) ?? bytes.count
        guard let schemaDoc = try? JSONValue.parse(bytes: Array(bytes[..<split])) else { return }
        let instanceBytes = split < bytes.count ? Array(bytes[(split + 1)...]) : Array("{}".utf8)
        var options = SchemaOptions()
        options.regexTimeLimit = 0.05
        guard let schema = try? JSONSchema(document: schemaDoc, options: options) else { return }
        var parser = JSONTapeParser(options: JSONParseOptions())
        guard let tape = try? parser.parse(instanceBytes) else { return }
        let instance = tape.root()
        let fast = schema.isValid(instance)
        let errors = schema.validate(instance)
        // A regular expression that ran out of time makes the paths legitimately differ (it is an error
        // of the harness, reported as such); compare only when none did.
        if errors.contains(where: { $0.isLimit }) { return }
        guard fast == errors.isEmpty else {
            throw FuzzViolation(
                .jsonschema,
                "isValid says \(fast), validate found \(errors.count) error(s): \(errors.first.map { "\($0)" } ?? "")")
        }
        if let viaTape = schema.isValid(tape: tape), viaTape != fast {
            throw FuzzViolation(.jsonschema, "the tape path says \(viaTape), the tree path \(fast)")
        }
    }

    // MARK: - Profile

    static let scratch: String = {
        let dir = NSTemporaryDirectory() + "citycert-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    static func profile(_ bytes: [UInt8]) throws(FuzzViolation) {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            _ = try ProfileLoader().load(text: text, file: scratch + "/profile.yaml")
        } catch let e as ProfileError {
            let shown = "\(e)"
            guard shown.hasPrefix(scratch + "/profile.yaml:") else {
                throw FuzzViolation(.profile, "a refusal that does not point into the profile: \(shown)")
            }
        } catch {
            throw FuzzViolation(.profile, "a refusal that is not a ProfileError: \(type(of: error)) \(error)")
        }
    }

    // MARK: - CSV

    static func csv(_ bytes: [UInt8]) throws(FuzzViolation) {
        let reader = CSVReader(bytes: bytes)
        var last = -1
        var records = 0
        do {
            while try reader.next() {
                records += 1
                guard reader.recordOffset > last, reader.recordOffset <= bytes.count else {
                    throw FuzzViolation(.csv, "record \(records) at offset \(reader.recordOffset) after \(last)")
                }
                last = reader.recordOffset
                // Raw bytes (a decoded field grows where invalid UTF-8 becomes U+FFFD, three bytes each).
                let longest = reader.withRecord { r in (0..<r.count).map { r.raw($0).count }.max() ?? 0 }
                if longest > bytes.count {
                    throw FuzzViolation(.csv, "a field of \(longest) bytes in \(bytes.count) bytes of input")
                }
                _ = reader.byteProblems()
            }
        } catch let e as FuzzViolation {
            throw e
        } catch {
            return  // a record over the limit: reported to the user
        }
    }

    // MARK: - GTFS

    static let gtfsSchema: GTFSSchema? = {
        let here = URL(fileURLWithPath: #filePath)
        let file = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Profiles/gtfs/schedule/gtfs-schema.json")
        guard let data = try? Data(contentsOf: file), let doc = try? JSONValue.parse(bytes: Array(data)) else { return nil }
        return try? GTFSSchema(json: doc)
    }()

    static func gtfs(_ bytes: [UInt8]) throws(FuzzViolation) {
        guard let schema = gtfsSchema else { throw FuzzViolation(.gtfs, "Profiles/gtfs/schedule/gtfs-schema.json not found") }
        let path = scratch + "/feed.zip"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        var limits = GTFSLimits()
        limits.maxEntries = 100
        limits.maxEntryBytes = 8 << 20
        limits.maxTotalBytes = 16 << 20
        let result = GTFSValidator(schema: schema, limits: limits).validate(feed: path)
        _ = result
    }

    // MARK: - HTTP response path

    struct CannedTransport: HTTPTransport {
        let response: HTTPResponse
        func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
            var r = response
            r.effectiveURL = request.url
            return r
        }
    }

    static let responseProfile: Profile? = {
        let text = """
            citycert: 1
            id: fuzz-response
            title: Fuzz response
            version: "1"
            standard: {name: Fuzz, version: "1"}
            inputs: {base_url: {}}
            schemas:
              thing: {type: object, required: [id], properties: {id: {type: string, pattern: "^[a-z]+(-[0-9]+)*$"}, n: {type: integer, maximum: 100}, tags: {type: array, uniqueItems: true}}}
            requirements:
              - id: STATUS
                title: status and headers
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/a", headers: {Accept-Encoding: gzip}}
                          expect:
                            status: 2xx
                            headers:
                              Content-Type: application/json
                              ETag: {present: true}
                              X-Debug: {absent: true}
                              Location: {matches: "^/(a+)+$"}
                          capture:
                            loc: {header: Location, regex: "/([^/]+)$"}
                            first: {jsonpath: "$.id"}
                        - request: {url: "{{base_url}}/b/{{first}}", headers: {X-From: "{{loc}}"}}
                          expect: {assert: [{path: "$.id", equals: "{{first}}"}]}
              - id: BODY
                title: body
                clause: "2"
                level: SHOULD
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/c"}
                          expect:
                            schema: thing
                            assert:
                              - {path: "$..n", ge: 0}
                              - {path: "$.tags[*]", matches: "^(a|aa)*$"}
                              - {path: "$[?@.id == 'x']", exists: false}
              - id: JSON
                title: json
                clause: "3"
                level: MAY
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/d"}
                          expect: {json: true, duration_below: 2s}
            """
        return try? ProfileLoader().load(text: text, file: scratch + "/response.yaml")
    }()

    /// Reads "STATUS\n" "Name: value\n"… "\n" body from the input (a loose form, so mutations reach
    /// every part).
    static func cannedResponse(_ bytes: [UInt8]) -> HTTPResponse {
        var i = 0
        func line() -> [UInt8]? {
            guard i < bytes.count else { return nil }
            let end = bytes[i...].firstIndex(of: 10) ?? bytes.count
            defer { i = min(bytes.count, end + 1) }
            return Array(bytes[i..<end])
        }
        let status = line().flatMap { Int(String(decoding: $0.prefix(4), as: UTF8.self)) } ?? 200
        var headers: [(name: String, value: String)] = []
        while let l = line(), !l.isEmpty, headers.count < 10_000 {
            let colon = l.firstIndex(of: 58) ?? l.count
            let value = colon < l.count ? l[(colon + 1)...] : []
            headers.append(
                (
                    String(decoding: l[..<colon], as: UTF8.self),
                    String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                ))
        }
        return HTTPResponse(
            status: status, headers: headers, body: Array(bytes[i...]), httpVersion: "HTTP/1.1",
            timings: HTTPTimings(total: 0.001), effectiveURL: "")
    }

    static func response(_ bytes: [UInt8]) throws(FuzzViolation) {
        guard let profile = responseProfile else { throw FuzzViolation(.response, "the fixed profile does not load") }
        var options = RunOptions()
        options.inputs = ["base_url": "http://127.0.0.1:9"]
        options.jobs = 1
        let runner = Runner(profile: profile, transport: CannedTransport(response: cannedResponse(bytes)), options: options)
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.report = try await runner.run() } catch { box.failure = "\(error)" }
            done.signal()
        }
        done.wait()
        guard let report = box.report else {
            throw FuzzViolation(.response, "the run ended without a report: \(box.failure ?? "")")
        }
        guard report.requirements.count == 3 else {
            throw FuzzViolation(.response, "\(report.requirements.count) requirement results for 3 requirements")
        }
        let rendered = JSONReport.render(report)
        do { _ = try JSONValue.parse(bytes: rendered) } catch {
            throw FuzzViolation(.response, "the JSON report does not parse: \(error)")
        }
    }

    final class ResultBox: @unchecked Sendable {
        var report: RunReport?
        var failure: String?
    }
}
