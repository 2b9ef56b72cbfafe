public import CityCertCore
import CityCertJSON

/// TAP 14 (the Test Anything Protocol, testanything.org/tap-version-14-specification): one test point per
/// requirement, in profile order, and a last point for the run (`not ok` when the exit code is not 0),
/// so that a TAP consumer's pass/fail agrees with the exit code. A failure that
/// counts is `not ok`, an error is `not ok`, a failure below `--fail-on` is `not ok … # TODO` (reported,
/// not failing), skipped and not-applicable requirements are `ok … # SKIP` with the reason. Each point
/// that did not pass carries a YAML block (level, outcome, clause, url, reason, details).
public enum TAPReport {
    public static func render(_ r: RunReport) -> [UInt8] {
        // One point per requirement, and a last one for the run itself: a harness's pass/fail then agrees
        // with the exit code even when no requirement point fails (a MUST skipped because its need failed,
        // nothing checked, uncovered data, an interruption).
        var lines = ["TAP version 14", "1..\(r.requirements.count + 1)"]
        lines.append("# " + comment(ConsoleReport.header(r).split(separator: "\n").first.map(String.init) ?? ""))
        for (i, q) in r.requirements.enumerated() {
            let n = i + 1
            let description = "\(escape(q.id)) - \(escape(q.title))"
            switch q.outcome {
            case .passed:
                lines.append("ok \(n) - \(description)")
            case .notApplicable:
                lines.append("ok \(n) - \(description) # SKIP not-applicable: \(escape(q.reason ?? "nothing applies"))")
            case .skipped:
                lines.append("ok \(n) - \(description) # SKIP \(escape(q.reason ?? "skipped"))")
            case .failed where !r.failureCounts(q):
                lines.append(
                    "not ok \(n) - \(description) # TODO \(q.level.rawValue) is below --fail-on \(r.failOn.rawValue): a warning")
                lines += yaml(q)
            case .waived:
                let line = q.waiver.map(ConsoleReport.waiverLine) ?? "waived"
                lines.append("not ok \(n) - \(description) # TODO \(escape(line))")
                lines += yaml(q)
            case .failed, .error:
                lines.append("not ok \(n) - \(description)")
                lines += yaml(q)
            }
        }
        let last = r.requirements.count + 1
        let code = r.exitCode
        lines.append(
            (code == 0 ? "ok" : "not ok") + " \(last) - run: \(escape(ConsoleReport.verdict(r)))"
                + (code == 0 ? "" : ", exit code \(code)"))
        for n in r.notSelected { lines.append("# not run: \(comment(n.id)): \(comment(n.reason))") }
        for c in r.classes { lines.append("# class \(comment(c.id)): \(comment(ConsoleReport.classLine(c, r)))") }
        if let f = r.fingerprint { lines.append("# fingerprint sha256:\(f.digest)") }
        lines.append("# Verdict: " + comment(ConsoleReport.verdict(r)))
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// The YAML diagnostic block; every value is a JSON string (a valid YAML double-quoted scalar).
    static func yaml(_ q: RequirementResult) -> [String] {
        var out = ["  ---"]
        out.append("  level: \(q.level.rawValue)")
        out.append("  outcome: \(q.outcome.rawValue)")
        out.append("  clause: " + quoted(q.clause))
        if let url = q.url { out.append("  url: " + quoted(url)) }
        if let reason = q.reason { out.append("  reason: " + quoted(reason)) }
        let details = ConsoleReport.rawDetails(q, limit: 5).map { $0.trimmingPrefixSpaces() }
        if !details.isEmpty {
            out.append("  details:")
            for d in details { out.append("    - " + quoted(d)) }
        }
        out.append("  ...")
        return out
    }

    static func quoted(_ s: String) -> String {
        var bytes: [UInt8] = []
        JSONSerializer.writeString(String(s.prefix(2000)), into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A description: one line, `#` and `\` escaped (TAP 14: an unescaped `#` starts a directive).
    static func escape(_ s: String) -> String {
        var out = ""
        for u in ConsoleReport.printable(s).unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "#": out += "\\#"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// A comment line's text: on one line (control characters shown escaped).
    static func comment(_ s: String) -> String { ConsoleReport.printable(s) }
}
