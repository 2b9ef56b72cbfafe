import Foundation

/// A string with `{{variable}}` placeholders, split once at load time.
public struct Template: Sendable, CustomStringConvertible {
    public enum Part: Sendable {
        case literal(String)
        case variable(String)
    }
    public let parts: [Part]
    public let source: String

    /// Built-in variables, available everywhere.
    public static let builtins: Set<String> = ["uuid", "run_id", "now", "timestamp"]

    public init(parsing source: String) throws(TemplateError) {
        self.source = source
        guard source.contains("{{") else {
            self.parts = source.isEmpty ? [] : [.literal(source)]
            return
        }
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw TemplateError(message: "unclosed '{{' in template '\(source)'")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingSpaces
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) else {
                throw TemplateError(message: "invalid variable name '\(name)' in template '\(source)'")
            }
            parts.append(.variable(name))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    public init(literal: String) {
        source = literal
        parts = [.literal(literal)]
    }

    public var variables: [String] {
        parts.compactMap {
            if case .variable(let v) = $0 { return v }
            return nil
        }
    }

    public var isLiteral: Bool { variables.isEmpty }

    /// Renders with `lookup`; an unknown variable renders empty (load-time checks prevent it).
    public func render(_ lookup: (String) -> String?) -> String {
        var out = ""
        for p in parts {
            switch p {
            case .literal(let s): out += s
            case .variable(let v): out += lookup(v) ?? ""
            }
        }
        return out
    }

    public var description: String { source }
}

public struct TemplateError: Error, Sendable {
    public let message: String
}

extension Substring {
    var trimmingSpaces: String {
        var s = self[...]
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
