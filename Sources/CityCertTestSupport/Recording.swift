public import Foundation

/// Re-recording expected files from citycert's own output. It is never a test: a recording run writes the
/// file and fails the test that wrote it, so that the change is a visible diff someone reviews against an
/// independent source before it is committed; and it is refused where `CI` is set.
///
/// `CITYCERT_RECORD=<suite>[,<suite>…]` names the suites to re-record (`all` for every one); the suites
/// are `goldens` (the README's main job), `sdm`, `ocpp`, `ngsi-ld`, `geojson`, `gtfs` and `profiles-readme`.
public enum Recording {
    public enum Mode: Equatable {
        case compare
        case record
        /// Recording was asked for where it must not happen; the message says why.
        case refused(String)
    }

    public static let suites = ["goldens", "sdm", "ocpp", "ngsi-ld", "geojson", "gtfs", "profiles-readme"]

    public static func mode(_ suite: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Mode {
        precondition(suites.contains(suite), "unknown recording suite \(suite)")
        guard let asked = environment["CITYCERT_RECORD"], !asked.isEmpty else {
            if environment["CITYCERT_RECORD_GOLDENS"] != nil {
                return .refused("CITYCERT_RECORD_GOLDENS is gone: name the suites to re-record with CITYCERT_RECORD=\(suite)")
            }
            return .compare
        }
        let names = asked.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.contains(suite) || names.contains("all") else { return .compare }
        if let ci = environment["CI"], !ci.isEmpty, ci != "0", ci.lowercased() != "false" {
            return .refused("CITYCERT_RECORD is refused where CI is set: expected files are never re-recorded by CI")
        }
        return .record
    }

    /// Writes `text` to `url` and returns the message the test must record as a failure.
    public static func write(_ text: String, to url: URL) throws -> String {
        let before = try? String(contentsOf: url, encoding: .utf8)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        let relative = url.path.replacingOccurrences(of: Repository.root.path + "/", with: "")
        return before == text
            ? "recorded \(relative): unchanged (recording always fails; rerun without CITYCERT_RECORD)"
            : "recorded \(relative): changed. Review the diff against the independent source before committing it"
    }
}
