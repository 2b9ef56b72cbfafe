/// ECMA-262 regular expressions (JSON Schema `pattern`, `patternProperties`, `format: regex`),
/// translated to ICU where the two differ: ASCII `\d \w \s`, `$` as end of input, `.` excluding
/// only ECMA line terminators, `\u{…}` escapes, control escapes `\cX`.
public enum ECMARegex {
    /// Compiles an ECMA-262 pattern (unanchored search, as JSON Schema specifies); nil if invalid.
    public static func compile(_ pattern: String) -> BoundedRegex? {
        RegexCache.shared.regex("ecma:" + pattern) {
            guard let icu = translate(pattern) else { return nil }
            return try? BoundedRegex(icuPattern: icu, source: pattern, linear: LinearRegex(ecma: pattern))
        }
    }

    static let space =
        "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"

    /// The ICU form of an ECMA-262 pattern, or nil for syntax ICU would misread.
    public static func translate(_ pattern: String) -> String? {
        let chars = Array(pattern.unicodeScalars)
        var out = ""
        var i = 0
        var inClass = false
        while i < chars.count {
            let c = chars[i]
            if c == "\\" {
                guard i + 1 < chars.count else { return nil }
                let e = chars[i + 1]
                i += 2
                switch e {
                case "d": out += inClass ? "0-9" : "[0-9]"
                case "D": out += inClass ? "[^0-9]" : "[^0-9]"
                case "w": out += inClass ? "a-zA-Z0-9_" : "[a-zA-Z0-9_]"
                case "W": out += "[^a-zA-Z0-9_]"
                case "s": out += inClass ? space : "[" + space + "]"
                case "S": out += "[^" + space + "]"
                case "c":
                    guard i < chars.count,
                        chars[i].properties.isASCIIHexDigit || (chars[i] >= "A" && chars[i] <= "Z")
                            || (chars[i] >= "a" && chars[i] <= "z")
                    else {
                        out += "\\\\c"
                        continue
                    }
                    out += "\\x{" + String(chars[i].value % 32, radix: 16) + "}"
                    i += 1
                case "u":
                    if i < chars.count, chars[i] == "{" {
                        var hex = ""
                        i += 1
                        while i < chars.count, chars[i] != "}" {
                            hex.unicodeScalars.append(chars[i])
                            i += 1
                        }
                        guard i < chars.count else { return nil }
                        i += 1
                        out += "\\x{" + hex + "}"
                    } else {
                        out += "\\u"
                    }
                case "b", "B", "n", "r", "t", "f", "v", "x", "p", "P", "k", "0"..."9":
                    out += "\\" + String(e)
                default:
                    // With the u flag, identity escapes of letters (`\a`, `\z`) are syntax errors.
                    if e.properties.isAlphabetic && e.isASCII { return nil }
                    out += "\\" + String(e)
                }
                continue
            }
            if inClass {
                if c == "]" { inClass = false }
                if c == "[" {
                    out += "\\["
                } else if c == "&" {
                    out += "\\&"
                } else {
                    out.unicodeScalars.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case "(":
                // Only (?: (?= (?! (?<= (?<! and (?<name> groups exist in ECMA-262: no inline flags or comments.
                if i + 1 < chars.count, chars[i + 1] == "?" {
                    guard i + 2 < chars.count else { return nil }
                    let k = chars[i + 2]
                    guard k == ":" || k == "=" || k == "!" || k == "<" else { return nil }
                }
                out += "("
            case "[":
                inClass = true
                out += "["
                if i + 1 < chars.count, chars[i + 1] == "^" {
                    out += "^"
                    i += 1
                }
                if i + 1 < chars.count, chars[i + 1] == "]" {
                    // `[]` matches nothing and `[^]` anything in ECMA-262.
                    let negated = out.hasSuffix("^")
                    out.removeLast(negated ? 2 : 1)
                    out += negated ? "[\\s\\S]" : "(?!)"
                    inClass = false
                    i += 2
                    continue
                }
            case ".": out += "[^\\n\\r\\x{2028}\\x{2029}]"
            case "$": out += "(?![\\s\\S])"
            default: out.unicodeScalars.append(c)
            }
            i += 1
        }
        return inClass ? nil : out
    }
}
