import CityCertCore
import CityCertGTFS
public import CityCertJSON
import CityCertJSONPath
import CityCertJSONSchema
import CityCertRegex
import CityCertRules
import Foundation

/// Loads a profile file and compiles everything in it (templates, JSONPath, schemas, regexes) before any
/// request is sent. Any problem is a `ProfileError` pointing at file:line:col.
public struct ProfileLoader {
    /// The profile format versions this loader reads.
    /// The profile formats this citycert reads: 1, and 1.1 (for_each, follow, captures with all, bounds
    /// from variables or paths, redirect_headers, typed comparisons). A 1 profile keeps its meaning.
    public static let formatVersions = ["1", "1.1"]
    /// Headers whose values are credentials (shown as `***` in reports, never sent to another origin).
    public static let credentialHeaders: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "apikey", "x-auth-token",
        "x-token", "x-access-token", "x-csrf-token",
    ]

    public init() {}

    public func load(path: String) throws -> Profile {
        let url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            let inside = (path as NSString).appendingPathComponent("profile.yaml")
            guard FileManager.default.fileExists(atPath: inside) else {
                throw ProfileError(
                    file: path, line: 0, column: 0, message: "is a folder without a profile.yaml; give the profile file")
            }
            return try load(path: inside)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let why = FileManager.default.fileExists(atPath: path) ? "cannot read the profile file" : "no such profile file"
            throw ProfileError(file: path, line: 0, column: 0, message: why)
        }
        guard data.count <= 8 << 20 else {
            throw ProfileError(file: path, line: 1, column: 1, message: "profile larger than 8 MiB")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ProfileError(file: path, line: 1, column: 1, message: "the profile is not valid UTF-8")
        }
        // The hash runs on another core while the YAML composes.
        let hash = Concurrent { SHA256.hex(Array(data)) }
        return try load(text: text, file: path, sha256: hash.wait)
    }

    public func load(text: String, file: String, sha256: String? = nil) throws -> Profile {
        try load(text: text, file: file, sha256: { sha256 ?? SHA256.hex(Array(text.utf8)) })
    }

    func load(text: String, file: String, sha256: () -> String) throws -> Profile {
        let source = YNode.YSource(file: file, text: text)
        guard let tree = try YAMLComposer.compose(text, source: source) else {
            throw ProfileError(file: file, line: 1, column: 1, message: "the profile is empty")
        }
        var builder = Builder(
            source: source,
            folder: {
                // The folder of the file the profile really is: a profile.yaml that is a symbolic link has
                // the folder of its target (what it loads, and what the fingerprint covers, is there).
                if let real = RealPath.of(file) { return URL(fileURLWithPath: real).deletingLastPathComponent().path }
                let folder = URL(fileURLWithPath: file).deletingLastPathComponent().path
                return RealPath.of(folder) ?? folder
            }())
        return try builder.build(YNode(tree, 0), sha256: sha256)
    }

    /// A YAML text as JSON (plain scalars typed as YAML 1.2 core schema does), for tools and tests.
    public static func json(yaml text: String, file: String) throws -> JSONValue {
        let source = YNode.YSource(file: file, text: text)
        guard let tree = try YAMLComposer.compose(text, source: source) else { return .null }
        return try YNode(tree, 0).json()
    }
}

/// Parses a duration: `250ms`, `10s`, `2m`, or a bare number of seconds.
func parseDuration(_ node: YNode, _ what: String) throws -> Double {
    let s = try node.string(what).trimmingCharacters(in: .whitespaces)
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, factor) in units where s.hasSuffix(suffix) {
        if let v = Double(s.dropLast(suffix.count)), v >= 0, v.isFinite, v * factor <= 86_400 { return v * factor }
    }
    if let v = Double(s), v >= 0, v.isFinite, v <= 86_400 { return v }
    throw node.error("\(what) must be a duration such as 500ms, 10s or 2m (at most 24h)")
}

struct Builder {
    let source: YNode.YSource
    let folder: String
    var known: Set<String> = Template.builtins
    /// `citycert: 1.1`: the keys and forms of format 1.1 are allowed.
    var format11 = false
    /// The for_each items of the check being read, by variable: the literal list, or nil when the list
    /// comes from a variable (its members are known only at run time).
    var forEachItems: [String: [JSONValue]?] = [:]
    /// `official_tests:` (1.1), read before the requirements so that their `covers:` can be checked.
    var officialTests: OfficialTests?
    /// The variables known before each requirement (inputs, built-ins, earlier captures), for the
    /// conditions of its classes.
    var knownBefore: [String: Set<String>] = [:]

    /// Refuses a format 1.1 key or form in a profile that declares format 1.
    func needs11(_ node: YNode, _ what: String) throws {
        guard !format11 else { return }
        throw node.error(
            "\(what) is new in profile format 1.1; this profile declares citycert: 1",
            hint:
                "write citycert: 1.1 (what the profile already says keeps its meaning, but for one thing: a template alone in an expected value, such as equals: \"{{n}}\", then compares with the captured value's type)"
        )
    }
    var schemas: [String: NamedSchema] = [:]
    var catalog: SchemaCatalog
    var schemaOptions = SchemaOptions()
    var requirementIDs: [String: SourceMark] = [:]
    /// GTFS table schemas by path, parsed once.
    var gtfsSchemas: [String: GTFSSchema] = [:]
    /// Every `needs` entry with its node, checked once all ids are known.
    var needNodes: [(requirement: String, need: String, node: YNode)] = []

    init(source: YNode.YSource, folder: String) {
        self.source = source
        self.folder = folder
        self.catalog = SchemaCatalog(fileRoot: folder)
    }

    /// Resolves a path from the profile; it must stay inside the profile's folder.
    func sandboxed(_ relative: String, at node: YNode) throws -> String {
        // Symbolic links are resolved first, so a link inside the folder cannot point outside it.
        let joined = URL(fileURLWithPath: folder).appendingPathComponent(relative).path
        guard let full = RealPath.of(joined) else {
            throw node.error("file not found: \(relative)", hint: "or a symbolic link that leads nowhere, or too many links")
        }
        guard full.hasPrefix(folder + "/") else {
            throw node.error(
                "'\(relative)' is outside the profile's folder", hint: "profiles may only read files inside \(folder)")
        }
        return full
    }

    mutating func build(_ root: YNode, sha256: () -> String) throws -> Profile {
        let top = try root.mapping(
            "the profile",
            allowed: [
                "citycert", "id", "title", "version", "standard", "description", "inputs", "defaults", "schemas", "catalog",
                "requirements", "cleanup", "model", "receiver", "uncovered", "official_tests", "classes",
            ])
        let formatNode = try top.required("citycert")
        let format = formatNode.scalar ?? ""
        guard ProfileLoader.formatVersions.contains(format) else {
            throw formatNode.error("unsupported profile format version \(format)", hint: "this citycert reads formats 1 and 1.1")
        }
        format11 = format == "1.1"
        // `model:` is the short form for one data model: the catalog must be loaded first, and the
        // generated requirements name the profile when id, title, version or standard are left out.
        if let c = top["catalog"] { try loadCatalog(c) }
        var receiver: ReceiverSpec?
        if let r = top["receiver"] {
            let rm = try r.mapping("receiver", allowed: ["host", "port", "public_url"])
            let port = try rm["port"]?.int("receiver.port") ?? 0
            guard (0...65535).contains(port) else { throw r.error("receiver.port must be between 0 and 65535") }
            receiver = ReceiverSpec(
                host: try rm["host"]?.string("receiver.host") ?? "127.0.0.1", port: port,
                publicURL: try rm["public_url"]?.string("receiver.public_url"))
            known.insert("receiver_url")
        }
        var model: ModelShorthand?
        if let m = top["model"] { model = try modelShorthand(m) }
        func field(_ key: String, _ fallback: String?) throws -> String {
            if let n = top[key] { return try n.string(key) }
            if let fallback { return fallback }
            return try top.required(key).string(key)
        }
        let id = try field("id", model.map { "model-\($0.type)" })
        let title = try field("title", model.map { "\($0.type) entities against \($0.schemaFile)" })
        let version = try field("version", model.map { _ in "0.0.0" })
        let standard: Standard
        let standardNode = try top["standard"] ?? (model == nil ? top.required("standard") : nil)
        if let s = standardNode {
            let standardMap = try s.mapping("standard", allowed: ["name", "version", "url"])
            standard = Standard(
                name: try standardMap.required("name").string("standard.name"),
                version: try standardMap.required("version").string("standard.version"),
                url: try standardMap["url"]?.string("standard.url"))
        } else {
            standard = Standard(name: model!.standardName, version: model!.standardVersion, url: nil)
        }

        var inputs: [InputSpec] = []
        if let inputsNode = top["inputs"] {
            for (name, _, value) in try inputsNode.mapping("inputs").entries {
                let m = try value.mapping("input '\(name)'", allowed: ["description", "required", "default", "secret"])
                let def = try m["default"]?.string("default")
                inputs.append(
                    InputSpec(
                        name: name, description: try m["description"]?.string("description"),
                        required: try m["required"]?.bool("required") ?? (def == nil),
                        defaultValue: def, secret: try m["secret"]?.bool("secret") ?? false))
                known.insert(name)
            }
        }

        var defaults = Defaults()
        if let d = top["defaults"] {
            let m = try d.mapping("defaults", allowed: ["timeout", "headers", "formats", "draft"])
            if let t = m["timeout"] {
                let tm = try t.mapping("timeout", allowed: ["connect", "total"])
                if let c = tm["connect"] { defaults.connectTimeout = try parseDuration(c, "timeout.connect") }
                if let c = tm["total"] { defaults.totalTimeout = try parseDuration(c, "timeout.total") }
            }
            if let h = m["headers"] { defaults.headers = try templates(h, "headers") }
            if let f = m["formats"] { schemaOptions.formatAssertion = try f.bool("formats") }
            if let dn = m["draft"] {
                let name = try dn.string("draft")
                guard let draft = SchemaDraft(name: name) else {
                    throw dn.error("unknown JSON Schema draft '\(name)'", hint: "use 4, 6, 7, 2019-09 or 2020-12")
                }
                schemaOptions.defaultDraft = draft
            }
        }

        if let s = top["schemas"] {
            for (name, _, value) in try s.mapping("schemas").entries {
                schemas[name] = try compileSchema(value, name: name)
            }
        }

        if let o = top["official_tests"] { officialTests = try self.officialTests(o) }
        var requirements: [Requirement] = []
        if let model { requirements += model.requirements }
        if let model { for r in model.requirements { requirementIDs[r.id] = model.mark } }
        var reqNodes: [YNode] = []
        if let r = top["requirements"] {
            reqNodes = try r.sequence("requirements")
        } else if model == nil {
            reqNodes = try top.required("requirements").sequence("requirements")
        }
        for r in reqNodes { requirements.append(try requirement(r)) }
        let classes = try top["classes"].map { try self.classes($0, requirements: &requirements) } ?? []
        let order = Dictionary(uniqueKeysWithValues: requirements.enumerated().map { ($1.id, $0) })
        for (requirement, need, node) in needNodes {
            guard requirementIDs[need] != nil else {
                let hint = didYouMean(need, Array(requirementIDs.keys)).map { "did you mean '\($0)'?" }
                throw node.error("requirement \(requirement) needs unknown requirement '\(need)'", hint: hint)
            }
            // Requirements run in order, so a need must come earlier: this also rules out cycles.
            if let n = order[need], let r = order[requirement], n >= r {
                throw node.error(
                    "requirement \(requirement) needs '\(need)', which does not come before it",
                    hint: "move \(need) above \(requirement)")
            }
        }
        var cleanup: [HTTPStep] = []
        if let c = top["cleanup"] {
            for (i, s) in try c.sequence("cleanup").enumerated() { cleanup.append(try step(s, index: i)) }
        }
        var profile = Profile(
            file: source.file, folder: folder, sha256: sha256(), formatVersion: format, id: id, title: title, version: version,
            standard: standard,
            description: try top["description"]?.string("description"), inputs: inputs, defaults: defaults,
            requirements: requirements, cleanup: cleanup)
        profile.receiver = receiver
        profile.officialTests = officialTests
        profile.classes = classes
        if let u = top["uncovered"] {
            let v = try u.string("uncovered")
            guard ["fail", "report"].contains(v) else {
                throw u.error(
                    "uncovered must be 'fail' or 'report'",
                    hint: "report (the default) lists uncovered data; fail also fails the verdict")
            }
            profile.uncoveredFails = v == "fail"
        }
        return profile
    }

    mutating func loadCatalog(_ node: YNode) throws {
        if node.isScalar {
            do {
                try catalog.addMappings(fromFile: try sandboxed(try node.string("catalog"), at: node), sandbox: folder)
            } catch let e as SchemaCompileError {
                throw node.error(e.description)
            }
            return
        }
        let m = try node.mapping("catalog", allowed: ["file", "index"])
        if let f = m["file"] {
            do {
                try catalog.addMappings(fromFile: try sandboxed(try f.string("catalog.file"), at: f), sandbox: folder)
            } catch let e as SchemaCompileError {
                throw f.error(e.description)
            }
        }
        if let idx = m["index"] {
            for folderNode in idx.list() {
                let path = try sandboxed(try folderNode.string("catalog.index"), at: folderNode)
                do {
                    try catalog.addFolder(path, baseURI: nil, sandbox: folder)
                } catch {
                    throw folderNode.error("cannot index schemas in this folder: \(error)")
                }
            }
        }
    }

    func compileSchema(_ node: YNode, name: String) throws -> NamedSchema {
        var options = schemaOptions
        var document: JSONValue
        if node.isMapping, let m = try? node.mapping("schema", allowed: ["file", "schema", "draft", "formats"]) {
            if let d = m["draft"] {
                let dn = try d.string("draft")
                guard let draft = SchemaDraft(name: dn) else { throw d.error("unknown JSON Schema draft '\(dn)'") }
                options.defaultDraft = draft
            }
            if let f = m["formats"] { options.formatAssertion = try f.bool("formats") }
            if let f = m["file"] {
                let full = try sandboxed(try f.string("file"), at: f)
                return try schemaFile(full, fileNode: f, schemaNode: node, name: name, options: options).named
            } else if let s = m["schema"] {
                document = try s.json()
            } else {
                throw node.error("a schema needs 'file' or 'schema'")
            }
        } else {
            document = try node.json()
        }
        let named: NamedSchema
        do {
            named = NamedSchema(
                name: name,
                schema: try JSONSchema(
                    document: document, uri: "urn:citycert:profile-schema:" + name, catalog: catalog, options: options))
        } catch let e as SchemaCompileError {
            throw node.error("schema '\(name)' does not compile: \(e.description)")
        }
        try checkAgainstMetaSchemas(named.schema, name: name, at: node, draft: options.defaultDraft)
        return named
    }

    /// Reads and compiles a schema file (already sandboxed): a JSON error points at `fileNode`, a schema
    /// that does not compile at `schemaNode`.
    func schemaFile(_ full: String, fileNode: YNode, schemaNode: YNode, name: String, options: SchemaOptions) throws -> (
        document: JSONValue, named: NamedSchema
    ) {
        let document: JSONValue
        do {
            document = try JSONDocument(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: full)))).root
        } catch let e as JSONParseError {
            throw fileNode.error("schema file is not valid JSON: \(full):\(e.location): \(e.message)")
        }
        let schema: JSONSchema
        do {
            schema = try JSONSchema(
                document: document, uri: URL(fileURLWithPath: full).absoluteString, path: full, catalog: catalog, options: options
            )
        } catch let e as SchemaCompileError {
            throw schemaNode.error("schema '\(name)' does not compile: \(e.description)")
        }
        try checkAgainstMetaSchemas(schema, name: name, at: schemaNode, draft: options.defaultDraft)
        return (document, NamedSchema(name: URL(fileURLWithPath: full).lastPathComponent, schema: schema))
    }

    /// A schema the profile uses, and every schema it reaches, must be valid against its draft's official
    /// meta-schema and hold no misspelt keyword (every validator ignores `requird`, and the check it meant
    /// is off). The error points into the schema file when there is one.
    func checkAgainstMetaSchemas(_ schema: JSONSchema, name: String, at node: YNode, draft: SchemaDraft) throws {
        guard let p = MetaSchemas.problems(of: schema, fallback: draft).first else { return }
        let pointer = p.pointer.description.isEmpty ? "/" : p.pointer.description
        if let path = p.path, let data = FileManager.default.contents(atPath: path),
            let doc = try? JSONDocument(bytes: Array(data)), let at = doc.location(of: p.pointer)
        {
            throw ProfileError(
                file: path, line: at.line, column: at.column, message: "\(pointer): \(p.message)",
                hint: "used by schema '\(name)' at \(node.mark)")
        }
        throw node.error("schema '\(name)': \(pointer): \(p.message)")
    }

    func templates(_ node: YNode, _ what: String) throws -> [(name: String, value: Template)] {
        try node.mapping(what).entries.map { name, _, v in (name, try template(v, what + "." + name)) }
    }

    func template(_ node: YNode, _ what: String) throws -> Template {
        let s: String
        guard let sc = node.scalar else { throw node.error("\(what) must be a string") }
        s = sc
        let t: Template
        do {
            t = try Template(parsing: s)
        } catch {
            throw node.error(error.message)
        }
        for v in t.variables where !known.contains(v) {
            if try isItemMember(v, at: node) { continue }
            let hint =
                didYouMean(v, Array(known)).map { "did you mean '{{\($0)}}'?" }
                ?? "declare it under 'inputs' or capture it in an earlier step"
            throw node.error("unknown variable '{{\(v)}}'", hint: hint)
        }
        return t
    }

    /// `{{item.member}}` (1.1): a member of the current for_each item. With a literal list every item must
    /// be an object that has the member (a typo is refused here, not found at run time).
    func isItemMember(_ name: String, at node: YNode) throws -> Bool {
        guard let dot = name.firstIndex(of: "."), let entry = forEachItems[String(name[..<dot])] else { return false }
        try needs11(node, "a for_each item's member ({{item.member}})")
        guard let items = entry else { return true }
        let path = name[name.index(after: dot)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for (i, item) in items.enumerated() {
            var current = item
            for member in path {
                guard case .object(let o) = current, let next = o[member] else {
                    throw node.error(
                        "for_each item \(i + 1) has no member '\(path.joined(separator: "."))' ({{\(name)}})",
                        hint: "give every item of the list that member")
                }
                current = next
            }
        }
        return true
    }

    /// Checks that every `{{var}}` in a JSON value's strings is known.
    func checkTemplates(in value: JSONValue, at node: YNode) throws {
        switch value {
        case .string(let s) where s.contains("{{"):
            let t: Template
            do { t = try Template(parsing: s) } catch { throw node.error(error.message) }
            for v in t.variables where !known.contains(v) {
                if try isItemMember(v, at: node) { continue }
                throw node.error("unknown variable '{{\(v)}}'")
            }
        case .array(let a): for e in a { try checkTemplates(in: e, at: node) }
        case .object(let o): for e in o { try checkTemplates(in: e.value, at: node) }
        default: break
        }
    }

    mutating func requirement(_ node: YNode) throws -> Requirement {
        let m = try node.mapping(
            "a requirement",
            allowed: ["id", "title", "clause", "url", "quote", "level", "tags", "needs", "applies_if", "checks", "covers"])
        let idNode = try m.required("id")
        let id = try idNode.string("id")
        if let previous = requirementIDs[id] { throw idNode.error("duplicate requirement id '\(id)' (first at \(previous))") }
        requirementIDs[id] = idNode.mark
        knownBefore[id] = known
        let levelNode = try m.required("level")
        let levelText = try levelNode.string("level")
        guard let level = Level(rawValue: levelText.uppercased()) else {
            throw levelNode.error("unknown level '\(levelText)'", hint: "use MUST, SHOULD or MAY")
        }
        for n in m["needs"]?.list() ?? [] { needNodes.append((id, try n.string("needs"), n)) }
        var checks: [Check] = []
        for (i, c) in try m.required("checks").sequence("checks").enumerated() {
            checks.append(try check(c, requirement: id, index: i))
        }
        if checks.isEmpty { throw try m.required("checks").error("a requirement needs at least one check") }
        let appliesIf = try m["applies_if"].map { try condition($0) }
        var built = Requirement(
            id: id, title: try m.required("title").string("title"), clause: try m.required("clause").string("clause"),
            url: try m["url"]?.string("url"),
            quote: try m["quote"]?.string("quote"), level: level,
            tags: try m["tags"]?.sequence("tags").map { try $0.string("tag") } ?? [],
            needs: try m["needs"]?.list().map { try $0.string("needs") } ?? [], checks: checks, mark: node.mark)
        built.appliesIf = appliesIf
        if let c = m["covers"] { built.covers = try covers(c, requirement: id) }
        return built
    }

    /// `applies_if`: `{variable: V, contains|equals|matches: X}`, or `{any: [...]}`, `{all: [...]}`, `{not: {...}}`.
    func condition(_ node: YNode) throws -> Condition {
        let m = try node.mapping("applies_if", allowed: ["variable", "contains", "equals", "matches", "any", "all", "not"])
        let keys = m.entries.map(\.0)
        if let k = keys.first(where: { ["any", "all", "not"].contains($0) }) {
            guard keys.count == 1 else {
                throw node.error("'\(k)' stands alone in its condition", hint: "nest the other tests inside it")
            }
            let value = try m.required(k)
            if k == "not" { return .not(try condition(value)) }
            let items = try value.sequence("applies_if.\(k)").map { try condition($0) }
            guard !items.isEmpty else { throw value.error("'\(k)' needs at least one condition") }
            return k == "any" ? .any(items) : .all(items)
        }
        let vNode = try m.required("variable")
        let v = try vNode.string("applies_if.variable")
        guard known.contains(v) else {
            throw vNode.error("unknown variable '\(v)'", hint: "capture it in a requirement listed in needs, before this one")
        }
        let tests = keys.filter { $0 != "variable" }
        guard tests.count == 1, let key = tests.first, let value = m[key] else {
            throw node.error("applies_if needs exactly one test", hint: "contains, equals or matches")
        }
        let test: Condition.Test
        switch key {
        case "contains": test = .contains(try template(value, "applies_if.contains"))
        case "equals": test = .equals(try template(value, "applies_if.equals"))
        default: test = .matches(try compileRegex(value))
        }
        return .variable(v, test, text: "\(v) \(key) \(value.scalar ?? "")")
    }

    mutating func check(_ node: YNode, requirement: String, index: Int) throws -> Check {
        let m = try node.mapping("a check", allowed: ["http", "data", "gtfs", "name", "for_each"])
        let name = try m["name"]?.string("name") ?? "\(requirement) check \(index + 1)"
        if let f = m["for_each"], m["http"] == nil {
            throw f.error("for_each repeats an http check", hint: "a data check already judges every document it selects")
        }
        if let h = m["http"] {
            let hm = try h.mapping("an http check", allowed: ["steps"])
            var forEach: ForEach? = nil
            let knownBefore = known
            if let f = m["for_each"] {
                try needs11(f, "for_each")
                forEach = try self.forEach(f)
            }
            var steps: [HTTPStep] = []
            for (i, s) in try hm.required("steps").sequence("steps").enumerated() { steps.append(try step(s, index: i)) }
            if forEach != nil {
                // The item and what an instance captures belong to that instance: later checks cannot use them.
                known = knownBefore
                forEachItems = [:]
            }
            var check = HTTPCheck(name: name, steps: steps)
            check.forEach = forEach
            return .http(check)
        }
        if let d = m["data"] { return .data(try dataCheck(d, name: name)) }
        if let g = m["gtfs"] { return .gtfs(try gtfsCheck(g, name: name)) }
        throw node.error("a check needs 'http', 'data' or 'gtfs'")
    }

    mutating func step(_ node: YNode, index: Int) throws -> HTTPStep {
        let m = try node.mapping(
            "a step",
            allowed: [
                "name", "request", "await_notification", "expect", "capture", "eventually", "timeout", "redirects",
                "redirect_headers", "writes", "follow",
            ])
        if let a = m["await_notification"] {
            return try awaitStep(node, m, a, index: index)
        }
        let request = try m.required("request").mapping(
            "request", allowed: ["method", "url", "headers", "query", "json", "yaml", "text", "file", "content_type"])
        let method = try request["method"]?.string("method").uppercased() ?? "GET"
        let url = try template(try request.required("url"), "url")
        var body: RequestBody? = nil
        let contentType = try request["content_type"]?.string("content_type")
        if let j = request["json"] ?? request["yaml"] {
            let v = try j.json()
            try checkTemplates(in: v, at: j)
            body = .json(v)
        } else if let t = request["text"] {
            body = .text(try template(t, "text"), contentType: contentType)
        } else if let f = request["file"] {
            body = .file(path: try sandboxed(try f.string("file"), at: f), contentType: contentType)
        }
        var connect: Double? = nil
        var total: Double? = nil
        if let t = m["timeout"] {
            let tm = try t.mapping("timeout", allowed: ["connect", "total"])
            connect = try tm["connect"].map { try parseDuration($0, "timeout.connect") }
            total = try tm["total"].map { try parseDuration($0, "timeout.total") }
        }
        var redirects = RedirectPolicy.none
        if let r = m["redirects"] {
            let s = try r.string("redirects")
            guard let p = RedirectPolicy(rawValue: s) else { throw r.error("redirects must be none, same-origin or any") }
            redirects = p
        }
        var redirectHeaders: Set<String> = []
        if let r = m["redirect_headers"] {
            try needs11(r, "redirect_headers")
            for item in try r.sequence("redirect_headers") {
                let name = try item.string("redirect_headers")
                guard !ProfileLoader.credentialHeaders.contains(name.lowercased()) else {
                    throw item.error(
                        "\(name) carries a credential: it never follows a redirect to another origin",
                        hint: "send it in a step to the other origin itself")
                }
                redirectHeaders.insert(name.lowercased())
            }
            guard redirects == .any else {
                throw r.error("redirect_headers only matter with redirects: any (a redirect to another origin)")
            }
        }
        let writes = try m["writes"]?.bool("writes") ?? !["GET", "HEAD", "OPTIONS"].contains(method)
        let expect = try m["expect"].map { try expectations($0) } ?? Expectations()
        var eventually: Eventually? = nil
        if let e = m["eventually"] {
            let em = try e.mapping("eventually", allowed: ["within", "every"])
            let withinNode = try em.required("within")
            let within = try parseDuration(withinNode, "within")
            // Without `every`, poll every 500ms, or once at the end of a shorter `within`.
            let every = try em["every"].map { try parseDuration($0, "every") } ?? min(0.5, within)
            guard every >= 0.01 else {
                throw (em["every"] ?? e).error("eventually.every must be at least 10ms", hint: "polling faster floods the target")
            }
            guard within <= 3600 else { throw withinNode.error("eventually.within must be at most 1h") }
            guard within >= every else {
                throw withinNode.error("eventually.within is shorter than every: the step would be tried only once")
            }
            eventually = Eventually(within: within, every: every)
        }
        var captures: [Capture] = []
        if let c = m["capture"] {
            for (variable, _, spec) in try c.mapping("capture").entries {
                captures.append(try capture(variable, spec))
            }
        }
        // A step that expects nothing and captures nothing passes whatever the target answers (a 500 too).
        if expect.isEmpty && captures.isEmpty && !expect.anyResponse {
            throw (m["expect"] ?? node).error(
                "this step expects nothing: it passes on any response, a 500 included",
                hint: "add expect (status, headers, schema, assert, …) or a capture, or state the intent with expect: {any: true}"
            )
        }
        // Polling waits for what fails now to hold later; a capture that may be absent would end the polling
        // at the first try as not applicable.
        if eventually != nil, let c = captures.first(where: \.absentNotApplicable), let n = m["capture"] {
            throw n.error(
                "capture \(c.variable) may be absent (not-applicable) and the step polls (eventually): the first try would end the polling",
                hint: "capture it in a step without eventually")
        }
        for c in captures { known.insert(c.variable) }
        var step = HTTPStep(
            name: try m["name"]?.string("name") ?? "step \(index + 1)", method: method, url: url,
            headers: try request["headers"].map { try templates($0, "headers") } ?? [],
            query: try request["query"].map { try templates($0, "query") } ?? [], body: body, connectTimeout: connect,
            totalTimeout: total, redirects: redirects,
            writes: writes, expect: expect, captures: captures, eventually: eventually, mark: node.mark)
        step.redirectHeaders = redirectHeaders
        if let f = m["follow"] {
            try needs11(f, "follow")
            let fm = try f.mapping("follow", allowed: ["next", "link_rel", "max_pages", "at_limit", "count"])
            guard method == "GET" else { throw f.error("follow pages through GET requests; this step sends \(method)") }
            guard eventually == nil else { throw f.error("follow and eventually cannot be combined in one step") }
            let next: Follow.Next
            switch (fm["next"], fm["link_rel"]) {
            case (let n?, nil): next = .jsonPath(try jsonPath(n))
            case (nil, let r?): next = .linkRelation(try r.string("link_rel").lowercased())
            default:
                throw f.error("follow needs one of next (a JSONPath to the next page's URL) or link_rel (a Link header relation)")
            }
            let maxPages = try fm["max_pages"]?.int("max_pages") ?? 100
            guard (2...10_000).contains(maxPages) else {
                throw fm["max_pages"]!.error("follow.max_pages must be between 2 and 10000")
            }
            var follow = Follow(next: next, maxPages: maxPages)
            if let a = fm["at_limit"] {
                switch try a.string("at_limit") {
                case "error": break
                case "stop": follow.stopAtLimit = true
                default: throw a.error("follow.at_limit must be error (default) or stop")
                }
            }
            if let c = fm["count"] {
                let cm = try c.mapping("follow.count", allowed: ["path", "as", "equals"])
                let name = try cm["as"]?.string("as")
                if let name, (try? Template(parsing: "{{" + name + "}}"))?.variables != [name] {
                    throw cm["as"]!.error("'\(name)' is not a variable name")
                }
                let equals = try cm["equals"]?.json()
                if let e = equals, let n = cm["equals"] {
                    switch e {
                    case .number(let d) where d.isInteger && !d.decimal.negative: break
                    case .string(let s):
                        guard Template.standaloneVariable(in: s) != nil else {
                            throw n.error("follow.count.equals needs a whole number or a variable alone (\"{{name}}\")")
                        }
                        try checkTemplates(in: e, at: n)
                    case .number: throw n.error("follow.count.equals needs a whole number of 0 or more")
                    default: throw n.error("follow.count.equals needs a whole number or a variable alone (\"{{name}}\")")
                    }
                }
                guard name != nil || equals != nil else {
                    throw c.error("follow.count needs as (a variable for the total), equals (the total expected), or both")
                }
                guard !follow.stopAtLimit else {
                    throw c.error("follow.count counts every page: with at_limit: stop the count would miss the pages not read")
                }
                follow.count = (try jsonPath(try cm.required("path")), name, equals)
                if let name { known.insert(name) }
            }
            step.follow = follow
        }
        return step
    }

    /// `for_each: {in: [a, b] | "{{list}}", as: name, max: 100}`.
    mutating func forEach(_ node: YNode) throws -> ForEach {
        let m = try node.mapping("for_each", allowed: ["in", "as", "max"])
        let asNode = try m.required("as")
        let variable = try asNode.string("as")
        guard (try? Template(parsing: "{{" + variable + "}}"))?.variables == [variable] else {
            throw asNode.error("'\(variable)' is not a variable name")
        }
        guard !known.contains(variable) else {
            throw asNode.error(
                "'\(variable)' is already a variable (an input, a capture or a built-in)",
                hint: "choose another name for the item")
        }
        let inNode = try m.required("in")
        let items: ForEach.Items
        switch try inNode.json() {
        case .array(let list):
            // Strings in the items are templates, like any value written in the profile (rendered per run).
            try checkTemplates(in: .array(list), at: inNode)
            items = .list(list)
        case .string(let s):
            guard let v = Template.standaloneVariable(in: s) else {
                throw inNode.error("for_each.in needs a list or a variable alone (\"{{name}}\") holding one")
            }
            try checkTemplates(in: .string(s), at: inNode)
            items = .variable(v)
        default:
            throw inNode.error("for_each.in needs a list or a variable alone (\"{{name}}\") holding one")
        }
        let max = try m["max"]?.int("max") ?? 100
        guard (1...10_000).contains(max) else { throw m["max"]!.error("for_each.max must be between 1 and 10000") }
        known.insert(variable)
        if case .list(let list) = items { forEachItems[variable] = list } else { forEachItems[variable] = .some(nil) }
        return ForEach(items: items, variable: variable, max: max, mark: node.mark)
    }

    func capture(_ variable: String, _ spec: YNode) throws -> Capture {
        let m = try spec.mapping(
            "capture '\(variable)'", allowed: ["jsonpath", "header", "regex", "secret", "all", "absent", "resolve", "add"])
        let source: Capture.Source
        let regex = try m["regex"].map { try compileRegex($0) }
        if let p = m["jsonpath"] {
            source = .jsonPath(try jsonPath(p))
        } else if let h = m["header"] {
            source = .header(try h.string("header"), regex: regex)
        } else if let regex {
            source = .bodyRegex(regex)
        } else {
            throw spec.error("a capture needs 'jsonpath', 'header' or 'regex'")
        }
        var c = Capture(variable: variable, source: source)
        c.secret = try m["secret"]?.bool("secret") ?? false
        if let a = m["all"] {
            try needs11(a, "a capture with all")
            guard m["jsonpath"] != nil else { throw a.error("all: true collects what a jsonpath selects; this capture has none") }
            c.all = try a.bool("all")
        }
        if let a = m["absent"] {
            try needs11(a, "a capture with absent")
            let v = try a.string("absent")
            guard ["fail", "not-applicable"].contains(v) else {
                throw a.error("absent is fail (the default) or not-applicable, not '\(v)'")
            }
            guard !c.all else {
                throw a.error("a capture with all: true collects an empty list when nothing is selected; absent does not apply")
            }
            guard m["jsonpath"] != nil || m["header"] != nil else {
                throw a.error("absent applies to a jsonpath or header capture; a body regex that does not match fails")
            }
            c.absentNotApplicable = v == "not-applicable"
        }
        for key in ["resolve", "add"] {
            guard let n = m[key] else { continue }
            try needs11(n, "a capture with \(key)")
            guard m["jsonpath"] != nil, key == "resolve" || !c.all else {
                throw n.error("\(key) applies to the one value a jsonpath capture selects (not with all: true)")
            }
        }
        c.resolve = try m["resolve"]?.bool("resolve") ?? false
        if c.resolve, let n = m["add"] { throw n.error("resolve gives a URL, add a number: not both on one capture") }
        if let n = m["add"] {
            guard case .number(let d) = try n.json(), let v = Double(d.decimal.text), v.isFinite else {
                throw n.error("add needs a number")
            }
            c.add = v
        }
        return c
    }

    func compileRegex(_ node: YNode) throws -> BoundedRegex {
        let s = try node.string("regex")
        guard let r = ECMARegex.compile(s) else { throw node.error("invalid regular expression '\(s)'") }
        return r
    }

    func jsonPath(_ node: YNode) throws -> JSONPath {
        let s = try node.string("path")
        if let r = s.range(of: "{{") {
            // Templates are not substituted in a path: the text would be compared literally.
            throw source.error(
                "templates are not substituted in a JSONPath", line: node.line,
                column: node.column + s.distance(from: s.startIndex, to: r.lowerBound) + (node.kind == .plain ? 0 : 1),
                hint: "compare with a template in the predicate (equals: \"{{name}}\"); for literal braces write \\u007b")
        }
        do {
            return try JSONPath(s)
        } catch {
            // At the character: past the opening quote of a quoted scalar.
            throw source.error(
                "invalid JSONPath: \(error.message)", line: node.line,
                column: node.column + error.position + (node.kind == .plain ? 0 : 1))
        }
    }

    func expectations(_ node: YNode) throws -> Expectations {
        let m = try node.mapping(
            "expect", allowed: ["status", "headers", "body", "assert", "duration_below", "schema", "json", "any"])
        var e = Expectations()
        if let a = m["any"] {
            guard try a.bool("any"), m.entries.count == 1 else {
                throw a.error("expect: {any: true} stands alone", hint: "it states that any response passes")
            }
            e.anyResponse = true
            return e
        }
        if let s = m["status"] { e.status = try status(s) }
        if let h = m["headers"] {
            for (name, _, spec) in try h.mapping("headers").entries {
                e.headers.append(HeaderExpectation(name: name, predicate: try headerPredicate(spec, name)))
            }
        }
        if let j = m["json"] { e.bodyIsJSON = try j.bool("json") }
        if let b = m["body"] {
            let bm = try b.mapping("body", allowed: ["json", "schema", "empty"])
            if let j = bm["json"] { e.bodyIsJSON = try j.bool("body.json") }
            if let s = bm["schema"] { e.schema = try schemaRef(s) }
            if let x = bm["empty"] {
                try needs11(x, "body: {empty: …}")
                e.bodyEmpty = try x.bool("body.empty")
            }
        }
        if let s = m["schema"] { e.schema = try schemaRef(s) }
        if e.schema != nil { e.bodyIsJSON = true }
        if let a = m["assert"] {
            e.assertions = try a.sequence("assert").map { try assertion($0) }
            if !e.assertions.isEmpty { e.bodyIsJSON = true }
        }
        if let d = m["duration_below"] { e.durationBelow = try parseDuration(d, "duration_below") }
        if e.bodyEmpty == true && e.bodyIsJSON, let b = m["body"] {
            throw b.error("body: {empty: true} cannot also expect JSON (json, schema or assert)", hint: "drop one of them")
        }
        return e
    }

    func schemaRef(_ node: YNode) throws -> NamedSchema {
        if let s = node.scalar {
            guard let named = schemas[s] else {
                let hint =
                    didYouMean(s, Array(schemas.keys)).map { "did you mean '\($0)'?" } ?? "declare it under 'schemas'"
                throw node.error("unknown schema '\(s)'", hint: hint)
            }
            return named
        }
        return try compileSchema(node, name: "inline schema at \(node.line):\(node.column)")
    }

    func status(_ node: YNode) throws -> StatusExpectation {
        var codes: [Int] = []
        var classes: [Int] = []
        for item in node.list() {
            let s = try item.string("status")
            if s.count == 3, s.hasSuffix("xx"), let c = Int(s.prefix(1)), (1...5).contains(c) {
                classes.append(c)
            } else if let code = Int(s), (100...599).contains(code) {
                codes.append(code)
            } else {
                throw item.error("invalid status '\(s)'", hint: "use a code such as 200, a list, or a class such as 2xx")
            }
        }
        if !codes.isEmpty && !classes.isEmpty { throw node.error("mix either codes or classes in one status expectation") }
        return classes.isEmpty ? .codes(codes) : .classes(classes)
    }

    func headerPredicate(_ node: YNode, _ name: String) throws -> HeaderPredicate {
        if let s = node.scalar {
            if name.lowercased() == "content-type" { return try mediaType(s, node) }
            return .equals(try template(node, "header \(name)"))
        }
        let m = try node.mapping("header \(name)", allowed: ["equals", "matches", "present", "absent", "media_type"])
        if let e = m["equals"] { return .equals(try template(e, "equals")) }
        if let r = m["matches"] { return .matches(try compileRegex(r)) }
        if let p = m["present"] { return try p.bool("present") ? .present : .absent }
        if let a = m["absent"] { return try a.bool("absent") ? .absent : .present }
        if let t = m["media_type"] { return try mediaType(try t.string("media_type"), t) }
        throw node.error("a header expectation needs equals, matches, present, absent or media_type")
    }

    func mediaType(_ text: String, _ node: YNode) throws -> HeaderPredicate {
        let parts = text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = parts.first, type.contains("/") else { throw node.error("'\(text)' is not a media type") }
        var params: [(String, String)] = []
        for p in parts.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw node.error("invalid media type parameter '\(p)'") }
            params.append((kv[0].lowercased(), kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))))
        }
        return .mediaType(type: type.lowercased(), parameters: params)
    }
}
