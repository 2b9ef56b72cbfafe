import CityCertJSON
import CityCertRegex
import Foundation

/// Checks one `format` value; false when the string is not of the format. Grammars that work on UTF-8
/// bytes also take them directly (the tape validator has bytes, not strings).
struct FormatChecker: Sendable {
    private let onString: @Sendable (String) -> Bool
    private let onBytes: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)?

    init(_ check: @escaping @Sendable (String) -> Bool) {
        onString = check
        onBytes = nil
    }

    init(bytes check: @escaping @Sendable (UnsafeBufferPointer<UInt8>) -> Bool) {
        onBytes = check
        onString = { s in
            var s = s
            return s.withUTF8(check)
        }
    }

    func callAsFunction(_ value: String) -> Bool { onString(value) }

    /// For valid UTF-8 (a parser's output).
    func callAsFunction(utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        if let onBytes { return onBytes(utf8) }
        return onString(String(decoding: utf8, as: UTF8.self))
    }
}

/// The registry of `format` checkers (JSON Schema 2020-12 section 7.3). Unknown formats always pass.
enum FormatRegistry {
    static let checkers: [String: FormatChecker] = [
        "date-time": FormatChecker(bytes: Formats.dateTime),
        "date": FormatChecker(bytes: { Formats.parseDate($0[...]) != nil }),
        "time": FormatChecker(bytes: { Formats.parseTime($0[...]) }),
        "duration": FormatChecker(Formats.duration),
        "email": FormatChecker { Formats.email($0, international: false) },
        "idn-email": FormatChecker { Formats.email($0, international: true) },
        "hostname": FormatChecker { Formats.hostname($0, international: false) },
        "idn-hostname": FormatChecker { Formats.hostname($0, international: true) },
        "ipv4": FormatChecker(Formats.ipv4),
        "ipv6": FormatChecker(Formats.ipv6),
        "uri": FormatChecker(bytes: { Formats.uri($0, reference: false, iri: false) }),
        "uri-reference": FormatChecker(bytes: { Formats.uri($0, reference: true, iri: false) }),
        "iri": FormatChecker(bytes: { Formats.uri($0, reference: false, iri: true) }),
        "iri-reference": FormatChecker(bytes: { Formats.uri($0, reference: true, iri: true) }),
        "uri-template": FormatChecker(Formats.uriTemplate),
        "uuid": FormatChecker(Formats.uuid),
        "regex": FormatChecker { ECMARegex.compile($0) != nil },
        "json-pointer": FormatChecker(Formats.jsonPointer),
        "relative-json-pointer": FormatChecker(Formats.relativeJSONPointer),
    ]

    static func checker(for format: String) -> FormatChecker? { checkers[format] }

    /// The format names citycert asserts.
    public static var names: [String] { checkers.keys.sorted() }
}

/// Format grammars, from RFC 3339, RFC 5321, RFC 1123, RFC 4291, RFC 3986/3987, RFC 6570, RFC 4122, RFC 6901.
public enum Formats {
    /// Whether `value` is of the named format, by the same checkers `format` uses in schemas;
    /// nil for a format citycert does not know.
    public static func check(_ value: String, format: String) -> Bool? {
        FormatRegistry.checker(for: format).map { $0(value) }
    }

    typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    static func digits(_ s: Bytes) -> Int? {
        guard !s.isEmpty, s.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return s.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    /// RFC 3339 full-date.
    public static func date(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { parseDate($0[...]) != nil }
    }

    static let daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    static func parseDate(_ b: Bytes) -> (Int, Int, Int)? {
        guard b.count == 10 else { return nil }
        let s = b.startIndex
        guard b[s + 4] == UInt8(ascii: "-"), b[s + 7] == UInt8(ascii: "-"),
            let y = digits(b[s..<(s + 4)]), let m = digits(b[(s + 5)..<(s + 7)]), let d = digits(b[(s + 8)..<(s + 10)])
        else { return nil }
        guard m >= 1, m <= 12, d >= 1 else { return nil }
        let days = m == 2 && isLeap(y) ? 29 : daysInMonth[m - 1]
        return d <= days ? (y, m, d) : nil
    }

    /// RFC 3339 full-time (an offset is required).
    public static func time(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { parseTime($0[...]) }
    }

    static func parseTime(_ b: Bytes) -> Bool {
        var i = b.startIndex
        func two() -> Int? {
            guard i + 2 <= b.endIndex, let v = digits(b[i..<(i + 2)]) else { return nil }
            i += 2
            return v
        }
        guard let h = two(), i < b.endIndex, b[i] == UInt8(ascii: ":") else { return false }
        i += 1
        guard let m = two(), i < b.endIndex, b[i] == UInt8(ascii: ":") else { return false }
        i += 1
        guard let sec = two() else { return false }
        if i < b.endIndex, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.endIndex, b[i] >= 48, b[i] <= 57 { i += 1 }
            if i == start { return false }
        }
        guard i < b.endIndex else { return false }
        var offsetMinutes = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = two(), i < b.endIndex, b[i] == UInt8(ascii: ":") else { return false }
            i += 1
            guard let om = two(), oh <= 23, om <= 59 else { return false }
            offsetMinutes = sign * (oh * 60 + om)
        default:
            return false
        }
        guard i == b.endIndex, h <= 23, m <= 59, sec <= 60 else { return false }
        if sec == 60 {
            // A leap second is only valid at 23:59:60 UTC.
            let utc = ((h * 60 + m - offsetMinutes) % 1440 + 1440) % 1440
            return utc == 23 * 60 + 59
        }
        return true
    }

    /// RFC 3339 date-time: full-date "T" full-time (case-insensitive T and Z).
    public static func dateTime(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { dateTime($0) }
    }

    static func dateTime(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count > 11, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") else { return false }
        return parseDate(b[0..<10]) != nil && parseTime(b[11...])
    }

    /// ISO 8601 duration as RFC 3339 appendix A restricts it: `P[nY[nM[nD]]][T[nH[nM[nS]]]]` with
    /// contiguous units (no years and days without months), or `PnW` alone.
    public static func duration(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.first == UInt8(ascii: "P"), b.count > 1 else { return false }
        var i = 1
        func units(_ allowed: [UInt8]) -> [Int]? {
            var found: [Int] = []
            while i < b.count, b[i] != UInt8(ascii: "T") {
                let start = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                guard i > start, i < b.count, let pos = allowed.firstIndex(of: b[i]) else { return nil }
                if let last = found.last, pos != last + 1 { return nil }
                found.append(pos)
                i += 1
            }
            return found
        }
        if let w = b.firstIndex(of: UInt8(ascii: "W")) {
            return w == b.count - 1 && b.count > 2 && b[1..<w].allSatisfy { $0 >= 48 && $0 <= 57 }
        }
        guard let date = units(Array("YMD".utf8)) else { return false }
        if i < b.count {
            i += 1
            guard let time = units(Array("HMS".utf8)), !time.isEmpty, i == b.count else { return false }
            return true
        }
        return !date.isEmpty
    }

    public static func email(_ s: String, international: Bool) -> Bool {
        guard let at = s.lastIndex(of: "@") else { return false }
        let local = s[..<at]
        let domain = String(s[s.index(after: at)...])
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty else { return false }
        if local.hasPrefix("\"") && local.hasSuffix("\"") && local.count >= 2 {
            // quoted-string local part
        } else {
            if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") { return false }
            let specials = Set("!#$%&'*+-/=?^_`{|}~.")
            for c in local {
                if c.isASCII {
                    guard c.isLetter || c.isNumber || specials.contains(c) else { return false }
                } else if !international {
                    return false
                }
            }
        }
        if domain.hasPrefix("[") && domain.hasSuffix("]") {
            let inner = String(domain.dropFirst().dropLast())
            if inner.hasPrefix("IPv6:") { return ipv6(String(inner.dropFirst(5))) }
            return ipv4(inner)
        }
        return hostname(domain, international: international)
    }

    public static func hostname(_ s: String, international: Bool) -> Bool {
        IDNA.isValidHostname(s, international: international)
    }

    public static func ipv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
            if p.count > 1 && p.hasPrefix("0") { return false }
            guard let v = Int(p), v <= 255 else { return false }
        }
        return true
    }

    public static func ipv6(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 < 0x80 }), !s.contains("%") else { return false }
        var text = s
        var groupsNeeded = 8
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            let v4 = String(text[text.index(after: lastColon)...])
            guard ipv4(v4) else { return false }
            text = String(text[...lastColon]) + "0"
            groupsNeeded = 7
        }
        let doubleColons = text.components(separatedBy: "::").count - 1
        guard doubleColons <= 1 else { return false }
        func groups(_ part: String) -> [Substring]? {
            if part.isEmpty { return [] }
            let g = part.split(separator: ":", omittingEmptySubsequences: false)
            for x in g {
                guard !x.isEmpty, x.count <= 4, x.allSatisfy({ $0.isHexDigit }) else { return nil }
            }
            return g
        }
        if doubleColons == 1 {
            let halves = text.components(separatedBy: "::")
            guard let a = groups(halves[0]), let b = groups(halves[1]) else { return false }
            return a.count + b.count < groupsNeeded
        }
        guard let g = groups(text) else { return false }
        return g.count == groupsNeeded
    }

    /// ASCII bytes allowed in every URI component: unreserved and sub-delims (RFC 3986 §2.2, §2.3).
    static let baseAllowed: [Bool] = {
        var t = [Bool](repeating: false, count: 128)
        for b in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=".utf8 { t[Int(b)] = true }
        return t
    }()

    static func isHex(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102) }

    /// Whether every character of a URI component is allowed: unreserved, sub-delims, `extra`,
    /// percent-encodings, and for IRIs any non-ASCII scalar from U+00A0 on. Works on UTF-8 bytes.
    static func validChars(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, extra: StaticString, iri: Bool) -> Bool {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < end, isHex(bytes[i + 1]), isHex(bytes[i + 2]) else { return false }
                i += 3
                continue
            }
            if b < 0x80 {
                guard baseAllowed[Int(b)] || isExtra(b, extra) else { return false }
                i += 1
                continue
            }
            // Non-ASCII: only in IRIs, and only from U+00A0 (C1 controls excluded); UTF-8 never encodes surrogates.
            guard iri else { return false }
            if b == 0xC2, i + 1 < end, bytes[i + 1] < 0xA0 { return false }
            i += 1
            while i < end, bytes[i] & 0xC0 == 0x80 { i += 1 }
        }
        return true
    }

    @inline(__always) static func isExtra(_ b: UInt8, _ extra: StaticString) -> Bool {
        let p = extra.utf8Start
        for k in 0..<extra.utf8CodeUnitCount where p[k] == b { return true }
        return false
    }

    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 97 && (b | 0x20) <= 122 }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// RFC 3986 URI / URI-reference (and RFC 3987 IRI when `iri`), checked on the UTF-8 bytes.
    public static func uri(_ s: String, reference: Bool, iri: Bool) -> Bool {
        var s = s
        return s.withUTF8 { uri($0, reference: reference, iri: iri) }
    }

    static func uri(_ b: UnsafeBufferPointer<UInt8>, reference: Bool, iri: Bool) -> Bool {
        // Components (RFC 3986 §3): scheme ":" ["//" authority] path ["?" query] ["#" fragment].
        var end = b.count
        var fragment: Range<Int>? = nil
        if let h = b.firstIndex(of: UInt8(ascii: "#")) {
            fragment = (h + 1)..<b.count
            end = h
        }
        var query: Range<Int>? = nil
        if let q = b[0..<end].firstIndex(of: UInt8(ascii: "?")) {
            query = (q + 1)..<end
            end = q
        }
        var p = 0
        var hasScheme = false
        if let colon = b[0..<end].firstIndex(of: UInt8(ascii: ":")), colon > 0, isAlpha(b[0]),
            b[1..<colon].allSatisfy({ isAlpha($0) || isDigit($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        {
            hasScheme = true
            p = colon + 1
        }
        if !reference && !hasScheme { return false }
        if end - p >= 2, b[p] == UInt8(ascii: "/"), b[p + 1] == UInt8(ascii: "/") {
            let start = p + 2
            let authorityEnd = b[start..<end].firstIndex(of: UInt8(ascii: "/")) ?? end
            guard authority(b[start..<authorityEnd], iri: iri) else { return false }
            p = authorityEnd
        } else if !hasScheme {
            // A relative reference's first segment cannot hold a colon (it would read as a scheme).
            let segmentEnd = b[p..<end].firstIndex(of: UInt8(ascii: "/")) ?? end
            if b[p..<segmentEnd].contains(UInt8(ascii: ":")) { return false }
        }
        guard validChars(b[p..<end], extra: ":@/", iri: iri) else { return false }
        if let query, !validChars(b[query], extra: ":@/?", iri: iri) { return false }
        if let fragment, !validChars(b[fragment], extra: ":@/?", iri: iri) { return false }
        return true
    }

    /// userinfo "@" host [":" port], host a reg-name or an IP literal in brackets.
    static func authority(_ a: Slice<UnsafeBufferPointer<UInt8>>, iri: Bool) -> Bool {
        var host = a
        if let at = a.lastIndex(of: UInt8(ascii: "@")) {
            guard validChars(a[a.startIndex..<at], extra: ":", iri: iri) else { return false }
            host = a[(at + 1)..<a.endIndex]
        }
        if host.first == UInt8(ascii: "[") {
            guard let close = host.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let inner = host[(host.startIndex + 1)..<close]
            let literal = String(decoding: inner, as: UTF8.self)
            guard ipv6(literal) || inner.first == UInt8(ascii: "v") || inner.first == UInt8(ascii: "V") else { return false }
            let rest = host[(close + 1)..<host.endIndex]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":"), rest.dropFirst().allSatisfy(isDigit) else { return false }
            }
            return true
        }
        if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
            guard host[(colon + 1)..<host.endIndex].allSatisfy(isDigit) else { return false }
            host = host[host.startIndex..<colon]
        }
        return validChars(host, extra: "", iri: iri)
    }

    /// RFC 6570 URI template syntax (section 2).
    public static func uriTemplate(_ s: String) -> Bool {
        let u = Array(s.unicodeScalars)
        var i = 0
        func isHex(_ c: Unicode.Scalar) -> Bool { c.properties.isASCIIHexDigit }
        func varchar() -> Bool {
            guard i < u.count else { return false }
            let c = u[i]
            if (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" {
                i += 1
                return true
            }
            if c == "%", i + 2 < u.count, isHex(u[i + 1]), isHex(u[i + 2]) {
                i += 3
                return true
            }
            return false
        }
        while i < u.count {
            let c = u[i]
            if c == "{" {
                i += 1
                if i < u.count, "+#./;?&".unicodeScalars.contains(u[i]) { i += 1 }
                while true {
                    guard varchar() else { return false }
                    while i < u.count {
                        if u[i] == "." {
                            i += 1
                            guard varchar() else { return false }
                        } else if !varchar() {
                            break
                        }
                    }
                    if i < u.count, u[i] == ":" {
                        i += 1
                        let start = i
                        while i < u.count, u[i] >= "0", u[i] <= "9" { i += 1 }
                        guard i > start, i - start <= 4, u[start] != "0" else { return false }
                    } else if i < u.count, u[i] == "*" {
                        i += 1
                    }
                    guard i < u.count else { return false }
                    if u[i] == "," {
                        i += 1
                        continue
                    }
                    guard u[i] == "}" else { return false }
                    i += 1
                    break
                }
                continue
            }
            if c == "%" {
                guard i + 2 < u.count, isHex(u[i + 1]), isHex(u[i + 2]) else { return false }
                i += 3
                continue
            }
            if c.value <= 0x20 || c.value == 0x7F || "\"<>\\^`|}".unicodeScalars.contains(c) { return false }
            i += 1
        }
        return true
    }

    public static func uuid(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !Character(Unicode.Scalar(c)).isHexDigit {
                return false
            }
        }
        return true
    }

    public static func jsonPointer(_ s: String) -> Bool { (try? JSONPointer(parsing: s)) != nil }

    public static func relativeJSONPointer(_ s: String) -> Bool {
        let b = Array(s.utf8)
        var i = 0
        while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
        guard i > 0 else { return false }
        if i > 1 && b[0] == 48 { return false }
        let rest = String(decoding: b[i...], as: UTF8.self)
        if rest == "#" { return true }
        if rest.hasPrefix("+") || rest.hasPrefix("-") {
            // Index manipulation (draft-bhutton-relative-json-pointer-00).
            var j = i + 1
            let start = j
            while j < b.count, b[j] >= 48, b[j] <= 57 { j += 1 }
            guard j > start, !(j - start > 1 && b[start] == 48) else { return false }
            let tail = String(decoding: b[j...], as: UTF8.self)
            return tail == "#" || jsonPointer(tail)
        }
        return jsonPointer(rest)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: Substring(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
