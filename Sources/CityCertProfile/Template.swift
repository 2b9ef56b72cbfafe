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
        let bytes = Array(source.utf8)
        var parts: [Part] = []
        var literalStart = 0
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == UInt8(ascii: "{"), bytes[i + 1] == UInt8(ascii: "{") else {
                i += 1
                continue
            }
            if i > literalStart { parts.append(.literal(String(decoding: bytes[literalStart..<i], as: UTF8.self))) }
            var j = i + 2
            while j + 1 < bytes.count, !(bytes[j] == UInt8(ascii: "}") && bytes[j + 1] == UInt8(ascii: "}")) { j += 1 }
            guard j + 1 < bytes.count else { throw TemplateError(message: "unclosed '{{' in template '\(source)'") }
            var lo = i + 2
            var hi = j
            while lo < hi, bytes[lo] == UInt8(ascii: " ") { lo += 1 }
            while hi > lo, bytes[hi - 1] == UInt8(ascii: " ") { hi -= 1 }
            let name = String(decoding: bytes[lo..<hi], as: UTF8.self)
            guard !name.isEmpty, Self.isName(bytes[lo..<hi], name) else {
                throw TemplateError(message: "invalid variable name '\(name)' in template '\(source)'")
            }
            parts.append(.variable(name))
            i = j + 2
            literalStart = i
        }
        if literalStart < bytes.count { parts.append(.literal(String(decoding: bytes[literalStart...], as: UTF8.self))) }
        self.parts = parts
    }

    /// Letters, digits, `_`, `.` and `-` (ASCII checked byte by byte; other letters as Unicode says).
    static func isName(_ bytes: ArraySlice<UInt8>, _ name: String) -> Bool {
        func ascii(_ b: UInt8) -> Bool {
            (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95 || b == 46 || b == 45
        }
        if bytes.allSatisfy(ascii) { return true }
        if bytes.allSatisfy({ $0 < 0x80 }) { return false }
        return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }
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

    /// The variable when the template is one variable and nothing else (`"{{count}}"`): such a template
    /// in an expected value or a bound stands for the variable's typed value.
    public var standaloneVariable: String? {
        guard parts.count == 1, case .variable(let name) = parts[0] else { return nil }
        return name
    }

    /// `standaloneVariable` of a text that may not be a template at all.
    public static func standaloneVariable(in text: String) -> String? {
        (try? Template(parsing: text))?.standaloneVariable
    }

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
