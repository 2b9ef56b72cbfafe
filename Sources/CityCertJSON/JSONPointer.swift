/// An RFC 6901 JSON Pointer.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible, Comparable {
    public var tokens: [String]

    public init(tokens: [String] = []) { self.tokens = tokens }

    public static let root = JSONPointer()

    /// Parses the string form (`""`, `/a/0/b~1c`).
    public init(parsing text: String) throws(JSONPointerError) {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else { throw JSONPointerError(text: text, reason: "must be empty or start with '/'") }
        var result: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var it = raw.makeIterator()
            while let c = it.next() {
                if c == "~" {
                    switch it.next() {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: throw JSONPointerError(text: text, reason: "'~' must be followed by '0' or '1'")
                    }
                } else {
                    token.append(c)
                }
            }
            result.append(token)
        }
        tokens = result
    }

    public var description: String {
        tokens.map { "/" + $0.replacingTildeAndSlash() }.joined()
    }

    public func appending(_ token: String) -> JSONPointer {
        var copy = self
        copy.tokens.append(token)
        return copy
    }

    public func appending(_ index: Int) -> JSONPointer { appending(String(index)) }

    public var parent: JSONPointer? {
        guard !tokens.isEmpty else { return nil }
        return JSONPointer(tokens: Array(tokens.dropLast()))
    }

    /// An array index token: `0` or digits without a leading zero.
    public static func arrayIndex(_ token: String) -> Int? {
        let u = token.utf8
        guard let first = u.first, first >= 0x30, first <= 0x39 else { return nil }
        if first == 0x30 && u.count > 1 { return nil }
        guard u.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(token)
    }

    /// The value this pointer designates inside `value`.
    public func resolve(in value: JSONValue) -> JSONValue? {
        var current = value
        for token in tokens {
            switch current {
            case .object(let o):
                guard let next = o[token] else { return nil }
                current = next
            case .array(let a):
                guard let i = Self.arrayIndex(token), i < a.count else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }

    public static func < (a: JSONPointer, b: JSONPointer) -> Bool { a.description < b.description }
}

public struct JSONPointerError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid JSON Pointer '\(text)': \(reason)" }
}

extension String {
    fileprivate func replacingTildeAndSlash() -> String {
        guard contains("~") || contains("/") else { return self }
        var out = ""
        for c in self {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(c)
            }
        }
        return out
    }
}
