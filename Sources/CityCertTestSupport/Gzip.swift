import Foundation

/// gzip by `gzip` itself (Debian's), for tests of content codings and compression bombs.
public enum Gzip {
    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        let dir = NSTemporaryDirectory() + "citycert-gz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard FileManager.default.createFile(atPath: dir + "/b", contents: Data(bytes)) else {
            throw ServerError("cannot write \(dir)/b")
        }
        guard Subprocess.wait(try Subprocess.spawn("/bin/gzip", ["-n", dir + "/b"])) == 0 else {
            throw ServerError("gzip failed")
        }
        return Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/b.gz")))
    }
}
