public import CityCertJSON
import Foundation

/// An offline map from schema URIs to local documents. A `$ref` to a URI that is neither inside the
/// schema being compiled nor in the catalog is a compile error: citycert never fetches schemas.
public struct SchemaCatalog: Sendable {
    /// A document and, when it came from a file, the file's path (for messages).
    public struct Entry: Sendable {
        public let document: JSONValue
        public let path: String?
    }

    private var entries: [String: Entry] = [:]
    /// Files are read lazily on first use.
    private var files: [String: String] = [:]

    /// `file:` URIs under this folder (relative `$ref`s between local schema files) are read; any other
    /// `file:` URI is refused. Nil refuses all `file:` URIs that are not registered.
    public var fileRoot: String?

    public init(fileRoot: String? = nil) {
        self.fileRoot = fileRoot.map { RealPath.of($0) ?? $0 }
    }

    static func key(_ uri: String) -> String { URIReference(uri).withoutFragment.description }

    /// Registers `document` under `uri`.
    public mutating func add(uri: String, document: JSONValue, path: String? = nil) {
        entries[Self.key(uri)] = Entry(document: document, path: path)
    }

    /// Registers a file to be read when `uri` is first needed.
    public mutating func add(uri: String, file: String) { files[Self.key(uri)] = file }

    /// Maps every `*.json` under `folder` to `baseURI + relative path` (e.g. the test suite's remotes
    /// served at `http://localhost:1234/`), and also under its top-level `$id` if it has one.
    /// With `sandbox` (the profile's folder), a file whose symbolic links lead outside it is refused.
    public mutating func addFolder(_ folder: String, baseURI: String?, sandbox: String? = nil) throws {
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw SchemaCompileError(message: "cannot read the catalog folder \(folder)", location: folder)
        }
        for case let url as URL in walker where url.pathExtension == "json" || url.pathExtension == "jsonld" {
            if let sandbox {
                guard RealPath.inside(url.path, sandbox) != nil else {
                    throw SchemaCompileError(
                        message: "\(url.path) leads outside the profile folder (a symbolic link?); only files inside it are read",
                        location: url.path)
                }
            }
            let relative = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            if let baseURI { add(uri: baseURI + relative, file: url.path) }
            if let doc = try? JSONValue.parse(bytes: Array(Data(contentsOf: url))) {
                for key in ["$id", "id"] {
                    if let id = doc[key]?.stringValue, URIReference(id).isAbsolute {
                        add(uri: id, document: doc, path: url.path)
                        break
                    }
                }
                if let baseURI { add(uri: baseURI + relative, document: doc, path: url.path) }
            }
        }
    }

    /// Loads a catalog file: a JSON object mapping URIs to file paths relative to the catalog file.
    /// Paths may not leave `sandbox` (the profile's folder) when it is given.
    public mutating func addMappings(fromFile path: String, sandbox: String? = nil) throws {
        let url = URL(fileURLWithPath: path)
        let doc: JSONDocument
        do {
            doc = try JSONDocument(bytes: Array(try Data(contentsOf: url)))
        } catch let error as JSONParseError {
            throw SchemaCompileError(
                message: "catalog is not valid JSON: \(error.message)", location: "\(path):\(error.location)")
        }
        guard case .object(let map) = doc.root else {
            throw SchemaCompileError(message: "a catalog must be a JSON object of URI: path", location: path)
        }
        let folder = url.deletingLastPathComponent()
        for (uri, value) in map {
            let place =
                "\(path):\(doc.location(of: JSONPointer(tokens: [uri])) ?? SourceLocation(line: 1, column: 1, offset: 0))"
            guard let relative = value.stringValue else {
                throw SchemaCompileError(message: "catalog entry '\(uri)' must map to a file path", location: place)
            }
            let joined = folder.appendingPathComponent(relative).standardizedFileURL.path
            // A file that does not exist (yet) is registered as written: reading it fails then, clearly.
            let file = RealPath.of(joined) ?? joined
            if let sandbox {
                let top = RealPath.of(sandbox) ?? sandbox
                guard file.hasPrefix(top + "/") else {
                    throw SchemaCompileError(
                        message: "catalog entry '\(uri)' points outside the profile folder: \(relative)", location: place)
                }
            }
            add(uri: uri, file: file)
        }
    }

    /// The file that backs `key`: a registered file, or a `file:` URI inside `fileRoot`.
    private func file(for key: String) throws -> String? {
        if let f = files[key] { return f }
        guard let root = fileRoot, key.hasPrefix("file://") else { return nil }
        guard let written = URL(string: key)?.standardizedFileURL.path else { return nil }
        let path = RealPath.of(written) ?? written
        guard path.hasPrefix(root + "/") else {
            throw SchemaCompileError(
                message: "$ref to \(key) leaves the schema folder \(root); only files inside it are read", location: key)
        }
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The document registered for `uri` (fragment ignored), reading its file if needed.
    public func document(for uri: String) throws -> Entry? {
        let k = Self.key(uri)
        if let e = entries[k] { return e }
        guard let path = try file(for: k) else {
            // The official meta-schemas are built in: a $ref to one resolves offline.
            return MetaSchemas.document(for: k).map { Entry(document: $0, path: nil) }
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SchemaCompileError(message: "catalog file for \(k) cannot be read: \(path)", location: path)
        }
        let parsed: Result<JSONDocument, JSONParseError>
        do throws(JSONParseError) {
            parsed = .success(try JSONDocument(bytes: Array(data)))
        } catch {
            parsed = .failure(error)
        }
        switch parsed {
        case .success(let doc): return Entry(document: doc.root, path: path)
        case .failure(let error):
            throw SchemaCompileError(
                message: "catalog file for \(k) is not valid JSON: \(error.message)", location: "\(path):\(error.location)")
        }
    }

    public var uris: [String] { Array(Set(entries.keys).union(files.keys)).sorted() }
}

/// A schema that cannot be compiled: unknown draft, bad keyword value, unresolvable `$ref`.
public struct SchemaCompileError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// Where: a file path, URI and/or JSON pointer.
    public let location: String
    public init(message: String, location: String) {
        self.message = message
        self.location = location
    }
    public var description: String { "\(location): \(message)" }
}
