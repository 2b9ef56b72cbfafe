/// RFC 9485 I-Regexp: validation and translation to an ICU pattern.
public enum IRegexp {
    /// Compiles an I-Regexp; nil when the pattern is not a valid I-Regexp. `whole` anchors it at both ends
    /// (JSONPath `match`), otherwise it finds a substring (`search`).
    public static func compile(_ pattern: String, whole: Bool) -> BoundedRegex? {
        RegexCache.shared.regex((whole ? "iregexp-match:" : "iregexp-search:") + pattern) {
            guard let icu = translate(pattern) else { return nil }
            return try? BoundedRegex(icuPattern: whole ? "^(?:" + icu + ")$" : icu, source: pattern)
        }
    }

    static let categories: Set<String> = [
        "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf",
        "Po", "Z", "Zs", "Zl", "Zp", "S", "Sm", "Sc", "Sk", "So", "C", "Cc", "Cf", "Co", "Cn",
    ]

    /// Translates a valid I-Regexp to ICU syntax, or returns nil.
    public static func translate(_ pattern: String) -> String? {
        var t = Translator(Array(pattern.unicodeScalars))
        guard let out = t.regexp(), t.pos == t.chars.count else { return nil }
        return out
    }

    struct Translator {
        let chars: [Unicode.Scalar]
        var pos = 0
        var depth = 0
        init(_ chars: [Unicode.Scalar]) { self.chars = chars }
        var peek: Unicode.Scalar? { pos < chars.count ? chars[pos] : nil }

        static func literal(_ c: Unicode.Scalar) -> String {
            if c.value < 0x80, !(c.properties.isAlphabetic || (c >= "0" && c <= "9")) {
                if c.value < 0x20 || c.value == 0x7F { return "\\x{" + String(c.value, radix: 16) + "}" }
                return "\\" + String(c)
            }
            return String(c)
        }

        mutating func regexp() -> String? {
            var out = ""
            guard let first = branch() else { return nil }
            out += first
            while peek == "|" {
                pos += 1
                guard let b = branch() else { return nil }
                out += "|" + b
            }
            return out
        }

        mutating func branch() -> String? {
            var out = ""
            while let c = peek, c != "|", c != ")" {
                guard let a = atom() else { return nil }
                out += a
                if let q = quantifier() {
                    guard !q.isEmpty else { return nil }
                    out += q
                }
            }
            return out
        }

        /// nil: no quantifier; "": invalid quantifier.
        mutating func quantifier() -> String? {
            guard let c = peek else { return nil }
            switch c {
            case "*", "+", "?":
                pos += 1
                return String(c)
            case "{":
                pos += 1
                var lo = ""
                while let d = peek, d >= "0" && d <= "9" {
                    lo.unicodeScalars.append(d)
                    pos += 1
                }
                guard !lo.isEmpty else { return "" }
                var out = "{" + lo
                if peek == "," {
                    pos += 1
                    out += ","
                    while let d = peek, d >= "0" && d <= "9" {
                        out.unicodeScalars.append(d)
                        pos += 1
                    }
                }
                guard peek == "}" else { return "" }
                pos += 1
                return out + "}"
            default:
                return nil
            }
        }

        mutating func atom() -> String? {
            guard let c = peek else { return nil }
            switch c {
            case "(":
                pos += 1
                depth += 1
                guard depth < 200, let inner = regexp(), peek == ")" else { return nil }
                pos += 1
                depth -= 1
                return "(?:" + inner + ")"
            case ".":
                pos += 1
                return "[^\\n\\r]"
            case "[": return charClassExpr()
            case "^":
                // RFC 9485 lists '^' and '$' as ordinary characters, but the JSONPath CTS (and every
                // mainstream implementation) treats them as anchors; we follow the CTS.
                pos += 1
                return "^"
            case "$":
                pos += 1
                return "\\z"
            case "\\": return escape(inClass: false)
            case "*", "+", "?", "{", "}", ")", "]", "|": return nil
            default:
                if c.value >= 0xD800 && c.value <= 0xDFFF { return nil }
                pos += 1
                return Self.literal(c)
            }
        }

        mutating func escape(inClass: Bool) -> String? {
            pos += 1
            guard let e = peek else { return nil }
            pos += 1
            switch e {
            case "(", ")", "*", "+", "-", ".", "?", "[", "\\", "]", "^", "{", "|", "}": return "\\" + String(e)
            case "n": return "\\n"
            case "r": return "\\r"
            case "t": return "\\t"
            case "p", "P":
                guard peek == "{" else { return nil }
                pos += 1
                var name = ""
                while let c = peek, c != "}" {
                    name.unicodeScalars.append(c)
                    pos += 1
                }
                guard peek == "}", IRegexp.categories.contains(name) else { return nil }
                pos += 1
                return "\\" + String(e) + "{" + name + "}"
            default: return nil
            }
        }

        mutating func charClassExpr() -> String? {
            pos += 1
            var out = "["
            if peek == "^" {
                pos += 1
                out += "^"
            }
            var first = true
            while true {
                guard let c = peek else { return nil }
                if c == "]" && !first { break }
                if c == "-" {
                    // Allowed only first or last.
                    if first || (pos + 1 < chars.count && chars[pos + 1] == "]") {
                        pos += 1
                        out += "\\-"
                        first = false
                        continue
                    }
                    return nil
                }
                first = false
                if c == "\\", pos + 1 < chars.count, chars[pos + 1] == "p" || chars[pos + 1] == "P" {
                    guard let e = escape(inClass: true) else { return nil }
                    out += e
                    continue
                }
                guard let low = ccChar() else { return nil }
                if peek == "-", pos + 1 < chars.count, chars[pos + 1] != "]" {
                    pos += 1
                    guard let high = ccChar() else { return nil }
                    out += low + "-" + high
                } else {
                    out += low
                }
            }
            pos += 1
            return out + "]"
        }

        mutating func ccChar() -> String? {
            guard let c = peek else { return nil }
            if c == "\\" {
                guard pos + 1 < chars.count, chars[pos + 1] != "p", chars[pos + 1] != "P" else { return nil }
                return escape(inClass: true)
            }
            if c == "[" || c == "]" || c == "-" || (c.value >= 0xD800 && c.value <= 0xDFFF) { return nil }
            pos += 1
            return Self.literal(c)
        }
    }
}
