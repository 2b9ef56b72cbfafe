import CityCertJSON
import CityCertRegex

/// The boolean fast path over a parser's tape: the same keyword semantics as `Validator`, without
/// building the instance's tree, error paths or messages.
///
/// It decides most instances. When it meets what it does not decide, it sets `undecided` and the
/// caller goes to the tree validator, whose answer is the verdict:
/// - `$dynamicRef`, `$recursiveRef`, `unevaluatedItems` and `unevaluatedProperties` (they need the
///   dynamic scope or annotations); `JSONSchema.isValid(tape:)` does not even start for such schemas;
/// - a pattern match that ran out of time (so a timer never decides a verdict differently from the
///   tree validator's own run);
/// - schema recursion deeper than 4096 levels.
/// The caller also keeps tapes with duplicate member names away from it: there the tree's rule
/// (the last occurrence wins) would need more than one pass over the members.
struct TapeValidator {
    let schema: JSONSchema
    let tape: JSONTapeView
    var undecided = false
    var depth = 0

    init(schema: JSONSchema, tape: JSONTapeView) {
        self.schema = schema
        self.tape = tape
    }

    mutating func evaluate(_ node: SchemaNode, _ i: Int) -> Bool {
        if let c = node.constant { return c }
        depth += 1
        defer { depth -= 1 }
        if depth > 4096 {
            undecided = true
            return false
        }
        // By index: the array's elements are passed borrowed (an iterator would copy each one out).
        let keywords = node.keywords
        for k in keywords.indices where !apply(keywords[k], i) { return false }
        return true
    }

    /// The value of member `name` (with its `JSONObject.signature`) in the object at `i`.
    func member(_ i: Int, _ name: String, _ signature: UInt32) -> Int? {
        var j = i + 2
        for _ in 0..<tape.count(i) {
            if tape.signature(j) == signature {
                var n = name
                if n.withUTF8({ tape.stringEquals(j, $0) }) { return j + 2 }
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

    func compare(_ i: Int, _ bound: NumericBound) -> Validator.Order {
        let x = tape.double(i)
        if x < bound.double { return .orderedAscending }
        if x > bound.double { return .orderedDescending }
        return Validator.compare(tape.number(i), bound)
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
        switch regex.firstMatch(utf8: tape.bytes(i), timeLimit: schema.regexTimeLimit) {
        case .matched: return true
        case .notMatched: return false
        case .timedOut:
            undecided = true
            return false
        }
    }

    mutating func apply(_ keyword: Keyword, _ i: Int) -> Bool {
        let kind = tape.kind(i)
        switch keyword {
        case .type(let types):
            let bits = types.bits
            switch kind {
            case .null: return bits & 1 != 0
            case .false, .true: return bits & 2 != 0
            case .object: return bits & 4 != 0
            case .array: return bits & 8 != 0
            case .string: return bits & 32 != 0
            case .number: return bits & 16 != 0 || (bits & 64 != 0 && isInteger(i))
            }
        case .enumeration(let values):
            return values.contains { equals(i, $0) }
        case .constant(let c):
            return equals(i, c)
        case .multipleOf(let m):
            return kind != .number || tape.number(i).decimal.isMultiple(of: m)
        case .maximum(let m, let exclusive, _):
            guard kind == .number else { return true }
            switch compare(i, m) {
            case .orderedAscending: return true
            case .orderedSame: return !exclusive
            case .orderedDescending: return false
            }
        case .minimum(let m, let exclusive, _):
            guard kind == .number else { return true }
            switch compare(i, m) {
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
        case .pattern(let regex):
            return kind != .string || matches(regex, i)
        case .format(_, let checker):
            guard let checker, kind == .string else { return true }
            return checker(utf8: tape.bytes(i))
        case .maxItems(let max):
            return kind != .array || tape.count(i) <= max
        case .minItems(let min):
            return kind != .array || tape.count(i) >= min
        case .uniqueItems:
            guard kind == .array, tape.count(i) > 1, case .array(let a) = tape.value(at: i) else { return true }
            return Validator.firstDuplicate(a) == nil
        case .prefixItems(let schemas, _):
            guard kind == .array else { return true }
            var j = i + 2
            for (k, s) in schemas.enumerated() where k < tape.count(i) {
                if !evaluate(s, j) { return false }
                j = tape.next(j)
            }
            return true
        case .itemsFrom(let start, let s, _):
            guard kind == .array else { return true }
            var j = i + 2
            for k in 0..<tape.count(i) {
                if k >= start && !evaluate(s, j) { return false }
                j = tape.next(j)
            }
            return true
        case .contains(let s, let min, let max, _):
            guard kind == .array else { return true }
            var matches = 0
            var j = i + 2
            for _ in 0..<tape.count(i) {
                if evaluate(s, j) { matches += 1 }
                j = tape.next(j)
            }
            return matches >= min && (max == nil || matches <= max!)
        case .maxProperties(let max):
            return kind != .object || tape.count(i) <= max
        case .minProperties(let min):
            return kind != .object || tape.count(i) >= min
        case .required(let names):
            guard kind == .object else { return true }
            return names.allSatisfy { member(i, $0.0, $0.1) != nil }
        case .properties(let props, let table):
            guard kind == .object else { return true }
            var j = i + 2
            for _ in 0..<tape.count(i) {
                if let k = table.index(of: tape.bytes(j)), !evaluate(props[k].2, j + 2) { return false }
                j = tape.next(j + 2)
            }
            return true
        case .patternProperties(let props):
            guard kind == .object else { return true }
            var j = i + 2
            for _ in 0..<tape.count(i) {
                for (regex, s) in props where matches(regex, j) {
                    if !evaluate(s, j + 2) { return false }
                }
                if undecided { return false }
                j = tape.next(j + 2)
            }
            return true
        case .additionalProperties(let s, let names, let patterns):
            guard kind == .object else { return true }
            var j = i + 2
            for _ in 0..<tape.count(i) {
                if names.index(of: tape.bytes(j)) == nil, !patterns.contains(where: { matches($0, j) }) {
                    if undecided || !evaluate(s, j + 2) { return false }
                }
                j = tape.next(j + 2)
            }
            return true
        case .dependentRequired(let deps, _):
            guard kind == .object else { return true }
            for (key, required) in deps where member(i, key, JSONObject.signature(key)) != nil {
                for r in required where member(i, r, JSONObject.signature(r)) == nil { return false }
            }
            return true
        case .dependentSchemas(let deps, _):
            guard kind == .object else { return true }
            for (key, s) in deps where member(i, key, JSONObject.signature(key)) != nil {
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
            if evaluate(condition, i) {
                guard let then else { return true }
                return evaluate(then, i)
            }
            guard let otherwise else { return true }
            return evaluate(otherwise, i)
        case .allOf(let schemas):
            return schemas.allSatisfy { evaluate($0, i) }
        case .anyOf(let schemas):
            return schemas.contains { evaluate($0, i) }
        case .oneOf(let schemas):
            var matched = 0
            for s in schemas where evaluate(s, i) {
                matched += 1
                if matched > 1 { return false }
            }
            return matched == 1
        case .not(let s):
            return !evaluate(s, i)
        case .ref(let target):
            return evaluate(target.node!, i)
        case .dynamicRef, .recursiveRef, .unevaluatedItems, .unevaluatedProperties:
            undecided = true
            return false
        }
    }
}
