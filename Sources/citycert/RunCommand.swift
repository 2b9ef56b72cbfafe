import ArgumentParser
import CityCertCore
import CityCertCurl
import CityCertProfile
import CityCertReceiver
import CityCertReports
import CityCertRules
import CityCertRunner
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a profile against endpoints and/or data files and report the verdict.")

    @Argument(help: "The profile file (profile.yaml).") var profile: String
    @Argument(help: "Data files or folders for the profile's data checks.") var paths: [String] = []
    @Option(name: .customLong("input"), help: "A profile input, name=value (repeatable).") var inputs: [String] = []
    @Option(name: .customLong("inputs"), help: "A file of inputs, one name=value per line.") var inputsFile: String?
    @Option(name: .customLong("filter"), help: "Run only requirements with this id (or id prefix*), tag or level (repeatable).")
    var filters: [String] = []
    @Option(
        name: .customLong("class"),
        help: "Run only the requirements of this conformance class (its id or URI; repeatable), with what they need.")
    var classes: [String] = []
    @Flag(name: .customLong("list"), help: "List what would run, without running it.") var listOnly = false
    @Flag(name: .customLong("read-only"), help: "Skip every requirement that writes to the target.") var readOnly = false
    @Option(name: .customLong("jobs"), help: "Requirements and transfers to run at once.") var jobs = 1
    @Option(name: .customLong("connect-timeout"), help: "Connect timeout in seconds (overrides the profile).") var connectTimeout:
        Double?
    @Option(name: .customLong("timeout"), help: "Total timeout per request in seconds (overrides the profile).") var timeout:
        Double?
    @Flag(name: .customLong("insecure"), help: "Turn TLS verification off (the report says so).") var insecure = false
    @Option(name: .customLong("cacert"), help: "CA bundle file for TLS verification.") var caBundle: String?
    @Option(name: .customLong("cert"), help: "Client certificate (mTLS).") var clientCert: String?
    @Option(name: .customLong("key"), help: "Client private key (mTLS).") var clientKey: String?
    @Option(name: .customLong("proxy"), help: "HTTP proxy URL.") var proxy: String?
    @Option(name: .customLong("max-body"), help: "Largest response body accepted, in bytes.") var maxBody = 16 << 20
    @Option(name: .customLong("report-json"), help: "Write the JSON report here.") var reportJSON: String?
    @Option(name: .customLong("report-junit"), help: "Write the JUnit XML report here.") var reportJUnit: String?
    @Option(name: .customLong("report-sarif"), help: "Write a SARIF 2.1.0 report here (findings inline in code-scanning UIs).")
    var reportSARIF: String?
    @Option(
        name: .customLong("report-markdown"), help: "Write a Markdown summary here (CI job summary, PR comment; at most 64 KiB).")
    var reportMarkdown: String?
    @Option(name: .customLong("report-html"), help: "Write a self-contained HTML report here (for people: phone, print).")
    var reportHTML: String?
    @Option(name: .customLong("report-tap"), help: "Write a TAP 14 stream here (one test point per requirement).")
    var reportTAP: String?
    @Option(name: .customLong("report-earl"), help: "Write an EARL 1.0 report (JSON-LD) here.")
    var reportEARL: String?
    @Option(
        name: .customLong("waivers"),
        help: "A file of accepted deviations (YAML/JSON: requirement, reason, approved_by, expires, target, link).")
    var waiversFile: String?
    @Option(name: .customLong("fail-on"), help: "Lowest level whose failure fails the run: must (default) or should.")
    var failOn = "must"
    @Option(
        name: .customLong("receiver-url"),
        help: "The URL announced to the target for notifications, when it reaches this machine under another address.")
    var receiverURL: String?
    @Option(name: .customLong("model"), help: "Treat every data document as this entity model, whatever its type says.")
    var model: String?
    @Option(
        name: .customLong("representation"),
        help:
            "Treat every data document as this representation: keyValues, ld-keyValues, ld-normalized, v2-normalized or geojson.")
    var representation: String?
    @Option(name: .customLong("run-id"), help: "The run id used in {{run_id}} (default: random).") var runID: String?
    @Option(name: .customLong("clock"), help: .hidden) var fixedClock: Double?

    func validate() throws {
        guard jobs >= 1 && jobs <= 256 else { throw ValidationError("--jobs must be between 1 and 256") }
        guard ["must", "should"].contains(failOn.lowercased()) else {
            throw ValidationError("--fail-on must be 'must' or 'should'")
        }
        if let representation, EntityRepresentation(rawValue: representation) == nil {
            throw ValidationError(
                "--representation must be one of \(EntityRepresentation.names.joined(separator: ", ")); got '\(representation)'")
        }
        for i in inputs where !i.contains("=") { throw ValidationError("--input expects name=value, got '\(i)'") }
        // A report that cannot be written would be lost after the whole run: its folder is checked first.
        let reports: [(String, String?)] = [
            ("--report-json", reportJSON), ("--report-junit", reportJUnit), ("--report-sarif", reportSARIF),
            ("--report-markdown", reportMarkdown), ("--report-tap", reportTAP), ("--report-earl", reportEARL),
            ("--report-html", reportHTML),
        ]
        for case (let option, let path?) in reports {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("\(option) \(path): no such folder \(folder)")
            }
            guard access(folder, W_OK) == 0 else {
                throw ValidationError("\(option) \(path): the folder \(folder) is not writable")
            }
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw ValidationError("\(option) \(path) is a folder; give a file name")
            }
        }
        let arguments = CommandLine.arguments
        for p in paths where !FileManager.default.fileExists(atPath: p) {
            // A value after an option this command does not know (`--reprot-json x.json`) is that option's
            // value: the unknown option is the error to report (ArgumentParser does, once this passes).
            if let i = arguments.firstIndex(of: p), i > 0, arguments[i - 1].hasPrefix("-") { continue }
            throw ValidationError("no such file or folder: \(p)")
        }
    }

    func run() async throws {
        // validate() let a missing path pass when it followed an option (the value of an unknown option,
        // reported by ArgumentParser); here every option was known, so a missing path is just missing.
        for p in paths where !FileManager.default.fileExists(atPath: p) {
            warn("error: no such file or folder: \(p)")
            throw ExitCode(2)
        }
        let loaded = try loadProfileOrExit(profile)
        var options = RunOptions()
        options.paths = paths
        options.filters = filters
        options.classes = classes
        options.readOnly = readOnly
        options.failOn = failOn.lowercased() == "should" ? .should : .must
        options.jobs = jobs
        options.connectTimeout = connectTimeout
        options.totalTimeout = timeout
        options.insecure = insecure
        options.model = model
        options.representation = representation.flatMap(EntityRepresentation.init(rawValue:))
        if let waiversFile {
            do {
                options.waivers = try WaiverFile.load(path: waiversFile, profile: loaded)
            } catch {
                warn(error.description)
                throw ExitCode(2)
            }
            // The waivers change verdicts: the fingerprint records which file, by content.
            let digest = (try? Data(contentsOf: URL(fileURLWithPath: waiversFile))).map { SHA256.hex(Array($0)) } ?? "-"
            options.recordedOptions["waivers"] = "\(waiversFile) sha256:\(digest)"
        }
        // Transport options that can change a verdict, for the report's fingerprint: a proxy URL or a client
        // certificate's path may hold a credential or a name, so only their use is recorded.
        options.recordedOptions["max-body"] = String(maxBody)
        // A fixed clock decides {{now}}, {{timestamp}} and waiver expiry.
        if let fixedClock { options.recordedOptions["clock"] = String(fixedClock) }
        if let caBundle { options.recordedOptions["cacert"] = caBundle }
        if clientCert != nil { options.recordedOptions["cert"] = "given" }
        if proxy != nil { options.recordedOptions["proxy"] = "given" }
        if let runID { options.runID = runID }
        if let fixedClock { options.clock = { fixedClock } }
        if let inputsFile {
            guard let text = try? String(contentsOfFile: inputsFile, encoding: .utf8) else {
                warn("error: cannot read inputs file \(inputsFile)")
                throw ExitCode(2)
            }
            for (n, line) in text.split(separator: "\n").enumerated() {
                let t = line.trimmingCharacters(in: .whitespaces)
                if t.isEmpty || t.hasPrefix("#") { continue }
                guard let eq = t.firstIndex(of: "=") else {
                    warn("\(inputsFile):\(n + 1): error: expected name=value")
                    throw ExitCode(2)
                }
                options.inputs[String(t[..<eq])] = String(t[t.index(after: eq)...])
            }
        }
        for i in inputs {
            let eq = i.firstIndex(of: "=")!
            options.inputs[String(i[..<eq])] = String(i[i.index(after: eq)...])
        }
        let interactive = isatty(STDOUT_FILENO) == 1
        if interactive {
            let failLevel = options.failOn
            options.progress = { q in
                var lines = [ConsoleReport.line(q, failOn: failLevel)]
                lines += ConsoleReport.details(q)
                print(lines.joined(separator: "\n"))
            }
        }
        var settings = TransportSettings()
        settings.insecure = insecure
        settings.caBundle = caBundle
        settings.clientCertificate = clientCert
        settings.clientKey = clientKey
        settings.proxy = proxy
        settings.maxBodyBytes = maxBody
        // A second signal ends the transfers in flight too (a slow server must not hold the exit).
        let abort = AbortFlag()
        settings.abort = abort
        // A profile that awaits notifications gets a receiver for the length of the run.
        var receiver: NotificationReceiver?
        if let spec = loaded.receiver, !listOnly {
            do {
                let r = try NotificationReceiver(
                    host: spec.host, port: spec.port, publicURL: receiverURL ?? spec.publicURL)
                receiver = r
                options.inbox = r
            } catch {
                warn("error: \(error)")
                throw ExitCode(3)
            }
        }
        defer { receiver?.stop() }
        // SIGINT / SIGTERM: no new request starts, the cleanup runs (30 s at most; a second signal skips it
        // and ends the transfers in flight), the reports are written, marked interrupted, and the exit code
        // is 128 + the signal. A third signal ends the process at once.
        let interruption = Interruption()
        options.interruption = interruption
        let signalSources = watchInterruptions(interruption) { sig, count in
            if count >= 2 { abort.raise() }
            if count >= 3 && !interruption.isWritingReports { _exit(128 + sig) }
            warn(
                count == 1
                    ? "citycert: interrupted; finishing what runs, then the cleanup and the reports (again to skip the cleanup)"
                    : "citycert: interrupted again; skipping the cleanup")
        }
        defer { for s in signalSources { s.cancel() } }
        let runner = Runner(profile: loaded, transport: CurlTransport(settings: settings, concurrency: jobs), options: options)

        if listOnly {
            do {
                try runner.checkFilters()
            } catch {
                warn("error: \(error.message)")
                throw ExitCode(2)
            }
            let planned = runner.plan()
            print("\(loaded.id) \(loaded.version): \(planned.count) requirement(s) would run")
            for r in planned {
                let skipped = readOnly && r.writes ? "  (skipped: writes)" : ""
                print(
                    "  \(r.level.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(r.id)  \(r.title)\(r.writes ? "  [writes]" : "")"
                        + (r.classes.isEmpty ? "" : "  (class \(r.classes.joined(separator: ", ")))") + skipped
                )
            }
            return
        }

        if interactive {
            // Live mode: say what runs, then a line per requirement as it finishes.
            print(
                "citycert \(toolVersion): profile \(loaded.id) \(loaded.version), \(runner.plan().count) requirement(s)"
                    + (insecure ? " (TLS verification OFF)" : ""))
        }
        let report: RunReport
        do {
            report = try await runner.run()
        } catch {
            warn("error: \(error.message)")
            throw ExitCode(error.usage ? 2 : 3)
        }
        if !interactive {
            print(ConsoleReport.header(report))
            for q in report.requirements {
                print(ConsoleReport.line(q, failOn: report.failOn))
                for d in ConsoleReport.details(q) { print(d) }
            }
        } else if report.insecure {
            print("WARNING: TLS verification is OFF (--insecure)")
        }
        interruption.beginWritingReports()
        print(ConsoleReport.summary(report))
        do {
            if let reportJSON { try AtomicFile.write(JSONReport.render(report), to: reportJSON) }
            if let reportJUnit { try AtomicFile.write(JUnitReport.render(report), to: reportJUnit) }
            if let reportSARIF { try AtomicFile.write(SARIFReport.render(report), to: reportSARIF) }
            if let reportMarkdown { try AtomicFile.write(MarkdownReport.render(report), to: reportMarkdown) }
            if let reportTAP { try AtomicFile.write(TAPReport.render(report), to: reportTAP) }
            if let reportEARL { try AtomicFile.write(EARLReport.render(report), to: reportEARL) }
            if let reportHTML { try AtomicFile.write(HTMLReport.render(report), to: reportHTML) }
        } catch {
            warn("error: \(error)")
            throw ExitCode(3)
        }
        // One rule for the exit code, shared with the reports that state pass/fail (RunReport.exitCode).
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
