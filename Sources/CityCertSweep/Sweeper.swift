public import CityCertCore
import CityCertJSON
public import CityCertProfile
import CityCertReports
public import CityCertRunner
import CoreFoundation
import Foundation
import Synchronization

public struct SweepError: Error, CustomStringConvertible {
    public let description: String
    /// A usage error (exit 2): the plan, the folder or the options; otherwise the sweep could not go on (3).
    public let usage: Bool
    public init(_ description: String, usage: Bool = true) {
        self.description = description
        self.usage = usage
    }
}

public struct SweepOptions: Sendable {
    /// The output folder: the journal, one folder per target × profile, the matrix.
    public var out: String
    /// Continue the sweep whose journal is in `out`; without it, a folder holding a journal is refused.
    public var resume = false
    /// `k/n`: only the targets at positions k-1, k-1+n, … of the plan's targets sorted by name.
    public var shard: (index: Int, count: Int) = (1, 1)
    /// Targets judged at once (each target's profiles run one after another).
    public var parallel = 4
    /// `postgres://…`: a journal shared by several workers (on several machines), each taking targets from
    /// it; nil: the SQLite journal in `out`.
    public var journalURL: String?
    /// The sweep's id in a shared journal (a CI run number, a date): workers with the same plan and id
    /// share the work; another id starts a new sweep of the plan (its earlier results are not reused).
    public var sweepID: String?
    /// This worker's name in a shared journal (host and process id by default).
    public var worker = (ProcessInfo.processInfo.hostName) + ":" + String(ProcessInfo.processInfo.processIdentifier)
    /// A line for each finished pair (stderr).
    public var progress: (@Sendable (String) -> Void)?
    /// The sweep's interruption (SIGINT, SIGTERM): no new pair starts, the pairs in flight stop as an
    /// interrupted run does, and they are not recorded (a resume runs them again).
    public var interruption = Interruption()
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    public var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
    /// Fixed for tests (reports then differ only in what the targets answered).
    public var runID: String?
    public var fixedClock: Double?

    public init(out: String) { self.out = out }
}

/// Runs a sweep plan: every target × profile of this shard that the journal does not hold yet, each with
/// its own inputs, secrets and politeness, its reports written and its outcomes journaled as it finishes;
/// then the matrix of everything the journal holds.
public struct Sweeper: Sendable {
    public let plan: SweepPlan
    let profiles: [String: Profile]
    let transport: @Sendable (SweepPlan.Target) -> any HTTPTransport
    let options: SweepOptions
    /// Hosts a notification receiver for a profile that awaits notifications (nil: such pairs are errors).
    /// Its port is the profile's, so those pairs run one at a time.
    public typealias ReceiverFactory =
        @Sendable (ReceiverSpec) throws -> (inbox: any NotificationInbox, stop: @Sendable () -> Void)
    let receiver: ReceiverFactory?
    let receiverLock = AsyncLock()
    /// Profile key → digest of its folder's files (the fingerprint's profile part).
    let profileDigests: [String: String]

    public static let matrixFiles = ["matrix.json", "matrix.csv", "matrix.md"]

    /// Loads every profile of the plan (a profile that does not load is a usage error: nothing runs) and
    /// checks that no secret is written in the plan.
    public init(
        plan: SweepPlan, options: SweepOptions, receiver: ReceiverFactory? = nil,
        transport: @escaping @Sendable (SweepPlan.Target) -> any HTTPTransport
    ) throws(SweepError) {
        var loaded: [String: Profile] = [:]
        for (key, path) in plan.profiles {
            do {
                loaded[key] = try ProfileLoader().load(path: path)
            } catch {
                throw SweepError("profile \(key): \(error)")
            }
        }
        for t in plan.targets {
            for key in t.profiles {
                guard let p = loaded[key] else { continue }
                let credentials = Runner.secretVariables(p)
                for i in p.inputs where (i.secret || credentials.contains(i.name)) && t.inputs[i.name] != nil {
                    throw SweepError(
                        "\(t.mark): target \(t.name) writes the secret input \(i.name) of profile \(key) in the plan: "
                            + "give it under secrets ({env: NAME} or {file: PATH}), never in the plan's text")
                }
            }
        }
        guard options.shard.count >= 1, (1...options.shard.count).contains(options.shard.index) else {
            throw SweepError("--shard k/n needs 1 ≤ k ≤ n")
        }
        var digests: [String: String] = [:]
        for (key, p) in loaded {
            // Every file of the profile's folder decides its verdicts: a resumed sweep or a merged shard must
            // have judged with the same ones.
            do {
                digests[key] =
                    try Fingerprinting.fingerprint(
                        profileFolder: p.folder, dataFiles: [], options: [:], toolVersion: Runner.toolVersion
                    ).digest
            } catch {
                throw SweepError("profile \(key): \(error.message)")
            }
        }
        self.profileDigests = digests
        self.plan = plan
        self.profiles = loaded
        self.options = options
        self.transport = transport
        self.receiver = receiver
    }

    /// The targets of this shard.
    public var targets: [SweepPlan.Target] {
        plan.targets.enumerated().filter { $0.offset % options.shard.count == options.shard.index - 1 }.map(\.element)
    }

    public func run() async throws(SweepError) -> SweepMatrix {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: options.out, withIntermediateDirectories: true)
        } catch {
            throw SweepError("cannot create the output folder \(options.out): \(error.localizedDescription)")
        }
        let profilesMeta = JSONSerializer.string(
            .object(profileDigests.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
        let owedPairs = { (ts: [SweepPlan.Target]) in
            JSONSerializer.string(.array(ts.flatMap { t in t.profiles.map { JSONValue.string(t.name + " " + $0) } }))
        }
        let journal: any SweepJournal
        var shared: PostgresJournal?
        // One sweep at a time writes a local journal (two resumed pods of one shard would run the same
        // pairs): an exclusive lock, released when the process ends however it ends. Workers sharing a
        // PostgreSQL journal are coordinated by it instead.
        var lockFD: Int32 = -1
        defer { if lockFD >= 0 { close(lockFD) } }
        do {
            if let url = options.journalURL {
                guard options.shard.count == 1 else {
                    throw SweepError(
                        "--shard and a shared --journal do not go together: the workers take targets from the journal")
                }
                guard let id = options.sweepID, SweepPlanFile.isName(id) else {
                    throw SweepError(
                        "a shared --journal needs --sweep-id ID (letters, digits, . _ -): the workers of one sweep share it, and a new id starts a new sweep rather than reporting an earlier one's results"
                    )
                }
                let pg = try PostgresJournal(url: url, key: plan.sha256 + ":" + id)
                // The first worker's profiles are the sweep's (stored once, atomically); others must match.
                if try pg.metaOnce("profiles", profilesMeta) != profilesMeta {
                    throw SweepError(
                        "the sweep of this plan in \(pg.shown) judges with other profile files than this worker's: every worker needs the same profiles"
                    )
                }
                try pg.setMeta([
                    ("plan", plan.sha256), ("shard", "1/1"), ("name", plan.name), ("profiles", profilesMeta),
                    ("pairs", owedPairs(plan.targets)),
                ])
                try pg.enqueue(plan.targets.map(\.name), reset: options.resume)
                journal = pg
                shared = pg
            } else {
                lockFD = open(options.out + "/journal.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
                guard lockFD >= 0, flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
                    throw SweepError("another sweep is writing \(options.out) (its journal.lock is held)")
                }
                let local = try Journal(path: options.out + "/journal.sqlite")
                let shard = "\(options.shard.index)/\(options.shard.count)"
                if let recorded = try local.meta("plan") {
                    guard options.resume else {
                        throw SweepError(
                            "\(options.out) holds the journal of an earlier sweep: add --resume to continue it, or choose another --out"
                        )
                    }
                    guard recorded == plan.sha256 else {
                        throw SweepError(
                            "the plan changed since the sweep in \(options.out) began: a resumed sweep runs the same plan")
                    }
                    guard try local.meta("shard") == shard else {
                        throw SweepError("the sweep in \(options.out) is shard \(try local.meta("shard") ?? "?"), not \(shard)")
                    }
                    guard try local.meta("profiles") == profilesMeta else {
                        throw SweepError(
                            "a profile's files changed since the sweep in \(options.out) began: a resumed sweep judges with the same profiles"
                        )
                    }
                } else {
                    // The pairs this shard owes, so that merged shards know what did not finish.
                    try local.setMeta([
                        ("plan", plan.sha256), ("shard", shard), ("name", plan.name), ("profiles", profilesMeta),
                        ("pairs", owedPairs(targets)),
                    ])
                }
                journal = local
            }
        } catch let e as SweepError {
            throw e
        } catch {
            throw SweepError("\(error)", usage: false)
        }
        let finished: Set<String>
        do { finished = try journal.finished() } catch { throw SweepError("\(error)", usage: false) }

        let mine = shared == nil ? targets : plan.targets
        let total = mine.reduce(0) { $0 + $1.profiles.count }
        let tally = Tally(done: finished.count)
        let started = options.clock()
        /// Runs a target's unfinished pairs, journaling each; false when it did not finish them all.
        @Sendable func judge(_ target: SweepPlan.Target, skipping finished: Set<String>) async -> Bool {
            for key in target.profiles where !finished.contains(target.name + "\u{0}" + key) {
                if options.interruption.isInterrupted { return false }
                guard let (entry, outcomes) = await runPair(target, key) else { return false }
                do {
                    try journal.record(entry, outcomes: outcomes)
                } catch {
                    tally.failures.withLock { $0.append("\(error)") }
                    return false
                }
                let n = tally.done.add(1, ordering: .relaxed).newValue
                let elapsed = options.clock() - started
                let fresh = n - finished.count
                let eta = fresh > 0 ? elapsed / Double(fresh) * Double(max(0, total - n)) : 0
                options.progress?(
                    "sweep: \(n)/\(total) \(target.name) × \(key): \(entry.verdict)"
                        + (entry.message.map { " (\($0))" } ?? "")
                        + String(format: "; %.1f pairs/s, about %.0f s left", elapsed > 0 ? Double(fresh) / elapsed : 0, eta))
            }
            return true
        }
        if let shared {
            // Workers take targets from the shared journal until none is pending.
            let byName = Dictionary(uniqueKeysWithValues: plan.targets.map { ($0.name, $0) })
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, options.parallel) {
                    group.addTask {
                        while !options.interruption.isInterrupted && tally.failures.withLock({ $0.isEmpty }) {
                            do {
                                guard let name = try shared.claim(worker: options.worker) else { return }
                                guard let target = byName[name] else {
                                    try shared.done(name, worker: options.worker)
                                    continue
                                }
                                let finished: Set<String>
                                do {
                                    finished = try shared.finished(target: name)
                                } catch {
                                    try? shared.giveBack(name, worker: options.worker)
                                    throw error
                                }
                                if await judge(target, skipping: finished) {
                                    try shared.done(name, worker: options.worker)
                                } else {
                                    try shared.giveBack(name, worker: options.worker)
                                }
                            } catch {
                                tally.failures.withLock { $0.append("\(error)") }
                                return
                            }
                        }
                    }
                }
            }
        } else {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for target in mine {
                    if running >= max(1, options.parallel) {
                        await group.next()
                        running -= 1
                    }
                    if options.interruption.isInterrupted { break }
                    running += 1
                    group.addTask { _ = await judge(target, skipping: finished) }
                }
            }
        }
        if let failure = tally.failures.withLock({ $0.first }) { throw SweepError(failure, usage: false) }
        let entries: [Journal.Entry]
        do { entries = try journal.entries() } catch { throw SweepError("\(error)", usage: false) }
        var matrix = MatrixBuilder.build(
            name: plan.name, plan: plan.sha256, targets: mine.map { ($0.name, $0.profiles) }, entries: entries)
        // Targets other workers of a shared journal are still judging: not finished here, not a failure.
        if let shared, !matrix.notFinished.isEmpty, !options.interruption.isInterrupted {
            matrix.elsewhere = (try? shared.running()) ?? 0
        }
        do {
            try MatrixBuilder.write(matrix, to: options.out)
        } catch {
            throw SweepError("cannot write the matrix: \(error)", usage: false)
        }
        return matrix
    }

    /// One target × profile: its reports written, its journal entry. Nil when the sweep's interruption cut
    /// it short (it is run again on resume).
    func runPair(_ target: SweepPlan.Target, _ key: String) async -> (
        Journal.Entry, [(requirement: String, level: String, outcome: String)]
    )? {
        func failed(_ message: String) -> (Journal.Entry, [(requirement: String, level: String, outcome: String)]) {
            (Journal.Entry(target: target.name, profile: key, verdict: "ERROR", exitCode: 3, report: [], message: message), [])
        }
        guard let profile = profiles[key] else { return failed("profile \(key) is not loaded") }
        var inputs = target.inputs
        for (name, source) in target.secrets.sorted(by: { $0.key < $1.key }) {
            switch source {
            case .environment(let variable):
                guard let v = options.environment[variable], !v.isEmpty else {
                    return failed("secret \(name): the environment variable \(variable) is not set")
                }
                inputs[name] = v
            case .file(let path):
                // A regular file of at most 64 KiB, checked before it is opened (a FIFO would block, /dev/zero
                // would not end).
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= 64 << 10,
                    let data = FileManager.default.contents(atPath: path), let text = String(validating: data, as: UTF8.self)
                else { return failed("secret \(name): \(path) is not a readable regular file of at most 64 KiB in UTF-8") }
                inputs[name] = text.trimmingCharacters(in: .newlines)
            }
            // Shorter values are not redacted (they would hide other text): refused, as for a run's secret inputs.
            guard let v = inputs[name], v.utf8.count >= 4 else {
                return failed("secret \(name) is shorter than 4 bytes: too short to be redacted from the reports")
            }
        }
        var o = RunOptions()
        o.inputs = inputs
        o.secretInputs = Set(target.secrets.keys)
        o.paths = target.paths
        o.jobs = target.concurrency
        o.readOnly = target.readOnly
        if let runID = options.runID { o.runID = runID }
        if let fixed = options.fixedClock {
            o.clock = { fixed }
            o.recordedOptions["clock"] = String(fixed)
        }
        o.recordedOptions["sweep"] = "\(plan.name.isEmpty ? "plan" : plan.name) sha256:\(plan.sha256) target \(target.name)"
        let interruption = Interruption()
        o.interruption = interruption
        var hosted: (inbox: any NotificationInbox, stop: @Sendable () -> Void)?
        if let spec = profile.receiver {
            guard let receiver else { return failed("this profile awaits notifications, and no receiver can be hosted") }
            await receiverLock.acquire()
            do {
                hosted = try receiver(spec)
            } catch {
                await receiverLock.release()
                return failed("cannot host the notification receiver: \(error)")
            }
            o.inbox = hosted?.inbox
        }
        // The sweep's own interruption reaches this run; the time budget (counted from here, after any wait
        // for the receiver) is an interruption by reason.
        let watch = Task {
            let deadline = options.clock() + target.timeBudget
            while !Task.isCancelled {
                if options.interruption.isInterrupted {
                    interruption.interrupt(signal: SIGINT)
                    return
                }
                if options.clock() >= deadline {
                    interruption.interrupt(reason: "the time budget of \(Int(target.timeBudget)) s")
                    return
                }
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        defer { watch.cancel() }
        let polite = PoliteTransport(
            base: transport(target), rate: target.rate, retryAfterMax: target.retryAfterMax,
            stop: { interruption.isInterrupted })
        let result: Result<RunReport, RunError>
        do {
            result = .success(try await Runner(profile: profile, transport: polite, options: o).run())
        } catch {
            result = .failure(error)
        }
        if let hosted {
            hosted.stop()
            await receiverLock.release()
        }
        let report: RunReport
        switch result {
        case .success(let r): report = r
        case .failure(let error): return failed(error.message)
        }
        if report.interrupted != nil && options.interruption.isInterrupted { return nil }
        // A run the time budget cut short could not be decided: the harness's limit, not the target's fault
        // (ERROR, exit code 3; a resume runs it again).
        let budgetCut = report.interrupted != nil
        let exitCode = budgetCut ? 3 : Int(report.exitCode)
        let json = JSONReport.render(report)
        let folder = options.out + "/" + target.name + "/" + key
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try AtomicFile.write(json, to: folder + "/report.json")
            for format in plan.reports {
                switch format {
                case "markdown": try AtomicFile.write(MarkdownReport.render(report), to: folder + "/report.md")
                case "html": try AtomicFile.write(HTMLReport.render(report), to: folder + "/report.html")
                case "junit": try AtomicFile.write(JUnitReport.render(report), to: folder + "/report.xml")
                case "sarif": try AtomicFile.write(SARIFReport.render(report), to: folder + "/report.sarif")
                case "tap": try AtomicFile.write(TAPReport.render(report), to: folder + "/report.tap")
                case "earl": try AtomicFile.write(EARLReport.render(report), to: folder + "/report.ttl")
                default: break
                }
            }
        } catch {
            return failed("cannot write the reports in \(folder): \(error)")
        }
        let entry = Journal.Entry(
            target: target.name, profile: key,
            verdict: budgetCut ? "ERROR" : report.conformant ? "CONFORMANT" : "NOT CONFORMANT", exitCode: exitCode,
            report: json, message: report.interrupted.map { "interrupted by \($0)" })
        return (entry, report.requirements.map { ($0.id, $0.level.rawValue, $0.outcome.rawValue) })
    }
}

/// What the pairs of a sweep report as they finish.
final class Tally: Sendable {
    let done: Atomic<Int>
    let failures = Mutex<[String]>([])
    init(done: Int) { self.done = Atomic(done) }
}

/// A lock for async code: one holder at a time, the others wait in order.
actor AsyncLock {
    var held = false
    var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { held = false } else { waiters.removeFirst().resume() }
    }
}
