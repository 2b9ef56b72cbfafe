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

    public init() {}

    static func key(_ uri: String) -> String { URIReference(uri).withoutFragment.description }

    /// Registers `document` under `uri`.
    public mutating func add(uri: String, document: JSONValue, path: String? = nil) {
        entries[Self.key(uri)] = Entry(document: document, path: path)
    }

    /// Registers a file to be read when `uri` is first needed.
    public mutating func add(uri: String, file: String) { files[Self.key(uri)] = file }

    /// Maps every `*.json` under `folder` to `baseURI + relative path` (e.g. the test suite's remotes
    /// served at `http://localhost:1234/`), and also under its top-level `$id` if it has one.
    public mutating func addFolder(_ folder: String, baseURI: String?) throws {
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw SchemaCompileError(message: "cannot read the catalog folder \(folder)", location: folder)
        }
        for case let url as URL in walker where url.pathExtension == "json" || url.pathExtension == "jsonld" {
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
            throw SchemaCompileError(message: "catalog is not valid JSON: \(error.message)", location: "\(path):\(error.location)")
        }
        guard case .object(let map) = doc.root else {
            throw SchemaCompileError(message: "a catalog must be a JSON object of URI: path", location: path)
        }
        let folder = url.deletingLastPathComponent()
        for (uri, value) in map {
            let where_ = "\(path):\(doc.location(of: JSONPointer(tokens: [uri])) ?? SourceLocation(line: 1, column: 1, offset: 0))"
            guard let relative = value.stringValue else {
                throw SchemaCompileError(message: "catalog entry '\(uri)' must map to a file path", location: where_)
            }
            let file = folder.appendingPathComponent(relative).standardizedFileURL.path
            if let sandbox {
                let root = URL(fileURLWithPath: sandbox).standardizedFileURL.path
                guard file.hasPrefix(root + "/") else {
                    throw SchemaCompileError(message: "catalog entry '\(uri)' points outside the profile folder: \(relative)", location: where_)
                }
            }
            add(uri: uri, file: file)
        }
    }

    /// The document registered for `uri` (fragment ignored), reading its file if needed.
    public func document(for uri: String) throws -> Entry? {
        let k = Self.key(uri)
        if let e = entries[k] { return e }
        guard let file = files[k] else { return nil }
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw SchemaCompileError(message: "catalog file for \(k) cannot be read: \(file)", location: file)
        }
        do {
            return Entry(document: try JSONDocument(bytes: bytes).root, path: file)
        } catch let error as JSONParseError {
            throw SchemaCompileError(message: "catalog file for \(k) is not valid JSON: \(error.message)", location: "\(file):\(error.location)")
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
