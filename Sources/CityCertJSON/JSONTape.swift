#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A parsed JSON text as a flat sequence of words, in document order: what the parser produces.
///
/// Every value takes two words. The first holds the kind (top 4 bits), a flag (bit 59) and the byte
/// offset of the value in the source (low 48 bits). The second depends on the kind:
/// - number: the nearest double's bits; the flag says the lexeme has no fraction and no exponent;
/// - string: the decoded UTF-8 length (low 32 bits); with the flag the bytes are in `arena` (the
///   string had escapes) starting at the high 32 bits, without it they are the source bytes after
///   the opening quote;
/// - array, object: the word index just past the container (high 32 bits) and its count (low 32 bits).
///   An object's members are a key (a string) followed by its value.
///
/// A tape costs no allocation per value and can be walked without building `JSONValue`s; `JSONDocument`
/// builds its tree from one, and the schema validator's fast path reads it directly.
public struct JSONTape: Sendable {
    public enum Kind: UInt8, Sendable {
        case null = 0, `false`, `true`, number, string, array, object
    }

    public internal(set) var words: [UInt64] = []
    /// Decoded bytes of the strings that had escapes.
    public internal(set) var arena: [UInt8] = []
    /// The source text.
    public internal(set) var source: [UInt8] = []
    /// Where the text starts in its file.
    public internal(set) var origin = SourceLocation(line: 1, column: 1, offset: 0)
    /// Member names that appear twice in an object: the object's pointer, the name and the byte offset
    /// of the later occurrence.
    var duplicates: [(object: JSONPointer, key: String, offset: Int)] = []
    /// Whether some object has a member name twice (`JSONDocument.duplicateKeys` lists them).
    public var hasDuplicateKeys: Bool { !duplicates.isEmpty }

    /// Only the parser makes tapes: a tape always holds at least the root value.
    init() {}

    /// Calls `body` with a view of the tape that reads its words and bytes without bounds checks.
    @inlinable public func withView<R>(_ body: (JSONTapeView) throws -> R) rethrows -> R {
        try words.withUnsafeBufferPointer { w in
            try source.withUnsafeBufferPointer { s in
                try arena.withUnsafeBufferPointer { a in try body(JSONTapeView(words: w, source: s, arena: a)) }
            }
        }
    }

    /// The tree for the whole text.
    public func root() -> JSONValue { withView { $0.value(at: 0) } }
}

/// Read access to a `JSONTape`, valid inside `JSONTape.withView`. Positions are word indices; the root
/// is at 0.
public struct JSONTapeView {
    public let words: UnsafeBufferPointer<UInt64>
    public let source: UnsafeBufferPointer<UInt8>
    public let arena: UnsafeBufferPointer<UInt8>

    @inlinable init(words: UnsafeBufferPointer<UInt64>, source: UnsafeBufferPointer<UInt8>, arena: UnsafeBufferPointer<UInt8>) {
        self.words = words
        self.source = source
        self.arena = arena
    }

    @usableFromInline static let offsetMask: UInt64 = (1 << 48) - 1
    @usableFromInline static let flag: UInt64 = 1 << 59

    @inlinable public func kind(_ i: Int) -> JSONTape.Kind {
        // The parser writes only the kinds' raw values (0...6) in the top bits.
        unsafeBitCast(UInt8(truncatingIfNeeded: words[i] >> 60), to: JSONTape.Kind.self)
    }

    /// Byte offset of the value in the source.
    @inlinable public func offset(_ i: Int) -> Int { Int(truncatingIfNeeded: words[i] & Self.offsetMask) }

    /// The position just past the value at `i` (its next sibling, if any).
    @inlinable public func next(_ i: Int) -> Int {
        switch kind(i) {
        case .array, .object: return Int(truncatingIfNeeded: words[i + 1] >> 32)
        default: return i + 2
        }
    }

    /// Elements of an array, members of an object.
    @inlinable public func count(_ i: Int) -> Int { Int(truncatingIfNeeded: words[i + 1] & 0xFFFF_FFFF) }

    /// The decoded UTF-8 bytes of the string at `i`.
    @inlinable public func bytes(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let w = words[i + 1]
        let length = Int(truncatingIfNeeded: w & 0xFFFF_FFFF)
        if words[i] & Self.flag != 0 {
            return UnsafeBufferPointer(
                start: arena.baseAddress.unsafelyUnwrapped + Int(truncatingIfNeeded: w >> 32), count: length)
        }
        return UnsafeBufferPointer(start: source.baseAddress.unsafelyUnwrapped + offset(i) + 1, count: length)
    }

    /// The nearest double of the number at `i`.
    @inlinable public func double(_ i: Int) -> Double { Double(bitPattern: words[i + 1]) }

    /// Whether the number at `i` is written without fraction and exponent.
    @inlinable public func isIntegerLexeme(_ i: Int) -> Bool { words[i] & Self.flag != 0 }

    /// The source bytes of the number at `i`, exactly as written.
    public func lexeme(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let start = offset(i)
        var end = start + 1
        while end < source.count {
            switch source[end] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
                UInt8(ascii: "+"), UInt8(ascii: "-"):
                end += 1
            default: return UnsafeBufferPointer(rebasing: source[start..<end])
            }
        }
        return UnsafeBufferPointer(rebasing: source[start..<end])
    }

    /// The number at `i`, with its exact lexeme.
    public func number(_ i: Int) -> JSONNumber {
        JSONNumber(lexeme: String(decoding: lexeme(i), as: UTF8.self), double: double(i))
    }

    /// The string at `i` (its bytes are valid UTF-8: the parser checked them).
    public func string(_ i: Int) -> String { String(decoding: bytes(i), as: UTF8.self) }

    /// Whether the string at `i` has exactly the code points of `bytes`.
    public func stringEquals(_ i: Int, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        let b = bytes(i)
        return b.count == other.count && (b.count == 0 || memcmp(b.baseAddress!, other.baseAddress!, b.count) == 0)
    }

    /// The signature (length, first and last byte) of the string at `i`, as `JSONObject.signature` computes it.
    @inlinable public func signature(_ i: Int) -> UInt32 { JSONObject.signature(bytes(i)) }

    /// The tree of the value at `i`.
    public func value(at i: Int) -> JSONValue {
        switch kind(i) {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .number: return .number(number(i))
        case .string: return .string(string(i))
        case .array:
            let n = count(i)
            var elements: [JSONValue] = []
            elements.reserveCapacity(n)
            var j = i + 2
            for _ in 0..<n {
                elements.append(value(at: j))
                j = next(j)
            }
            return .array(elements)
        case .object:
            let n = count(i)
            var entries: [(key: String, value: JSONValue)] = []
            entries.reserveCapacity(n)
            var signatures: [UInt32] = []
            let signed = n > JSONObject.signatureThreshold && n <= JSONObject.indexThreshold
            if signed { signatures.reserveCapacity(n) }
            var j = i + 2
            for _ in 0..<n {
                if signed { signatures.append(signature(j)) }
                entries.append((key: string(j), value: value(at: j + 2)))
                j = next(j + 2)
            }
            var positions: [CodePointKey: Int]? = nil
            if n > JSONObject.indexThreshold {
                var index = [CodePointKey: Int](minimumCapacity: n)
                for (k, e) in entries.enumerated() { index[CodePointKey(e.key)] = k }
                positions = index
            }
            return .object(JSONObject(entries: entries, positions: positions, signatures: signatures))
        }
    }

    /// Position of the value of member `key` in the object at `i` (the last occurrence), or nil.
    public func member(_ i: Int, _ key: String) -> Int? {
        var key = key
        return key.withUTF8 { k in
            var found: Int? = nil
            var j = i + 2
            for _ in 0..<count(i) {
                if stringEquals(j, k) { found = j + 2 }
                j = next(j + 2)
            }
            return found
        }
    }

    /// The pointer tokens from the root to each value in `targets` (positions of values on a finished
    /// tape), in the order given: one walk for all of them, which descends only into the containers that
    /// hold a target.
    func paths(to targets: [Int]) -> [[String]] {
        let order = targets.indices.sorted { targets[$0] < targets[$1] }
        var result = [[String]](repeating: [], count: targets.count)
        var k = 0
        var tokens: [String] = []
        func visit(_ i: Int) {
            while k < order.count && targets[order[k]] == i {
                result[order[k]] = tokens
                k += 1
            }
            let end = next(i)
            var j = i + 2
            switch kind(i) {
            case .array:
                for index in 0..<count(i) {
                    guard k < order.count, targets[order[k]] < end else { return }
                    let after = next(j)
                    if targets[order[k]] < after {
                        tokens.append(String(index))
                        visit(j)
                        tokens.removeLast()
                    }
                    j = after
                }
            case .object:
                for _ in 0..<count(i) {
                    guard k < order.count, targets[order[k]] < end else { return }
                    let after = next(j + 2)
                    if targets[order[k]] < after {
                        tokens.append(string(j))
                        visit(j + 2)
                        tokens.removeLast()
                    }
                    j = after
                }
            default:
                return
            }
        }
        if !targets.isEmpty { visit(0) }
        return result
    }

    /// Position of element `index` of the array at `i`, or nil.
    public func element(_ i: Int, _ index: Int) -> Int? {
        guard index >= 0, index < count(i) else { return nil }
        var j = i + 2
        for _ in 0..<index { j = next(j) }
        return j
    }
}

/// UTF-8 validation on bytes (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
enum UTF8Check {
    /// Offset of the first byte that does not start a valid sequence, or nil when all are valid.
    static func firstInvalid(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            @inline(__always) func cont(_ k: Int) -> Bool { i + k < n && b[i + k] & 0xC0 == 0x80 }
            if c < 0xC2 { return i }
            if c < 0xE0 {
                guard cont(1) else { return i }
                i += 2
            } else if c < 0xF0 {
                guard i + 1 < n else { return i }
                let c1 = b[i + 1]
                let lo: UInt8 = c == 0xE0 ? 0xA0 : 0x80
                let hi: UInt8 = c == 0xED ? 0x9F : 0xBF
                guard c1 >= lo, c1 <= hi, cont(2) else { return i }
                i += 3
            } else if c < 0xF5 {
                guard i + 1 < n else { return i }
                let c1 = b[i + 1]
                let lo: UInt8 = c == 0xF0 ? 0x90 : 0x80
                let hi: UInt8 = c == 0xF4 ? 0x8F : 0xBF
                guard c1 >= lo, c1 <= hi, cont(2), cont(3) else { return i }
                i += 4
            } else {
                return i
            }
        }
        return nil
    }
}
