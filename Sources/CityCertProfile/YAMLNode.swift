import CityCertJSON
import Yams

/// A YAML node with its file and marks, and typed accessors that fail with pointed errors.
struct YNode {
    let node: Node
    let source: YSource

    final class YSource {
        let file: String
        let text: String
        /// Split only when an error needs a source line.
        lazy var lines: [Substring] = text.split(separator: "\n", omittingEmptySubsequences: false)
        init(file: String, text: String) {
            self.file = file
            self.text = text
        }
    }

    var line: Int { node.mark?.line ?? 1 }
    var column: Int { node.mark?.column ?? 1 }
    var mark: SourceMark { SourceMark(file: source.file, line: line, column: column) }

    func error(_ message: String, hint: String? = nil) -> ProfileError {
        let text = line - 1 < source.lines.count ? String(source.lines[line - 1]) : nil
        return ProfileError(file: source.file, line: line, column: column, message: message, hint: hint, lineText: text)
    }

    func string(_ what: String) throws -> String {
        guard case .scalar(let s) = node else { throw error("\(what) must be a string") }
        return s.string
    }

    // Plain scalars are typed here, as the YAML 1.2 core schema does, instead of through Yams' regex
    // resolver (which dominated load time for large profiles).

    /// The scalar if it is plain (unquoted), else nil.
    var plain: String? {
        guard case .scalar(let s) = node, s.style == .plain else { return nil }
        return s.string
    }

    var boolValue: Bool? {
        switch plain {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    var isNull: Bool {
        guard let p = plain else { return false }
        return p.isEmpty || p == "~" || p == "null" || p == "Null" || p == "NULL"
    }

    var intValue: Int? {
        guard let p = plain, let first = p.utf8.first,
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || (first >= 48 && first <= 57)
        else {
            return nil
        }
        return Int(p.hasPrefix("+") ? String(p.dropFirst()) : p)
    }

    func bool(_ what: String) throws -> Bool {
        guard let b = boolValue else { throw error("\(what) must be true or false") }
        return b
    }

    func int(_ what: String) throws -> Int {
        guard let i = intValue else { throw error("\(what) must be an integer") }
        return i
    }

    func sequence(_ what: String) throws -> [YNode] {
        guard case .sequence(let seq) = node else { throw error("\(what) must be a list") }
        return seq.map { YNode(node: $0, source: source) }
    }

    /// A list, or a single item treated as a one-item list.
    func list() -> [YNode] {
        if case .sequence(let seq) = node { return seq.map { YNode(node: $0, source: source) } }
        return [self]
    }

    /// Mapping entries in order; keys must be strings from `allowed` (a did-you-mean for typos).
    func mapping(_ what: String, allowed: [String]? = nil) throws -> Mapping {
        guard case .mapping(let m) = node else { throw error("\(what) must be a mapping") }
        var keys: [String] = []
        var keyNodes: [YNode] = []
        var values: [YNode] = []
        keys.reserveCapacity(m.count)
        keyNodes.reserveCapacity(m.count)
        values.reserveCapacity(m.count)
        // Duplicate keys are already rejected by the YAML composer. By index: iterating a Yams mapping
        // first copies all its pairs into a new array.
        for i in m.indices {
            let (k, v) = m[i]
            let key = YNode(node: k, source: source)
            guard case .scalar(let s) = k else { throw key.error("keys in \(what) must be strings") }
            if let allowed, !allowed.contains(s.string) {
                let hint =
                    didYouMean(s.string, allowed).map { "did you mean '\($0)'?" }
                    ?? "allowed keys: \(allowed.joined(separator: ", "))"
                throw key.error("unknown key '\(s.string)' in \(what)", hint: hint)
            }
            keys.append(s.string)
            keyNodes.append(key)
            values.append(YNode(node: v, source: source))
        }
        return Mapping(keys: keys, keyNodes: keyNodes, values: values, owner: self, what: what)
    }

    /// The node as JSON: plain scalars resolve to null, booleans and numbers as YAML 1.2 core schema does.
    func json() throws -> JSONValue {
        switch node {
        case .scalar(let s):
            if s.style != .plain { return .string(s.string) }
            if isNull { return .null }
            if let b = boolValue { return .bool(b) }
            // Numbers: exactly what JSON accepts keeps its lexeme; YAML-only forms (+1, 1e3 without sign) are normalized.
            if let first = s.string.utf8.first,
                first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                    || (first >= 48 && first <= 57)
            {
                if let d = try? JSONValue.parse(s.string), case .number = d { return d }
                if let i = intValue { return .number(JSONNumber(i)) }
                if let f = Double(s.string), f.isFinite { return .number(JSONNumber(f)) }
            }
            return .string(s.string)
        case .sequence(let seq):
            return .array(try seq.map { try YNode(node: $0, source: source).json() })
        case .mapping(let m):
            var pairs: [(String, JSONValue)] = []
            pairs.reserveCapacity(m.count)
            for i in m.indices {
                let (k, v) = m[i]
                guard case .scalar(let ks) = k else {
                    throw YNode(node: k, source: source).error("JSON object keys must be strings")
                }
                pairs.append((ks.string, try YNode(node: v, source: source).json()))
            }
            return .object(JSONObject(pairs))
        case .alias:
            throw error("YAML aliases are not supported in profiles")
        }
    }

    struct Mapping {
        /// Keys, their nodes and the values, in source order (parallel arrays: a lookup compares
        /// strings only, without copying nodes).
        let keys: [String]
        let keyNodes: [YNode]
        let values: [YNode]
        let owner: YNode
        let what: String

        var entries: [(String, YNode, YNode)] { keys.indices.map { (keys[$0], keyNodes[$0], values[$0]) } }

        subscript(_ key: String) -> YNode? {
            guard let i = keys.firstIndex(of: key) else { return nil }
            return values[i]
        }

        func required(_ key: String) throws -> YNode {
            guard let v = self[key] else { throw owner.error("\(what) is missing the required key '\(key)'") }
            return v
        }

        func keyNode(_ key: String) -> YNode? {
            guard let i = keys.firstIndex(of: key) else { return nil }
            return keyNodes[i]
        }
    }
}
