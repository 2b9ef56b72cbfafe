import Foundation

/// IDNA2008 host name checks for the `hostname` and `idn-hostname` formats: RFC 3492 Punycode,
/// RFC 5891 §5.4 label validation, RFC 5892 derived properties and contextual rules, RFC 5893 Bidi rule.
/// Unicode tables come from Swift's Unicode properties; Joining_Type and Bidi_Class are approximated
/// by script ranges (documented below), which covers the JSON-Schema-Test-Suite cases.
enum IDNA {
    // MARK: Punycode (RFC 3492)

    static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128

    static func adapt(_ delta: Int, _ numPoints: Int, _ firstTime: Bool) -> Int {
        var d = firstTime ? delta / damp : delta / 2
        d += d / numPoints
        var k = 0
        while d > ((base - tMin) * tMax) / 2 {
            d /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * d / (d + skew)
    }

    static func digitValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c) - 22
        case 0x41...0x5A: return Int(c) - 0x41
        case 0x61...0x7A: return Int(c) - 0x61
        default: return nil
        }
    }

    static func digitChar(_ d: Int) -> Character { Character(Unicode.Scalar(UInt8(d < 26 ? d + 0x61 : d + 22))) }

    /// Decodes the part after `xn--`; nil when it is not valid Punycode.
    static func decode(_ input: String) -> [Unicode.Scalar]? {
        let bytes = Array(input.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        var output: [UInt32] = []
        var rest = bytes[...]
        if let lastDelimiter = bytes.lastIndex(of: UInt8(ascii: "-")) {
            output = bytes[..<lastDelimiter].map { UInt32($0) }
            rest = bytes[(lastDelimiter + 1)...]
        }
        var n = initialN, i = 0, bias = initialBias
        let pending = Array(rest)
        var pos = 0
        while pos < pending.count {
            let oldI = i
            var w = 1
            var k = base
            while true {
                guard pos < pending.count, let digit = digitValue(pending[pos]) else { return nil }
                pos += 1
                guard digit <= (Int.max - i) / w else { return nil }
                i += digit * w
                let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                if digit < t { break }
                guard w <= Int.max / (base - t) else { return nil }
                w *= base - t
                k += base
            }
            bias = adapt(i - oldI, output.count + 1, oldI == 0)
            guard i / (output.count + 1) <= Int.max - n else { return nil }
            n += i / (output.count + 1)
            i %= output.count + 1
            guard n <= 0x10FFFF, !(0xD800...0xDFFF).contains(n) else { return nil }
            output.insert(UInt32(n), at: i)
            i += 1
        }
        return output.compactMap { Unicode.Scalar($0) }
    }

    /// Encodes a label to Punycode (without the `xn--` prefix).
    static func encode(_ scalars: [Unicode.Scalar]) -> String? {
        var output = ""
        let codes = scalars.map { Int($0.value) }
        for c in codes where c < 0x80 { output.append(Character(Unicode.Scalar(UInt8(c)))) }
        let basicCount = output.count
        var h = basicCount
        if basicCount > 0 { output.append("-") }
        var n = initialN, delta = 0, bias = initialBias
        while h < codes.count {
            guard let m = codes.filter({ $0 >= n }).min() else { return nil }
            delta += (m - n) * (h + 1)
            n = m
            for c in codes {
                if c < n { delta += 1 }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digitChar(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digitChar(q))
                    bias = adapt(delta, h + 1, h == basicCount)
                    delta = 0
                    h += 1
                }
            }
            delta += 1
            n += 1
        }
        return output
    }

    // MARK: Host names

    /// `hostname` (RFC 1123, with A-labels checked as IDNA2008) or `idn-hostname` (RFC 5890).
    static func isValidHostname(_ s: String, international: Bool) -> Bool {
        var name = s
        if international {
            for sep in ["\u{3002}", "\u{FF0E}", "\u{FF61}"] { name = name.replacingOccurrences(of: sep, with: ".") }
        } else if !s.unicodeScalars.allSatisfy(\.isASCII) {
            return false
        }
        guard !name.isEmpty else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var uLabels: [[Unicode.Scalar]] = []
        var asciiLength = labels.count - 1
        for label in labels {
            guard !label.isEmpty else { return false }
            let lower = label.lowercased()
            var scalars = Array(label.unicodeScalars)
            if lower.hasPrefix("xn--") {
                guard label.unicodeScalars.allSatisfy(\.isASCII), let decoded = decode(String(lower.dropFirst(4))),
                    !decoded.isEmpty
                else { return false }
                // An A-label must decode to non-ASCII and re-encode to itself.
                guard decoded.contains(where: { !$0.isASCII }), encode(decoded) == String(lower.dropFirst(4)) else {
                    return false
                }
                scalars = decoded
                asciiLength += label.utf8.count
                guard label.utf8.count <= 63 else { return false }
            } else if scalars.allSatisfy(\.isASCII) {
                guard label.utf8.count <= 63 else { return false }
                guard
                    scalars.allSatisfy({
                        ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-"
                    })
                else { return false }
                guard !label.hasPrefix("-"), !label.hasSuffix("-") else { return false }
                if scalars.count >= 4 && scalars[2] == "-" && scalars[3] == "-" { return false }
                asciiLength += label.utf8.count
                uLabels.append(scalars)
                continue
            } else {
                guard international, let encoded = encode(scalars) else { return false }
                let aLabelLength = 4 + encoded.utf8.count
                guard aLabelLength <= 63 else { return false }
                asciiLength += aLabelLength
            }
            guard validULabel(scalars) else { return false }
            uLabels.append(scalars)
        }
        guard asciiLength <= 253 else { return false }
        return bidiRule(uLabels)
    }

    enum Status { case pvalid, contextJ, contextO, disallowed }

    static func status(_ u: Unicode.Scalar) -> Status {
        let v = u.value
        switch v {
        case 0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007: return .pvalid
        case 0x00B7, 0x0375, 0x05F3, 0x05F4, 0x30FB, 0x0660...0x0669, 0x06F0...0x06F9: return .contextO
        case 0x0640, 0x07FA, 0x302E, 0x302F, 0x3031...0x3035, 0x303B: return .disallowed
        default: break
        }
        let p = u.properties
        if p.generalCategory == .unassigned { return .disallowed }
        if (u >= "a" && u <= "z") || (u >= "0" && u <= "9") || u == "-" { return .pvalid }
        if v == 0x200C || v == 0x200D { return .contextJ }
        if p.changesWhenNFKCCaseFolded { return .disallowed }
        if p.isDefaultIgnorableCodePoint || p.isNoncharacterCodePoint || p.isWhitespace { return .disallowed }
        if (0x20D0...0x20FF).contains(v) || (0x1D100...0x1D24F).contains(v) { return .disallowed }
        if (0x1100...0x11FF).contains(v) || (0xA960...0xA97F).contains(v) || (0xD7B0...0xD7FF).contains(v) { return .disallowed }
        switch p.generalCategory {
        case .lowercaseLetter, .uppercaseLetter, .otherLetter, .decimalNumber, .modifierLetter, .nonspacingMark, .spacingMark:
            return .pvalid
        default: return .disallowed
        }
    }

    static func isMark(_ u: Unicode.Scalar) -> Bool {
        switch u.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    static func isGreek(_ u: Unicode.Scalar) -> Bool {
        (0x0370...0x03FF).contains(u.value) || (0x1F00...0x1FFF).contains(u.value)
    }
    static func isHebrew(_ u: Unicode.Scalar) -> Bool {
        (0x0591...0x05F4).contains(u.value) || (0xFB1D...0xFB4F).contains(u.value)
    }
    static func isKanaOrHan(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v == 0x30FB { return false }
        return (0x3040...0x309F).contains(v) || (0x30A0...0x30FF).contains(v) || (0x31F0...0x31FF).contains(v)
            || (0x4E00...0x9FFF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x20000...0x2FA1F).contains(v) || (0xF900...0xFAFF).contains(v)
    }
    static func isVirama(_ u: Unicode.Scalar) -> Bool { u.properties.canonicalCombiningClass.rawValue == 9 }

    /// Joining_Type approximation for RFC 5892 A.1: Arabic-script letters are dual-joining except the
    /// right-joining ones listed; marks and format characters are transparent.
    enum Joining { case left, dual, right, transparent, none }
    static let rightJoining: Set<UInt32> = [
        0x0622, 0x0623, 0x0624, 0x0625, 0x0627, 0x0629, 0x062F, 0x0630, 0x0631, 0x0632, 0x0648, 0x0671, 0x0672, 0x0673, 0x0675,
        0x0676, 0x0677,
        0x06C0, 0x06C3, 0x06C4, 0x06C5, 0x06C6, 0x06C7, 0x06C8, 0x06C9, 0x06CA, 0x06CB, 0x06CD, 0x06CF, 0x06D2, 0x06D3, 0x06D5,
        0x06EE, 0x06EF,
    ]
    static func joining(_ u: Unicode.Scalar) -> Joining {
        let v = u.value
        if isMark(u) || u.properties.generalCategory == .format { return .transparent }
        if rightJoining.contains(v) || (0x0688...0x0699).contains(v) { return .right }
        if (0x0620...0x064A).contains(v) || (0x066E...0x06D3).contains(v) || (0x0750...0x077F).contains(v) { return .dual }
        return .none
    }

    static func validULabel(_ s: [Unicode.Scalar]) -> Bool {
        guard !s.isEmpty else { return false }
        let text = String(String.UnicodeScalarView(s))
        guard text.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(s) else { return false }
        if s.count >= 4 && s[2] == "-" && s[3] == "-" { return false }
        if s.first == "-" || s.last == "-" { return false }
        if isMark(s[0]) { return false }
        let hasArabicIndic = s.contains { (0x0660...0x0669).contains($0.value) }
        let hasExtended = s.contains { (0x06F0...0x06F9).contains($0.value) }
        for (i, u) in s.enumerated() {
            switch status(u) {
            case .disallowed: return false
            case .pvalid: continue
            case .contextJ:
                if i > 0 && isVirama(s[i - 1]) { continue }
                guard u.value == 0x200C else { return false }
                // (Joining_Type:{L,D})(Joining_Type:T)* ZWNJ (Joining_Type:T)*(Joining_Type:{R,D})
                var j = i - 1
                while j >= 0 && joining(s[j]) == .transparent { j -= 1 }
                guard j >= 0, [.left, .dual].contains(joining(s[j])) else { return false }
                var k = i + 1
                while k < s.count && joining(s[k]) == .transparent { k += 1 }
                guard k < s.count, [.right, .dual].contains(joining(s[k])) else { return false }
            case .contextO:
                switch u.value {
                case 0x00B7: guard i > 0, i + 1 < s.count, s[i - 1] == "l", s[i + 1] == "l" else { return false }
                case 0x0375: guard i + 1 < s.count, isGreek(s[i + 1]) else { return false }
                case 0x05F3, 0x05F4: guard i > 0, isHebrew(s[i - 1]) else { return false }
                case 0x30FB: guard s.contains(where: isKanaOrHan) else { return false }
                case 0x0660...0x0669: guard !hasExtended else { return false }
                case 0x06F0...0x06F9: guard !hasArabicIndic else { return false }
                default: return false
                }
            }
        }
        return true
    }

    // MARK: Bidi rule (RFC 5893 §2)

    enum BidiClass { case l, r, al, an, en, es, cs, et, on, bn, nsm }

    /// Bidi_Class approximation by script ranges and general category.
    static func bidiClass(_ u: Unicode.Scalar) -> BidiClass {
        let v = u.value
        if isMark(u) { return .nsm }
        if (0x0660...0x0669).contains(v) || (0x066B...0x066C).contains(v) || (0x0600...0x0605).contains(v) || v == 0x06DD {
            return .an
        }
        if (0x0030...0x0039).contains(v) || (0x06F0...0x06F9).contains(v) { return .en }
        if v == 0x002D || v == 0x002B { return .es }
        if (0x0590...0x05FF).contains(v) || (0x07C0...0x085F).contains(v) || (0xFB1D...0xFB4F).contains(v)
            || (0x10800...0x10FFF).contains(v) || (0x1E800...0x1EFFF).contains(v)
        {
            return .r
        }
        if (0x0600...0x07BF).contains(v) || (0x0860...0x08FF).contains(v) || (0xFB50...0xFDFF).contains(v)
            || (0xFE70...0xFEFF).contains(v)
        {
            return .al
        }
        if u.properties.isDefaultIgnorableCodePoint { return .bn }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .spacingMark, .letterNumber:
            return .l
        case .decimalNumber, .otherNumber: return .l
        default: return .on
        }
    }

    static func bidiRule(_ labels: [[Unicode.Scalar]]) -> Bool {
        let classes = labels.map { $0.map(bidiClass) }
        let isBidiDomain = classes.contains { $0.contains { [.r, .al, .an].contains($0) } }
        guard isBidiDomain else { return true }
        for c in classes where !c.isEmpty {
            guard [.l, .r, .al].contains(c[0]) else { return false }
            let trimmed = c.reversed().drop { $0 == .nsm }
            guard let last = trimmed.first else { return false }
            if c[0] == .r || c[0] == .al {
                let allowed: Set<BidiClass> = [.r, .al, .an, .en, .es, .cs, .et, .on, .bn, .nsm]
                guard c.allSatisfy(allowed.contains), [.r, .al, .en, .an].contains(last) else { return false }
                if c.contains(.en) && c.contains(.an) { return false }
            } else {
                let allowed: Set<BidiClass> = [.l, .en, .es, .cs, .et, .on, .bn, .nsm]
                guard c.allSatisfy(allowed.contains), [.l, .en].contains(last) else { return false }
            }
        }
        return true
    }
}
