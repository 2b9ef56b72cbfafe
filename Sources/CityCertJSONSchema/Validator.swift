import CityCertJSON
import CityCertRegex

/// What a subschema evaluated, for `unevaluatedProperties` / `unevaluatedItems`. The sets exist only
/// once something is recorded, so the common case (no `unevaluated*` in the schema) costs nothing.
struct Annotations {
    private var properties: Set<CodePointKey>?
    private var items: Set<Int>?
    var allItems = false

    mutating func insertProperty(_ name: String) {
        if properties == nil { properties = [] }
        properties!.insert(CodePointKey(name))
    }

    mutating func insertItem(_ index: Int) {
        if items == nil { items = [] }
        items!.insert(index)
    }

    func hasProperty(_ name: String) -> Bool { properties?.contains(CodePointKey(name)) ?? false }
    func hasItem(_ index: Int) -> Bool { items?.contains(index) ?? false }

    mutating func merge(_ other: Annotations) {
        if let p = other.properties {
            if properties == nil { properties = p } else { properties!.formUnion(p) }
        }
        if let i = other.items {
            if items == nil { items = i } else { items!.formUnion(i) }
        }
        allItems = allItems || other.allItems
    }
}

/// Evaluates compiled schemas against an instance. One keyword's semantics per `case` below.
struct Validator {
    let schema: JSONSchema
    /// Annotations are collected only when some subschema has `unevaluated*`.
    let track: Bool
    /// Whether errors are recorded (turned off while probing branches whose errors are not reported).
    var collect: Bool
    var errors: [SchemaValidationError] = []
    /// Instance path (tokens) and evaluation path (tokens), maintained only when collecting errors.
    var instancePath: [String] = []
    var keywordPath: [String] = []
    /// Whether the schema has `$dynamicRef`/`$recursiveRef`, the only readers of `scope`.
    let dynamicScope: Bool
    /// Dynamic scope: the resources entered, outermost first.
    var scope: [SchemaResource] = []
    /// Guards against infinite `$ref` loops that consume no instance (the tape validator stops at the
    /// same depth, so the two never disagree there).
    var depth = 0
    static let maxDepth = 4096
    /// Set when recursion went past the limit: the instance is then invalid with this error, even where
    /// the limit was met under `not` or in a branch whose errors are not reported (a verdict that a
    /// limit turned around would be no verdict at all).
    var tooDeep: SchemaValidationError?
    /// The stack address past which recursion stops (`StackGuard`): a deep loop on a small stack, or in a
    /// debug build, is an error before it is a crash.
    let stackFloor = StackGuard.floor()

    init(schema: JSONSchema, collect: Bool) {
        self.schema = schema
        self.track = schema.tracksAnnotations
        self.dynamicScope = schema.usesDynamicScope
        self.collect = collect
    }

    struct Outcome {
        var valid: Bool
        var annotations: Annotations
    }

    /// Ends the validation undecided: a limit was met (see `tooDeep`). The recursion limit is reported
    /// at `$ref`; a regular expression's at its keyword.
    mutating func stop(_ node: SchemaNode, _ message: String, keyword: String? = nil) {
        guard tooDeep == nil else { return }
        if let keyword {
            tooDeep = SchemaValidationError(
                instanceLocation: JSONPointer(tokens: instancePath),
                keywordLocation: JSONPointer(tokens: keywordPath.dropLast() + [keyword]).description,
                absoluteKeywordLocation: node.absoluteLocation + "/" + keyword, keyword: keyword, message: message,
                isLimit: true)
            return
        }
        tooDeep = SchemaValidationError(
            instanceLocation: JSONPointer(tokens: instancePath), keywordLocation: JSONPointer(tokens: keywordPath).description,
            absoluteKeywordLocation: node.absoluteLocation, keyword: "$ref", message: message, isLimit: true)
    }

    /// A regular expression that ran out of time decides nothing: the validation ends undecided.
    mutating func timedOut(_ node: SchemaNode, _ keyword: String, _ regex: BoundedRegex, _ subject: String) {
        stop(
            node,
            "matching \(subject) against the pattern '\(regex.source)' did not finish within \(schema.regexTimeLimit) s "
                + "and the regex engine's backtracking limit (catastrophic backtracking); the instance was not judged",
            keyword: keyword)
    }

    mutating func fail(_ node: SchemaNode, _ keyword: String, _ message: @autoclosure () -> String) {
        guard collect else { return }
        errors.append(
            SchemaValidationError(
                instanceLocation: JSONPointer(tokens: instancePath),
                keywordLocation: JSONPointer(tokens: keyword == "false" ? keywordPath : keywordPath.dropLast() + [keyword])
                    .description,
                absoluteKeywordLocation: node.absoluteLocation + "/" + keyword, keyword: keyword, message: message()))
    }

    mutating func evaluate(_ node: SchemaNode, _ instance: JSONValue) -> Outcome {
        if let c = node.constant {
            if !c { fail(node, "false", "no value is allowed here (false schema)") }
            return Outcome(valid: c, annotations: Annotations())
        }
        // Past the recursion limit nothing more is evaluated: the whole validation fails with that error
        // (see `tooDeep`), whatever keyword (`not`, `anyOf`...) the limit was met under.
        if tooDeep != nil { return Outcome(valid: false, annotations: Annotations()) }
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth {
            stop(node, "schema recursion deeper than \(Self.maxDepth) levels")
            return Outcome(valid: false, annotations: Annotations())
        }
        if StackGuard.position() < stackFloor {
            stop(node, "schema recursion deeper than the stack allows (\(depth) levels)")
            return Outcome(valid: false, annotations: Annotations())
        }
        let pushed = dynamicScope && scope.last !== node.resource
        if pushed { scope.append(node.resource) }
        defer { if pushed { scope.removeLast() } }

        var valid = true
        var ann = Annotations()
        for keyword in node.keywords {
            if collect { keywordPath.append(keyword.name) }
            let ok = apply(keyword, node, instance, &ann)
            if collect { keywordPath.removeLast() }
            if !ok {
                valid = false
                if !collect { break }
            }
        }
        return Outcome(valid: valid, annotations: valid ? ann : Annotations())
    }

    /// Evaluates a subschema at a child instance location and evaluation sub-path.
    /// The tokens are autoclosures: the fast path (no error collection) never builds them.
    mutating func evaluate(
        _ node: SchemaNode, _ instance: JSONValue, instanceToken: @autoclosure () -> String?,
        schemaTokens: @autoclosure () -> [String]
    ) -> Outcome {
        guard collect else { return evaluate(node, instance) }
        let token = instanceToken()
        let tokens = schemaTokens()
        if let token { instancePath.append(token) }
        keywordPath.append(contentsOf: tokens)
        let r = evaluate(node, instance)
        if token != nil { instancePath.removeLast() }
        keywordPath.removeLast(tokens.count)
        return r
    }

    /// Runs `node` without recording errors (for anyOf/oneOf/not/if/contains branches, whose failures
    /// are not reported one by one): the fast path, whatever the mode.
    mutating func probe(_ node: SchemaNode, _ instance: JSONValue) -> (Outcome, [SchemaValidationError]) {
        let saved = collect
        collect = false
        let r = evaluate(node, instance)
        collect = saved
        return (r, [])
    }

    /// The errors of failed branches, for the summary of a failed anyOf/oneOf (only built when reporting).
    mutating func branchErrors(_ nodes: [SchemaNode], _ instance: JSONValue) -> [SchemaValidationError] {
        guard collect else { return [] }
        let saved = errors.count
        for (i, n) in nodes.enumerated() { _ = evaluate(n, instance, instanceToken: nil, schemaTokens: [String(i)]) }
        let out = Array(errors[saved...])
        errors.removeSubrange(saved...)
        return out
    }

    enum Order { case orderedAscending, orderedSame, orderedDescending }

    /// Exact comparison of a number with a schema bound. Rounding to double is monotonic, so distinct
    /// doubles already decide; only equal doubles need the exact decimal comparison.
    static func compare(_ n: JSONNumber, _ bound: NumericBound) -> Order {
        let x = n.double
        if x < bound.double { return .orderedAscending }
        if x > bound.double { return .orderedDescending }
        let d = n.decimal
        return d < bound.decimal ? .orderedAscending : (bound.decimal < d ? .orderedDescending : .orderedSame)
    }

    mutating func apply(_ keyword: Keyword, _ node: SchemaNode, _ instance: JSONValue, _ ann: inout Annotations) -> Bool {
        switch keyword {
        case .type(let types):
            let bits = types.bits
            switch instance {
            case .null: if bits & 1 != 0 { return true }
            case .bool: if bits & 2 != 0 { return true }
            case .object: if bits & 4 != 0 { return true }
            case .array: if bits & 8 != 0 { return true }
            case .string: if bits & 32 != 0 { return true }
            case .number(let n):
                if bits & 16 != 0 { return true }
                if bits & 64 != 0, n.isInteger { return true }
            }
            fail(node, "type", "\(instance.typeName) is not of type \(types.names.joined(separator: " or "))")
            return false
        case .enumeration(let values):
            if values.contains(instance) { return true }
            fail(node, "enum", "\(Self.excerpt(instance)) is not one of \(Self.excerpt(.array(values)))")
            return false
        case .constant(let c):
            if c == instance { return true }
            fail(node, "const", "\(Self.excerpt(instance)) is not \(Self.excerpt(c))")
            return false
        case .multipleOf(let m):
            guard case .number(let n) = instance else { return true }
            if n.decimal.isMultiple(of: m) { return true }
            fail(node, "multipleOf", "\(n) is not a multiple of \(m.text)")
            return false
        case .maximum(let m, let exclusive, let name):
            guard case .number(let n) = instance else { return true }
            switch Self.compare(n, m) {
            case .orderedAscending: return true
            case .orderedSame where !exclusive: return true
            default: break
            }
            fail(node, name, "\(n) is \(exclusive ? "not less than" : "greater than") \(m.decimal.text)")
            return false
        case .minimum(let m, let exclusive, let name):
            guard case .number(let n) = instance else { return true }
            switch Self.compare(n, m) {
            case .orderedDescending: return true
            case .orderedSame where !exclusive: return true
            default: break
            }
            fail(node, name, "\(n) is \(exclusive ? "not greater than" : "less than") \(m.decimal.text)")
            return false
        case .maxLength(let max):
            guard case .string(let s) = instance else { return true }
            if s.utf8.count <= max { return true }  // never fewer bytes than scalars
            let count = s.unicodeScalars.count
            if count <= max { return true }
            fail(node, "maxLength", "string of \(count) characters is longer than \(max)")
            return false
        case .minLength(let min):
            guard case .string(let s) = instance else { return true }
            if s.utf8.count / 4 >= min { return true }  // never more than 4 bytes per scalar
            let count = s.unicodeScalars.count
            if count >= min { return true }
            fail(node, "minLength", "string of \(count) characters is shorter than \(min)")
            return false
        case .pattern(let regex):
            guard case .string(let s) = instance else { return true }
            switch regex.firstMatch(in: s, timeLimit: schema.regexTimeLimit) {
            case .matched: return true
            case .notMatched:
                fail(node, "pattern", "\(Self.excerpt(instance)) does not match the pattern '\(regex.source)'")
            case .timedOut:
                timedOut(node, "pattern", regex, Self.excerpt(instance))
            }
            return false
        case .format(let name, let checker):
            guard let checker, case .string(let s) = instance else { return true }
            if checker(s) { return true }
            fail(node, "format", "\(Self.excerpt(instance)) is not a valid \(name)")
            return false
        case .maxItems(let max):
            guard case .array(let a) = instance else { return true }
            if a.count <= max { return true }
            fail(node, "maxItems", "array of \(a.count) items has more than \(max)")
            return false
        case .minItems(let min):
            guard case .array(let a) = instance else { return true }
            if a.count >= min { return true }
            fail(node, "minItems", "array of \(a.count) items has fewer than \(min)")
            return false
        case .uniqueItems:
            guard case .array(let a) = instance else { return true }
            guard let i = Self.firstDuplicate(a) else { return true }
            fail(node, "uniqueItems", "item \(i) duplicates an earlier item")
            return false
        case .prefixItems(let schemas, _):
            guard case .array(let a) = instance else { return true }
            var ok = true
            for (i, s) in schemas.enumerated() where i < a.count {
                if !evaluate(s, a[i], instanceToken: String(i), schemaTokens: [String(i)]).valid {
                    ok = false
                    if !collect { return false }
                }
                if track { ann.insertItem(i) }
            }
            if schemas.count >= a.count { ann.allItems = ann.allItems || ok }
            return ok
        case .itemsFrom(let start, let s, _):
            guard case .array(let a) = instance else { return true }
            var ok = true
            if start < a.count {
                for i in start..<a.count where !evaluate(s, a[i], instanceToken: String(i), schemaTokens: []).valid {
                    ok = false
                    if !collect { return false }
                }
            }
            if ok { ann.allItems = true }
            return ok
        case .contains(let s, let min, let max, let countsAsEvaluated):
            guard case .array(let a) = instance else { return true }
            var matches = 0
            for (i, v) in a.enumerated() {
                let (r, _) = probe(s, v)
                if r.valid {
                    matches += 1
                    if countsAsEvaluated && track { ann.insertItem(i) }
                }
            }
            if matches < min {
                fail(
                    node, "contains",
                    min == 1
                        ? "no item matches the 'contains' schema"
                        : "only \(matches) item(s) match the 'contains' schema, at least \(min) required")
                return false
            }
            if let max, matches > max {
                fail(node, "maxContains", "\(matches) items match the 'contains' schema, at most \(max) allowed")
                return false
            }
            return true
        case .maxProperties(let max):
            guard case .object(let o) = instance else { return true }
            if o.count <= max { return true }
            fail(node, "maxProperties", "object with \(o.count) properties has more than \(max)")
            return false
        case .minProperties(let min):
            guard case .object(let o) = instance else { return true }
            if o.count >= min { return true }
            fail(node, "minProperties", "object with \(o.count) properties has fewer than \(min)")
            return false
        case .required(let names):
            guard case .object(let o) = instance else { return true }
            var ok = true
            for (n, signature) in names where o.position(of: n, signature: signature) == nil {
                fail(node, "required", "required property '\(n)' is missing")
                ok = false
                if !collect { return false }
            }
            return ok
        case .properties(let props, _):
            guard case .object(let o) = instance else { return true }
            var ok = true
            for (name, signature, s) in props {
                guard let v = o.value(forKey: name, signature: signature) else { continue }
                if track { ann.insertProperty(name) }
                if !evaluate(s, v, instanceToken: name, schemaTokens: [name]).valid {
                    ok = false
                    if !collect { return false }
                }
            }
            return ok
        case .patternProperties(let props):
            guard case .object(let o) = instance else { return true }
            var ok = true
            for e in o.uniqueEntries {
                for (regex, s) in props {
                    switch regex.firstMatch(in: e.key, timeLimit: schema.regexTimeLimit) {
                    case .matched: break
                    case .notMatched: continue
                    case .timedOut:
                        timedOut(node, "patternProperties", regex, "the property name '\(e.key)'")
                        return false
                    }
                    if track { ann.insertProperty(e.key) }
                    if !evaluate(s, e.value, instanceToken: e.key, schemaTokens: [regex.source]).valid {
                        ok = false
                        if !collect { return false }
                    }
                }
            }
            return ok
        case .additionalProperties(let s, let names, let patterns):
            guard case .object(let o) = instance else { return true }
            var ok = true
            for e in o.uniqueEntries where !names.contains(e.key) {
                var matched = false
                for regex in patterns {
                    switch regex.firstMatch(in: e.key, timeLimit: schema.regexTimeLimit) {
                    case .matched: matched = true
                    case .notMatched: continue
                    case .timedOut:
                        timedOut(node, "additionalProperties", regex, "the property name '\(e.key)'")
                        return false
                    }
                    break
                }
                if matched { continue }
                if track { ann.insertProperty(e.key) }
                if s.constant == false {
                    fail(node, "additionalProperties", "property '\(e.key)' is not allowed")
                    ok = false
                    if !collect { return false }
                    continue
                }
                if !evaluate(s, e.value, instanceToken: e.key, schemaTokens: []).valid {
                    ok = false
                    if !collect { return false }
                }
            }
            return ok
        case .dependentRequired(let deps, let name):
            guard case .object(let o) = instance else { return true }
            var ok = true
            for (key, required) in deps where o[key] != nil {
                for r in required where o[r] == nil {
                    fail(node, name, "property '\(r)' is required when '\(key)' is present")
                    ok = false
                    if !collect { return false }
                }
            }
            return ok
        case .dependentSchemas(let deps, _):
            guard case .object(let o) = instance else { return true }
            var ok = true
            for (key, s) in deps where o[key] != nil {
                let r = evaluate(s, instance, instanceToken: nil, schemaTokens: [key])
                if r.valid {
                    ann.merge(r.annotations)
                } else {
                    ok = false
                    if !collect { return false }
                }
            }
            return ok
        case .propertyNames(let s):
            guard case .object(let o) = instance else { return true }
            var ok = true
            for e in o.uniqueEntries where !evaluate(s, .string(e.key), instanceToken: e.key, schemaTokens: []).valid {
                ok = false
                if !collect { return false }
            }
            return ok
        case .ifThenElse(let condition, let then, let otherwise):
            let (r, _) = probe(condition, instance)
            if r.valid {
                ann.merge(r.annotations)
                guard let then else { return true }
                let t = evaluateSibling(then, instance, sibling: "then")
                if t.valid { ann.merge(t.annotations) }
                return t.valid
            }
            guard let otherwise else { return true }
            let e = evaluateSibling(otherwise, instance, sibling: "else")
            if e.valid { ann.merge(e.annotations) }
            return e.valid
        case .allOf(let schemas):
            var ok = true
            for (i, s) in schemas.enumerated() {
                let r = evaluate(s, instance, instanceToken: nil, schemaTokens: [String(i)])
                if r.valid {
                    ann.merge(r.annotations)
                } else {
                    ok = false
                    if !collect { return false }
                }
            }
            return ok
        case .anyOf(let schemas):
            var ok = false
            var branchErrors: [SchemaValidationError] = []
            for s in schemas {
                let (r, errs) = probe(s, instance)
                if r.valid {
                    ok = true
                    ann.merge(r.annotations)
                    if !schema.tracksAnnotations { break }
                } else {
                    branchErrors += errs
                }
            }
            if !ok {
                branchErrors = self.branchErrors(schemas, instance)
                fail(node, "anyOf", "matches none of the \(schemas.count) alternatives" + Self.summary(branchErrors))
            }
            return ok
        case .oneOf(let schemas):
            var matched: [Int] = []
            var branchErrors: [SchemaValidationError] = []
            for (i, s) in schemas.enumerated() {
                let (r, errs) = probe(s, instance)
                if r.valid {
                    matched.append(i)
                    ann.merge(r.annotations)
                    if matched.count > 1 { break }
                } else {
                    branchErrors += errs
                }
            }
            if matched.count == 1 { return true }
            if matched.isEmpty {
                branchErrors = self.branchErrors(schemas, instance)
                fail(node, "oneOf", "matches none of the \(schemas.count) alternatives" + Self.summary(branchErrors))
            } else {
                fail(node, "oneOf", "matches more than one alternative (\(matched.map(String.init).joined(separator: ", ")))")
            }
            return false
        case .not(let s):
            let (r, _) = probe(s, instance)
            if !r.valid { return true }
            fail(node, "not", "must not match the 'not' schema")
            return false
        case .ref(let target):
            return evaluateRef(target.node!, instance, &ann)
        case .dynamicRef(let target, let anchor):
            var resolved = target.node!
            if let anchor {
                for resource in scope {
                    if let n = resource.dynamicAnchorNodes[anchor] {
                        resolved = n
                        break
                    }
                }
            }
            return evaluateRef(resolved, instance, &ann)
        case .recursiveRef(let target):
            var resolved = target.node!
            if resolved.resource.recursiveAnchor {
                for resource in scope where resource.recursiveAnchor {
                    if let n = resource.rootNode {
                        resolved = n
                        break
                    }
                }
            }
            return evaluateRef(resolved, instance, &ann)
        case .unevaluatedItems(let s):
            guard case .array(let a) = instance else { return true }
            if ann.allItems { return true }
            var ok = true
            for i in a.indices where !ann.hasItem(i) {
                if !evaluate(s, a[i], instanceToken: String(i), schemaTokens: []).valid {
                    if s.constant == false { fail(node, "unevaluatedItems", "item \(i) is not allowed (unevaluated)") }
                    ok = false
                    if !collect { return false }
                }
            }
            if ok { ann.allItems = true }
            return ok
        case .unevaluatedProperties(let s):
            guard case .object(let o) = instance else { return true }
            var ok = true
            for e in o.uniqueEntries where !ann.hasProperty(e.key) {
                if !evaluate(s, e.value, instanceToken: e.key, schemaTokens: []).valid {
                    if s.constant == false {
                        fail(node, "unevaluatedProperties", "property '\(e.key)' is not allowed (unevaluated)")
                    }
                    ok = false
                    if !collect { return false }
                }
            }
            if ok { for e in o.entries { ann.insertProperty(e.key) } }
            return ok
        }
    }

    mutating func evaluateSibling(_ node: SchemaNode, _ instance: JSONValue, sibling: String) -> Outcome {
        guard collect else { return evaluate(node, instance) }
        let saved = keywordPath.removeLast()
        keywordPath.append(sibling)
        let r = evaluate(node, instance)
        keywordPath.removeLast()
        keywordPath.append(saved)
        return r
    }

    mutating func evaluateRef(_ target: SchemaNode, _ instance: JSONValue, _ ann: inout Annotations) -> Bool {
        let r = evaluate(target, instance)
        if r.valid { ann.merge(r.annotations) }
        return r.valid
    }

    /// The index of the first item equal (as JSON) to an earlier one.
    static func firstDuplicate(_ a: [JSONValue]) -> Int? {
        if a.count < 2 { return nil }
        if a.count <= 8 {
            // Pairwise for short arrays: no hashing.
            for i in 1..<a.count where a[0..<i].contains(a[i]) { return i }
            return nil
        }
        var seen = Set<JSONValue>()
        for (i, v) in a.enumerated() where !seen.insert(v).inserted { return i }
        return nil
    }

    static func summary(_ errors: [SchemaValidationError]) -> String {
        guard !errors.isEmpty else { return "" }
        let shown = errors.prefix(3).map { e in
            (e.instanceLocation.description.isEmpty ? "" : e.instanceLocation.description + ": ") + e.message
        }
        return " (" + shown.joined(separator: "; ") + (errors.count > 3 ? "; …" : "") + ")"
    }

    static func excerpt(_ v: JSONValue) -> String {
        let s = JSONSerializer.string(v)
        return s.count > 80 ? String(s.prefix(77)) + "…" : s
    }
}
