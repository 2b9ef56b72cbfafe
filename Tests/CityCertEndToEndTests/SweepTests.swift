import CityCertJSON
import CityCertTestSupport
import Foundation
import Synchronization
import Testing

/// `citycert sweep` and `citycert report merge`, end to end against a loopback service that plays many
/// targets (one path prefix each). The expected verdicts are derived by hand from what each kind of
/// target answers and the profile's requirements (Fixtures/sweep/profile.yaml); the resumed and sharded
/// sweeps are compared with an uninterrupted one, byte for byte.
@Suite struct SweepTests {
    static let token = "s3cret-token-8d1f"

    /// The service: `/<kind>-NN/…`. good: everything; bad: the item list is not an array; ro: declares no
    /// write class; warn: no Cache-Control (a SHOULD). Every answer needs the token, and the root echoes
    /// it back (a hostile echo the reports must redact).
    /// Holds the requests of chosen targets until released (so that a test knows which pairs a sweep can
    /// finish before it is killed), and counts the requests being answered.
    final class Gate: Sendable {
        let held = Mutex<Set<String>>([])
        let active = Mutex(0)
        /// Requests by the run id they carry (X-Run): what one sweep sent, whatever another left in flight.
        let byRun = Mutex<[String: Int]>([:])
        func sent(by run: String) -> Int { byRun.withLock { $0[run] ?? 0 } }
        func hold(_ names: Set<String>) { held.withLock { $0 = names } }
        func wait(_ name: String) {
            let until = Date().addingTimeInterval(60)
            while held.withLock({ $0.contains(name) }) && Date() < until { Thread.sleep(forTimeInterval: 0.01) }
        }
        /// Waits (60 s at most) until no request is being answered.
        func drain() async throws { try await SweepTests.waitUntil { self.active.withLock { $0 } == 0 } }
    }

    /// Polls `condition` every 10 ms until it holds or 60 s have passed (the assertions after it say which).
    static func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(60)
        while try await !condition() && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
    }

    static func service(gate: Gate = Gate()) throws -> LoopbackServer {
        try LoopbackServer { r in
            gate.active.withLock { $0 += 1 }
            defer { gate.active.withLock { $0 -= 1 } }
            if let run = r.header("X-Run") { gate.byRun.withLock { $0[run, default: 0] += 1 } }
            gate.wait(r.path.split(separator: "/").first.map(String.init) ?? "")
            guard r.header("X-Token") == token else { return .json(#"{"error": "token"}"#, status: 401) }
            let kind = r.path.split(separator: "/").first.map { String($0.split(separator: "-").first ?? "") } ?? ""
            let rest = r.path.split(separator: "/").dropFirst().joined(separator: "/")
            switch (rest, r.method) {
            case ("", _):
                let classes = kind == "ro" ? #"["core"]"# : #"["core", "write"]"#
                return .json(#"{"conformance": \#(classes), "echo": "\#(token)"}"#)
            case ("items", "GET") where kind == "slow":
                Thread.sleep(forTimeInterval: 2.5)
                return .json(#"{"items": []}"#, headers: [("Cache-Control", "max-age=60")])
            case ("items", "GET"):
                let cache: [(String, String)] = kind == "warn" ? [] : [("Cache-Control", "max-age=60")]
                return .json(kind == "bad" ? #"{"items": {}}"# : #"{"items": []}"#, headers: cache)
            case ("items", "POST"):
                return .json("{}", status: kind == "ro" ? 405 : 201)
            default:
                return .json("{}", status: 404)
            }
        }
    }

    /// Requests one pair sends to a target of this kind (ro: WRITE is not applicable).
    static func requests(_ kind: String) -> Int { kind == "ro" ? 3 : 4 }

    static func plan(_ targets: [(name: String, url: String)], extra: String = "", folder: String) throws -> String {
        var text = """
            citycert-sweep: 1
            name: Sweep test
            profiles:
              loop: \(Repository.fixture("sweep/profile.yaml").path)
            defaults: {time_budget: 60s, reports: [markdown]}
            targets:

            """
        for t in targets {
            text +=
                "  - {name: \(t.name), profiles: [loop], inputs: {base_url: \"\(t.url)\"}, secrets: {token: {env: SWEEP_TOKEN}}}\n"
        }
        text += extra
        let path = folder + "/plan.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "citycert-sweep-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The binary with the token in its environment (never on the command line or in the plan).
    static func sweep(_ arguments: [String], token: String? = SweepTests.token, env: [String] = []) async throws
        -> Subprocess.Result
    {
        try await Subprocess.run(
            "/usr/bin/env",
            (token.map { ["SWEEP_TOKEN=\($0)"] } ?? ["-u", "SWEEP_TOKEN"]) + env + [CityCertBinary.path] + arguments)
    }

    static func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test func aSweepJudgesEveryTargetAndWritesTheMatrix() async throws {
        let server = try Self.service()
        defer { server.stop() }
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let targets =
            ["good-01", "bad-01", "ro-01", "warn-01"].map { ($0, server.baseURL + "/" + $0) } + [
                ("down-01", "http://127.0.0.1:1/down")
            ]
        let plan = try Self.plan(
            targets,
            extra:
                "  - {name: nosecret-01, profiles: [loop], inputs: {base_url: \"\(server.baseURL)/good-02\"}, secrets: {token: {env: NOT_SET_ANYWHERE}}}\n"
                + "  - {name: short-01, profiles: [loop], inputs: {base_url: \"\(server.baseURL)/good-03\"}, secrets: {token: {env: SHORT_TOKEN}}}\n",
            folder: dir)
        let result = try await Self.sweep(["sweep", plan, "--out", dir + "/out", "--quiet"], env: ["SHORT_TOKEN=abc"])
        // bad-01 fails a MUST: the sweep's exit code is 1.
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("7 pair(s) judged, 3 CONFORMANT"), "\(result.stdout)")
        let matrix = try JSONValue.parse(bytes: Self.read(dir + "/out/matrix.json"))
        var cells: [String: JSONValue] = [:]
        for c in matrix["cells"]?.arrayValue ?? [] { cells[c["target"]?.stringValue ?? ""] = c }
        func verdict(_ t: String) -> String? { cells[t]?["verdict"]?.stringValue }
        func outcome(_ t: String, _ r: String) -> String? { cells[t]?["outcomes"]?[r]?.stringValue }
        func klass(_ t: String, _ c: String) -> String? { cells[t]?["classes"]?[c]?.stringValue }
        #expect(verdict("good-01") == "CONFORMANT" && klass("good-01", "write") == "CONFORMANT")
        #expect(verdict("bad-01") == "NOT CONFORMANT" && outcome("bad-01", "ITEMS") == "failed")
        #expect(klass("bad-01", "core") == "NOT CONFORMANT" && klass("bad-01", "write") == "CONFORMANT")
        #expect(verdict("ro-01") == "CONFORMANT" && outcome("ro-01", "WRITE") == "not-applicable")
        #expect(klass("ro-01", "write") == "NOT APPLICABLE")
        // A failed SHOULD leaves the verdict CONFORMANT (the run fails on MUST).
        #expect(verdict("warn-01") == "CONFORMANT" && outcome("warn-01", "HINT") == "failed")
        // A target that is down could not be judged: an error for it alone, exit code 3, the sweep goes on.
        #expect(verdict("down-01") == "NOT CONFORMANT" && outcome("down-01", "ROOT") == "error")
        #expect(cells["down-01"]?["exitCode"] == .int(3))
        #expect(verdict("nosecret-01") == "ERROR")
        #expect(
            cells["nosecret-01"]?["message"]?.stringValue == "secret token: the environment variable NOT_SET_ANYWHERE is not set")
        // A secret too short to be redacted is refused, not sent.
        #expect(verdict("short-01") == "ERROR")
        #expect(cells["short-01"]?["message"]?.stringValue?.contains("shorter than 4 bytes") == true)
        #expect(matrix["notFinished"]?.arrayValue?.isEmpty == true)
        // Reports per pair, in the formats the plan names.
        for t in ["good-01", "bad-01", "ro-01", "warn-01", "down-01"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/out/\(t)/loop/report.json"), "\(t)")
            #expect(FileManager.default.fileExists(atPath: "\(dir)/out/\(t)/loop/report.md"), "\(t)")
        }
        let csv = String(decoding: try Self.read(dir + "/out/matrix.csv"), as: UTF8.self)
        #expect(csv.contains("\"bad-01\",\"loop\",\"requirement\",\"ITEMS\",\"MUST\",\"failed\"\r\n"), "\(csv)")
        #expect(csv.contains("\"ro-01\",\"loop\",\"class\",\"write\",\"\",\"NOT APPLICABLE\"\r\n"), "\(csv)")
        let md = String(decoding: try Self.read(dir + "/out/matrix.md"), as: UTF8.self)
        #expect(md.contains("| bad-01 | NOT CONFORMANT | NOT CONFORMANT | CONFORMANT | ITEMS |  |  |"), "\(md)")
        #expect(md.contains("| ITEMS | MUST | 3 | 1 | 0 | 1 | 0 | 0 |"), "\(md)")
        // The secret (sent in a header, echoed back in a body) is in no file the sweep wrote, journal included.
        let files = FileManager.default.enumerator(atPath: dir + "/out")?.compactMap { $0 as? String } ?? []
        #expect(files.count > 10)
        for f in files {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: "\(dir)/out/\(f)", isDirectory: &isDir), !isDir.boolValue else {
                continue
            }
            let bytes = try Self.read("\(dir)/out/\(f)")
            #expect(String(decoding: bytes, as: UTF8.self).contains(Self.token) == false, "\(f) holds the secret")
        }
        // A second sweep into the same folder is refused; --resume has nothing left to run.
        let again = try await Self.sweep(["sweep", plan, "--out", dir + "/out", "--quiet"])
        #expect(again.status == 2 && again.stderr.contains("add --resume"), "\(again.stderr)")
        let before = server.requestsServed
        let resumed = try await Self.sweep(["sweep", plan, "--out", dir + "/out", "--quiet", "--resume"])
        #expect(resumed.status == 1)
        #expect(server.requestsServed == before, "a resumed sweep whose ERROR pairs still cannot run sends nothing")
        // The ERROR pairs run again on resume: with their secrets there, they are judged.
        let fixed = try await Self.sweep(
            ["sweep", plan, "--out", dir + "/out", "--quiet", "--resume"],
            env: ["NOT_SET_ANYWHERE=\(Self.token)", "SHORT_TOKEN=\(Self.token)"])
        #expect(fixed.status == 1)
        #expect(server.requestsServed == before + 8, "nosecret-01 and short-01 ran, 4 requests each; nothing else")
        let after = try JSONValue.parse(bytes: Self.read(dir + "/out/matrix.json"))
        let verdicts = Dictionary(
            uniqueKeysWithValues: (after["cells"]?.arrayValue ?? []).map {
                ($0["target"]?.stringValue ?? "", $0["verdict"]?.stringValue ?? "")
            })
        #expect(verdicts["nosecret-01"] == "CONFORMANT" && verdicts["short-01"] == "CONFORMANT")
        #expect(verdicts["good-01"] == "CONFORMANT" && verdicts["bad-01"] == "NOT CONFORMANT")
    }

    /// A pair over its time budget is the harness's limit: ERROR with exit code 3 and no class verdicts,
    /// its report says why, and a resume runs it again.
    @Test func aPairOverItsTimeBudgetIsAnError() async throws {
        let server = try Self.service()
        defer { server.stop() }
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try Self.plan(
            [],
            extra:
                "  - {name: slow-01, profiles: [loop], inputs: {base_url: \"\(server.baseURL)/slow-01\"}, secrets: {token: {env: SWEEP_TOKEN}}, time_budget: 1s}\n",
            folder: dir)
        let result = try await Self.sweep(["sweep", plan, "--out", dir + "/out", "--quiet"])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        let cell = try JSONValue.parse(bytes: Self.read(dir + "/out/matrix.json"))["cells"]?[0]
        #expect(cell?["verdict"] == .string("ERROR") && cell?["exitCode"] == .int(3))
        #expect(cell?["message"] == .string("interrupted by the time budget of 1 s"), "\(String(describing: cell))")
        #expect(cell?["classes"] == .object([]))
        let report = try JSONValue.parse(bytes: Self.read(dir + "/out/slow-01/loop/report.json"))
        #expect(report["interrupted"] == .string("the time budget of 1 s"))
        let before = server.requestsServed
        let resumed = try await Self.sweep(["sweep", plan, "--out", dir + "/out", "--quiet", "--resume"])
        #expect(resumed.status == 3)
        #expect(server.requestsServed > before, "the pair over its budget runs again on resume")
    }

    /// Two sweeps never write one folder: a sweep holds `journal.lock` while it runs, and a sweep that finds
    /// the lock held is refused. Both halves are checked without racing a second process against the
    /// first's request timeout (under CI load a second binary once took longer to start than the first's
    /// held request took to time out, and so found the lock free).
    @Test func aSecondSweepOnTheSameFolderIsRefused() async throws {
        let gate = Gate()
        let server = try Self.service(gate: gate)
        defer { server.stop() }
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try Self.plan([("good-01", server.baseURL + "/good-01")], folder: dir)
        func tryLock() -> (fd: Int32, locked: Bool) {
            let fd = open(dir + "/out/journal.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            return (fd, fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        }
        // 1. While a sweep's request is held, its lock is held: another holder cannot take it.
        gate.hold(["good-01"])
        let first = try Subprocess.spawn(
            "/usr/bin/env", ["SWEEP_TOKEN=\(Self.token)", CityCertBinary.path, "sweep", plan, "--out", dir + "/out", "--quiet"])
        try await Self.waitUntil { gate.active.withLock { $0 } > 0 }
        let during = tryLock()
        #expect(during.fd >= 0 && !during.locked, "the running sweep holds \(dir)/out/journal.lock")
        if during.fd >= 0 { close(during.fd) }
        gate.hold([])
        // Its verdict is not what this test is about (under load its held request may time out).
        _ = await Subprocess.wait(first)
        // 2. Once it ended the lock is free again; taken here, a second sweep is refused and writes nothing.
        let held = tryLock()
        defer { if held.fd >= 0 { close(held.fd) } }
        try #require(held.locked, "the lock is released when the sweep ends")
        let matrix = try Self.read(dir + "/out/matrix.json")
        let second = try await Self.sweep(["sweep", plan, "--out", dir + "/out", "--quiet", "--resume"])
        #expect(second.status == 2 && second.stderr.contains("another sweep is writing"), "\(second.stderr)")
        #expect(try Self.read(dir + "/out/matrix.json") == matrix, "the refused sweep left the matrix alone")
    }

    /// kill -9 at two points of a sweep (once 1 pair, and once 6 of 12, are journaled), then --resume: the matrix is byte for byte that of an uninterrupted
    /// sweep, and the resumed sweep sends only the requests of the pairs the journal did not hold.
    @Test func aKilledSweepResumesToTheSameMatrix() async throws {
        let gate = Gate()
        let server = try Self.service(gate: gate)
        defer { server.stop() }
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let kinds = ["good", "bad", "ro", "warn"]
        let names = (1...12).map { "\(kinds[$0 % 4])-\(String(format: "%02d", $0))" }
        let plan = try Self.plan(names.map { ($0, server.baseURL + "/" + $0) }, folder: dir)
        let whole = try await Self.sweep(["sweep", plan, "--out", dir + "/whole", "--quiet", "--parallel", "2"])
        #expect(whole.status == 1, "\(whole.stderr)")
        var midway = 0
        // Killed once the journal holds the pairs of the first 1 (then 6) targets by name, the others' requests
        // being held by the service meanwhile; the journal is read with the sqlite3 shell, a second
        // implementation, while the sweep writes.
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 shell: .ci/setup installs it")
        func journaled(_ out: String) async throws -> [String] {
            guard FileManager.default.fileExists(atPath: out + "/journal.sqlite") else { return [] }
            let listed = try await Subprocess.run(
                "/usr/bin/sqlite3", [out + "/journal.sqlite", "SELECT target FROM pairs ORDER BY target"])
            return listed.stdout.split(separator: "\n").map(String.init)
        }
        let sorted = names.sorted()
        for (i, when) in [1, 6].enumerated() {
            let out = "\(dir)/killed-\(i)"
            gate.hold(Set(sorted[when...]))
            let pid = try Subprocess.spawn(
                "/usr/bin/env",
                ["SWEEP_TOKEN=\(Self.token)", CityCertBinary.path, "sweep", plan, "--out", out, "--quiet", "--parallel", "2"])
            try await Self.waitUntil { try await journaled(out).count >= when }
            kill(pid, SIGKILL)
            _ = await Subprocess.wait(pid)
            let delay = when
            let done = try await journaled(out)
            #expect(done == Array(sorted[..<when]), "the pairs journaled before the kill")
            // The held requests of the killed sweep are answered (to a closed connection) before counting.
            gate.hold([])
            try await gate.drain()
            if !done.isEmpty && done.count < names.count { midway += 1 }
            let resumed = try await Self.sweep([
                "sweep", plan, "--out", out, "--quiet", "--parallel", "2", "--resume", "--run-id", "resumed-\(i)",
            ])
            #expect(resumed.status == 1, "\(resumed.stderr)")
            let expected = names.filter { !done.contains($0) }.reduce(0) {
                $0 + Self.requests(String($1.split(separator: "-")[0]))
            }
            #expect(gate.sent(by: "resumed-\(i)") == expected, "kill after \(delay) pair(s): \(done.count) pair(s) were done")
            for f in ["matrix.json", "matrix.csv", "matrix.md"] {
                #expect(
                    try Self.read("\(out)/\(f)") == Self.read("\(dir)/whole/\(f)"), "kill after \(delay) pair(s): \(f) differs")
            }
        }
        #expect(midway == 2, "each kill came in the middle of its sweep")
    }

    /// Three shards merged give the folder an unsharded sweep writes: the same matrix, byte for byte, and
    /// every pair's reports. A missing or repeated shard is refused.
    @Test func shardsMergeIntoTheUnshardedMatrix() async throws {
        let server = try Self.service()
        defer { server.stop() }
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let names = ["good-01", "bad-02", "ro-03", "warn-04", "good-05", "bad-06", "ro-07"]
        let plan = try Self.plan(names.map { ($0, server.baseURL + "/" + $0) }, folder: dir)
        _ = try await Self.sweep(["sweep", plan, "--out", dir + "/whole", "--quiet"])
        var shards: [String] = []
        var seen: Set<String> = []
        for k in 1...3 {
            let out = "\(dir)/shard-\(k)"
            shards.append(out)
            let r = try await Self.sweep(["sweep", plan, "--out", out, "--quiet", "--shard", "\(k)/3"])
            #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
            let m = try JSONValue.parse(bytes: Self.read(out + "/matrix.json"))
            let mine = Set((m["cells"]?.arrayValue ?? []).compactMap { $0["target"]?.stringValue })
            #expect(seen.isDisjoint(with: mine), "a target in two shards")
            seen.formUnion(mine)
        }
        #expect(seen == Set(names))
        let merged = try await Subprocess.run(CityCertBinary.path, ["report", "merge"] + shards + ["--out", dir + "/merged"])
        #expect(merged.status == 1, "\(merged.stderr)")
        for f in ["matrix.json", "matrix.csv", "matrix.md"] {
            #expect(try Self.read("\(dir)/merged/\(f)") == Self.read("\(dir)/whole/\(f)"), "\(f) differs")
        }
        for n in names { #expect(FileManager.default.fileExists(atPath: "\(dir)/merged/\(n)/loop/report.json"), "\(n)") }
        let missing = try await Subprocess.run(
            CityCertBinary.path, ["report", "merge", shards[0], shards[2], "--out", dir + "/m2"])
        #expect(missing.status == 2 && missing.stderr.contains("shard(s) 2/3 missing"), "\(missing.stderr)")
        let twice = try await Subprocess.run(
            CityCertBinary.path, ["report", "merge", shards[0], shards[0], shards[1], "--out", dir + "/m3"])
        #expect(twice.status == 2 && twice.stderr.contains("are both shard 1/3"), "\(twice.stderr)")
        // A shard's journal comes from a file (a CI artifact): a pair it did not owe, here a name that would
        // lead out of the merged folder, is refused before anything is copied.
        let forged = dir + "/forged"
        try FileManager.default.copyItem(atPath: shards[0], toPath: forged)
        let owned = try JSONValue.parse(bytes: Self.read(shards[0] + "/matrix.json"))["cells"]?[0]?["target"]?.stringValue ?? ""
        let edit = try await Subprocess.run(
            "/usr/bin/sqlite3",
            [forged + "/journal.sqlite", "UPDATE pairs SET target = '../../escape' WHERE target = '\(owned)'"])
        #expect(edit.status == 0, "\(edit.stderr)")
        let refused = try await Subprocess.run(
            CityCertBinary.path, ["report", "merge", forged, shards[1], shards[2], "--out", dir + "/m4"])
        #expect(refused.status == 2 && refused.stderr.contains("which its shard does not owe"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/escape"))
    }

    static let postgres = ProcessInfo.processInfo.environment["CITYCERT_POSTGRES_URL"]
    static let ci = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } == true

    /// Three workers on one PostgreSQL journal share a plan: every target is judged by exactly one of them
    /// (its requests all carry one worker's run id), and the matrix of the shared journal is byte for byte
    /// that of one sweep with its own SQLite journal.
    @Test(
        .enabled(
            if: postgres != nil || ci,
            "needs PostgreSQL: .ci/run starts one and sets CITYCERT_POSTGRES_URL (.ci/servers/postgres.sh start DIR PORT)"))
    func threeWorkersShareOnePostgresJournal() async throws {
        let url = try #require(Self.postgres, "CI must provide PostgreSQL: .ci/run sets CITYCERT_POSTGRES_URL")
        let gate = Gate()
        let server = try Self.service(gate: gate)
        defer { server.stop() }
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let kinds = ["good", "bad", "ro", "warn"]
        let names = (1...12).map { "\(kinds[$0 % 4])-\(String(format: "%02d", $0))" }
        // The plan names this server's port: a plan of its own in a database other tests may share.
        let plan = try Self.plan(names.map { ($0, server.baseURL + "/" + $0) }, folder: dir)
        let single = try await Self.sweep(["sweep", plan, "--out", dir + "/single", "--quiet", "--run-id", "single"])
        #expect(single.status == 1, "\(single.stderr)")
        // Every request is held until two workers have sent one, so that the work is shared whatever the load.
        gate.hold(Set(names))
        let workers = try (1...3).map { w in
            try Subprocess.spawn(
                "/usr/bin/env",
                [
                    "SWEEP_TOKEN=\(Self.token)", CityCertBinary.path, "sweep", plan, "--out", "\(dir)/w\(w)", "--quiet",
                    "--journal", url, "--sweep-id", "t1", "--worker", "w\(w)", "--run-id", "w\(w)", "--parallel", "2",
                ], stderr: "\(dir)/w\(w).err")
        }
        try await Self.waitUntil { gate.byRun.withLock { runs in runs.keys.filter { $0.hasPrefix("w") }.count } >= 2 }
        gate.hold([])
        for (i, pid) in workers.enumerated() {
            let status = await Subprocess.wait(pid)
            let err = (try? String(contentsOfFile: "\(dir)/w\(i + 1).err", encoding: .utf8)) ?? ""
            #expect(status == 1 || status == 0, "worker \(i + 1): exit \(status): \(err)")
        }
        // Every target's requests came from one worker, and all of them: no target was judged twice.
        let byRun = gate.byRun.withLock { $0 }
        let sent = ["w1", "w2", "w3"].reduce(0) { $0 + (byRun[$1] ?? 0) }
        let expected = names.reduce(0) { $0 + Self.requests(String($1.split(separator: "-")[0])) }
        #expect(sent == expected, "\(byRun)")
        #expect(byRun.filter { $0.key.hasPrefix("w") && $0.value > 0 }.count >= 2, "the work was shared: \(byRun)")
        // The journal's matrix, written again by a worker that finds nothing left to do.
        let last = try await Self.sweep([
            "sweep", plan, "--out", dir + "/last", "--quiet", "--journal", url, "--sweep-id", "t1", "--worker", "w4", "--run-id",
            "w4",
        ])
        #expect(last.status == 1, "\(last.stderr)")
        #expect(byRun["w4"] == nil && gate.sent(by: "w4") == 0, "nothing was left to judge")
        for f in ["matrix.json", "matrix.csv", "matrix.md"] {
            #expect(try Self.read("\(dir)/last/\(f)") == Self.read("\(dir)/single/\(f)"), "\(f) differs")
        }
        // Another sweep id is another sweep of the plan: it judges again rather than report t1's results.
        let again = try await Self.sweep([
            "sweep", plan, "--out", dir + "/again", "--quiet", "--journal", url, "--sweep-id", "t2", "--run-id", "t2",
        ])
        #expect(again.status == 1, "\(again.stderr)")
        #expect(gate.sent(by: "t2") == expected, "sweep t2 judged every target itself")
        // Without a sweep id, a shared journal is refused.
        let noID = try await Self.sweep(["sweep", plan, "--out", dir + "/noid", "--quiet", "--journal", url])
        #expect(noID.status == 2 && noID.stderr.contains("--sweep-id"), "\(noID.stderr)")
        // A journal that cannot be reached is an error that names the database, never its password.
        let down = try await Self.sweep([
            "sweep", plan, "--out", dir + "/down", "--quiet", "--sweep-id", "t3", "--journal",
            "postgres://someone:pw-one-9f2@127.0.0.1:1/citycert?password=pw-two-7c1&connect_timeout=2",
        ])
        #expect(down.status == 3, "\(down.stderr)")
        #expect(down.stderr.contains("journal postgres://127.0.0.1:1/citycert: cannot connect"), "\(down.stderr)")
        #expect(!down.stderr.contains("pw-one-9f2") && !down.stderr.contains("pw-two-7c1"), "\(down.stderr)")
    }

    @Test func planProblemsArePointedAt() async throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func sweep(_ plan: String) async throws -> Subprocess.Result {
            try plan.write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
            return try await Self.sweep(["sweep", dir + "/p.yaml", "--out", dir + "/out-\(UUID().uuidString)"])
        }
        let profile = Repository.fixture("sweep/profile.yaml").path
        let secret = try await sweep(
            """
            citycert-sweep: 1
            profiles: {loop: \(profile)}
            targets:
              - {name: a, profiles: [loop], inputs: {base_url: "http://127.0.0.1:1", token: hunter2}}
            """)
        #expect(secret.status == 2)
        #expect(secret.stderr.contains("p.yaml:4:5: target a writes the secret input token"), "\(secret.stderr)")
        #expect(!secret.stderr.contains("hunter2"))
        let typo = try await sweep(
            """
            citycert-sweep: 1
            profiles: {loop: \(profile)}
            targets:
              - {name: a, profiles: [lop], inputs: {base_url: "http://127.0.0.1:1"}}
            """)
        #expect(typo.status == 2 && typo.stderr.contains("p.yaml:4:26: error: unknown profile 'lop'"), "\(typo.stderr)")
        #expect(typo.stderr.contains("did you mean 'loop'?"))
        let path = try await sweep(
            """
            citycert-sweep: 1
            profiles: {loop: \(profile)}
            targets:
              - {name: ../escape, profiles: [loop]}
            """)
        #expect(path.status == 2 && path.stderr.contains("names a folder"), "\(path.stderr)")
        let literal = try await sweep(
            """
            citycert-sweep: 1
            profiles: {loop: \(profile)}
            targets:
              - {name: a, profiles: [loop], secrets: {token: hunter2}}
            """)
        #expect(literal.status == 2 && literal.stderr.contains("secret token must be a mapping"), "\(literal.stderr)")
        #expect(!literal.stderr.contains("hunter2"), "an error shows no plan line: it may hold a credential")
    }
}
