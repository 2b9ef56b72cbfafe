public import CityCertCore
import CityCertJSON
import Foundation

/// A sweep's matrix as JSON (everything), CSV (one row per target × profile × verdict, class or
/// requirement: a spreadsheet pivots it) and Markdown (per profile, a row per target, then per
/// requirement how many targets met it). Sorted, with no clock or run id: stable across runs.
public enum MatrixReport {
    public static func json(_ m: SweepMatrix) -> [UInt8] {
        let profiles: [JSONValue] = m.profiles.map { p in
            .object([
                ("key", .string(p.key)), ("id", .string(p.id)), ("version", .string(p.version)), ("title", .string(p.title)),
                ("classes", .array(p.classes.map(JSONValue.string))),
                (
                    "requirements",
                    .array(
                        p.requirements.map { r in
                            .object([
                                ("id", .string(r.id)), ("level", .string(r.level)),
                                ("classes", .array(r.classes.map(JSONValue.string))),
                            ])
                        })
                ),
            ])
        }
        let cells: [JSONValue] = m.cells.map { c in
            .object([
                ("target", .string(c.target)), ("profile", .string(c.profile)), ("verdict", .string(c.verdict)),
                ("exitCode", .int(c.exitCode)), ("partial", .bool(c.partial)),
                ("classes", .object(c.classes.map { ($0.id, .string($0.verdict)) })),
                ("outcomes", .object(c.outcomes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                ("message", c.message.map(JSONValue.string) ?? .null),
            ])
        }
        let value = JSONValue.object([
            ("format", .string("citycert-sweep-matrix/1")), ("name", .string(m.name)), ("plan", .string(m.plan)),
            ("exitCode", .int(Int(m.exitCode))), ("profiles", .array(profiles)),
            ("targets", .array(m.targets.map(JSONValue.string))), ("cells", .array(cells)),
            ("notFinished", .array(m.notFinished.map(JSONValue.string))),
        ])
        return JSONSerializer.bytes(value, style: .pretty) + [0x0A]
    }

    public static func csv(_ m: SweepMatrix) -> [UInt8] {
        var out = "target,profile,kind,id,level,outcome\r\n"
        func row(_ fields: [String]) { out += fields.map(field).joined(separator: ",") + "\r\n" }
        let byKey = Dictionary(uniqueKeysWithValues: m.profiles.map { ($0.key, $0) })
        for c in m.cells {
            row([c.target, c.profile, "verdict", "", "", c.verdict])
            for k in c.classes { row([c.target, c.profile, "class", k.id, "", k.verdict]) }
            for r in byKey[c.profile]?.requirements ?? [] {
                row([c.target, c.profile, "requirement", r.id, r.level, c.outcomes[r.id] ?? "not-run"])
            }
        }
        for n in m.notFinished {
            let parts = n.split(separator: " ", maxSplits: 1).map(String.init)
            row([parts.first ?? n, parts.count > 1 ? parts[1] : "", "verdict", "", "", "NOT FINISHED"])
        }
        return Array(out.utf8)
    }

    /// RFC 4180 quoting; a field a spreadsheet would read as a formula (`=`, `+`, `-`, `@` first) is
    /// prefixed with `'` (OWASP CSV injection).
    static func field(_ s: String) -> String {
        var v = s
        if let f = v.first, "=+-@\t\r".contains(f) { v = "'" + v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func markdown(_ m: SweepMatrix) -> [UInt8] {
        var lines: [String] = []
        let inline = { (s: String) in MarkdownReport.inline(s) }
        lines.append("## citycert sweep: \(m.name.isEmpty ? "matrix" : inline(m.name))")
        lines.append("")
        let conformant = m.cells.filter { $0.verdict == "CONFORMANT" }.count
        lines.append(
            "\(m.cells.count) target × profile pair(s) judged, \(conformant) CONFORMANT"
                + (m.notFinished.isEmpty ? "" : "; **\(m.notFinished.count) not finished**")
                + " · plan `sha256:\(m.plan)` · exit code \(m.exitCode)")
        for p in m.profiles {
            let cells = m.cells.filter { $0.profile == p.key }
            lines.append("")
            lines.append(
                "### `\(MarkdownReport.code(p.key))` \(inline(p.id)) \(inline(p.version))\(p.title.isEmpty ? "" : ": " + inline(p.title))"
            )
            lines.append("")
            lines.append(
                "| target | verdict | " + p.classes.map { "`\(MarkdownReport.code($0))`" }.joined(separator: " | ")
                    + (p.classes.isEmpty ? "" : " | ") + "failed MUST | other failures | errors |")
            lines.append("|---|---|" + String(repeating: "---|", count: p.classes.count) + "---|---|---|")
            let levels = Dictionary(uniqueKeysWithValues: p.requirements.map { ($0.id, $0.level) })
            for c in cells {
                let classes = p.classes.map { id in c.classes.first { $0.id == id }?.verdict ?? "—" }
                func ids(_ test: (String, String) -> Bool) -> String {
                    let found = p.requirements.map(\.id).filter { test($0, c.outcomes[$0] ?? "") }
                    return found.isEmpty ? "" : found.map(inline).joined(separator: ", ")
                }
                let verdict = c.verdict + (c.partial ? " (partial)" : "") + (c.message.map { ": " + inline($0) } ?? "")
                lines.append(
                    "| \(inline(c.target)) | \(verdict) | " + classes.joined(separator: " | ") + (p.classes.isEmpty ? "" : " | ")
                        + ids { o, r in r == "failed" && levels[o] == "MUST" } + " | "
                        + ids { o, r in r == "failed" && levels[o] != "MUST" } + " | " + ids { _, r in r == "error" } + " |")
            }
            guard !p.requirements.isEmpty else { continue }
            lines.append("")
            let outcomes = Outcome.allCases.map(\.rawValue)
            lines.append("| requirement | level | " + outcomes.joined(separator: " | ") + " |")
            lines.append("|---|---|" + String(repeating: "---:|", count: outcomes.count))
            for r in p.requirements {
                let counts = outcomes.map { o in String(cells.filter { $0.outcomes[r.id] == o }.count) }
                lines.append("| \(inline(r.id)) | \(r.level) | " + counts.joined(separator: " | ") + " |")
            }
        }
        if !m.notFinished.isEmpty {
            lines.append("")
            lines.append("### Not finished (\(m.notFinished.count))")
            lines.append("")
            for n in m.notFinished { lines.append("- \(inline(n))") }
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }
}
