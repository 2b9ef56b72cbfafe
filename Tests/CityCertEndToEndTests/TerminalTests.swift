import CityCertTestSupport
import Foundation
import Testing

/// On a terminal, `citycert run` announces the run and prints each requirement as it finishes;
/// elsewhere it stays quiet until the end (see the goldens).
@Suite struct TerminalTests {
    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"),
            "needs util-linux script(1) for a pseudo-terminal"))
    func liveProgressOnATerminal() async throws {
        let command =
            "\(CityCertBinary.path) run Profiles/smart-data-models/air-quality/profile.yaml Fixtures/smart-data-models/Environment/AirQualityObserved"
        let result = try await Subprocess.run("/usr/bin/script", ["-qec", command, "/dev/null"], cwd: Repository.root.path)
        let lines = result.stdout.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
        #expect(lines.first == "citycert 0.1.0: profile sdm-air-quality 1.0.0, 6 requirement(s)", "\(lines.prefix(3))")
        #expect(lines.dropFirst().first?.hasPrefix("  FAIL  MUST   SDM-AQO-KV-001") == true)
        #expect(lines.contains { $0.hasPrefix("Verdict: NOT CONFORMANT") })
        // Each requirement is printed once (live), not again at the end.
        #expect(lines.filter { $0.contains("SDM-AQO-V2-003") }.count == 1)
    }
}
