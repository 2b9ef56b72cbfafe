import Foundation

extension Builder {
    /// `official_tests: FILE` (1.1): the official suite's list of tests, a YAML file inside the profile's
    /// folder:
    ///
    ///     suite: …            # the suite's name
    ///     source: …           # where the list comes from (repository, commit, files)
    ///     default: left-out-name   # optional: the reason of every uncovered test without one
    ///     reasons: {name: {status: not-applicable | not-testable | left-out, why: …}}
    ///     tests: [{id: …, variants: [A, B], reason: name}]
    mutating func officialTests(_ node: YNode) throws -> OfficialTests {
        try needs11(node, "official_tests")
        let relative = try node.string("official_tests")
        let path = try sandboxed(relative, at: node)
        guard let data = FileManager.default.contents(atPath: path), data.count <= 8 << 20 else {
            throw node.error("cannot read \(relative) (or it is larger than 8 MiB)")
        }
        guard let text = String(validating: data, as: UTF8.self) else { throw node.error("\(relative) is not valid UTF-8") }
        let source = YNode.YSource(file: path, text: text)
        guard let tree = try YAMLComposer.compose(text, source: source) else {
            throw ProfileError(file: path, line: 1, column: 1, message: "the official tests file is empty")
        }
        let top = try YNode(tree, 0).mapping("the official tests", allowed: ["suite", "source", "default", "reasons", "tests"])
        var reasons: [String: OfficialTests.Reason] = [:]
        if let r = top["reasons"] {
            for (name, _, value) in try r.mapping("reasons").entries {
                let m = try value.mapping("reason '\(name)'", allowed: ["status", "why"])
                let statusNode = try m.required("status")
                let statusText = try statusNode.string("status")
                guard let status = OfficialTests.Status(rawValue: statusText) else {
                    throw statusNode.error(
                        "unknown status '\(statusText)'",
                        hint: "use " + OfficialTests.Status.allCases.map(\.rawValue).joined(separator: ", "))
                }
                reasons[name] = OfficialTests.Reason(name: name, status: status, why: try m.required("why").string("why"))
            }
        }
        func reason(_ n: YNode) throws -> OfficialTests.Reason {
            let name = try n.string("reason")
            guard let r = reasons[name] else {
                throw n.error(
                    "unknown reason '\(name)'",
                    hint: didYouMean(name, Array(reasons.keys)).map { "did you mean '\($0)'?" } ?? "declare it under reasons")
            }
            return r
        }
        var tests: [OfficialTests.Test] = []
        var seen: [String: SourceMark] = [:]
        for t in try top.required("tests").sequence("tests") {
            let m = try t.mapping("an official test", allowed: ["id", "variants", "reason"])
            let idNode = try m.required("id")
            let id = try idNode.string("id")
            if let first = seen[id] { throw idNode.error("duplicate official test '\(id)' (first at \(first))") }
            seen[id] = idNode.mark
            let variants = try m["variants"]?.sequence("variants").map { try $0.string("variant") } ?? []
            guard Set(variants).count == variants.count else { throw t.error("a variant of \(id) is listed twice") }
            tests.append(OfficialTests.Test(id: id, variants: variants, reason: try m["reason"].map(reason)))
        }
        return OfficialTests(
            suite: try top.required("suite").string("suite"), source: try top.required("source").string("source"),
            file: relative, tests: tests, defaultReason: try top["default"].map(reason))
    }

    /// A requirement's `covers:` (1.1): each entry names an official test (`id`) or one of its variants
    /// (`id_VARIANT`); a test the list says is not applicable or not testable cannot be covered.
    func covers(_ node: YNode, requirement: String) throws -> [String] {
        try needs11(node, "covers")
        guard let suite = officialTests else {
            throw node.error("covers names official tests, and this profile has no official_tests list")
        }
        return try node.sequence("covers").map { n in
            let cover = try n.string("covers")
            guard let (test, _) = suite.resolve(cover) else {
                throw n.error(
                    "'\(cover)' is not a test of \(suite.file)",
                    hint: didYouMean(cover, suite.tests.map(\.id)).map { "did you mean '\($0)'?" }
                        ?? "name a test (its id) or a variant (id_VARIANT)")
            }
            if let r = test.reason, r.status != .leftOut {
                throw n.error(
                    "requirement \(requirement) covers \(test.id), which \(suite.file) marks \(r.status.rawValue) (\(r.name))",
                    hint: "drop its reason from the list, or the cover")
            }
            return cover
        }
    }
}
