public import Foundation

/// Paths into the repository for tests: fixtures, profiles and the built binary.
public enum Repository {
    /// The package root, found from this source file's path.
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    public static func fixture(_ relative: String) -> URL {
        root.appendingPathComponent("Fixtures").appendingPathComponent(relative)
    }
    public static func profile(_ relative: String) -> URL {
        root.appendingPathComponent("Profiles").appendingPathComponent(relative)
    }

    public static func read(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }
}
