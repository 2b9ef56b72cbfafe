import CCityCertICU
import Foundation
import Synchronization

/// A compiled regular expression whose every match is bounded in time, so that a catastrophic
/// pattern (`^(a+)+$` on a long string) ends with `.timedOut` instead of hanging the run.
public final class BoundedRegex: @unchecked Sendable {
    /// The pattern as the user wrote it, in its own dialect.
    public let source: String
    /// The ICU pattern it was translated to.
    public let icuPattern: String
    /// ICU's compiled pattern, through its C API (`CCityCertICU`): unlike NSRegularExpression, it says
    /// when ICU gave up (its backtracking stack full), which Foundation reported as "no match".
    private let icu: OpaquePointer
    private let groups: Int
    /// The automaton for patterns in its subset: the same answers in linear time, no timer needed.
    private let linear: LinearRegex?

    public enum Outcome: Sendable, Equatable {
        case matched
        case notMatched
        case timedOut
    }

    public struct SyntaxError: Error, CustomStringConvertible {
        public let pattern: String
        public let offset: Int
        public var description: String { "invalid regular expression '\(pattern)' (at UTF-16 offset \(offset))" }
    }

    public init(icuPattern: String, source: String, linear: LinearRegex? = nil) throws {
        self.source = source
        self.icuPattern = icuPattern
        let utf16 = Array(icuPattern.utf16)
        var offset: Int32 = -1
        guard let compiled = utf16.withUnsafeBufferPointer({ cc_icu_regex_open($0.baseAddress, Int32($0.count), &offset) })
        else { throw SyntaxError(pattern: icuPattern, offset: Int(offset)) }
        icu = compiled
        groups = Int(cc_icu_regex_groups(compiled))
        self.linear = linear
    }

    deinit { cc_icu_regex_close(icu) }

    /// Whether matches take the linear-time automaton rather than ICU.
    public var isLinear: Bool { linear != nil }

    /// Default time bound per match.
    public static let defaultTimeLimit: Double = 1.0

    /// `firstMatch(in:)` for a subject given as valid UTF-8 bytes: no string is made unless ICU runs.
    public func firstMatch(utf8: UnsafeBufferPointer<UInt8>, timeLimit: Double = BoundedRegex.defaultTimeLimit) -> Outcome {
        if let linear { return linear.matches(utf8: utf8) ? .matched : .notMatched }
        return firstMatch(in: String(decoding: utf8, as: UTF8.self), timeLimit: timeLimit)
    }

    /// Whether the pattern matches somewhere in `subject` (it is anchored if the pattern says so). ICU
    /// running out of time, or out of backtracking stack, is `.timedOut`: no answer, never "no match".
    public func firstMatch(in subject: String, timeLimit: Double = BoundedRegex.defaultTimeLimit) -> Outcome {
        if let linear { return linear.matches(subject) ? .matched : .notMatched }
        switch find(subject, timeLimit: timeLimit, capacity: 0).result {
        case Int32(CC_ICU_MATCHED): return .matched
        case Int32(CC_ICU_NOT_MATCHED): return .notMatched
        default: return .timedOut
        }
    }

    /// What looking for the first match's captures gave.
    public enum Captures: Sendable, Equatable {
        /// The groups of the first match, group 0 first.
        case matched([String?])
        case notMatched
        /// The match did not finish within the time limit (or ICU gave up): no answer.
        case timedOut
    }

    /// The captures of the first match, bounded in time like `firstMatch`.
    public func captures(in subject: String, timeLimit: Double = BoundedRegex.defaultTimeLimit) -> Captures {
        let utf16 = Array(subject.utf16)
        let (result, ranges) = find(subject, utf16: utf16, timeLimit: timeLimit, capacity: groups + 1)
        switch result {
        case Int32(CC_ICU_MATCHED):
            return .matched(
                (0...groups).map { g in
                    let (a, b) = (Int(ranges[2 * g]), Int(ranges[2 * g + 1]))
                    guard a >= 0, b >= a, b <= utf16.count else { return nil }
                    return String(decoding: utf16[a..<b], as: UTF16.self)
                })
        case Int32(CC_ICU_NOT_MATCHED): return .notMatched
        default: return .timedOut
        }
    }

    private func find(_ subject: String, utf16: [UInt16]? = nil, timeLimit: Double, capacity: Int) -> (
        result: Int32, ranges: [Int32]
    ) {
        let text = utf16 ?? Array(subject.utf16)
        // ICU takes an Int32 length: a longer subject is not matched (no answer, never a wrong one).
        guard text.count < Int(Int32.max) else { return (Int32(CC_ICU_GAVE_UP), []) }
        var ranges = [Int32](repeating: -1, count: max(2, 2 * capacity))
        let result = text.withUnsafeBufferPointer { t in
            ranges.withUnsafeMutableBufferPointer { r in
                cc_icu_regex_find(icu, t.baseAddress, Int32(t.count), max(0, timeLimit), r.baseAddress, Int32(capacity))
            }
        }
        return (result, ranges)
    }
}

/// A process-wide cache of compiled patterns, keyed by dialect and source.
public final class RegexCache: Sendable {
    public static let shared = RegexCache()
    private let entries = Mutex<[String: BoundedRegex?]>([:])

    public func regex(_ key: String, make: () -> BoundedRegex?) -> BoundedRegex? {
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let made = make()
        entries.withLock { dict in
            if dict.count > 10_000 { dict.removeAll() }
            dict[key] = .some(made)
        }
        return made
    }
}
