import Synchronization

/// Limits that keep hostile input from exhausting the stack or memory.
public struct JSONParseOptions: Sendable {
    /// Deepest nesting of arrays and objects accepted.
    public var maxDepth: Int = 512
    /// Longest number lexeme accepted, in bytes.
    public var maxNumberLength: Int = 4096
    /// Longest string accepted, in bytes after unescaping.
    public var maxStringBytes: Int = 64 << 20
    /// Whether the parser records a byte offset for every value (needed for `JSONDocument.location`).
    public var recordLocations: Bool = true

    public init() {}
}

/// A syntax or limit error, located in the source.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let location: SourceLocation

    public init(message: String, location: SourceLocation) {
        self.message = message
        self.location = location
    }

    public var description: String { "\(location): \(message)" }
}

/// A key that appears more than once in the same object.
public struct DuplicateKey: Sendable, Hashable {
    /// Pointer to the object holding the key.
    public let object: JSONPointer
    public let key: String
    /// Location of the second (or later) occurrence.
    public let location: SourceLocation
}

/// A parsed JSON text: the value plus what is needed to locate any of its values in the source.
public struct JSONDocument: Sendable {
    public let root: JSONValue
    public let duplicateKeys: [DuplicateKey]
    public let lines: LineIndex
    /// Byte offset of every value, in pre-order (root first, then members/elements depth first).
    let offsets: [Int]
    /// Subtree sizes in the same pre-order, computed on the first lookup (so locating many findings
    /// in one large document stays linear).
    private let sizes = SubtreeSizes()

    private final class SubtreeSizes: Sendable {
        let value = Mutex<[Int]?>(nil)
    }

    /// Parses `bytes` strictly per RFC 8259.
    public init(
        bytes: [UInt8], options: JSONParseOptions = JSONParseOptions(),
        origin: SourceLocation = SourceLocation(line: 1, column: 1, offset: 0)
    ) throws(JSONParseError) {
        let lines = LineIndex(bytes: bytes, origin: origin)
        var parser = JSONParser(options: options)
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buf in
            parser.buffer = buf
            do throws(JSONParseError) {
                return .success(try parser.parseDocument(lines: lines))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let value): root = value
        case .failure(let error): throw error
        }
        self.lines = lines
        self.offsets = parser.offsets
        self.duplicateKeys = parser.duplicates.map {
            DuplicateKey(object: $0.object, key: $0.key, location: lines.location(ofOffset: $0.offset))
        }
    }

    public init(string: String, options: JSONParseOptions = JSONParseOptions()) throws(JSONParseError) {
        try self.init(bytes: Array(string.utf8), options: options)
    }

    /// Byte offset (relative to this document's bytes) of the value at `pointer`, if it exists.
    public func offset(of pointer: JSONPointer) -> Int? {
        guard !offsets.isEmpty else { return nil }
        let sizes = self.sizes.value.withLock { cached in
            if let cached { return cached }
            var computed: [Int] = []
            computed.reserveCapacity(offsets.count)
            _ = Self.fillSizes(root, &computed)
            cached = computed
            return computed
        }
        var value = root
        var index = 0
        for token in pointer.tokens {
            switch value {
            case .object(let object):
                guard let position = object.position(of: token) else { return nil }
                index += 1
                for _ in 0..<position { index += sizes[index] }
                value = object.entries[position].value
            case .array(let array):
                guard let i = JSONPointer.arrayIndex(token), i < array.count else { return nil }
                index += 1
                for _ in 0..<i { index += sizes[index] }
                value = array[i]
            default:
                return nil
            }
        }
        return index < offsets.count ? offsets[index] : nil
    }

    /// Appends the pre-order subtree sizes of `value`; returns its own size.
    static func fillSizes(_ value: JSONValue, _ sizes: inout [Int]) -> Int {
        let i = sizes.count
        sizes.append(1)
        var n = 1
        switch value {
        case .array(let a): for e in a { n += fillSizes(e, &sizes) }
        case .object(let o): for e in o.entries { n += fillSizes(e.value, &sizes) }
        default: break
        }
        sizes[i] = n
        return n
    }

    /// The source location of the value at `pointer`; nil if there is no such value.
    public func location(of pointer: JSONPointer) -> SourceLocation? {
        offset(of: pointer).map { lines.location(ofOffset: $0) }
    }

}

extension JSONValue {
    /// Parses a JSON text, throwing on any deviation from RFC 8259.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var options = JSONParseOptions()
        options.recordLocations = false
        return try JSONDocument(bytes: Array(text.utf8), options: options).root
    }

    public static func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var options = JSONParseOptions()
        options.recordLocations = false
        return try JSONDocument(bytes: bytes, options: options).root
    }
}

struct JSONParser {
    let options: JSONParseOptions
    var buffer: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0)
    var pos = 0
    var depth = 0
    var offsets: [Int] = []
    var duplicates: [(object: JSONPointer, key: String, offset: Int)] = []
    var lines: LineIndex?
    var scratch: [UInt8] = []
    /// Signature (decoded length, first and last byte) of the string `parseString` returned last.
    var lastSignature: UInt32 = 0
    /// Members and elements of the containers being parsed, innermost last: each container takes its
    /// own exactly sized array from here when it closes, so arrays never grow by doubling.
    var memberStack: [(key: String, value: JSONValue)] = []
    var keyOffsetStack: [Int] = []
    var signatureStack: [UInt32] = []
    var elementStack: [JSONValue] = []
    /// Path to the current container, only materialized when a duplicate key is found.
    var pathTokens: [PathComponent] = []

    /// A step of the path to the current container: plain integers (no string is kept per member);
    /// a key is decoded again from its source offset only when a duplicate needs the path.
    enum PathComponent {
        case keyAt(Int)
        case index(Int)
    }

    init(options: JSONParseOptions) {
        self.options = options
        // Room for typical documents, so the stacks do not grow by doubling for each document.
        memberStack.reserveCapacity(64)
        keyOffsetStack.reserveCapacity(64)
        signatureStack.reserveCapacity(64)
        elementStack.reserveCapacity(64)
        if options.recordLocations { offsets.reserveCapacity(128) }
    }

    mutating func parseDocument(lines: LineIndex) throws(JSONParseError) -> JSONValue {
        self.lines = lines
        skipWhitespace()
        if pos >= buffer.count { throw error("empty input: expected a JSON value") }
        let value = try parseValue()
        skipWhitespace()
        if pos < buffer.count { throw error("unexpected \(describe(buffer[pos])) after the JSON value") }
        return value
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let location = lines?.location(ofOffset: offset ?? pos) ?? SourceLocation(line: 1, column: 1, offset: pos)
        return JSONParseError(message: message, location: location)
    }

    func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    @inline(__always) mutating func skipWhitespace() {
        while pos < buffer.count {
            switch buffer[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        if options.recordLocations { offsets.append(pos) }
        guard pos < buffer.count else { throw error("unexpected end of input: expected a value") }
        switch buffer[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw error("NaN and Infinity are not JSON numbers")
        case UInt8(ascii: "/"):
            throw error("comments are not allowed in JSON")
        case UInt8(ascii: "'"):
            throw error("strings must use double quotes")
        default:
            throw error("unexpected \(describe(buffer[pos])): expected a value")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        let p = literal.utf8Start
        guard pos + n <= buffer.count else { throw error("invalid literal: expected '\(literal)'") }
        for i in 0..<n where buffer[pos + i] != p[i] {
            throw error("invalid literal: expected '\(literal)'")
        }
        pos += n
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > options.maxDepth { throw error("nesting deeper than \(options.maxDepth) levels") }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        pos += 1
        skipWhitespace()
        if pos < buffer.count, buffer[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array([])
        }
        let base = elementStack.count
        while true {
            skipWhitespace()
            if pos < buffer.count, buffer[pos] == UInt8(ascii: "]") { throw error("trailing comma in array") }
            pathTokens.append(.index(elementStack.count - base))
            let element = try parseValue()
            elementStack.append(element)
            pathTokens.removeLast()
            skipWhitespace()
            guard pos < buffer.count else { throw error("unexpected end of input: expected ',' or ']'") }
            let c = buffer[pos]
            pos += 1
            if c == UInt8(ascii: "]") { break }
            if c != UInt8(ascii: ",") { throw error("unexpected \(describe(c)) in array: expected ',' or ']'", at: pos - 1) }
        }
        depth -= 1
        let elements = Array(elementStack[base...])
        elementStack.removeSubrange(base...)
        return .array(elements)
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        pos += 1
        skipWhitespace()
        if pos < buffer.count, buffer[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object(JSONObject(entries: [], positions: nil))
        }
        let base = memberStack.count
        // Keys are pushed before their values are parsed, so the key stacks have their own base.
        let keyBase = keyOffsetStack.count
        while true {
            skipWhitespace()
            guard pos < buffer.count else { throw error("unexpected end of input: expected a member name") }
            if buffer[pos] == UInt8(ascii: "}") { throw error("trailing comma in object") }
            guard buffer[pos] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describe(buffer[pos])): member names must be double-quoted strings")
            }
            keyOffsetStack.append(pos)
            let key = try parseString()
            signatureStack.append(lastSignature)
            skipWhitespace()
            guard pos < buffer.count, buffer[pos] == UInt8(ascii: ":") else {
                throw error("expected ':' after member name")
            }
            pos += 1
            skipWhitespace()
            pathTokens.append(.keyAt(keyOffsetStack[keyOffsetStack.count - 1]))
            let value = try parseValue()
            pathTokens.removeLast()
            memberStack.append((key: key, value: value))
            skipWhitespace()
            guard pos < buffer.count else { throw error("unexpected end of input: expected ',' or '}'") }
            let c = buffer[pos]
            pos += 1
            if c == UInt8(ascii: "}") { break }
            if c != UInt8(ascii: ",") { throw error("unexpected \(describe(c)) in object: expected ',' or '}'", at: pos - 1) }
        }
        depth -= 1
        let entries = Array(memberStack[base...])
        memberStack.removeSubrange(base...)
        defer {
            keyOffsetStack.removeSubrange(keyBase...)
            signatureStack.removeSubrange(keyBase...)
        }
        // Duplicate keys: a pairwise check for small objects, else the key index (needed anyway).
        var positions: [CodePointKey: Int]? = nil
        if entries.count <= JSONObject.indexThreshold {
            // Pairwise over the signatures (decoded length, first and last byte); equal ones compare the keys.
            for i in 1..<entries.count {
                let sig = signatureStack[keyBase + i]
                for j in 0..<i
                where signatureStack[keyBase + j] == sig && JSONValue.sameCodePoints(entries[j].key, entries[i].key) {
                    reportDuplicate(entries[i].key, keyOffsetStack[keyBase + i])
                    break
                }
            }
        } else {
            var index = [CodePointKey: Int](minimumCapacity: entries.count)
            for (i, e) in entries.enumerated() where index.updateValue(i, forKey: CodePointKey(e.key)) != nil {
                reportDuplicate(e.key, keyOffsetStack[keyBase + i])
            }
            positions = index
        }
        let signatures =
            positions == nil && entries.count > JSONObject.signatureThreshold
            ? Array(signatureStack[keyBase...]) : []
        return .object(JSONObject(entries: entries, positions: positions, signatures: signatures))
    }

    mutating func reportDuplicate(_ key: String, _ offset: Int) {
        var tokens: [String] = []
        for component in pathTokens {
            switch component {
            case .index(let i): tokens.append(String(i))
            case .keyAt(let at): tokens.append(keyText(at: at))
            }
        }
        duplicates.append((JSONPointer(tokens: tokens), key, offset))
    }

    /// The member name whose opening quote is at `offset` (parsed successfully before).
    mutating func keyText(at offset: Int) -> String {
        let (savedPos, savedSignature) = (pos, lastSignature)
        defer { (pos, lastSignature) = (savedPos, savedSignature) }
        pos = offset
        return (try? parseString()) ?? ""
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = pos
        if buffer[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < buffer.count, isDigit(buffer[pos]) else { throw error("invalid number: expected a digit") }
        if buffer[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < buffer.count, isDigit(buffer[pos]) { throw error("invalid number: leading zeros are not allowed") }
        } else {
            try scanDigits(from: start)
        }
        if pos < buffer.count, buffer[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < buffer.count, isDigit(buffer[pos]) else { throw error("invalid number: expected a digit after '.'") }
            try scanDigits(from: start)
        }
        if pos < buffer.count, buffer[pos] == UInt8(ascii: "e") || buffer[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < buffer.count, buffer[pos] == UInt8(ascii: "+") || buffer[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < buffer.count, isDigit(buffer[pos]) else {
                throw error("invalid number: expected a digit in the exponent")
            }
            try scanDigits(from: start)
        }
        let bytes = UnsafeBufferPointer(rebasing: buffer[start..<pos])
        let lexeme = String(decoding: bytes, as: UTF8.self)
        return JSONNumber(lexeme: lexeme, double: JSONNumber.nearestDouble(bytes) ?? JSONNumber.slowDouble(lexeme))
    }

    /// Skips digits, stopping with an error as soon as the number grows past the length limit.
    @inline(__always) mutating func scanDigits(from start: Int) throws(JSONParseError) {
        let limit = min(buffer.count, start + options.maxNumberLength + 1)
        while pos < limit, isDigit(buffer[pos]) { pos += 1 }
        if pos - start > options.maxNumberLength {
            throw error("number literal exceeds the limit of \(options.maxNumberLength) bytes", at: start)
        }
    }

    @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    mutating func parseString() throws(JSONParseError) -> String {
        let quote = pos
        pos += 1
        let start = pos
        var ascii = true
        // Eight bytes at a time while none is a quote, a backslash or a control character.
        if let base = buffer.baseAddress {
            let raw = UnsafeRawPointer(base)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while pos + 8 <= buffer.count {
                let x = raw.loadUnaligned(fromByteOffset: pos, as: UInt64.self)
                let quote = x ^ (ones &* 0x22)
                let backslash = x ^ (ones &* 0x5C)
                let special =
                    ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((x &- ones &* 0x20) & ~x)
                if special & highs != 0 { break }
                if x & highs != 0 { ascii = false }
                pos += 8
            }
        }
        // Byte by byte to the end (also the fast path: no escapes).
        while pos < buffer.count {
            let b = buffer[pos]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: buffer[start..<pos])
                pos += 1
                if slice.count > options.maxStringBytes {
                    throw error("string longer than \(options.maxStringBytes) bytes", at: quote)
                }
                lastSignature = JSONObject.signature(slice)
                if ascii { return String(decoding: slice, as: UTF8.self) }
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw error("invalid UTF-8 in string", at: firstInvalidUTF8(start, pos - 1))
                }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("unescaped control character \(describe(b)) in string") }
            if b >= 0x80 { ascii = false }
            pos += 1
        }
        guard pos < buffer.count else { throw error("unterminated string", at: quote) }
        // Slow path with escapes.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<pos]))
        while true {
            guard pos < buffer.count else { throw error("unterminated string", at: quote) }
            let b = buffer[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                break
            }
            if b < 0x20 { throw error("unescaped control character \(describe(b)) in string") }
            if b == UInt8(ascii: "\\") {
                pos += 1
                guard pos < buffer.count else { throw error("unterminated escape", at: pos - 1) }
                let e = buffer[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): scratch.append(0x22)
                case UInt8(ascii: "\\"): scratch.append(0x5C)
                case UInt8(ascii: "/"): scratch.append(0x2F)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    let escStart = pos - 2
                    var code = try hex4()
                    if code >= 0xD800 && code <= 0xDBFF {
                        guard pos + 1 < buffer.count, buffer[pos] == UInt8(ascii: "\\"), buffer[pos + 1] == UInt8(ascii: "u")
                        else {
                            throw error("lone high surrogate \\u\(String(code, radix: 16, uppercase: true))", at: escStart)
                        }
                        pos += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low <= 0xDFFF else {
                            throw error("high surrogate not followed by a low surrogate", at: escStart)
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if code >= 0xDC00 && code <= 0xDFFF {
                        throw error("lone low surrogate \\u\(String(code, radix: 16, uppercase: true))", at: escStart)
                    }
                    appendUTF8(code)
                default:
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: pos - 2)
                }
            } else {
                scratch.append(b)
                pos += 1
            }
            if scratch.count > options.maxStringBytes {
                throw error("string longer than \(options.maxStringBytes) bytes", at: quote)
            }
        }
        guard let s = String(validating: scratch, as: UTF8.self) else {
            throw error("invalid UTF-8 in string", at: quote)
        }
        lastSignature = scratch.withUnsafeBufferPointer { JSONObject.signature($0) }
        return s
    }

    func firstInvalidUTF8(_ from: Int, _ to: Int) -> Int {
        var i = from
        while i < to {
            let b = buffer[i]
            let n: Int
            if b < 0x80 {
                n = 1
            } else if b & 0xE0 == 0xC0 {
                n = 2
            } else if b & 0xF0 == 0xE0 {
                n = 3
            } else if b & 0xF8 == 0xF0 {
                n = 4
            } else {
                return i
            }
            if n > 1 {
                if i + n > to { return i }
                let slice = UnsafeBufferPointer(rebasing: buffer[i..<(i + n)])
                if String(validating: slice, as: UTF8.self) == nil { return i }
            }
            i += n
        }
        return from
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= buffer.count else { throw error("incomplete \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buffer[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    mutating func appendUTF8(_ code: UInt32) {
        if code < 0x80 {
            scratch.append(UInt8(code))
        } else if code < 0x800 {
            scratch.append(UInt8(0xC0 | (code >> 6)))
            scratch.append(UInt8(0x80 | (code & 0x3F)))
        } else if code < 0x10000 {
            scratch.append(UInt8(0xE0 | (code >> 12)))
            scratch.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (code & 0x3F)))
        } else {
            scratch.append(UInt8(0xF0 | (code >> 18)))
            scratch.append(UInt8(0x80 | ((code >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (code & 0x3F)))
        }
    }
}
