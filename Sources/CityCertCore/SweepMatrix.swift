/// The comparative view of a sweep: every target × profile with its verdict, its class verdicts and every
/// requirement's outcome. Built from the sweep's journal only (no clock, no run id), so an interrupted and
/// resumed sweep, or shards merged, give the same matrix as one uninterrupted run.
public struct SweepMatrix: Sendable, Equatable {
    public struct Requirement: Sendable, Equatable {
        public var id: String
        public var level: String
        public var classes: [String]
        public init(id: String, level: String, classes: [String]) {
            self.id = id
            self.level = level
            self.classes = classes
        }
    }

    /// A profile as its reports describe it (the first report of it, in target order).
    public struct Profile: Sendable, Equatable {
        public var key: String
        public var id: String
        public var version: String
        public var title: String
        public var classes: [String]
        public var requirements: [Requirement]
        public init(key: String, id: String, version: String, title: String, classes: [String], requirements: [Requirement]) {
            self.key = key
            self.id = id
            self.version = version
            self.title = title
            self.classes = classes
            self.requirements = requirements
        }
    }

    public struct Cell: Sendable, Equatable {
        public var target: String
        public var profile: String
        /// CONFORMANT, NOT CONFORMANT, or ERROR (the pair could not run; `message` says why).
        public var verdict: String
        public var exitCode: Int
        public var partial: Bool
        /// Class id → verdict, in the profile's class order.
        public var classes: [(id: String, verdict: String)]
        /// Requirement id → outcome.
        public var outcomes: [String: String]
        public var message: String?

        public init(
            target: String, profile: String, verdict: String, exitCode: Int, partial: Bool,
            classes: [(id: String, verdict: String)],
            outcomes: [String: String], message: String?
        ) {
            self.target = target
            self.profile = profile
            self.verdict = verdict
            self.exitCode = exitCode
            self.partial = partial
            self.classes = classes
            self.outcomes = outcomes
            self.message = message
        }

        public static func == (a: Cell, b: Cell) -> Bool {
            a.target == b.target && a.profile == b.profile && a.verdict == b.verdict && a.exitCode == b.exitCode
                && a.partial == b.partial && a.classes.map(\.id) == b.classes.map(\.id)
                && a.classes.map(\.verdict) == b.classes.map(\.verdict) && a.outcomes == b.outcomes && a.message == b.message
        }
    }

    public var name: String
    /// The plan file's SHA-256.
    public var plan: String
    /// Sorted by key.
    public var profiles: [Profile]
    /// Targets of the plan, sorted by name (a target with no cell yet did not finish).
    public var targets: [String]
    /// Sorted by target, then profile.
    public var cells: [Cell]
    /// Pairs of the plan ("target profile") with no cell: they did not finish (an interrupted sweep, a
    /// shard not merged).
    public var notFinished: [String] = []
    /// Targets of a shared journal that other workers were still judging when this matrix was written:
    /// their pairs are not finished yet, which is no failure of this worker (the last worker to end writes
    /// the complete matrix). Not part of the matrix files.
    public var elsewhere = 0

    public init(name: String, plan: String, profiles: [Profile], targets: [String], cells: [Cell]) {
        self.name = name
        self.plan = plan
        self.profiles = profiles
        self.targets = targets
        self.cells = cells
    }

    /// The sweep's exit code: 0 when every pair is CONFORMANT; 1 when a pair is NOT CONFORMANT for the
    /// target's doing (its run's exit code 1) or a pair did not finish; otherwise 3 when a pair could not
    /// be decided (an error, a time budget).
    public var exitCode: Int32 {
        if cells.contains(where: { $0.verdict != "CONFORMANT" && $0.exitCode != 3 }) || (!notFinished.isEmpty && elsewhere == 0) {
            return 1
        }
        if cells.contains(where: { $0.verdict != "CONFORMANT" }) { return 3 }
        return 0
    }
}
