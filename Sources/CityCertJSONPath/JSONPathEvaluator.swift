public import CityCertJSON

extension JSONPath {
    /// The steps a query may take on a document: at least 10 million, or 8 per node of the document. A
    /// node visited, selected or tested is one step; a query walks a document a few times. One that nests
    /// descendant filters (`$..[?$..[?@]]`) costs a power of the document's size, and is stopped instead
    /// of running for hours.
    public static let baseStepLimit = 10_000_000
    public static let stepsPerNode = 8

    /// Selects the nodes of `root` that this query designates, in RFC 9535 order. Past the step limit
    /// (`stepLimit`, or the one above), throws instead.
    public func select(_ root: JSONValue, stepLimit: Int? = nil) throws(JSONPathLimitError) -> [JSONPathNode] {
        let budget = Budget(
            stepLimit ?? Self.baseStepLimit, growsWith: stepLimit == nil ? root : nil, perNode: Self.stepsPerNode * weight)
        let evaluator = Evaluator(root: root, budget: budget)
        let nodes = evaluator.run(segments, from: [JSONPathNode(value: root, location: NormalizedPath())])
        if budget.exhausted {
            throw JSONPathLimitError(query: text, steps: budget.limit, timedOutPattern: budget.timedOutPattern)
        }
        return nodes
    }

    /// The query's size: its selectors and filter terms (a query with more of them may take more steps
    /// per node of the document).
    var weight: Int { Self.weight(segments) }

    static func weight(_ segments: [Segment]) -> Int {
        segments.reduce(0) { total, segment in
            total
                + segment.selectors.reduce(0) { n, selector in
                    if case .filter(let e) = selector { return n + weight(e) }
                    return n + 1
                }
        }
    }

    static func weight(_ e: LogicalExpr) -> Int {
        switch e {
        case .or(let terms), .and(let terms): return terms.reduce(0) { $0 + weight($1) }
        case .not(let inner): return weight(inner)
        case .exists(let q): return 1 + weight(q.segments)
        case .function(let f): return 1 + weight(f)
        case .comparison(let l, _, let r): return 1 + weight(l) + weight(r)
        }
    }

    static func weight(_ c: Comparable) -> Int {
        switch c {
        case .literal: return 0
        case .query(let q): return weight(q.segments)
        case .function(let f): return weight(f)
        }
    }

    static func weight(_ f: FunctionCall) -> Int {
        f.arguments.reduce(1) { n, a in
            switch a {
            case .literal: return n
            case .query(let q): return n + weight(q.segments)
            case .logical(let e): return n + weight(e)
            case .function(let g): return n + weight(g)
            }
        }
    }

    /// The selected values only (no paths), for assertions.
    public func values(_ root: JSONValue, stepLimit: Int? = nil) throws(JSONPathLimitError) -> [JSONValue] {
        try select(root, stepLimit: stepLimit).map(\.value)
    }
}

/// A query stopped at its step limit, or by a regular expression that timed out (its result would be
/// wrong, so there is none).
public struct JSONPathLimitError: Error, Sendable, CustomStringConvertible {
    public let query: String
    public let steps: Int
    /// The pattern whose matching did not finish (timed out, or ICU gave up), if that is what stopped it.
    public let timedOutPattern: String?

    public init(query: String, steps: Int, timedOutPattern: String? = nil) {
        self.query = query
        self.steps = steps
        self.timedOutPattern = timedOutPattern
    }

    public var description: String {
        if let p = timedOutPattern {
            return "JSONPath \(query): matching '\(p)' did not finish (catastrophic backtracking; at most 1 s per "
                + "match and 10 s per path)"
        }
        return "JSONPath \(query) needs more than \(steps) evaluation steps on this document (the limit grows "
            + "with the document and the query; a path nesting descendant filters costs a power of the document's size)"
    }
}

/// The steps left. A node visited, selected or tested is one step; comparing, measuring or matching a
/// value costs its size (one step per node or member, per 64 bytes of a string). Once spent, every loop
/// of the evaluator stops early and `select` throws.
final class Budget {
    private(set) var limit: Int
    private var left: Int
    /// The document, while the limit may still grow to `perNode` steps per node (counted only if needed).
    private var document: JSONValue?
    private let perNode: Int
    private(set) var exhausted = false
    private(set) var timedOutPattern: String?
    /// Seconds of regular-expression matching left for the whole query (each match has its own 1 s limit
    /// too): many slow matches stop the query as one long match does.
    var regexSecondsLeft = Budget.regexSeconds
    static let regexSeconds = 10.0

    init(_ limit: Int, growsWith document: JSONValue?, perNode: Int = JSONPath.stepsPerNode) {
        self.limit = limit
        left = limit
        self.document = document
        self.perNode = max(perNode, JSONPath.stepsPerNode)
    }

    /// Takes one step; false once the budget is spent.
    @inline(__always) func step() -> Bool { charge(1) }

    /// Takes `n` steps; false once the budget is spent.
    @inline(__always) func charge(_ n: Int) -> Bool {
        if left >= n {
            left -= n
            return true
        }
        return grow(n)
    }

    /// Charges the size of a value: one step per node or member, one per 64 bytes of a string or name.
    func charge(_ v: JSONValue) -> Bool {
        switch v {
        case .string(let s): return charge(1 + s.utf8.count / 64)
        case .array(let a):
            guard charge(1) else { return false }
            for e in a { guard charge(e) else { return false } }
            return true
        case .object(let o):
            guard chargeMembers(o) else { return false }
            for e in o { guard charge(e.value) else { return false } }
            return true
        case .number(let n): return charge(1 + n.lexeme.utf8.count / 64)
        default: return charge(1)
        }
    }

    /// Walking an object's members (its duplicates too) and hashing their names.
    func chargeMembers(_ o: JSONObject) -> Bool {
        var bytes = 0
        for e in o { bytes += e.key.utf8.count }
        return charge(1 + o.count + bytes / 64)
    }

    /// What comparing two values costs: only values of one kind are compared member by member or byte
    /// by byte (then the smaller one is charged), and numbers whose doubles are equal through their
    /// exact decimals; anything else is one step.
    func chargeComparison(_ x: JSONValue, _ y: JSONValue) -> Bool {
        switch (x, y) {
        case (.string(let s), .string(let t)): return charge(1 + min(s.utf8.count, t.utf8.count) / 64)
        case (.number(let m), .number(let n)):
            guard m.double == n.double, m.lexeme != n.lexeme else { return charge(1) }
            return charge(1 + (m.lexeme.utf8.count + n.lexeme.utf8.count) / 8)
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return charge(1) }
            return charge(x)
        case (.object(let o), .object(let p)):
            guard chargeMembers(o), chargeMembers(p) else { return false }
            return charge(o.count <= p.count ? x : y)
        default: return charge(1)
        }
    }

    /// A regular expression timed out: the query stops, since its answer would be a guess.
    func timedOut(_ pattern: String) {
        timedOutPattern = timedOutPattern ?? pattern
        exhausted = true
        left = 0
        document = nil
    }

    private func grow(_ n: Int) -> Bool {
        if let d = document {
            document = nil
            let allowed = Self.count(d) &* perNode
            if allowed > limit {
                left += allowed - limit
                limit = allowed
                if left >= n {
                    left -= n
                    return true
                }
            }
        }
        exhausted = true
        left = 0
        return false
    }

    /// The nodes of a value (the parser bounds its depth).
    static func count(_ v: JSONValue) -> Int {
        switch v {
        case .array(let a): return a.reduce(1) { $0 + count($1) }
        case .object(let o): return o.uniqueEntries.reduce(1) { $0 + count($1.value) }
        default: return 1
        }
    }
}

/// The result of a function or singular query: a value or Nothing (RFC 9535 2.4.1).
enum ValueOrNothing {
    case value(JSONValue)
    case nothing
}

struct Evaluator {
    let root: JSONValue
    let budget: Budget

    func run(_ segments: [Segment], from start: [JSONPathNode]) -> [JSONPathNode] {
        var nodes = start
        for segment in segments {
            var next: [JSONPathNode] = []
            for node in nodes {
                if budget.exhausted { return [] }
                if segment.descendant {
                    descend(node) { n in apply(segment.selectors, to: n, into: &next) }
                } else {
                    apply(segment.selectors, to: node, into: &next)
                }
            }
            nodes = next
        }
        return nodes
    }

    /// Visits `node` and then its descendants, in document order.
    func descend(_ node: JSONPathNode, _ visit: (JSONPathNode) -> Void) {
        guard budget.step() else { return }
        visit(node)
        switch node.value {
        case .array(let a):
            for (i, v) in a.enumerated() { descend(JSONPathNode(value: v, location: node.location.appending(.index(i))), visit) }
        case .object(let o):
            guard budget.chargeMembers(o) else { return }
            for e in o.uniqueEntries {
                descend(JSONPathNode(value: e.value, location: node.location.appending(.name(e.key))), visit)
            }
        default: break
        }
    }

    func apply(_ selectors: [Selector], to node: JSONPathNode, into out: inout [JSONPathNode]) {
        for selector in selectors {
            guard budget.step() else { return }
            switch selector {
            case .name(let name):
                if case .object(let o) = node.value, let v = o[name] {
                    out.append(JSONPathNode(value: v, location: node.location.appending(.name(name))))
                }
            case .wildcard:
                switch node.value {
                case .array(let a):
                    for (i, v) in a.enumerated() {
                        guard budget.step() else { return }
                        out.append(JSONPathNode(value: v, location: node.location.appending(.index(i))))
                    }
                case .object(let o):
                    guard budget.chargeMembers(o) else { return }
                    for e in o.uniqueEntries {
                        guard budget.step() else { return }
                        out.append(JSONPathNode(value: e.value, location: node.location.appending(.name(e.key))))
                    }
                default: break
                }
            case .index(let index):
                if case .array(let a) = node.value {
                    let i = index < 0 ? a.count + index : index
                    if i >= 0 && i < a.count {
                        out.append(JSONPathNode(value: a[i], location: node.location.appending(.index(i))))
                    }
                }
            case .slice(let start, let end, let step):
                if case .array(let a) = node.value {
                    for i in Self.sliceIndices(count: a.count, start: start, end: end, step: step) {
                        guard budget.step() else { return }
                        out.append(JSONPathNode(value: a[i], location: node.location.appending(.index(i))))
                    }
                }
            case .filter(let expr):
                switch node.value {
                case .array(let a):
                    for (i, v) in a.enumerated() {
                        guard budget.step() else { return }
                        guard test(expr, current: v) else { continue }
                        out.append(JSONPathNode(value: v, location: node.location.appending(.index(i))))
                    }
                case .object(let o):
                    guard budget.chargeMembers(o) else { return }
                    for e in o.uniqueEntries {
                        guard budget.step() else { return }
                        guard test(expr, current: e.value) else { continue }
                        out.append(JSONPathNode(value: e.value, location: node.location.appending(.name(e.key))))
                    }
                default: break
                }
            }
        }
    }

    /// RFC 9535 2.3.4.2.2 slice normalization.
    static func sliceIndices(count len: Int, start: Int?, end: Int?, step: Int?) -> [Int] {
        let step = step ?? 1
        if step == 0 { return [] }
        func normalize(_ i: Int) -> Int { i >= 0 ? i : len + i }
        var result: [Int] = []
        if step > 0 {
            let lower = min(max(normalize(start ?? 0), 0), len)
            let upper = min(max(normalize(end ?? len), 0), len)
            var i = lower
            while i < upper {
                result.append(i)
                i += step
            }
        } else {
            let upper = min(max(normalize(start ?? len - 1), -1), len - 1)
            let lower = min(max(normalize(end ?? -len - 1), -1), len - 1)
            var i = upper
            while lower < i {
                result.append(i)
                i += step
            }
        }
        return result
    }

    func test(_ expr: LogicalExpr, current: JSONValue) -> Bool {
        switch expr {
        case .or(let terms): return terms.contains { test($0, current: current) }
        case .and(let terms): return terms.allSatisfy { test($0, current: current) }
        case .not(let e): return !test(e, current: current)
        case .exists(let q): return !nodes(q, current: current).isEmpty
        case .function(let f):
            switch call(f, current: current) {
            case .logical(let b): return b
            case .nodes(let n): return !n.isEmpty
            case .value: return false
            }
        case .comparison(let l, let op, let r):
            let a = evaluate(l, current: current)
            let b = evaluate(r, current: current)
            guard case .value(let x) = a, case .value(let y) = b, budget.chargeComparison(x, y) else {
                return !budget.exhausted && compare(a, op, b)
            }
            return compare(a, op, b)
        }
    }

    func nodes(_ q: Query, current: JSONValue) -> [JSONPathNode] {
        let start = q.relative ? current : root
        return run(q.segments, from: [JSONPathNode(value: start, location: NormalizedPath())])
    }

    func evaluate(_ c: Comparable, current: JSONValue) -> ValueOrNothing {
        switch c {
        case .literal(let v): return .value(v)
        case .query(let q):
            let n = nodes(q, current: current)
            return n.count == 1 ? .value(n[0].value) : .nothing
        case .function(let f):
            if case .value(let v) = call(f, current: current) { return v }
            return .nothing
        }
    }

    func compare(_ a: ValueOrNothing, _ op: ComparisonOp, _ b: ValueOrNothing) -> Bool {
        switch op {
        case .eq: return equal(a, b)
        case .ne: return !equal(a, b)
        case .lt: return less(a, b)
        case .le: return less(a, b) || equal(a, b)
        case .gt: return less(b, a)
        case .ge: return less(b, a) || equal(a, b)
        }
    }

    func equal(_ a: ValueOrNothing, _ b: ValueOrNothing) -> Bool {
        switch (a, b) {
        case (.nothing, .nothing): return true
        case (.value(let x), .value(let y)): return x == y
        default: return false
        }
    }

    func less(_ a: ValueOrNothing, _ b: ValueOrNothing) -> Bool {
        guard case .value(let x) = a, case .value(let y) = b else { return false }
        switch (x, y) {
        case (.number(let m), .number(let n)):
            // Rounding to double is monotonic: different doubles decide; equal ones need the exact values.
            if m.double != n.double { return m.double < n.double }
            return m.lexeme != n.lexeme && m.decimal < n.decimal
        case (.string(let s), .string(let t)): return s.unicodeScalars.lexicographicallyPrecedes(t.unicodeScalars)
        default: return false
        }
    }

    enum FunctionResult {
        case value(ValueOrNothing)
        case logical(Bool)
        case nodes([JSONPathNode])
    }

    func call(_ f: FunctionCall, current: JSONValue) -> FunctionResult {
        let args = f.arguments.map { argument(in: $0, current: current) }
        return FunctionRegistry.implementations[f.name]!(args, budget)
    }

    func argument(in a: FunctionArgument, current: JSONValue) -> FunctionResult {
        switch a {
        case .literal(let v): return .value(.value(v))
        case .query(let q): return .nodes(nodes(q, current: current))
        case .logical(let e): return .logical(test(e, current: current))
        case .function(let f): return call(f, current: current)
        }
    }
}
