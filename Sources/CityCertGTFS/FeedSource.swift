public import CityCertCSV
import Foundation
@preconcurrency import ZIPFoundation

/// Limits that keep a hostile feed from exhausting the machine (zip bombs, huge archives).
public struct GTFSLimits: Sendable {
    /// Entries in a zip.
    public var maxEntries = 10_000
    /// Uncompressed bytes of one entry, and of the whole feed.
    public var maxEntryBytes: UInt64 = 4 << 30
    public var maxTotalBytes: UInt64 = 8 << 30
    /// Uncompressed / compressed, for entries over 1 MiB.
    public var maxRatio: UInt64 = 200
    /// Longest CSV record.
    public var maxRecordBytes = 1 << 20
    public init() {}
}

/// A feed could not be read at all (not a zip, a hostile zip, unreadable folder).
public struct FeedError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// A GTFS feed: a folder of .txt files or a .zip of them.
public final class FeedSource {
    public let path: String
    /// File names at the root of the feed.
    public private(set) var files: [String] = []
    /// Entries in subfolders (GTFS files must be at the root).
    public private(set) var nested: [String] = []
    let archive: Archive?
    var entries: [String: Entry] = [:]
    let limits: GTFSLimits

    public init(path: String, limits: GTFSLimits = GTFSLimits()) throws(FeedError) {
        self.path = path
        self.limits = limits
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw FeedError(path: path, message: "no such file or folder")
        }
        if isDir.boolValue {
            archive = nil
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for n in names.sorted() {
                var d: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(n), isDirectory: &d)
                if d.boolValue {
                    if n.hasPrefix(".") || n.hasPrefix("__MACOSX") { continue }
                    let inner =
                        (try? FileManager.default.contentsOfDirectory(atPath: (path as NSString).appendingPathComponent(n))) ?? []
                    nested += inner.filter { $0.hasSuffix(".txt") }.map { "\(n)/\($0)" }
                } else if !n.hasPrefix(".") {
                    files.append(n)
                }
            }
            return
        }
        // Offsets and sizes are checked first: crafted ones would trap inside the zip library.
        try ZipPrecheck.validate(path, maxEntries: limits.maxEntries)
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read, pathEncoding: nil)
        } catch {
            throw FeedError(path: path, message: "not a readable zip archive (\(error))")
        }
        var count = 0
        var declared: UInt64 = 0
        for entry in archive! {
            count += 1
            if count > limits.maxEntries {
                throw FeedError(path: path, message: "more than \(limits.maxEntries) entries: refused (zip bomb guard)")
            }
            let name = entry.path
            // Path traversal and absolute names are refused outright: nothing is ever written, but a
            // feed that carries them is hostile or broken.
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            if name.hasPrefix("/") || name.hasPrefix("\\") || parts.contains("..") || name.contains("\\..") || name.contains(":")
            {
                throw FeedError(path: path, message: "entry '\(name)' leaves the archive (path traversal): refused")
            }
            guard entry.type == .file else { continue }
            let size = entry.uncompressedSize
            if size > limits.maxEntryBytes {
                throw FeedError(
                    path: path,
                    message:
                        "entry '\(name)' declares \(size) uncompressed bytes, over the \(limits.maxEntryBytes)-byte limit: refused (zip bomb guard)"
                )
            }
            if size > 1 << 20, entry.compressedSize > 0, size / entry.compressedSize > limits.maxRatio {
                throw FeedError(
                    path: path,
                    message:
                        "entry '\(name)' compresses \(size / entry.compressedSize):1, over the \(limits.maxRatio):1 limit: refused (zip bomb guard)"
                )
            }
            declared += size
            if declared > limits.maxTotalBytes {
                throw FeedError(
                    path: path,
                    message: "the entries declare more than \(limits.maxTotalBytes) uncompressed bytes: refused (zip bomb guard)")
            }
            if parts.count > 1 {
                if !name.hasPrefix("__MACOSX/") && name.hasSuffix(".txt") { nested.append(name) }
                continue
            }
            files.append(name)
            entries[name] = entry
        }
        files.sort()
    }

    /// The location of a file of the feed in reports: `feed/stops.txt` or `feed.zip/stops.txt`.
    public func display(_ file: String) -> String { (path as NSString).appendingPathComponent(file) }

    /// A CSV reader over one file of the feed, streamed (from disk or decompressed on the fly).
    public func reader(_ file: String) throws(FeedError) -> (CSVReader, () -> Void) {
        if archive == nil {
            let full = (path as NSString).appendingPathComponent(file)
            guard let handle = FileHandle(forReadingAtPath: full) else { throw FeedError(path: full, message: "cannot open") }
            let job = ReadJob(handle: handle)
            return streamed(full, failure: "cannot read") { pipe in
                defer { try? job.handle.close() }
                while true {
                    let chunk = try job.handle.read(upToCount: 1 << 20) ?? Data()
                    if chunk.isEmpty { break }
                    try pipe.push(chunk)
                }
            }
        }
        guard let entry = entries[file], let archive else { throw FeedError(path: display(file), message: "no such entry") }
        let maxEntryBytes = limits.maxEntryBytes
        let declared = entry.uncompressedSize
        // One extraction at a time per archive: the reader of one file finishes before the next opens.
        let job = ExtractJob(archive: archive, entry: entry)
        return streamed(display(file), failure: "cannot decompress") { pipe in
            var produced: UInt64 = 0
            _ = try job.archive.extract(job.entry, bufferSize: 1 << 20, skipCRC32: false) { data in
                produced += UInt64(data.count)
                // The header may lie: count what really comes out.
                if produced > declared || produced > maxEntryBytes {
                    throw FeedError(
                        path: file, message: "decompresses past its declared \(declared) bytes: refused (zip bomb guard)")
                }
                try pipe.push(data)
            }
        }
    }

    /// A CSV reader fed by `produce`, run on a second thread so that reading (or decompressing) and
    /// checking overlap; the hand-over holds at most 4 chunks. The returned closure lets the producer stop.
    func streamed(_ display: String, failure: String, produce: @escaping @Sendable (ChunkPipe) throws -> Void) -> (
        CSVReader, () -> Void
    ) {
        let pipe = ChunkPipe(capacity: 4)
        let thread = Thread {
            do {
                try produce(pipe)
                pipe.finish(nil)
            } catch {
                pipe.finish(error)
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
        let reader = CSVReader(maxRecordBytes: limits.maxRecordBytes) { out throws in
            do {
                guard let chunk = try pipe.pop() else { return false }
                out.append(contentsOf: chunk)
                return true
            } catch let e as FeedError {
                throw FeedError(path: display, message: e.message)
            } catch {
                throw FeedError(path: display, message: "\(failure): \(error)")
            }
        }
        return (reader, { pipe.cancel() })
    }
}

/// A bounded hand-over of chunks from the decompressing thread to the reader.
final class ChunkPipe: @unchecked Sendable {
    let condition = NSCondition()
    var chunks: [Data] = []
    var done = false
    var failure: (any Error)?
    var cancelled = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    struct Cancelled: Error {}

    func push(_ d: Data) throws {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity && !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        chunks.append(d)
        condition.broadcast()
    }

    func finish(_ error: (any Error)?) {
        condition.lock()
        done = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    func pop() throws -> Data? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !done { condition.wait() }
        if !chunks.isEmpty {
            let d = chunks.removeFirst()
            condition.broadcast()
            return d
        }
        if let failure, !(failure is Cancelled) { throw failure }
        return nil
    }

    /// The reader is done early: let the producer stop.
    func cancel() {
        condition.lock()
        cancelled = true
        chunks.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}

/// The archive and entry handed to the decompressing thread (used by that thread only).
struct ExtractJob: @unchecked Sendable {
    let archive: Archive
    let entry: Entry
}

/// The file handle handed to the read-ahead thread (used by that thread only).
struct ReadJob: @unchecked Sendable {
    let handle: FileHandle
}
