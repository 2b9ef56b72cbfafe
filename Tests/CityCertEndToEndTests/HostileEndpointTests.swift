import CityCertJSON
import CityCertJSONSchema
import CityCertTestSupport
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The hostile-endpoint suite (issue 15): one run of the built binary against a loopback server that
/// misbehaves in every way a vendor's endpoint can (never answers, trickles, sends too much or too
/// little, resets, bombs, redirects away, in a loop or to a file, 10,000 headers or one huge one, not
/// HTTP) and four TLS servers (a valid certificate, an expired one, one for another host, a self-signed
/// one). For each: the outcome (a harness limit or a transport fault is an `error`, never `failed`), the
/// run's time bound, reports that are whole and valid, and no canary credential in any output.
@Suite(.serialized) struct HostileEndpointTests {
    static let token = "hostile-canary-token-4e1f"
    static let apiKey = "hostile-canary-apikey-90b3"

    /// Each requirement, its misbehaviour, the outcome it must get and a word its message must hold.
    static let cases: [(id: String, step: String, outcome: String, says: String)] = [
        ("NEVER", #"{request: {url: "{{base_url}}/never"}, timeout: {total: 2s}, expect: {status: 200}}"#, "error", "timed out"),
        (
            "TRICKLE", #"{request: {url: "{{base_url}}/trickle"}, timeout: {total: 2s}, expect: {status: 200}}"#, "error",
            "timed out"
        ),
        ("HUGE", #"{request: {url: "{{base_url}}/huge"}, expect: {status: 200}}"#, "error", "exceeds the limit"),
        ("SHORT", #"{request: {url: "{{base_url}}/short"}, expect: {status: 200}}"#, "error", "transfer closed"),
        ("RESET", #"{request: {url: "{{base_url}}/reset"}, expect: {status: 200}}"#, "error", "reset"),
        (
            "BOMB", #"{request: {url: "{{base_url}}/bomb", headers: {Accept-Encoding: gzip}}, expect: {status: 200}}"#, "error",
            "exceeds the limit"
        ),
        (
            "OFF-ORIGIN", #"{request: {url: "{{base_url}}/off"}, redirects: same-origin, expect: {status: 200}}"#, "error",
            "leaves the origin"
        ),
        ("LOOP", #"{request: {url: "{{base_url}}/loop"}, redirects: same-origin, expect: {status: 200}}"#, "error", "redirects"),
        ("FILE", #"{request: {url: "{{base_url}}/file"}, redirects: any, expect: {status: 200}}"#, "error", "non-HTTP"),
        (
            "MANY-HEADERS", #"{request: {url: "{{base_url}}/many"}, expect: {status: 200}}"#, "passed",
            "9901 more header(s)"
        ),
        ("BIG-HEADER", #"{request: {url: "{{base_url}}/bigheader"}, expect: {status: 200}}"#, "error", "headers are larger"),
        ("NOT-HTTP", #"{request: {url: "{{base_url}}/garbage"}, expect: {status: 200}}"#, "error", "not HTTP"),
        ("ECHO", #"{request: {url: "{{base_url}}/echo"}, expect: {status: 200}}"#, "failed", "500"),
        ("TLS-VALID", #"{request: {url: "{{tls_valid}}"}, expect: {status: 200}}"#, "passed", ""),
        ("TLS-EXPIRED", #"{request: {url: "{{tls_expired}}"}, expect: {status: 200}}"#, "error", "expired"),
        ("TLS-WRONG-HOST", #"{request: {url: "{{tls_wrong_host}}"}, expect: {status: 200}}"#, "error", "127.0.0.1"),
        ("TLS-SELF-SIGNED", #"{request: {url: "{{tls_self_signed}}"}, expect: {status: 200}}"#, "error", "self"),
    ]

    @Test func everyMisbehaviourHasItsOutcomeWithinTheBoundAndNoCanaryLeaks() async throws {
        let dir = NSTemporaryDirectory() + "citycert-hostile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bomb = try Gzip.compress([UInt8](repeating: 0x20, count: 64 << 20))
        let tls = try TLSTestServers()
        let manyHeaders = (0..<10_000).map { ("X-H\($0)", "v\($0)") }
        let server = try LoopbackServer { r in
            func echo() -> [(String, String)] {
                r.headers.filter { !["host", "content-length"].contains($0.0.lowercased()) }.map { ("X-Echo-" + $0.0, $0.1) }
            }
            switch r.path {
            case "/never": return .hang(seconds: 30)
            case "/trickle":
                return .slowBody(status: 200, headers: [], body: Array(repeating: 0x20, count: 100), chunk: 1, delay: 0.3)
            case "/huge": return .respond(status: 200, headers: [], body: Array(repeating: 0x20, count: 20 << 20))
            case "/short": return .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\"".utf8))
            case "/reset": return .reset
            case "/bomb": return .respond(status: 200, headers: [("Content-Encoding", "gzip")], body: bomb)
            case "/off": return .respond(status: 302, headers: [("Location", "http://127.0.0.2:9/x")], body: [])
            case "/loop": return .respond(status: 302, headers: [("Location", "/loop")], body: [])
            case "/file": return .respond(status: 302, headers: [("Location", "file:///etc/passwd")], body: [])
            case "/many": return .respond(status: 200, headers: manyHeaders, body: Array("{}".utf8))
            case "/bigheader":
                return .respond(status: 200, headers: [("X-Big", String(repeating: "a", count: 1 << 20))], body: [])
            case "/garbage": return .raw(Array("garbage that is not http\r\n\r\n".utf8))
            default:
                let text = r.headers.map { "\($0.0)=\($0.1)" }.joined(separator: "; ")
                return .respond(status: 500, headers: echo(), body: Array(text.utf8))
            }
        }
        defer { server.stop() }
        var profile = """
            \(InlineProfile.head(id: "hostile"))
            inputs: {base_url: {}, tls_valid: {}, tls_expired: {}, tls_wrong_host: {}, tls_self_signed: {}, token: {secret: true}}
            defaults:
              headers: {Authorization: "Bearer {{token}}", X-Api-Key: \(Self.apiKey)}
            requirements:

            """
        for c in Self.cases {
            profile += "  - {id: \(c.id), title: t, clause: \"1\", level: MUST, checks: [{http: {steps: [\(c.step)]}}]}\n"
        }
        try profile.write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
        let started = ContinuousClock.now
        let result = try await CityCertBinary.run([
            "run", dir + "/profile.yaml", "--jobs", "4", "--cacert", tls.caBundle, "--input", "base_url=\(server.baseURL)",
            "--input", "tls_valid=\(tls.url(.valid))", "--input", "tls_expired=\(tls.url(.expired))", "--input",
            "tls_wrong_host=\(tls.url(.wrongHost))", "--input", "tls_self_signed=\(tls.url(.selfSigned))", "--input",
            "token=\(Self.token)", "--report-json", dir + "/r.json", "--report-junit", dir + "/r.xml", "--report-sarif",
            dir + "/r.sarif",
        ])
        let elapsed = ContinuousClock.now - started
        // Every wait is bounded: 2 s timeouts, 4 at once; 60 s leaves room for a loaded machine.
        #expect(elapsed < .seconds(60), "the run took \(elapsed)")
        // A failed MUST (the echo's 500) decides the exit code (1, NOT CONFORMANT) over the errors (3).
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("NOT CONFORMANT"), "\(result.stdout)")

        // The JSON report is whole, valid against its schema, and holds each case's outcome and cause.
        let reportBytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/r.json")))
        let report = try JSONValue.parse(bytes: reportBytes)
        let schema = try JSONSchema(
            document: JSONValue.parse(
                bytes: Repository.read(Repository.root.appendingPathComponent("Sources/CityCertReports/report.schema.json"))))
        let errors = schema.validate(report)
        #expect(errors.isEmpty, "\(errors.prefix(3))")
        guard case .array(let requirements)? = report["requirements"] else {
            Issue.record("no requirements in the report")
            return
        }
        #expect(requirements.count == Self.cases.count)
        for c in Self.cases {
            guard let r = requirements.first(where: { $0["id"] == .string(c.id) }) else {
                Issue.record("\(c.id) is not in the report")
                continue
            }
            #expect(r["outcome"] == .string(c.outcome), "\(c.id): \(JSONSerializer.string(r["outcome"] ?? .null))")
            let text = JSONSerializer.string(r)
            if !c.says.isEmpty { #expect(text.contains(c.says), "\(c.id) does not say '\(c.says)': \(text.prefix(600))") }
        }
        // 10,001 response headers (with Content-Length) are not all kept: MANY-HEADERS says 9,901 were left out.
        #expect(reportBytes.count < 2 << 20, "the report is \(reportBytes.count) bytes")

        // JUnit is well-formed XML with one testcase per requirement; SARIF is JSON.
        let junit = try Data(contentsOf: URL(fileURLWithPath: dir + "/r.xml"))
        let parser = XMLParser(data: junit)
        #expect(parser.parse(), "JUnit XML does not parse: \(String(describing: parser.parserError))")
        #expect(String(decoding: junit, as: UTF8.self).components(separatedBy: "<testcase ").count - 1 == Self.cases.count)
        let sarif = try Data(contentsOf: URL(fileURLWithPath: dir + "/r.sarif"))
        #expect((try? JSONValue.parse(bytes: Array(sarif))) != nil, "SARIF does not parse")

        // No canary, in any encoding, in any output (the echo endpoint sent them back in its body and headers).
        let outputs = [
            "stdout": result.stdout, "stderr": result.stderr, "r.json": String(decoding: reportBytes, as: UTF8.self),
            "r.xml": String(decoding: junit, as: UTF8.self), "r.sarif": String(decoding: sarif, as: UTF8.self),
        ]
        for canary in [Self.token, Self.apiKey, "Bearer " + Self.token] {
            let forms = [
                canary, Data(canary.utf8).base64EncodedString(),
                canary.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? canary, String(canary.suffix(6)),
            ]
            for (name, text) in outputs {
                for form in forms { #expect(!text.contains(form), "\(name) holds '\(form)'") }
            }
        }
        // No temporary report file is left beside the reports.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "\(left)")
    }
}
