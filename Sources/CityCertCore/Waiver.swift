/// An accepted deviation (`--waivers FILE`): a failed requirement that someone with the authority to do so
/// accepted, with the reason, until a date. A waiver never changes what was observed: the requirement's
/// checks and evidence stay as they were, its outcome becomes `waived`, and every report says so.
public struct Waiver: Sendable, Equatable {
    /// A requirement id, or an id prefix followed by `*`.
    public var requirement: String
    /// When set, the waiver applies only to a run whose target has this value (a base URL, the data paths).
    public var target: String?
    public var reason: String
    public var approvedBy: String
    /// The last day (UTC, `YYYY-MM-DD`) on which the waiver applies.
    public var expires: String
    public var link: String?
    /// Where the waiver is written (`file:line:col`), for messages.
    public var place: String

    public init(
        requirement: String, target: String?, reason: String, approvedBy: String, expires: String, link: String?,
        place: String
    ) {
        self.requirement = requirement
        self.target = target
        self.reason = reason
        self.approvedBy = approvedBy
        self.expires = expires
        self.link = link
        self.place = place
    }

    public func matches(_ id: String) -> Bool {
        requirement.hasSuffix("*") ? id.hasPrefix(String(requirement.dropLast())) : id == requirement
    }

    /// True once the day `expires` is over (UTC) at `time` (seconds since 1970).
    public func isExpired(at time: Double) -> Bool {
        guard let end = Self.endOfDay(expires) else { return true }
        return time >= end
    }

    /// The first second after the day `YYYY-MM-DD` (UTC), or nil when the text is not such a date.
    public static func endOfDay(_ date: String) -> Double? {
        let parts = date.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            date.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), d >= 1
        else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= days[m - 1] else { return nil }
        // Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days1970 = era * 146_097 + doe - 719_468
        return Double(days1970 + 1) * 86_400
    }
}

/// What became of one waiver in a run.
public struct WaiverUse: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// It waived at least one failed requirement.
        case applied
        /// Nothing it names failed in this run (it matched no requirement, or only ones that passed, or the
        /// target differs): it is reported so that stale waivers are removed.
        case unused
        /// Its day is over: it waives nothing; a failure it names stands.
        case expired
    }
    public var waiver: Waiver
    public var status: Status
    /// The requirements it waived (applied), or the failed ones it would have waived (expired).
    public var requirements: [String]
    public init(waiver: Waiver, status: Status, requirements: [String]) {
        self.waiver = waiver
        self.status = status
        self.requirements = requirements
    }
}

public enum Waivers {
    /// Applies `waivers` to the failed requirements of `report`, in file order (the first matching
    /// unexpired waiver is the one recorded), and records every waiver's use. A passed, skipped, erred or
    /// not-applicable requirement is never waived: a waiver accepts a deviation that was observed.
    public static func apply(_ waivers: [Waiver], to report: inout RunReport, at time: Double) {
        var uses = waivers.map { WaiverUse(waiver: $0, status: $0.isExpired(at: time) ? .expired : .unused, requirements: []) }
        // A waiver's target names what was tested: the base URL (the `base_url` input) or the data paths,
        // never another input's value (and never a redacted one).
        let targets = Set(report.target.filter { k, v in (k == "base_url" || k == "paths") && v != "***" }.values)
        for i in report.requirements.indices where report.requirements[i].outcome == .failed {
            let id = report.requirements[i].id
            for (k, w) in waivers.enumerated() where w.matches(id) && (w.target.map { targets.contains($0) } ?? true) {
                if uses[k].status == .expired {
                    uses[k].requirements.append(id)
                    continue
                }
                uses[k].status = .applied
                uses[k].requirements.append(id)
                report.requirements[i].outcome = .waived
                report.requirements[i].waiver = w
                break
            }
        }
        report.waivers = uses
    }
}
