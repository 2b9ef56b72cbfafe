/// A linear-time matcher for the regular part of ECMA-262 `u`-mode patterns: literals, classes, `.`,
/// `\d \D \w \W \s \S`, groups, alternation, greedy or lazy quantifiers, `^` and `$`. Backreferences,
/// lookarounds, word boundaries and property escapes are outside it: `init` returns nil and the caller
/// keeps the ICU path. For a boolean search both engines agree on the patterns it accepts (a regular
/// language has a match or not, whatever the order of exploration), and this one cannot backtrack.
///
/// The pattern becomes a Thompson NFA, then a DFA built whole at construction over the classes of
/// scalars the pattern tells apart, so a match is one table lookup per scalar and the value is
/// immutable (shared between threads without locks).
public final class LinearRegex: Sendable {
    private let classCount: Int
    /// Class of each ASCII scalar.
    private let asciiClass: [UInt16]
    /// Start scalar of each interval above ASCII, and its class (sorted by start; first start 0x80).
    private let intervalStarts: [UInt32]
    private let intervalClass: [UInt16]
    /// DFA: `next[state * classCount + class]`; per state, whether the NFA reached its match state,
    /// whether it accepts at the end of the subject, and whether no match can follow any more.
    private let next: [Int32]
    private let matched: [Bool]
    private let acceptsAtEnd: [Bool]
    private let dead: [Bool]
    /// The same DFA for ASCII bytes without the class step: `asciiNext[state << 7 | byte]`, and per
    /// state whether the run can stop there (matched or dead).
    private let asciiNext: [UInt16]
    private let stops: [Bool]

    /// Limits past which the caller's ICU path is used instead.
    static let maxNFAStates = 4_000
    static let maxDFAStates = 2_000
    static let constructionBudget = 40_000_000

    /// Compiles `pattern`; nil when it uses syntax outside the subset (or is invalid: ICU decides).
    public init?(ecma pattern: String) {
        var parser = Parser(Array(pattern.unicodeScalars))
        guard let ast = parser.parse() else { return nil }
        var nfa = NFA()
        let matchState = nfa.add(.match)
        guard let start = nfa.build(ast, next: matchState), nfa.kinds.count <= Self.maxNFAStates else { return nil }

        // Alphabet: intervals of scalars that every set in the pattern treats alike.
        var cuts: Set<UInt32> = [0, 0x80, 0x110000]
        for set in nfa.sets {
            for r in set.ranges {
                cuts.insert(r.lowerBound)
                if r.upperBound < 0x10FFFF { cuts.insert(r.upperBound + 1) }
            }
        }
        let bounds = cuts.sorted()
        var signatureClass: [[Bool]: UInt16] = [:]
        var representatives: [UInt32] = []
        func classOf(_ scalar: UInt32) -> UInt16 {
            let signature = nfa.sets.map { $0.contains(scalar) }
            if let c = signatureClass[signature] { return c }
            let c = UInt16(representatives.count)
            signatureClass[signature] = c
            representatives.append(scalar)
            return c
        }
        var ascii = [UInt16](repeating: 0, count: 128)
        for b in 0..<128 { ascii[b] = classOf(UInt32(b)) }
        var starts: [UInt32] = []
        var classes: [UInt16] = []
        for (i, lower) in bounds.dropLast().enumerated() where lower >= 0x80 {
            _ = i
            starts.append(lower)
            classes.append(classOf(lower))
        }
        guard representatives.count < Int(UInt16.max) else { return nil }

        // Subset construction. State 0 is the start of the subject (where `^` holds).
        let inject = nfa.closure([start], atStart: false)
        var ids: [[Int32]: Int32] = [:]
        var sets: [[Int32]] = []
        var table: [Int32] = []
        func intern(_ set: [Int32]) -> Int32 {
            if let id = ids[set] { return id }
            let id = Int32(sets.count)
            ids[set] = id
            sets.append(set)
            return id
        }
        sets.append(nfa.closure([start], atStart: true))
        var work = 0
        // Construction costs about states × classes × NFA size: past this budget ICU is used instead
        // (a pattern of thousands of distinct literals would otherwise take seconds to compile).
        var budget = Self.constructionBudget
        while work < sets.count {
            guard sets.count <= Self.maxDFAStates else { return nil }
            budget -= representatives.count * nfa.kinds.count
            guard budget >= 0 else { return nil }
            let current = sets[work]
            for rep in representatives {
                var moved: [Int32] = []
                for s in current {
                    if case .set(let setIndex, let to) = nfa.kinds[Int(s)], nfa.sets[setIndex].contains(rep) {
                        moved.append(to)
                    }
                }
                let closed = nfa.closure(moved + inject, atStart: false)
                table.append(intern(closed))
            }
            work += 1
        }
        classCount = representatives.count
        asciiClass = ascii
        intervalStarts = starts
        intervalClass = classes
        next = table
        matched = sets.map { $0.contains(Int32(matchState)) }
        acceptsAtEnd = sets.enumerated().map { i, set in
            nfa.closure(set, atStart: i == 0, atEnd: true).contains(Int32(matchState))
        }
        dead = sets.map { $0.isEmpty && inject.isEmpty }
        var asciiNext = [UInt16](repeating: 0, count: sets.count << 7)
        for state in 0..<sets.count {
            for b in 0..<128 { asciiNext[state << 7 | b] = UInt16(table[state * representatives.count + Int(ascii[b])]) }
        }
        self.asciiNext = asciiNext
        stops = zip(matched, dead).map { $0 || $1 }
    }

    /// Whether the pattern matches somewhere in `subject`.
    public func matches(_ subject: String) -> Bool {
        var copy = subject
        return copy.withUTF8 { matches(utf8: $0) }
    }

    /// Whether the pattern matches somewhere in `utf8`, which must be valid UTF-8 (a JSON parser's output).
    public func matches(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool { matched[0] || run(bytes) }

    /// The DFA over the UTF-8 bytes of a valid string: ASCII bytes index the class table directly,
    /// longer sequences are decoded to their scalar.
    private func run(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        asciiNext.withUnsafeBufferPointer { asciiNext in
            stops.withUnsafeBufferPointer { stops in
                var state = 0
                var i = 0
                let n = bytes.count
                while i < n {
                    let b = bytes[i]
                    if b < 0x80 {
                        state = Int(asciiNext[state << 7 | Int(b)])
                        i += 1
                    } else {
                        var v: UInt32
                        if b < 0xE0 {
                            v = UInt32(b & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
                            i += 2
                        } else if b < 0xF0 {
                            v = UInt32(b & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
                            i += 3
                        } else {
                            v = UInt32(b & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                            v |= UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
                            i += 4
                        }
                        state = Int(next[state * classCount + classOf(v)])
                    }
                    if stops[state] { return matched[state] }
                }
                return acceptsAtEnd[state]
            }
        }
    }

    /// The class of a scalar above ASCII: the last interval whose start is <= v.
    private func classOf(_ v: UInt32) -> Int {
        var lo = 0
        var hi = intervalStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if intervalStarts[mid] <= v { lo = mid } else { hi = mid - 1 }
        }
        return Int(intervalClass[lo])
    }

    // MARK: - Syntax

    indirect enum Node {
        case set(ScalarSet)
        case concat([Node])
        case alternation([Node])
        case repetition(Node, min: Int, max: Int?)
        case start
        case end
    }

    /// A set of scalars as sorted, disjoint, non-adjacent closed ranges.
    struct ScalarSet: Hashable {
        var ranges: [ClosedRange<UInt32>]

        init(_ ranges: [ClosedRange<UInt32>]) {
            let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
            var merged: [ClosedRange<UInt32>] = []
            for r in sorted {
                if let last = merged.last, r.lowerBound <= last.upperBound &+ 1 {
                    merged[merged.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
                } else {
                    merged.append(r)
                }
            }
            self.ranges = merged
        }

        func contains(_ v: UInt32) -> Bool {
            var lo = 0
            var hi = ranges.count - 1
            while lo <= hi {
                let mid = (lo + hi) / 2
                if v < ranges[mid].lowerBound {
                    hi = mid - 1
                } else if v > ranges[mid].upperBound {
                    lo = mid + 1
                } else {
                    return true
                }
            }
            return false
        }

        var inverted: ScalarSet {
            var out: [ClosedRange<UInt32>] = []
            var from: UInt32 = 0
            for r in ranges {
                if r.lowerBound > from { out.append(from...(r.lowerBound - 1)) }
                from = r.upperBound + 1
            }
            if from <= 0x10FFFF { out.append(from...0x10FFFF) }
            return ScalarSet(out)
        }

        static let digit = ScalarSet([0x30...0x39])
        static let word = ScalarSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
        /// ECMA-262 WhiteSpace and LineTerminator.
        static let space = ScalarSet([
            0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029, 0x202F...0x202F,
            0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
        ])
        /// `.` without the `s` flag: everything but line terminators.
        static let dot = ScalarSet([0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029]).inverted
    }

    /// Recursive descent over the pattern; nil for anything outside the subset or malformed.
    struct Parser {
        let chars: [Unicode.Scalar]
        var pos = 0
        var depth = 0
        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        var peek: Unicode.Scalar? { pos < chars.count ? chars[pos] : nil }

        mutating func parse() -> Node? {
            guard let node = alternation(), pos == chars.count else { return nil }
            return node
        }

        mutating func alternation() -> Node? {
            depth += 1
            defer { depth -= 1 }
            guard depth < 100 else { return nil }
            var branches: [Node] = []
            guard let first = sequence() else { return nil }
            branches.append(first)
            while peek == "|" {
                pos += 1
                guard let b = sequence() else { return nil }
                branches.append(b)
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func sequence() -> Node? {
            var items: [Node] = []
            while let c = peek, c != "|", c != ")" {
                guard let a = atom() else { return nil }
                if let q = quantifier() {
                    guard let (min, max) = q else { return nil }
                    switch a {
                    case .start, .end: return nil
                    default: items.append(.repetition(a, min: min, max: max))
                    }
                } else {
                    items.append(a)
                }
            }
            return .concat(items)
        }

        /// nil: no quantifier; .some(nil): malformed.
        mutating func quantifier() -> (Int, Int?)?? {
            guard let c = peek else { return nil }
            var result: (Int, Int?)
            switch c {
            case "*": result = (0, nil)
            case "+": result = (1, nil)
            case "?": result = (0, 1)
            case "{":
                pos += 1
                guard let min = number() else { return .some(nil) }
                var max: Int? = min
                if peek == "," {
                    pos += 1
                    max = peek == "}" ? nil : number()
                    if max == nil && peek != "}" { return .some(nil) }
                }
                guard peek == "}" else { return .some(nil) }
                if let max, max < min { return .some(nil) }
                result = (min, max)
            default: return nil
            }
            pos += 1
            if peek == "?" { pos += 1 }  // lazy: the same language
            if let c = peek, c == "*" || c == "+" || c == "?" || c == "{" { return .some(nil) }
            return .some(result)
        }

        mutating func number() -> Int? {
            var n = 0
            var any = false
            while let c = peek, c >= "0", c <= "9" {
                n = n * 10 + Int(c.value - 48)
                guard n <= 1_000 else { return nil }
                any = true
                pos += 1
            }
            return any ? n : nil
        }

        static let syntax: Set<Unicode.Scalar> = ["^", "$", "\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "/"]

        mutating func atom() -> Node? {
            guard let c = peek else { return nil }
            pos += 1
            switch c {
            case "(":
                if peek == "?" {
                    guard pos + 1 < chars.count, chars[pos + 1] == ":" else { return nil }
                    pos += 2
                }
                guard let inner = alternation(), peek == ")" else { return nil }
                pos += 1
                return inner
            case "[": return characterClass()
            case ".": return .set(.dot)
            case "^": return .start
            case "$": return .end
            case "\\":
                guard let item = escape(inClass: false) else { return nil }
                return .set(item)
            case "*", "+", "?", "{", "}", "]", ")": return nil
            default: return .set(ScalarSet([c.value...c.value]))
            }
        }

        /// The escape after a backslash, as a set (a single scalar is a one-element set).
        mutating func escape(inClass: Bool) -> ScalarSet? {
            guard let e = peek else { return nil }
            pos += 1
            func one(_ v: UInt32) -> ScalarSet { ScalarSet([v...v]) }
            switch e {
            case "d": return .digit
            case "D": return ScalarSet.digit.inverted
            case "w": return .word
            case "W": return ScalarSet.word.inverted
            case "s": return .space
            case "S": return ScalarSet.space.inverted
            case "t": return one(0x09)
            case "n": return one(0x0A)
            case "v": return one(0x0B)
            case "f": return one(0x0C)
            case "r": return one(0x0D)
            case "0":
                if let d = peek, d >= "0", d <= "9" { return nil }
                return one(0)
            case "c":
                guard let l = peek, (l >= "a" && l <= "z") || (l >= "A" && l <= "Z") else { return nil }
                pos += 1
                return one(l.value % 32)
            case "x":
                guard let v = hex(2) else { return nil }
                return one(v)
            case "u":
                if peek == "{" {
                    pos += 1
                    var v: UInt32 = 0
                    var digits = 0
                    while let h = peek, h != "}" {
                        guard let d = Self.hexValue(h), digits < 8 else { return nil }
                        v = v * 16 + d
                        digits += 1
                        pos += 1
                    }
                    guard digits > 0, peek == "}", v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v) else { return nil }
                    pos += 1
                    return one(v)
                }
                guard let v = hex(4) else { return nil }
                if (0xD800...0xDBFF).contains(v) {
                    guard pos + 1 < chars.count, chars[pos] == "\\", chars[pos + 1] == "u" else { return nil }
                    pos += 2
                    guard let low = hex(4), (0xDC00...0xDFFF).contains(low) else { return nil }
                    return one(0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00))
                }
                guard !(0xD800...0xDFFF).contains(v) else { return nil }
                return one(v)
            case "b" where inClass: return one(0x08)
            case "-" where inClass: return one(0x2D)
            default:
                guard Self.syntax.contains(e) else { return nil }
                return one(e.value)
            }
        }

        mutating func hex(_ n: Int) -> UInt32? {
            var v: UInt32 = 0
            for _ in 0..<n {
                guard let h = peek, let d = Self.hexValue(h) else { return nil }
                v = v * 16 + d
                pos += 1
            }
            return v
        }

        static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
            switch c {
            case "0"..."9": return c.value - 48
            case "a"..."f": return c.value - 87
            case "A"..."F": return c.value - 55
            default: return nil
            }
        }

        mutating func characterClass() -> Node? {
            var negated = false
            if peek == "^" {
                negated = true
                pos += 1
            }
            var ranges: [ClosedRange<UInt32>] = []
            while true {
                guard let c = peek else { return nil }
                if c == "]" {
                    pos += 1
                    break
                }
                guard let (lowSet, lowSingle) = classAtom() else { return nil }
                if peek == "-", pos + 1 < chars.count, chars[pos + 1] != "]" {
                    pos += 1
                    guard let (_, highSingle) = classAtom(), let lo = lowSingle, let hi = highSingle, lo <= hi else {
                        return nil
                    }
                    ranges.append(lo...hi)
                } else {
                    ranges += lowSet.ranges
                }
            }
            let set = ScalarSet(ranges)
            return .set(negated ? set.inverted : set)
        }

        /// One class member: its set, and its scalar when it is a single one (a range end).
        mutating func classAtom() -> (ScalarSet, UInt32?)? {
            guard let c = peek else { return nil }
            pos += 1
            if c == "\\" {
                guard let e = peek else { return nil }
                let isClassEscape = "dDwWsS".unicodeScalars.contains(e)
                guard let set = escape(inClass: true) else { return nil }
                return (set, isClassEscape ? nil : set.ranges[0].lowerBound)
            }
            return (ScalarSet([c.value...c.value]), c.value)
        }
    }

    // MARK: - Automaton

    enum State {
        case set(Int, next: Int32)
        case split(Int32, Int32)
        case start(next: Int32)
        case end(next: Int32)
        case match
    }

    struct NFA {
        var kinds: [State] = []
        var sets: [ScalarSet] = []
        var setIndex: [ScalarSet: Int] = [:]

        mutating func add(_ s: State) -> Int32 {
            kinds.append(s)
            return Int32(kinds.count - 1)
        }

        /// Builds `node` so that it continues to `next`; returns its entry state (nil when too large).
        mutating func build(_ node: Node, next: Int32) -> Int32? {
            guard kinds.count <= LinearRegex.maxNFAStates else { return nil }
            switch node {
            case .set(let s):
                let i: Int
                if let known = setIndex[s] {
                    i = known
                } else {
                    i = sets.count
                    sets.append(s)
                    setIndex[s] = i
                }
                return add(.set(i, next: next))
            case .concat(let items):
                var entry = next
                for item in items.reversed() {
                    guard let e = build(item, next: entry) else { return nil }
                    entry = e
                }
                return entry
            case .alternation(let branches):
                var entries: [Int32] = []
                for b in branches {
                    guard let e = build(b, next: next) else { return nil }
                    entries.append(e)
                }
                var entry = entries[entries.count - 1]
                for e in entries.dropLast().reversed() { entry = add(.split(e, entry)) }
                return entry
            case .repetition(let inner, let min, let max):
                var entry = next
                if let max {
                    for _ in 0..<(max - min) {
                        guard let body = build(inner, next: entry) else { return nil }
                        entry = add(.split(body, next))
                    }
                } else {
                    let loop = add(.match)  // placeholder, patched below
                    guard let body = build(inner, next: loop) else { return nil }
                    kinds[Int(loop)] = .split(body, next)
                    entry = loop
                }
                for _ in 0..<min {
                    guard let body = build(inner, next: entry) else { return nil }
                    entry = body
                }
                return entry
            case .start: return add(.start(next: next))
            case .end: return add(.end(next: next))
            }
        }

        /// The states reachable from `from` without consuming a scalar, sorted: scalar-consuming
        /// states, the match state, and `$` states that could not pass (kept for the end check).
        func closure(_ from: [Int32], atStart: Bool, atEnd: Bool = false) -> [Int32] {
            var seen = [Bool](repeating: false, count: kinds.count)
            var stack = from
            var out: [Int32] = []
            while let s = stack.popLast() {
                if seen[Int(s)] { continue }
                seen[Int(s)] = true
                switch kinds[Int(s)] {
                case .set, .match: out.append(s)
                case .split(let a, let b):
                    stack.append(b)
                    stack.append(a)
                case .start(let n): if atStart { stack.append(n) }
                case .end(let n):
                    if atEnd { stack.append(n) } else { out.append(s) }
                }
            }
            return out.sorted()
        }
    }
}
