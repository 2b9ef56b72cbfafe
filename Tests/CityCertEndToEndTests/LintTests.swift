import CityCertTestSupport
import Foundation
import Testing

/// `citycert lint` on deliberately broken profiles: exit 2 and a message at the right line:column.
@Suite struct LintTests {
    static let broken: [String] = {
        let folder = Repository.fixture("broken-profiles").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    @Test func thereAreAtLeastTenBrokenProfiles() {
        #expect(Self.broken.count >= 10)
    }

    @Test(arguments: broken)
    func brokenProfileIsPointedAt(_ name: String) async throws {
        let relative = "Fixtures/broken-profiles/" + name
        let text = try String(contentsOf: Repository.root.appendingPathComponent(relative), encoding: .utf8)
        // First line: "# expect: L:C message | hint"
        let expect = String(text.split(separator: "\n")[0].dropFirst("# expect: ".count))
        let parts = expect.components(separatedBy: " | ")
        let location = String(parts[0].split(separator: " ")[0])
        let message = parts[0].split(separator: " ").dropFirst().joined(separator: " ")
        let result = try await CityCertBinary.run(["lint", relative])
        #expect(result.status == 2, "exit code: \(result.stderr)")
        #expect(result.stderr.hasPrefix("\(relative):\(location): error: "), "got: \(result.stderr)")
        #expect(result.stderr.contains(message), "got: \(result.stderr)")
        if parts.count > 1 { #expect(result.stderr.contains("hint: " + parts[1]), "got: \(result.stderr)") }
        // A caret line under the source line whenever the source line is shown.
        if result.stderr.contains(" | ") { #expect(result.stderr.contains("^")) }
    }

    /// A profile path that is a folder reads its profile.yaml (it was "NSCocoaErrorDomain error 256"); a
    /// missing file is named without a made-up line:column; --version answers (issue 24).
    @Test func profilePathsAndVersionAreAnsweredPlainly() async throws {
        let folder = try await CityCertBinary.run(["lint", "Profiles/ogc-sensorthings/sta-1.1"])
        #expect(folder.status == 0, "\(folder.stderr)")
        let empty = NSTemporaryDirectory() + "citycert-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let noProfile = try await CityCertBinary.run(["lint", empty])
        #expect(noProfile.status == 2)
        #expect(noProfile.stderr.contains("\(empty): error: is a folder without a profile.yaml"), "\(noProfile.stderr)")
        let missing = try await CityCertBinary.run(["lint", empty + "/nope.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("\(empty)/nope.yaml: error: no such profile file"), "\(missing.stderr)")
        // A mistyped option is named as such (it was "no such file or folder" for the option's value).
        let typo = try await CityCertBinary.run(["run", "Profiles/ogc-sensorthings/sta-1.1", "--reprot-json", "x.json"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("Unknown option '--reprot-json'"), "\(typo.stderr)")
        // A missing data path after a known flag is still missing (it was dropped in silence).
        let dropped = try await CityCertBinary.run([
            "run", "Profiles/smart-data-models/air-quality/profile.yaml", "--read-only", empty + "/typo.jsonl",
        ])
        #expect(dropped.status == 2)
        #expect(dropped.stderr.contains("no such file or folder: \(empty)/typo.jsonl"), "\(dropped.stderr)")
        let version = try await CityCertBinary.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("citycert "), "\(version.stdout)")
    }

    @Test func shippedProfilesAreValid() async throws {
        let result = try await CityCertBinary.run(["list", "Profiles"])
        #expect(result.status == 0)
        #expect(!result.stdout.contains("INVALID"), "\(result.stdout)")
        #expect(result.stdout.contains("sdm-air-quality"))
    }
}
