public import CityCertCore
import Foundation

/// Reads a waivers file (`--waivers FILE`, YAML or JSON):
///
///     waivers:
///       - requirement: ONEM2M-RCN-003        # an id of the profile, or an id prefix followed by *
///         target: http://cse.example:8080    # optional: only for a run with this target value
///         reason: the vendor's fix ships in 2027.1 (ticket 4711)
///         approved_by: Jane Roe, City of Example certification board
///         expires: 2027-03-31                # the last day (UTC) it applies
///         link: https://tracker.example/4711 # optional
///
/// Every problem is reported at its place: an unknown key, a missing field, a date that is not one, a
/// requirement the profile does not have (a typo would otherwise waive nothing, silently).
public enum WaiverFile {
    public static let maxBytes = 1 << 20

    public static func load(path: String, profile: Profile) throws(ProfileError) -> [Waiver] {
        do {
            return try parse(path: path, profile: profile)
        } catch let e as ProfileError {
            throw e
        } catch {
            throw ProfileError(file: path, line: 0, column: 0, message: "\(error)")
        }
    }

    static func parse(path: String, profile: Profile) throws -> [Waiver] {
        let top = try YNode.document(path: path, what: "the waivers file", maxBytes: maxBytes).root.mapping(
            "the waivers file", allowed: ["waivers"])
        let ids = profile.requirements.map(\.id)
        var out: [Waiver] = []
        for node in try top.required("waivers").sequence("waivers") {
            let m = try node.mapping(
                "a waiver", allowed: ["requirement", "target", "reason", "approved_by", "expires", "link"])
            let reqNode = try m.required("requirement")
            let requirement = try reqNode.string("requirement")
            guard requirement != "*" && !requirement.isEmpty else {
                throw reqNode.error("a waiver names a requirement or an id prefix followed by *, not everything")
            }
            let matched =
                requirement.hasSuffix("*")
                ? ids.contains { $0.hasPrefix(String(requirement.dropLast())) } : ids.contains(requirement)
            guard matched else {
                throw reqNode.error(
                    "'\(requirement)' names no requirement of profile \(profile.id)",
                    hint: didYouMean(requirement, ids).map { "did you mean '\($0)'?" }
                        ?? "use an id, or an id prefix followed by *")
            }
            func text(_ key: String) throws -> String {
                let n = try m.required(key)
                let s = try n.string(key).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !s.isEmpty else { throw n.error("\(key) cannot be empty: a waiver says why and on whose authority") }
                return s
            }
            let expiresNode = try m.required("expires")
            let expires = try expiresNode.string("expires")
            guard Waiver.endOfDay(expires) != nil else {
                throw expiresNode.error("expires must be a date, YYYY-MM-DD (the last day the waiver applies)")
            }
            let target = try m["target"]?.string("target")
            if target == "***", let n = m["target"] {
                throw n.error("target is a base URL or the data paths of the run it is for, not a redacted value")
            }
            out.append(
                Waiver(
                    requirement: requirement, target: target, reason: try text("reason"),
                    approvedBy: try text("approved_by"), expires: expires, link: try m["link"]?.string("link"),
                    place: "\(path):\(node.line):\(node.column)"))
        }
        return out
    }
}
