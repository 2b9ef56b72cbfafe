/// The official test suite a profile measures itself against (`official_tests:` in format 1.1): every
/// test of the suite, which requirements implement it (their `covers:`), and why the others are not
/// implemented. A test is counted once per variant (the suite's parameterised test cases).
public struct OfficialTests: Sendable {
    public enum Status: String, Sendable, CaseIterable {
        /// The standard leaves it open, or it concerns a feature the profile's targets need not have: it is
        /// not counted among the applicable tests.
        case notApplicable = "not-applicable"
        /// It cannot be observed through the profile's interface (a second server, a device, a network
        /// event): not counted among the applicable tests.
        case notTestable = "not-testable"
        /// Applicable and not implemented yet: counted, against the coverage.
        case leftOut = "left-out"
    }

    public struct Reason: Sendable {
        public let name: String
        public let status: Status
        public let why: String
    }

    public struct Test: Sendable {
        public let id: String
        /// The suite's variants of this test (resource types, addressing forms); empty for a single test.
        public let variants: [String]
        /// Why the test (or its variants no requirement covers) is not implemented.
        public let reason: Reason?
    }

    /// The suite's name and where its list comes from (repository, commit, files).
    public let suite: String
    public let source: String
    /// The list's file, relative to the profile's folder.
    public let file: String
    public let tests: [Test]
    /// For uncovered tests without a reason of their own.
    public let defaultReason: Reason?

    /// `id` or `id_variant` names a test (all its variants) or one variant; nil when it names nothing.
    public func resolve(_ cover: String) -> (test: Test, variants: [String])? {
        if let t = tests.first(where: { $0.id == cover }) { return (t, t.variants) }
        for t in tests where cover.hasPrefix(t.id + "_") {
            let variant = String(cover.dropFirst(t.id.count + 1))
            if t.variants.contains(variant) { return (t, [variant]) }
        }
        return nil
    }
}

/// How far a profile's requirements implement its official suite.
public struct OfficialCoverage: Sendable {
    public struct Row: Sendable {
        public let id: String
        /// Variant, "" for a test without variants.
        public let variant: String
        public let requirements: [String]
        /// nil when implemented.
        public let reason: OfficialTests.Reason?
    }

    public let tests: OfficialTests
    public let rows: [Row]

    public init(profile: Profile) {
        let suite = profile.officialTests ?? OfficialTests(suite: "", source: "", file: "", tests: [], defaultReason: nil)
        tests = suite
        var byCase: [String: [String]] = [:]
        for r in profile.requirements {
            for c in r.covers {
                guard let (t, variants) = suite.resolve(c) else { continue }
                for v in variants.isEmpty ? [""] : variants { byCase[t.id + "\u{0}" + v, default: []].append(r.id) }
            }
        }
        var rows: [Row] = []
        for t in suite.tests {
            for v in t.variants.isEmpty ? [""] : t.variants {
                let reqs = byCase[t.id + "\u{0}" + v] ?? []
                // A test with neither a requirement nor a reason is left out all the same: it is never
                // counted as implemented.
                let reason = reqs.isEmpty ? t.reason ?? suite.defaultReason ?? Self.noReason : nil
                rows.append(Row(id: t.id, variant: v, requirements: reqs, reason: reason))
            }
        }
        self.rows = rows
    }

    /// The reason of an uncovered test the list gives none for.
    static let noReason = OfficialTests.Reason(
        name: "(no reason given)", status: .leftOut, why: "no requirement covers it and the list gives no reason")

    public var total: Int { rows.count }
    public var implemented: Int { rows.filter { !$0.requirements.isEmpty }.count }
    public func count(_ status: OfficialTests.Status) -> Int { rows.filter { $0.reason?.status == status }.count }
    /// Tests that apply: all but the not-applicable and not-testable ones.
    public var applicable: Int { total - count(.notApplicable) - count(.notTestable) }
    /// A row without a requirement or a reason (only when the suite has no default reason).
    public var unexplained: [Row] { rows.filter { $0.requirements.isEmpty && $0.reason?.name == Self.noReason.name } }

    /// The percentage of applicable tests implemented, one decimal.
    public var percent: String {
        guard applicable > 0 else { return "n/a" }
        let tenths = (implemented * 1000 + applicable / 2) / applicable
        return "\(tenths / 10).\(tenths % 10) %"
    }

    /// One line: implemented of applicable, and what is out.
    public var summary: String {
        "\(implemented) of \(applicable) applicable test cases implemented (\(percent)); \(count(.leftOut)) left out, "
            + "\(count(.notTestable)) not testable, \(count(.notApplicable)) not applicable, of \(total) in the suite"
    }

    /// The coverage table in Markdown: the summary, the reasons with their counts, then one row per test
    /// (variants of a test with the same outcome share a row).
    public func markdown(profile: Profile) -> String {
        var out = "# Official test coverage: \(profile.id) \(profile.version)\n\n"
        out += "Generated by `citycert coverage` from the profile's `covers:` and its official tests list; do not edit.\n\n"
        out += "- Suite: \(tests.suite)\n- Source of the list: \(tests.source) (`\(tests.file)`)\n"
        out += "- \(summary)\n\n"
        var reasons: [(OfficialTests.Reason, Int)] = []
        for r in rows {
            guard let reason = r.reason else { continue }
            if let i = reasons.firstIndex(where: { $0.0.name == reason.name }) {
                reasons[i].1 += 1
            } else {
                reasons.append((reason, 1))
            }
        }
        if !reasons.isEmpty {
            out += "| reason | status | test cases | why |\n|---|---|---:|---|\n"
            for (r, n) in reasons { out += "| \(r.name) | \(r.status.rawValue) | \(n) | \(cell(r.why)) |\n" }
            out += "\n"
        }
        out += "| test | variants | requirement(s) or reason |\n|---|---|---|\n"
        var i = 0
        while i < rows.count {
            let r = rows[i]
            var variants = [r.variant]
            var j = i + 1
            while j < rows.count, rows[j].id == r.id, rows[j].requirements == r.requirements,
                rows[j].reason?.name == r.reason?.name
            {
                variants.append(rows[j].variant)
                j += 1
            }
            let shown = variants.filter { !$0.isEmpty }.joined(separator: ", ")
            let what = r.reason.map { "\($0.status.rawValue): \($0.name)" } ?? r.requirements.joined(separator: ", ")
            out += "| \(r.id) | \(shown.isEmpty ? "—" : shown) | \(what) |\n"
            i = j
        }
        return out
    }

    /// A table cell: pipes escaped, on one line.
    func cell(_ s: String) -> String {
        var out = ""
        for c in s { out += c == "|" ? "\\|" : c == "\n" ? " " : String(c) }
        return out
    }
}
