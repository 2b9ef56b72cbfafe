import CityCertJSON
import CityCertTestSupport
import Foundation
import Testing

/// The report's fingerprint covers everything that decides a verdict besides the target: every file of
/// the profile's folder, every data file, the options, the tool version. Its values are checked with
/// tools that share no code with citycert (coreutils' sha256sum, Python's hashlib and json).
@Suite struct FingerprintTests {
    static let profileFolder = "Profiles/smart-data-models/air-quality"
    static let data = "Fixtures/smart-data-models/Environment/AirQualityObserved"

    static func temporaryFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "citycert-fingerprint-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs `citycert run` and returns the JSON report and the exit status.
    static func run(_ arguments: [String], in dir: String) async throws -> (report: JSONValue, status: Int32, stdout: String) {
        let path = dir + "/report-\(UUID().uuidString).json"
        let result = try await CityCertBinary.run(["run"] + arguments + ["--report-json", path])
        let report = try JSONValue.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        return (report, result.status, result.stdout)
    }

    static func entries(_ report: JSONValue) -> [(role: String, path: String, size: Int?, sha256: String?, note: String?)] {
        (report["fingerprint"]?["files"]?.arrayValue ?? []).map { f in
            (
                f["role"]?.stringValue ?? "", f["path"]?.stringValue ?? "", f["size"]?.numberValue.flatMap { Int($0.lexeme) },
                f["sha256"]?.stringValue, f["note"]?.stringValue
            )
        }
    }

    /// Every file entry of the main job's fingerprint has the size the file system gives and the digest
    /// `sha256sum` gives; the profile's folder and the data folder are listed whole; the digest is the
    /// SHA-256 of the fingerprint's JCS form as Python computes it (sorted keys, no spaces).
    @Test func fingerprintAgreesWithSha256sumAndPython() async throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (report, status, stdout) = try await Self.run(["\(Self.profileFolder)/profile.yaml", Self.data], in: dir)
        #expect(status == 1)
        let entries = Self.entries(report)
        let root = Repository.root.path

        var expected: [(String, String)] = []
        for role in ["profile", "data"] {
            let base = role == "profile" ? Self.profileFolder : Self.data
            let listed = try FileManager.default.subpathsOfDirectory(atPath: root + "/" + base).filter { sub in
                var isDir: ObjCBool = false
                return FileManager.default.fileExists(atPath: root + "/" + base + "/" + sub, isDirectory: &isDir)
                    && !isDir.boolValue
            }
            for sub in listed.sorted() { expected.append((role, role == "profile" ? sub : base + "/" + sub)) }
        }
        #expect(entries.map { "\($0.role) \($0.path)" } == expected.map { "\($0.0) \($0.1)" })

        for e in entries {
            let file = e.role == "profile" ? root + "/" + Self.profileFolder + "/" + e.path : root + "/" + e.path
            let sum = try await Subprocess.run("/usr/bin/env", ["sha256sum", file])
            #expect(sum.status == 0)
            #expect(e.sha256 == sum.stdout.split(separator: " ").first.map(String.init), "\(e.path)")
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int
            #expect(e.size == size, "\(e.path)")
        }
        #expect(report["fingerprint"]?["options"]?["fail-on"]?.stringValue == "MUST")
        #expect(report["fingerprint"]?["tool"]?["version"]?.stringValue == report["tool"]?["version"]?.stringValue)

        let script = """
            import hashlib, json, sys
            fp = json.load(open(sys.argv[1]))["fingerprint"]
            digest = fp.pop("digest")
            jcs = json.dumps(fp, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            print(hashlib.sha256(jcs).hexdigest(), digest)
            """
        let reportPath = dir + "/again.json"
        try Data(JSONSerializer.bytes(report)).write(to: URL(fileURLWithPath: reportPath))
        let python = try await Subprocess.run("/usr/bin/env", ["python3", "-c", script, reportPath])
        #expect(python.status == 0, "\(python.stderr)")
        let words = python.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(words.count == 2 && words[0] == words[1], "python's digest, then the report's: \(python.stdout)")
        #expect(stdout.contains("Fingerprint: sha256:\(words.last ?? "?") (7 profile file(s), 7 data file(s)"), "\(stdout)")
    }

    /// The issue's case: `integer` → `number` in a schema the profile loads flips the verdict while
    /// `profile.yaml` (and so `profile.sha256`) is unchanged; the fingerprint's digest changes, and the
    /// schema's entry is the only entry that does. The same run twice gives the same digest.
    @Test func aSchemaEditChangesTheDigestNotJustTheVerdict() async throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let copy = dir + "/air-quality"
        try FileManager.default.copyItem(atPath: Repository.root.path + "/" + Self.profileFolder, toPath: copy)
        let before = try await Self.run([copy + "/profile.yaml", Self.data, "--filter", "SDM-AQO-KV-001"], in: dir)
        let again = try await Self.run([copy + "/profile.yaml", Self.data, "--filter", "SDM-AQO-KV-001"], in: dir)
        #expect(before.status == 1 && before.report["verdict"]?.stringValue == "NOT CONFORMANT")
        #expect(before.report["fingerprint"]?["digest"] == again.report["fingerprint"]?["digest"])

        let schema = copy + "/schemas/AirQualityObserved.schema.json"
        let text = try String(contentsOfFile: schema, encoding: .utf8)
        let edited = text.replacingOccurrences(
            of: "\"tsp\":{\n          \"type\": \"integer\"", with: "\"tsp\":{\n          \"type\": \"number\"")
        try #require(edited != text, "the schema's tsp type was not found")
        try edited.write(toFile: schema, atomically: true, encoding: .utf8)
        let after = try await Self.run([copy + "/profile.yaml", Self.data, "--filter", "SDM-AQO-KV-001"], in: dir)
        #expect(after.report["verdict"]?.stringValue == "CONFORMANT")
        #expect(after.report["profile"]?["sha256"] == before.report["profile"]?["sha256"])
        #expect(after.report["fingerprint"]?["digest"] != before.report["fingerprint"]?["digest"])
        let changed = zip(Self.entries(before.report), Self.entries(after.report)).filter { $0.sha256 != $1.sha256 }.map(\.0.path)
        #expect(changed == ["schemas/AirQualityObserved.schema.json"])
    }

    /// A data file's content, an option and an input each change the digest; a secret input is listed as
    /// `***` and its value leaves the digest alone (no digest of a secret is written); a symbolic link in the profile's folder that leads outside it is listed as not read, and
    /// the file it points to is neither hashed nor named.
    @Test func dataOptionsInputsAndLinksOutside() async throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let profile = dir + "/p"
        let data = dir + "/data"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try """
        \(InlineProfile.head())
        inputs:
          region: {default: none}
          token: {secret: true, default: none-given}
        requirements:
          - id: R-1
            title: every document has a number a
            clause: "1"
            level: MUST
            checks:
              - name: a
                data: {files: ["**/*.json"], assert: [{path: $.a, type: number}]}
        """.write(toFile: profile + "/profile.yaml", atomically: true, encoding: .utf8)
        try "outside, never read".write(toFile: dir + "/outside.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: profile + "/linked.txt", withDestinationPath: dir + "/outside.txt")
        try "{\"a\": 1}".write(toFile: data + "/one.json", atomically: true, encoding: .utf8)

        let base = try await Self.run([profile + "/profile.yaml", data, "--input", "region=north"], in: dir)
        #expect(base.status == 0, "\(base.stdout)")
        let link = Self.entries(base.report).first { $0.path == "linked.txt" }
        #expect(link?.sha256 == nil && link?.size == nil && link?.note?.contains("outside the profile folder") == true)
        let outsideDigest = try await Subprocess.run("/usr/bin/env", ["sha256sum", dir + "/outside.txt"]).stdout.prefix(64)
        let text = String(decoding: JSONSerializer.bytes(base.report), as: UTF8.self)
        #expect(!text.contains(outsideDigest) && !text.contains("outside.txt"))
        #expect(base.report["fingerprint"]?["options"]?["input.region"]?.stringValue == "north")

        let secret = try await Self.run(
            [profile + "/profile.yaml", data, "--input", "region=north", "--input", "token=s3cr3t-value-91"], in: dir)
        #expect(secret.report["fingerprint"]?["options"]?["input.token"]?.stringValue == "***")
        #expect(!String(decoding: JSONSerializer.bytes(secret.report), as: UTF8.self).contains("s3cr3t-value-91"))

        let option = try await Self.run(
            [profile + "/profile.yaml", data, "--input", "region=north", "--fail-on", "should"], in: dir)
        let input = try await Self.run([profile + "/profile.yaml", data, "--input", "region=south"], in: dir)
        try "{\"a\": 2}".write(toFile: data + "/one.json", atomically: true, encoding: .utf8)
        let content = try await Self.run([profile + "/profile.yaml", data, "--input", "region=north"], in: dir)
        let digests = [base, secret, option, input, content].map { $0.report["fingerprint"]?["digest"]?.stringValue ?? "" }
        // A secret's value is not part of the fingerprint (only that it is a secret), so those two agree.
        #expect(digests[0] == digests[1], "\(digests)")
        #expect(Set(digests).count == 4, "\(digests)")
        #expect(content.status == 0)
        // An input that holds a secret input's text is redacted in the fingerprint as in the target.
        let echoed = try await Self.run(
            [profile + "/profile.yaml", data, "--input", "region=see-s3cr3t-value-91", "--input", "token=s3cr3t-value-91"],
            in: dir)
        #expect(echoed.report["fingerprint"]?["options"]?["input.region"]?.stringValue == "see-***")
    }

    /// A profile.yaml that is a symbolic link is fingerprinted in its target's folder (what it loads is
    /// there): an edit to the real file changes the digest. A FIFO in the profile's folder is listed, never
    /// opened; one named as a data path is refused before the run (reading it would wait forever).
    @Test func linkedProfilesAndSpecialFiles() async throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/link", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        let text = """
            \(InlineProfile.head())
            requirements:
              - {id: R-1, title: a, clause: "1", level: MUST, checks: [{data: {files: ["**/*.json"], assert: [{path: $.a, type: number}]}}]}
            """
        try text.write(toFile: dir + "/real/profile.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/link/profile.yaml", withDestinationPath: dir + "/real/profile.yaml")
        try "{\"a\": 1}".write(toFile: dir + "/data/one.json", atomically: true, encoding: .utf8)
        #expect(mkfifo(dir + "/real/pipe", 0o600) == 0)
        let first = try await Self.run([dir + "/link/profile.yaml", dir + "/data"], in: dir)
        let files = Self.entries(first.report)
        #expect(files.first { $0.path == "profile.yaml" }?.sha256 != nil, "\(files)")
        #expect(files.first { $0.path == "pipe" }?.note == "not a regular file: never read")
        try text.replacingOccurrences(of: "type: number", with: "type: string").write(
            toFile: dir + "/real/profile.yaml", atomically: true, encoding: .utf8)
        let second = try await Self.run([dir + "/link/profile.yaml", dir + "/data"], in: dir)
        #expect(first.report["verdict"] != second.report["verdict"])
        #expect(first.report["fingerprint"]?["digest"] != second.report["fingerprint"]?["digest"])

        #expect(mkfifo(dir + "/data-pipe.json", 0o600) == 0)
        let start = ContinuousClock.now
        let refused = try await CityCertBinary.run(["run", dir + "/real/profile.yaml", dir + "/data-pipe.json"], timeout: 60)
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(refused.status == 3 && refused.stderr.contains("data-pipe.json (not a regular file)"), "\(refused.stderr)")
    }
}
