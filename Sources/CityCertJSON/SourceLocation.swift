import Synchronization

/// A place in a source text: 1-based line and column (in Unicode scalars) and 0-based byte offset.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public var description: String { "\(line):\(column)" }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool { a.offset < b.offset }
}

/// Maps byte offsets of a UTF-8 text to lines and columns. `origin` places the text inside a larger
/// file (a JSON Lines record or an element streamed out of a big array).
public struct LineIndex: Sendable {
    public let bytes: [UInt8]
    public let origin: SourceLocation
    private let cache = LineStartsCache()

    /// Line starts (and column checkpoints) are computed on the first lookup only, so parsing pays nothing
    /// for locations.
    private final class LineStartsCache: Sendable {
        let index = Mutex<Index?>(nil)
    }

    /// Every line's first byte, and the column at every `checkpointBytes`-th byte: a lookup counts
    /// characters from the nearest point before it, not from its line's start (a minified document is one
    /// line, and locating each of thousands of findings on it from the start was quadratic).
    struct Index: Sendable {
        var starts: [Int] = [0]
        var columns: [Int] = []
    }
    static let checkpointBytes = 4096

    public init(bytes: [UInt8], origin: SourceLocation = SourceLocation(line: 1, column: 1, offset: 0)) {
        self.bytes = bytes
        self.origin = origin
    }

    private var index: Index {
        cache.index.withLock { cached in
            if let cached { return cached }
            var index = Index()
            index.columns.reserveCapacity(bytes.count / Self.checkpointBytes + 1)
            bytes.withUnsafeBufferPointer { buf in
                var column = 1
                var i = 0
                while true {
                    if i % Self.checkpointBytes == 0 { index.columns.append(column) }
                    guard i < buf.count else { break }
                    if buf[i] == UInt8(ascii: "\n") {
                        index.starts.append(i + 1)
                        column = 1
                    } else if buf[i] & 0xC0 != 0x80 {
                        column += 1
                    }
                    i += 1
                }
            }
            cached = index
            return index
        }
    }

    /// The location of a byte offset relative to `bytes`.
    public func location(ofOffset offset: Int) -> SourceLocation {
        let clamped = max(0, min(offset, bytes.count))
        let index = self.index
        let lineStarts = index.starts
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= clamped { lo = mid } else { hi = mid - 1 }
        }
        let block = clamped / Self.checkpointBytes
        let blockStart = block * Self.checkpointBytes
        var column = 1
        var i = lineStarts[lo]
        if blockStart > i {
            column = index.columns[block]
            i = blockStart
        }
        while i < clamped {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        if lo == 0 { column += origin.column - 1 }
        return SourceLocation(line: origin.line + lo, column: column, offset: origin.offset + clamped)
    }

    /// The text of the line holding `offset`, for carets under errors.
    public func lineText(atOffset offset: Int) -> String {
        let clamped = max(0, min(offset, bytes.count))
        var start = clamped
        while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        var end = clamped
        while end < bytes.count, bytes[end] != UInt8(ascii: "\n"), bytes[end] != UInt8(ascii: "\r") { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
