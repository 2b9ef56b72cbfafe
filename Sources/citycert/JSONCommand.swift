import ArgumentParser
import CityCertJSON
import CityCertJSONPath
import CityCertJSONSchema
import Foundation

struct JSONCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json", abstract: "JSON helpers for profile authors.", subcommands: [Validate.self, Query.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Validate JSON files against a JSON Schema: exit 0 valid, 1 invalid, 2 schema invalid or a document not judged (a limit)."
        )

        @Option(name: .customLong("schema"), help: "The schema file.") var schema: String
        @Option(
            name: .customLong("catalog"),
            help: "A catalog file (JSON: URI -> path) or a folder of schemas indexed by $id (repeatable).")
        var catalogs: [String] = []
        @Option(name: .customLong("draft"), help: "Draft for schemas without $schema: 4, 6, 7, 2019-09, 2020-12.") var draft =
            "2020-12"
        @Flag(name: .customLong("formats"), help: "Make `format` assert.") var formats = false
        @Option(
            name: .customLong("jobs"),
            help: "Threads that parse and validate JSON Lines records, 1 to 256 (default: the number of processors, at most 64).")
        var jobs: Int = min(ProcessInfo.processInfo.activeProcessorCount, 64)
        @Option(
            name: .customLong("max-document-bytes"),
            help: "Largest file read as one JSON document (the schema, or a file that is not JSON Lines).")
        var maxDocumentBytes = JSONCommand.defaultMaxDocumentBytes
        @Argument(help: "JSON files (.jsonl / .ndjson: one document per line).") var files: [String]

        func run() throws {
            var options = SchemaOptions()
            guard let d = SchemaDraft(name: draft) else {
                warn("error: unknown draft '\(draft)'")
                throw ExitCode(2)
            }
            options.defaultDraft = d
            options.formatAssertion = formats
            // Relative $refs between files in the schema's folder are followed; nothing outside it.
            var catalog = SchemaCatalog(
                fileRoot: URL(fileURLWithPath: schema).standardizedFileURL.deletingLastPathComponent().path)
            let compiled: [JSONSchema]
            do {
                for c in catalogs {
                    var isDir: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: c, isDirectory: &isDir) else {
                        warn("error: no such catalog \(c)")
                        throw ExitCode(2)
                    }
                    if isDir.boolValue { try catalog.addFolder(c, baseURI: nil) } else { try catalog.addMappings(fromFile: c) }
                }
                let url = URL(fileURLWithPath: schema).standardizedFileURL
                let doc = try JSONDocument(bytes: try JSONCommand.readDocument(url.path, limit: maxDocumentBytes)).root
                guard (1...256).contains(jobs) else {
                    warn("error: --jobs must be between 1 and 256")
                    throw ExitCode(2)
                }
                // One compiled copy per worker thread for JSON Lines (see `forEachLine(path:jobs:…)`).
                let copies = files.contains(where: JSONCommand.isJSONLines) ? jobs : 1
                compiled = try (0..<copies).map { _ in
                    try JSONSchema(document: doc, uri: url.absoluteString, path: url.path, catalog: catalog, options: options)
                }
            } catch let e as ExitCode {
                throw e
            } catch let e as JSONParseError {
                warn("\(schema):\(e.location): error: \(e.message)")
                throw ExitCode(2)
            } catch {
                warn("error: \(error)")
                throw ExitCode(2)
            }
            // The schema and every schema it reaches must be valid against their draft's meta-schema, and
            // hold no misspelt keyword (validators ignore it, and the check it meant is off).
            let problems = MetaSchemas.problems(of: compiled[0], fallback: d)
            if !problems.isEmpty {
                for p in problems { warn(JSONCommand.located(p)) }
                warn("error: the schema is not valid (\(problems.count) problem(s)); nothing was validated")
                throw ExitCode(2)
            }
            var invalid = 0
            var undecided = 0
            for file in files {
                let lines = JSONCommand.isJSONLines(file)
                let reader = JSONStreamReader()
                // Each record's verdict and its printed lines; records are checked on `jobs` threads and
                // printed in file order. A record is parsed to a tape and checked on it (no tree) first;
                // only when that does not say "valid" is the tree built, and its validator's output is
                // the verdict.
                let parsers = (0..<max(jobs, 1)).map { _ in TapeParserSlot(options: reader.options) }
                let check: @Sendable (Int, JSONLine) -> Verdict = { slot, line in
                    let compiled = compiled[min(slot, compiled.count - 1)]
                    if let n = line.oversized {
                        let e = reader.oversizedError(n, line.origin)
                        return Verdict(.undecided, ["\(file):\(e.location): error: \(e.message)"])
                    }
                    let tape: JSONTape
                    do throws(JSONParseError) {
                        tape = try parsers[slot].parser.parse(line.bytes, origin: line.origin)
                    } catch {
                        // A parser limit (nesting, string or number size) is the harness's, not the data's.
                        if error.isLimit { return Verdict(.undecided, ["\(file):\(error.location): error: \(error.message)"]) }
                        return Verdict(.invalid, ["\(file):\(error.location): not valid JSON: \(error.message)"])
                    }
                    if compiled.isValid(tape: tape) == true { return Verdict(.valid, []) }
                    let doc = JSONDocument(tape: tape)
                    if compiled.isValid(doc.root) { return Verdict(.valid, []) }
                    let errors = compiled.validate(doc.root)
                    let shown = errors.map { e in
                        let loc = doc.location(of: e.instanceLocation) ?? line.origin
                        let pointer = e.instanceLocation.description.isEmpty ? "/" : e.instanceLocation.description
                        return "\(file):\(loc): \(e.isLimit ? "error: " : "")\(pointer): \(e.message) [\(e.keywordLocation)]"
                    }
                    if errors.contains(where: \.isLimit) { return Verdict(.undecided, shown) }
                    return Verdict(errors.isEmpty ? .valid : .invalid, shown)
                }
                let emit: (Verdict) -> Void = { result in
                    switch result.kind {
                    case .invalid: invalid += 1
                    case .undecided: undecided += 1
                    case .valid: break
                    }
                    for line in result.lines { print(line) }
                }
                do {
                    if lines {
                        try reader.forEachRawLine(path: file, jobs: jobs, map: check, emit: emit)
                    } else {
                        let bytes = try JSONCommand.readDocument(file, limit: maxDocumentBytes)
                        emit(check(0, JSONLine(bytes: bytes, origin: SourceLocation(line: 1, column: 1, offset: 0), index: 0)))
                    }
                } catch let e as ExitCode {
                    throw e
                } catch {
                    warn("error: \(error)")
                    throw ExitCode(2)
                }
            }
            // A document a limit kept from being judged is neither valid nor invalid: invalid ones decide
            // (exit 1), else the undecided ones make the answer an error (exit 2).
            if undecided > 0 {
                print("\(undecided) document(s) not judged (a limit of citycert, named above)")
            }
            if invalid > 0 {
                print("\(invalid) invalid document(s)")
                throw ExitCode(1)
            }
            if undecided > 0 { throw ExitCode(2) }
            print("valid")
        }
    }

    /// 256 MiB: a whole document's tree takes several times its size in memory.
    static let defaultMaxDocumentBytes = 256 << 20

    /// A file read whole as one JSON document: at most `limit` bytes are read (through a symbolic link,
    /// from a pipe alike), and a longer file is refused with exit 2.
    static func readDocument(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            warn("error: cannot read \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                warn("error: cannot read \(path): \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else {
                warn(
                    "error: \(path) is longer than the \(limit) bytes a whole JSON document may have "
                        + "(records one per line as .jsonl are read one at a time; --max-document-bytes raises the limit)")
                throw ExitCode(2)
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// `.jsonl` / `.ndjson`: one document per line.
    /// `file:line:col: error: pointer: message` for a schema problem (line:col when the file can be read).
    static func located(_ p: MetaSchemas.Problem) -> String {
        let pointer = p.pointer.description.isEmpty ? "/" : p.pointer.description
        guard let path = p.path, let data = FileManager.default.contents(atPath: path),
            let doc = try? JSONDocument(bytes: Array(data)), let at = doc.location(of: p.pointer)
        else { return "\(p.path ?? p.uri): error: \(pointer): \(p.message)" }
        return "\(path):\(at): error: \(pointer): \(p.message)"
    }

    static func isJSONLines(_ file: String) -> Bool { file.hasSuffix(".jsonl") || file.hasSuffix(".ndjson") }

    /// One document's answer and the lines printed for it.
    struct Verdict: Sendable {
        enum Kind: Sendable { case valid, invalid, undecided }
        let kind: Kind
        let lines: [String]
        init(_ kind: Kind, _ lines: [String]) {
            self.kind = kind
            self.lines = lines
        }
    }

    /// A tape parser for one worker slot: `forEachRawLine(path:jobs:…)` never runs two batches on one
    /// slot at once, so each parser is used by one thread at a time and keeps its buffers between lines.
    final class TapeParserSlot: @unchecked Sendable {
        var parser: JSONTapeParser
        init(options: JSONParseOptions) { parser = JSONTapeParser(options: options) }
    }

    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the values an RFC 9535 JSONPath selects, with their normalized paths.")

        @Argument(help: "The JSONPath query.") var query: String
        @Option(name: .customLong("max-document-bytes"), help: "Largest JSON file read.")
        var maxDocumentBytes = JSONCommand.defaultMaxDocumentBytes
        @Option(
            name: .customLong("max-steps"),
            help:
                "Evaluation steps allowed per document (default: 10,000,000, or 8 per node and per selector or filter term, if more)."
        )
        var maxSteps: Int?
        @Argument(help: "JSON files.") var files: [String]

        func run() throws {
            let path: JSONPath
            do {
                path = try JSONPath(query)
            } catch {
                warn("error: \(error)")
                throw ExitCode(2)
            }
            for file in files {
                let bytes = try JSONCommand.readDocument(file, limit: maxDocumentBytes)
                let doc: JSONDocument
                do {
                    doc = try JSONDocument(bytes: bytes)
                } catch {
                    warn("\(file):\(error.location): error: \(error.message)")
                    throw ExitCode(2)
                }
                let nodes: [JSONPathNode]
                do {
                    nodes = try path.select(doc.root, stepLimit: maxSteps)
                } catch {
                    warn("\(file): error: \(error)")
                    throw ExitCode(2)
                }
                for node in nodes {
                    let prefix = files.count > 1 ? "\(file)\t" : ""
                    print("\(prefix)\(node.location)\t\(JSONSerializer.string(node.value))")
                }
            }
        }
    }
}
