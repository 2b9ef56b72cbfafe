public import CityCertCore
public import CityCertRules
import Foundation
import Synchronization

/// A run's interruption (SIGINT, SIGTERM): once set, no new requirement or step starts, the cleanup
/// still runs (within its bound) unless a second signal came, and the report says the run was
/// interrupted. Set from a signal handler's queue, read by the runner's tasks.
public final class Interruption: Sendable {
    private let state = Mutex<(count: Int, signal: Int32, reason: String?)>((0, 0, nil))
    public init() {}

    /// An interruption that is not a signal (a sweep's time budget): the run stops as for SIGINT, and
    /// the report names `reason` where it would name the signal.
    public func interrupt(reason: String) {
        state.withLock { s in
            if s.count == 0 { s.reason = reason }
            s.count += 1
        }
    }

    /// Records a signal; returns how many have come so far.
    /// Records `times` signals (a dispatch source merges those that come close together); returns how many
    /// have come so far.
    @discardableResult
    public func interrupt(signal: Int32, times: Int = 1) -> Int {
        state.withLock { s in
            if s.count == 0 { s.signal = signal }
            s.count += max(1, times)
            return s.count
        }
    }

    /// Once the reports are being written, a further signal no longer ends the process at once (a report
    /// set must not be left half new, half old).
    private let writing = Mutex(false)
    public func beginWritingReports() { writing.withLock { $0 = true } }
    public var isWritingReports: Bool { writing.withLock { $0 } }

    public var isInterrupted: Bool { state.withLock { $0.count > 0 } }
    /// A second signal: the cleanup is skipped.
    public var skipsCleanup: Bool { state.withLock { $0.count > 1 } }
    /// The first signal, by name (SIGINT, SIGTERM, or its number).
    public var signalName: String? {
        state.withLock { s in
            guard s.count > 0 else { return nil }
            if let reason = s.reason { return reason }
            switch s.signal {
            case SIGINT: return "SIGINT"
            case SIGTERM: return "SIGTERM"
            default: return "signal \(s.signal)"
            }
        }
    }
}

/// What the user asked for on the command line, as the runner needs it.
public struct RunOptions: Sendable {
    public var inputs: [String: String] = [:]
    /// Inputs whose values are secrets whatever the profile says (a sweep's `secrets:`): redacted everywhere.
    public var secretInputs: Set<String> = []
    /// Files and folders given on the command line, for data checks.
    public var paths: [String] = []
    /// Requirement ids, tags or levels (`MUST`); a requirement runs if it matches any. Empty runs all.
    public var filters: [String] = []
    /// Conformance classes (ids or URIs, `--class`): only their requirements run (with what they need).
    /// Empty runs every class.
    public var classes: [String] = []
    /// Skip every requirement that writes to the target.
    public var readOnly = false
    /// How many requirements (and data files) run at once.
    public var jobs = 1
    public var connectTimeout: Double?
    public var totalTimeout: Double?
    public var runID: String = String(UUID().uuidString.prefix(8)).lowercased()
    /// Injected clock (seconds since 1970), so goldens are exact.
    public var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
    /// Called as each requirement finishes (for live progress).
    public var progress: (@Sendable (RequirementResult) -> Void)?
    /// Most findings kept per data check; the rest are counted.
    public var maxFindingsPerCheck = 1000
    /// Evaluation steps a JSONPath may take on one document before its check is an error; nil for the
    /// default (`JSONPath.baseStepLimit`, or 8 per node of a larger document).
    public var jsonPathStepLimit: Int?
    public var insecure = false
    /// The notification receiver the run hosts (profiles with `receiver:`); set by the command line.
    public var inbox: (any NotificationInbox)?
    /// Set by the command line's signal handlers; nil when the run cannot be interrupted.
    public var interruption: Interruption?
    /// How long the cleanup may take in all once the run was interrupted, in seconds.
    public var cleanupBound: Double = 30
    /// `--fail-on`: the lowest level whose failure fails the run (recorded in the report).
    public var failOn: Level = .must
    /// An upper bound on every request's connect and total timeouts (set for the cleanup after an
    /// interruption: what is left of `cleanupBound`).
    var timeoutCap: Double?
    /// Options of the command line the runner does not see (transport: `--max-body`, `--cacert`, …) that
    /// can change a verdict, by name, for the report's fingerprint. Never a secret's value.
    public var recordedOptions: [String: String] = [:]
    /// `--waivers`: accepted deviations, applied to the failed requirements once the run is over.
    public var waivers: [Waiver] = []
    /// Treat every data document as this entity model (instead of reading its `type`).
    public var model: String?
    /// Treat every data document as this representation (instead of detecting it from its shape).
    public var representation: EntityRepresentation?

    public init() {}
}

/// Errors that stop a run before it starts (exit code 2 or 3).
public struct RunError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let usage: Bool
    public init(_ message: String, usage: Bool = true) {
        self.message = message
        self.usage = usage
    }
    public var description: String { message }
}
