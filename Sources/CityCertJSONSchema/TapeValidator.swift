import CityCertJSON
import CityCertRegex

/// A compiled schema flattened for the tape validator: its nodes and keywords as arrays of plain values
/// that refer to each other by index, so evaluating one retains and releases nothing. Values that need
/// references (patterns, name tables, constants) sit in side tables that only their keyword reads.
final class TapeProgram: Sendable {
    struct Node {
        /// -1: a schema object; 0 / 1: the boolean schema `false` / `true`.
        var constant: Int8
        /// The node's keywords are `ops[start ..< start + count]`.
        var start: Int32
        var count: Int32
    }

    /// One keyword; `Int32` payloads index a node (`nodes`), a run of nodes (`lists`, as start and
    /// count) or a side table.
    enum Op {
        case type(UInt8)
        /// The string members as a name table, the others in `values`.
        case enumeration(Int32, slots: Int32, mask: Int32)
        case constant(Int32)
        case multipleOf(Int32)
        case maximum(Double, bound: Int32, exclusive: Bool)
        case minimum(Double, bound: Int32, exclusive: Bool)
        case maxLength(Int)
        case minLength(Int)
        case pattern(Int32)
        case format(Int32)
        case maxItems(Int)
        case minItems(Int)
        case uniqueItems
        case prefixItems(Int32, Int32)
        case itemsFrom(Int, Int32)
        case contains(Int32, min: Int, max: Int)
        case maxProperties(Int)
        case minProperties(Int)
        /// `nameRefs[start ..< start + count]`.
        case required(start: Int32, count: Int32)
        /// The name table (its slots in `nameSlots` from `slots`, `mask + 1` of them) and the run of
        /// value schemas in the table's name order.
        case properties(slots: Int32, mask: Int32, schemas: Int32)
        case patternProperties(Int32)
        case additionalProperties(Int32)
        case dependentRequired(Int32)
        case dependentSchemas(Int32)
        case propertyNames(Int32)
        case ifThenElse(Int32, then: Int32, else: Int32)
        case allOf(Int32, Int32)
        case anyOf(Int32, Int32)
        case oneOf(Int32, Int32)
        case not(Int32)
        case ref(Int32)
        /// `$dynamicRef`, `$recursiveRef`, `unevaluated*`: left to the tree validator.
        case undecided
    }

    let nodes: [Node]
    let ops: [Op]
    let lists: [Int32]
    let values: [[JSONValue]]
    let decimals: [JSONDecimal]
    let bounds: [NumericBound]
    let regexes: [BoundedRegex]
    let formats: [FormatChecker]
    /// A name's bytes in `nameBytes`, and its signature.
    struct NameRef {
        var start: Int32
        var length: Int32
        var signature: UInt32
    }
    let nameRefs: [NameRef]
    /// Every name table's slots and bytes, one table after another (`NameTable.lookup` reads them).
    let nameSlots: [NameTable.Slot]
    let nameBytes: [UInt8]
    let patternTables: [[(BoundedRegex, Int32)]]
    let additionalTables: [(node: Int32, slots: Int32, mask: Int32, patterns: [BoundedRegex])]
    let dependentNames: [[(NameRef, [NameRef])]]
    let dependentNodes: [[(NameRef, Int32)]]

    /// Flattens the graph under `root`; the root is node 0. Everything is built here and never changed
    /// after, so a program is shared between threads as it is.
    init(root: SchemaNode) {
        var b = Builder()
        b.build(root)
        nodes = b.nodes
        ops = b.ops
        lists = b.lists
        values = b.values
        decimals = b.decimals
        bounds = b.bounds
        regexes = b.regexes
        formats = b.formats
        nameRefs = b.nameRefs
        nameSlots = b.nameSlots
        nameBytes = b.nameBytes
        patternTables = b.patternTables
        additionalTables = b.additionalTables
        dependentNames = b.dependentNames
        dependentNodes = b.dependentNodes
    }

    private struct Builder {
        var nodes: [Node] = []
        var ops: [Op] = []
        var lists: [Int32] = []
        var values: [[JSONValue]] = []
        var decimals: [JSONDecimal] = []
        var bounds: [NumericBound] = []
        var regexes: [BoundedRegex] = []
        var formats: [FormatChecker] = []
        var nameRefs: [NameRef] = []
        var nameSlots: [NameTable.Slot] = []
        var nameBytes: [UInt8] = []
        var patternTables: [[(BoundedRegex, Int32)]] = []
        var additionalTables: [(node: Int32, slots: Int32, mask: Int32, patterns: [BoundedRegex])] = []
        var dependentNames: [[(NameRef, [NameRef])]] = []
        var dependentNodes: [[(NameRef, Int32)]] = []
        var ids: [ObjectIdentifier: Int32] = [:]
        var pending: [SchemaNode] = []

        mutating func id(_ n: SchemaNode) -> Int32 {
            if let i = ids[ObjectIdentifier(n)] { return i }
            let i = Int32(ids.count)
            ids[ObjectIdentifier(n)] = i
            pending.append(n)
            return i
        }

        mutating func list(_ ns: [SchemaNode]) -> (Int32, Int32) {
            let ids = ns.map { id($0) }
            let start = Int32(lists.count)
            lists += ids
            return (start, Int32(ids.count))
        }

        /// A name's bytes appended to `nameBytes`.
        mutating func nameRef(_ name: String) -> NameRef {
            let ref = NameRef(
                start: Int32(nameBytes.count), length: Int32(name.utf8.count), signature: JSONObject.signature(name))
            nameBytes += name.utf8
            return ref
        }

        /// Appends a name table's slots and bytes (its byte offsets moved past the bytes before it).
        mutating func flatten(_ table: NameTable) -> (slots: Int32, mask: Int32) {
            let slots = Int32(nameSlots.count)
            let base = Int32(nameBytes.count)
            nameSlots += table.slots.map { slot in
                var slot = slot
                slot.start += base
                return slot
            }
            nameBytes += table.bytes
            return (slots, Int32(table.mask))
        }

        mutating func build(_ root: SchemaNode) {
            _ = id(root)
            var compiled: [Int32: Node] = [:]
            while let n = pending.popLast() {
                let me = ids[ObjectIdentifier(n)]!
                let start = Int32(ops.count)
                for k in n.keywords { if let o = op(k) { ops.append(o) } }
                compiled[me] = Node(constant: n.constant.map { $0 ? 1 : 0 } ?? -1, start: start, count: Int32(ops.count) - start)
            }
            nodes = (0..<Int32(compiled.count)).map { compiled[$0]! }
        }

        /// The op for a keyword; nil for one that never fails (`format` when formats do not assert).
        mutating func op(_ k: Keyword) -> Op? {
            func index<T>(_ table: inout [T], _ value: T) -> Int32 {
                table.append(value)
                return Int32(table.count - 1)
            }
            switch k {
            case .type(let t): return .type(t.bits)
            case .enumeration(let v):
                let (slots, mask) = flatten(NameTable(v.compactMap { if case .string(let s) = $0 { s } else { nil } }))
                let others = index(&values, v.filter { if case .string = $0 { false } else { true } })
                return .enumeration(others, slots: slots, mask: mask)
            case .constant(let c): return .constant(index(&values, [c]))
            case .multipleOf(let m): return .multipleOf(index(&decimals, m))
            case .maximum(let b, let exclusive, _): return .maximum(b.double, bound: index(&bounds, b), exclusive: exclusive)
            case .minimum(let b, let exclusive, _): return .minimum(b.double, bound: index(&bounds, b), exclusive: exclusive)
            case .maxLength(let n): return .maxLength(n)
            case .minLength(let n): return .minLength(n)
            case .pattern(let r): return .pattern(index(&regexes, r))
            case .format(_, let checker):
                return checker.map { .format(index(&formats, $0)) }
            case .maxItems(let n): return .maxItems(n)
            case .minItems(let n): return .minItems(n)
            case .uniqueItems: return .uniqueItems
            case .prefixItems(let schemas, _):
                let (s, c) = list(schemas)
                return .prefixItems(s, c)
            case .itemsFrom(let start, let s, _): return .itemsFrom(start, id(s))
            case .contains(let s, let min, let max, _): return .contains(id(s), min: min, max: max ?? -1)
            case .maxProperties(let n): return .maxProperties(n)
            case .minProperties(let n): return .minProperties(n)
            case .required(let r):
                let start = Int32(nameRefs.count)
                for (name, _) in r { nameRefs.append(nameRef(name)) }
                return .required(start: start, count: Int32(r.count))
            case .properties(let props, let table):
                let (s, _) = list(props.map(\.2))
                let (slots, mask) = flatten(table)
                return .properties(slots: slots, mask: mask, schemas: s)
            case .patternProperties(let props): return .patternProperties(index(&patternTables, props.map { ($0.0, id($0.1)) }))
            case .additionalProperties(let s, let table, let patterns):
                let (slots, mask) = flatten(table)
                return .additionalProperties(index(&additionalTables, (id(s), slots, mask, patterns)))
            case .dependentRequired(let deps, _):
                let refs = deps.map { (nameRef($0.0), $0.1.map { nameRef($0) }) }
                return .dependentRequired(index(&dependentNames, refs))
            case .dependentSchemas(let deps, _):
                let refs = deps.map { (nameRef($0.0), id($0.1)) }
                return .dependentSchemas(index(&dependentNodes, refs))
            case .propertyNames(let s): return .propertyNames(id(s))
            case .ifThenElse(let c, let t, let e):
                let condition = id(c)
                let then = t.map { id($0) } ?? -1
                return .ifThenElse(condition, then: then, else: e.map { id($0) } ?? -1)
            case .allOf(let ss):
                let (s, c) = list(ss)
                return .allOf(s, c)
            case .anyOf(let ss):
                let (s, c) = list(ss)
                return .anyOf(s, c)
            case .oneOf(let ss):
                let (s, c) = list(ss)
                return .oneOf(s, c)
            case .not(let s): return .not(id(s))
            case .ref(let target): return .ref(id(target.node!))
            case .dynamicRef, .recursiveRef, .unevaluatedItems, .unevaluatedProperties: return .undecided
            }
        }
    }
}

/// The boolean fast path over a parser's tape: the same keyword semantics as `Validator`, without
/// building the instance's tree, error paths or messages.
///
/// It decides most instances. When it meets what it does not decide, it sets `undecided` and the
/// caller goes to the tree validator, whose answer is the verdict:
/// - `$dynamicRef`, `$recursiveRef`, `unevaluatedItems` and `unevaluatedProperties` (they need the
///   dynamic scope or annotations); `JSONSchema.isValid(tape:)` does not even start for such schemas;
/// - a pattern match that ran out of time (so a timer never decides a verdict differently from the
///   tree validator's own run);
/// - schema recursion deeper than `Validator.maxDepth` levels, or than the thread's stack allows (`StackGuard`).
/// The caller also keeps tapes with duplicate member names away from it: there the tree's rule
/// (the last occurrence wins) would need more than one pass over the members.
struct TapeValidator {
    let program: TapeProgram
    let nodes: UnsafeBufferPointer<TapeProgram.Node>
    let ops: UnsafeBufferPointer<TapeProgram.Op>
    let lists: UnsafeBufferPointer<Int32>
    let nameSlots: UnsafeBufferPointer<NameTable.Slot>
    let nameBytes: UnsafeBufferPointer<UInt8>
    let tape: JSONTapeView
    let regexTimeLimit: Double
    /// The stack address past which recursion stops (`StackGuard`).
    let stackFloor = StackGuard.floor()
    var undecided = false
    var depth = 0

    /// Runs `body` with a validator over `tape` (the program's arrays are read in place meanwhile).
    static func with<R>(
        _ program: TapeProgram, _ tape: JSONTapeView, regexTimeLimit: Double, _ body: (inout TapeValidator) -> R
    ) -> R {
        program.nodes.withUnsafeBufferPointer { nodes in
            program.ops.withUnsafeBufferPointer { ops in
                program.lists.withUnsafeBufferPointer { lists in
                    program.nameSlots.withUnsafeBufferPointer { nameSlots in
                        program.nameBytes.withUnsafeBufferPointer { nameBytes in
                            var v = TapeValidator(
                                program: program, nodes: nodes, ops: ops, lists: lists, nameSlots: nameSlots,
                                nameBytes: nameBytes, tape: tape, regexTimeLimit: regexTimeLimit)
                            return body(&v)
                        }
                    }
                }
            }
        }
    }

    mutating func evaluate(_ node: Int32, _ i: Int) -> Bool {
        let n = nodes[Int(node)]
        if n.constant >= 0 { return n.constant == 1 }
        depth += 1
        defer { depth -= 1 }
        if depth > Validator.maxDepth || StackGuard.position() < stackFloor {
            undecided = true
            return false
        }
        for k in Int(n.start)..<Int(n.start + n.count) {
            // `type` and the number bounds, the commonest keywords, are decided here without a call.
            switch ops[k] {
            case .type(let bits): if !hasType(bits, i) { return false }
            // Doubles that differ order the exact numbers the same way (rounding is monotonic); equal ones
            // go to `apply`, which compares exactly.
            case .minimum(let limit, _, _) where tape.kind(i) == .number && tape.double(i) != limit:
                if tape.double(i) < limit { return false }
            case .maximum(let limit, _, _) where tape.kind(i) == .number && tape.double(i) != limit:
                if tape.double(i) > limit { return false }
            case let op: if !apply(op, i) { return false }
            }
        }
        return true
    }

    /// `type` (bits as in `TypeSet`: null, boolean, object, array, number, string, integer).
    @inline(__always) func hasType(_ bits: UInt8, _ i: Int) -> Bool {
        switch tape.kind(i) {
        case .null: return bits & 1 != 0
        case .false, .true: return bits & 2 != 0
        case .object: return bits & 4 != 0
        case .array: return bits & 8 != 0
        case .string: return bits & 32 != 0
        case .number: return bits & 16 != 0 || (bits & 64 != 0 && isInteger(i))
        }
    }

    /// The index of `key` in the name table whose slots start at `slots`.
    @inline(__always) func name(_ key: UnsafeBufferPointer<UInt8>, _ slots: Int32, _ mask: Int32) -> Int? {
        NameTable.lookup(
            key, slots: nameSlots.baseAddress.unsafelyUnwrapped + Int(slots), mask: Int(mask), bytes: nameBytes.baseAddress)
    }

    /// The value of the member named by `ref` in the object at `i`.
    func member(_ i: Int, _ ref: TapeProgram.NameRef) -> Int? {
        let length = Int(ref.length)
        var j = i + 2
        for _ in 0..<tape.count(i) {
            let key = tape.bytes(j)
            // The signature holds a name of up to 2 bytes whole; a longer one has bytes in `nameBytes`.
            if key.count == length && JSONObject.signature(key) == ref.signature
                && (length <= 2
                    || NameTable.same(
                        key.baseAddress.unsafelyUnwrapped, nameBytes.baseAddress.unsafelyUnwrapped + Int(ref.start), length))
            {
                return j + 2
            }
            j = tape.next(j + 2)
        }
        return nil
    }

    func isInteger(_ i: Int) -> Bool {
        if tape.isIntegerLexeme(i) { return true }
        // A decimal that is an integer rounds to an integral double, so a fractional double decides.
        let d = tape.double(i)
        if d.isFinite && d != d.rounded(.towardZero) { return false }
        return tape.number(i).isInteger
    }

    /// The number at `i` against a bound: the doubles decide unless they are equal, then the exact bound.
    func compare(_ i: Int, _ limit: Double, _ bound: Int32) -> Validator.Order {
        let x = tape.double(i)
        if x < limit { return .orderedAscending }
        if x > limit { return .orderedDescending }
        return Validator.compare(tape.number(i), program.bounds[Int(bound)])
    }

    func scalarCount(_ i: Int) -> Int {
        var n = 0
        for b in tape.bytes(i) where b & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// Whether the value at `i` equals `value` as JSON (strings by code points, without building one).
    func equals(_ i: Int, _ value: JSONValue) -> Bool {
        switch (tape.kind(i), value) {
        case (.string, .string(let s)):
            var s = s
            return s.withUTF8 { tape.stringEquals(i, $0) }
        case (.string, _): return false
        default: return tape.value(at: i) == value
        }
    }

    mutating func matches(_ regex: BoundedRegex, _ i: Int) -> Bool {
        switch regex.firstMatch(utf8: tape.bytes(i), timeLimit: regexTimeLimit) {
        case .matched: return true
        case .notMatched: return false
        case .timedOut:
            undecided = true
            return false
        }
    }

    /// Whether every node of `lists[start ..< start + count]` holds (stops at the first that does not).
    mutating func all(_ start: Int32, _ count: Int32, _ i: Int) -> Bool {
        for k in Int(start)..<Int(start + count) where !evaluate(lists[k], i) { return false }
        return true
    }

    mutating func apply(_ op: TapeProgram.Op, _ i: Int) -> Bool {
        let kind = tape.kind(i)
        switch op {
        case .type(let bits):
            return hasType(bits, i)
        case .enumeration(let v, let slots, let mask):
            if kind == .string { return name(tape.bytes(i), slots, mask) != nil }
            return program.values[Int(v)].contains { equals(i, $0) }
        case .constant(let v):
            return equals(i, program.values[Int(v)][0])
        case .multipleOf(let m):
            return kind != .number || tape.number(i).decimal.isMultiple(of: program.decimals[Int(m)])
        case .maximum(let limit, let bound, let exclusive):
            guard kind == .number else { return true }
            switch compare(i, limit, bound) {
            case .orderedAscending: return true
            case .orderedSame: return !exclusive
            case .orderedDescending: return false
            }
        case .minimum(let limit, let bound, let exclusive):
            guard kind == .number else { return true }
            switch compare(i, limit, bound) {
            case .orderedDescending: return true
            case .orderedSame: return !exclusive
            case .orderedAscending: return false
            }
        case .maxLength(let max):
            guard kind == .string else { return true }
            return tape.bytes(i).count <= max || scalarCount(i) <= max
        case .minLength(let min):
            guard kind == .string else { return true }
            return tape.bytes(i).count / 4 >= min || scalarCount(i) >= min
        case .pattern(let r):
            return kind != .string || matches(program.regexes[Int(r)], i)
        case .format(let f):
            return kind != .string || program.formats[Int(f)](utf8: tape.bytes(i))
        case .maxItems(let max):
            return kind != .array || tape.count(i) <= max
        case .minItems(let min):
            return kind != .array || tape.count(i) >= min
        case .uniqueItems:
            guard kind == .array, tape.count(i) > 1, case .array(let a) = tape.value(at: i) else { return true }
            return Validator.firstDuplicate(a) == nil
        case .prefixItems(let start, let count):
            guard kind == .array else { return true }
            var j = i + 2
            for k in 0..<min(Int(count), tape.count(i)) {
                if !evaluate(lists[Int(start) + k], j) { return false }
                j = tape.next(j)
            }
            return true
        case .itemsFrom(let start, let s):
            guard kind == .array else { return true }
            var j = i + 2
            for k in 0..<tape.count(i) {
                if k >= start && !evaluate(s, j) { return false }
                j = tape.next(j)
            }
            return true
        case .contains(let s, let min, let max):
            guard kind == .array else { return true }
            var matches = 0
            var j = i + 2
            for _ in 0..<tape.count(i) {
                if evaluate(s, j) { matches += 1 }
                j = tape.next(j)
            }
            return matches >= min && (max < 0 || matches <= max)
        case .maxProperties(let max):
            return kind != .object || tape.count(i) <= max
        case .minProperties(let min):
            return kind != .object || tape.count(i) >= min
        case .required(let start, let count):
            guard kind == .object else { return true }
            return program.nameRefs.withUnsafeBufferPointer { refs in
                refs[Int(start)..<Int(start + count)].allSatisfy { member(i, $0) != nil }
            }
        case .properties(let slots, let mask, let schemas):
            guard kind == .object else { return true }
            var j = i + 2
            for _ in 0..<tape.count(i) {
                if let k = name(tape.bytes(j), slots, mask), !evaluate(lists[Int(schemas) + k], j + 2) { return false }
                j = tape.next(j + 2)
            }
            return true
        case .patternProperties(let p):
            guard kind == .object else { return true }
            let props = program.patternTables[Int(p)]
            var j = i + 2
            for _ in 0..<tape.count(i) {
                for (regex, s) in props where matches(regex, j) {
                    if !evaluate(s, j + 2) { return false }
                }
                if undecided { return false }
                j = tape.next(j + 2)
            }
            return true
        case .additionalProperties(let a):
            guard kind == .object else { return true }
            let (s, slots, mask, patterns) = program.additionalTables[Int(a)]
            var j = i + 2
            for _ in 0..<tape.count(i) {
                if name(tape.bytes(j), slots, mask) == nil, !patterns.contains(where: { matches($0, j) }) {
                    if undecided || !evaluate(s, j + 2) { return false }
                }
                j = tape.next(j + 2)
            }
            return true
        case .dependentRequired(let d):
            guard kind == .object else { return true }
            for (key, required) in program.dependentNames[Int(d)] where member(i, key) != nil {
                for r in required where member(i, r) == nil { return false }
            }
            return true
        case .dependentSchemas(let d):
            guard kind == .object else { return true }
            for (key, s) in program.dependentNodes[Int(d)] where member(i, key) != nil {
                if !evaluate(s, i) { return false }
            }
            return true
        case .propertyNames(let s):
            guard kind == .object else { return true }
            // A member name is a string on the tape: the subschema reads it in place.
            var j = i + 2
            for _ in 0..<tape.count(i) {
                if !evaluate(s, j) { return false }
                j = tape.next(j + 2)
            }
            return true
        case .ifThenElse(let condition, let then, let otherwise):
            if evaluate(condition, i) { return then < 0 || evaluate(then, i) }
            return otherwise < 0 || evaluate(otherwise, i)
        case .allOf(let start, let count):
            return all(start, count, i)
        case .anyOf(let start, let count):
            for k in Int(start)..<Int(start + count) where evaluate(lists[k], i) { return true }
            return false
        case .oneOf(let start, let count):
            var matched = 0
            for k in Int(start)..<Int(start + count) where evaluate(lists[k], i) {
                matched += 1
                if matched > 1 { return false }
            }
            return matched == 1
        case .not(let s):
            return !evaluate(s, i)
        case .ref(let s):
            return evaluate(s, i)
        case .undecided:
            undecided = true
            return false
        }
    }
}
