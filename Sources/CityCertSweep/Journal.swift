internal import CCityCertSQLite
import Foundation
import Synchronization

/// What a sweep has finished, one row per target × profile, kept in SQLite next to the outputs so that a
/// sweep killed at any point resumes with only the unfinished pairs. A pair is recorded in one
/// transaction with its report and every requirement's outcome: it is either wholly there or not at all.
public final class Journal: SweepJournal {
    /// One finished target × profile.
    public struct Entry: Sendable, Equatable {
        public var target: String
        /// The profile's key in the plan.
        public var profile: String
        /// CONFORMANT, NOT CONFORMANT, or ERROR when the pair could not run (a secret missing, a profile
        /// that does not load); the message says why.
        public var verdict: String
        public var exitCode: Int
        /// The JSON report (empty for an ERROR).
        public var report: [UInt8]
        public var message: String?

        public init(target: String, profile: String, verdict: String, exitCode: Int, report: [UInt8], message: String?) {
            self.target = target
            self.profile = profile
            self.verdict = verdict
            self.exitCode = exitCode
            self.report = report
            self.message = message
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let db: Mutex<OpaquePointer?>
    public let path: String

    /// Opens (creating) the journal at `path`.
    public init(path: String) throws(Failure) {
        self.path = path
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw Failure(description: "cannot open the journal \(path): \(message)")
        }
        // A write waits up to 10 s for another connection's (a reader such as the sqlite3 shell); two sweeps
        // never write one journal (the sweep holds journal.lock).
        sqlite3_busy_timeout(handle, 10_000)
        db = Mutex(handle)
        // WAL: a commit survives the process being killed at any point after it returns.
        try exec("PRAGMA journal_mode=WAL")
        try exec("PRAGMA synchronous=NORMAL")
        try exec(
            """
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS pairs(
              target TEXT NOT NULL, profile TEXT NOT NULL, verdict TEXT NOT NULL, exit_code INTEGER NOT NULL,
              report BLOB NOT NULL, message TEXT, PRIMARY KEY(target, profile));
            CREATE TABLE IF NOT EXISTS outcomes(
              target TEXT NOT NULL, profile TEXT NOT NULL, requirement TEXT NOT NULL, level TEXT NOT NULL,
              outcome TEXT NOT NULL, PRIMARY KEY(target, profile, requirement));
            """)
    }

    deinit { db.withLock { sqlite3_close($0) } }

    private func exec(_ sql: String) throws(Failure) {
        let result: String? = db.withLock { h in
            var error: UnsafeMutablePointer<CChar>?
            guard sqlite3_exec(h, sql, nil, nil, &error) == SQLITE_OK else {
                defer { sqlite3_free(error) }
                return error.map { String(cString: $0) } ?? "error"
            }
            return nil
        }
        if let result { throw Failure(description: "journal \(path): \(result)") }
    }

    /// A value stored with the journal (the plan's digest, the shard).
    public func meta(_ key: String) throws(Failure) -> String? {
        try query("SELECT value FROM meta WHERE key = ?", [.text(key)]).first?.first?.text
    }

    /// Values stored in one transaction: a journal has all of them or none.
    public func setMeta(_ values: [(String, String)]) throws(Failure) {
        try run(["INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)": values.map { [.text($0.0), .text($0.1)] }])
    }

    /// Records a finished pair and its requirements' outcomes in one transaction (replacing an earlier
    /// record of the same pair).
    public func record(_ e: Entry, outcomes: [(requirement: String, level: String, outcome: String)]) throws(Failure) {
        try run([
            "DELETE FROM outcomes WHERE target = ? AND profile = ?": [[.text(e.target), .text(e.profile)]],
            "INSERT OR REPLACE INTO pairs(target, profile, verdict, exit_code, report, message) VALUES (?, ?, ?, ?, ?, ?)": [
                [
                    .text(e.target), .text(e.profile), .text(e.verdict), .int(e.exitCode), .blob(e.report),
                    e.message.map(Value.text) ?? .null,
                ]
            ],
            "INSERT INTO outcomes(target, profile, requirement, level, outcome) VALUES (?, ?, ?, ?, ?)": outcomes.map {
                [.text(e.target), .text(e.profile), .text($0.requirement), .text($0.level), .text($0.outcome)]
            },
        ])
    }

    /// Every finished pair, sorted by target then profile.
    public func entries() throws(Failure) -> [Entry] {
        try query("SELECT target, profile, verdict, exit_code, report, message FROM pairs ORDER BY target, profile", []).map {
            Entry(
                target: $0[0].text ?? "", profile: $0[1].text ?? "", verdict: $0[2].text ?? "", exitCode: $0[3].int ?? 0,
                report: $0[4].bytes ?? [], message: $0[5].text)
        }
    }

    /// The pairs already judged, as "target\0profile": an ERROR (the harness could not run or decide the
    /// pair: a missing secret, a time budget) is not, and a resume runs it again.
    public func finished() throws(Failure) -> Set<String> {
        Set(
            try query("SELECT target, profile FROM pairs WHERE verdict <> 'ERROR'", []).map {
                ($0[0].text ?? "") + "\u{0}" + ($0[1].text ?? "")
            })
    }

    enum Value {
        case text(String)
        case int(Int)
        case blob([UInt8])
        case null

        var text: String? { if case .text(let s) = self { return s } else { return nil } }
        var int: Int? { if case .int(let i) = self { return i } else { return nil } }
        var bytes: [UInt8]? {
            switch self {
            case .blob(let b): return b
            case .null: return nil
            case .text(let s): return Array(s.utf8)
            case .int: return nil
            }
        }
    }

    /// Runs statements, each with its rows of parameters, in one immediate transaction (all or nothing).
    /// Statement order is kept: `KeyValuePairs` is ordered.
    private func run(_ statements: KeyValuePairs<String, [[Value]]>) throws(Failure) {
        let failure: String? = db.withLock { h in
            func fail() -> String { String(cString: sqlite3_errmsg(h)) }
            guard sqlite3_exec(h, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK else { return fail() }
            for (sql, rows) in statements {
                var stmt: OpaquePointer?
                guard sqlite3_prepare_v2(h, sql, -1, &stmt, nil) == SQLITE_OK else {
                    let message = fail()
                    sqlite3_exec(h, "ROLLBACK", nil, nil, nil)
                    return message
                }
                defer { sqlite3_finalize(stmt) }
                for row in rows {
                    sqlite3_reset(stmt)
                    sqlite3_clear_bindings(stmt)
                    Self.bind(stmt, row)
                    guard sqlite3_step(stmt) == SQLITE_DONE else {
                        let message = fail()
                        sqlite3_exec(h, "ROLLBACK", nil, nil, nil)
                        return message
                    }
                }
            }
            guard sqlite3_exec(h, "COMMIT", nil, nil, nil) == SQLITE_OK else {
                let message = fail()
                sqlite3_exec(h, "ROLLBACK", nil, nil, nil)
                return message
            }
            return nil
        }
        if let failure { throw Failure(description: "journal \(path): \(failure)") }
    }

    private func query(_ sql: String, _ parameters: [Value]) throws(Failure) -> [[Value]] {
        let result: Result<[[Value]], Failure> = db.withLock { h in
            var stmt: OpaquePointer?
            guard sqlite3_prepare_v2(h, sql, -1, &stmt, nil) == SQLITE_OK else {
                return .failure(Failure(description: "journal \(path): \(String(cString: sqlite3_errmsg(h)))"))
            }
            defer { sqlite3_finalize(stmt) }
            Self.bind(stmt, parameters)
            var rows: [[Value]] = []
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else {
                    return .failure(Failure(description: "journal \(path): \(String(cString: sqlite3_errmsg(h)))"))
                }
                var row: [Value] = []
                for i in 0..<sqlite3_column_count(stmt) {
                    switch sqlite3_column_type(stmt, i) {
                    case SQLITE_INTEGER: row.append(.int(Int(sqlite3_column_int64(stmt, i))))
                    case SQLITE_TEXT: row.append(.text(String(cString: sqlite3_column_text(stmt, i))))
                    case SQLITE_BLOB:
                        let n = Int(sqlite3_column_bytes(stmt, i))
                        if n > 0, let p = sqlite3_column_blob(stmt, i) {
                            row.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: n))))
                        } else {
                            row.append(.blob([]))
                        }
                    default: row.append(.null)
                    }
                }
                rows.append(row)
            }
            return .success(rows)
        }
        return try result.get()
    }

    private static func bind(_ stmt: OpaquePointer?, _ values: [Value]) {
        for (i, v) in values.enumerated() {
            let at = Int32(i + 1)
            switch v {
            case .text(let s): citycert_sqlite_bind_text(stmt, at, s, -1)
            case .int(let n): sqlite3_bind_int64(stmt, at, sqlite3_int64(n))
            case .blob(let b) where b.isEmpty: sqlite3_bind_zeroblob(stmt, at, 0)
            case .blob(let b): b.withUnsafeBytes { _ = citycert_sqlite_bind_blob(stmt, at, $0.baseAddress, Int32($0.count)) }
            case .null: sqlite3_bind_null(stmt, at)
            }
        }
    }
}
