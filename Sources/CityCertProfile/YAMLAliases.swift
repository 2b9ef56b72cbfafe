import Foundation
import Yams

/// YAML anchors and aliases, bounded. An alias stands for a copy of its anchor's value, and a few lines of
/// aliases of lists of aliases (a "billion laughs") stand for billions of values: building them took
/// minutes and gigabytes, and Yams hashes a mapping key whole while composing (its duplicate-key check),
/// so an alias used as a key hangs before any check after composing could run. Hence:
/// - an alias used as a mapping key, or inside one, is refused before the real compose, on a copy of the
///   text whose aliases are blanked out (which composes in linear time);
/// - after composing, the tree is counted as the builder will walk it (each use of an alias counted
///   again): more than a million values (or half the text's bytes, if more), or values nested deeper
///   than 1,000 levels once aliases are expanded (libyaml's own limit for written nesting), is refused.
/// A text without an anchor (`&`) has no alias and goes straight to Yams.
enum YAMLAliases {
    static let maxDepth = 1_000

    static func compose(_ text: String, source: YNode.YSource) throws -> Node? {
        var copy = text
        let hasAnchor = copy.withUTF8 { b in b.count > 0 && memchr(b.baseAddress!, Int32(UInt8(ascii: "&")), b.count) != nil }
        guard hasAnchor else { return try Yams.compose(yaml: text, .basic) }
        try refuseAliasKeys(text, source: source)
        guard let root = try Yams.compose(yaml: text, .basic) else { return nil }
        try checkExpansion(root, text: text, source: source)
        return root
    }

    /// Where each alias (`*name` at the start of a node) is, as Yams counts positions (1-based line,
    /// column in characters), and the text with each alias replaced by `~` and spaces of the same width.
    static func blankAliases(_ text: String) -> (text: String, positions: Set<Position>) {
        var out = String.UnicodeScalarView()
        var positions: Set<Position> = []
        let scalars = Array(text.unicodeScalars)
        var line = 1
        var column = 1
        var i = 0
        func isAnchorChar(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
        }
        while i < scalars.count {
            let c = scalars[i]
            let previous: Unicode.Scalar? = i > 0 ? scalars[i - 1] : nil
            let startsNode = previous == nil || [" ", "\t", "\n", "\r", "[", "{", ","].contains(previous!)
            if c == "*", startsNode, i + 1 < scalars.count, isAnchorChar(scalars[i + 1]) {
                positions.insert(Position(line: line, column: column))
                out.append("~")
                i += 1
                column += 1
                while i < scalars.count, isAnchorChar(scalars[i]) {
                    out.append(" ")
                    i += 1
                    column += 1
                }
                continue
            }
            out.append(c)
            if c == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += 1
        }
        return (String(out), positions)
    }

    struct Position: Hashable, Comparable {
        let line: Int
        let column: Int
        static func < (a: Position, b: Position) -> Bool { (a.line, a.column) < (b.line, b.column) }
        init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }
        init(_ node: Node) { self.init(line: node.mark?.line ?? 0, column: node.mark?.column ?? 0) }
    }

    static func error(at node: Node, _ source: YNode.YSource, _ message: String, hint: String) -> ProfileError {
        source.error(message, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, hint: hint)
    }

    /// A mapping's keys and values in source order, or a sequence's items (by index: iterating a Yams
    /// mapping first copies all its pairs).
    static func children(_ node: Node) -> [Node] {
        switch node {
        case .mapping(let m):
            var out: [Node] = []
            out.reserveCapacity(m.count * 2)
            for i in m.indices {
                let (k, v) = m[i]
                out += [k, v]
            }
            return out
        case .sequence(let s): return Array(s)
        case .scalar, .alias: return []
        }
    }

    /// Refuses an alias that is a mapping key or sits inside one (found on the text with aliases blanked).
    static func refuseAliasKeys(_ text: String, source: YNode.YSource) throws {
        let (blank, positions) = blankAliases(text)
        guard !positions.isEmpty else { return }
        // If the blanked text does not compose, the real compose reports the syntax error.
        guard let root = try? Yams.compose(yaml: blank, .basic) else { return }
        func aliasIn(_ node: Node) -> Node? {
            if case .scalar = node { return positions.contains(Position(node)) ? node : nil }
            for child in children(node) { if let a = aliasIn(child) { return a } }
            return nil
        }
        func visit(_ node: Node) throws {
            if case .mapping(let m) = node {
                for i in m.indices {
                    let (k, v) = m[i]
                    if let alias = aliasIn(k) {
                        throw error(
                            at: alias, source,
                            "a YAML alias cannot be a mapping key, or part of one",
                            hint: "keys are compared whole, so an alias key can stand for billions of values")
                    }
                    try visit(v)
                }
            } else {
                for child in children(node) { try visit(child) }
            }
        }
        try visit(root)
    }

    /// Counts the composed tree as the builder will walk it; see the type's comment.
    static func checkExpansion(_ root: Node, text: String, source: YNode.YSource) throws {
        let limit = max(1_000_000, text.utf8.count / 2)
        var count = 0
        // Yams gives an alias the node of its anchor, with the anchor's position: in a walk in document
        // order, a value that starts before the furthest position reached so far is an alias.
        var furthest = Position(root)
        enum Stop {
            case tooMany(Node)
            case tooDeep(Node)
        }
        // On a stop, the node to point at: the value that holds the outermost alias on the way down.
        func visit(_ node: Node, depth: Int, inAlias: Bool, blame: Node?) -> Stop? {
            count += 1
            if count > limit { return .tooMany(blame ?? node) }
            if depth > maxDepth { return .tooDeep(blame ?? node) }
            for child in children(node) {
                var childInAlias = inAlias
                var childBlame = blame
                if !inAlias {
                    let p = Position(child)
                    if p < furthest {
                        childInAlias = true
                        childBlame = blame ?? node
                    } else {
                        furthest = p
                    }
                }
                if let stop = visit(child, depth: depth + 1, inAlias: childInAlias, blame: childBlame) { return stop }
            }
            return nil
        }
        switch visit(root, depth: 1, inAlias: false, blame: nil) {
        case nil: return
        case .tooMany(let node):
            throw error(
                at: node, source,
                "this value stands for more than \(limit) YAML values once its aliases are expanded",
                hint: "an alias of a list of aliases multiplies: use fewer levels of aliases")
        case .tooDeep(let node):
            throw error(
                at: node, source,
                "this value nests deeper than \(maxDepth) levels once its aliases are expanded",
                hint: "an alias inside the value it refers to, through other anchors, nests again at every level")
        }
    }
}
