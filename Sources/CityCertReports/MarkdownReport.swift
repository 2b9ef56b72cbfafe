public import CityCertCore
import Foundation

/// A Markdown summary for a CI job summary or a pull-request comment: the verdict, the counts, one line
/// per requirement that did not pass, the coverage and the fingerprint, at most `maxBytes` (GitHub's
/// step-summary and comment limits are about 64 KiB). Text from the target or the data is escaped: it
/// cannot open a link, an image, an HTML tag, a table cell or emphasis.
public enum MarkdownReport {
    public static let maxBytes = 64 * 1024

    public static func render(_ r: RunReport) -> [UInt8] {
        var out = Budget(limit: maxBytes - 2048)
        let verdict = ConsoleReport.verdict(r)
        out.add("## citycert: \(r.conformant ? "CONFORMANT" : "NOT CONFORMANT")")
        out.add("")
        out.add("**Verdict:** \(inline(verdict))  ")
        out.add(
            "**Profile:** `\(code(r.profile.id))` \(inline(r.profile.version, linkable: true)), "
                + "\(inline(r.profile.title, linkable: true)) (\(inline(r.profile.standardName, linkable: true)) "
                + "\(inline(r.profile.standardVersion, linkable: true)))  ")
        if !r.target.isEmpty {
            let target = r.target.sorted { $0.key < $1.key }.map {
                "\(inline($0.key, linkable: true)) = \(inline($0.value, linkable: true))"
            }
            out.add("**Target:** " + target.joined(separator: ", ") + "  ")
        }
        var facts = ["citycert \(inline(r.toolVersion))", "fail-on \(r.failOn.rawValue)"]
        if let f = r.fingerprint { facts.append("fingerprint `sha256:\(f.digest)`") }
        if r.insecure { facts.append("**TLS verification OFF** (`--insecure`)") }
        if r.readOnly { facts.append("read-only") }
        if r.exitCode != 0 { facts.append("exit code \(r.exitCode)") }
        out.add(facts.joined(separator: " · "))
        out.add("")
        out.add("| outcome | MUST | SHOULD | MAY | all |")
        out.add("|---|---:|---:|---:|---:|")
        for o in Outcome.allCases {
            let cells = Level.allCases.map { String(r.count(o, level: $0)) }
            out.add("| \(o.rawValue) | " + cells.joined(separator: " | ") + " | \(r.count(o)) |")
        }
        if !r.classes.isEmpty {
            out.add("")
            out.add("| conformance class | verdict |")
            out.add("|---|---|")
            for (i, c) in r.classes.enumerated() {
                let name =
                    c.uri.flatMap { u in u.allSatisfy { !" ()<>\\".contains($0) && !$0.isNewline } ? u : nil }.map {
                        "[\(inline(c.title, linkable: true))](\(inline($0, linkable: true)))"
                    }
                    ?? inline(c.title, linkable: true)
                let line = "| `\(code(c.id))` \(name) | \(inline(ConsoleReport.classLine(c, r))) |"
                guard out.fits(line) else {
                    out.add("| … \(r.classes.count - i) more | see the JSON report |")
                    break
                }
                out.add(line)
            }
        }
        if let c = r.coverage {
            out.add("")
            out.add(inline(ConsoleReport.coverage(c).first ?? ""))
        }
        if let signal = r.interrupted {
            out.add("")
            out.add("**Interrupted** by \(signal): what did not run was not judged.")
        }

        let failing = r.requirements.filter { $0.outcome == .failed && r.failureCounts($0) }
        let warnings = r.requirements.filter { $0.outcome == .failed && !r.failureCounts($0) }
        let errors = r.requirements.filter { $0.outcome == .error }
        let skipped = r.requirements.filter { $0.outcome == .skipped && !$0.excludedByOption }
        let waived = r.requirements.filter { $0.outcome == .waived }
        let sections: [(String, [RequirementResult])] = [
            ("Failed", failing), ("Waived (failures a waiver accepts)", waived),
            ("Warnings (failed below --fail-on \(r.failOn.rawValue))", warnings),
            ("Errors (citycert could not decide)", errors), ("Skipped", skipped),
        ]
        for (title, list) in sections where !list.isEmpty {
            out.add("")
            out.add("### \(title) (\(list.count))")
            out.add("")
            for (i, q) in list.enumerated() {
                guard out.fits(item(q)) else {
                    out.add("- … \(list.count - i) more: see the JSON report")
                    break
                }
                out.add(item(q))
            }
        }
        let notRun = r.notRun
        if !notRun.isEmpty {
            out.add("")
            out.add("### Not run (\(notRun.count)): the verdict covers only what ran")
            out.add("")
            for (i, n) in notRun.enumerated() {
                let line = "- **\(inline(n.id))** \(n.level.rawValue): \(inline(n.reason))"
                guard out.fits(line) else {
                    out.add("- … \(notRun.count - i) more: see the JSON report")
                    break
                }
                out.add(line)
            }
        }
        return Array((out.lines.joined(separator: "\n") + "\n").utf8)
    }

    /// One list item: id, level, clause and title, then the first detail (a finding, a problem, a reason).
    static func item(_ q: RequirementResult) -> String {
        var line =
            "- **\(inline(q.id))** \(q.level.rawValue) · \(inline(q.clause, linkable: true)) · \(inline(q.title, linkable: true))"
        let details = ConsoleReport.rawDetails(q, limit: 1).map { $0.trimmingPrefixSpaces() }
        if let first = details.first {
            line += "  \n  " + inline(first, lineStart: true)
            if details.count > 1 { line += " (+\(details.count - 1) more line(s) in the other reports)" }
        }
        return line
    }

    /// Text that shows as written inside a paragraph, a list item or a table cell: the ASCII punctuation
    /// Markdown reads anywhere in a line (emphasis, code, links and images, HTML, cells, entities,
    /// strikethrough) is backslash-escaped, and so is a first character that would start a block (list,
    /// heading, quote, thematic break) when the text starts a line; line breaks become spaces, control characters show as `\u{…}`.
    /// `linkable`: the text is the profile's or the user's own (a clause URL, the base URL), whose links are
    /// meant; text from the target or the data is never linkable.
    static func inline(_ text: String, max: Int = 600, lineStart: Bool = false, linkable: Bool = false) -> String {
        var out = ""
        let cut = text.count > max ? String(text.prefix(max)) + "…" : text
        let oneLine = cut.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\r", with: " ")
        for u in ConsoleReport.printable(oneLine).unicodeScalars {
            switch u {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "~", "&":
                out += "\\"
                out.unicodeScalars.append(u)
            case "-", "+", "=", "#":
                if lineStart && out.isEmpty { out += "\\" }
                out.unicodeScalars.append(u)
            case "\t": out += " "
            default: out.unicodeScalars.append(u)
            }
        }
        // GitHub links more than CommonMark does: bare URLs and www. names, @mentions and #123 references. A
        // word joiner (U+2060, invisible) keeps each from being recognised, so data cannot ping a person or
        // link an issue or a site.
        if linkable { return out }
        out = out.replacingOccurrences(of: "://", with: ":\u{2060}//").replacingOccurrences(of: "www.", with: "www\u{2060}.")
            .replacingOccurrences(of: "@", with: "@\u{2060}")
        var unlinked = ""
        var previousHash = false
        for ch in out {
            if previousHash && ch.isASCII && ch.isNumber { unlinked.append("\u{2060}") }
            unlinked.append(ch)
            previousHash = ch == "#"
        }
        out = unlinked
        // An ordered-list marker (`1.` or `1)`) at the start.
        if lineStart, let dot = out.firstIndex(where: { !$0.isASCII || !$0.isNumber }), dot != out.startIndex,
            out[dot] == "." || out[dot] == ")"
        {
            out.insert("\\", at: dot)
        }
        return out
    }

    /// Text inside a code span: a backtick (which would end it) and line breaks are replaced.
    static func code(_ text: String) -> String {
        String(ConsoleReport.printable(String(text.prefix(200))).map { $0 == "`" ? "'" : $0 })
    }

    /// Lines with a byte budget: the callers add list items while they fit, and the other lines always.
    struct Budget {
        let limit: Int
        var lines: [String] = []
        var bytes = 0
        init(limit: Int) { self.limit = limit }
        func fits(_ line: String) -> Bool { bytes + line.utf8.count + 1 <= limit }
        mutating func add(_ line: String) {
            lines.append(line)
            bytes += line.utf8.count + 1
        }
    }
}

extension String {
    func trimmingPrefixSpaces() -> String { String(drop(while: { $0 == " " })) }
}
