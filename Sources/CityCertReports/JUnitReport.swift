public import CityCertCore
import Foundation

/// JUnit XML in the common testsuites/testsuite/testcase shape: failure, error and skipped kept apart.
public enum JUnitReport {
    public static func render(_ r: RunReport) -> [UInt8] {
        let tests = r.requirements.count
        // A failure below --fail-on does not fail the run: it is not a JUnit <failure> either (CI went red
        // while the exit code was 0); it is reported in <system-out> and counted in the `warnings` property.
        let failures = r.requirements.filter { $0.outcome == .failed && r.failureCounts($0) }.count
        let warnings = r.requirements.filter { $0.outcome == .failed && !r.failureCounts($0) }.count
        let errors = r.count(.error)
        let skipped = r.count(.skipped) + r.count(.notApplicable) + r.count(.waived)
        let time = String(format3(r.finished - r.started))
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x +=
            "<testsuites name=\"citycert\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(time)\">\n"
        x +=
            "  <testsuite name=\"\(esc(r.profile.id))\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(time)\" timestamp=\"\(Timestamp.iso(r.started))\">\n"
        x += "    <properties>\n"
        let fingerprint: [(String, String)] = r.fingerprint.map { [("fingerprint", "sha256:" + $0.digest)] } ?? []
        let props: [(String, String)] =
            [
                ("profile.title", r.profile.title), ("profile.version", r.profile.version), ("profile.sha256", r.profile.sha256),
                ("standard", "\(r.profile.standardName) \(r.profile.standardVersion)"), ("tool.version", r.toolVersion),
                ("verdict", r.conformant ? "CONFORMANT" : "NOT CONFORMANT"), ("insecure", String(r.insecure)),
                ("partial", String(r.partial)), ("interrupted", r.interrupted ?? "false"),
                ("failOn", r.failOn.rawValue), ("warnings", String(warnings)), ("waived", String(r.waivedCount)),
            ]
            + fingerprint
            + r.notRun.map { ("notRun.\($0.id)", $0.reason) }
            + r.classes.map { ("class.\($0.id)", ConsoleReport.classLine($0, r)) }
            + (r.coverage.map { [("coverage.documents", String($0.documents)), ("coverage.uncovered", String($0.uncovered))] }
                ?? [])
        for (k, v) in props { x += "      <property name=\"\(esc(k))\" value=\"\(esc(v))\"/>\n" }
        x += "    </properties>\n"
        for q in r.requirements {
            x +=
                "    <testcase classname=\"\(esc(r.profile.id)).\(q.level.rawValue)\" name=\"\(esc(q.id)): \(esc(q.title))\" time=\"\(format3(q.duration))\""
            let detail = details(q)
            switch q.outcome {
            case .passed: x += "/>\n"
            case .failed where !r.failureCounts(q):
                x +=
                    ">\n      <system-out>\(esc("WARNING: \(q.level.rawValue) requirement failed (the run fails on \(r.failOn.rawValue) and above): \(q.reason ?? "failed")\n\(detail)"))</system-out>\n    </testcase>\n"
            case .failed:
                x +=
                    ">\n      <failure message=\"\(esc(q.reason ?? "failed"))\" type=\"\(q.level.rawValue)\">\(esc(detail))</failure>\n    </testcase>\n"
            case .error:
                x +=
                    ">\n      <error message=\"\(esc(q.reason ?? "error"))\" type=\"error\">\(esc(detail))</error>\n    </testcase>\n"
            case .skipped:
                x += ">\n      <skipped message=\"\(esc(q.reason ?? "skipped"))\"/>\n    </testcase>\n"
            case .notApplicable:
                x +=
                    ">\n      <skipped message=\"\(esc("not applicable: " + (q.reason ?? "nothing to check")))\"/>\n    </testcase>\n"
            case .waived:
                // A failure accepted by a waiver: not a failure for CI, and never silent.
                let line = q.waiver.map(ConsoleReport.waiverLine) ?? "waived"
                x +=
                    ">\n      <skipped message=\"\(esc(line))\"/>\n      <system-out>\(esc("\(line)\n\(detail)"))</system-out>\n    </testcase>\n"
            }
        }
        x += "  </testsuite>\n</testsuites>\n"
        return Array(x.utf8)
    }

    static func details(_ q: RequirementResult) -> String {
        var lines = ["\(q.level.rawValue) \(q.id) — \(q.clause)"]
        if let quote = q.quote { lines.append("\"\(quote)\"") }
        for c in q.checks where c.outcome != .passed {
            lines.append("\(c.name): \(c.outcome.rawValue)\(c.message.map { " — \($0)" } ?? "")")
            for e in c.evidence.prefix(50) {
                switch e {
                case .finding(let f):
                    lines.append("  \(f.file):\(f.line):\(f.column) \(f.pointer.isEmpty ? "/" : f.pointer): \(f.message)")
                case .exchange(let x):
                    lines.append("  \(x.method) \(x.url) -> \(x.status.map(String.init) ?? "no response")")
                    for p in x.problems { lines.append("    \(p)") }
                case .note(let n): lines.append("  \(n)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    static func format3(_ seconds: Double) -> String {
        let ms = Int((seconds * 1000).rounded())
        let frac = String(ms % 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    /// XML escaping for attributes and text; control characters XML 1.0 forbids are replaced.
    static func esc(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t", "\r": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || (u.value >= 0xFFFE && u.value <= 0xFFFF) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}
