#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A JSON value as RFC 8259 defines it, with exact numbers and objects that keep their key order.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name as JSON Schema spells it (`integer` is reported as `number`).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The element at `index` of an array, or nil.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let a) = self, index >= 0, index < a.count { return a[index] }
        return nil
    }

    /// Convenience constructors for code that builds JSON.
    public static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
    public static func double(_ value: Double) -> JSONValue { .number(JSONNumber(value)) }
    public static func object(_ pairs: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(pairs)) }

    /// JSON equality as JSON Schema and JSONPath define it: numbers compare by value (`1.0 == 1`),
    /// objects compare member sets regardless of order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        // Code-point equality: Swift's `==` on String applies canonical equivalence, JSON does not.
        case (.string(let a), .string(let b)): return JSONValue.sameCodePoints(a, b)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }

    /// Whether two strings have the same code points (same UTF-8 bytes), compared as memory.
    static func sameCodePoints(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }

    public func hash(into hasher: inout Hasher) {
        // A type tag first, and lengths before contents, so that different values of different shapes
        // (["ab","c"] and ["a","bc"], null and [], false and "\u{0}") do not feed the same bytes.
        switch self {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let b):
            hasher.combine(1 as UInt8)
            hasher.combine(b)
        case .number(let n):
            hasher.combine(2 as UInt8)
            hasher.combine(n)
        case .string(let s):
            hasher.combine(3 as UInt8)
            hasher.combine(s.utf8.count)
            for b in s.utf8 { hasher.combine(b) }
        case .array(let a):
            hasher.combine(4 as UInt8)
            hasher.combine(a.count)
            for e in a { hasher.combine(e) }
        case .object(let o):
            hasher.combine(5 as UInt8)
            hasher.combine(o)
        }
    }
}

/// A member name compared and hashed by its code points (its UTF-8 bytes), as JSON compares names:
/// Swift's `String` equality would also merge canonically equivalent names ("é" and "e\u{301}").
public struct CodePointKey: Hashable, Sendable {
    public let string: String
    public init(_ string: String) { self.string = string }

    public static func == (lhs: CodePointKey, rhs: CodePointKey) -> Bool { JSONValue.sameCodePoints(lhs.string, rhs.string) }

    public func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// A JSON object: members in source order. Duplicate keys are kept in `entries` (the parser reports them);
/// lookup by key returns the last occurrence, as ECMAScript `JSON.parse` does.
public struct JSONObject: Sendable, Hashable, Sequence {
    public private(set) var entries: [(key: String, value: JSONValue)]
    private var index: IndexBox?
    /// For objects of more than `signatureThreshold` members without a hash index: each key's
    /// signature (UTF-8 length, first and last byte), so a lookup compares integers before strings.
    private var signatures: [UInt32] = []

    private final class IndexBox: @unchecked Sendable {
        let positions: [CodePointKey: Int]
        init(_ positions: [CodePointKey: Int]) { self.positions = positions }
    }

    /// Objects with more members than this get a hash index; smaller ones are searched linearly
    /// (a length check rejects most keys before any byte is compared).
    static let indexThreshold = 48

    public init(_ pairs: [(String, JSONValue)] = []) {
        entries = pairs.map { (key: $0.0, value: $0.1) }
        index = nil
        rebuildIndex()
    }

    /// Takes the members as they are (the parser builds them in this shape: no copy).
    public init(entries: [(key: String, value: JSONValue)]) {
        self.entries = entries
        index = nil
        rebuildIndex()
    }

    /// For the parser: members plus the key index or signatures it already built (last occurrence wins).
    init(entries: [(key: String, value: JSONValue)], positions: [CodePointKey: Int]?, signatures: [UInt32] = []) {
        self.entries = entries
        index = positions.map(IndexBox.init)
        if positions == nil && entries.count > Self.signatureThreshold { self.signatures = signatures }
    }

    static let signatureThreshold = 8

    /// The signature of a key: UTF-8 length, first and last byte.
    @inline(__always) public static func signature(_ key: String) -> UInt32 {
        let u = key.utf8
        guard let first = u.first, let last = u.last else { return 0 }
        return signature(length: u.count, first: first, last: last)
    }

    /// The same signature from a key's decoded UTF-8 bytes (the parser, the tape and name tables have them).
    @inlinable public static func signature(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard let first = bytes.first, let last = bytes.last else { return 0 }
        return signature(length: bytes.count, first: first, last: last)
    }

    @inlinable static func signature(length: Int, first: UInt8, last: UInt8) -> UInt32 {
        UInt32(truncatingIfNeeded: length) << 16 | UInt32(first) << 8 | UInt32(last)
    }

    private mutating func rebuildIndex() {
        signatures = []
        guard entries.count > Self.indexThreshold else {
            index = nil
            if entries.count > Self.signatureThreshold { signatures = entries.map { Self.signature($0.key) } }
            return
        }
        var positions = [CodePointKey: Int](minimumCapacity: entries.count)
        for (i, e) in entries.enumerated() { positions[CodePointKey(e.key)] = i }
        index = IndexBox(positions)
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    /// Position in `entries` of the member that lookups by `key` see (the last one with that key).
    public func position(of key: String) -> Int? {
        if let index { return index.positions[CodePointKey(key)] }
        if !signatures.isEmpty { return position(of: key, signature: Self.signature(key)) }
        let length = key.utf8.count
        var i = entries.count - 1
        while i >= 0 {
            if entries[i].key.utf8.count == length, JSONValue.sameCodePoints(entries[i].key, key) { return i }
            i -= 1
        }
        return nil
    }

    /// `position(of:)` for a caller that computed the key's `signature(_:)` once (a schema's property names).
    public func position(of key: String, signature: UInt32) -> Int? {
        if let index { return index.positions[CodePointKey(key)] }
        guard !signatures.isEmpty else { return position(of: key) }
        return signatures.withUnsafeBufferPointer { sigs in
            // Eight signatures per comparison, from the end (the last occurrence of a key wins).
            let raw = UnsafeRawPointer(sigs.baseAddress!)
            let wanted = SIMD8<UInt32>(repeating: signature)
            var end = sigs.count
            while end >= 8 {
                let block = raw.loadUnaligned(fromByteOffset: (end - 8) * 4, as: SIMD8<UInt32>.self)
                if any(block .== wanted) {
                    for i in stride(from: end - 1, through: end - 8, by: -1)
                    where sigs[i] == signature && JSONValue.sameCodePoints(entries[i].key, key) {
                        return i
                    }
                }
                end -= 8
            }
            var i = end - 1
            while i >= 0 {
                if sigs[i] == signature, JSONValue.sameCodePoints(entries[i].key, key) { return i }
                i -= 1
            }
            return nil
        }
    }

    /// The member `key`, with its precomputed signature.
    public func value(forKey key: String, signature: UInt32) -> JSONValue? {
        guard let p = position(of: key, signature: signature) else { return nil }
        return entries[p].value
    }

    public subscript(key: String) -> JSONValue? {
        get {
            guard let p = position(of: key) else { return nil }
            return entries[p].value
        }
        set {
            if let p = position(of: key) {
                if let newValue { entries[p].value = newValue } else { entries.remove(at: p); rebuildIndex() }
            } else if let newValue {
                entries.append((key: key, value: newValue))
                if index == nil && !signatures.isEmpty && entries.count <= Self.indexThreshold {
                    signatures.append(Self.signature(key))
                } else {
                    rebuildIndex()
                }
            }
        }
    }

    /// The members with duplicates collapsed to the last occurrence, in first-appearance order.
    public var uniqueEntries: [(key: String, value: JSONValue)] {
        var seen = Set<CodePointKey>()
        var result: [(key: String, value: JSONValue)] = []
        for e in entries where seen.insert(CodePointKey(e.key)).inserted {
            result.append((key: e.key, value: self[e.key]!))
        }
        return result
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        entries.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        let l = lhs.uniqueEntries
        let r = rhs.uniqueEntries
        guard l.count == r.count else { return false }
        for e in l {
            guard let other = rhs[e.key], other == e.value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine per-member hashes commutatively.
        var acc = 0
        for e in uniqueEntries {
            var h = Hasher()
            h.combine(e.key)
            h.combine(e.value)
            acc ^= h.finalize()
        }
        hasher.combine(acc)
    }
}
