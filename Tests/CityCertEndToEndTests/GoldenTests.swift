import CityCertTestSupport
import Foundation
import Testing

/// The README's main command, with a fixed clock: stdout, exit code and both reports equal the goldens
/// in Fixtures/goldens/sdm-air-quality (CITYCERT_RECORD=goldens rewrites them and fails: Recording).
@Suite struct GoldenTests {
    @Test func airQualityProfileOverShippedFixtures() async throws {
        let dir = NSTemporaryDirectory() + "citycert-golden-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await CityCertBinary.run([
            "run", "Profiles/smart-data-models/air-quality/profile.yaml",
            "Fixtures/smart-data-models/Environment/AirQualityObserved",
            "--clock", "1767225600",
            "--report-json", dir + "/report.json", "--report-junit", dir + "/report.xml", "--report-sarif", dir + "/report.sarif",
            "--report-markdown", dir + "/report.md", "--report-tap", dir + "/report.tap", "--report-earl",
            dir + "/report.earl.json", "--report-html", dir + "/report.html",
        ])
        #expect(result.status == 1)
        let goldens = Repository.fixture("goldens/sdm-air-quality")
        let outputs: [(String, String)] = [
            ("console.txt", result.stdout),
            ("report.json", try String(contentsOfFile: dir + "/report.json", encoding: .utf8)),
            ("report.xml", try String(contentsOfFile: dir + "/report.xml", encoding: .utf8)),
            ("report.sarif", try String(contentsOfFile: dir + "/report.sarif", encoding: .utf8)),
            ("report.md", try String(contentsOfFile: dir + "/report.md", encoding: .utf8)),
            ("report.tap", try String(contentsOfFile: dir + "/report.tap", encoding: .utf8)),
            ("report.earl.json", try String(contentsOfFile: dir + "/report.earl.json", encoding: .utf8)),
            ("report.html", try String(contentsOfFile: dir + "/report.html", encoding: .utf8)),
        ]
        for (name, actual) in outputs {
            let golden = goldens.appendingPathComponent(name)
            switch Recording.mode("goldens") {
            case .record:
                Issue.record(Comment(rawValue: try Recording.write(actual, to: golden)))
                continue
            case .refused(let why): Issue.record(Comment(rawValue: why))
            case .compare: break
            }
            let expected = try String(contentsOf: golden, encoding: .utf8)
            #expect(
                actual == expected,
                "\(name) differs from its golden; if the change is intended, CITYCERT_RECORD=goldens rewrites it; review the diff"
            )
        }
    }
}
