import CityCertTestSupport
import Foundation
import Testing

/// Credentials never reach any output (issue 15, defect 4): a server echoes every request header into its
/// body and its response headers, and hands out a token the profile then uses; none of the canary values
/// may appear in the console, JSON, JUnit or SARIF output, in any encoding.
@Suite struct SecretTests {
    static let canaries = [
        "literal-bearer-7f3a9", "apikey-canary-55e1", "input-9d2e7-Quote\"Back\\slash", "oauth-token-c0ffee",
    ]
    /// A distinctive piece of each canary, which survives any escaping or encoding of the rest.
    static let fragments = ["7f3a9", "55e1", "9d2e7", "c0ffee"]

    @Test func noCredentialReachesAnyOutput() async throws {
        let server = try LoopbackServer { r in
            if r.path == "/token" { return .json(#"{"access_token": "oauth-token-c0ffee", "echo": "oauth-token-c0ffee"}"#) }
            let echoed = r.headers.map { "\($0.0)=\($0.1)" }.joined(separator: "; ")
            let body =
                "{\"headers\": " + String(decoding: try! JSONSerialization.data(withJSONObject: [echoed]), as: UTF8.self) + "}"
            return .json(
                body, status: 500,
                headers: r.headers.filter { $0.0.lowercased() != "host" && $0.0.lowercased() != "content-length" }.map {
                    ("X-Echo-" + $0.0, $0.1)
                })
        }
        defer { server.stop() }
        let dir = NSTemporaryDirectory() + "citycert-secrets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let profile = """
            citycert: 1
            id: secrets
            title: Secrets
            version: "1"
            standard: {name: S, version: "1"}
            inputs:
              base_url: {}
              token: {secret: true}
            requirements:
              - id: A
                title: a
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/token"}
                          capture: {access: {jsonpath: $.access_token}}
                        - request:
                            url: "{{base_url}}/echo?t={{token}}"
                            headers: {Authorization: "Bearer {{access}}", Api-Key: apikey-canary-55e1, X-Token: "{{token}}", X-Literal: "Bearer literal-bearer-7f3a9"}
                          expect: {status: 200}
              - id: B
                title: b
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/echo", headers: {Authorization: "Bearer literal-bearer-7f3a9"}, json: {t: "{{token}}"}}
                          expect: {status: 200}
            """
        try profile.write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
        let result = try await CityCertBinary.run([
            "run", dir + "/profile.yaml", "--input", "base_url=\(server.baseURL)", "--input",
            "token=input-9d2e7-Quote\"Back\\slash",
            "--report-json", dir + "/r.json", "--report-junit", dir + "/r.xml", "--report-sarif", dir + "/r.sarif",
        ])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        var outputs = ["stdout": result.stdout, "stderr": result.stderr]
        for f in ["r.json", "r.xml", "r.sarif"] { outputs[f] = try String(contentsOfFile: dir + "/" + f, encoding: .utf8) }
        #expect(outputs["r.json"]?.contains("***") == true)
        for fragment in Self.fragments {
            for (name, text) in outputs { #expect(!text.contains(fragment), "\(name) holds '\(fragment)'") }
        }
        for canary in Self.canaries {
            var forms: Set<String> = [canary, Data(canary.utf8).base64EncodedString()]
            forms.insert(canary.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? canary)
            let json = String(decoding: try JSONSerialization.data(withJSONObject: [canary]), as: UTF8.self)
            forms.insert(String(json.dropFirst(2).dropLast(2)))
            for (name, text) in outputs {
                for form in forms { #expect(!text.contains(form), "\(name) holds '\(form)'") }
            }
        }
    }

    @Test func aSecretShorterThanFourCharactersIsRefused() async throws {
        let result = try await CityCertBinary.run([
            "run", "Fixtures/loopback/profile.yaml", "--input", "base_url=http://127.0.0.1:9", "--input", "token=ab",
        ])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("secret input 'token' is shorter than 4 characters"), "\(result.stderr)")
    }

    /// A secret capture in a step that fails is still a secret (the response holding it is in the report),
    /// and an input a credential header is built from is masked in the report's target.
    @Test func secretsFromFailedStepsAndCredentialInputsAreRedacted() async throws {
        let server = try LoopbackServer { _ in .json(#"{"access_token": "failed-step-token-ab12cd"}"#) }
        defer { server.stop() }
        let dir = NSTemporaryDirectory() + "citycert-secrets2-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let profile = """
            citycert: 1
            id: secrets2
            title: Secrets
            version: "1"
            standard: {name: S, version: "1"}
            inputs: {base_url: {}, api_key: {}}
            defaults: {headers: {X-API-Key: "{{api_key}}"}}
            requirements:
              - id: A
                title: a
                clause: "1"
                level: MUST
                checks:
                  - http:
                      steps:
                        - request: {url: "{{base_url}}/login", method: POST}
                          expect: {status: 201}
                          capture: {token: {jsonpath: $.access_token, secret: true}}
            """
        try profile.write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
        let result = try await CityCertBinary.run([
            "run", dir + "/profile.yaml", "--input", "base_url=\(server.baseURL)", "--input", "api_key=input-key-77aa99",
            "--report-json", dir + "/r.json",
        ])
        #expect(result.status == 1)
        let json = try String(contentsOfFile: dir + "/r.json", encoding: .utf8)
        for canary in ["ab12cd", "77aa99"] {
            #expect(!json.contains(canary), "report holds \(canary)")
            #expect(!result.stdout.contains(canary), "console holds \(canary)")
        }
        #expect(json.contains("\"api_key\": \"***\""), "\(json)")
    }
}
