/// Writes JSON text: compact, pretty (2-space indent) or RFC 8785 canonical.
public enum JSONSerializer {
    public enum Style: Sendable {
        case compact
        case pretty
        /// RFC 8785 (JCS): members sorted by UTF-16 code units, ECMAScript number form, minimal escapes.
        case canonical
    }

    public static func string(_ value: JSONValue, style: Style = .compact) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, style: style, indent: 0, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func bytes(_ value: JSONValue, style: Style = .compact) -> [UInt8] {
        var out: [UInt8] = []
        write(value, style: style, indent: 0, into: &out)
        return out
    }

    static func write(_ value: JSONValue, style: Style, indent: Int, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n):
            if case .canonical = style {
                out.append(contentsOf: canonicalNumber(n).utf8)
            } else {
                out.append(contentsOf: n.lexeme.utf8)
            }
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            if a.isEmpty {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(style, indent + 1, &out)
                write(e, style: style, indent: indent + 1, into: &out)
            }
            newline(style, indent, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            var members = o.uniqueEntries
            if members.isEmpty {
                out.append(contentsOf: "{}".utf8)
                return
            }
            if case .canonical = style {
                members.sort { Array($0.key.utf16).lexicographicallyPrecedes(Array($1.key.utf16)) }
            }
            out.append(UInt8(ascii: "{"))
            for (i, m) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(style, indent + 1, &out)
                writeString(m.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if case .pretty = style { out.append(UInt8(ascii: " ")) }
                write(m.value, style: style, indent: indent + 1, into: &out)
            }
            newline(style, indent, &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    static func newline(_ style: Style, _ indent: Int, _ out: inout [UInt8]) {
        guard case .pretty = style else { return }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The ECMAScript Number::toString form of a number's double value, as RFC 8785 requires.
    public static func canonicalNumber(_ n: JSONNumber) -> String {
        let d = n.double
        if d == 0 { return "0" }
        if !d.isFinite { return n.lexeme }
        // Swift's description gives the shortest round-tripping digits; re-layout them per ECMA-262.
        let negative = d < 0
        let text = "\(abs(d))"
        var digits = ""
        var exponent = 0
        var mantissa = text
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        let fracPart = parts.count > 1 ? String(parts[1]) : ""
        digits = intPart + fracPart
        // value = 0.digits * 10^(n) where n = intPart.count + exponent
        var point = intPart.count + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            point -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        let k = digits.count
        var out = ""
        if k <= point && point <= 21 {
            out = digits + String(repeating: "0", count: point - k)
        } else if 0 < point && point <= 21 {
            let idx = digits.index(digits.startIndex, offsetBy: point)
            out = digits[..<idx] + "." + digits[idx...]
        } else if -6 < point && point <= 0 {
            out = "0." + String(repeating: "0", count: -point) + digits
        } else {
            let e = point - 1
            let sign = e < 0 ? "-" : "+"
            if k == 1 {
                out = digits + "e" + sign + String(abs(e))
            } else {
                out = String(digits.first!) + "." + digits.dropFirst() + "e" + sign + String(abs(e))
            }
        }
        return (negative ? "-" : "") + out
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { JSONSerializer.string(self) }
}
