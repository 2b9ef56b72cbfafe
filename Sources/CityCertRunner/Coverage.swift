import CityCertCore
import CityCertJSON
import Foundation
import Synchronization

/// What the run's checks looked at in the data paths: for each file, its documents and which of them
/// some check selected; and the GTFS feeds checked. Turned into the report's coverage at the end.
final class CoverageLedger: Sendable {
    /// One file as one check read it: the documents' origins and whether the check selected each.
    struct FileRead: Sendable {
        var origins: [SourceLocation] = []
        var selected: [Bool] = []
        /// Read as one document (`format: document`).
        var whole = false
    }

    private struct State {
        var files: [String: FileRead] = [:]
        var feeds: Set<String> = []
    }
    private let state = Mutex(State())

    /// Merges one check's reading of a file: a document is covered when any check selected it.
    func record(_ file: String, _ read: FileRead) {
        state.withLock { s in
            guard let known = s.files[file] else {
                s.files[file] = read
                return
            }
            if read.whole != known.whole {
                // One check read the file whole, another element by element: a whole read that selected
                // the document covers every element; otherwise the element-wise reading stands.
                let (whole, elements) = read.whole ? (read, known) : (known, read)
                var merged = elements
                if whole.selected.first == true { merged.selected = merged.selected.map { _ in true } }
                s.files[file] = merged
                return
            }
            // The same reading, normally. If two formats split the file differently (JSON Lines and one
            // document), documents are matched by where they start, and the longer reading stands.
            let (longer, shorter) = known.selected.count >= read.selected.count ? (known, read) : (read, known)
            var merged = longer
            var at: [Int: Int] = [:]
            for (i, o) in longer.origins.enumerated() { at[o.offset] = i }
            for (i, selected) in shorter.selected.enumerated() where selected && i < shorter.origins.count {
                if let j = at[shorter.origins[i].offset] { merged.selected[j] = true }
            }
            s.files[file] = merged
        }
    }

    /// A GTFS feed (a .zip or a folder) that a GTFS check validated: all its files are covered.
    func recordFeed(_ path: String) { _ = state.withLock { $0.feeds.insert(path) } }

    /// Files no check reads count as uncovered when their extension says they hold data.
    static let dataExtensions: Set<String> = ["json", "jsonl", "ndjson", "jsonld", "geojson", "zip", "txt", "csv"]

    /// The coverage of `files` (every file under the data paths), or nil when there are none. A file that
    /// `notRun` says a requirement kept from running (by an option, or its needs) would read is not counted
    /// as uncovered: that requirement may have been the one to look at it; it is counted in `notJudged`.
    func coverage(of files: [String], failsVerdict: Bool, notRun: (String) -> Bool = { _ in false }) -> DataCoverage? {
        guard !files.isEmpty else { return nil }
        let s = state.withLock { $0 }
        var documents = 0
        var uncovered = 0
        var first: [DataCoverage.Place] = []
        func miss(_ p: DataCoverage.Place) {
            uncovered += 1
            if first.count < DataCoverage.listed { first.append(p) }
        }
        let feedFolders = s.feeds.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        documents += s.feeds.count
        var notJudged = 0
        for file in files {
            if s.feeds.contains(file) || feedFolders.contains(where: { file.hasPrefix($0) }) { continue }
            if notRun(file) {
                let read = s.files[file]
                let selected = read?.selected.filter { $0 }.count ?? 0
                documents += selected
                if read == nil || read!.selected.count > selected { notJudged += 1 }
                continue
            }
            if let read = s.files[file] {
                documents += read.selected.count
                for (i, selected) in read.selected.enumerated() where !selected {
                    let at = i < read.origins.count ? read.origins[i] : SourceLocation(line: 1, column: 1, offset: 0)
                    miss(
                        DataCoverage.Place(
                            file: file, line: at.line, column: at.column,
                            reason: "no requirement selects this document"))
                }
                continue
            }
            let ext = (file as NSString).pathExtension.lowercased()
            guard Self.dataExtensions.contains(ext) else { continue }
            documents += 1
            miss(DataCoverage.Place(file: file, line: 1, column: 1, reason: "no check of the profile reads this file"))
        }
        var c = DataCoverage(documents: documents, uncovered: uncovered, first: first, failsVerdict: failsVerdict)
        c.notJudged = notJudged
        return c
    }
}
