import Foundation

/// The built `citycert` executable, found next to the test bundle (or in .build/debug).
public enum CityCertBinary {
    public static var path: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("citycert")
            .path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return Repository.root.appendingPathComponent(".build/debug/citycert").path
    }

    /// Runs `citycert` with the repository root as working directory.
    public static func run(_ arguments: [String], timeout: Double = 120) throws -> Subprocess.Result {
        try Subprocess.run(path, arguments, cwd: Repository.root.path, timeout: timeout)
    }

    /// `run` for async code, waited for off the cooperative threads (see `Subprocess.run`).
    public static func run(_ arguments: [String], timeout: Double = 120) async throws -> Subprocess.Result {
        try await Subprocess.run(path, arguments, cwd: Repository.root.path, timeout: timeout)
    }
}
