public import CityCertCore
import CityCertJSON
public import CityCertProfile
import Foundation
import Synchronization

/// Runs a compiled profile against a target and returns the report. Failures of one check never stop
/// the run; only invalid usage (missing inputs, no transport for HTTP checks) throws before anything runs.
public struct Runner: Sendable {
    public let profile: Profile
    let transport: (any HTTPTransport)?
    let options: RunOptions
    let gtfsCache = GTFSCache()
    let coverage = CoverageLedger()
    public static let toolVersion = "0.1.0"

    public init(profile: Profile, transport: (any HTTPTransport)?, options: RunOptions) {
        self.profile = profile
        self.transport = transport
        self.options = options
    }

    /// The requirements that would run, in order: those matching the filters plus what they need.
    public func plan() -> [Requirement] {
        guard !options.filters.isEmpty || !options.classes.isEmpty else { return profile.requirements }
        let chosen = Set(
            profile.classes.filter { k in options.classes.contains { $0 == k.id || $0 == k.uri } }.flatMap(\.requirements))
        let byID = Dictionary(uniqueKeysWithValues: profile.requirements.map { ($0.id, $0) })
        var selected = Set<String>()
        let position = Dictionary(uniqueKeysWithValues: profile.requirements.enumerated().map { ($1.id, $0) })
        // A requirement runs with what it needs and with the requirements that capture the variables it
        // uses (the last one before it for each variable), so that a filter cannot leave them unset.
        func include(_ r: Requirement) {
            guard selected.insert(r.id).inserted else { return }
            for n in r.needs { if let d = byID[n] { include(d) } }
            let at = position[r.id] ?? 0
            for v in r.usedVariables {
                if let c = profile.requirements[..<at].last(where: { $0.capturedVariables.contains(v) }) { include(c) }
            }
        }
        for r in profile.requirements
        where (options.filters.isEmpty || options.filters.contains(where: { Self.filter($0, matches: r) }))
            && (options.classes.isEmpty || chosen.contains(r.id))
        {
            include(r)
        }
        return profile.requirements.filter { selected.contains($0.id) }
    }

    static func filter(_ f: String, matches r: Requirement) -> Bool {
        r.id == f || r.tags.contains(f) || r.level.rawValue == f.uppercased()
            || (f.hasSuffix("*") && r.id.hasPrefix(String(f.dropLast())))
    }

    /// A filter that selects no requirement is a usage error (a typo would otherwise run nothing, or
    /// less than meant, and say so only in the counts).
    public func checkFilters() throws(RunError) {
        for c in options.classes where !profile.classes.contains(where: { $0.id == c || $0.uri == c }) {
            guard !profile.classes.isEmpty else {
                throw RunError("--class '\(c)': profile \(profile.id) declares no conformance classes")
            }
            let names = profile.classes.map(\.id)
            let close = names.min { levenshteinDistance($0, c) < levenshteinDistance($1, c) }
            let hint = close.flatMap { levenshteinDistance($0, c) <= max(2, c.count / 3) ? " (did you mean '\($0)'?)" : nil }
            throw RunError(
                "--class '\(c)' is not a class of profile \(profile.id)\(hint ?? ""): its classes are "
                    + names.joined(separator: ", "))
        }
        for f in options.filters where !profile.requirements.contains(where: { Self.filter(f, matches: $0) }) {
            let names = Set(profile.requirements.flatMap { [$0.id] + $0.tags } + Level.allCases.map(\.rawValue))
            let close = names.min { levenshteinDistance($0, f) < levenshteinDistance($1, f) }
            let hint = close.flatMap { levenshteinDistance($0, f) <= max(2, f.count / 3) ? " (did you mean '\($0)'?)" : nil }
            throw RunError(
                "--filter '\(f)' selects no requirement of profile \(profile.id)\(hint ?? "")"
                    + ": use an id, an id prefix followed by *, a tag or a level")
        }
        if !options.classes.isEmpty && !options.filters.isEmpty && plan().isEmpty {
            throw RunError(
                "--class \(options.classes.joined(separator: " --class ")) and --filter \(options.filters.joined(separator: " --filter ")) select no requirement together"
                    + ": a requirement runs when it is in a chosen class and matches a filter")
        }
    }

    /// Captured variables whose values are secrets: `secret: true` captures, and every variable a
    /// credential header (Authorization, Cookie, X-API-Key, …) is built from.
    public static func secretVariables(_ profile: Profile) -> Set<String> {
        var out = Set<String>()
        var steps = profile.cleanup
        for r in profile.requirements { for case .http(let h) in r.checks { steps += h.steps } }
        for step in steps {
            for c in step.captures where c.secret { out.insert(c.variable) }
            for h in step.headers where HTTPStepRunner.sensitiveHeaders.contains(h.name.lowercased()) {
                out.formUnion(h.value.variables)
            }
        }
        for h in profile.defaults.headers where HTTPStepRunner.sensitiveHeaders.contains(h.name.lowercased()) {
            out.formUnion(h.value.variables)
        }
        return out
    }

    /// Checks inputs and transport before anything runs.
    func resolveInputs() throws(RunError) -> [String: String] {
        var values: [String: String] = [:]
        let declared = Set(profile.inputs.map(\.name))
        for key in options.inputs.keys where !declared.contains(key) {
            let close = profile.inputs.map(\.name).min { levenshteinDistance($0, key) < levenshteinDistance($1, key) }
            throw RunError("unknown input '\(key)' for profile \(profile.id)" + (close.map { " (did you mean '\($0)'?)" } ?? ""))
        }
        for i in profile.inputs {
            if let v = options.inputs[i.name] {
                // A very short secret would be found, and replaced by ***, all over the reports.
                if i.secret && v.utf8.count < Variables.minimumSecretLength {
                    throw RunError(
                        "secret input '\(i.name)' is shorter than \(Variables.minimumSecretLength) characters: it cannot be "
                            + "redacted without mangling every report (use the real credential)")
                }
                values[i.name] = v
            } else if let d = i.defaultValue {
                values[i.name] = d
            } else if i.required {
                throw RunError(
                    "missing required input '\(i.name)'" + (i.description.map { ": \($0)" } ?? "") + " (pass --input \(i.name)=…)"
                )
            }
        }
        return values
    }

    public func run() async throws(RunError) -> RunReport {
        let inputs = try resolveInputs()
        try checkFilters()
        let planned = plan()
        let needsHTTP = planned.contains { $0.checks.contains { if case .http = $0 { return true } else { return false } } }
        if needsHTTP && transport == nil {
            throw RunError("this profile has HTTP checks but no transport is configured", usage: false)
        }
        // Secret inputs, and inputs a credential header is built from (X-API-Key: "{{api_key}}").
        let credentialNames = Self.secretVariables(profile)
        let secretInputs = Set(profile.inputs.filter { $0.secret || credentialNames.contains($0.name) }.map(\.name))
            .union(options.secretInputs)
        var secrets = secretInputs.compactMap { inputs[$0] }
        // A password in an input URL (https://user:password@host/…) is a credential wherever it shows.
        for value in inputs.values {
            if let password = URLComponents(string: value)?.password, !password.isEmpty { secrets.append(password) }
        }
        let variables = Variables(
            inputs: inputs, secrets: secrets, secretVariables: credentialNames, runID: options.runID,
            clock: options.clock, typedExpected: profile.formatVersion != "1")
        if profile.receiver != nil {
            guard let inbox = options.inbox else {
                throw RunError("this profile awaits notifications but no receiver is running", usage: false)
            }
            variables.set("receiver_url", inbox.url)
        }
        let (files, unreadable) = FileSelector.expand(options.paths)
        // A file citycert cannot open by name would be left out of every check: a verdict without it could
        // be a false CONFORMANT, so the run does not start.
        if !unreadable.isEmpty {
            throw RunError(
                "cannot read \(unreadable.count) file(s) or folder(s) under the data paths (a name that is not valid UTF-8, a folder that cannot be read): "
                    + unreadable.prefix(5).joined(separator: ", ") + (unreadable.count > 5 ? ", …" : "")
                    + " (rename them, or leave them out of the paths)", usage: false)
        }
        // Hashed before anything runs: the fingerprint is of what the run was given.
        let fingerprint = try Fingerprinting.fingerprint(
            profileFolder: profile.folder, dataFiles: files,
            options: Fingerprinting.options(options, inputs: inputs, secretInputs: secretInputs, redact: variables.redact),
            toolVersion: Self.toolVersion)
        let started = options.clock()

        var results = await runRequirements(planned, variables: variables, files: files)
        let classesByID = Dictionary(uniqueKeysWithValues: profile.requirements.map { ($0.id, $0.classes) })
        for i in results.indices { results[i].classes = classesByID[results[i].id] ?? [] }
        let leftovers = await runCleanup(variables: variables).map(variables.redact)
        // Secrets learned during the run (a token captured late, a credential echoed before it was sent)
        // are redacted from everything recorded before they were known.
        if variables.hasSecrets {
            let step = HTTPStepRunner(profile: profile, transport: NoTransport(), variables: variables, options: options)
            results = results.map { Self.redact($0, step, variables) }
        }

        var target: [String: String] = [:]
        for i in profile.inputs where inputs[i.name] != nil {
            target[i.name] = secretInputs.contains(i.name) ? "***" : variables.redact(inputs[i.name]!)
        }
        if !options.paths.isEmpty { target["paths"] = options.paths.joined(separator: " ") }
        let plannedIDs = Set(planned.map(\.id))
        var report = RunReport(
            profile: RunReport.ProfileInfo(
                id: profile.id, title: profile.title, version: profile.version, sha256: profile.sha256,
                standardName: profile.standard.name,
                standardVersion: profile.standard.version, standardURL: profile.standard.url),
            target: target, toolVersion: Self.toolVersion, started: started, finished: options.clock(),
            insecure: options.insecure,
            readOnly: options.readOnly, requirements: results, leftovers: leftovers)
        report.failOn = options.failOn
        report.fingerprint = fingerprint
        // Waivers last: they accept what was observed, they do not change it.
        if !options.waivers.isEmpty {
            // A waiver's text is the user's, but a run secret in it is redacted like anywhere else.
            let redacted = options.waivers.map { w -> Waiver in
                var w = w
                w.reason = variables.redact(w.reason)
                w.approvedBy = variables.redact(w.approvedBy)
                w.link = w.link.map(variables.redact)
                w.target = w.target.map(variables.redact)
                return w
            }
            Waivers.apply(redacted, to: &report, at: report.finished)
        }
        // The data checks of requirements an option kept from running (--filter, --read-only): their files
        // are not judged, rather than uncovered (such a run is partial and says so).
        let ran = Set(results.filter { !$0.checks.isEmpty }.map(\.id))
        let byOption = Set(results.filter(\.excludedByOption).map(\.id))
        let idle = profile.requirements.filter { !plannedIDs.contains($0.id) || byOption.contains($0.id) }
        let idleGlobs = idle.flatMap { r in
            r.checks.compactMap { c -> [String]? in if case .data(let d) = c { return d.files } else { return nil } }
        }
        report.coverage = coverage.coverage(of: files, failsVerdict: profile.uncoveredFails) { file in
            idleGlobs.contains { !FileSelector.select([file], globs: $0).isEmpty }
        }
        let gtfsChecks = profile.requirements.filter { ran.contains($0.id) }.flatMap { r in
            r.checks.compactMap { c -> GTFSCheck? in if case .gtfs(let g) = c { return g } else { return nil } }
        }
        if !gtfsChecks.isEmpty { report.coverage?.unreportedNotices = await gtfsCache.unreported(by: gtfsChecks) }
        report.interrupted = options.interruption?.signalName
        let selection = (options.classes.map { "--class \($0)" } + options.filters.map { "--filter \($0)" })
            .joined(separator: " ")
        report.notSelected = profile.requirements.filter { !plannedIDs.contains($0.id) }.map {
            RunReport.NotRun(id: $0.id, level: $0.level, reason: "not selected by \(selection)")
        }
        report.classes = profile.classes.map { k in
            let applies: ClassInfo.Applies
            switch k.appliesIf.map({ variables.evaluate($0) }) {
            case nil: applies = .always
            case .decided(true, _)?: applies = .declared
            case .decided(false, let why)?: applies = .notDeclared(variables.redact(why))
            case .undecided(let why)?: applies = .undecided(variables.redact(why))
            }
            return ClassInfo(id: k.id, uri: k.uri, title: k.title, requirements: k.requirements, applies: applies)
        }
        return report
    }

    /// Runs requirements in order, or up to `jobs` at once when their dependencies allow.
    func runRequirements(_ planned: [Requirement], variables: Variables, files: [String]) async -> [RequirementResult] {
        let dependencies = Self.dependencies(planned)
        var results = [RequirementResult?](repeating: nil, count: planned.count)
        var finished: [String: RequirementResult] = [:]
        var started = [Bool](repeating: false, count: planned.count)
        var firstNotStarted = 0
        let jobs = max(1, options.jobs)
        await withTaskGroup(of: (Int, RequirementResult).self) { group in
            var running = 0
            while true {
                // Start every ready requirement, in order, while slots are free.
                var launched = false
                while firstNotStarted < planned.count && started[firstNotStarted] { firstNotStarted += 1 }
                for i in firstNotStarted..<planned.count where !started[i] {
                    if running >= jobs { break }
                    // Once interrupted, nothing new starts; what runs finishes within its timeouts.
                    if options.interruption?.isInterrupted == true { break }
                    if dependencies[i].contains(where: { results[$0] == nil }) {
                        if jobs == 1 { break }
                        continue
                    }
                    started[i] = true
                    running += 1
                    launched = true
                    let r = planned[i]
                    let needs = r.needs.map { ($0, finished[$0]) }
                    let before = dependencies[i].map { results[$0] }
                    group.addTask {
                        (i, await self.run(r, needs: needs, dependencies: before, variables: variables, files: files))
                    }
                    if jobs == 1 { break }
                }
                if running == 0 && !launched { break }
                guard let (i, result) = await group.next() else { break }
                running -= 1
                results[i] = result
                finished[result.id] = result
                if let progress = options.progress {
                    // Live lines are redacted with the secrets known so far (the reports, once more at the end).
                    progress(
                        variables.hasSecrets
                            ? Self.redact(
                                result,
                                HTTPStepRunner(
                                    profile: profile, transport: NoTransport(), variables: variables, options: options),
                                variables) : result)
                }
            }
        }
        // Anything that could not start is reported, never dropped.
        let interrupted = options.interruption?.signalName
        for i in planned.indices where results[i] == nil {
            let r = planned[i]
            results[i] = RequirementResult(
                id: r.id, title: r.title, clause: r.clause, url: r.url, quote: r.quote, level: r.level, tags: r.tags,
                outcome: .skipped,
                reason: interrupted.map { "not run: the run was interrupted (\($0))" }
                    ?? "its dependencies could not be satisfied", checks: [], duration: 0)
        }
        return results.compactMap { $0 }
    }

    /// What decides a requirement before its checks run, in this order (FORMAT.md, "Outcomes and
    /// verdict"): its `applies_if` when it can be decided; a need not applicable; a need that did not pass
    /// (failed, erred, or was skipped for a reason other than an option); a need an option kept from
    /// running; an `applies_if` that cannot be decided (its variable's capture did not run: by option when
    /// the capturing requirement was kept from running by one); `--read-only`. Nil when the checks run.
    func decide(
        _ r: Requirement, needs: [(String, RequirementResult?)], dependencies: [RequirementResult?], variables: Variables
    ) -> (Outcome, String, byOption: Bool)? {
        var applies = r.appliesIf.map { variables.evaluate($0) }
        if case .decided(false, let why) = applies { return (.notApplicable, "not applicable: \(why)", false) }
        // Its classes: it applies where one of them does.
        if let gate = r.classGate {
            var undecided: String?
            var notDeclared: [String] = []
            var held = false
            for g in gate {
                switch variables.evaluate(g.condition) {
                case .decided(true, _): held = true
                case .decided(false, let why): notDeclared.append("class \(g.classID) (\(why))")
                case .undecided(let why): undecided = undecided ?? "class \(g.classID): \(why)"
                }
            }
            if !held, let undecided {
                // Whatever its own condition says: whether its class applies is not known.
                applies = .undecided(undecided)
            } else if !held {
                return (
                    .notApplicable, "not applicable: the target does not declare " + notDeclared.joined(separator: " or "), false
                )
            }
        }
        for (n, result) in needs where result?.outcome == .notApplicable {
            return (.notApplicable, "not applicable: needs \(n), which is not applicable", false)
        }
        for (n, result) in needs where result?.excludedByOption != true {
            guard let o = result?.outcome else { return (.skipped, "needs \(n), which did not run", false) }
            if o != .passed { return (.skipped, "needs \(n), which \(o == .skipped ? "was skipped" : o.rawValue)", false) }
        }
        for (n, result) in needs where result?.excludedByOption == true {
            return (.skipped, "needs \(n), which did not run: \(result?.reason ?? "a run option")", true)
        }
        if case .undecided(let why) = applies {
            let byOption = dependencies.contains { $0?.excludedByOption == true }
            return (.skipped, "applies_if cannot be decided: \(why)", byOption)
        }
        if options.readOnly && r.writes { return (.skipped, "writes to the target, and --read-only is set", true) }
        return nil
    }

    /// For each requirement, the indices it must wait for: its `needs`, and those capturing variables it uses.
    static func dependencies(_ planned: [Requirement]) -> [[Int]] {
        let index = Dictionary(uniqueKeysWithValues: planned.enumerated().map { ($1.id, $0) })
        var capturedBy: [String: Int] = [:]
        var touchedBy: [String: [Int]] = [:]  // earlier requirements that read or capture a variable
        var result: [[Int]] = []
        for (i, r) in planned.enumerated() {
            var deps = Set(r.needs.compactMap { index[$0] })
            let used = r.usedVariables
            let captured = r.capturedVariables
            for v in used { if let j = capturedBy[v], j != i { deps.insert(j) } }
            // Capturing a variable must not overwrite it while an earlier requirement still uses it.
            for v in captured { for j in touchedBy[v] ?? [] where j != i { deps.insert(j) } }
            result.append(deps.sorted())
            for v in captured { capturedBy[v] = i }
            for v in used.union(captured) { touchedBy[v, default: []].append(i) }
        }
        return result
    }

    func run(
        _ r: Requirement, needs: [(String, RequirementResult?)], dependencies: [RequirementResult?], variables: Variables,
        files: [String]
    ) async -> RequirementResult {
        let start = options.clock()
        func result(_ outcome: Outcome, _ reason: String?, _ checks: [CheckResult]) -> RequirementResult {
            RequirementResult(
                id: r.id, title: r.title, clause: r.clause, url: r.url, quote: r.quote, level: r.level, tags: r.tags,
                outcome: outcome, reason: reason, checks: checks,
                duration: options.clock() - start)
        }
        if let (outcome, reason, byOption) = decide(r, needs: needs, dependencies: dependencies, variables: variables) {
            var q = result(outcome, reason, [])
            q.excludedByOption = byOption
            return q
        }
        var checks: [CheckResult] = []
        for c in r.checks {
            switch c {
            case .http(let h):
                if let each = h.forEach {
                    checks += await runInstances(h, each, variables: variables)
                } else {
                    checks.append(
                        await HTTPStepRunner(profile: profile, transport: transport!, variables: variables, options: options).run(
                            h))
                }
            case .data(let d):
                let selected = FileSelector.select(files, globs: d.files)
                checks.append(
                    await DataCheckRunner(
                        check: d, files: selected, options: options, coverage: coverage, variables: variables
                    ).run())
            case .gtfs(let g):
                checks.append(
                    await GTFSCheckRunner(check: g, paths: options.paths, cache: gtfsCache, options: options, coverage: coverage)
                        .run())
            }
        }
        // A requirement the interruption cut short was not judged whole: skipped, whatever its other checks said.
        let outcome = Outcome.combine(checks.map(\.outcome))
        if let signal = options.interruption?.signalName, outcome == .skipped {
            return result(.skipped, "not run to its end: the run was interrupted (\(signal))", checks)
        }
        let reason = outcome == .passed ? nil : checks.first { $0.outcome == outcome }?.message
        return result(outcome, reason, checks)
    }

    static func redact(_ q: RequirementResult, _ step: HTTPStepRunner, _ variables: Variables) -> RequirementResult {
        var q = q
        q.reason = q.reason.map(variables.redact)
        q.checks = q.checks.map { c in
            var c = c
            c.name = variables.redact(c.name)
            c.message = c.message.map(variables.redact)
            c.evidence = c.evidence.map { e in
                switch e {
                case .exchange(let x): return .exchange(step.redact(x))
                case .note(let t): return .note(variables.redact(t))
                case .finding(var f):
                    f.message = variables.redact(f.message)
                    return .finding(f)
                }
            }
            return c
        }
        return q
    }

    /// A `for_each` check: one result per item, named `check [item]`, each instance with its own variables.
    func runInstances(_ h: HTTPCheck, _ each: ForEach, variables: Variables) async -> [CheckResult] {
        func one(_ outcome: Outcome, _ message: String) -> [CheckResult] {
            [CheckResult(name: h.name, outcome: outcome, message: "for_each: " + message, evidence: [])]
        }
        let items: [JSONValue]
        switch each.items {
        case .list(let list): items = list.map { variables.renderExpected($0) }
        case .variable(let name):
            guard let value = variables.json(name) else {
                return one(.skipped, "{{\(name)}} has no value (the requirement that captures it did not pass)")
            }
            guard case .array(let list) = value else {
                return one(.error, "{{\(name)}} is \(JSONSerializer.string(value).prefix(80)), not a list")
            }
            items = list
        }
        if items.isEmpty { return one(.notApplicable, "the list of items is empty: nothing to check") }
        if items.count > each.max {
            return one(
                .error, "\(items.count) items, more than the \(each.max) for_each.max allows (raise max to check them all)")
        }
        // The item's members the steps use, found once for all items.
        // Members that reach the wire must be there; one named only in an expected value may be absent (it
        // is null there: an optional member compared with the document's).
        let members = Requirement.variables(in: h, required: true).filter { $0.hasPrefix(each.variable + ".") }
        var results: [CheckResult] = []
        for item in items {
            // Bound first: an item that is a secret (used in a credential header) is known as one before
            // its label is shown.
            let scope = variables.instance(binding: each.variable, to: item)
            // Redacted before it is cut: a secret cut in half would no longer be found.
            let label: String
            // An object item is shown by its `name` member when it has one ({name: container, ty: 3, …}).
            if case .string(let s) = item {
                label = s
            } else if case .string(let n)? = item["name"] {
                label = n
            } else {
                label = JSONSerializer.string(item)
            }
            let redacted = variables.redact(label)
            let shown = redacted.count > 60 ? String(redacted.prefix(60)) + "…" : redacted
            if let signal = options.interruption?.signalName {
                results.append(
                    CheckResult(
                        name: "\(h.name) [\(shown)]", outcome: .skipped, message: "not run, the run was interrupted (\(signal))",
                        evidence: []))
                continue
            }
            // A member the item does not have ({{t.id}} of an item without id) would render empty and send a
            // request the profile did not mean: the instance is an error, the target is not judged.
            let missing = members.filter { scope.typed($0) == nil }
            if !missing.isEmpty {
                results.append(
                    CheckResult(
                        name: "\(h.name) [\(shown)]", outcome: .error,
                        message: "[\(shown)] the item has no "
                            + missing.sorted().map { "member '\($0.dropFirst(each.variable.count + 1))' ({{\($0)}})" }
                            .joined(separator: ", ") + "; nothing was sent",
                        evidence: []))
                continue
            }
            var r = await HTTPStepRunner(profile: profile, transport: transport!, variables: scope, options: options).run(h)
            r.name = "\(h.name) [\(shown)]"
            r.message = r.message.map { "[\(shown)] " + $0 }
            results.append(r)
        }
        return results
    }

    /// Runs the profile's cleanup steps; returns what could not be deleted.
    func runCleanup(variables: Variables) async -> [String] {
        guard !options.readOnly, let transport, !profile.cleanup.isEmpty else { return [] }
        var leftovers: [String] = []
        let runner = HTTPStepRunner(profile: profile, transport: transport, variables: variables, options: options)
        let start = Date()
        for step in profile.cleanup {
            // Interrupted: the cleanup runs within its bound, and a second signal skips what is left.
            if let interruption = options.interruption, interruption.isInterrupted {
                if interruption.skipsCleanup || Date().timeIntervalSince(start) > options.cleanupBound {
                    leftovers.append(
                        "\(step.method) \(variables.redact(variables.render(step.url))): not attempted, the run was interrupted")
                    continue
                }
            }
            // A cleanup step whose variables were never captured has nothing to delete.
            if step.url.variables.contains(where: { variables.value($0) == nil }) { continue }
            var stepRunner = runner
            if options.interruption?.isInterrupted == true {
                // Each request gets at most what is left of the bound.
                var capped = options
                capped.timeoutCap = max(0.001, options.cleanupBound - Date().timeIntervalSince(start))
                stepRunner = HTTPStepRunner(profile: profile, transport: transport, variables: variables, options: capped)
            }
            let (exchange, outcome) = await stepRunner.run(step)
            if outcome != .passed && outcome != .notApplicable {
                leftovers.append("\(exchange.method) \(exchange.url): " + exchange.problems.joined(separator: "; "))
            }
        }
        return leftovers
    }
}

/// A transport for helpers that never send (redaction after the run).
struct NoTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        throw TransportError(.invalidRequest, "no transport")
    }
}

func levenshteinDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a)
    let y = Array(b)
    if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
    var prev = Array(0...y.count)
    for i in 1...x.count {
        var cur = [i] + [Int](repeating: 0, count: y.count)
        for j in 1...y.count { cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)) }
        prev = cur
    }
    return prev[y.count]
}

extension Requirement {
    /// Variables referenced by the requirement's templates.
    var usedVariables: Set<String> {
        var out = Set<String>()
        if let a = appliesIf { out.formUnion(a.variables) }
        for g in classGate ?? [] { out.formUnion(g.condition.variables) }
        for case .http(let h) in checks {
            if case .variable(let v)? = h.forEach?.items { out.insert(v) }
            out.formUnion(Self.variables(in: h))
        }
        // Data checks render templates in assertion values too (selections and assertions).
        for case .data(let d) in checks {
            for a in d.assertions { out.formUnion(Self.variables(in: a)) }
            for case .assertion(let a) in d.select { out.formUnion(Self.variables(in: a)) }
        }
        return out
    }

    /// Variables the steps of an http check use (URLs, headers, queries, bodies, expectations).
    /// The variables a check uses; `required`: only those that must have a value to be used as meant: what
    /// reaches the wire (URL, headers, query, body), header expectations, and templates inside other text
    /// in expected values (a template standing alone in an expected value may name an absent member: null).
    static func variables(in h: HTTPCheck, required: Bool = false) -> Set<String> {
        var out = Set<String>()
        for s in h.steps {
            out.formUnion(s.url.variables)
            for hd in s.headers { out.formUnion(hd.value.variables) }
            for q in s.query { out.formUnion(q.value.variables) }
            if case .text(let t, _) = s.body { out.formUnion(t.variables) }
            if case .json(let v) = s.body { out.formUnion(Self.variables(in: v)) }
            if required {
                for hd in s.expect.headers { if case .equals(let t) = hd.predicate { out.formUnion(t.variables) } }
                for a in s.expect.assertions { out.formUnion(Self.variables(in: a).subtracting(Self.standalone(in: a))) }
                continue
            }
            if let e = s.follow?.count?.equals { out.formUnion(Self.variables(in: e)) }
            for a in s.expect.assertions { out.formUnion(Self.variables(in: a)) }
            for hd in s.expect.headers { if case .equals(let t) = hd.predicate { out.formUnion(t.variables) } }
        }
        return out
    }

    /// Variables that stand alone as an expected value of an assertion (`equals: "{{x}}"`), anywhere in it.
    static func standalone(in a: Assertion) -> Set<String> {
        func alone(_ v: JSONValue) -> Set<String> {
            switch v {
            case .string(let s):
                return Template.standaloneVariable(in: s).map { [$0] } ?? []
            default: return []
            }
        }
        switch a.predicate {
        case .allOf(let parts), .anyOf(let parts): return parts.reduce(into: []) { $0.formUnion(standalone(in: $1)) }
        case .not(let inner): return standalone(in: inner)
        case .equals(let v), .notEquals(let v), .includes(let v): return alone(v)
        default: return []
        }
    }

    static func variables(in a: Assertion) -> Set<String> {
        switch a.predicate {
        case .allOf(let parts), .anyOf(let parts): return parts.reduce(into: []) { $0.formUnion(variables(in: $1)) }
        case .not(let inner): return variables(in: inner)
        case .equals(let v), .notEquals(let v), .contains(let v), .includes(let v), .intersectsBBox(let v), .near(let v, _):
            return variables(in: v)
        case .oneOf(let vs): return variables(in: .array(vs))
        case .count(.variable(let v)), .lessThan(.variable(let v)), .lessOrEqual(.variable(let v)),
            .greaterThan(.variable(let v)), .greaterOrEqual(.variable(let v)):
            return [v]
        default: return []
        }
    }

    var capturedVariables: [String] {
        var out: [String] = []
        for case .http(let h) in checks {
            for s in h.steps { out += s.captures.map(\.variable) + (s.follow?.count?.variable.map { [$0] } ?? []) }
        }
        return out
    }

    static func variables(in v: JSONValue) -> Set<String> {
        switch v {
        case .string(let s) where s.contains("{{"): return Set((try? Template(parsing: s))?.variables ?? [])
        case .array(let a): return a.reduce(into: Set<String>()) { $0.formUnion(variables(in: $1)) }
        case .object(let o): return o.entries.reduce(into: Set<String>()) { $0.formUnion(variables(in: $1.value)) }
        default: return []
        }
    }
}
