import CityCertCore
import CityCertGTFS
import CityCertProfile
import Foundation
import Synchronization

/// Validates each feed once per run (per schema), however many requirements report on it.
final class GTFSCache: Sendable {
    let results = Mutex<[String: Task<GTFSResult, Never>]>([:])

    func result(feed: String, check: GTFSCheck) async -> GTFSResult {
        let key = check.schemaPath + "\u{1F}" + feed
        let task = results.withLock { m -> Task<GTFSResult, Never> in
            if let t = m[key] { return t }
            let schema = check.schema
            let limits = check.limits
            let t = Task.detached { GTFSValidator(schema: schema, limits: limits).validate(feed: feed) }
            m[key] = t
            return t
        }
        return await task.value
    }

    /// Notices of codes that no GTFS check that ran reports for their file, counted per code: they would
    /// otherwise vanish from every report. Each validation (feed and GTFS schema) is judged by the checks
    /// that use its schema.
    func unreported(by checks: [GTFSCheck]) async -> [String: Int] {
        let tasks = results.withLock { Array($0) }
        var out: [String: Int] = [:]
        for (key, task) in tasks {
            let schemaPath = String(key.split(separator: "\u{1F}", maxSplits: 1)[0])
            let mine = checks.filter { $0.schemaPath == schemaPath }
            func reported(_ code: GTFSNoticeCode, _ file: String) -> Bool {
                mine.contains { $0.notices.contains(code.rawValue) && ($0.files?.contains(file) ?? true) }
            }
            let result = await task.value
            for n in result.notices where !reported(n.code, n.file) { out[n.code.rawValue, default: 0] += 1 }
            for (code, files) in result.dropped {
                for (file, count) in files where !reported(code, file) { out[code.rawValue, default: 0] += count }
            }
        }
        return out
    }
}

/// Finds the feeds among the command-line paths: .zip files, and folders that hold GTFS files.
enum GTFSFeedFinder {
    static func feeds(_ paths: [String], schema: GTFSSchema) -> [String] {
        var out: [String] = []
        let known = Set(schema.tables.keys)
        func visit(_ p: String, depth: Int) {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { return }
            if !isDir.boolValue {
                if p.lowercased().hasSuffix(".zip") { out.append(p) }
                return
            }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []).sorted()
            if names.contains(where: { known.contains($0) }) {
                out.append(p)
                return
            }
            guard depth < 8 else { return }
            for n in names where !n.hasPrefix(".") { visit((p as NSString).appendingPathComponent(n), depth: depth + 1) }
        }
        for p in paths { visit(p, depth: 0) }
        return out
    }
}

struct GTFSCheckRunner {
    let check: GTFSCheck
    let paths: [String]
    let cache: GTFSCache
    let options: RunOptions
    var coverage: CoverageLedger? = nil

    func run() async -> CheckResult {
        let feeds = GTFSFeedFinder.feeds(paths, schema: check.schema)
        if feeds.isEmpty {
            return CheckResult(
                name: check.name, outcome: .notApplicable,
                message: "no GTFS feed (a .zip or a folder of GTFS files) among the paths",
                evidence: [])
        }
        var findings: [DataFinding] = []
        var total = 0
        var errors: [String] = []
        var dropped = 0
        for (index, feed) in feeds.enumerated() {
            if let signal = options.interruption?.signalName {
                // No new feed is validated once interrupted (one in progress runs to its end).
                return CheckResult(
                    name: check.name, outcome: .skipped,
                    message: "cut short by \(signal) after \(index) of \(feeds.count) feed(s); not judged", evidence: [])
            }
            coverage?.recordFeed(feed)
            let result = await cache.result(feed: feed, check: check)
            if let fatal = result.fatal {
                errors.append(fatal)
                continue
            }
            for (code, files) in result.dropped where check.notices.contains(code.rawValue) {
                for (file, count) in files where check.files?.contains(file) ?? true { dropped += count }
            }
            for n in result.notices where check.notices.contains(n.code.rawValue) && (check.files?.contains(n.file) ?? true) {
                total += 1
                guard findings.count < options.maxFindingsPerCheck else { continue }
                let file = n.file.isEmpty ? feed : (feed as NSString).appendingPathComponent(n.file)
                findings.append(
                    DataFinding(
                        file: file, line: n.row, column: n.column, pointer: n.field.isEmpty ? "" : "/" + n.field,
                        message: "[\(n.code.rawValue)] \(n.message)", rule: n.code.rawValue))
            }
        }
        // Notices past the validator's limit per code were counted, not kept: they count here too.
        total += dropped
        var evidence: [Evidence] = [.note("\(feeds.count) feed(s) checked: \(feeds.joined(separator: ", "))")]
        evidence += findings.map { .finding($0) }
        if total > findings.count { evidence.append(.note("\(total - findings.count) more finding(s) not listed")) }
        if dropped > 0 {
            evidence.append(.note("\(dropped) of them past the validator's limit of notices per code: counted, not located"))
        }
        for e in errors { evidence.append(.note(e)) }
        if !errors.isEmpty && total == 0 {
            return CheckResult(name: check.name, outcome: .error, message: errors.first, evidence: evidence)
        }
        if total > 0 {
            // Findings can all be past the per-code limit when a `files:` filter keeps only later ones.
            let first = findings.first.map { "; first: \($0.file):\($0.line) \($0.message)" } ?? ""
            return CheckResult(
                name: check.name, outcome: .failed, message: "\(total) finding(s)\(first)", evidence: evidence)
        }
        return CheckResult(name: check.name, outcome: .passed, message: nil, evidence: evidence)
    }
}
