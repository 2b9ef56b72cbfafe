import CityCertCore
import CityCertJSON
import CityCertJSONPath
import CityCertJSONSchema
import CityCertProfile
import CityCertRules
import Foundation
import Synchronization

/// Runs one data check over the matching files: streams documents, validates, locates every finding.
struct DataCheckRunner {
    let check: DataCheck
    let files: [String]
    let options: RunOptions
    /// Where the documents this check selects are recorded, for the run's coverage.
    var coverage: CoverageLedger? = nil
    /// The run's variables: templates in assertion values (`equals: "{{input}}"`) are rendered with them.
    var variables: Variables? = nil

    final class Collector: Sendable {
        struct State {
            var findings: [DataFinding] = []
            var total = 0
            var documents = 0
            var errors: [String] = []
        }
        let state = Mutex(State())
        let limit: Int
        init(limit: Int) { self.limit = limit }

        func add(_ f: DataFinding) {
            state.withLock { s in
                s.total += 1
                if s.findings.count < limit { s.findings.append(f) }
            }
        }
        func document() { state.withLock { $0.documents += 1 } }
        /// False once the listed findings are full: later findings are only counted, not located.
        var wantsDetails: Bool { state.withLock { $0.findings.count < limit } }
        func count() { state.withLock { $0.total += 1 } }
        func error(_ e: String) { state.withLock { $0.errors.append(e) } }
    }

    func run() async -> CheckResult {
        if files.isEmpty {
            return CheckResult(
                name: check.name, outcome: .notApplicable,
                message: "no input file matches \(check.files.joined(separator: ", "))", evidence: [])
        }
        let collector = Collector(limit: options.maxFindingsPerCheck)
        let sessions = check.rules.map { (id: $0.id, session: $0.rule.makeSession()) }
        let jobs = max(1, options.jobs)
        // An interruption stops the walk between files: no new file is started.
        let interrupted = { options.interruption?.isInterrupted == true }
        var started = 0
        if jobs == 1 || files.count == 1 {
            for f in files {
                if interrupted() { break }
                started += 1
                scan(f, collector, sessions)
            }
        } else {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<min(jobs, files.count) where !interrupted() {
                    let f = files[started]
                    started += 1
                    group.addTask { scan(f, collector, sessions) }
                }
                while await group.next() != nil, started < files.count, !interrupted() {
                    let f = files[started]
                    started += 1
                    group.addTask { scan(f, collector, sessions) }
                }
            }
        }
        if started < files.count, let signal = options.interruption?.signalName {
            // Cut short: what was read is not a verdict on the files (a finding may be in one not read).
            return CheckResult(
                name: check.name, outcome: .skipped,
                message: "cut short by \(signal) after \(started) of \(files.count) file(s); not judged", evidence: [])
        }
        for (id, session) in sessions {
            session.finish { f in
                if f.isLimit {
                    collector.error("\(f.file ?? ""):\(f.location?.line ?? 0):\(f.location?.column ?? 0): \(id): \(f.message)")
                    return
                }
                collector.add(
                    DataFinding(
                        file: f.file ?? "", line: f.location?.line ?? 0, column: f.location?.column ?? 0,
                        pointer: f.pointer.description, message: f.message, rule: id))
            }
        }
        let s = collector.state.withLock { $0 }
        var evidence: [Evidence] = [.note("\(s.documents) document(s) checked in \(files.count) file(s)")]
        let sorted = s.findings.sorted { ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column) }
        evidence += sorted.map { .finding($0) }
        if s.total > s.findings.count { evidence.append(.note("\(s.total - s.findings.count) more finding(s) not listed")) }
        for e in s.errors { evidence.append(.note(e)) }
        if !s.errors.isEmpty && s.total == 0 {
            return CheckResult(name: check.name, outcome: .error, message: s.errors.first, evidence: evidence)
        }
        if s.total > 0 {
            let first = sorted[0]
            return CheckResult(
                name: check.name, outcome: .failed,
                message:
                    "\(s.total) finding(s); first: \(first.file):\(first.line):\(first.column) \(first.pointer.isEmpty ? "/" : first.pointer): \(first.message)",
                evidence: evidence)
        }
        if s.documents == 0 {
            return CheckResult(
                name: check.name, outcome: .notApplicable,
                message: "not applicable: no document in the matching files is selected by this check",
                evidence: evidence)
        }
        return CheckResult(name: check.name, outcome: .passed, message: nil, evidence: evidence)
    }

    func format(of file: String) -> DataFormat {
        if check.format != .auto { return check.format }
        let lower = file.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
        if lower.hasSuffix(".jsonld") { return .jsonld }
        return .json
    }

    func scan(_ file: String, _ collector: Collector, _ sessions: [(id: String, session: any RuleSession)]) {
        let reader = JSONStreamReader()
        var read = CoverageLedger.FileRead()
        let handle: (JSONRecord) -> Void = { record in
            let selected = self.check(record, file: file, collector, sessions)
            if self.coverage != nil {
                read.origins.append(record.origin)
                read.selected.append(selected)
            }
        }
        do {
            switch format(of: file) {
            case .jsonl: try reader.forEachLine(path: file, handle)
            case .document:
                read.whole = true
                try reader.forWholeDocument(path: file, handle)
            default: try reader.forEachArrayElement(path: file, handle)
            }
        } catch {
            collector.error("\(file): \(error)")
        }
        coverage?.record(file, read)
    }

    /// Whether a document is one this check looks at.
    func selects(_ root: JSONValue) throws(AssertionUndecided) -> Bool {
        for s in check.select {
            switch s {
            case .assertion(let a):
                if try !AssertionEvaluator.evaluate(a, on: root, variables: variables, stepLimit: options.jsonPathStepLimit)
                    .isEmpty
                {
                    return false
                }
            case .model(let models):
                guard let m = options.model ?? EntityShape.model(root), models.contains(m) else { return false }
            case .representation(let reps):
                if !reps.contains(options.representation ?? EntityShape.detect(root)) { return false }
            }
        }
        return true
    }

    /// Judges one document; returns whether the check looked at it (selected it, or found it broken).
    @discardableResult
    func check(_ record: JSONRecord, file: String, _ collector: Collector, _ sessions: [(id: String, session: any RuleSession)])
        -> Bool
    {
        let document: JSONDocument
        switch record.document {
        case .failure(let e) where e.isLimit:
            // Valid JSON, maybe, past a limit of the parser: no verdict on this document, and no blame.
            collector.document()
            collector.error(
                "\(file):\(e.location.line):\(e.location.column): cannot be judged: \(e.message) (a limit of citycert)")
            return true
        case .failure(let e):
            collector.document()
            collector.add(
                DataFinding(
                    file: file, line: e.location.line, column: e.location.column, pointer: "",
                    message: "not valid JSON: \(e.message)", rule: "json"))
            return true
        case .success(let d): document = d
        }
        do {
            guard try selects(document.root) else { return false }
        } catch {
            collector.error("\(file):\(record.origin.line):\(record.origin.column): select: \(error)")
            return true
        }
        collector.document()
        func locate(_ pointer: JSONPointer) -> SourceLocation { document.location(of: pointer) ?? record.origin }
        if check.duplicateKeys == .failed {
            for d in document.duplicateKeys {
                collector.add(
                    DataFinding(
                        file: file, line: d.location.line, column: d.location.column, pointer: d.object.description,
                        message: "duplicate key '\(d.key)'", rule: "duplicate-keys"))
            }
        }
        /// Records a finding at `pointer`; once the listed findings are full, only counts it.
        func report(_ pointer: JSONPointer, _ message: String, rule: @autoclosure () -> String) {
            guard collector.wantsDetails else {
                collector.count()
                return
            }
            let loc = locate(pointer)
            collector.add(
                DataFinding(
                    file: file, line: loc.line, column: loc.column, pointer: pointer.description, message: message, rule: rule()))
        }
        // The schema and assertions judge either the document or its keyValues projection;
        // findings on the projection are mapped back to the attribute's value in the file.
        var subject = document.root
        var source: (JSONPointer) -> JSONPointer = { $0 }
        if check.projectKeyValues {
            let projection = EntityShape.projectKeyValues(
                document.root, as: options.representation ?? EntityShape.detect(document.root))
            subject = projection.value
            source = projection.source(of:)
        }
        if let s = check.schema, !isValid(s.schema, subject, document, projected: check.projectKeyValues) {
            for e in s.schema.validate(subject) {
                if e.isLimit {
                    // The validator could not judge this document: an error of the harness, never a finding.
                    let at = locate(source(e.instanceLocation))
                    collector.error(
                        "\(file):\(at.line):\(at.column): schema \(s.name) \(e.keywordLocation): \(e.message)")
                    continue
                }
                guard (check.schemaKeywords?.contains(e.keyword) ?? true) && !check.schemaIgnore.contains(e.keyword) else {
                    continue
                }
                report(source(e.instanceLocation), e.message, rule: "schema \(s.name) \(e.keywordLocation)")
            }
        }
        for a in check.assertions {
            do {
                for p in try AssertionEvaluator.evaluate(
                    a, on: subject, variables: variables, stepLimit: options.jsonPathStepLimit)
                {
                    report(source(p.pointer), p.message, rule: a.text)
                }
            } catch {
                collector.error("\(file):\(record.origin.line):\(record.origin.column): \(a.text): \(error)")
            }
        }
        if !sessions.isEmpty {
            let ruleDocument = RuleDocument(root: document.root, file: file, locate: locate)
            for (id, session) in sessions {
                session.visit(ruleDocument) { f in
                    if f.isLimit {
                        let at = f.location ?? locate(f.pointer)
                        collector.error("\(f.file ?? file):\(at.line):\(at.column): \(id): \(f.message)")
                    } else if let other = f.file, let at = f.location {
                        collector.add(
                            DataFinding(
                                file: other, line: at.line, column: at.column, pointer: f.pointer.description,
                                message: f.message, rule: id))
                    } else {
                        report(f.pointer, f.message, rule: id)
                    }
                }
            }
        }
        return true
    }
}

extension DataCheckRunner {
    /// Whether `subject` is valid: on the document's tape when the subject is the document itself and
    /// the tape path decides (no tree walk), else by the tree validator. Both give the same answer; the
    /// located errors of an invalid subject always come from the tree validator.
    func isValid(_ schema: JSONSchema, _ subject: JSONValue, _ document: JSONDocument, projected: Bool) -> Bool {
        if !projected, let tape = document.tape, let valid = schema.isValid(tape: tape) { return valid }
        return schema.isValid(subject)
    }
}

/// Expands command-line paths into files and matches globs against them.
enum FileSelector {
    /// Every regular file under the given paths (folders walked recursively; a symbolic link to a file is
    /// a file, one to a folder is not walked), sorted. A name that is not valid UTF-8 cannot be opened
    /// through a Swift path: it is returned in `unreadable` (escaped), never skipped in silence; so is a
    /// folder that cannot be read or lies deeper than 256 folders.
    static func expand(_ paths: [String]) -> (files: [String], unreadable: [String]) {
        var out: [String] = []
        var unreadable: [String] = []
        func walk(_ folder: String, depth: Int) {
            // Nothing under the paths is skipped in silence: a folder too deep or that cannot be read is named.
            guard depth < 256 else {
                unreadable.append(folder + " (nested deeper than 256 folders)")
                return
            }
            guard let names = entries(of: folder) else {
                unreadable.append(folder + " (" + String(cString: strerror(errno)) + ")")
                return
            }
            for name in names {
                guard let text = String(validating: name, as: UTF8.self) else {
                    unreadable.append((folder as NSString).appendingPathComponent(shown(name)))
                    continue
                }
                let full = (folder as NSString).appendingPathComponent(text)
                var st = stat()
                guard lstat(full, &st) == 0 else {
                    unreadable.append(full + " (" + String(cString: strerror(errno)) + ")")
                    continue
                }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: walk(full, depth: depth + 1)
                case S_IFREG: out.append(full)
                case S_IFLNK:
                    var target = stat()
                    if stat(full, &target) == 0, target.st_mode & S_IFMT == S_IFREG { out.append(full) }
                default: break
                }
            }
        }
        for p in paths {
            var st = stat()
            guard stat(p, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: walk(p, depth: 0)
            case S_IFREG: out.append(p)
            // A FIFO, a socket or a device named on the command line: reading it could wait forever.
            default: unreadable.append(p + " (not a regular file)")
            }
        }
        return (out.sorted(), unreadable.sorted())
    }

    /// The names in a folder as bytes (`.` and `..` left out), sorted; nil when it cannot be read (errno set).
    /// A name need not be valid UTF-8: the callers decide what to do with one that is not.
    static func entries(of folder: String) -> [[UInt8]]? {
        guard let dir = opendir(folder) else { return nil }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// A name's bytes shown as text: printable ASCII as it is, every other byte as `\xNN`.
    static func shown(_ name: [UInt8]) -> String {
        name.map { $0 < 0x80 && $0 >= 0x20 ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0) }.joined()
    }

    /// Files whose path (or any suffix of it after a `/`) matches one of the globs.
    static func select(_ files: [String], globs: [String]) -> [String] {
        files.filter { f in
            globs.contains { g in
                if matches(g, f) { return true }
                var rest = Substring(f)
                while let slash = rest.firstIndex(of: "/") {
                    rest = rest[rest.index(after: slash)...]
                    if matches(g, String(rest)) { return true }
                }
                return false
            }
        }
    }

    /// Glob match: `*` within a path segment, `**` across segments, `?` one character.
    static func matches(_ glob: String, _ path: String) -> Bool {
        let g = Array(glob)
        let p = Array(path)
        func m(_ i: Int, _ j: Int) -> Bool {
            if i == g.count { return j == p.count }
            if g[i] == "*" {
                if i + 1 < g.count, g[i + 1] == "*" {
                    var next = i + 2
                    if next < g.count, g[next] == "/" { next += 1 }
                    var k = j
                    while true {
                        if m(next, k) { return true }
                        if k == p.count { return false }
                        k += 1
                    }
                }
                var k = j
                while true {
                    if m(i + 1, k) { return true }
                    if k == p.count || p[k] == "/" { return false }
                    k += 1
                }
            }
            if j == p.count { return false }
            if g[i] == "?" ? p[j] != "/" : g[i] == p[j] { return m(i + 1, j + 1) }
            return false
        }
        return m(0, 0)
    }
}
