/// Limits that keep hostile input from exhausting the stack or memory.
public struct JSONParseOptions: Sendable {
    /// Deepest nesting of arrays and objects accepted.
    public var maxDepth: Int = 512
    /// Longest number lexeme accepted, in bytes.
    public var maxNumberLength: Int = 4096
    /// Longest string accepted, in bytes after unescaping (at most 4 GiB: the tape's length field).
    public var maxStringBytes: Int = 64 << 20
    /// Whether a `JSONDocument` keeps its tape, which holds every value's byte offset (needed for
    /// `JSONDocument.location`).
    public var recordLocations: Bool = true

    public init() {}
}

/// A syntax or limit error, located in the source.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let location: SourceLocation
    /// The text may be valid JSON, but passes a limit of the parser (nesting, string or number length,
    /// document size): a harness limit, not a fault of the data.
    public let isLimit: Bool

    public init(message: String, location: SourceLocation, isLimit: Bool = false) {
        self.message = message
        self.location = location
        self.isLimit = isLimit
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
    /// The parser's tape (which holds every value's source offset), kept when locations are recorded.
    public let tape: JSONTape?

    /// Parses `bytes` strictly per RFC 8259.
    public init(
        bytes: [UInt8], options: JSONParseOptions = JSONParseOptions(),
        origin: SourceLocation = SourceLocation(line: 1, column: 1, offset: 0)
    ) throws(JSONParseError) {
        var parser = JSONTapeParser(options: options)
        self.init(tape: try parser.parse(bytes, origin: origin), recordLocations: options.recordLocations)
    }

    /// The document of a tape that `JSONTapeParser` produced.
    public init(tape: JSONTape, recordLocations: Bool = true) {
        let lines = LineIndex(bytes: tape.source, origin: tape.origin)
        root = tape.root()
        self.lines = lines
        self.tape = recordLocations ? tape : nil
        duplicateKeys = tape.duplicates.map {
            DuplicateKey(object: $0.object, key: $0.key, location: lines.location(ofOffset: $0.offset))
        }
    }

    public init(string: String, options: JSONParseOptions = JSONParseOptions()) throws(JSONParseError) {
        try self.init(bytes: Array(string.utf8), options: options)
    }

    /// Byte offset (relative to this document's bytes) of the value at `pointer`, if it exists.
    public func offset(of pointer: JSONPointer) -> Int? {
        guard let tape else { return nil }
        return tape.withView { view in
            var i = 0
            for token in pointer.tokens {
                switch view.kind(i) {
                case .object:
                    guard let m = view.member(i, token) else { return nil }
                    i = m
                case .array:
                    guard let index = JSONPointer.arrayIndex(token), let e = view.element(i, index) else { return nil }
                    i = e
                default:
                    return nil
                }
            }
            return view.offset(i)
        }
    }

    /// The source location of the value at `pointer`; nil if there is no such value.
    public func location(of pointer: JSONPointer) -> SourceLocation? {
        offset(of: pointer).map { lines.location(ofOffset: $0) }
    }
}

extension JSONValue {
    /// Parses a JSON text, throwing on any deviation from RFC 8259.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(bytes: Array(text.utf8))
    }

    public static func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var parser = JSONTapeParser(options: JSONParseOptions())
        return try parser.parse(bytes).root()
    }
}

/// The strict RFC 8259 parser. It writes a `JSONTape`; keep one per thread and call `parse` for each
/// text, so its buffers are reused (the previous tape must no longer be held for that to happen).
public struct JSONTapeParser {
    let options: JSONParseOptions
    var buffer: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0)
    var source: [UInt8] = []
    var origin = SourceLocation(line: 1, column: 1, offset: 0)
    var pos = 0
    var depth = 0
    /// The tape being written (copied out into the `JSONTape` at the end). A copy of the parser shares it:
    /// keep one parser per thread.
    let words = WordBuffer()
    var arena: [UInt8] = []
    /// Duplicate member names found: the object's word position and the later key's. Their pointers
    /// are worked out from the finished tape, so parsing keeps no path.
    var duplicates: [(object: Int, key: Int)] = []
    /// Signature (decoded length, first and last byte) of the string `parseString` wrote last.
    var lastSignature: UInt32 = 0
    /// The keys of the objects being parsed, innermost last: word position (high 32 bits) and signature.
    let keys = WordBuffer()

    static let flag: UInt64 = 1 << 59
    static let maxWords = 1 << 32

    public init(options: JSONParseOptions = JSONParseOptions()) {
        self.options = options
    }

    /// Parses `bytes` strictly per RFC 8259; `origin` places them in their file (for error locations).
    public mutating func parse(
        _ bytes: [UInt8], origin: SourceLocation = SourceLocation(line: 1, column: 1, offset: 0)
    ) throws(JSONParseError) -> JSONTape {
        source = bytes
        self.origin = origin
        pos = 0
        depth = 0
        words.count = 0
        arena.removeAll(keepingCapacity: true)
        duplicates.removeAll()
        keys.count = 0
        let result: Result<Void, JSONParseError> = bytes.withUnsafeBufferPointer { buf in
            buffer = buf
            defer { buffer = UnsafeBufferPointer(start: nil, count: 0) }
            do throws(JSONParseError) {
                try parseDocument()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        if case .failure(let e) = result { throw e }
        var tape = JSONTape()
        tape.words = Array(UnsafeBufferPointer(start: words.base, count: words.count))
        tape.arena = arena
        tape.source = bytes
        tape.origin = origin
        if !duplicates.isEmpty {
            tape.duplicates = tape.withView { view in
                zip(duplicates, view.paths(to: duplicates.map(\.object))).map { d, path in
                    (object: JSONPointer(tokens: path), key: view.string(d.key), offset: view.offset(d.key))
                }
            }
        }
        source = []
        return tape
    }

    mutating func parseDocument() throws(JSONParseError) {
        skipWhitespace()
        if pos >= buffer.count { throw error("empty input: expected a JSON value") }
        try parseValue()
        skipWhitespace()
        if pos < buffer.count { throw error("unexpected \(describe(buffer[pos])) after the JSON value") }
    }

    func error(_ message: String, at offset: Int? = nil, limit: Bool = false) -> JSONParseError {
        let location = LineIndex(bytes: source, origin: origin).location(ofOffset: offset ?? pos)
        return JSONParseError(message: message, location: location, isLimit: limit)
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

    @inline(__always) mutating func emit(_ kind: JSONTape.Kind, at offset: Int, _ second: UInt64, flag: Bool = false) {
        words.append(
            UInt64(kind.rawValue) << 60 | (flag ? Self.flag : 0) | UInt64(truncatingIfNeeded: offset) & JSONTapeView.offsetMask,
            second)
    }

    mutating func parseValue() throws(JSONParseError) {
        guard pos < buffer.count else { throw error("unexpected end of input: expected a value") }
        switch buffer[pos] {
        case UInt8(ascii: "{"): try parseObject()
        case UInt8(ascii: "["): try parseArray()
        case UInt8(ascii: "\""): try parseString()
        case UInt8(ascii: "t"):
            emit(.true, at: pos, 0)
            try expectLiteral("true")
        case UInt8(ascii: "f"):
            emit(.false, at: pos, 0)
            try expectLiteral("false")
        case UInt8(ascii: "n"):
            emit(.null, at: pos, 0)
            try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try parseNumber()
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
        if depth > options.maxDepth { throw error("nesting deeper than \(options.maxDepth) levels", limit: true) }
    }

    /// Opens a container: two words filled in by `close`.
    @inline(__always) mutating func open(_ kind: JSONTape.Kind) throws(JSONParseError) -> Int {
        try enter()
        let at = words.count
        emit(kind, at: pos, 0)
        pos += 1
        return at
    }

    @inline(__always) mutating func close(_ at: Int, count: Int) throws(JSONParseError) {
        depth -= 1
        guard words.count < Self.maxWords else { throw error("document too large: more than 2^31 values", at: 0, limit: true) }
        words.base[at + 1] = UInt64(words.count) << 32 | UInt64(count)
    }

    mutating func parseArray() throws(JSONParseError) {
        let at = try open(.array)
        skipWhitespace()
        if pos < buffer.count, buffer[pos] == UInt8(ascii: "]") {
            pos += 1
            try close(at, count: 0)
            return
        }
        var count = 0
        while true {
            skipWhitespace()
            if pos < buffer.count, buffer[pos] == UInt8(ascii: "]") { throw error("trailing comma in array") }
            try parseValue()
            count += 1
            skipWhitespace()
            guard pos < buffer.count else { throw error("unexpected end of input: expected ',' or ']'") }
            let c = buffer[pos]
            pos += 1
            if c == UInt8(ascii: "]") { break }
            if c != UInt8(ascii: ",") { throw error("unexpected \(describe(c)) in array: expected ',' or ']'", at: pos - 1) }
        }
        try close(at, count: count)
    }

    mutating func parseObject() throws(JSONParseError) {
        let at = try open(.object)
        skipWhitespace()
        if pos < buffer.count, buffer[pos] == UInt8(ascii: "}") {
            pos += 1
            try close(at, count: 0)
            return
        }
        let keyBase = keys.count
        while true {
            skipWhitespace()
            guard pos < buffer.count else { throw error("unexpected end of input: expected a member name") }
            if buffer[pos] == UInt8(ascii: "}") { throw error("trailing comma in object") }
            guard buffer[pos] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describe(buffer[pos])): member names must be double-quoted strings")
            }
            let key = words.count
            try parseString()
            keys.push(UInt64(key) << 32 | UInt64(lastSignature))
            skipWhitespace()
            guard pos < buffer.count, buffer[pos] == UInt8(ascii: ":") else {
                throw error("expected ':' after member name")
            }
            pos += 1
            skipWhitespace()
            try parseValue()
            skipWhitespace()
            guard pos < buffer.count else { throw error("unexpected end of input: expected ',' or '}'") }
            let c = buffer[pos]
            pos += 1
            if c == UInt8(ascii: "}") { break }
            if c != UInt8(ascii: ",") { throw error("unexpected \(describe(c)) in object: expected ',' or '}'", at: pos - 1) }
        }
        let count = keys.count - keyBase
        try close(at, count: count)
        checkDuplicates(at, keyBase)
        keys.count = keyBase
    }

    /// Notes every member name of the object at `object` (just closed) that an earlier member already had.
    mutating func checkDuplicates(_ object: Int, _ keyBase: Int) {
        let count = keys.count - keyBase
        guard count > 1 else { return }
        @inline(__always) func key(_ i: Int) -> Int { Int(truncatingIfNeeded: keys.base[keyBase + i] >> 32) }
        @inline(__always) func signature(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: keys.base[keyBase + i]) }
        if count <= JSONObject.indexThreshold {
            // A 256-bit filter over the signatures (decoded length, first and last byte): only a key whose
            // bit is already set is compared with the earlier keys, signatures first.
            var filter: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for i in 0..<count {
                let sig = signature(i)
                let h = Int(truncatingIfNeeded: (sig &* 0x9E37_79B1) >> 24)
                let bit: UInt64 = 1 << UInt64(h & 63)
                let seen: Bool
                switch h >> 6 {
                case 0: (seen, filter.0) = (filter.0 & bit != 0, filter.0 | bit)
                case 1: (seen, filter.1) = (filter.1 & bit != 0, filter.1 | bit)
                case 2: (seen, filter.2) = (filter.2 & bit != 0, filter.2 | bit)
                default: (seen, filter.3) = (filter.3 & bit != 0, filter.3 | bit)
                }
                guard seen else { continue }
                for j in 0..<i where signature(j) == sig && sameKey(key(j), key(i)) {
                    duplicates.append((object, key(i)))
                    break
                }
            }
        } else {
            var seen = Set<CodePointKey>(minimumCapacity: count)
            for i in 0..<count where !seen.insert(CodePointKey(keyText(key(i)))).inserted {
                duplicates.append((object, key(i)))
            }
        }
    }

    /// Runs `body` on a view of the words written so far and the arena.
    func withView<R>(_ body: (JSONTapeView) -> R) -> R {
        arena.withUnsafeBufferPointer { a in
            body(JSONTapeView(words: UnsafeBufferPointer(start: words.base, count: words.count), source: buffer, arena: a))
        }
    }

    func sameKey(_ a: Int, _ b: Int) -> Bool { withView { v in v.stringEquals(a, v.bytes(b)) } }

    func keyText(_ at: Int) -> String { withView { $0.string(at) } }

    mutating func parseNumber() throws(JSONParseError) {
        let start = pos
        // Digits are scanned up to the length limit only, so a huge literal costs no more than the limit.
        let limit = min(buffer.count, start + options.maxNumberLength + 1)
        let base = buffer.baseAddress.unsafelyUnwrapped  // not empty: `pos` is at '-' or a digit
        var p = pos
        let negative = base[p] == UInt8(ascii: "-")
        if negative { p += 1 }
        // Every significand digit is accumulated while scanning (leading zeros add nothing), so most
        // numbers convert without a second pass: exactly, when the significand fits in 53 bits and the
        // power of ten in 22 (`JSONNumber.exactDouble`); past 19 digits it may have wrapped and is not used.
        var significand: UInt64 = 0
        var digits = 0
        guard p < limit, base[p] &- 0x30 < 10 else { throw numberError("expected a digit", p, limit, start) }
        if base[p] == UInt8(ascii: "0") {
            p += 1
            if p < buffer.count, base[p] &- 0x30 < 10 {
                throw numberError("leading zeros are not allowed", p, limit, start)
            }
        } else {
            let first = p
            while p < limit {
                let d = base[p] &- 0x30
                if d >= 10 { break }
                significand = significand &* 10 &+ UInt64(d)
                p += 1
            }
            digits = p - first
        }
        var integer = true
        var power = 0
        if p < limit, base[p] == UInt8(ascii: ".") {
            integer = false
            p += 1
            let first = p
            guard p < limit, base[p] &- 0x30 < 10 else { throw numberError("expected a digit after '.'", p, limit, start) }
            while p < limit {
                let d = base[p] &- 0x30
                if d >= 10 { break }
                significand = significand &* 10 &+ UInt64(d)
                p += 1
            }
            digits += p - first
            power = first - p
        }
        if p < limit, base[p] | 0x20 == UInt8(ascii: "e") {
            integer = false
            p += 1
            var negativeExponent = false
            if p < limit, base[p] == UInt8(ascii: "+") || base[p] == UInt8(ascii: "-") {
                negativeExponent = base[p] == UInt8(ascii: "-")
                p += 1
            }
            guard p < limit, base[p] &- 0x30 < 10 else {
                throw numberError("expected a digit in the exponent", p, limit, start)
            }
            let first = p
            var exponent = 0
            while p < limit {
                let d = base[p] &- 0x30
                if d >= 10 { break }
                // Only small exponents are exact; a long one goes to the general conversion.
                if p - first < 4 { exponent = exponent * 10 + Int(d) }
                p += 1
            }
            if p - first > 3 { digits = Int.max }
            power += negativeExponent ? -exponent : exponent
        }
        pos = p
        if p - start > options.maxNumberLength { throw numberTooLong(at: start) }
        let fast =
            digits <= 19 && significand <= 1 << 53
            ? JSONNumber.exactDouble(significand, power: power, negative: negative) : nil
        let double =
            fast ?? JSONNumber.slowDouble(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<p]), as: UTF8.self))
        emit(.number, at: start, double.bitPattern, flag: integer)
    }

    /// The error for a number whose scan stopped at `p`: where the stop is the length limit (and not the
    /// end of the input), the limit's error, as the literal is too long whatever follows.
    func numberError(_ message: String, _ p: Int, _ limit: Int, _ start: Int) -> JSONParseError {
        if p >= limit && limit < buffer.count { return numberTooLong(at: start) }
        return error("invalid number: \(message)", at: p)
    }

    func numberTooLong(at start: Int) -> JSONParseError {
        error("number literal exceeds the limit of \(options.maxNumberLength) bytes", at: start, limit: true)
    }

    var maxStringBytes: Int { min(options.maxStringBytes, Int(UInt32.max)) }

    mutating func parseString() throws(JSONParseError) {
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
                let hits = special & highs
                if hits != 0 {
                    // The lowest flagged byte is exact (borrows only flag bytes above a real hit): go
                    // straight to it, noting any non-ASCII byte before it.
                    let bit = UInt64(hits.trailingZeroBitCount)
                    if x & highs & ((1 << (bit - 7)) &- 1) != 0 { ascii = false }
                    pos += Int(bit >> 3)
                    break
                }
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
                if slice.count > maxStringBytes {
                    throw error("string longer than \(maxStringBytes) bytes", at: quote, limit: true)
                }
                if !ascii, let bad = UTF8Check.firstInvalid(slice) {
                    throw error("invalid UTF-8 in string", at: start + bad)
                }
                lastSignature = JSONObject.signature(slice)
                emit(.string, at: quote, UInt64(slice.count))
                return
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("unescaped control character \(describe(b)) in string") }
            if b >= 0x80 { ascii = false }
            pos += 1
        }
        guard pos < buffer.count else { throw error("unterminated string", at: quote) }
        try parseEscapedString(quote: quote, start: start)
    }

    /// The rest of a string that has escapes (`pos` is at the first backslash): the decoded bytes go
    /// to the arena. Kept out of `parseString`, whose plain path is the common one.
    @inline(never) mutating func parseEscapedString(quote: Int, start: Int) throws(JSONParseError) {
        let arenaStart = arena.count
        guard arenaStart <= Int(UInt32.max) else {
            throw error("document too large: more than 4 GiB of escaped strings", at: quote, limit: true)
        }
        arena.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<pos]))
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
                case UInt8(ascii: "\""): arena.append(0x22)
                case UInt8(ascii: "\\"): arena.append(0x5C)
                case UInt8(ascii: "/"): arena.append(0x2F)
                case UInt8(ascii: "b"): arena.append(0x08)
                case UInt8(ascii: "f"): arena.append(0x0C)
                case UInt8(ascii: "n"): arena.append(0x0A)
                case UInt8(ascii: "r"): arena.append(0x0D)
                case UInt8(ascii: "t"): arena.append(0x09)
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
                arena.append(b)
                pos += 1
            }
            if arena.count - arenaStart > maxStringBytes {
                throw error("string longer than \(maxStringBytes) bytes", at: quote, limit: true)
            }
        }
        let length = arena.count - arenaStart
        let (valid, signature) = arena.withUnsafeBufferPointer { a in
            let decoded = UnsafeBufferPointer(rebasing: a[arenaStart...])
            return (UTF8Check.firstInvalid(decoded) == nil, JSONObject.signature(decoded))
        }
        guard valid else { throw error("invalid UTF-8 in string", at: quote) }
        lastSignature = signature
        emit(.string, at: quote, UInt64(arenaStart) << 32 | UInt64(length), flag: true)
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
            arena.append(UInt8(code))
        } else if code < 0x800 {
            arena.append(UInt8(0xC0 | (code >> 6)))
            arena.append(UInt8(0x80 | (code & 0x3F)))
        } else if code < 0x10000 {
            arena.append(UInt8(0xE0 | (code >> 12)))
            arena.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
            arena.append(UInt8(0x80 | (code & 0x3F)))
        } else {
            arena.append(UInt8(0xF0 | (code >> 18)))
            arena.append(UInt8(0x80 | ((code >> 12) & 0x3F)))
            arena.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
            arena.append(UInt8(0x80 | (code & 0x3F)))
        }
    }
}

/// Growable storage for the words a parser writes, without the uniqueness check an array append makes.
final class WordBuffer {
    private(set) var base: UnsafeMutablePointer<UInt64>
    var count = 0
    private var capacity = 256

    init() { base = .allocate(capacity: capacity) }
    deinit { base.deallocate() }

    @inline(__always) func push(_ word: UInt64) {
        if count + 1 > capacity { grow() }
        base[count] = word
        count += 1
    }

    @inline(__always) func append(_ first: UInt64, _ second: UInt64) {
        if count + 2 > capacity { grow() }
        base[count] = first
        base[count + 1] = second
        count += 2
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }
}
