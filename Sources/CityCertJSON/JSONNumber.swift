/// A JSON number that keeps its exact source lexeme; integer, decimal and double views are derived from it.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number exactly as written (`1.0`, `1e3`, `-0`).
    public let lexeme: String

    /// The nearest double (infinite for huge lexemes), computed once: comparisons read it often.
    public let double: Double

    /// Makes a number from an RFC 8259 number lexeme; the caller guarantees the grammar.
    public init(lexeme: String) {
        self.lexeme = lexeme
        double = Self.nearestDouble(lexeme)
    }

    /// For the parser, which converts straight from the source bytes.
    init(lexeme: String, double: Double) {
        self.lexeme = lexeme
        self.double = double
    }

    public init(_ value: Int) {
        lexeme = String(value)
        double = Double(value)
    }

    public init(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            lexeme = String(Int64(value))
        } else {
            lexeme = value.isFinite ? "\(value)" : "0"
        }
        // Both lexemes round-trip (an exact integer, or Swift's shortest representation).
        double = value.isFinite ? value : 0
    }

    static let powersOfTen: [Double] = (0...22).map { pow10($0) }

    static func pow10(_ n: Int) -> Double {
        var x = 1.0
        for _ in 0..<n { x *= 10 }  // exact up to 1e22
        return x
    }

    /// Correctly rounded conversion: exact when the significand has at most 15 digits and the power of
    /// ten is at most 22 (both factors are exact doubles, so one IEEE operation rounds once), else strtod.
    static func nearestDouble(_ lexeme: String) -> Double {
        var copy = lexeme
        return copy.withUTF8 { nearestDouble($0) ?? slowDouble(lexeme) }
    }

    /// nil when the fast path does not apply.
    static func nearestDouble(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var significand: UInt64 = 0
        var digits = 0
        var scale = 0
        var negative = false
        var exponent = 0
        var exponentNegative = false
        var state = 0  // 0 integer part, 1 fraction, 2 exponent
        for b in bytes {
            switch b {
            case UInt8(ascii: "-"):
                if state == 2 { exponentNegative = true } else { negative = true }
            case UInt8(ascii: "+"): break
            case UInt8(ascii: "."): state = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): state = 2
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let d = UInt64(b - 48)
                if state == 2 {
                    exponent = exponent * 10 + Int(d)
                    if exponent > 400 { return nil }
                } else {
                    if significand == 0 && d == 0 {
                        if state == 1 { scale -= 1 }
                        continue
                    }
                    digits += 1
                    if digits > 15 { return nil }
                    significand = significand * 10 + d
                    if state == 1 { scale -= 1 }
                }
            default: return nil
            }
        }
        return exactDouble(significand, power: scale + (exponentNegative ? -exponent : exponent), negative: negative)
    }

    /// `significand × 10^power` when one IEEE operation on exact doubles gives it (a significand of at
    /// most 2^53, a power of ten of at most 22: Clinger's fast path), else nil.
    @inline(__always) static func exactDouble(_ significand: UInt64, power: Int, negative: Bool) -> Double? {
        var value = Double(significand)
        if significand != 0 {
            guard abs(power) <= 22 else { return nil }
            value = power < 0 ? value / powersOfTen[-power] : value * powersOfTen[power]
        }
        return negative ? -value : value
    }

    static func slowDouble(_ lexeme: String) -> Double {
        Double(lexeme) ?? (lexeme.hasPrefix("-") ? -.infinity : .infinity)
    }

    public var description: String { lexeme }

    /// True when the lexeme has neither fraction nor exponent.
    public var isIntegerLexeme: Bool {
        !lexeme.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The value as Int64 when it is an integer in range (`1.0` and `1e2` included).
    public var int64: Int64? {
        if isIntegerLexeme { return Int64(lexeme) }
        let d = decimal
        guard d.exponent >= 0, d.digits.count + d.exponent <= 19 else { return nil }
        var s = d.negative ? "-" : ""
        s += d.digits.isEmpty ? "0" : d.digits + String(repeating: "0", count: d.exponent)
        return Int64(s)
    }

    /// The exact decimal value.
    public var decimal: JSONDecimal { JSONDecimal(lexeme: lexeme) }

    /// True when the value is mathematically an integer (`1.0` is).
    public var isInteger: Bool { isIntegerLexeme || decimal.exponent >= 0 }

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.lexeme == rhs.lexeme { return true }
        // Rounding to double is monotonic: different doubles are different values.
        if lhs.double != rhs.double { return false }
        return lhs.decimal == rhs.decimal
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(decimal) }
}

/// An exact decimal: `(negative ? -1 : 1) * Int(digits) * 10^exponent`, normalized so that `digits`
/// has no leading or trailing zeros (zero has empty digits and exponent 0).
public struct JSONDecimal: Sendable, Hashable, Comparable {
    public let negative: Bool
    public let digits: String
    public let exponent: Int

    public init(negative: Bool, digits: String, exponent: Int) {
        var bytes = Array(digits.utf8)
        var exp = exponent
        var start = 0
        while start < bytes.count, bytes[start] == UInt8(ascii: "0") { start += 1 }
        bytes.removeFirst(start)
        while let last = bytes.last, last == UInt8(ascii: "0") {
            bytes.removeLast()
            exp += 1
        }
        if bytes.isEmpty {
            self.negative = false
            self.digits = ""
            self.exponent = 0
        } else {
            self.negative = negative
            self.digits = String(decoding: bytes, as: UTF8.self)
            self.exponent = exp
        }
    }

    /// Parses a JSON number lexeme (or any `-?digits(.digits)?([eE][+-]?digits)?`).
    public init(lexeme: String) {
        var neg = false
        var intDigits: [UInt8] = []
        var fracDigits: [UInt8] = []
        var exp = 0
        var expNeg = false
        var state = 0  // 0 int, 1 frac, 2 exp
        var expValue = 0
        var expOverflow = false
        for b in lexeme.utf8 {
            switch b {
            case UInt8(ascii: "-"):
                if state == 2 { expNeg = true } else { neg = true }
            case UInt8(ascii: "+"): break
            case UInt8(ascii: "."): state = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): state = 2
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                switch state {
                case 0: intDigits.append(b)
                case 1: fracDigits.append(b)
                default:
                    if expValue < 100_000_000 { expValue = expValue * 10 + Int(b - 48) } else { expOverflow = true }
                }
            default: break
            }
        }
        _ = expOverflow
        exp = expNeg ? -expValue : expValue
        let all = String(decoding: intDigits + fracDigits, as: UTF8.self)
        self.init(negative: neg, digits: all, exponent: exp - fracDigits.count)
    }

    public var isZero: Bool { digits.isEmpty }

    /// The nearest double (infinite when out of range).
    public var doubleValue: Double { Double(text) ?? (negative ? -.infinity : .infinity) }

    /// The decimal written in plain or exponent form, e.g. `0.3`, `12`, `1e+400`.
    public var text: String {
        if digits.isEmpty { return "0" }
        let sign = negative ? "-" : ""
        if exponent >= 0 {
            if exponent <= 21 { return sign + digits + String(repeating: "0", count: exponent) }
            return sign + digits + "e" + String(exponent)
        }
        let point = digits.count + exponent
        if point > 0 {
            let idx = digits.index(digits.startIndex, offsetBy: point)
            return sign + digits[..<idx] + "." + digits[idx...]
        }
        if point > -7 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        return sign + digits + "e" + String(exponent)
    }

    /// Magnitude order: number of digits before the decimal point (can be negative or zero).
    private var magnitude: Int { digits.count + exponent }

    public static func < (lhs: JSONDecimal, rhs: JSONDecimal) -> Bool {
        if lhs.negative != rhs.negative { return lhs.negative }
        if lhs.isZero || rhs.isZero {
            if lhs.isZero && rhs.isZero { return false }
            if lhs.isZero { return !rhs.negative }
            return lhs.negative
        }
        let absLess = absoluteLess(lhs, rhs)
        let absEqual = !absLess && !absoluteLess(rhs, lhs)
        if absEqual { return false }
        return lhs.negative ? !absLess : absLess
    }

    private static func absoluteLess(_ a: JSONDecimal, _ b: JSONDecimal) -> Bool {
        if a.magnitude != b.magnitude { return a.magnitude < b.magnitude }
        let x = Array(a.digits.utf8)
        let y = Array(b.digits.utf8)
        let n = max(x.count, y.count)
        for i in 0..<n {
            let dx = i < x.count ? x[i] : 48
            let dy = i < y.count ? y[i] : 48
            if dx != dy { return dx < dy }
        }
        return false
    }

    /// True when `self` is an integer multiple of `divisor`, computed exactly when the divisor's
    /// significand fits in 64 bits (always for real schemas), else through doubles.
    public func isMultiple(of divisor: JSONDecimal) -> Bool {
        if divisor.isZero { return false }
        if isZero { return true }
        // self = A*10^ea, divisor = B*10^eb.
        if exponent < divisor.exponent {
            // A normalized has no trailing zeros, so 10^(eb-ea) never divides it.
            return false
        }
        guard divisor.digits.count <= 19, let b = UInt64(divisor.digits) else {
            let q = (Double(text) ?? .infinity) / (Double(divisor.text) ?? .infinity)
            return q.isFinite && q == q.rounded()
        }
        var remainder: UInt64 = 0
        func push(_ digit: UInt64) {
            let (high, low) = remainder.multipliedFullWidth(by: 10)
            let (sum, carry) = low.addingReportingOverflow(digit)
            remainder = b.dividingFullWidth((high: high + (carry ? 1 : 0), low: sum)).remainder
        }
        for c in digits.utf8 { push(UInt64(c - 48)) }
        // Multiplying by 10 can only remove factors 2 and 5 of b (at most 64 of each), so 70 zeros decide.
        var zeros = min(exponent - divisor.exponent, 70)
        while zeros > 0 && remainder != 0 {
            push(0)
            zeros -= 1
        }
        return remainder == 0
    }
}
