public import CityCertCore
import Foundation

/// Human output: one line per requirement (live on a terminal), its findings, and the summary.
public enum ConsoleReport {
    /// `failOn`: a failed requirement below this level is a WARN (it does not fail the run).
    public static func line(_ q: RequirementResult, failOn: Level = .must) -> String {
        let tag: String
        switch q.outcome {
        case .passed: tag = "PASS "
        case .failed: tag = q.level <= failOn ? "FAIL " : "WARN "
        case .error: tag = "ERROR"
        case .skipped: tag = "SKIP "
        case .notApplicable: tag = "N/A  "
        case .waived: tag = "WAIVE"
        }
        let name = q.level.rawValue
        let level = name.count >= 6 ? String(name.prefix(6)) : name + String(repeating: " ", count: 6 - name.count)
        return "  \(tag) \(level) \(q.id)  \(q.title)"
    }

    /// Details under a requirement that did not pass: at most `limit` findings or problems. Control
    /// characters from the data (file names, values, server messages) are shown escaped, never sent to the
    /// terminal as they are (an escape sequence could rewrite the screen).
    public static func details(_ q: RequirementResult, limit: Int = 5) -> [String] {
        rawDetails(q, limit: limit).map(printable)
    }

    /// `text` with control characters (C0 but tab, DEL, C1) as `\u{…}`.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for u in text.unicodeScalars {
            if isControl(u) { out += "\\u{" + String(u.value, radix: 16) + "}" } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    static func isControl(_ u: Unicode.Scalar) -> Bool {
        (u.value < 0x20 && u.value != 0x09) || (0x7F...0x9F).contains(u.value)
    }

    static func rawDetails(_ q: RequirementResult, limit: Int) -> [String] {
        guard q.outcome != .passed else { return [] }
        var out: [String] = []
        if let w = q.waiver { out.append("         " + waiverLine(w)) }
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
        if let c = r.coverage { lines += coverage(c) }
        let notRun = r.notRun
        if !notRun.isEmpty {
            let must = notRun.filter { $0.level == .must }.count
            lines.append(
                "Partial run: \(notRun.count) requirement(s) not run (\(must) MUST), so the verdict covers only what ran:")
            var byReason: [(String, [String])] = []
            for n in notRun {
                if let i = byReason.firstIndex(where: { $0.0 == n.reason }) {
                    byReason[i].1.append(n.id)
                } else {
                    byReason.append((n.reason, [n.id]))
                }
            }
            for (reason, ids) in byReason {
                let shown = ids.prefix(8).joined(separator: ", ") + (ids.count > 8 ? ", … (\(ids.count - 8) more)" : "")
                lines.append("  \(reason): \(shown)")
            }
        }
        if let signal = r.interrupted {
            let notRun = r.requirements.filter { $0.reason?.contains("interrupted") == true }.count
            lines.append("INTERRUPTED by \(signal): \(notRun) requirement(s) did not run; the verdict cannot be CONFORMANT")
        }
        if !r.waivers.isEmpty {
            let applied = r.waivers.filter { $0.status == .applied }.count
            let expired = r.waivers.filter { $0.status == .expired }
            let unused = r.waivers.filter { $0.status == .unused }
            lines.append(
                "Waivers: \(r.waivers.count) given, \(applied) applied, \(expired.count) expired, \(unused.count) unused")
            for u in expired {
                let stands = u.requirements.isEmpty ? "" : "; the failure of \(u.requirements.joined(separator: ", ")) stands"
                lines.append(
                    printable("  expired: \(u.waiver.requirement) (\(u.waiver.place), until \(u.waiver.expires))\(stands)"))
            }
            for u in unused {
                lines.append(printable("  unused: \(u.waiver.requirement) (\(u.waiver.place)): nothing it names failed"))
            }
        }
        if let f = r.fingerprint {
            lines.append(
                "Fingerprint: sha256:\(f.digest) (\(f.files(.profile).count) profile file(s), \(f.files(.data).count) data "
                    + "file(s), options, citycert \(f.toolVersion))")
        }
        lines += classes(r)
        lines.append("Verdict: " + verdict(r))
        return lines.joined(separator: "\n")
    }

    /// One line per conformance class: its verdict, and why when it is not a plain pass.
    public static func classes(_ r: RunReport) -> [String] {
        guard !r.classes.isEmpty else { return [] }
        var lines = ["Conformance classes:"]
        let width = r.classes.map(\.id.count).max() ?? 0
        for c in r.classes {
            lines.append(printable("  \(c.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(classLine(c, r))"))
        }
        return lines
    }

    /// A class's verdict with what it rests on: `CONFORMANT (4 passed, 1 not applicable)`.
    public static func classLine(_ c: ClassInfo, _ r: RunReport) -> String {
        let verdict = r.verdict(of: c)
        let members = Set(c.requirements)
        let mine = r.requirements.filter { members.contains($0.id) }
        var parts = Outcome.allCases.compactMap { o -> String? in
            let n = mine.filter { $0.outcome == o }.count
            return n > 0 ? "\(n) \(o.rawValue)" : nil
        }
        if r.isPartial(c) { parts.insert("PARTIAL", at: 0) }
        if case .notDeclared(let why) = c.applies { parts = ["the target does not declare it: \(why)"] }
        if case .undecided(let why) = c.applies { parts.append("undecided whether the target declares it: \(why)") }
        return verdict.rawValue + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
    }

    /// A waiver in one line: what it accepts and on whose authority, until when.
    public static func waiverLine(_ w: Waiver) -> String {
        "waived: \(w.reason) (approved by \(w.approvedBy), until \(w.expires)\(w.link.map { ", \($0)" } ?? ""))"
    }

    /// The verdict and why, in one phrase (every format says it the same way).
    public static func verdict(_ r: RunReport) -> String {
        let notPassed = r.mustNotPassed
        let applicable = r.requirements.count - r.count(.notApplicable)
        let partial = r.partial ? "PARTIAL, " : ""
        if let signal = r.interrupted { return "NOT CONFORMANT (INTERRUPTED by \(signal))" }
        let waived = r.waivedCount > 0 ? ", \(r.waivedCount) failure(s) waived" : ""
        return r.conformant
            ? "CONFORMANT (\(partial)every applicable MUST requirement \(r.partial ? "that ran " : "")passed\(waived))"
            : notPassed > 0
                ? "NOT CONFORMANT (\(partial)\(notPassed) MUST requirement(s) not passed)"
                : r.uncoveredFails
                    ? "NOT CONFORMANT (\(partial)the profile requires every document to be checked)"
                    : r.count(.failed) + r.waivedCount > 0
                        ? "NOT CONFORMANT (\(partial)nothing passed: \(r.count(.failed)) failed, \(r.waivedCount) waived)"
                        : "NOT CONFORMANT (\(partial)nothing was checked: \(applicable) requirement(s) applied)"
    }

    /// The coverage line, and the first places no requirement looked at.
    public static func coverage(_ c: DataCoverage) -> [String] {
        let checked = c.documents - c.uncovered
        var lines = [
            "Coverage: \(checked) of \(c.documents) document(s) looked at by a requirement"
                + (c.uncovered == 0 ? "" : "; \(c.uncovered) not covered\(c.failsVerdict ? " (the profile fails them)" : "")")
                + (c.notJudged == 0 ? "" : "; \(c.notJudged) file(s) not judged (read by requirements that did not run)")
        ]
        for p in c.first.prefix(5) {
            lines.append(printable("  not covered: \(p.file):\(p.line):\(p.column) \(p.reason)"))
        }
        if !c.unreportedNotices.isEmpty {
            let list = c.unreportedNotices.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }
            lines.append("GTFS notices no requirement reports: " + list.joined(separator: ", "))
        }
        if c.uncovered > min(5, c.first.count) {
            lines.append(
                "  … \(c.uncovered - min(5, c.first.count)) more not covered (the JSON report lists the first \(DataCoverage.listed))"
            )
        }
        return lines
    }
}
