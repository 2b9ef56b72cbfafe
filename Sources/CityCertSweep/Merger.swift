public import CityCertCore
import CityCertJSON
import CityCertProfile
import Foundation

/// Merges the output folders of a sharded sweep (`--shard k/n`, k = 1…n) into one: every pair's report
/// folder, one journal, and the matrix an unsharded sweep of the same plan would have written.
public enum Merger {
    public static func merge(_ folders: [String], into out: String) throws(SweepError) -> SweepMatrix {
        guard !folders.isEmpty else { throw SweepError("name the shards' output folders") }
        var plan: String?
        var name = ""
        var count: Int?
        var seenShards: [Int: String] = [:]
        var entries: [Journal.Entry] = []
        var owner: [String: String] = [:]
        var owed: [(String, [String])] = []
        var profiles: String?
        for folder in folders {
            let path = folder + "/journal.sqlite"
            guard FileManager.default.fileExists(atPath: path) else { throw SweepError("\(folder) holds no sweep journal") }
            do {
                let j = try Journal(path: path)
                guard let p = try j.meta("plan"), let shard = try j.meta("shard") else {
                    throw SweepError("\(path) is not a sweep journal")
                }
                let parts = shard.split(separator: "/").compactMap { Int($0) }
                guard parts.count == 2 else { throw SweepError("\(path): shard '\(shard)' is not k/n") }
                if let plan, plan != p { throw SweepError("\(folder) is a sweep of another plan (sha256:\(p))") }
                if let count, count != parts[1] { throw SweepError("\(folder) is shard \(shard), of \(parts[1]), not \(count)") }
                if let other = seenShards[parts[0]] { throw SweepError("\(folder) and \(other) are both shard \(shard)") }
                let digests = try j.meta("profiles") ?? ""
                if let profiles, profiles != digests {
                    throw SweepError("\(folder) judged with other profile files than the shards before it")
                }
                profiles = digests
                plan = p
                count = parts[1]
                seenShards[parts[0]] = folder
                name = try j.meta("name") ?? name
                // The names come from a file (a downloaded CI artifact): they become paths only if they are
                // names a plan allows, and only for the pairs the shard owed.
                var mine = Set<String>()
                if let text = try j.meta("pairs"), let list = try? JSONValue.parse(text).arrayValue {
                    var byTarget: [String: [String]] = [:]
                    for item in list {
                        let pair = (item.stringValue ?? "").split(separator: " ", maxSplits: 1).map(String.init)
                        guard pair.count == 2, SweepPlanFile.isName(pair[0]), SweepPlanFile.isName(pair[1]) else {
                            throw SweepError("\(path): a pair that is not a target and a profile name: \(item)")
                        }
                        byTarget[pair[0], default: []].append(pair[1])
                        mine.insert(pair[0] + " " + pair[1])
                    }
                    owed += byTarget.map { ($0.key, $0.value) }
                }
                for e in try j.entries() {
                    let key = e.target + " " + e.profile
                    guard mine.contains(key) else { throw SweepError("\(path) holds \(key), which its shard does not owe") }
                    if let other = owner[key] { throw SweepError("\(key) is in both \(other) and \(folder)") }
                    owner[key] = folder
                    entries.append(e)
                }
            } catch let e as SweepError {
                throw e
            } catch {
                throw SweepError("\(error)", usage: false)
            }
        }
        let missing = (1...(count ?? 1)).filter { seenShards[$0] == nil }
        guard missing.isEmpty else {
            throw SweepError("shard(s) \(missing.map { "\($0)/\(count ?? 1)" }.joined(separator: ", ")) missing from the merge")
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: out + "/journal.sqlite") { throw SweepError("\(out) already holds a sweep journal") }
        do {
            try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
            let journal = try Journal(path: out + "/journal.sqlite")
            let all = owed.sorted { $0.0 < $1.0 }.flatMap { t in t.1.map { JSONValue.string(t.0 + " " + $0) } }
            try journal.setMeta([
                ("plan", plan ?? ""), ("shard", "1/1"), ("name", name), ("profiles", profiles ?? ""),
                ("pairs", JSONSerializer.string(.array(all))),
            ])
            for e in entries {
                // Each pair's report folder, as the shard wrote it.
                let from = owner[e.target + " " + e.profile]! + "/" + e.target + "/" + e.profile
                let to = out + "/" + e.target + "/" + e.profile
                if fm.fileExists(atPath: from) {
                    try fm.createDirectory(atPath: out + "/" + e.target, withIntermediateDirectories: true)
                    if fm.fileExists(atPath: to) { try fm.removeItem(atPath: to) }
                    try fm.copyItem(atPath: from, toPath: to)
                }
                var outcomes: [(requirement: String, level: String, outcome: String)] = []
                if let report = try? JSONValue.parse(bytes: e.report) {
                    for r in report["requirements"]?.arrayValue ?? [] {
                        outcomes.append(
                            (r["id"]?.stringValue ?? "", r["level"]?.stringValue ?? "", r["outcome"]?.stringValue ?? ""))
                    }
                }
                try journal.record(e, outcomes: outcomes)
            }
            let matrix = MatrixBuilder.build(name: name, plan: plan ?? "", targets: owed, entries: entries)
            try MatrixBuilder.write(matrix, to: out)
            return matrix
        } catch let e as SweepError {
            throw e
        } catch {
            throw SweepError("\(error)", usage: false)
        }
    }
}
