/// A streaming RFC 4180 reader over bytes: records are handed out one at a time as views into an
/// internal buffer (no String per field), and the input is read in chunks, so memory stays bounded
/// by the longest record. Rows are numbered like CSV records (the header is row 1); a quoted field
/// may span lines, so a row number is not always a line number.
public final class CSVReader {
    /// Appends the next chunk of the input to the array; returns false at the end of the input.
    public typealias Source = (inout [UInt8]) throws -> Bool

    public enum Problem: Sendable, Equatable {
        /// A quoted field is not closed before the end of the input.
        case unterminatedQuote
        /// A quote inside an unquoted field, or text after a closing quote.
        case strayQuote(field: Int)
        /// A line break inside a quoted field (allowed by RFC 4180; GTFS forbids it).
        case newlineInValue(field: Int)
        /// A record longer than the limit.
        case recordTooLong(limit: Int)
    }

    let source: Source
    // Hot path: accessed once per field; the reader is used by one thread at a time.
    @exclusivity(unchecked) var buffer: [UInt8] = []
    // Hot path: accessed once per field; the reader is used by one thread at a time.
    @exclusivity(unchecked) var start = 0  // first byte of the next record in `buffer`
    var eof = false
    /// Byte offset of buffer[0] in the whole input.
    var consumed = 0
    public let maxRecordBytes: Int
    public private(set) var row = 0
    /// Byte offset of the current record in the input.
    public private(set) var recordOffset = 0
    /// Whether the input started with a UTF-8 byte order mark (skipped).
    public private(set) var hadBOM = false

    /// Field boundaries of the current record: [start, end) in `buffer`, and whether the field was
    /// quoted with doubled quotes inside (it then needs unescaping).
    // Hot path: accessed once per field; the reader is used by one thread at a time.
    @exclusivity(unchecked) var fieldStarts: [Int] = []
    // Hot path: accessed once per field; the reader is used by one thread at a time.
    @exclusivity(unchecked) var fieldEnds: [Int] = []
    // Hot path: accessed once per field; the reader is used by one thread at a time.
    @exclusivity(unchecked) var fieldEscaped: [Bool] = []
    var scratch: [UInt8] = []
    public private(set) var problems: [Problem] = []

    public init(maxRecordBytes: Int = 1 << 20, source: @escaping Source) {
        self.source = source
        self.maxRecordBytes = maxRecordBytes
    }

    /// A reader over bytes already in memory.
    public convenience init(bytes: [UInt8]) {
        var given = false
        self.init { out in
            if given { return false }
            given = true
            out.append(contentsOf: bytes)
            return true
        }
    }

    public var fieldCount: Int { fieldStarts.count }

    /// Reads more input; false at the end.
    func fill() throws -> Bool {
        if eof { return false }
        if start > 0 {
            buffer.removeFirst(start)
            consumed += start
            start = 0
        }
        if try !source(&buffer) {
            eof = true
            return false
        }
        return true
    }

    /// Advances to the next record; false at the end of the input. `problems` holds what was wrong
    /// with this record (it is still returned, split as well as it could be).
    public func next() throws -> Bool {
        problems.removeAll(keepingCapacity: true)
        while true {
            if row == 0 && buffer.count - start < 3 && !eof {
                if try !fill() && buffer.count - start == 0 { return false }
                continue
            }
            if row == 0 && !hadBOM && buffer.count - start >= 3 && buffer[start] == 0xEF && buffer[start + 1] == 0xBB
                && buffer[start + 2] == 0xBF
            {
                hadBOM = true
                start += 3
            }
            if start >= buffer.count {
                if try !fill() { return false }
                continue
            }
            switch scan() {
            case .complete(let next):
                row += 1
                recordOffset = consumed + start
                start = next
                return true
            case .needMore:
                if buffer.count - start > maxRecordBytes {
                    problems.append(.recordTooLong(limit: maxRecordBytes))
                    // Skip to the next line break to resynchronise, reading on if it is not buffered yet
                    // (the rest of the long line must not come back as a record of its own).
                    while true {
                        if let nl = buffer[start...].firstIndex(of: 0x0A) {
                            start = nl + 1
                            break
                        }
                        start = buffer.count
                        if try !fill() { break }
                    }
                    row += 1
                    fieldStarts.removeAll(keepingCapacity: true)
                    fieldEnds.removeAll(keepingCapacity: true)
                    fieldEscaped.removeAll(keepingCapacity: true)
                    return true
                }
                if try !fill() {
                    // End of input inside a record: take what there is.
                    if case .complete(let next) = scan(final: true) {
                        row += 1
                        recordOffset = consumed + start
                        start = next
                        return true
                    }
                    return false
                }
            }
        }
    }

    enum Scan {
        case complete(next: Int)
        case needMore
    }

    /// Splits the record at `start`; `final` means no more input will come.
    func scan(final: Bool = false) -> Scan {
        fieldStarts.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        fieldEscaped.removeAll(keepingCapacity: true)
        let count = buffer.count
        return buffer.withUnsafeBufferPointer { b -> Scan in
            var i = start
            var local: [Problem] = []
            while true {
                // One field.
                if i < count && b[i] == 0x22 {
                    // Quoted.
                    let fs = i + 1
                    var j = fs
                    var escaped = false
                    var closed = false
                    while j < count {
                        let c = b[j]
                        if c == 0x22 {
                            if j + 1 < count && b[j + 1] == 0x22 {
                                escaped = true
                                j += 2
                                continue
                            }
                            if j + 1 >= count && !final { return .needMore }
                            closed = true
                            break
                        }
                        if c == 0x0A || c == 0x0D { local.append(.newlineInValue(field: fieldStarts.count)) }
                        j += 1
                    }
                    if !closed {
                        if !final { return .needMore }
                        local.append(.unterminatedQuote)
                        fieldStarts.append(fs)
                        fieldEnds.append(count)
                        fieldEscaped.append(escaped)
                        problems += local
                        return .complete(next: count)
                    }
                    fieldStarts.append(fs)
                    fieldEnds.append(j)
                    fieldEscaped.append(escaped)
                    i = j + 1
                    // After the closing quote: a separator, a line end or the end of input.
                    if i < count && b[i] != 0x2C && b[i] != 0x0A && b[i] != 0x0D {
                        local.append(.strayQuote(field: fieldStarts.count - 1))
                        while i < count && b[i] != 0x2C && b[i] != 0x0A && b[i] != 0x0D { i += 1 }
                        fieldEnds[fieldEnds.count - 1] = i
                    }
                } else {
                    let fs = i
                    while i < count {
                        let c = b[i]
                        if c == 0x2C || c == 0x0A || c == 0x0D { break }
                        if c == 0x22 { local.append(.strayQuote(field: fieldStarts.count)) }
                        i += 1
                    }
                    fieldStarts.append(fs)
                    fieldEnds.append(i)
                    fieldEscaped.append(false)
                }
                if i >= count {
                    if !final { return .needMore }
                    problems += local
                    return .complete(next: count)
                }
                let c = b[i]
                if c == 0x2C {
                    i += 1
                    if i >= count && !final { return .needMore }
                    continue
                }
                // Line end: \n, \r\n or a lone \r.
                if c == 0x0D {
                    if i + 1 >= count && !final { return .needMore }
                    if i + 1 < count && b[i + 1] == 0x0A { i += 1 }
                }
                problems += local
                return .complete(next: i + 1)
            }
        }
    }

    /// Runs `body` with a view of the current record whose field accessors are plain pointer reads
    /// (no per-field bounds, exclusivity or reference-count traffic). The view is valid inside `body`.
    public func withRecord<R>(_ body: (CSVRecord) throws -> R) rethrows -> R {
        try buffer.withUnsafeBufferPointer { b in
            try fieldStarts.withUnsafeBufferPointer { starts in
                try fieldEnds.withUnsafeBufferPointer { ends in
                    try fieldEscaped.withUnsafeBufferPointer { escaped in
                        try body(CSVRecord(base: b, starts: starts, ends: ends, escaped: escaped))
                    }
                }
            }
        }
    }

    /// The bytes of field `i` (unescaped), valid until the next call of `next()` or `field(_:)`.
    public func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let s = fieldStarts[i]
        let e = fieldEnds[i]
        if !fieldEscaped[i] {
            return try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[s..<e])) }
        }
        scratch.removeAll(keepingCapacity: true)
        var j = s
        while j < e {
            scratch.append(buffer[j])
            j += buffer[j] == 0x22 && j + 1 < e && buffer[j + 1] == 0x22 ? 2 : 1
        }
        return try scratch.withUnsafeBufferPointer { try body($0) }
    }

    /// Field `i` as a String (invalid UTF-8 repaired with U+FFFD).
    public func string(_ i: Int) -> String {
        withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether field `i` is empty.
    public func isEmpty(_ i: Int) -> Bool { fieldEnds[i] == fieldStarts[i] }

    /// The byte offset (in the input) of field `i`.
    public func offset(ofField i: Int) -> Int { consumed + fieldStarts[i] }

    /// The whole current record's bytes [start of record, end of last field).
    public var recordRange: Range<Int> {
        guard let first = fieldStarts.first, let last = fieldEnds.last else { return 0..<0 }
        return first..<last
    }

    /// The index of the first field of the current record that contains a tab, if any.
    public func firstFieldWithTab() -> Int? { byteProblems().fieldWithTab }

    /// The offset of the first invalid UTF-8 byte in the current record, if any (relative to the input).
    public func invalidUTF8Offset() -> Int? { byteProblems().invalidUTF8 }

    /// One pass over the current record's bytes: the input offset of the first invalid UTF-8 byte, and
    /// the index of the first field holding a tab.
    public func byteProblems() -> (invalidUTF8: Int?, fieldWithTab: Int?) {
        guard let first = fieldStarts.first, let last = fieldEnds.last, last > first else { return (nil, nil) }
        return buffer.withUnsafeBufferPointer { b -> (Int?, Int?) in
            var tabField: Int?
            /// The field whose bytes hold offset `at` (tabs between fields do not count).
            func noteTab(_ at: Int) {
                guard tabField == nil else { return }
                for f in 0..<fieldStarts.count where fieldStarts[f] <= at && at < fieldEnds[f] {
                    tabField = f
                    return
                }
            }
            var bad: Int?
            var i = first
            while i < last {
                let c = b[i]
                if c < 0x80 {
                    if c == 0x09 { noteTab(i) }
                    i += 1
                    continue
                }
                // A multi-byte sequence: its length and smallest value from the lead byte.
                var n = 0
                var min: UInt32 = 0
                var v: UInt32 = 0
                if c & 0xE0 == 0xC0 {
                    n = 1
                    min = 0x80
                    v = UInt32(c & 0x1F)
                } else if c & 0xF0 == 0xE0 {
                    n = 2
                    min = 0x800
                    v = UInt32(c & 0x0F)
                } else if c & 0xF8 == 0xF0 {
                    n = 3
                    min = 0x10000
                    v = UInt32(c & 0x07)
                }
                var valid = n > 0
                if valid {
                    for k in 1...n {
                        guard i + k < last, b[i + k] & 0xC0 == 0x80 else {
                            valid = false
                            break
                        }
                        v = v << 6 | UInt32(b[i + k] & 0x3F)
                    }
                }
                if valid && (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { valid = false }
                if !valid {
                    if bad == nil { bad = consumed + i }
                    if tabField != nil { break }
                    i += 1  // go on looking for a tab
                    continue
                }
                i += n + 1
            }
            return (bad, tabField)
        }
    }
}

/// The fields of one record, as pointers into the reader's buffer (see `CSVReader.withRecord`).
public struct CSVRecord {
    let base: UnsafeBufferPointer<UInt8>
    let starts: UnsafeBufferPointer<Int>
    let ends: UnsafeBufferPointer<Int>
    let escaped: UnsafeBufferPointer<Bool>

    public var count: Int { starts.count }

    @inline(__always) public func isEmpty(_ i: Int) -> Bool { starts[i] == ends[i] }

    /// The raw bytes of field `i`; for a quoted field with doubled quotes, use `withField`.
    @inline(__always) public func raw(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: base[starts[i]..<ends[i]])
    }

    @inline(__always) public func needsUnescaping(_ i: Int) -> Bool { escaped[i] }

    /// The bytes of field `i`, unescaped.
    @inline(__always) public func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if !escaped[i] { return try body(raw(i)) }
        var out: [UInt8] = []
        var j = starts[i]
        let e = ends[i]
        while j < e {
            out.append(base[j])
            j += base[j] == 0x22 && j + 1 < e && base[j + 1] == 0x22 ? 2 : 1
        }
        return try out.withUnsafeBufferPointer { try body($0) }
    }

    public func string(_ i: Int) -> String { withField(i) { String(decoding: $0, as: UTF8.self) } }
}
