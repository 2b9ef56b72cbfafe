public import CityCertCore
import CityCertJSON
import CityCertRules
import Foundation

/// Computes a run's `Fingerprint`: the files of the profile's folder, the data files, the options.
public enum Fingerprinting {
    /// A profile's folder holds the profile and what it loads; one with more is refused rather than
    /// hashed for minutes (a profile written straight into a home or checkout folder).
    static let maxProfileFiles = 10_000
    static let maxProfileBytes = 1 << 30

    public static func fingerprint(
        profileFolder: String, dataFiles: [String], options: [String: String], toolVersion: String
    ) throws(RunError) -> Fingerprint {
        let profileFiles = try profile(folder: profileFolder)
        let data = try self.data(dataFiles)
        return Fingerprint(toolVersion: toolVersion, files: profileFiles + data, options: options)
    }

    /// Every file under `folder`, paths relative to it, sorted. A symbolic link is followed only when it
    /// resolves inside the folder (as the loader follows it); one leading outside is listed as not read.
    static func profile(folder: String) throws(RunError) -> [Fingerprint.File] {
        guard let top = RealPath.of(folder) else { return [] }
        var out: [Fingerprint.File] = []
        var bytes = 0
        var problem: RunError?
        func walk(_ dir: String, _ relative: String, depth: Int) {
            guard problem == nil else { return }
            guard depth < 64 else {
                out.append(
                    .init(role: .profile, path: relative, size: nil, sha256: nil, note: "nested deeper than 64 folders: not read")
                )
                return
            }
            guard let names = FileSelector.entries(of: dir) else {
                out.append(.init(role: .profile, path: relative, size: nil, sha256: nil, note: "folder cannot be read"))
                return
            }
            for name in names {
                guard problem == nil else { return }
                guard let text = String(validating: name, as: UTF8.self) else {
                    out.append(
                        .init(
                            role: .profile, path: (relative.isEmpty ? "" : relative + "/") + FileSelector.shown(name), size: nil,
                            sha256: nil,
                            note: "name is not valid UTF-8: no profile can load it"))
                    continue
                }
                let full = dir + "/" + text
                let path = relative.isEmpty ? text : relative + "/" + text
                var st = stat()
                guard lstat(full, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: walk(full, path, depth: depth + 1)
                case S_IFREG: hash(full, path, size: Int(st.st_size))
                case S_IFLNK:
                    guard RealPath.inside(full, top) != nil else {
                        out.append(
                            .init(
                                role: .profile, path: path, size: nil, sha256: nil,
                                note:
                                    "symbolic link leading outside the profile folder (or to the folder itself, or nowhere): never followed"
                            ))
                        continue
                    }
                    var target = stat()
                    if stat(full, &target) == 0, target.st_mode & S_IFMT == S_IFREG {
                        hash(full, path, size: Int(target.st_size))
                    } else {
                        // A link to a folder inside: its files are listed where they are.
                        out.append(
                            .init(
                                role: .profile, path: path, size: nil, sha256: nil,
                                note: "symbolic link to a folder or to something that is not a regular file: not read"))
                    }
                default:
                    // A FIFO, a socket, a device: no profile loads one (reading a FIFO would wait forever).
                    out.append(.init(role: .profile, path: path, size: nil, sha256: nil, note: "not a regular file: never read"))
                }
            }
        }
        func hash(_ full: String, _ path: String, size: Int) {
            // Both limits are checked before anything is read: an oversized folder is refused at once.
            guard out.count < maxProfileFiles else {
                problem = RunError(
                    "the profile's folder \(folder) holds more than \(maxProfileFiles) files; a profile lives in a folder of its "
                        + "own (the report's fingerprint covers every file in it)")
                return
            }
            bytes += size
            guard bytes <= maxProfileBytes else {
                problem = RunError(
                    "the profile's folder \(folder) holds more than \(maxProfileBytes >> 20) MiB; a profile lives in a folder of "
                        + "its own (the report's fingerprint covers every file in it)")
                return
            }
            guard let (read, digest) = digest(ofFile: full) else {
                out.append(.init(role: .profile, path: path, size: nil, sha256: nil, note: "cannot be read"))
                return
            }
            out.append(.init(role: .profile, path: path, size: read, sha256: digest))
        }
        walk(top, "", depth: 0)
        if let problem { throw problem }
        return out
    }

    /// Each data file, as the run reads it. One that cannot be read now is listed so (its checks say why).
    static func data(_ files: [String]) throws(RunError) -> [Fingerprint.File] {
        files.sorted().map { f in
            guard let (size, digest) = digest(ofFile: f) else {
                return .init(role: .data, path: f, size: nil, sha256: nil, note: "cannot be read")
            }
            return .init(role: .data, path: f, size: size, sha256: digest)
        }
    }

    /// The run options that can change a verdict. Inputs are listed by name; a secret one as `***`.
    static func options(
        _ o: RunOptions, inputs: [String: String], secretInputs: Set<String>, redact: (String) -> String
    ) -> [String: String] {
        var out: [String: String] = [
            "fail-on": o.failOn.rawValue,
            "read-only": String(o.readOnly),
            "insecure": String(o.insecure),
            "jobs": String(max(1, o.jobs)),
            "filter": o.filters.sorted().joined(separator: " "),
            "class": o.classes.sorted().joined(separator: " "),
            "connect-timeout": o.connectTimeout.map { String($0) } ?? "profile",
            "timeout": o.totalTimeout.map { String($0) } ?? "profile",
        ]
        if let m = o.model { out["model"] = m }
        if let r = o.representation { out["representation"] = r.rawValue }
        // A value that holds a secret's text (an input that contains a secret input) is redacted, as the
        // report's target is.
        for (name, value) in inputs { out["input." + name] = secretInputs.contains(name) ? "***" : redact(value) }
        for (name, value) in o.recordedOptions { out[name] = redact(value) }
        return out
    }

    /// Size and SHA-256 of the file at `path`, read in 1 MiB chunks (a feed of any size is hashed in
    /// constant memory); nil when it cannot be opened or read.
    static func digest(ofFile path: String) -> (size: Int, sha256: String)? {
        // Non-blocking open and a regular-file check: a FIFO put where a file was expected must not hang
        // the run before it starts.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        var hasher = SHA256.Hasher()
        var size = 0
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { chunk.deallocate() }
        while true {
            let n = read(fd, chunk.baseAddress, chunk.count)
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: chunk[..<n]))
            size += n
        }
        return (size, hasher.finalize())
    }
}
