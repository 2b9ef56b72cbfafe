import Foundation

/// Writes a file whole or not at all: a temporary file in the same folder, then rename(2).
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try Data(bytes).write(to: temp)
            if rename(temp.path, url.path) != 0 {
                let e = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temp)
                throw ReportError("cannot write \(path): \(e)")
            }
        } catch let e as ReportError {
            throw e
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw ReportError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// ISO 8601 UTC timestamps with milliseconds, as reports print them.
enum Timestamp {
    static func iso(_ seconds: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: seconds))
    }
}
