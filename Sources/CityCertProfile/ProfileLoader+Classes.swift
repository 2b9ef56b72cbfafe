extension Builder {
    /// `classes:` (1.1), read after the requirements:
    ///
    ///     classes:
    ///       - id: core
    ///         uri: http://…/conf/core        # optional
    ///         title: Core
    ///         requirements: [A-001, B-*]     # ids, or id prefixes ending in *
    ///         tags: [core]                   # and/or requirements with one of these tags
    ///         applies_if: {variable: conformance, contains: "http://…/conf/core"}
    ///
    /// Every requirement belongs to at least one class, so that the verdicts per class account for the
    /// whole profile; a class that selects nothing, an unknown id and a duplicate class are refused.
    mutating func classes(_ node: YNode, requirements: inout [Requirement]) throws -> [ConformanceClass] {
        try needs11(node, "classes")
        var out: [ConformanceClass] = []
        var seen: [String: SourceMark] = [:]
        var uris: [String: String] = [:]
        let ids = requirements.map(\.id)
        var conditionNodes: [String: YNode] = [:]
        for c in try node.sequence("classes") {
            let m = try c.mapping("a class", allowed: ["id", "uri", "title", "requirements", "tags", "applies_if"])
            let idNode = try m.required("id")
            let id = try idNode.string("id")
            guard SweepPlanFile.isName(id) else {
                throw idNode.error("a class id is one word of ASCII letters, digits, '.', '_' or '-': '\(id)'")
            }
            if let first = seen[id] { throw idNode.error("duplicate class '\(id)' (first at \(first))") }
            seen[id] = idNode.mark
            let uri = try m["uri"]?.string("uri")
            if let uri {
                if let other = uris[uri] { throw try m.required("uri").error("classes \(other) and \(id) have the same uri") }
                uris[uri] = id
            }
            var members = Set<String>()
            for n in m["requirements"]?.list() ?? [] {
                let name = try n.string("requirements")
                let matched =
                    name.hasSuffix("*") ? ids.filter { $0.hasPrefix(String(name.dropLast())) } : ids.filter { $0 == name }
                guard !matched.isEmpty else {
                    throw n.error(
                        "class \(id) names unknown requirement '\(name)'",
                        hint: didYouMean(name, ids).map { "did you mean '\($0)'?" })
                }
                members.formUnion(matched)
            }
            let tags = try m["tags"]?.list().map { try $0.string("tags") } ?? []
            for t in tags {
                let tagged = requirements.filter { $0.tags.contains(t) }.map(\.id)
                guard !tagged.isEmpty else { throw c.error("class \(id): no requirement has the tag '\(t)'") }
                members.formUnion(tagged)
            }
            guard !members.isEmpty else { throw c.error("class \(id) has no requirement", hint: "list requirements or tags") }
            let gate = try m["applies_if"].map { try self.condition($0) }
            conditionNodes[id] = m["applies_if"]
            out.append(
                ConformanceClass(
                    id: id, uri: uri, title: try m.required("title").string("title"),
                    requirements: ids.filter { members.contains($0) }, appliesIf: gate, mark: c.mark))
        }
        guard !out.isEmpty else { throw node.error("classes is empty", hint: "leave it out, or declare a class") }
        for i in requirements.indices {
            let id = requirements[i].id
            let mine = out.filter { $0.requirements.contains(id) }
            guard !mine.isEmpty else {
                throw node.error(
                    "requirement \(id) belongs to no class",
                    hint: "every requirement belongs to a class, so that the class verdicts cover the profile")
            }
            requirements[i].classes = mine.map(\.id)
            // A requirement applies through its classes unless one of them always applies.
            guard mine.allSatisfy({ $0.appliesIf != nil }) else { continue }
            let known = knownBefore[id] ?? []
            for k in mine {
                if let missing = k.appliesIf?.variables.subtracting(known).sorted().first, let at = conditionNodes[k.id] {
                    throw at.error(
                        "class \(k.id)'s applies_if reads '\(missing)', which is not known before its requirement \(id)",
                        hint: "capture it in a requirement before \(id) that belongs to a class without applies_if")
                }
            }
            requirements[i].classGate = mine.compactMap { k in k.appliesIf.map { ClassGate(classID: k.id, condition: $0) } }
        }
        return out
    }
}
