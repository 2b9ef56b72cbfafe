public import CityCertJSON

/// A compiled RFC 9535 JSONPath query.
public struct JSONPath: Sendable, CustomStringConvertible {
    public let text: String
    let segments: [Segment]

    public var description: String { text }

    /// True when the query can select at most one node (RFC 9535 2.3.5.1 singular query).
    public var isSingular: Bool { segments.allSatisfy(\.isSingular) }
}

/// A query result: a value and its normalized path (RFC 9535 2.7).
public struct JSONPathNode: Sendable, Hashable {
    public let value: JSONValue
    public let location: NormalizedPath
}

/// A normalized path: `$['a'][0]`, also convertible to a JSON Pointer.
public struct NormalizedPath: Sendable, Hashable, CustomStringConvertible {
    public enum Element: Sendable, Hashable {
        case name(String)
        case index(Int)
    }

    public var elements: [Element]

    public init(_ elements: [Element] = []) { self.elements = elements }

    public func appending(_ e: Element) -> NormalizedPath {
        var copy = self
        copy.elements.append(e)
        return copy
    }

    public var description: String {
        var out = "$"
        for e in elements {
            switch e {
            case .index(let i): out += "[\(i)]"
            case .name(let n):
                out += "['"
                for s in n.unicodeScalars {
                    switch s {
                    case "\u{08}": out += "\\b"
                    case "\u{0C}": out += "\\f"
                    case "\n": out += "\\n"
                    case "\r": out += "\\r"
                    case "\t": out += "\\t"
                    case "'": out += "\\'"
                    case "\\": out += "\\\\"
                    default:
                        if s.value < 0x20 {
                            let h = String(s.value, radix: 16)
                            out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                        } else {
                            out.unicodeScalars.append(s)
                        }
                    }
                }
                out += "']"
            }
        }
        return out
    }

    public var pointer: JSONPointer {
        JSONPointer(
            tokens: elements.map {
                switch $0 {
                case .name(let n): return n
                case .index(let i): return String(i)
                }
            })
    }
}

struct Segment: Sendable {
    var descendant: Bool
    var selectors: [Selector]

    var isSingular: Bool {
        guard !descendant, selectors.count == 1 else { return false }
        switch selectors[0] {
        case .name, .index: return true
        default: return false
        }
    }
}

enum Selector: Sendable {
    case name(String)
    case wildcard
    case index(Int)
    case slice(start: Int?, end: Int?, step: Int?)
    case filter(LogicalExpr)
}

indirect enum LogicalExpr: Sendable {
    case or([LogicalExpr])
    case and([LogicalExpr])
    case not(LogicalExpr)
    case comparison(Comparable, ComparisonOp, Comparable)
    /// A filter query used as an existence test.
    case exists(Query)
    /// A function returning LogicalType or NodesType used as a test.
    case function(FunctionCall)
}

enum ComparisonOp: String, Sendable {
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
}

indirect enum Comparable: Sendable {
    case literal(JSONValue)
    case query(Query)  // singular
    case function(FunctionCall)  // ValueType
}

struct Query: Sendable {
    var relative: Bool
    var segments: [Segment]
    var isSingular: Bool { segments.allSatisfy(\.isSingular) }
}

enum FunctionType: Sendable {
    case value, logical, nodes
}

struct FunctionCall: Sendable {
    var name: String
    var arguments: [FunctionArgument]
    var resultType: FunctionType
}

indirect enum FunctionArgument: Sendable {
    case literal(JSONValue)
    case query(Query)
    case logical(LogicalExpr)
    case function(FunctionCall)
}
