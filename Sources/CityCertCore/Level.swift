/// How binding a requirement is (RFC 2119 words as the standards use them).
public enum Level: String, Sendable, Codable, CaseIterable, Comparable {
    case must = "MUST"
    case should = "SHOULD"
    case may = "MAY"

    private var rank: Int {
        switch self {
        case .must: return 0
        case .should: return 1
        case .may: return 2
        }
    }
    public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
}

/// The result of a check or requirement. A failure is the target's fault; an error is a check that
/// could not decide (transport broke, file unreadable); skipped ran nothing that should have run (a
/// need failed, --read-only); not applicable found nothing the requirement is about (no file or
/// document it selects, a conformance class the target does not declare); waived is a failure a
/// waiver accepts.
public enum Outcome: String, Sendable, Codable, CaseIterable {
    case passed
    case failed
    case error
    case skipped
    case notApplicable = "not-applicable"
    /// A failure an unexpired waiver accepts (`--waivers`): it was a failure, it no longer fails the
    /// verdict, and every report shows it with its waiver. Only requirements are waived, never checks.
    case waived

    /// Combines check outcomes into a requirement outcome: any failure fails, else any error errs,
    /// else skipped if anything could not run, else passed if anything passed, else not applicable.
    public static func combine(_ outcomes: [Outcome]) -> Outcome {
        if outcomes.contains(.failed) { return .failed }
        if outcomes.contains(.error) { return .error }
        // A check that could not run leaves the requirement unjudged, whatever the others said: [passed,
        // skipped] was passed.
        if outcomes.contains(.skipped) || outcomes.isEmpty { return .skipped }
        if outcomes.contains(.passed) { return .passed }
        return .notApplicable
    }
}
