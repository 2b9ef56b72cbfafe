import CityCertCore
import CityCertGTFS
import CityCertJSON
import CityCertJSONSchema
import CityCertRules
import Foundation

// Data checks (files, selectors, projections, built-in rules), GTFS checks and notification steps.
extension Builder {
    func dataCheck(_ node: YNode, name: String) throws -> DataCheck {
        let m = try node.mapping(
            "a data check",
            allowed: [
                "files", "format", "select", "project", "schema", "schema_keywords", "schema_ignore", "assert", "rule", "rules",
                "duplicate_keys",
            ])
        let files = try m.required("files").list().map { try $0.string("files") }
        var format = DataFormat.auto
        if let f = m["format"] {
            let s = try f.string("format")
            guard let df = DataFormat(rawValue: s) else {
                throw f.error("unknown data format '\(s)'", hint: "use json, document, jsonl, jsonld or auto")
            }
            format = df
        }
        var duplicates = Outcome.passed
        if let d = m["duplicate_keys"] {
            let s = try d.string("duplicate_keys")
            switch s {
            case "fail": duplicates = .failed
            case "ignore": duplicates = .passed
            default: throw d.error("duplicate_keys must be fail or ignore")
            }
        }
        var project = false
        if let p = m["project"] {
            let s = try p.string("project")
            guard s == "keyValues" else { throw p.error("unknown projection '\(s)'", hint: "the only projection is keyValues") }
            project = true
        }
        var ruleNodes: [YNode] = []
        if let r = m["rule"] { ruleNodes.append(r) }
        if let r = m["rules"] { ruleNodes += try r.sequence("rules") }
        let rules = try ruleNodes.map { try rule($0) }
        let schema = try m["schema"].map { try schemaRef($0) }
        /// A keyword name no schema error can carry would switch the schema check off (or on) silently.
        func keywordNames(_ key: String) throws -> Set<String>? {
            guard let n = m[key] else { return nil }
            if schema == nil { throw n.error("\(key) without a schema", hint: "add 'schema:' or remove \(key)") }
            var out = Set<String>()
            for item in n.list() {
                let k = try item.string(key)
                guard JSONSchema.keywordNames.contains(k) else {
                    let hint = didYouMean(k, Array(JSONSchema.keywordNames)).map { "did you mean '\($0)'?" }
                    throw item.error(
                        "unknown JSON Schema keyword '\(k)' in \(key)",
                        hint: hint ?? "name a validation keyword such as format or required")
                }
                out.insert(k)
            }
            return out
        }
        let keywords = try keywordNames("schema_keywords")
        let ignore = try keywordNames("schema_ignore") ?? []
        if let keywords, keywords.subtracting(ignore).isEmpty, let n = m["schema_keywords"] {
            throw n.error("schema_ignore removes every keyword schema_keywords keeps: the schema check cannot fail")
        }
        let assertions = try m["assert"]?.sequence("assert").map { try assertion($0) } ?? []
        if schema == nil && assertions.isEmpty && rules.isEmpty && duplicates != .failed {
            throw node.error(
                "this data check has nothing to check: it cannot fail",
                hint: "add schema, assert, rule or rules (or duplicate_keys: fail)")
        }
        return DataCheck(
            name: name, files: files, format: format,
            select: try m["select"]?.sequence("select").map { try selector($0) } ?? [],
            projectKeyValues: project,
            schema: schema,
            schemaKeywords: keywords,
            schemaIgnore: ignore,
            assertions: assertions,
            rules: rules,
            duplicateKeys: duplicates, mark: node.mark)
    }

    /// `rule: <id>` or `rule: {id: <id>, <parameter>: …}`, resolved in the registry.
    func rule(_ n: YNode) throws -> RuleReference {
        var idNode = n
        var params: YNode.Mapping?
        if n.isMapping {
            let m = try n.mapping("a rule")
            idNode = try m.required("id")
            params = m
        }
        let id = try idNode.string("rule")
        guard let d = RuleRegistry.descriptor(id) else {
            throw idNode.error(
                "unknown rule '\(id)'",
                hint: didYouMean(id, RuleRegistry.ids).map { "did you mean '\($0)'?" }
                    ?? "see the rule table in Profiles/FORMAT.md")
        }
        var p = RuleParameters()
        p.root = folder
        let allowed = d.parameters.map(\.name)
        for (key, keyNode, value) in params?.entries ?? [] where key != "id" {
            guard let spec = d.parameters.first(where: { $0.name == key }) else {
                throw keyNode.error(
                    "rule \(id) has no parameter '\(key)'",
                    hint: allowed.isEmpty
                        ? "it takes none"
                        : didYouMean(key, allowed).map { "did you mean '\($0)'?" }
                            ?? "parameters: \(allowed.joined(separator: ", "))")
            }
            switch spec.kind {
            case .file, .folder: p.files[key] = try sandboxed(try value.string(key), at: value)
            case .value: p.values[key] = try value.json()
            }
        }
        for spec in d.parameters where spec.required && p.files[spec.name] == nil && p.values[spec.name] == nil {
            throw n.error("rule \(id) needs the parameter '\(spec.name)'", hint: spec.summary)
        }
        do {
            return RuleReference(id: id, rule: try d.make(p))
        } catch {
            let at = params?.entries.first { $0.0 == error.parameter }?.2 ?? n
            throw at.error("rule \(id): \(error.message)")
        }
    }

    func selector(_ node: YNode) throws -> DataSelector {
        let m = try node.mapping(
            "a selector", allowed: ["path", "model", "representation"] + Self.predicateKeys + Self.compositionKeys)
        if let model = m["model"] {
            guard m.keys.count == 1 else { throw node.error("a model selector has only the 'model' key") }
            return .model(try model.list().map { try $0.string("model") })
        }
        if let rep = m["representation"] {
            guard m.keys.count == 1 else { throw node.error("a representation selector has only the 'representation' key") }
            return .representation(
                Set(
                    try rep.list().map { n in
                        let s = try n.string("representation")
                        guard let r = EntityRepresentation(rawValue: s) else {
                            throw n.error(
                                "unknown representation '\(s)'",
                                hint: didYouMean(s, EntityRepresentation.names).map { "did you mean '\($0)'?" }
                                    ?? "one of: \(EntityRepresentation.names.joined(separator: ", "))")
                        }
                        return r
                    }))
        }
        return .assertion(try assertion(node))
    }
}

extension Builder {
    /// `gtfs: {schema: gtfs-schema.json, notices: [code…], files: [stops.txt…], limits: {…}}`
    mutating func gtfsCheck(_ node: YNode, name: String) throws -> GTFSCheck {
        let m = try node.mapping("a gtfs check", allowed: ["schema", "notices", "files", "limits"])
        var codes: [String] = []
        for item in try m.required("notices").list() {
            let code = try item.string("notices")
            // A misspelt code would make a check that can never fail.
            guard GTFSNoticeCode(rawValue: code) != nil else {
                let hint = didYouMean(code, Array(GTFSNotice.codes)).map { "did you mean '\($0)'?" }
                throw item.error(
                    "unknown GTFS notice code '\(code)'", hint: hint ?? "Profiles/FORMAT.md (GTFS checks) lists the codes")
            }
            codes.append(code)
        }
        if codes.isEmpty { throw node.error("a gtfs check names at least one notice code") }
        let schemaNode = try m.required("schema")
        let path = try sandboxed(try schemaNode.string("schema"), at: schemaNode)
        let schema: GTFSSchema
        if let cached = gtfsSchemas[path] {
            schema = cached
        } else {
            do {
                let doc = try JSONDocument(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path)))).root
                schema = try GTFSSchema(json: doc)
            } catch let e as JSONParseError {
                throw schemaNode.error("the GTFS schema is not valid JSON: \(e.location): \(e.message)")
            } catch let e as GTFSSchema.SchemaError {
                throw schemaNode.error("the GTFS schema is malformed: \(e.description)")
            }
            gtfsSchemas[path] = schema
        }
        var limits = GTFSLimits()
        if let l = m["limits"] {
            let lm = try l.mapping("limits", allowed: ["max_entries", "max_entry_bytes", "max_total_bytes", "max_ratio"])
            if let v = lm["max_entries"] { limits.maxEntries = try v.int("max_entries") }
            if let v = lm["max_entry_bytes"] { limits.maxEntryBytes = UInt64(max(0, try v.int("max_entry_bytes"))) }
            if let v = lm["max_total_bytes"] { limits.maxTotalBytes = UInt64(max(0, try v.int("max_total_bytes"))) }
            if let v = lm["max_ratio"] { limits.maxRatio = UInt64(max(1, try v.int("max_ratio"))) }
        }
        return GTFSCheck(
            name: name, schema: schema, schemaPath: path, notices: Set(codes),
            files: try m["files"].map { Set(try $0.list().map { try $0.string("files") }) }, limits: limits, mark: node.mark)
    }
}

extension Builder {
    /// `await_notification: {within: 5s}`: a step that waits for a notification on the run's receiver.
    mutating func awaitStep(_ node: YNode, _ m: YNode.Mapping, _ a: YNode, index: Int) throws -> HTTPStep {
        guard known.contains("receiver_url") else {
            throw a.error(
                "await_notification needs a receiver", hint: "declare one at the top: receiver: {host: 127.0.0.1, port: 0}")
        }
        if m["request"] != nil { throw a.error("a step either sends a request or awaits a notification, not both") }
        let am = try a.mapping("await_notification", allowed: ["within"])
        let within = try parseDuration(try am.required("within"), "within")
        let expect = try m["expect"].map { try expectations($0) } ?? Expectations()
        var captures: [Capture] = []
        if let c = m["capture"] {
            for (name, _, spec) in try c.mapping("capture").entries {
                let captured = try capture(name, spec)
                // A notification without the value would match and leave the variable unset.
                if captured.absentNotApplicable || captured.resolve {
                    throw spec.error("an awaited notification's capture cannot be absent: not-applicable or resolve: true")
                }
                captures.append(captured)
                known.insert(name)
            }
        }
        var step = HTTPStep(
            name: try m["name"]?.string("name") ?? "await notification \(index + 1)", method: "NOTIFY",
            url: Template(literal: ""),
            headers: [], query: [], body: nil, connectTimeout: nil, totalTimeout: nil, redirects: .none, writes: false,
            expect: expect, captures: captures, eventually: nil, mark: node.mark)
        step.awaitNotification = within
        return step
    }
}
