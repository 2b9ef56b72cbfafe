public import CityCertCore
import Foundation

/// A certification sweep: many targets, each judged against the profiles it must pass.
public struct SweepPlan: Sendable {
    /// Where a secret input's value comes from: never the plan's own text.
    public enum SecretSource: Sendable, Equatable {
        case environment(String)
        case file(String)
    }

    public struct Target: Sendable {
        /// One word (letters, digits, `.`, `_`, `-`): it names the target's folder of reports.
        public let name: String
        /// Keys of `SweepPlan.profiles`.
        public let profiles: [String]
        public let inputs: [String: String]
        public let secrets: [String: SecretSource]
        /// Data files or folders (for data profiles), relative to the plan's folder.
        public let paths: [String]
        /// Requirements run at once against this target (the run's `--jobs`).
        public let concurrency: Int
        /// Requests per second at most (a token bucket); nil: no limit.
        public let rate: Double?
        /// Seconds one target × profile may take before it is interrupted (and not CONFORMANT).
        public let timeBudget: Double
        /// The longest `Retry-After` honoured on a 429 or 503 (0: a 429 is an answer like any other).
        public let retryAfterMax: Double
        public let readOnly: Bool
        public let mark: SourceMark
    }

    public let file: String
    public let folder: String
    /// SHA-256 of the plan file's bytes: a resumed sweep must run the same plan.
    public let sha256: String
    public let name: String
    /// Profile keys and their profile files (absolute), sorted by key.
    public let profiles: [(key: String, path: String)]
    /// Sorted by name.
    public let targets: [Target]
    /// Report formats written per target × profile besides JSON: markdown, html, junit, sarif, tap, earl.
    public let reports: [String]
}

/// Reads a sweep plan (YAML; `Profiles/sweep.schema.json` describes it for editors):
///
///     citycert-sweep: 1
///     name: City of Example — SensorThings procurement 2026
///     profiles:
///       sta: ../Profiles/ogc-sensorthings/sta-1.1/profile.yaml    # relative to the plan's folder
///     defaults: {concurrency: 1, rate: 10, time_budget: 10m, retry_after: 30s, read_only: false,
///                reports: [markdown, html]}
///     targets:
///       - name: vendor-a
///         profiles: [sta]
///         inputs: {base_url: "https://sta.vendor-a.example/v1.1"}
///         secrets: {api_key: {env: VENDOR_A_KEY}}       # or {file: secrets/vendor-a.key}
///         rate: 5                                        # any default, per target
///
/// Every problem is reported at its place. A secret's value is never written in the plan: an input the
/// profile declares secret, given under `inputs`, is refused.
public enum SweepPlanFile {
    public static let maxBytes = 8 << 20
    public static let reportFormats = ["markdown", "html", "junit", "sarif", "tap", "earl"]
    static let defaultKeys = ["concurrency", "rate", "time_budget", "retry_after", "read_only", "reports"]

    public static func load(path: String) throws(ProfileError) -> SweepPlan {
        do {
            return try parse(path: path)
        } catch let e as ProfileError {
            // Pointed by file:line:col, without the source line: a plan's line may hold a credential written
            // where it must not be (`secrets: {token: hunter2}`), and errors reach CI logs.
            throw ProfileError(file: e.file, line: e.line, column: e.column, message: e.message, hint: e.hint)
        } catch {
            throw ProfileError(file: path, line: 0, column: 0, message: "\(error)")
        }
    }

    static func parse(path: String) throws -> SweepPlan {
        let (root, bytes) = try YNode.document(path: path, what: "the sweep plan", maxBytes: maxBytes)
        let top = try root.mapping(
            "the sweep plan", allowed: ["citycert-sweep", "name", "profiles", "defaults", "targets"])
        let version = try top.required("citycert-sweep")
        guard version.scalar == "1" else {
            throw version.error("unsupported sweep plan version \(version.scalar ?? "")", hint: "this citycert reads version 1")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
        func resolve(_ relative: String) -> String {
            relative.hasPrefix("/")
                ? relative : URL(fileURLWithPath: folder).appendingPathComponent(relative).standardizedFileURL.path
        }

        var profiles: [(key: String, path: String)] = []
        for (key, keyNode, value) in try top.required("profiles").mapping("profiles").entries {
            try checkName(key, at: keyNode, what: "a profile key")
            let file = resolve(try value.string("a profile path"))
            guard FileManager.default.fileExists(atPath: file) else {
                throw value.error("no such profile: \(file)", hint: "profile paths are relative to the plan's folder")
            }
            profiles.append((key, file))
        }
        guard !profiles.isEmpty else { throw try top.required("profiles").error("the plan names no profile") }
        profiles.sort { $0.key < $1.key }

        struct Settings {
            var concurrency = 1
            var rate: Double? = nil
            var timeBudget: Double = 600
            var retryAfter: Double = 30
            var readOnly = false
        }
        func settings(_ m: YNode.Mapping, over base: Settings) throws -> Settings {
            var s = base
            if let n = m["concurrency"] {
                s.concurrency = try n.int("concurrency")
                guard (1...64).contains(s.concurrency) else { throw n.error("concurrency must be from 1 to 64") }
            }
            if let n = m["rate"] {
                let r = try n.string("rate")
                guard let v = Double(r), v.isFinite, v > 0, v <= 10_000 else {
                    throw n.error("rate is requests per second, a number above 0 and at most 10000")
                }
                s.rate = v
            }
            if let n = m["time_budget"] {
                s.timeBudget = try parseDuration(n, "time_budget")
                guard s.timeBudget >= 1 && s.timeBudget <= 86_400 else { throw n.error("time_budget must be from 1s to 24h") }
            }
            if let n = m["retry_after"] {
                s.retryAfter = try parseDuration(n, "retry_after")
                guard s.retryAfter <= 600 else { throw n.error("retry_after is at most 10m") }
            }
            if let n = m["read_only"] { s.readOnly = try n.bool("read_only") }
            return s
        }
        var defaults = Settings()
        var reports: [String] = []
        if let d = top["defaults"] {
            let m = try d.mapping("defaults", allowed: defaultKeys)
            defaults = try settings(m, over: defaults)
            for n in m["reports"]?.list() ?? [] {
                let f = try n.string("a report format")
                guard reportFormats.contains(f) else {
                    throw n.error(
                        "unknown report format '\(f)'",
                        hint: didYouMean(f, reportFormats).map { "did you mean '\($0)'?" }
                            ?? "JSON is always written; add any of \(reportFormats.joined(separator: ", "))")
                }
                if !reports.contains(f) { reports.append(f) }
            }
        }

        var targets: [SweepPlan.Target] = []
        var seen: [String: SourceMark] = [:]
        for t in try top.required("targets").sequence("targets") {
            let m = try t.mapping(
                "a target", allowed: ["name", "profiles", "inputs", "secrets", "paths"] + defaultKeys.filter { $0 != "reports" })
            let nameNode = try m.required("name")
            let name = try nameNode.string("name")
            try checkName(name, at: nameNode, what: "a target name")
            if let first = seen[name] { throw nameNode.error("duplicate target '\(name)' (first at \(first))") }
            seen[name] = nameNode.mark
            let keys = profiles.map(\.key)
            var chosen: [String] = []
            for n in try m.required("profiles").list() {
                let k = try n.string("a profile key")
                guard keys.contains(k) else {
                    throw n.error(
                        "unknown profile '\(k)'",
                        hint: didYouMean(k, keys).map { "did you mean '\($0)'?" } ?? "declare it under profiles")
                }
                if !chosen.contains(k) { chosen.append(k) }
            }
            var inputs: [String: String] = [:]
            for (k, _, v) in try m["inputs"]?.mapping("inputs").entries ?? [] { inputs[k] = try v.string("input \(k)") }
            var secrets: [String: SweepPlan.SecretSource] = [:]
            for (k, keyNode, v) in try m["secrets"]?.mapping("secrets").entries ?? [] {
                if inputs[k] != nil { throw keyNode.error("\(k) is given both as an input and as a secret") }
                let sm = try v.mapping("secret \(k)", allowed: ["env", "file"])
                if let e = sm["env"], sm["file"] == nil {
                    secrets[k] = .environment(try e.string("env"))
                } else if let f = sm["file"], sm["env"] == nil {
                    secrets[k] = .file(resolve(try f.string("file")))
                } else {
                    throw v.error("a secret comes from one place: {env: NAME} or {file: PATH}", hint: "never the plan's text")
                }
            }
            let s = try settings(m, over: defaults)
            targets.append(
                SweepPlan.Target(
                    name: name, profiles: chosen, inputs: inputs, secrets: secrets,
                    paths: try m["paths"]?.list().map { resolve(try $0.string("a data path")) } ?? [],
                    concurrency: s.concurrency, rate: s.rate, timeBudget: s.timeBudget, retryAfterMax: s.retryAfter,
                    readOnly: s.readOnly, mark: t.mark))
        }
        guard !targets.isEmpty else { throw try top.required("targets").error("the plan names no target") }
        targets.sort { $0.name < $1.name }
        return SweepPlan(
            file: path, folder: folder, sha256: SHA256.hex(bytes), name: try top["name"]?.string("name") ?? "",
            profiles: profiles, targets: targets, reports: reports)
    }

    /// Target names and profile keys name folders: one word of ASCII letters, digits, `.`, `_`, `-`, not
    /// `.` or `..`, at most 100 characters.
    public static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 100 && name != "." && name != ".."
            && name.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E
                    || $0 == 0x5F || $0 == 0x2D
            }
    }

    static func checkName(_ name: String, at node: YNode, what: String) throws {
        guard isName(name) else {
            throw node.error("\(what) is one word of letters, digits, '.', '_' or '-' (it names a folder): '\(name)'")
        }
    }
}
