// libyaml, as Yams vendors and builds it (its C target `CYaml`, reached through the Yams dependency).
// This file is the only one that sees it; libyaml's errors become `ProfileError`s here.
internal import CYaml

/// Composes a YAML text into a `YTree` straight from libyaml's events, keeping every node's position
/// and every mapping's key order.
///
/// Why not `Yams.compose`: on a 2,000-requirement profile its tree cost 533 M instructions (a tag object
/// per node, scalars decoded through Foundation's generic `String(bytes:encoding:)`, a dictionary per
/// mapping for duplicate keys) against 127 M for libyaml's parser itself, and then had to be converted.
///
/// Anchors and aliases, bounded. An alias stands for a copy of its anchor's value, and a few lines of
/// aliases of lists of aliases (a "billion laughs") stand for billions of values. Here an alias is an edge
/// to its anchor's node, never copied, and after composing the document is counted as the builder will
/// walk it (each use of an alias counted again): more than a million values (or half the text's bytes,
/// if more), or a value reached through an alias nested deeper than 1,000 levels (libyaml's own limit
/// for written nesting), is refused, pointing at the value that holds the outermost alias. An alias used as a
/// mapping key, or inside one, is refused. An alias to an anchor not yet complete (its own value) is
/// undefined, as in Yams.
///
/// Errors come in this order: a syntax error (as libyaml finds it); an alias in a key; the first
/// undefined alias or duplicate key; a second document; the expansion limits.
struct YAMLComposer {
    static let maxDepth = 1_000

    private let source: YNode.YSource
    private var kinds: [YTree.Kind] = []
    private var lines: [Int32] = []
    private var columns: [Int32] = []
    private var strings: [String] = []
    private var firstChild: [Int32] = []
    private var childCount: [Int32] = []
    private var children: [Int32] = []
    /// Children of the open collections, innermost last.
    private var pending: [Int32] = []

    private struct Frame {
        let index: Int32
        /// Where this collection's children start in `pending`.
        let base: Int
        let isMapping: Bool
        let anchor: String?
        /// Whether this collection is a mapping key or part of one.
        let inKey: Bool
    }
    private var stack: [Frame] = []
    private var anchors: [String: Int32] = [:]
    /// Alias node → its anchor's node.
    private var aliasTargets: [Int32: Int32] = [:]

    private var aliasInKey: ProfileError?
    private var composeError: ProfileError?
    private var anotherDocument: ProfileError?

    private init(source: YNode.YSource) { self.source = source }

    /// The document's tree, or nil for an empty stream (no document, or only comments).
    static func compose(_ text: String, source: YNode.YSource) throws -> YTree? {
        var composer = YAMLComposer(source: source)
        var copy = text
        let composed = try copy.withUTF8 { bytes -> Bool in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return false }
            return try composer.parse(base, bytes.count)
        }
        guard composed, !composer.kinds.isEmpty else { return nil }
        if let e = composer.aliasInKey ?? composer.composeError ?? composer.anotherDocument { throw e }
        if !composer.aliasTargets.isEmpty { try composer.checkExpansion(textBytes: text.utf8.count) }
        return composer.tree()
    }

    // MARK: Events

    /// Runs libyaml over the text; false if the stream holds no document.
    private mutating func parse(_ base: UnsafePointer<UInt8>, _ count: Int) throws -> Bool {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw ProfileError(file: source.file, line: 1, column: 1, message: "YAML: libyaml could not start (out of memory)")
        }
        defer { yaml_parser_delete(&parser) }
        // The encoding is left to libyaml: UTF-8 (the text was checked), whose BOM it then skips (set
        // explicitly, the BOM was read as a character and the next line failed to parse).
        yaml_parser_set_input_string(&parser, base, count)
        var documents = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else { throw syntaxError(parser, base, count) }
            defer { yaml_event_delete(&event) }
            let mark = event.start_mark
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return documents > 0
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    anotherDocument = error(
                        mark, "YAML syntax: expected a single document in the stream, but found another document")
                    return true
                }
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                let index = add(s.style == YAML_PLAIN_SCALAR_STYLE ? .plain : .quoted, text, mark)
                if let anchor = s.anchor { anchors[String(cString: anchor)] = index }
            case YAML_SEQUENCE_START_EVENT:
                open(.sequence, anchor: event.data.sequence_start.anchor, mark)
            case YAML_MAPPING_START_EVENT:
                open(.mapping, anchor: event.data.mapping_start.anchor, mark)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                close()
            case YAML_ALIAS_EVENT:
                alias(String(cString: event.data.alias.anchor), mark)
            default:
                break  // stream start, document end
            }
        }
    }

    private mutating func add(_ kind: YTree.Kind, _ string: String, _ mark: yaml_mark_t) -> Int32 {
        let index = Int32(kinds.count)
        kinds.append(kind)
        strings.append(string)
        lines.append(Int32(clamping: mark.line + 1))
        columns.append(Int32(clamping: mark.column + 1))
        firstChild.append(0)
        childCount.append(0)
        if !stack.isEmpty { pending.append(index) }
        return index
    }

    /// Starts a collection: it becomes the innermost open one.
    private mutating func open(_ kind: YTree.Kind, anchor: UnsafeMutablePointer<yaml_char_t>?, _ mark: yaml_mark_t) {
        let inKey = nextIsInKey
        let index = add(kind, "", mark)
        stack.append(
            Frame(
                index: index, base: pending.count, isMapping: kind == .mapping, anchor: anchor.map { String(cString: $0) },
                inKey: inKey))
    }

    /// Ends the innermost collection: its children move to `children`, a mapping's keys are checked for
    /// duplicates, and its anchor (if any) now names it.
    private mutating func close() {
        let frame = stack.removeLast()
        let first = children.count
        firstChild[Int(frame.index)] = Int32(first)
        childCount[Int(frame.index)] = Int32(pending.count - frame.base)
        children.append(contentsOf: pending[frame.base...])
        pending.removeSubrange(frame.base...)
        if frame.isMapping && composeError == nil { checkDuplicateKeys(children[first...]) }
        if let anchor = frame.anchor { anchors[anchor] = frame.index }
    }

    private mutating func alias(_ name: String, _ mark: yaml_mark_t) {
        if aliasInKey == nil && nextIsInKey {
            aliasInKey = error(
                mark, "a YAML alias cannot be a mapping key, or part of one",
                hint: "keys are compared whole, so an alias key can stand for billions of values")
        }
        let index = add(.alias, "", mark)
        guard let target = anchors[name] else {
            if composeError == nil { composeError = error(mark, "YAML syntax: found undefined alias") }
            return
        }
        aliasTargets[index] = target
    }

    /// Whether the next node is a mapping key, or part of one (a mapping's children alternate key, value).
    private var nextIsInKey: Bool {
        guard let top = stack.last else { return false }
        return top.inKey || (top.isMapping && (pending.count - top.base) % 2 == 0)
    }

    /// Scalar keys compared by their text; the error points at the second occurrence. (Most mappings
    /// have a few keys: compared pairwise, without hashing; larger ones through a set.)
    private mutating func checkDuplicateKeys(_ pairs: ArraySlice<Int32>) {
        let keys = stride(from: pairs.startIndex, to: pairs.endIndex, by: 2).map { pairs[$0] }.filter {
            kinds[Int($0)] == .plain || kinds[Int($0)] == .quoted
        }
        var repeats: [Int32] = []
        if keys.count <= 8 {
            for j in keys.indices.dropFirst() where keys[..<j].contains(where: { strings[Int($0)] == strings[Int(keys[j])] }) {
                repeats.append(keys[j])
            }
        } else {
            var seen: Set<String> = []
            for k in keys where !seen.insert(strings[Int(k)]).inserted { repeats.append(k) }
        }
        guard let first = repeats.first else { return }
        let names = Set(repeats.map { strings[Int($0)] }).sorted()
        composeError = source.error(
            "duplicate key '\(names.joined(separator: "', '"))'", line: Int(lines[Int(first)]),
            column: Int(columns[Int(first)]))
    }

    // MARK: Aliases expanded

    /// Counts the document as the builder will walk it; see the type's comment.
    private func checkExpansion(textBytes: Int) throws {
        let limit = max(1_000_000, textBytes / 2)
        var count = 0
        enum Stop {
            case tooMany(Int32)
            case tooDeep(Int32)
        }
        // On a stop, the node to point at: the value that holds the outermost alias on the way down.
        func visit(_ node: Int32, depth: Int, blame: Int32?) -> Stop? {
            count += 1
            if count > limit { return .tooMany(blame ?? node) }
            // Written nesting is libyaml's to bound (1,000 levels of its own counting): only a value
            // reached through an alias is held to this depth.
            if depth > Self.maxDepth, let blame { return .tooDeep(blame) }
            let kind = kinds[Int(node)]
            guard kind == .sequence || kind == .mapping else { return nil }
            let first = Int(firstChild[Int(node)])
            for i in first..<first + Int(childCount[Int(node)]) {
                var child = children[i]
                var childBlame = blame
                if let target = aliasTargets[child] {
                    child = target
                    childBlame = blame ?? node
                }
                if let stop = visit(child, depth: depth + 1, blame: childBlame) { return stop }
            }
            return nil
        }
        switch visit(0, depth: 1, blame: nil) {
        case nil: return
        case .tooMany(let node):
            throw error(
                at: node, "this value stands for more than \(limit) YAML values once its aliases are expanded",
                hint: "an alias of a list of aliases multiplies: use fewer levels of aliases")
        case .tooDeep(let node):
            throw error(
                at: node, "this value nests deeper than \(Self.maxDepth) levels once its aliases are expanded",
                hint: "an alias inside the value it refers to, through other anchors, nests again at every level")
        }
    }

    /// The tree, each alias edge replaced by its anchor's node.
    private func tree() -> YTree {
        var edges = children
        if !aliasTargets.isEmpty {
            for i in edges.indices { if let target = aliasTargets[edges[i]] { edges[i] = target } }
        }
        return YTree(
            source: source, kinds: kinds, lines: lines, columns: columns, strings: strings, firstChild: firstChild,
            childCount: childCount, children: edges)
    }

    // MARK: Errors

    private func error(_ mark: yaml_mark_t, _ message: String, hint: String? = nil) -> ProfileError {
        source.error(message, line: Int(mark.line) + 1, column: Int(mark.column) + 1, hint: hint)
    }

    private func error(at node: Int32, _ message: String, hint: String) -> ProfileError {
        source.error(message, line: Int(lines[Int(node)]), column: Int(columns[Int(node)]), hint: hint)
    }

    /// libyaml's error, at its problem's position.
    private func syntaxError(_ parser: yaml_parser_t, _ base: UnsafePointer<UInt8>, _ count: Int) -> ProfileError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return ProfileError(file: source.file, line: 1, column: 1, message: "YAML: out of memory")
        case YAML_READER_ERROR:
            // A byte offset (a character libyaml refuses, such as a control character): line and column
            // as libyaml counts them, in code points, with CR, LF, CR LF, NEL, LS and PS as line breaks.
            let prefix = String(
                decoding: UnsafeBufferPointer(start: base, count: min(parser.problem_offset, count)), as: UTF8.self)
            var line = 1
            var column = 1
            var afterCR = false
            // libyaml skips a byte order mark without counting it.
            let scalars = prefix.unicodeScalars
            for c in scalars.first == "\u{FEFF}" ? scalars.dropFirst() : scalars[...] {
                switch c {
                case "\n" where afterCR: break
                case "\r", "\n", "\u{85}", "\u{2028}", "\u{2029}":
                    line += 1
                    column = 1
                default: column += 1
                }
                afterCR = c == "\r"
            }
            return source.error("YAML syntax: \(problem)", line: line, column: column)
        default:
            return source.error(
                "YAML syntax: \(problem)", line: Int(parser.problem_mark.line) + 1,
                column: Int(parser.problem_mark.column) + 1)
        }
    }
}
