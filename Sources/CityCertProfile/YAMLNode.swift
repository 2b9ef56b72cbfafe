import CityCertJSON
import Foundation

/// A composed YAML document as flat arrays (built by `YAMLComposer` from libyaml's events). The builder
/// walks a profile by many small lookups: a node is an index, and a lookup compares a key's string in
/// place. An alias is an edge to its anchor's node (the tree is a DAG), walked as a copy of that value.
final class YTree {
    enum Kind: UInt8 {
        /// A plain (unquoted) scalar: the only kind that resolves to null, booleans and numbers.
        case plain
        /// A quoted or block scalar: always a string.
        case quoted
        case sequence
        case mapping
        /// An alias as written; `children` points at its anchor's node instead, so only a composer's
        /// placeholder is ever reached.
        case alias
    }

    let source: YNode.YSource
    let kinds: [Kind]
    let lines: [Int32]
    let columns: [Int32]
    /// A scalar's text; empty for collections.
    let strings: [String]
    /// A collection's children in `children` (a mapping's as key, value, key, value, …).
    let firstChild: [Int32]
    /// A collection's number of children (for a mapping, twice its number of pairs).
    let childCount: [Int32]
    let children: [Int32]

    init(
        source: YNode.YSource, kinds: [Kind], lines: [Int32], columns: [Int32], strings: [String], firstChild: [Int32],
        childCount: [Int32], children: [Int32]
    ) {
        self.source = source
        self.kinds = kinds
        self.lines = lines
        self.columns = columns
        self.strings = strings
        self.firstChild = firstChild
        self.childCount = childCount
        self.children = children
    }
}

/// A YAML node with its file and marks, and typed accessors that fail with pointed errors.
struct YNode {
    /// The root of a YAML file the user gives (`what`: "the waivers file", "the sweep plan"): missing,
    /// unreadable, larger than `maxBytes`, not UTF-8 or empty are errors at the file. Returns its bytes too.
    static func document(path: String, what: String, maxBytes: Int) throws -> (root: YNode, bytes: [UInt8]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfileError(
                file: path, line: 0, column: 0,
                message: FileManager.default.fileExists(atPath: path) ? "cannot read \(what)" : "\(what) does not exist")
        }
        guard data.count <= maxBytes else {
            throw ProfileError(file: path, line: 1, column: 1, message: "\(what) is larger than \(maxBytes >> 20) MiB")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ProfileError(file: path, line: 1, column: 1, message: "\(what) is not valid UTF-8")
        }
        guard let tree = try YAMLComposer.compose(text, source: YSource(file: path, text: text)) else {
            throw ProfileError(file: path, line: 1, column: 1, message: "\(what) is empty")
        }
        return (YNode(tree, 0), Array(data))
    }

    let tree: YTree
    let index: Int32

    final class YSource {
        let file: String
        let text: String
        /// Split only when an error needs a source line.
        lazy var lines: [Substring] = text.split(separator: "\n", omittingEmptySubsequences: false)
        init(file: String, text: String) {
            self.file = file
            self.text = text
        }

        func error(_ message: String, line: Int, column: Int, hint: String? = nil) -> ProfileError {
            let text = line >= 1 && line - 1 < lines.count ? String(lines[line - 1]) : nil
            return ProfileError(file: file, line: line, column: column, message: message, hint: hint, lineText: text)
        }
    }

    init(_ tree: YTree, _ index: Int32) {
        self.tree = tree
        self.index = index
    }

    var source: YSource { tree.source }
    var kind: YTree.Kind { tree.kinds[Int(index)] }
    var line: Int { Int(tree.lines[Int(index)]) }
    var column: Int { Int(tree.columns[Int(index)]) }
    var mark: SourceMark { SourceMark(file: source.file, line: line, column: column) }

    var isMapping: Bool { kind == .mapping }
    var isScalar: Bool { kind == .plain || kind == .quoted }
    /// The scalar's text in any style, else nil.
    var scalar: String? { isScalar ? tree.strings[Int(index)] : nil }

    func error(_ message: String, hint: String? = nil) -> ProfileError {
        source.error(message, line: line, column: column, hint: hint)
    }

    func string(_ what: String) throws -> String {
        guard let s = scalar else { throw error("\(what) must be a string") }
        return s
    }

    // Plain scalars are typed here, as the YAML 1.2 core schema does (tags are not read).

    /// The scalar if it is plain (unquoted), else nil.
    var plain: String? { kind == .plain ? tree.strings[Int(index)] : nil }

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

    /// A plain scalar the core schema reads as an integer (`[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`)
    /// that fits an Int.
    var intValue: Int? {
        guard let p = plain else { return nil }
        switch YAMLCoreSchema.number(p) {
        case .integer(let lexeme): return Int(lexeme)
        case .radix(let value): return value
        default: return nil
        }
    }

    func bool(_ what: String) throws -> Bool {
        guard let b = boolValue else { throw error("\(what) must be true or false") }
        return b
    }

    func int(_ what: String) throws -> Int {
        guard let i = intValue else { throw error("\(what) must be an integer") }
        return i
    }

    /// A collection's children (a mapping's keys and values interleaved).
    fileprivate var childRange: Range<Int> {
        let first = Int(tree.firstChild[Int(index)])
        return first..<first + Int(tree.childCount[Int(index)])
    }

    /// A mapping's keys' positions in `tree.children` (each value follows its key).
    @inline(__always) fileprivate var keyPositions: StrideTo<Int> {
        stride(from: childRange.lowerBound, to: childRange.upperBound, by: 2)
    }

    /// The child at position `i` of `tree.children`.
    fileprivate func child(_ i: Int) -> YNode { YNode(tree, tree.children[i]) }

    private var items: [YNode] { childRange.map { child($0) } }

    func sequence(_ what: String) throws -> [YNode] {
        guard kind == .sequence else { throw error("\(what) must be a list") }
        return items
    }

    /// A list, or a single item treated as a one-item list.
    func list() -> [YNode] { kind == .sequence ? items : [self] }

    /// Mapping entries in order; keys must be strings from `allowed` (a did-you-mean for typos).
    func mapping(_ what: String, allowed: [String]? = nil) throws -> Mapping {
        guard kind == .mapping else { throw error("\(what) must be a mapping") }
        // Duplicate keys are already rejected by the YAML composer.
        for i in keyPositions {
            let key = child(i)
            guard let s = key.scalar else { throw key.error("keys in \(what) must be strings") }
            if let allowed, !allowed.contains(s) {
                let hint =
                    didYouMean(s, allowed).map { "did you mean '\($0)'?" }
                    ?? "allowed keys: \(allowed.joined(separator: ", "))"
                throw key.error("unknown key '\(s)' in \(what)", hint: hint)
            }
        }
        return Mapping(owner: self, what: what)
    }

    /// The node as JSON: plain scalars resolve to null, booleans and numbers as YAML 1.2 core schema does.
    func json() throws -> JSONValue {
        switch kind {
        case .quoted: return .string(tree.strings[Int(index)])
        case .plain:
            let s = tree.strings[Int(index)]
            if isNull { return .null }
            if let b = boolValue { return .bool(b) }
            // Numbers as the core schema reads them, exactly: the decimal ones as a JSON lexeme of the same
            // value (`+1` is 1, `007` is 7, `.5` is 0.5); .inf and .nan, which JSON lacks, stay strings.
            switch YAMLCoreSchema.number(s) {
            case .integer(let lexeme), .decimal(let lexeme): return .number(JSONNumber(lexeme: lexeme))
            case .radix(let value): return .number(JSONNumber(value))
            case nil: return .string(s)
            }
        case .sequence:
            return .array(try items.map { try $0.json() })
        case .mapping:
            var pairs: [(String, JSONValue)] = []
            pairs.reserveCapacity(childRange.count / 2)
            for i in keyPositions {
                let key = child(i)
                guard let k = key.scalar else { throw key.error("JSON object keys must be strings") }
                pairs.append((k, try child(i + 1).json()))
            }
            return .object(JSONObject(pairs))
        case .alias:
            throw error("an unresolved YAML alias")
        }
    }

    /// A mapping's entries in source order, looked up in place (keys were checked by `mapping`).
    struct Mapping {
        let owner: YNode
        let what: String

        /// Keys, key nodes and values in source order.
        var entries: [(String, YNode, YNode)] {
            var out: [(String, YNode, YNode)] = []
            out.reserveCapacity(owner.childRange.count / 2)
            for i in owner.keyPositions {
                let key = owner.child(i)
                out.append((key.scalar ?? "", key, owner.child(i + 1)))
            }
            return out
        }

        var keys: [String] { entries.map(\.0) }

        /// The position in `tree.children` of the key named `key`.
        private func find(_ key: String) -> Int? {
            // The builder's most frequent call: a plain loop (a stride's `first(where:)` cost 30 % more).
            let tree = owner.tree
            let all = owner.childRange
            var i = all.lowerBound
            while i < all.upperBound {
                if tree.strings[Int(tree.children[i])] == key { return i }
                i += 2
            }
            return nil
        }

        subscript(_ key: String) -> YNode? {
            guard let i = find(key) else { return nil }
            return owner.child(i + 1)
        }

        func required(_ key: String) throws -> YNode {
            guard let v = self[key] else { throw owner.error("\(what) is missing the required key '\(key)'") }
            return v
        }

        func keyNode(_ key: String) -> YNode? {
            guard let i = find(key) else { return nil }
            return owner.child(i)
        }
    }
}

/// Numbers in the YAML 1.2 core schema (10.3.2), for plain scalars.
enum YAMLCoreSchema {
    enum Number: Equatable {
        /// `[-+]?[0-9]+`, as a JSON lexeme (no `+`, no leading zeros).
        case integer(String)
        /// `0o…` or `0x…` that fits an Int.
        case radix(Int)
        // (A larger one is `.integer` with its decimal digits.)
        /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` with a dot or an exponent, as a JSON lexeme.
        case decimal(String)
    }

    static func number(_ s: String) -> Number? {
        let u = Array(s.utf8)
        func digits(_ from: Int, _ isDigit: (UInt8) -> Bool) -> Int {
            var i = from
            while i < u.count && isDigit(u[i]) { i += 1 }
            return i
        }
        func decimal(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        if u.count > 2 && u[0] == UInt8(ascii: "0") && (u[1] == UInt8(ascii: "o") || u[1] == UInt8(ascii: "x")) {
            let hex = u[1] == UInt8(ascii: "x")
            let body = String(decoding: u[2...], as: UTF8.self)
            let valid = u[2...].allSatisfy { b in
                hex ? decimal(b) || (b >= 97 && b <= 102) || (b >= 65 && b <= 70) : (b >= 48 && b <= 55)
            }
            guard valid else { return nil }
            if let value = Int(body, radix: hex ? 16 : 8) { return .radix(value) }
            return .integer(decimalDigits(u[2...], radix: hex ? 16 : 8))
        }
        var i = 0
        let negative = u.first == UInt8(ascii: "-")
        if negative || u.first == UInt8(ascii: "+") { i = 1 }
        let intStart = i
        i = digits(i, decimal)
        let intDigits = u[intStart..<i]
        var fraction: ArraySlice<UInt8> = []
        var dot = false
        if i < u.count && u[i] == UInt8(ascii: ".") {
            dot = true
            let f = i + 1
            i = digits(f, decimal)
            fraction = u[f..<i]
        }
        guard !intDigits.isEmpty || !fraction.isEmpty else { return nil }
        var exponent: ArraySlice<UInt8> = []
        if i < u.count && (u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E")) {
            var j = i + 1
            if j < u.count && (u[j] == UInt8(ascii: "-") || u[j] == UInt8(ascii: "+")) { j += 1 }
            let end = digits(j, decimal)
            guard end > j else { return nil }
            exponent = u[i..<end]
            i = end
        }
        guard i == u.count else { return nil }
        let trimmed = intDigits.drop { $0 == UInt8(ascii: "0") }
        let integer = (negative ? "-" : "") + (trimmed.isEmpty ? "0" : String(decoding: trimmed, as: UTF8.self))
        if !dot && exponent.isEmpty { return .integer(integer) }
        var lexeme = integer
        if !fraction.isEmpty { lexeme += "." + String(decoding: fraction, as: UTF8.self) }
        lexeme += String(decoding: exponent, as: UTF8.self)
        return .decimal(lexeme)
    }

    /// The decimal digits of a number written in base 8 or 16 (validated ASCII digits), any length.
    static func decimalDigits(_ digits: ArraySlice<UInt8>, radix: UInt32) -> String {
        var limbs: [UInt32] = [0]  // base 10^9, least significant first
        for b in digits {
            var carry: UInt64 = UInt64(b <= 57 ? b - 48 : (b | 0x20) - 87)
            for i in limbs.indices {
                let v = UInt64(limbs[i]) * UInt64(radix) + carry
                limbs[i] = UInt32(v % 1_000_000_000)
                carry = v / 1_000_000_000
            }
            while carry > 0 {
                limbs.append(UInt32(carry % 1_000_000_000))
                carry /= 1_000_000_000
            }
        }
        var out = String(limbs.last!)
        for limb in limbs.dropLast().reversed() {
            let s = String(limb)
            out += String(repeating: "0", count: 9 - s.count) + s
        }
        return out
    }
}
