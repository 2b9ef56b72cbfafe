public import CityCertJSON

/// Everything that decides a run's verdicts besides the target's answers: every file in the profile's
/// folder (the profile, its schemas, catalogs, contexts, rule parameter files: a profile reads nothing
/// outside its folder), every data file judged, the tool's version and the run's options. Two reports
/// with the same digest were judged by the same rules over the same data with the same tool.
///
/// The digest is the SHA-256 of the RFC 8785 (JCS) form of `json` (the fingerprint object without its
/// `digest` member), so anyone can recompute it from a report with any JCS implementation.
public struct Fingerprint: Sendable, Equatable {
    public static let formatVersion = "citycert-fingerprint/1"

    public enum Role: String, Sendable {
        /// A file in the profile's folder; its path is relative to that folder.
        case profile
        /// A data file under the command-line paths; its path is as the run reached it.
        case data
    }

    public struct File: Sendable, Equatable {
        public var role: Role
        public var path: String
        /// Size in bytes and SHA-256, nil when the file was not read (a symbolic link leading outside the
        /// profile's folder, which citycert never follows); `note` says why.
        public var size: Int?
        public var sha256: String?
        public var note: String?

        public init(role: Role, path: String, size: Int?, sha256: String?, note: String? = nil) {
            self.role = role
            self.path = path
            self.size = size
            self.sha256 = sha256
            self.note = note
        }
    }

    public var toolVersion: String
    /// Profile files (sorted by path), then data files (sorted by path).
    public var files: [File]
    /// Run options that can change a verdict, by name (a secret input's value is `***`: no digest of a
    /// secret is ever written, it could be guessed offline).
    public var options: [String: String]

    public init(toolVersion: String, files: [File], options: [String: String]) {
        self.toolVersion = toolVersion
        self.files = files
        self.options = options
    }

    public func files(_ role: Role) -> [File] { files.filter { $0.role == role } }

    /// The fingerprint without its digest, as reports carry it.
    public var json: JSONValue { .object(members) }

    /// The members of `json`, in report order.
    public var members: [(String, JSONValue)] {
        [
            ("format", .string(Self.formatVersion)),
            ("tool", .object([("name", .string("citycert")), ("version", .string(toolVersion))])),
            ("options", .object(options.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            (
                "files",
                .array(
                    files.map { f in
                        var members: [(String, JSONValue)] = [
                            ("role", .string(f.role.rawValue)), ("path", .string(f.path)),
                            ("size", f.size.map { .number(JSONNumber($0)) } ?? .null),
                            ("sha256", f.sha256.map(JSONValue.string) ?? .null),
                        ]
                        if let note = f.note { members.append(("note", .string(note))) }
                        return .object(members)
                    })
            ),
        ]
    }

    /// SHA-256 of the JCS form of `json`.
    public var digest: String { SHA256.hex(JSONSerializer.bytes(json, style: .canonical)) }
}
