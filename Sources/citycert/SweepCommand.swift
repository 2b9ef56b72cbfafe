import ArgumentParser
import CityCertCore
import CityCertCurl
import CityCertProfile
import CityCertReceiver
import CityCertReports
import CityCertRunner
import CityCertSweep
import Foundation

struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Judge many targets against the profiles a plan names: reports per target × profile, and a matrix.",
        discussion: """
            Writes into --out: journal.sqlite (each finished target × profile, so that --resume after an \
            interruption or a kill runs only what had not finished), TARGET/PROFILE/report.json (and the \
            formats the plan names), and matrix.json, matrix.csv, matrix.md. Exit codes: 0 every pair \
            CONFORMANT; 1 a pair NOT CONFORMANT, or pairs not finished; 2 usage (plan, folder, options); 3 \
            pairs that could not be decided (errors, time budgets) and no failure; 130/143 interrupted.
            """)

    @Argument(help: "The sweep plan (YAML).") var plan: String
    @Option(name: .customLong("out"), help: "The output folder.") var out: String
    @Flag(name: .customLong("resume"), help: "Continue the sweep whose journal is in --out.") var resume = false
    @Option(name: .customLong("shard"), help: "k/n: run only the k-th of n slices of the targets (sorted by name).")
    var shard: String = "1/1"
    @Option(name: .customLong("parallel"), help: "Targets judged at once.") var parallel = 4
    @Option(
        name: .customLong("journal"),
        help: "postgres://…: a journal shared by several workers, each taking targets from it (default: SQLite in --out).")
    var journal: String?
    @Option(name: .customLong("worker"), help: "This worker's name in a shared journal (default: host:pid).") var worker: String?
    @Option(
        name: .customLong("sweep-id"),
        help: "With --journal: the sweep's id (a CI run number, a date); workers with the same plan and id share the work.")
    var sweepID: String?
    @Flag(name: .customLong("progress"), help: "A line on stderr per finished pair (the default on a terminal).")
    var progress = false
    @Flag(name: .customLong("quiet"), help: "No progress lines.") var quiet = false
    @Option(name: .customLong("run-id"), help: .hidden) var runID: String?
    @Option(name: .customLong("clock"), help: .hidden) var fixedClock: Double?

    func run() async throws {
        let parts = shard.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let k = parts[0], let n = parts[1], n >= 1, k >= 1, k <= n, n <= 10_000 else {
            warn("error: --shard must be k/n with 1 ≤ k ≤ n (e.g. 2/4)")
            throw ExitCode(2)
        }
        guard (1...256).contains(parallel) else {
            warn("error: --parallel must be from 1 to 256")
            throw ExitCode(2)
        }
        let loaded: SweepPlan
        do {
            loaded = try SweepPlanFile.load(path: plan)
        } catch {
            warn(error.description)
            throw ExitCode(2)
        }
        var options = SweepOptions(out: out)
        options.resume = resume
        options.shard = (k, n)
        options.parallel = parallel
        if let journal {
            guard journal.hasPrefix("postgres://") || journal.hasPrefix("postgresql://") else {
                warn("error: --journal takes a postgres:// URL (the SQLite journal in --out is the default)")
                throw ExitCode(2)
            }
            options.journalURL = journal
        }
        if let worker { options.worker = worker }
        options.sweepID = sweepID
        options.runID = runID
        options.fixedClock = fixedClock
        if !quiet && (progress || isatty(STDERR_FILENO) == 1) { options.progress = { warn($0) } }
        let interruption = options.interruption
        let sources = watchInterruptions(interruption) { sig, count in
            if count >= 3 { _exit(128 + sig) }
            warn("citycert: interrupted; the pairs in flight stop and are not recorded (--resume runs them again)")
        }
        defer { for s in sources { s.cancel() } }
        // One transport for every target: its transfers run on one curl event loop thread, off Swift's
        // concurrency pool (a transport of concurrency 1 would run each transfer on a pool thread, and
        // two blocked pool threads would hold the whole sweep on a 2-core machine), sharing a connection
        // cache. Each target's own bound is its runner's `concurrency`.
        let most = loaded.targets.map(\.concurrency).max() ?? 1
        let shared = CurlTransport(settings: TransportSettings(), concurrency: max(2, min(1024, parallel * most)))
        let matrix: SweepMatrix
        do {
            let sweeper = try Sweeper(
                plan: loaded, options: options,
                receiver: { spec in
                    let r = try NotificationReceiver(host: spec.host, port: spec.port, publicURL: spec.publicURL)
                    return (r, { r.stop() })
                }
            ) { _ in shared }
            matrix = try await sweeper.run()
        } catch {
            warn("error: \(error.description)")
            throw ExitCode(error.usage ? 2 : 3)
        }
        let conformant = matrix.cells.filter { $0.verdict == "CONFORMANT" }.count
        print(
            "citycert sweep: \(matrix.cells.count) pair(s) judged, \(conformant) CONFORMANT"
                + (matrix.notFinished.isEmpty
                    ? ""
                    : matrix.elsewhere > 0
                        ? ", \(matrix.notFinished.count) not finished (\(matrix.elsewhere) target(s) still being judged by other workers: the last to end writes the whole matrix)"
                        : ", \(matrix.notFinished.count) not finished")
                + "; matrix in \(out)/matrix.md")
        if let signal = interruption.signalName {
            warn("citycert: interrupted by \(signal): continue with --resume")
            throw ExitCode(signal == "SIGTERM" ? 143 : 130)
        }
        if matrix.exitCode != 0 { throw ExitCode(matrix.exitCode) }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Work with reports.", subcommands: [MergeCommand.self])

    struct MergeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract: "Merge the output folders of a sharded sweep into the folder an unsharded sweep would write.")
        @Argument(help: "The shards' output folders (all n of them).") var folders: [String]
        @Option(name: .customLong("out"), help: "The merged output folder.") var out: String

        func run() async throws {
            do {
                let matrix = try Merger.merge(folders, into: out)
                print(
                    "citycert report merge: \(matrix.cells.count) pair(s) from \(folders.count) shard(s); matrix in \(out)/matrix.md"
                )
                if matrix.exitCode != 0 { throw ExitCode(matrix.exitCode) }
            } catch let e as SweepError {
                warn("error: \(e.description)")
                throw ExitCode(e.usage ? 2 : 3)
            }
        }
    }
}
