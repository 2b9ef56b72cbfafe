import Foundation

/// Paths resolved as the kernel resolves them when a file is opened (realpath(3)): every symbolic link,
/// however long the chain. Foundation's `resolvingSymlinksInPath` gives up after 20 links and returns the
/// path unchanged, which let a chain of 21 links inside a profile's folder open a file outside it.
public enum RealPath {
    /// The resolved path, or nil when it cannot be resolved (missing, a dangling link, a loop).
    public static func of(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The resolved path of `path` when it lies inside `folder` (resolved too), else nil.
    public static func inside(_ path: String, _ folder: String) -> String? {
        guard let full = of(path), let top = of(folder) else { return nil }
        return full.hasPrefix(top == "/" ? "/" : top + "/") ? full : nil
    }
}
