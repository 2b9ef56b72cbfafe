import Foundation
import Synchronization

/// A compiled regular expression whose every match is bounded in time, so that a catastrophic
/// pattern (`^(a+)+$` on a long string) ends with `.timedOut` instead of hanging the run.
public final class BoundedRegex: @unchecked Sendable {
    /// The pattern as the user wrote it, in its own dialect.
    public let source: String
    /// The ICU pattern it was translated to.
    public let icuPattern: String
    private let regex: NSRegularExpression
    /// The automaton for patterns in its subset: the same answers in linear time, no timer needed.
    private let linear: LinearRegex?

    public enum Outcome: Sendable, Equatable {
        case matched
        case notMatched
        case timedOut
    }

    public init(icuPattern: String, source: String, linear: LinearRegex? = nil) throws {
        self.source = source
        self.icuPattern = icuPattern
        self.regex = try NSRegularExpression(pattern: icuPattern, options: [])
        self.linear = linear
    }

    /// Whether matches take the linear-time automaton rather than ICU.
    public var isLinear: Bool { linear != nil }

    /// Default time bound per match.
    public static let defaultTimeLimit: Double = 1.0

    /// `firstMatch(in:)` for a subject given as valid UTF-8 bytes: no string is made unless ICU runs.
    public func firstMatch(utf8: UnsafeBufferPointer<UInt8>, timeLimit: Double = BoundedRegex.defaultTimeLimit) -> Outcome {
        if let linear { return linear.matches(utf8: utf8) ? .matched : .notMatched }
        return firstMatch(in: String(decoding: utf8, as: UTF8.self), timeLimit: timeLimit)
    }

    /// Whether the pattern matches somewhere in `subject` (it is anchored if the pattern says so).
    public func firstMatch(in subject: String, timeLimit: Double = BoundedRegex.defaultTimeLimit) -> Outcome {
        if let linear { return linear.matches(subject) ? .matched : .notMatched }
        let ns = subject as NSString
        let range = NSRange(location: 0, length: ns.length)
        let start = DispatchTime.now().uptimeNanoseconds
        let limit = UInt64(timeLimit * 1_000_000_000)
        var outcome = Outcome.notMatched
        regex.enumerateMatches(in: subject, options: [.reportProgress, .reportCompletion], range: range) {
            match, flags, stop in
            if match != nil {
                outcome = .matched
                stop.pointee = true
                return
            }
            // ICU gave up (its backtracking stack overflowed, or another internal error): not matching
            // would be a guess, so it counts as a match that did not finish in time.
            if flags.contains(.internalError) {
                outcome = .timedOut
                stop.pointee = true
                return
            }
            if DispatchTime.now().uptimeNanoseconds - start > limit {
                outcome = .timedOut
                stop.pointee = true
            }
        }
        return outcome
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
        let ns = subject as NSString
        let start = DispatchTime.now().uptimeNanoseconds
        let limit = UInt64(timeLimit * 1_000_000_000)
        var outcome = Captures.notMatched
        regex.enumerateMatches(
            in: subject, options: [.reportProgress, .reportCompletion], range: NSRange(location: 0, length: ns.length)
        ) { match, flags, stop in
            if let m = match {
                outcome = .matched(
                    (0..<m.numberOfRanges).map { i in
                        let r = m.range(at: i)
                        return r.location == NSNotFound ? nil : ns.substring(with: r)
                    })
                stop.pointee = true
                return
            }
            if flags.contains(.internalError) || DispatchTime.now().uptimeNanoseconds - start > limit {
                outcome = .timedOut
                stop.pointee = true
            }
        }
        return outcome
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
