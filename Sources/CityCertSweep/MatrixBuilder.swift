public import CityCertCore
import CityCertJSON
import CityCertReports
import Foundation

/// The matrix from journal entries alone (their JSON reports), so that a resumed sweep and merged shards
/// build it from the same facts as one uninterrupted run.
public enum MatrixBuilder {
    /// `targets`: the plan's targets (name and profile keys) whose pairs are expected, sorted by name.
    public static func build(name: String, plan: String, targets: [(String, [String])], entries: [Journal.Entry]) -> SweepMatrix {
        var profiles: [String: SweepMatrix.Profile] = [:]
        var cells: [SweepMatrix.Cell] = []
        for e in entries.sorted(by: { ($0.target, $0.profile) < ($1.target, $1.profile) }) {
            let report = e.report.isEmpty ? nil : try? JSONValue.parse(bytes: e.report)
            var outcomes: [String: String] = [:]
            var classes: [(id: String, verdict: String)] = []
            if let report {
                for r in report["requirements"]?.arrayValue ?? [] {
                    if let id = r["id"]?.stringValue { outcomes[id] = r["outcome"]?.stringValue ?? "" }
                }
                // A pair the harness could not decide (a time budget) has no class verdicts either.
                for c in report["classes"]?.arrayValue ?? [] where e.verdict != "ERROR" {
                    classes.append((c["id"]?.stringValue ?? "", c["verdict"]?.stringValue ?? ""))
                }
                if profiles[e.profile] == nil, let p = report["profile"] {
                    var classOf: [String: [String]] = [:]
                    for c in report["classes"]?.arrayValue ?? [] {
                        for r in c["requirements"]?.arrayValue ?? [] {
                            classOf[r.stringValue ?? "", default: []].append(c["id"]?.stringValue ?? "")
                        }
                    }
                    // Requirements that ran, then those options left out, in the order the report gives.
                    var requirements: [SweepMatrix.Requirement] = []
                    for r in (report["requirements"]?.arrayValue ?? []) + (report["notRun"]?.arrayValue ?? []) {
                        guard let id = r["id"]?.stringValue, !requirements.contains(where: { $0.id == id }) else { continue }
                        requirements.append(
                            SweepMatrix.Requirement(id: id, level: r["level"]?.stringValue ?? "", classes: classOf[id] ?? []))
                    }
                    profiles[e.profile] = SweepMatrix.Profile(
                        key: e.profile, id: p["id"]?.stringValue ?? "", version: p["version"]?.stringValue ?? "",
                        title: p["title"]?.stringValue ?? "",
                        classes: (report["classes"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue },
                        requirements: requirements)
                }
            }
            cells.append(
                SweepMatrix.Cell(
                    target: e.target, profile: e.profile, verdict: e.verdict, exitCode: e.exitCode,
                    partial: report?["partial"] == .bool(true), classes: classes, outcomes: outcomes, message: e.message))
        }
        let have = Set(cells.map { $0.target + "\u{0}" + $0.profile })
        var notFinished: [String] = []
        for (t, keys) in targets.sorted(by: { $0.0 < $1.0 }) {
            for k in keys.sorted() where !have.contains(t + "\u{0}" + k) { notFinished.append("\(t) \(k)") }
        }
        // A profile no pair could run still has its column, without requirements.
        for k in Set(targets.flatMap(\.1)).union(cells.map(\.profile)) where profiles[k] == nil {
            profiles[k] = SweepMatrix.Profile(key: k, id: k, version: "", title: "", classes: [], requirements: [])
        }
        var m = SweepMatrix(
            name: name, plan: plan, profiles: profiles.values.sorted { $0.key < $1.key },
            targets: Array(Set(targets.map(\.0)).union(cells.map(\.target))).sorted(), cells: cells)
        m.notFinished = notFinished
        return m
    }

    /// Writes matrix.json, matrix.csv and matrix.md into `folder`, each whole or not at all.
    public static func write(_ m: SweepMatrix, to folder: String) throws {
        try AtomicFile.write(MatrixReport.json(m), to: folder + "/matrix.json")
        try AtomicFile.write(MatrixReport.csv(m), to: folder + "/matrix.csv")
        try AtomicFile.write(MatrixReport.markdown(m), to: folder + "/matrix.md")
    }
}
