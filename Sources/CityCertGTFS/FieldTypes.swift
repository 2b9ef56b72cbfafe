import Foundation

/// Parsers for the GTFS field types (Schedule Reference, "Field Types"), over raw bytes.
enum GTFSTypes {
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Integer: optional sign, digits.
    static func integer(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !b.isEmpty, b.count <= 18 else { return nil }
        var i = 0
        var neg = false
        if b[0] == 0x2D || b[0] == 0x2B {
            neg = b[0] == 0x2D
            i = 1
            guard b.count > 1 else { return nil }
        }
        var v = 0
        while i < b.count {
            guard isDigit(b[i]) else { return nil }
            v = v * 10 + Int(b[i] - 0x30)
            i += 1
        }
        return neg ? -v : v
    }

    /// Float: a decimal number (sign, digits, optional fraction and exponent).
    static func float(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !b.isEmpty, b.count <= 64 else { return nil }
        var i = 0
        if b[i] == 0x2D || b[i] == 0x2B { i += 1 }
        var digits = 0
        while i < b.count, isDigit(b[i]) {
            i += 1
            digits += 1
        }
        if i < b.count, b[i] == 0x2E {
            i += 1
            while i < b.count, isDigit(b[i]) {
                i += 1
                digits += 1
            }
        }
        guard digits > 0 else { return nil }
        if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
            i += 1
            if i < b.count, b[i] == 0x2D || b[i] == 0x2B { i += 1 }
            let e = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > e else { return nil }
        }
        guard i == b.count else { return nil }
        // Fast path for plain decimals (the common case: coordinates, distances): exact enough for
        // the sign and range checks these values get.
        if b.count <= 17, !b.contains(0x65), !b.contains(0x45) {
            var mantissa = 0
            var scale = 1.0
            var seenDot = false
            var negative = false
            for c in b {
                switch c {
                case 0x2D: negative = true
                case 0x2B: break
                case 0x2E: seenDot = true
                default:
                    mantissa = mantissa * 10 + Int(c - 0x30)
                    if seenDot { scale *= 10 }
                }
            }
            let v = Double(mantissa) / scale
            return negative ? -v : v
        }
        return Double(String(decoding: b, as: UTF8.self))
    }

    /// Time: H:MM:SS or HH:MM:SS, hours past 24 allowed; seconds since noon minus 12h.
    static func time(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard b.count >= 7, b.count <= 9 else { return nil }
        let hLen = b.count - 6
        var h = 0
        for k in 0..<hLen {
            guard isDigit(b[k]) else { return nil }
            h = h * 10 + Int(b[k] - 0x30)
        }
        guard b[hLen] == 0x3A, b[hLen + 3] == 0x3A, isDigit(b[hLen + 1]), isDigit(b[hLen + 2]), isDigit(b[hLen + 4]),
            isDigit(b[hLen + 5])
        else { return nil }
        let m = Int(b[hLen + 1] - 0x30) * 10 + Int(b[hLen + 2] - 0x30)
        let s = Int(b[hLen + 4] - 0x30) * 10 + Int(b[hLen + 5] - 0x30)
        guard m < 60, s < 60 else { return nil }
        return h * 3600 + m * 60 + s
    }

    /// Date: YYYYMMDD, a real calendar day; returned as YYYYMMDD.
    static func date(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard b.count == 8 else { return nil }
        var v = 0
        for c in b {
            guard isDigit(c) else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        let y = v / 10000
        let m = v / 100 % 100
        let d = v % 100
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(m), d >= 1, d <= days[m - 1] else { return nil }
        return v
    }

    /// Color: six hexadecimal digits, no leading '#'.
    static func color(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        b.count == 6 && b.allSatisfy { isDigit($0) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
    }

    static let timezones: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers)

    static func timezone(_ s: String) -> Bool { timezones.contains(s) || TimeZone(identifier: s) != nil && s.contains("/") }

    /// Language code: an IETF BCP 47 tag (language subtag of 2–3 letters, then subtags of 1–8).
    static func language(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return false
        }
        return parts.dropFirst().allSatisfy {
            (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }

    static let currencies: Set<String> = Set(Locale.commonISOCurrencyCodes)

    /// URL: a fully qualified http:// or https:// URL with a host.
    static func url(_ s: String) -> Bool {
        let lower = s.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return false }
        guard let c = URLComponents(string: s), let host = c.host, !host.isEmpty else { return false }
        return !s.contains(" ")
    }

    /// Email: local@domain with a dot in the domain.
    static func email(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else { return false }
        return !s.contains(" ")
    }

    /// Phone number: digits with the usual separators, at least three digits.
    static func phone(_ s: String) -> Bool {
        var digits = 0
        for c in s.unicodeScalars {
            if c.properties.numericType != nil { digits += 1; continue }
            if " +-().#/*,;xXextEXT".unicodeScalars.contains(c) { continue }
            if c.properties.isAlphabetic { continue }  // vanity numbers (1-800-FLOWERS)
            return false
        }
        return digits >= 3
    }
}
