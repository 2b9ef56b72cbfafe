import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One document read from a stream: a JSON Lines record or an element of a top-level array.
public struct JSONRecord: Sendable {
    /// 0-based position of the record in the file.
    public let index: Int
    /// Where the record starts in the file.
    public let origin: SourceLocation
    /// The parsed document, or why it does not parse.
    public let document: Result<JSONDocument, JSONParseError>

    public init(index: Int, origin: SourceLocation, document: Result<JSONDocument, JSONParseError>) {
        self.index = index
        self.origin = origin
        self.document = document
    }
}

/// One line of a JSON Lines file, not parsed yet.
public struct JSONLine: Sendable {
    public let bytes: [UInt8]
    /// Where the line starts in the file.
    public let origin: SourceLocation
    /// 0-based position of the record in the file (blank lines are not counted).
    public let index: Int
    /// The line's length when it is longer than the reader's record limit: its bytes are then not kept
    /// (`bytes` is empty) and the record cannot be judged; the lines after it are read as usual.
    public let oversized: Int?

    public init(bytes: [UInt8], origin: SourceLocation, index: Int, oversized: Int? = nil) {
        self.bytes = bytes
        self.origin = origin
        self.index = index
        self.oversized = oversized
    }
}

/// An I/O or framing error that ends a stream.
public struct JSONStreamError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public let location: SourceLocation?
    public var description: String {
        if let location { return "\(path):\(location): \(message)" }
        return "\(path): \(message)"
    }
}

/// Reads JSON documents from files in bounded memory: JSON Lines record by record, or the elements of a
/// top-level array one at a time. Memory is bounded by the largest single record (`maxRecordBytes`).
public struct JSONStreamReader: Sendable {
    public var options: JSONParseOptions
    public var maxRecordBytes: Int
    public var chunkSize: Int

    public init(options: JSONParseOptions = JSONParseOptions(), maxRecordBytes: Int = 64 << 20, chunkSize: Int = 1 << 20) {
        self.options = options
        self.maxRecordBytes = maxRecordBytes
        self.chunkSize = chunkSize
    }

    final class FileReader {
        let fd: Int32
        let path: String
        let chunkSize: Int
        var buffer: [UInt8] = []
        var start = 0
        var eof = false
        var consumed = 0  // bytes discarded before buffer[0]

        init(path: String, chunkSize: Int) throws(JSONStreamError) {
            self.path = path
            self.chunkSize = chunkSize
            fd = open(path, O_RDONLY)
            if fd < 0 {
                throw JSONStreamError(path: path, message: "cannot open: \(String(cString: strerror(errno)))", location: nil)
            }
        }

        deinit { close(fd) }

        /// Drops the bytes before `start`, then appends the next chunk. Returns how many bytes were
        /// dropped (callers subtract it from the indices they hold), or nil at end of file.
        func fill() throws(JSONStreamError) -> Int? {
            if eof { return nil }
            let shift = start
            if shift > 0 {
                consumed += shift
                buffer.removeFirst(shift)
                start = 0
            }
            var failed = false
            let chunk = [UInt8](unsafeUninitializedCapacity: chunkSize) { buf, count in
                let n = read(fd, buf.baseAddress!, chunkSize)
                failed = n < 0
                count = max(0, n)
            }
            if failed {
                throw JSONStreamError(path: path, message: "read failed: \(String(cString: strerror(errno)))", location: nil)
            }
            if chunk.isEmpty {
                eof = true
                return nil
            }
            buffer.append(contentsOf: chunk)
            return shift
        }
    }

    func parse(_ bytes: [UInt8], index: Int, origin: SourceLocation, oversized: Int? = nil) -> JSONRecord {
        let document: Result<JSONDocument, JSONParseError>
        if let oversized {
            return JSONRecord(index: index, origin: origin, document: .failure(oversizedError(oversized, origin)))
        }
        do throws(JSONParseError) {
            document = .success(try JSONDocument(bytes: bytes, options: options, origin: origin))
        } catch {
            document = .failure(error)
        }
        return JSONRecord(index: index, origin: origin, document: document)
    }

    /// The error an oversized line gets: a limit of the harness, not a fault of the data.
    public func oversizedError(_ length: Int, _ origin: SourceLocation) -> JSONParseError {
        JSONParseError(
            message: "a line of \(length) bytes is longer than the \(maxRecordBytes)-byte record limit; it was not judged",
            location: origin, isLimit: true)
    }

    /// Calls `body` for every non-blank line of a JSON Lines file. A line longer than `maxRecordBytes`
    /// is passed as a failed record whose error is a limit (`isLimit`), and reading goes on after it.
    public func forEachLine(path: String, _ body: (JSONRecord) throws -> Void) throws {
        var index = 0
        try forEachRawLine(path: path) { bytes, origin, oversized in
            if let oversized {
                try body(JSONRecord(index: index, origin: origin, document: .failure(oversizedError(oversized, origin))))
            } else {
                try body(parse(bytes, index: index, origin: origin))
            }
            index += 1
        }
    }

    /// JSON Lines on `jobs` threads: lines are read in windows of `jobs × batchLines`, each batch is
    /// parsed and passed through `map` on its own thread, and `emit` gets every result in file order
    /// on the calling thread. Memory stays bounded by one window. `map` also gets the worker's slot
    /// (0..<jobs): no two batches running at once share a slot, so a caller can give each slot its own
    /// copy of shared objects (reference counts that several cores update at once are slow).
    public func forEachLine<Result>(
        path: String, jobs: Int, batchLines: Int = 256, map: @Sendable (Int, JSONRecord) -> Result,
        emit: (Result) throws -> Void
    ) throws {
        try forEachRawLine(
            path: path, jobs: jobs, batchLines: batchLines,
            map: { slot, line in
                guard let n = line.oversized else { return map(slot, parse(line.bytes, index: line.index, origin: line.origin)) }
                return map(
                    slot, JSONRecord(index: line.index, origin: line.origin, document: .failure(oversizedError(n, line.origin))))
            }, emit: emit)
    }

    /// `forEachLine(path:jobs:…)` for a caller that parses the lines itself (with a `JSONTapeParser`
    /// per slot, for example).
    public func forEachRawLine<Result>(
        path: String, jobs: Int, batchLines: Int = 256, map: @Sendable (Int, JSONLine) -> Result,
        emit: (Result) throws -> Void
    ) throws {
        var index = 0
        guard jobs > 1 else {
            try forEachRawLine(path: path) { bytes, origin, oversized in
                try emit(map(0, JSONLine(bytes: bytes, origin: origin, index: index, oversized: oversized)))
                index += 1
            }
            return
        }
        let windowSize = jobs * batchLines
        var window: [JSONLine] = []
        window.reserveCapacity(windowSize)
        func drain() throws {
            let lines = window
            let results = ResultSlots<Result>(count: lines.count)
            let batches = (lines.count + batchLines - 1) / batchLines
            DispatchQueue.concurrentPerform(iterations: batches) { b in
                for i in (b * batchLines)..<min(lines.count, (b + 1) * batchLines) {
                    results.set(i, map(b, lines[i]))
                }
            }
            window.removeAll(keepingCapacity: true)
            for i in 0..<lines.count { try emit(results.take(i)) }
        }
        try forEachRawLine(path: path) { bytes, origin, oversized in
            window.append(JSONLine(bytes: bytes, origin: origin, index: index, oversized: oversized))
            index += 1
            if window.count == windowSize { try drain() }
        }
        try drain()
    }

    /// One slot per record of a window; each slot is written by exactly one thread, then read after
    /// `concurrentPerform` has returned (which orders the writes before the reads).
    final class ResultSlots<Result>: @unchecked Sendable {
        private let slots: UnsafeMutablePointer<Result?>
        private let count: Int

        init(count: Int) {
            self.count = count
            slots = .allocate(capacity: max(1, count))
            slots.initialize(repeating: nil, count: max(1, count))
        }

        deinit {
            slots.deinitialize(count: max(1, count))
            slots.deallocate()
        }

        func set(_ i: Int, _ value: Result) { slots[i] = value }

        func take(_ i: Int) -> Result {
            let value = slots[i]!
            slots[i] = nil
            return value
        }
    }

    /// The bytes and start of every non-blank line, in order. A line longer than `maxRecordBytes` is
    /// skipped to its end without being kept and passed with empty bytes and its length.
    func forEachRawLine(path: String, _ body: ([UInt8], SourceLocation, Int?) throws -> Void) throws {
        let reader = try FileReader(path: path, chunkSize: chunkSize)
        var lineNumber = 1
        var scanPos = 0
        // The line being skipped: where it starts and how many of its bytes were dropped so far.
        var skipping: (origin: SourceLocation, length: Int)? = nil
        while true {
            let count = reader.buffer.count
            let newline: Int? = reader.buffer.withUnsafeBufferPointer { buf in
                guard scanPos < count, let base = buf.baseAddress,
                    let hit = memchr(base + scanPos, 0x0A, count - scanPos)
                else { return nil }
                return UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
            }
            if let skip = skipping {
                let end = newline ?? count
                let length = skip.length + (end - reader.start)
                reader.start = newline.map { $0 + 1 } ?? count
                scanPos = reader.start
                if newline != nil {
                    skipping = nil
                    lineNumber += 1
                    try body([], skip.origin, length)
                    continue
                }
                skipping = (skip.origin, length)
                if let shift = try reader.fill() {
                    scanPos -= shift
                    continue
                }
                try body([], skip.origin, length)
                return
            }
            let end: Int
            if let newline {
                // A line that arrived whole in the buffer is held to the same limit as one that did not.
                let carriageReturn = newline > reader.start && reader.buffer[newline - 1] == 0x0D ? 1 : 0
                if newline - reader.start - carriageReturn > maxRecordBytes {
                    let origin = SourceLocation(line: lineNumber, column: 1, offset: reader.consumed + reader.start)
                    let length = newline - reader.start
                    reader.start = newline + 1
                    scanPos = reader.start
                    lineNumber += 1
                    try body([], origin, length)
                    continue
                }
                end = newline
            } else {
                if count - reader.start > maxRecordBytes {
                    skipping = (SourceLocation(line: lineNumber, column: 1, offset: reader.consumed + reader.start), 0)
                    continue
                }
                scanPos = count
                if let shift = try reader.fill() {
                    scanPos -= shift
                    continue
                }
                if reader.start >= reader.buffer.count { return }
                end = reader.buffer.count
            }
            let lineBytes = Array(reader.buffer[reader.start..<end])
            let origin = SourceLocation(line: lineNumber, column: 1, offset: reader.consumed + reader.start)
            reader.start = min(end + 1, reader.buffer.count)
            scanPos = reader.start
            lineNumber += 1
            if let first = lineBytes.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                // The usual record: not blank (skips the whitespace scan).
            } else if lineBytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                continue
            }
            try body(lineBytes, origin, nil)
        }
    }

    /// Calls `body` once with the whole file as one document (a top-level array is not split),
    /// refusing files larger than `maxRecordBytes`.
    public func forWholeDocument(path: String, _ body: (JSONRecord) throws -> Void) throws {
        let reader = try FileReader(path: path, chunkSize: chunkSize)
        while try reader.fill() != nil {
            if reader.buffer.count > maxRecordBytes {
                throw JSONStreamError(
                    path: path, message: "the document is larger than the \(maxRecordBytes)-byte limit", location: nil)
            }
        }
        try body(parse(reader.buffer, index: 0, origin: SourceLocation(line: 1, column: 1, offset: 0)))
    }

    /// Calls `body` for every element of a file whose top-level value is an array; a file whose
    /// top-level value is anything else is passed whole as record 0 (subject to `maxRecordBytes`).
    public func forEachArrayElement(path: String, _ body: (JSONRecord) throws -> Void) throws {
        let reader = try FileReader(path: path, chunkSize: chunkSize)
        var line = 1
        var column = 1
        var p = 0  // absolute index into reader.buffer

        func byte() throws -> UInt8? {
            while p >= reader.buffer.count {
                guard let shift = try reader.fill() else { return nil }
                p -= shift
            }
            return reader.buffer[p]
        }
        func advance(_ b: UInt8) {
            p += 1
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        func skipWS() throws {
            while let b = try byte(), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { advance(b) }
        }
        func here() -> SourceLocation { SourceLocation(line: line, column: column, offset: reader.consumed + p) }

        try skipWS()
        guard let first = try byte() else {
            throw JSONStreamError(path: path, message: "empty file: expected a JSON value", location: here())
        }
        if first != UInt8(ascii: "[") {
            // Not an array: read the whole file as one document.
            while try reader.fill() != nil {
                if reader.buffer.count - reader.start > maxRecordBytes {
                    throw JSONStreamError(path: path, message: "document larger than \(maxRecordBytes) bytes", location: nil)
                }
            }
            let bytes = Array(reader.buffer[reader.start...])
            try body(parse(bytes, index: 0, origin: SourceLocation(line: 1, column: 1, offset: reader.consumed + reader.start)))
            return
        }
        advance(first)
        reader.start = p
        var index = 0
        try skipWS()
        if let b = try byte(), b == UInt8(ascii: "]") {
            advance(b)
            try skipWS()
            if try byte() != nil {
                throw JSONStreamError(path: path, message: "unexpected data after the top-level array", location: here())
            }
            return
        }
        while true {
            try skipWS()
            reader.start = p
            let origin = here()
            var depth = 0
            var inString = false
            var escaped = false
            // Scan one element.
            scan: while true {
                guard let b = try byte() else {
                    throw JSONStreamError(
                        path: path, message: "unexpected end of file inside the top-level array", location: here())
                }
                if inString {
                    if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                } else {
                    switch b {
                    case 0x22: inString = true
                    case UInt8(ascii: "["), UInt8(ascii: "{"):
                        depth += 1
                        if depth > options.maxDepth {
                            throw JSONStreamError(
                                path: path, message: "nesting deeper than \(options.maxDepth) levels", location: here())
                        }
                    case UInt8(ascii: "]"), UInt8(ascii: "}"):
                        if depth == 0 { break scan }
                        depth -= 1
                    case UInt8(ascii: ","):
                        if depth == 0 { break scan }
                    default: break
                    }
                }
                advance(b)
                if p - reader.start > maxRecordBytes {
                    throw JSONStreamError(
                        path: path, message: "array element larger than \(maxRecordBytes) bytes", location: origin)
                }
            }
            try body(parse(Array(reader.buffer[reader.start..<p]), index: index, origin: origin))
            index += 1
            let terminator = try byte()!
            advance(terminator)
            reader.start = p
            if terminator == UInt8(ascii: "]") {
                try skipWS()
                if try byte() != nil {
                    throw JSONStreamError(path: path, message: "unexpected data after the top-level array", location: here())
                }
                return
            }
        }
    }
}
