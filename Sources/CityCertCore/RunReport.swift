/// Everything a run produced: the input to every report writer. Plain values, no behaviour beyond summaries.
public struct RunReport: Sendable {
    public struct ProfileInfo: Sendable {
        public var id: String
        public var title: String
        public var version: String
        public var sha256: String
        public var standardName: String
        public var standardVersion: String
        public var standardURL: String?
        public init(
            id: String, title: String, version: String, sha256: String, standardName: String, standardVersion: String,
            standardURL: String?
        ) {
            self.id = id
            self.title = title
            self.version = version
            self.sha256 = sha256
            self.standardName = standardName
            self.standardVersion = standardVersion
            self.standardURL = standardURL
        }
    }

    public var profile: ProfileInfo
    /// What was tested: base URL(s) and/or data paths, secrets redacted.
    public var target: [String: String]
    public var toolVersion: String
    public var started: Double
    public var finished: Double
    /// TLS verification was turned off for this run.
    public var insecure: Bool
    public var readOnly: Bool
    public var requirements: [RequirementResult]
    /// Resources the run created and could not delete.
    public var leftovers: [String]
    /// Requirements of the profile left out of the run by `--filter`, with the reason.
    public var notSelected: [NotRun] = []
    /// What the data paths held and which of it no requirement looked at (data runs only).
    public var coverage: DataCoverage?
    /// The signal that interrupted the run (SIGINT, SIGTERM), nil when it ran to its end. An interrupted
    /// run is never CONFORMANT: what did not run was not judged.
    public var interrupted: String?
    /// The lowest level whose failure fails the run (`--fail-on`): a failed requirement below it is a
    /// warning in every output (console WARN, JUnit system-out, SARIF warning/note) and leaves the exit
    /// code alone; at or above it, a failure (console FAIL, JUnit failure, exit 1).
    public var failOn: Level = .must
    /// What decided the verdicts besides the target (profile files, data files, options, tool version);
    /// nil in reports built without a run.
    public var fingerprint: Fingerprint?
    /// Every waiver given (`--waivers`) and what became of it; empty without waivers.
    public var waivers: [WaiverUse] = []
    /// Requirements whose failure a waiver accepted.
    public var waivedCount: Int { count(.waived) }
    /// The profile's conformance classes (empty when it declares none), each with whether the target
    /// declares it; `verdict(of:)` judges each one by the rule of the whole run.
    public var classes: [ClassInfo] = []

    /// Whether a failure of this requirement fails the run (it is at or above `failOn`).
    public func failureCounts(_ q: RequirementResult) -> Bool { q.level <= failOn }

    /// A requirement that did not run because of a run option, not because of the target.
    public struct NotRun: Sendable, Equatable {
        public var id: String
        public var level: Level
        public var reason: String
        public init(id: String, level: Level, reason: String) {
            self.id = id
            self.level = level
            self.reason = reason
        }
    }

    /// True when options left requirements out (`--filter`) or skipped them (`--read-only`): the verdict
    /// is the verdict of what ran.
    public var partial: Bool { !notRun.isEmpty }

    /// Every requirement an option kept from running: those `--filter` left out, then those skipped by
    /// an option (`--read-only`, or needing one that was), in profile order.
    public var notRun: [NotRun] {
        var out = notSelected
        for q in requirements where q.outcome == .skipped && q.excludedByOption {
            out.append(NotRun(id: q.id, level: q.level, reason: q.reason ?? "skipped by a run option"))
        }
        return out
    }

    public init(
        profile: ProfileInfo, target: [String: String], toolVersion: String, started: Double, finished: Double, insecure: Bool,
        readOnly: Bool = false,
        requirements: [RequirementResult], leftovers: [String] = []
    ) {
        self.profile = profile
        self.target = target
        self.toolVersion = toolVersion
        self.started = started
        self.finished = finished
        self.insecure = insecure
        self.readOnly = readOnly
        self.requirements = requirements
        self.leftovers = leftovers
    }

    /// CONFORMANT only when every MUST requirement that ran passed or was not applicable (a MUST skipped
    /// because a need did not pass is "not passed"; one an option kept from running is left out and the
    /// run is partial), and something was checked: a run where nothing applies proves nothing.
    public var conformant: Bool {
        mustNotPassed == 0 && count(.passed) > 0 && !uncoveredFails && interrupted == nil
    }

    /// The process exit code the run ends with (README, exit codes): 0 conformant; 1 a failure that counts
    /// (a MUST, or a SHOULD under `--fail-on should`), uncovered data the profile fails, or not conformant
    /// otherwise; 3 an error decided nothing and no failure did; 128 + the signal when interrupted. Every
    /// output that states a pass/fail (the command, TAP) uses this one rule.
    public var exitCode: Int32 {
        if let signal = interrupted { return signal == "SIGTERM" ? 143 : 130 }
        let shouldFailed = requirements.contains { $0.level == .should && $0.outcome == .failed && failureCounts($0) }
        let erred = requirements.contains { $0.outcome == .error }
        if !conformant {
            let mustFailed = requirements.contains { $0.level == .must && $0.outcome == .failed }
            if mustFailed || shouldFailed || uncoveredFails { return 1 }
            return erred ? 3 : 1
        }
        if shouldFailed { return 1 }
        return erred ? 3 : 0
    }

    /// A class's verdict, by the rule of the run restricted to its requirements: NOT APPLICABLE when the
    /// target does not declare it or none of its requirements applied (and all of them ran); NOT RUN when
    /// options kept all of them from running, or kept some and none of the rest applied; then, in an
    /// interrupted run, NOT CONFORMANT; CONFORMANT when every MUST of it that ran passed, was not
    /// applicable or was waived, and one of them passed; NOT CONFORMANT otherwise. Data coverage (`uncovered: fail`) is a verdict of the whole run, not of a class.
    public func verdict(of c: ClassInfo) -> ClassVerdict {
        if case .notDeclared = c.applies { return .notApplicable }
        let members = Set(c.requirements)
        let mine = requirements.indices.filter { members.contains(requirements[$0].id) }
        // Left out by --class/--filter (then not in `requirements`) or skipped by an option.
        if mine.allSatisfy({ requirements[$0].excludedByOption })
            || mine.count < members.count
                && mine.allSatisfy({ requirements[$0].outcome == .notApplicable || requirements[$0].excludedByOption })
        {
            return .notRun
        }
        if interrupted != nil { return .notConformant }
        if mine.allSatisfy({ requirements[$0].outcome == .notApplicable || requirements[$0].excludedByOption }) {
            // Nothing of it applied; if an option kept some of it from running, it was not judged.
            return mine.contains { requirements[$0].excludedByOption } ? .notRun : .notApplicable
        }
        let passed = mine.contains { requirements[$0].outcome == .passed }
        return mustNotPassed(among: mine) == 0 && passed ? .conformant : .notConformant
    }

    /// A class some of whose requirements options kept from running: its verdict is that of what ran.
    public func isPartial(_ c: ClassInfo) -> Bool {
        let ids = Set(notRun.map(\.id))
        return c.requirements.contains { ids.contains($0) }
    }

    /// Data no requirement looked at, in a profile that declares `uncovered: fail`.
    public var uncoveredFails: Bool { coverage.map { $0.failsVerdict && $0.uncovered > 0 } ?? false }

    /// MUST requirements that neither passed nor were not applicable nor waived (options' skips left out).
    public var mustNotPassed: Int { mustNotPassed(among: requirements.indices) }

    func mustNotPassed(among indices: some Sequence<Int>) -> Int {
        var n = 0
        for i in indices
        where requirements[i].level == .must && requirements[i].outcome != .passed && requirements[i].outcome != .notApplicable
            && requirements[i].outcome != .waived && !requirements[i].excludedByOption
        {
            n += 1
        }
        return n
    }

    /// Counts per outcome and level. (Fields are read in place: a `filter` would copy every match.)
    public func count(_ outcome: Outcome, level: Level? = nil) -> Int {
        var n = 0
        for i in requirements.indices where requirements[i].outcome == outcome && (level == nil || requirements[i].level == level)
        {
            n += 1
        }
        return n
    }
}

/// A conformance class as a report states it: what it is, its requirements, and whether the target
/// declares it.
public struct ClassInfo: Sendable, Equatable {
    public enum Applies: Sendable, Equatable {
        /// The class has no condition.
        case always
        /// Its `applies_if` held.
        case declared
        /// Its `applies_if` did not hold: the class is not applicable.
        case notDeclared(String)
        /// Its `applies_if` could not be decided (the variable it reads has no value).
        case undecided(String)

        public var name: String {
            switch self {
            case .always: return "always"
            case .declared: return "declared"
            case .notDeclared: return "not-declared"
            case .undecided: return "undecided"
            }
        }
        public var reason: String? {
            switch self {
            case .notDeclared(let why), .undecided(let why): return why
            default: return nil
            }
        }
    }
    public var id: String
    public var uri: String?
    public var title: String
    public var requirements: [String]
    public var applies: Applies

    public init(id: String, uri: String?, title: String, requirements: [String], applies: Applies) {
        self.id = id
        self.uri = uri
        self.title = title
        self.requirements = requirements
        self.applies = applies
    }
}

public enum ClassVerdict: String, Sendable, CaseIterable {
    case conformant = "CONFORMANT"
    case notConformant = "NOT CONFORMANT"
    case notApplicable = "NOT APPLICABLE"
    case notRun = "NOT RUN"
}

public struct RequirementResult: Sendable {
    public var id: String
    public var title: String
    public var clause: String
    public var url: String?
    /// A short excerpt of the normative text the requirement rests on.
    public var quote: String?
    public var level: Level
    public var tags: [String]
    public var outcome: Outcome
    /// Why skipped or errored, in one sentence.
    public var reason: String?
    public var checks: [CheckResult]
    public var duration: Double
    /// Skipped because of a run option (`--read-only`), directly or through a need: not the target's
    /// doing, so it never fails the verdict by itself; the report lists it as not run.
    public var excludedByOption = false
    /// The waiver that accepted this requirement's failure (outcome `waived`).
    public var waiver: Waiver?
    /// The conformance classes it belongs to (ids; empty when the profile declares none).
    public var classes: [String] = []

    public init(
        id: String, title: String, clause: String, url: String?, quote: String? = nil, level: Level, tags: [String],
        outcome: Outcome, reason: String?,
        checks: [CheckResult], duration: Double
    ) {
        self.id = id
        self.title = title
        self.clause = clause
        self.url = url
        self.quote = quote
        self.level = level
        self.tags = tags
        self.outcome = outcome
        self.reason = reason
        self.checks = checks
        self.duration = duration
    }
}

public struct CheckResult: Sendable {
    public var name: String
    public var outcome: Outcome
    public var message: String?
    public var evidence: [Evidence]

    public init(name: String, outcome: Outcome, message: String?, evidence: [Evidence]) {
        self.name = name
        self.outcome = outcome
        self.message = message
        self.evidence = evidence
    }
}

/// What a verdict rests on.
public enum Evidence: Sendable {
    case exchange(ExchangeEvidence)
    case finding(DataFinding)
    case note(String)
}

/// One HTTP exchange as recorded (secrets already redacted).
public struct ExchangeEvidence: Sendable {
    public var step: String
    public var method: String
    public var url: String
    public var requestHeaders: [(name: String, value: String)]
    public var requestBodyExcerpt: String?
    public var status: Int?
    public var responseHeaders: [(name: String, value: String)]
    public var responseBodyExcerpt: String?
    public var httpVersion: String?
    public var timings: HTTPTimings?
    public var attempts: Int
    /// Each failed expectation, or the transport error.
    public var problems: [String]

    public init(
        step: String, method: String, url: String, requestHeaders: [(name: String, value: String)], requestBodyExcerpt: String?,
        status: Int?,
        responseHeaders: [(name: String, value: String)], responseBodyExcerpt: String?, httpVersion: String?,
        timings: HTTPTimings?, attempts: Int,
        problems: [String]
    ) {
        self.step = step
        self.method = method
        self.url = url
        self.requestHeaders = requestHeaders
        self.requestBodyExcerpt = requestBodyExcerpt
        self.status = status
        self.responseHeaders = responseHeaders
        self.responseBodyExcerpt = responseBodyExcerpt
        self.httpVersion = httpVersion
        self.timings = timings
        self.attempts = attempts
        self.problems = problems
    }
}

/// A finding in a data file: file, line:col, JSON pointer and what is wrong.
public struct DataFinding: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var pointer: String
    public var message: String
    /// The schema keyword or assertion that failed.
    public var rule: String

    public init(file: String, line: Int, column: Int, pointer: String, message: String, rule: String) {
        self.file = file
        self.line = line
        self.column = column
        self.pointer = pointer
        self.message = message
        self.rule = rule
    }
}

/// Which documents of the data paths the profile's requirements looked at.
public struct DataCoverage: Sendable {
    /// A document (or a file that is no document) no requirement looked at.
    public struct Place: Sendable, Equatable {
        public var file: String
        public var line: Int
        public var column: Int
        /// Why it is not covered: no check reads the file, or no check selects the document.
        public var reason: String
        public init(file: String, line: Int, column: Int, reason: String) {
            self.file = file
            self.line = line
            self.column = column
            self.reason = reason
        }
    }
    /// Documents (records, array elements, whole documents) and feeds found in the data paths.
    public var documents: Int
    /// Of those, the ones no requirement looked at.
    public var uncovered: Int
    /// The first uncovered places, at most `DataCoverage.listed`.
    public var first: [Place]
    /// The profile asks uncovered data to fail the verdict (`uncovered: fail`).
    public var failsVerdict: Bool
    /// GTFS notices (per code) that no GTFS check of the profile reports for their file: the feed had
    /// them, and no requirement judged them.
    public var unreportedNotices: [String: Int] = [:]
    /// Data files that only requirements kept from running (by an option or their needs) would have read
    /// in full: neither covered nor counted as uncovered.
    public var notJudged = 0
    public static let listed = 20
    public init(documents: Int, uncovered: Int, first: [Place], failsVerdict: Bool) {
        self.documents = documents
        self.uncovered = uncovered
        self.first = first
        self.failsVerdict = failsVerdict
    }
}
