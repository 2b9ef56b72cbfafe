internal import CCityCertPQ
import Foundation
import Synchronization

/// What a sweep records as pairs finish: SQLite next to the outputs (`Journal`), or a PostgreSQL database
/// that several workers on several machines share (`PostgresJournal`), each taking targets from it.
public protocol SweepJournal: Sendable {
    func meta(_ key: String) throws(Journal.Failure) -> String?
    func setMeta(_ values: [(String, String)]) throws(Journal.Failure)
    func record(_ e: Journal.Entry, outcomes: [(requirement: String, level: String, outcome: String)]) throws(Journal.Failure)
    func entries() throws(Journal.Failure) -> [Journal.Entry]
    func finished() throws(Journal.Failure) -> Set<String>
}

/// A sweep journal in PostgreSQL (libpq), shared by workers: each target is taken by one worker at a time
/// (`SELECT … FOR UPDATE SKIP LOCKED`), its pairs recorded as in the SQLite journal, one transaction each.
/// Every table row carries the plan's SHA-256, so that sweeps of several plans can share a database.
public final class PostgresJournal: SweepJournal {
    private let connection: Mutex<OpaquePointer?>
    let plan: String
    /// Shown in messages: the URL without user information.
    public let shown: String

    /// Connects (`postgres://user@host:port/db`). Only the scheme, host, port and database are ever shown:
    /// a password may be in the user information or the query (`?password=`). Every wait is bounded: a
    /// connect takes at most 10 s, a statement or a lock 60 s (unless the URL says otherwise), and TCP
    /// keepalives notice a database that vanished. `key` names the sweep in the database: the plan's
    /// SHA-256 and the sweep's id.
    public init(url: String, key: String) throws(Journal.Failure) {
        self.plan = key
        let parts = URLComponents(string: url)
        var shown = URLComponents()
        shown.scheme = parts?.scheme
        shown.host = parts?.host
        shown.port = parts?.port
        shown.path = parts?.path ?? ""
        self.shown = shown.string ?? "postgres://…"
        var secrets = [url]
        if let p = parts?.password, !p.isEmpty { secrets.append(p) }
        if let p = parts?.percentEncodedPassword, !p.isEmpty { secrets.append(p) }
        for q in parts?.queryItems ?? [] where q.name == "password" { if let v = q.value, !v.isEmpty { secrets.append(v) } }
        // Defaults for what the URL leaves out: bounded connects, statements and locks, and keepalives.
        var bounded = parts ?? URLComponents()
        var items = bounded.queryItems ?? []
        let defaults: [(String, String)] = [
            ("connect_timeout", "10"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
            ("options", "-c statement_timeout=60000 -c lock_timeout=60000"),
        ]
        for (k, v) in defaults where !items.contains(where: { $0.name == k }) { items.append(URLQueryItem(name: k, value: v)) }
        bounded.queryItems = items
        let conn = PQconnectdb(bounded.string ?? url)
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            var why = Self.message(nil, conn) ?? "no reason given"
            for secret in secrets { why = why.replacingOccurrences(of: secret, with: "***") }
            PQfinish(conn)
            throw Journal.Failure(description: "journal \(self.shown): cannot connect: \(why)")
        }
        connection = Mutex(conn)
        _ = try exec("SET client_min_messages TO warning", [])
        // Tables are created under a transaction-scoped advisory lock (workers starting together must not
        // race on them; a session lock could be released on another backend behind a pooler).
        try transaction([("SELECT pg_advisory_xact_lock(7100117)", [])] + Self.tables.map { ($0, [String?]()) })
    }

    static let tables = [
        "CREATE TABLE IF NOT EXISTS citycert_meta(plan TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(plan, key))",
        "CREATE TABLE IF NOT EXISTS citycert_targets(plan TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL, worker TEXT, PRIMARY KEY(plan, name))",
        """
        CREATE TABLE IF NOT EXISTS citycert_pairs(plan TEXT NOT NULL, target TEXT NOT NULL, profile TEXT NOT NULL,
          verdict TEXT NOT NULL, exit_code INTEGER NOT NULL, report TEXT NOT NULL, message TEXT, PRIMARY KEY(plan, target, profile))
        """,
        """
        CREATE TABLE IF NOT EXISTS citycert_outcomes(plan TEXT NOT NULL, target TEXT NOT NULL, profile TEXT NOT NULL,
          requirement TEXT NOT NULL, level TEXT NOT NULL, outcome TEXT NOT NULL, PRIMARY KEY(plan, target, profile, requirement))
        """,
    ]

    deinit { connection.withLock { PQfinish($0) } }

    static func message(_ result: OpaquePointer?, _ conn: OpaquePointer? = nil) -> String? {
        if let result, let m = PQresultErrorMessage(result), m.pointee != 0 {
            return String(cString: m).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let conn, let m = PQerrorMessage(conn), m.pointee != 0 {
            return String(cString: m).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }

    /// Runs one statement with text parameters; returns its rows as text (nil for NULL).
    @discardableResult
    func exec(_ sql: String, _ parameters: [String?]) throws(Journal.Failure) -> [[String?]] {
        try connection.withLock { conn throws(Journal.Failure) -> [[String?]] in try Self.exec(conn, sql, parameters, shown) }
    }

    static func exec(_ conn: OpaquePointer?, _ sql: String, _ parameters: [String?], _ shown: String) throws(Journal.Failure)
        -> [[String?]]
    {
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for c in copies { free(c) } }
        let result = copies.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecParams(conn, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw Journal.Failure(description: "journal \(shown): \(message(result, conn) ?? "error")")
        }
        var rows: [[String?]] = []
        for r in 0..<PQntuples(result) {
            var row: [String?] = []
            for c in 0..<PQnfields(result) {
                row.append(PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c)))
            }
            rows.append(row)
        }
        return rows
    }

    /// Statements in one transaction, all or nothing.
    func transaction(_ statements: [(String, [String?])]) throws(Journal.Failure) {
        try connection.withLock { conn throws(Journal.Failure) in
            _ = try Self.exec(conn, "BEGIN", [], shown)
            do throws(Journal.Failure) {
                for (sql, p) in statements { _ = try Self.exec(conn, sql, p, shown) }
                _ = try Self.exec(conn, "COMMIT", [], shown)
            } catch {
                _ = try? Self.exec(conn, "ROLLBACK", [], shown)
                throw error
            }
        }
    }

    public func meta(_ key: String) throws(Journal.Failure) -> String? {
        try exec("SELECT value FROM citycert_meta WHERE plan = $1 AND key = $2", [plan, key]).first?.first ?? nil
    }

    public func setMeta(_ values: [(String, String)]) throws(Journal.Failure) {
        try transaction(
            values.map {
                (
                    "INSERT INTO citycert_meta(plan, key, value) VALUES ($1, $2, $3) ON CONFLICT (plan, key) DO UPDATE SET value = EXCLUDED.value",
                    [plan, $0.0, $0.1]
                )
            })
    }

    /// Adds the plan's targets as pending (those already there keep their state), once per plan: under the
    /// advisory lock, so that workers starting together agree. With `reset`, targets a worker had taken
    /// but not finished (it was killed) are pending again.
    public func enqueue(_ targets: [String], reset: Bool) throws(Journal.Failure) {
        var statements: [(String, [String?])] = [("SELECT pg_advisory_xact_lock(7100118)", [])]
        statements += targets.map {
            ("INSERT INTO citycert_targets(plan, name, state) VALUES ($1, $2, 'pending') ON CONFLICT DO NOTHING", [plan, $0])
        }
        if reset {
            // Taken but not finished (a worker was killed), and finished with a pair the harness could not
            // decide (ERROR: a missing secret, a time budget): pending again.
            statements.append(
                ("UPDATE citycert_targets SET state = 'pending', worker = NULL WHERE plan = $1 AND state = 'running'", [plan]))
            statements.append(
                (
                    "UPDATE citycert_targets SET state = 'pending', worker = NULL WHERE plan = $1 AND state = 'done' AND name IN (SELECT target FROM citycert_pairs WHERE plan = $1 AND verdict = 'ERROR')",
                    [plan]
                ))
        }
        try transaction(statements)
    }

    /// Takes the next pending target (by name) for `worker`; nil when none is left. Two workers never take
    /// the same one: the row is locked, and a locked row is skipped rather than waited for.
    public func claim(worker: String) throws(Journal.Failure) -> String? {
        try exec(
            """
            UPDATE citycert_targets SET state = 'running', worker = $2
            WHERE plan = $1 AND name = (
              SELECT name FROM citycert_targets WHERE plan = $1 AND state = 'pending' ORDER BY name LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING name
            """, [plan, worker]
        ).first?.first ?? nil
    }

    /// Marks a target this worker took as done (not if a `--resume` gave it to another worker meanwhile).
    public func done(_ target: String, worker: String) throws(Journal.Failure) {
        try exec(
            "UPDATE citycert_targets SET state = 'done' WHERE plan = $1 AND name = $2 AND worker = $3 AND state = 'running'",
            [plan, target, worker])
    }

    /// A target given back (the sweep was interrupted before it finished): pending for the next worker.
    public func giveBack(_ target: String, worker: String) throws(Journal.Failure) {
        try exec(
            "UPDATE citycert_targets SET state = 'pending', worker = NULL WHERE plan = $1 AND name = $2 AND worker = $3 AND state = 'running'",
            [plan, target, worker])
    }

    /// Targets taken by workers and not finished yet.
    public func running() throws(Journal.Failure) -> Int {
        let rows = try exec("SELECT count(*) FROM citycert_targets WHERE plan = $1 AND state = 'running'", [plan])
        return Int((rows.first?.first ?? nil) ?? "0") ?? 0
    }

    /// Stores a value unless one is there; returns the stored one (the first worker's).
    public func metaOnce(_ key: String, _ value: String) throws(Journal.Failure) -> String {
        try exec(
            "INSERT INTO citycert_meta(plan, key, value) VALUES ($1, $2, $3) ON CONFLICT (plan, key) DO NOTHING",
            [plan, key, value])
        return try meta(key) ?? value
    }

    public func record(_ e: Journal.Entry, outcomes: [(requirement: String, level: String, outcome: String)]) throws(Journal
        .Failure)
    {
        var statements: [(String, [String?])] = [
            ("DELETE FROM citycert_outcomes WHERE plan = $1 AND target = $2 AND profile = $3", [plan, e.target, e.profile]),
            (
                """
                INSERT INTO citycert_pairs(plan, target, profile, verdict, exit_code, report, message) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (plan, target, profile) DO UPDATE SET verdict = EXCLUDED.verdict, exit_code = EXCLUDED.exit_code,
                  report = EXCLUDED.report, message = EXCLUDED.message
                """,
                [plan, e.target, e.profile, e.verdict, String(e.exitCode), String(decoding: e.report, as: UTF8.self), e.message]
            ),
        ]
        statements += outcomes.map {
            (
                "INSERT INTO citycert_outcomes(plan, target, profile, requirement, level, outcome) VALUES ($1, $2, $3, $4, $5, $6)",
                [plan, e.target, e.profile, $0.requirement, $0.level, $0.outcome]
            )
        }
        try transaction(statements)
    }

    public func entries() throws(Journal.Failure) -> [Journal.Entry] {
        try exec(
            "SELECT target, profile, verdict, exit_code, report, message FROM citycert_pairs WHERE plan = $1 ORDER BY target, profile",
            [plan]
        ).map {
            Journal.Entry(
                target: $0[0] ?? "", profile: $0[1] ?? "", verdict: $0[2] ?? "", exitCode: Int($0[3] ?? "") ?? 0,
                report: Array(($0[4] ?? "").utf8), message: $0[5])
        }
    }

    /// The judged pairs of one target (a claimed target's, read when it is taken: not the whole sweep's).
    public func finished(target: String) throws(Journal.Failure) -> Set<String> {
        Set(
            try exec(
                "SELECT profile FROM citycert_pairs WHERE plan = $1 AND target = $2 AND verdict <> 'ERROR'", [plan, target]
            ).map { target + "\u{0}" + ($0[0] ?? "") })
    }

    public func finished() throws(Journal.Failure) -> Set<String> {
        Set(
            try exec("SELECT target, profile FROM citycert_pairs WHERE plan = $1 AND verdict <> 'ERROR'", [plan]).map {
                ($0[0] ?? "") + "\u{0}" + ($0[1] ?? "")
            })
    }
}
