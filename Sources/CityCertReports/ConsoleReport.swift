public import CityCertCore
import Foundation

/// Human output: one line per requirement (live on a terminal), its findings, and the summary.
public enum ConsoleReport {
    public static func line(_ q: RequirementResult) -> String {
        let tag: String
        switch q.outcome {
        case .passed: tag = "PASS "
        case .failed: tag = q.level == .must ? "FAIL " : "WARN "
        case .error: tag = "ERROR"
        case .skipped: tag = "SKIP "
        case .notApplicable: tag = "N/A  "
        }
        let name = q.level.rawValue
        let level = name.count >= 6 ? String(name.prefix(6)) : name + String(repeating: " ", count: 6 - name.count)
        return "  \(tag) \(level) \(q.id)  \(q.title)"
    }

    /// Details under a requirement that did not pass: at most `limit` findings or problems.
    public static func details(_ q: RequirementResult, limit: Int = 5) -> [String] {
        guard q.outcome != .passed else { return [] }
        var out: [String] = []
        if q.outcome == .skipped || q.outcome == .notApplicable {
            if let r = q.reason { out.append("         \(r)") }
            return out
        }
        for c in q.checks where c.outcome != .passed {
            var shown = 0
            var total = 0
            for e in c.evidence {
                switch e {
                case .finding(let f):
                    total += 1
                    if shown < limit {
                        out.append(
                            "         \(f.file):\(f.line):\(f.column) \(f.pointer.isEmpty ? "/" : f.pointer): \(f.message)")
                        shown += 1
                    }
                case .exchange(let x) where !x.problems.isEmpty:
                    out.append("         \(x.method) \(x.url) -> \(x.status.map(String.init) ?? "no response")")
                    for p in x.problems.prefix(limit) { out.append("           \(p)") }
                default: break
                }
            }
            if total > shown { out.append("         … \(total - shown) more finding(s) in the reports") }
            if total == 0 && !c.evidence.contains(where: { if case .exchange = $0 { return true } else { return false } }),
                let m = c.message
            {
                out.append("         \(m)")
            }
        }
        return out
    }

    public static func header(_ r: RunReport) -> String {
        "citycert \(r.toolVersion): profile \(r.profile.id) \(r.profile.version) (\(r.profile.standardName) \(r.profile.standardVersion))"
            + (r.insecure ? "\nWARNING: TLS verification is OFF (--insecure)" : "")
    }

    public static func summary(_ r: RunReport) -> String {
        var lines: [String] = []
        var parts: [String] = []
        for o in Outcome.allCases {
            let n = r.count(o)
            let byLevel = Level.allCases.compactMap { l -> String? in
                let c = r.count(o, level: l)
                return c > 0 ? "\(l.rawValue) \(c)" : nil
            }
            parts.append("\(o.rawValue) \(n)" + (byLevel.isEmpty ? "" : " (\(byLevel.joined(separator: ", ")))"))
        }
        lines.append("Summary: \(r.requirements.count) requirement(s): " + parts.joined(separator: ", "))
        if !r.leftovers.isEmpty {
            lines.append("Could not clean up \(r.leftovers.count) resource(s):")
            for l in r.leftovers { lines.append("  \(l)") }
        }
        let notPassed = r.mustNotPassed
        let applicable = r.requirements.count - r.count(.notApplicable)
        lines.append(
            r.conformant
                ? "Verdict: CONFORMANT (every applicable MUST requirement passed)"
                : notPassed == 0
                    ? "Verdict: NOT CONFORMANT (nothing was checked: \(applicable) requirement(s) applied)"
                    : "Verdict: NOT CONFORMANT (\(notPassed) MUST requirement(s) not passed)")
        return lines.joined(separator: "\n")
    }
}
